/** Shared helpers for tests that run a real sandbox (and the CLI) as child processes. */
import { spawnSync } from "node:child_process";
import { mkdtempSync, readdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import * as os from "node:os";
import * as path from "node:path";
import { connect, ConnectionOptions } from "node:tls";
import { parse, stringify } from "yaml";
import { stackFilePath, writeDerivedStackFile } from "../../tools/plan/stackFiles";
import { loadDuring } from "../../tools/bench/loadGenerator";
import { readSandbox, Sandbox } from "../../tools/sandbox/sandbox";
import { runRelease } from "../../tools/sandbox/sandboxRelease";
import { CLI, PROJECT, PROJECT_DIR, TSX } from "../../tools/shared/projectPaths";
import { requireTools } from "../../tools/shared/systemTools";

/** The tools a sandbox runs; a missing one fails the test with the command that installs it. */
export const sandboxTools = () =>
  requireTools(["nginx", "nginx njs module", "supervisord", "supervisorctl"] as const);

/** The load's client connections, each kept alive across requests. */
export const LOAD_CONNECTIONS = 50;

/**
 * Runs the stack's release script in the sandbox while autocannon (LOAD_CONNECTIONS connections)
 * asks `host`'s `/version` through nginx; the load's counts and the release's run.
 */
export function releaseUnderLoad(
  sandbox: Sandbox,
  host: string,
  options: Parameters<typeof runRelease>[2],
) {
  return loadDuring(() => runRelease(sandbox, sandboxTools(), options), {
    url: `http://127.0.0.1:${sandbox.port}/version`,
    host,
    connections: LOAD_CONNECTIONS,
  });
}

/** Whether `port` on 127.0.0.1 can be listened on right now. */
async function canListen(port: number): Promise<boolean> {
  const server = createServer();
  const listening = await new Promise<boolean>((resolve) => {
    server.once("error", () => resolve(false));
    server.listen(port, "127.0.0.1", () => resolve(true));
  });
  if (listening) await new Promise((resolve) => server.close(resolve));
  return listening;
}

/** Ports the tests take: below Linux's ephemeral range (32768–60999), which clients' sockets use. */
const TEST_PORTS = { from: 20000, to: 32000 };
const taken = new Set<number>();

/**
 * A port nothing listens on right now, and the one after it too: a stack's app.port is blue's, and
 * green takes the next. Outside the ephemeral range, so no client connection takes either meanwhile.
 */
export async function freePort(): Promise<number> {
  for (let attempt = 0; attempt < 200; attempt++) {
    const port =
      TEST_PORTS.from + 2 * Math.floor((Math.random() * (TEST_PORTS.to - TEST_PORTS.from)) / 2);
    if (taken.has(port)) continue;
    if ((await canListen(port)) && (await canListen(port + 1))) {
      taken.add(port);
      return port;
    }
  }
  throw new Error(`no two free ports next to each other in ${TEST_PORTS.from}–${TEST_PORTS.to}`);
}

/** Every file under `dir`, relative to it. */
export function filesUnder(dir: string): string[] {
  return readdirSync(dir).flatMap((entry) => {
    const full = path.join(dir, entry);
    return statSync(full).isDirectory()
      ? filesUnder(full).map((f) => path.join(entry, f))
      : [entry];
  });
}

/**
 * A `Pulumi.<stack>.yaml` derived from dev with one host `api.<stack>`, its own app settings and
 * short health gate and drain (the release logic is the same at any length).
 */
export function derivedStackFile(
  stack: string,
  app: Record<string, unknown>,
  extra: Record<string, unknown> = {},
): string {
  return writeDerivedStackFile({
    stack,
    app: { healthTimeoutSeconds: 8, drainSeconds: 1, ...app },
    extra,
  });
}

/**
 * The committed staging stack (HTTPS with certbot on one droplet) as `Pulumi.<stack>.yaml` in a
 * fresh temporary directory, with its own app port and the same short health gate and drain.
 */
export function stagingStackFile(stack: string, appPort: number): string {
  const staging = parse(readFileSync(stackFilePath("staging"), "utf8"));
  Object.assign(staging.config[`${PROJECT}:app`], {
    port: appPort,
    healthTimeoutSeconds: 8,
    drainSeconds: 1,
  });
  const file = path.join(mkdtempSync(path.join(os.tmpdir(), "stack-")), `Pulumi.${stack}.yaml`);
  writeFileSync(file, stringify(staging));
  return file;
}

export interface Handshake {
  /** The TLS version negotiated, such as `TLSv1.3`. */
  readonly protocol: string | null;
  /** The application protocol agreed with ALPN (`h2`), or false. */
  readonly alpn: string | false;
}

/**
 * A bare TLS handshake with the sandbox's HTTPS port; `servername` undefined sends no SNI. Rejects
 * with the TLS error (its `code` says which alert the server sent).
 */
export function tlsHandshake(
  sandbox: Pick<Sandbox, "tls">,
  options: Omit<ConnectionOptions, "host" | "port" | "ca"> = {},
): Promise<Handshake> {
  return new Promise((resolve, reject) => {
    const socket = connect({
      host: "127.0.0.1",
      port: sandbox.tls!.port,
      ca: readFileSync(sandbox.tls!.certificate),
      ...options,
    });
    socket.setTimeout(5000, () => socket.destroy(new Error("no handshake within 5 s")));
    socket.once("secureConnect", () => {
      resolve({ protocol: socket.getProtocol(), alpn: socket.alpnProtocol ?? false });
      socket.end();
    });
    socket.once("error", reject);
  });
}

/** Runs a dropstack command (tools/cli.ts) as its npm script does; `env` replaces the environment. */
export function cli(args: string[], options: { env?: NodeJS.ProcessEnv; timeoutMs?: number } = {}) {
  return spawnSync(TSX, [CLI, ...args], {
    cwd: PROJECT_DIR,
    encoding: "utf8",
    timeout: options.timeoutMs ?? 120000,
    env: options.env,
  });
}

/** `npm start -- --detach` for a stack file; fails the test if it does not start. */
export function startDetached(
  stack: string,
  file: string,
  port: number,
  extraArgs: string[] = [],
): Sandbox & { stdout: string; stderr: string } {
  const started = cli([
    "start",
    "--stack",
    stack,
    "--config",
    file,
    "--port",
    String(port),
    "--detach",
    ...extraArgs,
  ]);
  if (started.status !== 0)
    throw new Error(`sandbox did not start:\n${started.stdout}${started.stderr}`);
  // Progress goes to stderr; a warning or an error there means something went wrong.
  if (/^(warning|error)\b/im.test(started.stderr))
    throw new Error(`sandbox warned on stderr:\n${started.stderr}`);
  return { ...readSandbox(stack)!, stdout: started.stdout, stderr: started.stderr };
}

export function stopDetached(stack: string): void {
  const stopped = cli(["stop", "--stack", stack]);
  if (stopped.status !== 0)
    throw new Error(`sandbox did not stop:\n${stopped.stdout}${stopped.stderr}`);
}
