/**
 * A real server standing in for one of DigitalOcean's managed database clusters, for the local
 * cloud (in a namespace of the stack's network) and the sandbox (on loopback): Debian's PostgreSQL
 * 15 for `pg`, Debian's Redis 7 (the server Valkey forked from) for `valkey`. TLS only over the
 * network, DigitalOcean's admin user (`doadmin`, `default`) and default database (`defaultdb`).
 * The tools' own admin commands go through a unix socket in the server's folder.
 */
import { chmodSync, existsSync, mkdirSync, rmSync, writeFileSync } from "node:fs";
import * as path from "node:path";
import { randomBytes } from "node:crypto";
import { Daemon, daemonPid, startDaemon, stopDaemon, waitReady } from "./daemons";
import { runOrThrow } from "./runCommand";

export type DatabaseEngine = "pg" | "valkey";

export interface DatabaseServer {
  /** For messages: "database cluster staging-db of lc-x". */
  readonly what: string;
  readonly engine: DatabaseEngine;
  /** Its data, configuration, socket, pid file and log. */
  readonly dir: string;
  readonly address: string;
  readonly port: number;
  /** A network namespace to run in; none: this machine's own network. */
  readonly netns?: string;
  /** doadmin's (pg) or default's (valkey): what DigitalOcean hands out as the cluster's password. */
  readonly adminPassword: string;
  /** The server's certificate and key (PEM files), and the CA that signed it. */
  readonly tls: { readonly cert: string; readonly key: string; readonly ca: string };
}

const PG_BIN = "/usr/lib/postgresql/15/bin";
export const STAND_IN_VERSIONS: Record<DatabaseEngine, string> = {
  pg: "PostgreSQL 15 (Debian's)",
  valkey: "Redis 7.0 (Debian's; Valkey is its fork)",
};
/** DigitalOcean's ports, users and default database. */
export const DATABASE_PORTS: Record<DatabaseEngine, number> = { pg: 25060, valkey: 25061 };
export const ADMIN_USER: Record<DatabaseEngine, string> = { pg: "doadmin", valkey: "default" };
export const DEFAULT_DB = "defaultdb";

const socketDir = (s: Pick<DatabaseServer, "dir">) => path.join(s.dir, "run");
/** PostgreSQL refuses to run as root: as Debian's postgres user then, otherwise as oneself. */
const asPostgres = () =>
  process.getuid?.() === 0
    ? ["setpriv", "--reuid=postgres", "--regid=postgres", "--init-groups"]
    : [];

/** A password as DigitalOcean's: long, random, URL-safe. */
export const newPassword = () => randomBytes(18).toString("base64url");

/** The admin's connection string, as a cluster's `uri` output. */
export function adminUri(s: Pick<DatabaseServer, "engine" | "address" | "port" | "adminPassword">) {
  const admin = ADMIN_USER[s.engine];
  return s.engine === "pg"
    ? `postgresql://${admin}:${s.adminPassword}@${s.address}:${s.port}/${DEFAULT_DB}?sslmode=require`
    : `rediss://${admin}:${s.adminPassword}@${s.address}:${s.port}`;
}

function daemon(s: DatabaseServer): Daemon {
  const inNetns = s.netns ? ["ip", "netns", "exec", s.netns] : [];
  const argv =
    s.engine === "valkey"
      ? [...inNetns, "redis-server", path.join(s.dir, "redis.conf")]
      : [
          ...inNetns,
          ...asPostgres(),
          ...[path.join(PG_BIN, "postgres"), "-D", path.join(s.dir, "data")],
          ...["-c", `config_file=${path.join(s.dir, "postgresql.conf")}`],
        ];
  return {
    what: `${s.what} (${STAND_IN_VERSIONS[s.engine]})`,
    command: argv[0],
    args: argv.slice(1),
    pidFile: path.join(s.dir, "server.pid"),
    logFile: path.join(s.dir, "server.log"),
  };
}

/** PostgreSQL's settings: TLS only over the network, scram passwords, trust on the admin socket. */
function writePostgresConfig(s: DatabaseServer) {
  const conf = [
    `data_directory = '${path.join(s.dir, "data")}'`,
    `hba_file = '${path.join(s.dir, "pg_hba.conf")}'`,
    `ident_file = '${path.join(s.dir, "data", "pg_ident.conf")}'`,
    `listen_addresses = '${s.address}'`,
    `port = ${s.port}`,
    `unix_socket_directories = '${socketDir(s)}'`,
    // The admin socket trusts doadmin: only its owner (and root) may connect to it.
    "unix_socket_permissions = 0700",
    // A failing statement may hold a password (CREATE ROLE): never copied into the log.
    "log_min_error_statement = panic",
    "ssl = on",
    `ssl_cert_file = '${s.tls.cert}'`,
    `ssl_key_file = '${s.tls.key}'`,
    "password_encryption = scram-sha-256",
    "max_connections = 50",
    "shared_buffers = 32MB",
    "",
  ];
  writeFileSync(path.join(s.dir, "postgresql.conf"), conf.join("\n"));
  // DigitalOcean's clusters refuse connections without TLS: only hostssl lines, no host ones.
  writeFileSync(
    path.join(s.dir, "pg_hba.conf"),
    "local all doadmin trust\nhostssl all all 0.0.0.0/0 scram-sha-256\n",
  );
}

function writeRedisConfig(s: DatabaseServer) {
  const conf = [
    `bind ${s.address}`,
    "port 0",
    `tls-port ${s.port}`,
    `tls-cert-file ${s.tls.cert}`,
    `tls-key-file ${s.tls.key}`,
    `tls-ca-cert-file ${s.tls.ca}`,
    "tls-auth-clients no",
    `unixsocket ${path.join(socketDir(s), "redis.sock")}`,
    "unixsocketperm 700",
    `requirepass ${s.adminPassword}`,
    `dir ${s.dir}`,
    'save ""',
    "appendonly no",
    "daemonize no",
    'logfile ""',
    "",
  ];
  writeFileSync(path.join(s.dir, "redis.conf"), conf.join("\n"), { mode: 0o600 });
}

/**
 * psql as doadmin on the server's admin socket; its output. The SQL goes on stdin: it may hold a
 * password, which a command line would show to every user of the machine (and to an error).
 */
export function psqlAdmin(
  s: Pick<DatabaseServer, "dir" | "port">,
  sql: string,
  database = DEFAULT_DB,
) {
  return runOrThrow(
    "psql",
    [
      ...["-h", socketDir(s), "-p", String(s.port), "-U", "doadmin", "-d", database],
      ...["-v", "ON_ERROR_STOP=1", "-qAt", "-f", "-"],
    ],
    { input: `${sql};\n` },
  );
}

/** redis-cli as `default` on the server's admin socket; its output. */
export function redisAdmin(s: DatabaseServer, ...command: string[]) {
  return runOrThrow("redis-cli", ["-s", path.join(socketDir(s), "redis.sock"), ...command], {
    env: { ...process.env, REDISCLI_AUTH: s.adminPassword },
  });
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
 * Makes the server's folder and data (once) and starts it; resolves once it answers on its admin
 * socket. PostgreSQL gets DigitalOcean's `defaultdb`. The folders above `dir` must be traversable
 * by the postgres user when this runs as root.
 */
export async function startDatabaseServer(s: DatabaseServer): Promise<void> {
  // Its data, config, socket and log are its own: nobody else on the machine reads them.
  mkdirSync(socketDir(s), { recursive: true, mode: 0o700 });
  chmodSync(s.dir, 0o700);
  writeFileSync(path.join(s.dir, "server.log"), "", { flag: "a", mode: 0o600 });
  if (s.engine === "pg") {
    const owner = process.getuid?.() === 0 ? ["chown", "-R", "postgres:postgres", s.dir] : [];
    if (!existsSync(path.join(s.dir, "data", "PG_VERSION"))) {
      const pwfile = path.join(s.dir, "pwfile");
      writeFileSync(pwfile, `${s.adminPassword}\n`, { mode: 0o600 });
      if (owner.length > 0) runOrThrow(owner[0], owner.slice(1));
      const initdb = [
        ...asPostgres(),
        ...[path.join(PG_BIN, "initdb"), "-D", path.join(s.dir, "data"), "-U", "doadmin"],
        ...[`--pwfile=${pwfile}`, "--auth=scram-sha-256", "--encoding=UTF8", "--locale=C.UTF-8"],
      ];
      runOrThrow(initdb[0], initdb.slice(1));
      rmSync(pwfile);
    }
    writePostgresConfig(s);
    if (owner.length > 0) runOrThrow(owner[0], owner.slice(1));
  } else {
    writeRedisConfig(s);
  }
  const server = daemon(s);
  startDaemon(server);
  const ready =
    s.engine === "pg"
      ? () => answers(() => psqlAdmin(s, "select 1", "postgres"))
      : () => answers(() => redisAdmin(s, "ping"));
  await waitReady(server, ready, 60000);
  if (s.engine === "pg") {
    const has = psqlAdmin(
      s,
      `select 1 from pg_database where datname = '${DEFAULT_DB}'`,
      "postgres",
    );
    if (has.trim() !== "1") psqlAdmin(s, `create database ${DEFAULT_DB}`, "postgres");
  }
}

/** Stops the server (PostgreSQL's fast shutdown: it does not wait for clients); true if it ran. */
export async function stopDatabaseServer(s: Pick<DatabaseServer, "dir" | "engine">) {
  const pidFile = path.join(s.dir, "server.pid");
  const pid = daemonPid(pidFile);
  if (pid !== undefined && s.engine === "pg") process.kill(pid, "SIGINT");
  return stopDaemon(pidFile);
}

/** An identifier in SQL: the program's names are `[a-z0-9_]`, quoted all the same. */
export const sqlIdent = (name: string) => `"${name.replace(/"/g, '""')}"`;
export const sqlLiteral = (text: string) => `'${text.replace(/'/g, "''")}'`;

/** A database as DigitalOcean's API makes one: doadmin's. */
export function createDatabase(s: DatabaseServer, database: string): void {
  psqlAdmin(s, `create database ${sqlIdent(database)}`);
}

/** A login user as DigitalOcean's API makes one: a generated password, no grants; the password. */
export function createLoginUser(s: DatabaseServer, user: string): string {
  const password = newPassword();
  psqlAdmin(s, `create role ${sqlIdent(user)} login password ${sqlLiteral(password)}`);
  return password;
}

/** A database and a login user as DigitalOcean's API makes them: no grants, the user owns nothing. */
export function createDatabaseAndUser(s: DatabaseServer, database: string, user: string) {
  createDatabase(s, database);
  return createLoginUser(s, user);
}
