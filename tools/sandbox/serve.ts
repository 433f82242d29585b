/**
 * What `npm start`, `npm stop` and `npm run release` do: plan a stack offline, write the droplet's
 * files under .sandbox/<stack>/, run them with real supervisord and nginx on loopback, release into
 * a running sandbox, and stop it. See sandbox.ts for what differs from a droplet.
 */
import * as path from "node:path";
import { parseStackConfig } from "../../config";
import { plannedFiles } from "../plan/planOutput";
import { runPlan } from "../plan/runPlan";
import { stackConfigFor } from "../plan/stackFiles";
import { UsageError, UserError } from "../shared/errors";
import { PROJECT_DIR } from "../shared/projectPaths";
import { requireTools } from "../shared/systemTools";
import {
  assertPortFree,
  dockerEngineAnswers,
  prepareSandbox,
  readSandbox,
  Sandbox,
} from "./sandbox";
import { isRunning, startSandbox, stopSandbox } from "./sandboxProcesses";
import { liveColour, runRelease } from "./sandboxRelease";
import { defaultTlsPort } from "./sandboxTls";

/** Where a sandbox command reports: progress and notes, and the result. */
export interface ServeOutput {
  note(line: string): void;
  result(line: string): void;
}

export interface ServeOptions {
  readonly stack: string;
  /** nginx's HTTP port on 127.0.0.1, for port 80. */
  readonly port: number;
  /** nginx's HTTPS port, for port 443 (a stack that serves HTTPS); default `port` + 363. */
  readonly tlsPort?: number;
  /** A stack file to use instead of Pulumi.<stack>.yaml. */
  readonly configFile?: string;
  /** Return once it serves, leaving it running; otherwise serve until SIGINT or SIGTERM. */
  readonly detach: boolean;
}

const sandboxTools = (note: (line: string) => void) =>
  requireTools(["nginx", "nginx njs module", "supervisord", "supervisorctl"] as const, {
    install: true,
    log: note,
  });

/** `--port`-style text as a port a sandbox may use (1024-65535). */
export function parsePort(text: string, option = "--port"): number {
  const port = Number(text);
  if (!Number.isInteger(port) || port < 1024 || port > 65535) {
    throw new UsageError(`${option} must be an integer from 1024 to 65535, got ${text}`);
  }
  return port;
}

/** How to reach each host, over HTTPS when the stack serves it (port 80 then only redirects). */
function reachLines(sandbox: Sandbox): string[] {
  const tls = sandbox.tls;
  return sandbox.hosts.flatMap((host) =>
    [sandbox.healthPath, "/version"].map((urlPath) =>
      tls
        ? `curl --cacert ${path.relative(PROJECT_DIR, tls.certificate)} --resolve ${host}:${tls.port}:127.0.0.1 https://${host}:${tls.port}${urlPath}`
        : `curl -H 'Host: ${host}' http://127.0.0.1:${sandbox.port}${urlPath}`,
    ),
  );
}

/** Plans the stack, prepares its sandbox and starts it; serves until a signal unless detached. */
export async function serveSandbox(options: ServeOptions, out: ServeOutput): Promise<void> {
  const { stack, port } = options;
  const installed = sandboxTools(out.note);
  const input = stackConfigFor(stack, options.configFile && path.resolve(options.configFile));
  const config = parseStackConfig(stack, input.config, input.secretKeys);
  out.note(`planning stack ${stack} offline ...`);
  for (const note of input.notes) out.note(`  note: ${note}`);
  const plan = await runPlan(stack, input);
  const protectedCount = plan.resources.filter((r) => r.protect).length;
  out.note(`  + ${plan.resources.length + 1} resources to create (${protectedCount} protected)`);
  const colourPorts = [config.app.port, config.app.port + 1];
  if (colourPorts.includes(port)) {
    throw new UsageError(
      `--port ${port} is one of the stack's colour ports (app.port, app.port + 1): choose another --port`,
    );
  }
  const tlsPort = options.tlsPort ?? defaultTlsPort(port);
  const sandbox = prepareSandbox({
    stack,
    config,
    files: plannedFiles(plan),
    port,
    tlsPort,
    // Containers on Docker's bridge cannot reach the services on this machine's loopback.
    docker: dockerEngineAnswers() && config.services.length === 0,
  });
  out.note(`  wrote ${stack}-web-1's files under ${path.relative(PROJECT_DIR, sandbox.dir)}/`);
  for (const line of sandbox.substitutions) out.note(`  substituted: ${line}`);
  if (sandbox.tls) {
    if ([port, ...colourPorts].includes(tlsPort)) {
      throw new UsageError(
        `--tls-port ${tlsPort} is --port or one of the stack's colour ports (app.port, app.port + 1): choose another --tls-port`,
      );
    }
    await assertPortFree(tlsPort, "the sandbox's HTTPS port, --tls-port");
  } else if (options.tlsPort !== undefined) {
    out.note(`  note: ${stack} serves plain HTTP: --tls-port is unused`);
  }
  // Ctrl-C while it starts (the first release takes a while): stop what was started, not only
  // this process, or supervisord and nginx (their own process groups) keep running.
  let stopping: Promise<never> | undefined;
  const stopOnSignal = (signal: NodeJS.Signals) => {
    out.note(`\n${signal} while starting: stopping ...`);
    stopping = stopSandbox(sandbox, installed).then((stopped) => {
      for (const what of stopped) out.note(`  stopped ${what}`);
      process.exit(130);
    });
  };
  process.once("SIGINT", stopOnSignal);
  process.once("SIGTERM", stopOnSignal);
  try {
    await startSandbox(sandbox, installed, out.note);
  } catch (error) {
    // The release the signal cut short fails too: the stop, not that failure, ends the run.
    if (stopping) await stopping;
    throw error;
  } finally {
    process.off("SIGINT", stopOnSignal);
    process.off("SIGTERM", stopOnSignal);
  }
  if (stopping) await stopping;
  const served = sandbox.tls
    ? `127.0.0.1:${sandbox.tls.port} (HTTPS) and 127.0.0.1:${port} (HTTP: ACME challenges, redirects)`
    : `127.0.0.1:${port}`;
  out.result(`${stack} (release ${sandbox.release}) is serving through nginx on ${served}:`);
  for (const line of reachLines(sandbox)) out.result(`  ${line}`);
  out.result(`logs: ${path.relative(PROJECT_DIR, sandbox.runDir)}/logs/`);
  if (options.detach) {
    out.result(`running in the background: npm stop -- --stack ${stack} stops it`);
    return;
  }
  out.result("Ctrl-C stops it.");
  const keepAlive = setInterval(() => undefined, 60000);
  const signal = await new Promise<string>((resolve) => {
    process.once("SIGINT", () => resolve("SIGINT"));
    process.once("SIGTERM", () => resolve("SIGTERM"));
  });
  clearInterval(keepAlive);
  out.note(`\n${signal}: stopping ...`);
  for (const what of await stopSandbox(sandbox, installed)) out.note(`  stopped ${what}`);
}

/** Stops the stack's sandbox and everything it started, if it runs. */
export async function stopStackSandbox(stack: string, out: ServeOutput): Promise<void> {
  const sandbox = readSandbox(stack);
  if (!sandbox || !isRunning(sandbox)) {
    out.result(`no sandbox is running for ${stack}`);
    return;
  }
  for (const what of await stopSandbox(sandbox, sandboxTools(out.note))) {
    out.result(`stopped ${what}`);
  }
}

/** `NAME=value` pairs as an environment. */
export function parseEnvPairs(pairs: readonly string[]): Record<string, string> {
  return Object.fromEntries(
    pairs.map((pair) => {
      const at = pair.indexOf("=");
      if (at < 1) throw new UsageError(`--env takes NAME=value, got ${pair}`);
      return [pair.slice(0, at), pair.slice(at + 1)];
    }),
  );
}

/**
 * Releases `release` into the stack's running sandbox with the stack's own release script, as
 * `pulumi up` does on a droplet; returns the exit code (non-zero: the old release still serves).
 */
export async function releaseIntoSandbox(
  options: { stack: string; release: string; extraEnv: Record<string, string> },
  out: ServeOutput,
): Promise<number> {
  const { stack, release } = options;
  const sandbox = readSandbox(stack);
  if (!sandbox || !isRunning(sandbox)) {
    throw new UserError(
      `no sandbox is running for ${stack}: npm start -- --stack ${stack} --detach`,
    );
  }
  const tools = requireTools(["supervisorctl", "nginx"] as const);
  const run = await runRelease(sandbox, tools, {
    release,
    extraEnv: options.extraEnv,
    onLine: out.note,
  });
  out.result(
    run.code === 0
      ? `released ${release} in ${run.seconds.toFixed(1)}s: live colour ${liveColour(sandbox)}`
      : `release of ${release} failed after ${run.seconds.toFixed(1)}s: live colour ${liveColour(sandbox)} still serves`,
  );
  return run.code === 0 ? 0 : 1;
}
