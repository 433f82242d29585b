/**
 * npm start [-- --stack dev] [--port 8000] [--tls-port <port + 363>] [--config <file>] [--detach]
 *                                                                         serve a stack locally
 * npm stop  [-- --stack dev]                                              stop it
 *
 * Plans the stack offline, writes the droplet's files under .sandbox/<stack>/, and runs them with
 * real supervisord and nginx on loopback. See scripts/lib/sandbox.ts for what differs from a droplet.
 */
import * as path from "node:path";
import { parseArgs } from "node:util";
import { ConfigError, parseStackConfig } from "../config";
import { runPlan } from "./lib/plan";
import { plannedFiles } from "./lib/planOutput";
import {
  assertPortFree,
  dockerEngineAnswers,
  prepareSandbox,
  readSandbox,
  Sandbox,
} from "./lib/sandbox";
import { defaultTlsPort } from "./lib/sandboxTls";
import { isRunning, startSandbox, stopSandbox } from "./lib/sandboxProcesses";
import { PROJECT_DIR, stackConfigFor, stackFilePath } from "./lib/stackFiles";
import { MissingToolError, requireTools } from "./lib/systemTools";

const USAGE =
  "usage: npm start -- [--stack dev] [--port 8000] [--tls-port <port + 363>] [--config <Pulumi.x.yaml>] [--detach]\n" +
  "       npm stop -- [--stack dev]";
const log = (line: string) => console.log(line);
const tools = () =>
  requireTools(["nginx", "nginx njs module", "supervisord", "supervisorctl"] as const, {
    install: true,
    log,
  });

class UsageError extends Error {}

function parsePort(text: string, option = "--port"): number {
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

async function start(values: {
  stack: string;
  port: string;
  "tls-port"?: string;
  config?: string;
  detach: boolean;
}) {
  const installed = tools();
  const stackFile = values.config ? path.resolve(values.config) : stackFilePath(values.stack);
  const input = stackConfigFor(values.stack, values.config && stackFile);
  const config = parseStackConfig(values.stack, input.config, input.secretKeys);
  log(`planning stack ${values.stack} offline ...`);
  for (const note of input.notes) log(`  note: ${note}`);
  const plan = await runPlan(values.stack, input);
  const protectedCount = plan.resources.filter((r) => r.protect).length;
  log(`  + ${plan.resources.length + 1} resources to create (${protectedCount} protected)`);
  const port = parsePort(values.port);
  if (port === config.app.port || port === config.app.port + 1) {
    throw new UsageError(
      `--port ${port} is one of the stack's colour ports (app.port, app.port + 1): choose another --port`,
    );
  }
  const tlsPort = values["tls-port"]
    ? parsePort(values["tls-port"], "--tls-port")
    : defaultTlsPort(port);
  const docker = dockerEngineAnswers();
  const sandbox = prepareSandbox({
    stack: values.stack,
    config,
    files: plannedFiles(plan),
    port,
    tlsPort,
    docker,
  });
  log(`  wrote ${values.stack}-web-1's files under ${path.relative(PROJECT_DIR, sandbox.dir)}/`);
  for (const line of sandbox.substitutions) log(`  substituted: ${line}`);
  if (sandbox.tls) {
    if ([port, config.app.port, config.app.port + 1].includes(tlsPort)) {
      throw new UsageError(
        `--tls-port ${tlsPort} is --port or one of the stack's colour ports (app.port, app.port + 1): choose another --tls-port`,
      );
    }
    await assertPortFree(tlsPort, "the sandbox's HTTPS port, --tls-port");
  } else if (values["tls-port"]) {
    log(`  note: ${values.stack} serves plain HTTP: --tls-port is unused`);
  }
  await startSandbox(sandbox, installed, log);
  const served = sandbox.tls
    ? `127.0.0.1:${sandbox.tls.port} (HTTPS) and 127.0.0.1:${port} (HTTP: ACME challenges, redirects)`
    : `127.0.0.1:${port}`;
  log(`\n${values.stack} (release ${sandbox.release}) is serving through nginx on ${served}:`);
  for (const line of reachLines(sandbox)) log(`  ${line}`);
  log(`logs: ${path.relative(PROJECT_DIR, sandbox.runDir)}/logs/`);
  if (values.detach) {
    log(`running in the background: npm stop -- --stack ${values.stack} stops it`);
    return;
  }
  log("Ctrl-C stops it.");
  const keepAlive = setInterval(() => undefined, 60000);
  const signal = await new Promise<string>((resolve) => {
    process.once("SIGINT", () => resolve("SIGINT"));
    process.once("SIGTERM", () => resolve("SIGTERM"));
  });
  clearInterval(keepAlive);
  log(`\n${signal}: stopping ...`);
  for (const what of await stopSandbox(sandbox, installed)) log(`  stopped ${what}`);
}

async function stop(values: { stack: string }) {
  const sandbox = readSandbox(values.stack);
  if (!sandbox || !isRunning(sandbox)) {
    log(`no sandbox is running for ${values.stack}`);
    return;
  }
  for (const what of await stopSandbox(sandbox, tools())) log(`stopped ${what}`);
}

async function main() {
  const { values, positionals } = parseArgs({
    allowPositionals: true,
    options: {
      stack: { type: "string", short: "s", default: "dev" },
      port: { type: "string", short: "p", default: "8000" },
      "tls-port": { type: "string" },
      config: { type: "string" },
      detach: { type: "boolean", short: "d", default: false },
      help: { type: "boolean", short: "h", default: false },
    },
  });
  if (values.help) return log(USAGE);
  const command = positionals[0];
  if (command === "start") return start(values);
  if (command === "stop") return stop(values);
  throw new UsageError(USAGE);
}

main().then(
  () => process.exit(0),
  (error: unknown) => {
    if (error instanceof ConfigError) console.error(error.lines.join("\n"));
    else if (error instanceof UsageError || error instanceof MissingToolError)
      console.error(error.message);
    else if ((error as { code?: string }).code?.startsWith("ERR_PARSE_ARGS"))
      console.error(`${(error as Error).message}\n${USAGE}`);
    else console.error(`sandbox: ${(error as Error).message ?? error}`);
    process.exit(1);
  },
);
