/**
 * The local sandbox: the files `plan --out` renders for a stack's first droplet, run on this machine
 * by real supervisord and nginx. Two deliberate changes, both printed: nginx listens on
 * 127.0.0.1:<port> instead of port 80, and without a Docker engine the container command becomes
 * the sample API run by node with the same env file (PORT, RELEASE, app.env), bound to 127.0.0.1.
 */
import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import * as path from "node:path";
import { StackConfig, fqdn } from "../../config";
import { apiEnvironment } from "../../components/ApiService";
import { CONFIG_DIR, renderEnvFile } from "../../templates";
import type { PlannedFile } from "./planOutput";
import { PROJECT_DIR } from "./stackFiles";
import { SECRET_MASK } from "./secrets";

export const SANDBOX_ROOT = path.join(PROJECT_DIR, ".sandbox");

/** Everything needed to start, probe and stop one stack's sandbox. */
export interface Sandbox {
  readonly stack: string;
  /** `.sandbox/<stack>`: the planned files, plus `run/` for what the sandbox adds. */
  readonly dir: string;
  readonly runDir: string;
  readonly port: number;
  readonly appPort: number;
  readonly program: string;
  readonly release: string;
  readonly healthPath: string;
  readonly hosts: string[];
  readonly supervisorConf: string;
  readonly nginxConf: string;
  /** What differs from the droplet, one line each, for the user to read. */
  readonly substitutions: string[];
}

export function sandboxDir(stack: string): string {
  return path.join(SANDBOX_ROOT, stack);
}

/** Fails with the port in the message if something already listens on 127.0.0.1:<port>. */
export async function assertPortFree(port: number, what: string): Promise<void> {
  await new Promise<void>((resolve, reject) => {
    const server = createServer();
    server.once("error", () =>
      reject(new Error(`port ${port} (${what}) is already in use on 127.0.0.1`)),
    );
    server.listen(port, "127.0.0.1", () => server.close(() => resolve()));
  });
}

/** nginx on loopback at the sandbox port, without the IPv6 listeners a droplet has. */
export function remapListen(site: string, port: number): string {
  return site
    .replace(/^\s*listen \[::\]:80( default_server)?;\n/gm, "")
    .replace(/^(\s*)listen 80( default_server)?;$/gm, `$1listen 127.0.0.1:${port}$2;`);
}

/** The rendered program section with its command swapped for one that runs here, logs kept local. */
export function substituteProgram(section: string, command: string, logDir: string): string {
  const lines = section.split("\n");
  const at = lines.findIndex((line) => line.startsWith("command="));
  if (at < 0) throw new Error("the rendered supervisor program has no command= line");
  lines[at] = `command=${command.replace(/%/g, "%%")}`;
  return lines.join("\n").replace(/\/var\/log\/supervisor/g, logDir);
}

function supervisordConf(runDir: string): string {
  return [
    "; supervisord for the dropstack sandbox: a unix socket in the scratch dir, nothing system-wide.",
    "[unix_http_server]",
    `file=${runDir}/supervisor.sock`,
    "chmod=0700",
    "[supervisord]",
    `pidfile=${runDir}/supervisord.pid`,
    `logfile=${runDir}/logs/supervisord.log`,
    `childlogdir=${runDir}/logs`,
    "[rpcinterface:supervisor]",
    "supervisor.rpcinterface_factory = supervisor.rpcinterface:make_main_rpcinterface",
    "[supervisorctl]",
    `serverurl=unix://${runDir}/supervisor.sock`,
    "[include]",
    `files=${runDir}/conf.d/*.conf`,
    "",
  ].join("\n");
}

function nginxConf(runDir: string, sitePath: string): string {
  const tmp = (name: string) => `${runDir}/nginx-tmp/${name}`;
  return [
    "# nginx main config for the dropstack sandbox; the site below is the rendered one, listen remapped.",
    process.getuid?.() === 0 ? "user root;" : "",
    "worker_processes auto;",
    `pid ${runDir}/nginx.pid;`,
    `error_log ${runDir}/logs/nginx-error.log warn;`,
    "events { worker_connections 1024; }",
    "http {",
    `    access_log ${runDir}/logs/nginx-access.log;`,
    `    client_body_temp_path ${tmp("body")};`,
    `    proxy_temp_path ${tmp("proxy")};`,
    `    fastcgi_temp_path ${tmp("fastcgi")};`,
    `    uwsgi_temp_path ${tmp("uwsgi")};`,
    `    scgi_temp_path ${tmp("scgi")};`,
    `    include ${sitePath};`,
    "}",
    "",
  ].join("\n");
}

export interface PrepareOptions {
  readonly stack: string;
  readonly config: StackConfig;
  readonly files: PlannedFile[];
  readonly port: number;
  /** Runs the real container when a Docker engine answers. */
  readonly docker: boolean;
  readonly nodePath?: string;
}

/** Writes the planned files and the sandbox's own configs under `.sandbox/<stack>`. */
export function prepareSandbox(options: PrepareOptions): Sandbox {
  const { stack, config, port } = options;
  const dir = sandboxDir(stack);
  const runDir = path.join(dir, "run");
  rmSync(dir, { recursive: true, force: true });
  for (const file of options.files) {
    mkdirSync(path.dirname(path.join(dir, file.path)), { recursive: true });
    writeFileSync(path.join(dir, file.path), file.content);
  }
  const droplet = path.join(dir, `${stack}-web-1`);
  for (const sub of ["logs", "conf.d", "nginx-tmp"])
    mkdirSync(path.join(runDir, sub), { recursive: true });

  const program = config.app.name;
  const section = readFileSync(path.join(droplet, "supervisor", `${program}.conf`), "utf8");
  const renderedCommand = /^command=(.*)$/m.exec(section)?.[1] ?? "";
  const substitutions: string[] = [
    `nginx listens on 127.0.0.1:${port} instead of port 80 (and no IPv6)`,
  ];
  // The env files the container would read, where the plan wrote them. A withheld plain env file
  // (dropstack:app holds a secret) is rendered again from the stack's plain values; secrets stay out.
  const plainEnvFile = `${program}.env`;
  const envFiles = [...renderedCommand.matchAll(/--env-file (\S+)/g)].flatMap((m) => {
    const name = path.posix.relative(CONFIG_DIR, m[1]);
    const file = path.join(droplet, "env", name);
    if (readFileSync(file, "utf8") !== `${SECRET_MASK}\n`) return [file];
    if (name !== plainEnvFile) return [];
    const local = path.join(runDir, plainEnvFile);
    writeFileSync(local, renderEnvFile(apiEnvironment(config.app)), { mode: 0o600 });
    substitutions.push(
      `${plainEnvFile} is withheld by the plan: rendered again from app.env, PORT and RELEASE`,
    );
    return [local];
  });
  let command: string;
  if (options.docker) {
    const image = `dropstack-sandbox/${program}:${config.app.release}`;
    command = `docker run --rm --name dropstack-sandbox-${program} -p 127.0.0.1:${config.app.port}:${config.app.port}${envFiles.map((f) => ` --env-file ${f}`).join("")} ${image}`;
    substitutions.push(
      `the container runs ${image}, built from ./app here, instead of the registry image`,
    );
  } else {
    const node = options.nodePath ?? process.execPath;
    const envArgs = envFiles.map((file) => ` --env-file=${file}`).join("");
    command = `/usr/bin/env BIND_ADDRESS=127.0.0.1 ${node}${envArgs} ${path.join(PROJECT_DIR, "app", "server.js")}`;
    substitutions.push(
      `no Docker engine answers: the container command is replaced by the sample API (node app/server.js) with the same env file, bound to 127.0.0.1:${config.app.port}`,
    );
  }
  if (Object.keys(config.app.secretEnv).length > 0) {
    substitutions.push(
      "app.secretEnv is not decrypted offline: the API runs without those variables",
    );
  }
  writeFileSync(
    path.join(runDir, "conf.d", `${program}.conf`),
    substituteProgram(section, command, `${runDir}/logs`),
  );
  const supervisorConfPath = path.join(runDir, "supervisord.conf");
  writeFileSync(supervisorConfPath, supervisordConf(runDir));
  const site = readFileSync(path.join(droplet, "nginx", "dropstack.conf"), "utf8");
  const sitePath = path.join(runDir, "site.conf");
  writeFileSync(sitePath, remapListen(site, port));
  const nginxConfPath = path.join(runDir, "nginx.conf");
  writeFileSync(nginxConfPath, nginxConf(runDir, sitePath));
  const sandbox: Sandbox = {
    stack,
    dir,
    runDir,
    port,
    appPort: config.app.port,
    program,
    release: config.app.release,
    healthPath: config.app.healthPath,
    hosts: config.hosts.map((host) => fqdn(host, config.domain)),
    supervisorConf: supervisorConfPath,
    nginxConf: nginxConfPath,
    substitutions,
  };
  writeFileSync(path.join(runDir, "sandbox.json"), JSON.stringify(sandbox, null, 2));
  return sandbox;
}

/** The sandbox last prepared for `stack`, if any. */
export function readSandbox(stack: string): Sandbox | undefined {
  const file = path.join(sandboxDir(stack), "run", "sandbox.json");
  return existsSync(file) ? (JSON.parse(readFileSync(file, "utf8")) as Sandbox) : undefined;
}

export function dockerEngineAnswers(): boolean {
  return spawnSync("docker", ["info"], { stdio: "ignore", timeout: 5000 }).status === 0;
}
