/**
 * Starting, probing and stopping a prepared sandbox's supervisord and nginx. Both daemonize, so
 * a detached sandbox outlives the command that started it; `stopSandbox` ends both and checks
 * that no process of theirs is left.
 */
import { spawnSync } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import * as path from "node:path";
import { COLOURS, colourPort } from "../../templates";
import { UserError } from "../shared/errors";
import { isAlive } from "../shared/runCommand";
import { PROJECT_DIR } from "../shared/projectPaths";
import { assertPortFree, Sandbox } from "./sandbox";
import { programPid, runRelease, supervisorctl, type Tools } from "./sandboxRelease";
import { probe } from "./sandboxRequests";
import { startSandboxServices, stopSandboxServices } from "./sandboxServices";
import { setTimeout as sleep } from "node:timers/promises";

export type { Tools } from "./sandboxRelease";

function pidFrom(file: string): number | undefined {
  if (!existsSync(file)) return undefined;
  const pid = Number(readFileSync(file, "utf8").trim());
  return Number.isInteger(pid) && pid > 0 ? pid : undefined;
}

export const supervisordPid = (sandbox: Sandbox) =>
  pidFrom(path.join(sandbox.runDir, "supervisord.pid"));
export const nginxPid = (sandbox: Sandbox) => pidFrom(path.join(sandbox.runDir, "nginx.pid"));

export function isRunning(sandbox: Sandbox): boolean {
  return isAlive(supervisordPid(sandbox)) || isAlive(nginxPid(sandbox));
}

function tail(file: string, lines = 15): string {
  if (!existsSync(file)) return "";
  return readFileSync(file, "utf8").trimEnd().split("\n").slice(-lines).join("\n");
}

async function waitUntil(
  check: () => boolean | Promise<boolean>,
  timeoutMs: number,
): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await check()) return true;
    await sleep(100);
  }
  return check();
}

/**
 * Starts supervisord and nginx, runs the release script for the stack's release (it starts a
 * colour and waits for it), then waits until `healthPath` answers 200 through nginx for every
 * host. Anything it started is stopped again if a step fails.
 */
export async function startSandbox(
  sandbox: Sandbox,
  tools: Tools,
  log: (line: string) => void,
  options: { healthTimeoutMs?: number } = {},
): Promise<void> {
  if (isRunning(sandbox)) {
    throw new UserError(
      `a sandbox for ${sandbox.stack} is already running: npm stop -- --stack ${sandbox.stack}`,
    );
  }
  await assertPortFree(sandbox.port, "the sandbox's --port");
  for (const colour of COLOURS) {
    await assertPortFree(colourPort(sandbox.appPort, colour), `the stack's ${colour} port`);
  }
  try {
    if (sandbox.docker) {
      log(`building ${sandbox.image} from ./app ...`);
      const build = spawnSync(
        "docker",
        ["build", "-t", sandbox.image, path.join(PROJECT_DIR, "app")],
        {
          stdio: "inherit",
        },
      );
      if (build.status !== 0) throw new Error("docker build of ./app failed");
    }
    if (sandbox.services) {
      log("starting the backing services");
      for (const line of await startSandboxServices(sandbox, sandbox.services)) log(`  ${line}`);
    }
    log(`starting supervisord (programs ${COLOURS.map((c) => `${sandbox.app}-${c}`).join(", ")})`);
    const supervisord = spawnSync(tools.supervisord, ["-c", sandbox.supervisorConf], {
      encoding: "utf8",
    });
    if (supervisord.status !== 0)
      throw new Error(`supervisord did not start: ${supervisord.stderr.trim()}`);
    const https = sandbox.tls ? ` and 127.0.0.1:${sandbox.tls.port} (HTTPS)` : "";
    log(`starting nginx on 127.0.0.1:${sandbox.port}${https}`);
    const nginx = spawnSync(tools.nginx, ["-p", sandbox.runDir, "-c", sandbox.nginxConf], {
      encoding: "utf8",
    });
    if (nginx.status !== 0) throw new Error(`nginx did not start: ${nginx.stderr.trim()}`);
    log(`releasing ${sandbox.release} with the stack's release script`);
    const release = await runRelease(sandbox, tools, { onLine: (line) => log(`  ${line}`) });
    if (release.code !== 0) throw new Error(`the release script failed (exit ${release.code})`);
    await waitHealthy(sandbox, log, options.healthTimeoutMs ?? 30000);
  } catch (error) {
    await stopSandbox(sandbox, tools);
    throw error;
  }
}

async function waitHealthy(
  sandbox: Sandbox,
  log: (line: string) => void,
  timeoutMs: number,
): Promise<void> {
  const started = Date.now();
  for (const host of sandbox.hosts) {
    let last = "no answer yet";
    let lastReport = 0;
    const healthy = await waitUntil(
      async () => {
        try {
          const reply = await probe(sandbox, host, sandbox.healthPath, 2000);
          last = `${reply.status} ${reply.body.trim().slice(0, 120)}`;
          return reply.status === 200;
        } catch (error) {
          last = (error as Error).message;
          return false;
        } finally {
          const elapsed = Math.floor((Date.now() - started) / 1000);
          if (elapsed > lastReport) {
            lastReport = elapsed;
            log(
              `  waiting for ${host}${sandbox.healthPath} through nginx: ${elapsed}s (last: ${last})`,
            );
          }
        }
      },
      timeoutMs - (Date.now() - started),
    );
    if (!healthy) {
      throw new Error(
        `GET ${sandbox.healthPath} for ${host} did not answer 200 within ${timeoutMs / 1000}s (last: ${last})\n` +
          `nginx error log:\n${tail(path.join(sandbox.runDir, "logs", "nginx-error.log"))}`,
      );
    }
    log(`  ${host}${sandbox.healthPath}: 200`);
  }
}

/** Stops nginx and supervisord (and with it both colours); returns what was stopped. */
export async function stopSandbox(sandbox: Sandbox, tools: Tools): Promise<string[]> {
  const stopped: string[] = [];
  const up = isAlive(supervisordPid(sandbox));
  const apiPids = COLOURS.map(
    (colour) => [colour, up ? programPid(tools, sandbox, colour) : 0] as const,
  );
  const nginx = nginxPid(sandbox);
  if (isAlive(nginx)) {
    spawnSync(tools.nginx, ["-p", sandbox.runDir, "-c", sandbox.nginxConf, "-s", "quit"]);
    if (!(await waitUntil(() => !isAlive(nginx), 10000))) process.kill(nginx!, "SIGKILL");
    stopped.push(`nginx (pid ${nginx})`);
  }
  const supervisord = supervisordPid(sandbox);
  if (isAlive(supervisord)) {
    supervisorctl(tools, sandbox, "shutdown");
    if (!(await waitUntil(() => !isAlive(supervisord), 40000)))
      process.kill(supervisord!, "SIGKILL");
    stopped.push(`supervisord (pid ${supervisord})`);
  }
  for (const [colour, pid] of apiPids.filter(([, pid]) => pid > 0)) {
    if (!(await waitUntil(() => !isAlive(pid), 10000))) process.kill(pid, "SIGKILL");
    stopped.push(`${sandbox.app}-${colour} (pid ${pid})`);
  }
  // Last: what the API and the processes used, once they are gone.
  stopped.push(...(await stopSandboxServices(sandbox.runDir, sandbox.services ?? [])));
  return stopped;
}

/**
 * `kill -9` of the live API, then seconds until `healthPath` answers 200 through nginx from a new
 * process; undefined if that does not happen within `timeoutMs`.
 */
export async function measureRecovery(
  sandbox: Sandbox,
  tools: Pick<Tools, "supervisorctl">,
  host: string,
  timeoutMs = 10000,
): Promise<number | undefined> {
  const killed = programPid(tools, sandbox);
  if (killed === 0) throw new Error(`the live colour of ${sandbox.app} is not running`);
  const killedAt = Date.now();
  process.kill(killed, "SIGKILL");
  while (Date.now() - killedAt < timeoutMs) {
    const reply = await probe(sandbox, host, sandbox.healthPath, 1000).catch(() => undefined);
    if (reply?.status === 200 && programPid(tools, sandbox) !== killed) {
      return (Date.now() - killedAt) / 1000;
    }
    await sleep(20);
  }
  return undefined;
}
