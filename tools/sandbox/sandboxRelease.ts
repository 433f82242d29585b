/**
 * The API's two colours in a sandbox: supervisorctl, which colour is live, and the release script
 * run exactly as a droplet runs it.
 */
import { spawn, spawnSync } from "node:child_process";
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import * as path from "node:path";
import { CONFIG_DIR, Colour, colourFile } from "../../templates";
import { releaseEnvFile, Sandbox } from "./sandbox";

/** The daemons' programs on this machine (from `requireTools`). */
export interface Tools {
  readonly nginx: string;
  readonly supervisord: string;
  readonly supervisorctl: string;
}

/** `supervisorctl <args>` against the sandbox's supervisord. */
export function supervisorctl(
  tools: Pick<Tools, "supervisorctl">,
  sandbox: Sandbox,
  ...args: string[]
) {
  return spawnSync(tools.supervisorctl, ["-c", sandbox.supervisorConf, ...args], {
    encoding: "utf8",
  });
}

/** The colour new requests go to, as the release script last switched it. */
export function liveColour(sandbox: Sandbox): Colour {
  const file = path.join(sandbox.root, colourFile(sandbox.app));
  return existsSync(file) && readFileSync(file, "utf8").trim() === "green" ? "green" : "blue";
}

/** A colour's pid as supervisord reports it (0 when stopped); the live colour by default. */
export function programPid(
  tools: Pick<Tools, "supervisorctl">,
  sandbox: Sandbox,
  colour = liveColour(sandbox),
): number {
  return (
    Number(supervisorctl(tools, sandbox, "pid", `${sandbox.app}-${colour}`).stdout.trim()) || 0
  );
}

export interface ReleaseRun {
  readonly code: number;
  readonly output: string;
  readonly seconds: number;
}

/**
 * Runs the stack's rendered release script against the sandbox: the same file a droplet runs,
 * pointed at the sandbox's root, supervisord and image. `release` and `extraEnv` rewrite the plain
 * env file first, as `pulumi up` would push it.
 */
export async function runRelease(
  sandbox: Sandbox,
  tools: Pick<Tools, "supervisorctl" | "nginx">,
  options: {
    release?: string;
    extraEnv?: Record<string, string>;
    onLine?: (line: string) => void;
  } = {},
): Promise<ReleaseRun> {
  const release = options.release ?? sandbox.release;
  const envFile = path.join(sandbox.root, CONFIG_DIR, `${sandbox.app}.env`);
  writeFileSync(envFile, releaseEnvFile(sandbox, release, options.extraEnv), { mode: 0o600 });
  const started = Date.now();
  const child = spawn("sh", [sandbox.releaseScript, sandbox.image], {
    env: {
      ...process.env,
      DROPSTACK_ROOT: sandbox.root,
      DROPSTACK_SUPERVISORCTL: `${tools.supervisorctl} -c ${sandbox.supervisorConf}`,
      // Without an engine nothing is pulled; with one, the image was built here.
      DROPSTACK_PULL: sandbox.docker ? "docker image inspect" : "true",
      ...(sandbox.imageRun !== undefined && { DROPSTACK_IMAGE_RUN: sandbox.imageRun }),
      // The sandbox's nginx, checked then reloaded as a droplet's (only when app.port changed).
      DROPSTACK_NGINX_RELOAD: [
        `${tools.nginx} -t -q -p ${sandbox.runDir} -c ${sandbox.nginxConf}`,
        `${tools.nginx} -p ${sandbox.runDir} -c ${sandbox.nginxConf} -s reload`,
      ].join(" && "),
      DROPSTACK_NGINX_PID: path.join(sandbox.runDir, "nginx.pid"),
    },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let output = "";
  const collect = (chunk: Buffer) => {
    const text = chunk.toString("utf8");
    output += text;
    for (const line of text.split("\n").filter(Boolean)) options.onLine?.(line);
  };
  child.stdout.on("data", collect);
  child.stderr.on("data", collect);
  const code = await new Promise<number>((resolve) => child.on("close", (c) => resolve(c ?? 1)));
  return { code, output, seconds: (Date.now() - started) / 1000 };
}
