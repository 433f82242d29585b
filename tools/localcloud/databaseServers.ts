/**
 * The real servers that stand in for DigitalOcean's managed database clusters: Debian's
 * PostgreSQL 15 for `pg` and Debian's Redis 7 (the server Valkey forked from) for `valkey`, each in
 * a namespace of its own on the stack's network, at the cluster's address, on DigitalOcean's ports
 * (25060, 25061), serving TLS only with a certificate from the local CA, with DigitalOcean's admin
 * user (`doadmin`, `default`) and password. The router's rules are the database firewall
 * (stackFirewall.ts). The stand-ins' own admin commands go through a unix socket in the cluster's
 * folder, never over the network.
 */
import { randomBytes } from "node:crypto";
import { chmodSync, existsSync, mkdirSync, rmSync, writeFileSync } from "node:fs";
import * as path from "node:path";
import { runOrThrow } from "../shared/runCommand";
import { Daemon, daemonPid, startDaemon, stopDaemon, waitReady } from "./daemons";
import { issueCertificate, LOCAL_CA } from "./localCa";
import { STATE_ROOT, stackDir } from "./localPaths";

export type ClusterEngine = "pg" | "valkey";

/** One cluster the stack made, and its database firewall's trusted sources. */
export interface ClusterState {
  readonly resource: string;
  readonly name: string;
  readonly id: string;
  readonly engine: ClusterEngine;
  /** Numbers its address and namespace within the stack. */
  readonly n: number;
  readonly address: string;
  readonly port: number;
  readonly netns: string;
  /** doadmin's (pg) or default's (valkey): what DigitalOcean hands out as the cluster's password. */
  readonly adminPassword: string;
  /** The database firewall's rules; none (no firewall): any address may connect, as on DigitalOcean. */
  trusted?: { type: string; value: string }[];
}

/** The folders and binaries of Debian's PostgreSQL, the major version this machine has. */
const PG_BIN = "/usr/lib/postgresql/15/bin";
export const STAND_IN_VERSIONS: Record<ClusterEngine, string> = {
  pg: "PostgreSQL 15 (Debian's)",
  valkey: "Redis 7.0 (Debian's; Valkey is its fork)",
};
export const CLUSTER_PORTS: Record<ClusterEngine, number> = { pg: 25060, valkey: 25061 };
/** The admin user DigitalOcean gives a cluster, and its default database (pg). */
const ADMIN: Record<ClusterEngine, string> = { pg: "doadmin", valkey: "default" };
const DEFAULT_DB = "defaultdb";

export const clusterDir = (stack: string, name: string) =>
  path.join(stackDir(stack), "clusters", name);
const socketDir = (dir: string) => path.join(dir, "run");

/** A password as DigitalOcean's: long, random, URL-safe. */
export const newPassword = () => randomBytes(18).toString("base64url");

/** What a cluster's resource outputs: the provider's fields, with the stand-in's host. */
export function clusterOutputs(c: ClusterState): Record<string, unknown> {
  const admin = ADMIN[c.engine];
  const uri =
    c.engine === "pg"
      ? `postgresql://${admin}:${c.adminPassword}@${c.address}:${c.port}/${DEFAULT_DB}?sslmode=require`
      : `rediss://${admin}:${c.adminPassword}@${c.address}:${c.port}`;
  return {
    host: c.address,
    privateHost: c.address,
    port: c.port,
    user: admin,
    password: c.adminPassword,
    ...(c.engine === "pg" && { database: DEFAULT_DB }),
    uri,
    privateUri: uri,
    urn: `do:dbaas:${c.id}`,
  };
}

function daemon(stack: string, c: ClusterState): Daemon {
  const dir = clusterDir(stack, c.name);
  const common = {
    what: `database cluster ${c.name} of ${stack} (${STAND_IN_VERSIONS[c.engine]})`,
    command: "ip",
    pidFile: path.join(dir, "server.pid"),
    logFile: path.join(dir, "server.log"),
  };
  if (c.engine === "valkey")
    return {
      ...common,
      args: ["netns", "exec", c.netns, "redis-server", path.join(dir, "redis.conf")],
    };
  // PostgreSQL refuses to run as root: as Debian's postgres user, its folder its own.
  return {
    ...common,
    args: [
      ...["netns", "exec", c.netns, "setpriv", "--reuid=postgres", "--regid=postgres"],
      ...["--init-groups", path.join(PG_BIN, "postgres"), "-D", path.join(dir, "data")],
      ...["-c", `config_file=${path.join(dir, "postgresql.conf")}`],
    ],
  };
}

/** PostgreSQL's settings: TLS only over the network, scram passwords, trust on the admin socket. */
function writePostgresConfig(dir: string, c: ClusterState, tls: { cert: string; key: string }) {
  const conf = [
    `data_directory = '${path.join(dir, "data")}'`,
    `hba_file = '${path.join(dir, "pg_hba.conf")}'`,
    `ident_file = '${path.join(dir, "data", "pg_ident.conf")}'`,
    `listen_addresses = '${c.address}'`,
    `port = ${c.port}`,
    `unix_socket_directories = '${socketDir(dir)}'`,
    "ssl = on",
    `ssl_cert_file = '${tls.cert}'`,
    `ssl_key_file = '${tls.key}'`,
    "password_encryption = scram-sha-256",
    "max_connections = 50",
    "shared_buffers = 32MB",
    "",
  ];
  writeFileSync(path.join(dir, "postgresql.conf"), conf.join("\n"));
  // DigitalOcean's clusters refuse connections without TLS: only hostssl lines, no host ones.
  writeFileSync(
    path.join(dir, "pg_hba.conf"),
    "local all doadmin trust\nhostssl all all 0.0.0.0/0 scram-sha-256\n",
  );
}

function writeRedisConfig(dir: string, c: ClusterState, tls: { cert: string; key: string }) {
  const conf = [
    `bind ${c.address}`,
    "port 0",
    `tls-port ${c.port}`,
    `tls-cert-file ${tls.cert}`,
    `tls-key-file ${tls.key}`,
    `tls-ca-cert-file ${LOCAL_CA}`,
    "tls-auth-clients no",
    `unixsocket ${path.join(socketDir(dir), "redis.sock")}`,
    "unixsocketperm 700",
    `requirepass ${c.adminPassword}`,
    `dir ${dir}`,
    'save ""',
    "appendonly no",
    "daemonize no",
    'logfile ""',
    "",
  ];
  writeFileSync(path.join(dir, "redis.conf"), conf.join("\n"), { mode: 0o600 });
}

/** psql as doadmin on the cluster's admin socket; its output. */
export function psqlAdmin(stack: string, c: ClusterState, sql: string, database = DEFAULT_DB) {
  const dir = clusterDir(stack, c.name);
  return runOrThrow("psql", [
    ...["-h", socketDir(dir), "-p", String(c.port), "-U", "doadmin", "-d", database],
    ...["-v", "ON_ERROR_STOP=1", "-qAt", "-c", sql],
  ]);
}

/** redis-cli as `default` on the cluster's admin socket; its output. */
export function redisAdmin(stack: string, c: ClusterState, ...command: string[]) {
  return runOrThrow(
    "redis-cli",
    ["-s", path.join(socketDir(clusterDir(stack, c.name)), "redis.sock"), ...command],
    { env: { ...process.env, REDISCLI_AUTH: c.adminPassword } },
  );
}

const answers = (run: () => string) => {
  try {
    run();
    return true;
  } catch {
    return false;
  }
};

/**
 * Makes the cluster's folder, certificate and data (once) and starts its server; resolves once it
 * answers on its admin socket. PostgreSQL gets DigitalOcean's `defaultdb`.
 */
export async function startCluster(stack: string, c: ClusterState): Promise<void> {
  const dir = clusterDir(stack, c.name);
  mkdirSync(socketDir(dir), { recursive: true });
  const tls = issueCertificate(path.join(dir, "tls"), c.address, [`IP:${c.address}`]);
  if (c.engine === "pg") {
    // The postgres user must reach its folder: the folders above it are traversable, not listable
    // (every file in them that holds a secret is 0600).
    for (const above of [STATE_ROOT, stackDir(stack), path.dirname(dir)]) chmodSync(above, 0o711);
    if (!existsSync(path.join(dir, "data", "PG_VERSION"))) {
      const pwfile = path.join(dir, "pwfile");
      writeFileSync(pwfile, `${c.adminPassword}\n`, { mode: 0o600 });
      runOrThrow("chown", ["-R", "postgres:postgres", dir]);
      runOrThrow("setpriv", [
        ...["--reuid=postgres", "--regid=postgres", "--init-groups"],
        ...[path.join(PG_BIN, "initdb"), "-D", path.join(dir, "data"), "-U", "doadmin"],
        ...[`--pwfile=${pwfile}`, "--auth=scram-sha-256", "--encoding=UTF8", "--locale=C.UTF-8"],
      ]);
      rmSync(pwfile);
    }
    writePostgresConfig(dir, c, tls);
    runOrThrow("chown", ["-R", "postgres:postgres", dir]);
    chmodSync(tls.key, 0o600);
  } else {
    writeRedisConfig(dir, c, tls);
  }
  const server = daemon(stack, c);
  startDaemon(server);
  const ready =
    c.engine === "pg"
      ? () => answers(() => psqlAdmin(stack, c, "select 1", "postgres"))
      : () => answers(() => redisAdmin(stack, c, "ping"));
  await waitReady(server, ready, 60000);
  if (c.engine === "pg") {
    const has = psqlAdmin(
      stack,
      c,
      `select 1 from pg_database where datname = '${DEFAULT_DB}'`,
      "postgres",
    );
    if (has.trim() !== "1") psqlAdmin(stack, c, `create database ${DEFAULT_DB}`, "postgres");
  }
}

/** Stops each cluster's server (PostgreSQL's fast shutdown: it does not wait for clients). */
export async function stopClusters(stack: string, clusters: readonly ClusterState[]) {
  let stopped = 0;
  for (const c of clusters) {
    const server = daemon(stack, c);
    const pid = daemonPid(server.pidFile);
    if (pid !== undefined && c.engine === "pg") process.kill(pid, "SIGINT");
    if (await stopDaemon(server.pidFile)) stopped++;
  }
  return stopped;
}

/** Stops one cluster's server and removes its data: a deleted cluster's. */
export async function destroyCluster(stack: string, c: ClusterState): Promise<void> {
  await stopClusters(stack, [c]);
  rmSync(clusterDir(stack, c.name), { recursive: true, force: true });
}
