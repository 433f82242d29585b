/**
 * Starting, probing and stopping a prepared sandbox's supervisord and nginx. Both daemonize, so
 * a detached sandbox outlives the command that started it; `stopSandbox` ends both and checks
 * that no process of theirs is left.
 */
import { spawnSync } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import { request as httpRequest } from "node:http";
import * as path from "node:path";
import { assertPortFree, Sandbox } from "./sandbox";
import { PROJECT_DIR } from "./stackFiles";

export interface Tools {
  readonly nginx: string;
  readonly supervisord: string;
  readonly supervisorctl: string;
}

export interface Reply {
  readonly status: number;
  readonly headers: Record<string, string | string[] | undefined>;
  readonly body: string;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** One HTTP request to the sandbox's nginx with the given Host header. */
export function request(
  sandbox: Pick<Sandbox, "port">,
  host: string,
  urlPath: string,
  options: { method?: string; body?: Buffer | string; timeoutMs?: number; port?: number } = {},
): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const req = httpRequest(
      {
        host: "127.0.0.1",
        port: options.port ?? sandbox.port,
        path: urlPath,
        method: options.method ?? "GET",
        headers: { Host: host, Connection: "close" },
        timeout: options.timeoutMs ?? 5000,
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on("data", (chunk: Buffer) => chunks.push(chunk));
        res.on("end", () =>
          resolve({
            status: res.statusCode ?? 0,
            headers: res.headers,
            body: Buffer.concat(chunks).toString("utf8"),
          }),
        );
      },
    );
    req.on("timeout", () =>
      req.destroy(new Error(`no answer within ${options.timeoutMs ?? 5000} ms`)),
    );
    req.on("error", reject);
    req.end(options.body);
  });
}

function pidFrom(file: string): number | undefined {
  if (!existsSync(file)) return undefined;
  const pid = Number(readFileSync(file, "utf8").trim());
  return Number.isInteger(pid) && pid > 0 ? pid : undefined;
}

export function isAlive(pid: number | undefined): boolean {
  if (pid === undefined) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

export const supervisordPid = (sandbox: Sandbox) =>
  pidFrom(path.join(sandbox.runDir, "supervisord.pid"));
export const nginxPid = (sandbox: Sandbox) => pidFrom(path.join(sandbox.runDir, "nginx.pid"));

export function isRunning(sandbox: Sandbox): boolean {
  return isAlive(supervisordPid(sandbox)) || isAlive(nginxPid(sandbox));
}

/** `supervisorctl <args>` against the sandbox's supervisord. */
export function supervisorctl(tools: Tools, sandbox: Sandbox, ...args: string[]) {
  return spawnSync(tools.supervisorctl, ["-c", sandbox.supervisorConf, ...args], {
    encoding: "utf8",
  });
}

/** The API's pid as supervisord reports it (0 when stopped). */
export function programPid(tools: Tools, sandbox: Sandbox): number {
  return Number(supervisorctl(tools, sandbox, "pid", sandbox.program).stdout.trim()) || 0;
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
 * Starts supervisord (which starts the API) and nginx, then waits until `healthPath` answers 200
 * through nginx for every host. Anything it started is stopped again if a step fails.
 */
export async function startSandbox(
  sandbox: Sandbox,
  tools: Tools,
  log: (line: string) => void,
  options: { healthTimeoutMs?: number; dockerImage?: string } = {},
): Promise<void> {
  if (isRunning(sandbox)) {
    throw new Error(
      `a sandbox for ${sandbox.stack} is already running: npm stop -- --stack ${sandbox.stack}`,
    );
  }
  await assertPortFree(sandbox.port, "the sandbox's --port");
  await assertPortFree(sandbox.appPort, "the stack's app.port");
  try {
    if (options.dockerImage) {
      log(`building ${options.dockerImage} from ./app ...`);
      const build = spawnSync(
        "docker",
        ["build", "-t", options.dockerImage, path.join(PROJECT_DIR, "app")],
        { stdio: "inherit" },
      );
      if (build.status !== 0) throw new Error("docker build of ./app failed");
    }
    log(`starting supervisord (program ${sandbox.program} on 127.0.0.1:${sandbox.appPort})`);
    const supervisord = spawnSync(tools.supervisord, ["-c", sandbox.supervisorConf], {
      encoding: "utf8",
    });
    if (supervisord.status !== 0)
      throw new Error(`supervisord did not start: ${supervisord.stderr.trim()}`);
    log(`starting nginx on 127.0.0.1:${sandbox.port}`);
    const nginx = spawnSync(tools.nginx, ["-p", sandbox.runDir, "-c", sandbox.nginxConf], {
      encoding: "utf8",
    });
    if (nginx.status !== 0) throw new Error(`nginx did not start: ${nginx.stderr.trim()}`);
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
          const reply = await request(sandbox, host, sandbox.healthPath, { timeoutMs: 2000 });
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
          `API log:\n${tail(path.join(sandbox.runDir, "logs", `${sandbox.program}.err.log`))}\n` +
          `${tail(path.join(sandbox.runDir, "logs", `${sandbox.program}.out.log`))}`,
      );
    }
    log(`  ${host}${sandbox.healthPath}: 200`);
  }
}

/** Stops nginx and supervisord (and with it the API); returns what was stopped. */
export async function stopSandbox(sandbox: Sandbox, tools: Tools): Promise<string[]> {
  const stopped: string[] = [];
  const apiPid = isAlive(supervisordPid(sandbox)) ? programPid(tools, sandbox) : 0;
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
  if (apiPid > 0) {
    if (!(await waitUntil(() => !isAlive(apiPid), 10000))) process.kill(apiPid, "SIGKILL");
    stopped.push(`${sandbox.program} (pid ${apiPid})`);
  }
  return stopped;
}
