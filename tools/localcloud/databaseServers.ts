/**
 * The local cloud's managed database clusters: each a real server (tools/shared/databaseServer.ts)
 * in a namespace of its own on the stack's network, at the cluster's address, with a certificate
 * from the local CA. The router's rules are the database firewall (stackFirewall.ts).
 */
import { chmodSync, rmSync } from "node:fs";
import * as path from "node:path";
import {
  adminUri,
  ADMIN_USER,
  DatabaseEngine,
  DatabaseServer,
  DEFAULT_DB,
  startDatabaseServer,
  stopDatabaseServer,
} from "../shared/databaseServer";
import { issueCertificate, LOCAL_CA } from "./localCa";
import { STATE_ROOT, stackDir } from "./localPaths";

/** One cluster the stack made, and its database firewall's trusted sources. */
export interface ClusterState {
  readonly resource: string;
  readonly name: string;
  readonly id: string;
  readonly engine: DatabaseEngine;
  /** Numbers its address and namespace within the stack. */
  readonly n: number;
  readonly address: string;
  readonly port: number;
  readonly netns: string;
  readonly adminPassword: string;
  /** The database firewall's rules; none (no firewall): any address may connect, as on DigitalOcean. */
  trusted?: { type: string; value: string }[];
}

export const clusterDir = (stack: string, name: string) =>
  path.join(stackDir(stack), "clusters", name);

/** The cluster's server, its certificate issued by the local CA (once). */
export function clusterServer(stack: string, c: ClusterState): DatabaseServer {
  const dir = clusterDir(stack, c.name);
  const { cert, key } = issueCertificate(path.join(dir, "tls"), c.address, [`IP:${c.address}`]);
  return {
    what: `database cluster ${c.name} of ${stack}`,
    engine: c.engine,
    dir,
    address: c.address,
    port: c.port,
    netns: c.netns,
    adminPassword: c.adminPassword,
    tls: { cert, key, ca: LOCAL_CA },
  };
}

/** What a cluster's resource outputs: the provider's fields, with the stand-in's host. */
export function clusterOutputs(c: ClusterState): Record<string, unknown> {
  const uri = adminUri(c);
  return {
    host: c.address,
    privateHost: c.address,
    port: c.port,
    user: ADMIN_USER[c.engine],
    password: c.adminPassword,
    ...(c.engine === "pg" && { database: DEFAULT_DB }),
    uri,
    privateUri: uri,
    urn: `do:dbaas:${c.id}`,
  };
}

export async function startCluster(stack: string, c: ClusterState): Promise<void> {
  // The postgres user must reach the cluster's folder: the folders above it are traversable, not
  // listable (every file in them that holds a secret is 0600).
  const server = clusterServer(stack, c);
  for (const above of [STATE_ROOT, stackDir(stack), path.dirname(server.dir)])
    chmodSync(above, 0o711);
  await startDatabaseServer(server);
}

/** Stops each cluster's server; how many were running. */
export async function stopClusters(stack: string, clusters: readonly ClusterState[]) {
  let stopped = 0;
  for (const c of clusters)
    if (await stopDatabaseServer({ dir: clusterDir(stack, c.name), engine: c.engine })) stopped++;
  return stopped;
}

/** Stops one cluster's server and removes its data: a deleted cluster's. */
export async function destroyCluster(stack: string, c: ClusterState): Promise<void> {
  await stopClusters(stack, [c]);
  rmSync(clusterDir(stack, c.name), { recursive: true, force: true });
}
