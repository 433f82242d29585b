/**
 * The sandbox's backing services: each of the stack's `services` a real server on 127.0.0.1
 * (tools/shared/databaseServer.ts: Debian's PostgreSQL 15 or Redis 7, TLS only), made as
 * DigitalOcean makes a cluster: on PostgreSQL the app's database and user without grants, then the
 * program's own schema grant script run against it (templates/schema-grant.sh.mustache). The
 * connection strings go into the secret env file the release reads, as the program puts them there.
 * What the sandbox cannot show: the database firewall (everything here is on loopback).
 */
import { spawnSync } from "node:child_process";
import { mkdirSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import * as path from "node:path";
import { databaseNameOf, postgresUrl } from "../../components/BackingService";
import { SERVICE_ENGINES } from "../../config/rules";
import type { Service } from "../../config";
import { CONFIG_DIR, renderEnvFile, renderSchemaGrant } from "../../templates";
import {
  adminUri,
  createDatabaseAndUser,
  DatabaseServer,
  newPassword,
  startDatabaseServer,
  stopDatabaseServer,
} from "../shared/databaseServer";
import { requireTools } from "../shared/systemTools";
import { selfSignedCertificate } from "./sandboxTls";

/** A service of the stack as the sandbox runs it. */
export interface SandboxService {
  readonly name: string;
  readonly engine: "pg" | "valkey";
  readonly envName: string;
  /** On a cluster the stack attaches to (a review stack's): the database is named for the stack. */
  readonly shared: boolean;
}

export const sandboxServicesOf = (services: readonly Service[]): SandboxService[] =>
  services.map((s) => ({
    name: s.name,
    engine: SERVICE_ENGINES[s.engine],
    envName: s.envName,
    shared: s.cluster !== undefined,
  }));

const serviceDir = (runDir: string, name: string) => path.join(runDir, "services", name);

/** A port nothing listens on now, from the system. */
const freePort = () =>
  new Promise<number>((resolve, reject) => {
    const server = createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });

/**
 * Starts every service and writes `<app>.secret.env` with their connection strings; returns a
 * line per service for the user.
 */
export async function startSandboxServices(
  sandbox: { stack: string; app: string; root: string; runDir: string },
  services: readonly SandboxService[],
): Promise<string[]> {
  const env: Record<string, string> = {};
  const lines: string[] = [];
  const engines = new Set(services.map((s) => s.engine));
  requireTools(
    [
      ...(engines.has("pg") ? (["postgres", "psql"] as const) : []),
      ...(engines.has("valkey") ? (["redis-server", "redis-cli"] as const) : []),
    ],
    { install: true },
  );
  for (const service of services) {
    const dir = serviceDir(sandbox.runDir, service.name);
    mkdirSync(path.join(dir, "tls"), { recursive: true });
    const tls = { cert: path.join(dir, "tls", "cert.pem"), key: path.join(dir, "tls", "key.pem") };
    selfSignedCertificate(["localhost"], tls.cert, tls.key);
    const server: DatabaseServer = {
      what: `the sandbox's ${service.name}`,
      engine: service.engine,
      dir,
      address: "127.0.0.1",
      port: await freePort(),
      adminPassword: newPassword(),
      tls: { ...tls, ca: tls.cert },
    };
    await startDatabaseServer(server);
    if (service.engine === "valkey") {
      env[service.envName] = adminUri(server);
    } else {
      const name = databaseNameOf(sandbox.app, sandbox.stack, service.shared);
      const password = createDatabaseAndUser(server, name, name);
      grantSchema(server, name);
      env[service.envName] = postgresUrl({
        user: name,
        password,
        host: server.address,
        port: server.port,
        database: name,
      });
    }
    lines.push(
      `${service.name}: ${service.engine} on 127.0.0.1:${server.port} (${service.envName})`,
    );
  }
  writeFileSync(
    path.join(sandbox.root, CONFIG_DIR, `${sandbox.app}.secret.env`),
    renderEnvFile(env),
    {
      mode: 0o600,
    },
  );
  return lines;
}

/** The program's own grant script, with its stdin as the first droplet gets it. */
function grantSchema(server: DatabaseServer, database: string): void {
  const stdin = [server.address, server.port, "doadmin", server.adminPassword, database, database];
  const run = spawnSync("sh", ["-c", renderSchemaGrant()], {
    input: `${stdin.join("\n")}\n`,
    encoding: "utf8",
  });
  if (run.status !== 0)
    throw new Error(`the schema grant for ${database} failed: ${run.stderr.trim()}`);
}

/** Stops every service's server; the ones that ran. */
export async function stopSandboxServices(
  runDir: string,
  services: readonly SandboxService[],
): Promise<string[]> {
  const stopped: string[] = [];
  for (const s of services) {
    if (await stopDatabaseServer({ dir: serviceDir(runDir, s.name), engine: s.engine }))
      stopped.push(`${s.name} (${s.engine})`);
  }
  return stopped;
}
