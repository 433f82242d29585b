/**
 * The local sandbox: the files `plan --out` renders for a stack's first droplet, run on this machine
 * by real supervisord and nginx, released by the very same release script. What differs from a
 * droplet is printed when it starts: nginx listens on 127.0.0.1:<port> instead of port 80 (and, for
 * a stack that serves HTTPS, on 127.0.0.1:<tlsPort> instead of 443, with a self-signed certificate
 * for the stack's hosts instead of certbot's); the droplet's /etc/dropstack and /var/lib/dropstack
 * live under .sandbox/<stack>/root; and without a Docker engine each colour's container command
 * becomes the sample API run by node with the same env files, bound to 127.0.0.1.
 */
import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import * as path from "node:path";
import { apiEnvironment } from "../../components/ApiService";
import { colourModuleFile } from "../../components/NginxSite";
import { SECRET_MASK, StackConfig, fqdn } from "../../config";
import {
  COLOURS,
  CONFIG_DIR,
  STATE_DIR,
  colourPort,
  renderEnvFile,
  upstreamsDefaultFile,
  upstreamsFile,
} from "../../templates";
import type { PlannedFile } from "../plan/planOutput";
import { UserError } from "../shared/errors";
import { PROJECT_DIR } from "../shared/projectPaths";
import {
  nginxMainConf,
  remapListen,
  remapPaths,
  substituteProgram,
  supervisordConf,
} from "./sandboxConfigs";
import { SandboxService, sandboxServicesOf } from "./sandboxServices";
import { SandboxTls, defaultTlsPort, prepareTls, remapTlsPaths, servesHttps } from "./sandboxTls";

export const SANDBOX_ROOT = path.join(PROJECT_DIR, ".sandbox");

/** Everything needed to start, release, probe and stop one stack's sandbox. */
export interface Sandbox {
  readonly stack: string;
  /** `.sandbox/<stack>`: the planned files, `root/` for the droplet's state, `run/` for the rest. */
  readonly dir: string;
  readonly root: string;
  readonly runDir: string;
  readonly port: number;
  readonly appPort: number;
  readonly app: string;
  readonly release: string;
  /** app.env as the stack sets it (a release may add variables on top). */
  readonly env: Record<string, string>;
  readonly healthPath: string;
  readonly hosts: string[];
  /** The rendered release script, as planned. */
  readonly releaseScript: string;
  /** What the release script is given as the image. */
  readonly image: string;
  readonly docker: boolean;
  /** Without an engine, what the release runs app.migrate with (DROPSTACK_IMAGE_RUN). */
  readonly imageRun?: string;
  /** The supervisor programs of app.processes on the first droplet, e.g. `api-worker`. */
  readonly processPrograms: string[];
  readonly supervisorConf: string;
  readonly nginxConf: string;
  /** What differs from the droplet, one line each, for the user to read. */
  readonly substitutions: string[];
  /** Set when the stack's site serves HTTPS (proxy.tls letsencrypt on one droplet). */
  readonly tls?: SandboxTls;
  /** The stack's `services`, each a real server on 127.0.0.1 (sandboxServices.ts). */
  readonly services?: SandboxService[];
}

export function sandboxDir(stack: string): string {
  return path.join(SANDBOX_ROOT, stack);
}

/** Fails with the port in the message if something already listens on 127.0.0.1:<port>. */
export async function assertPortFree(port: number, what: string): Promise<void> {
  await new Promise<void>((resolve, reject) => {
    const server = createServer();
    server.once("error", () =>
      reject(new UserError(`port ${port} (${what}) is already in use on 127.0.0.1`)),
    );
    server.listen(port, "127.0.0.1", () => server.close(() => resolve()));
  });
}

export interface PrepareOptions {
  readonly stack: string;
  readonly config: StackConfig;
  readonly files: PlannedFile[];
  readonly port: number;
  /** nginx's HTTPS port when the stack serves HTTPS; `defaultTlsPort(port)` unless given. */
  readonly tlsPort?: number;
  /** Runs the real containers when a Docker engine answers. */
  readonly docker: boolean;
  readonly nodePath?: string;
}

/** The plain env file a release reads: app.env (plus `extra`) and RELEASE. */
export function releaseEnvFile(
  sandbox: Pick<Sandbox, "env">,
  release: string,
  extra: Record<string, string> = {},
) {
  return renderEnvFile(apiEnvironment({ env: { ...sandbox.env, ...extra }, release }));
}

/** Writes the planned files and the sandbox's own configs under `.sandbox/<stack>`. */
export function prepareSandbox(options: PrepareOptions): Sandbox {
  const { stack, config, port } = options;
  const app = config.app.name;
  const dir = sandboxDir(stack);
  const root = path.join(dir, "root");
  const runDir = path.join(dir, "run");
  rmSync(dir, { recursive: true, force: true });
  for (const file of options.files) {
    mkdirSync(path.dirname(path.join(dir, file.path)), { recursive: true });
    writeFileSync(path.join(dir, file.path), file.content);
  }
  const droplet = path.join(dir, `${stack}-web-1`);
  const planned = (file: string) => readFileSync(path.join(droplet, file), "utf8");
  for (const sub of ["logs", "conf.d", "nginx-tmp"])
    mkdirSync(path.join(runDir, sub), { recursive: true });
  for (const sub of [CONFIG_DIR, STATE_DIR])
    mkdirSync(path.join(root, sub), { recursive: true, mode: 0o700 });

  const substitutions = [
    `nginx listens on 127.0.0.1:${port} instead of port 80 (and no IPv6)`,
    `${CONFIG_DIR} and ${STATE_DIR} are under ${path.relative(PROJECT_DIR, root)}/`,
  ];
  // The env files a release reads. One the plan withholds (dropstack:app holds a secret) is rendered
  // again from the stack's plain values; secret values stay out of the sandbox.
  const sandboxEnv = { env: config.app.env };
  const plainEnv = planned(`env/${app}.env`);
  const envText =
    plainEnv === `${SECRET_MASK}\n` ? releaseEnvFile(sandboxEnv, config.app.release) : plainEnv;
  if (envText !== plainEnv)
    substitutions.push(
      `${app}.env is withheld by the plan: rendered again from app.env and RELEASE`,
    );
  writeFileSync(path.join(root, CONFIG_DIR, `${app}.env`), envText, { mode: 0o600 });
  if (Object.keys(config.app.secretEnv).length > 0) {
    substitutions.push(
      "app.secretEnv is not decrypted offline: the API runs without those variables",
    );
  }
  const services = sandboxServicesOf(config.services);
  if (services.length > 0) {
    substitutions.push(
      "each of services is a real server on 127.0.0.1 (PostgreSQL 15, Redis 7) instead of a managed cluster, open to this machine (no database firewall); the API runs with node even where Docker answers (a container could not reach this machine's loopback)",
    );
  }

  const image = options.docker
    ? `dropstack-sandbox/${app}:${config.app.release}`
    : "sandbox/no-image:node";
  // A colour's or a process's program as planned; without an engine, `sandboxCommand` instead.
  const writeProgram = (
    program: string,
    sandboxCommand: (file: (part: string) => string) => string,
  ) => {
    const section = remapPaths(planned(`supervisor/${program}.conf`), root);
    const file = (part: string) => path.join(root, CONFIG_DIR, `${program}.${part}`);
    const command = options.docker ? /^command=(.*)$/m.exec(section)![1] : sandboxCommand(file);
    writeFileSync(
      path.join(runDir, "conf.d", `${program}.conf`),
      substituteProgram(section, command, `${runDir}/logs`),
    );
  };
  for (const colour of COLOURS) {
    writeProgram(
      `${app}-${colour}`,
      (file) =>
        `/usr/bin/env BIND_ADDRESS=127.0.0.1 ${options.nodePath ?? process.execPath}` +
        ` --env-file=${file("env")} --env-file=${file("secret.env")}` +
        ` ${path.join(PROJECT_DIR, "app", "server.js")}`,
    );
  }
  // Without an engine app.migrate and the processes run their commands in ./app, with node.
  const imageRun = `sh ${path.join(PROJECT_DIR, "tools", "sandbox", "runInImage.sh")} ${path.dirname(options.nodePath ?? process.execPath)}`;
  const processPrograms = Object.keys(config.app.processes).map((name) => `${app}-${name}`);
  for (const program of processPrograms) {
    writeProgram(
      program,
      (file) =>
        `/bin/sh -c 'eval "exec ${imageRun} ${file("env")} ${file("secret.env")} $(cat ${file("command")})"'`,
    );
  }
  if (!options.docker && (processPrograms.length > 0 || config.app.migrate !== undefined)) {
    substitutions.push(
      "app.migrate and app.processes run their commands in ./app with node (tools/sandbox/runInImage.sh), the env files' variables only",
    );
  }
  substitutions.push(
    options.docker
      ? `the containers run ${image}, built from ./app here, instead of the registry image`
      : `no Docker engine answers: each colour's container command is replaced by the sample API (node app/server.js) with the same env files, bound to 127.0.0.1:${colourPort(config.app.port, "blue")}/${colourPort(config.app.port, "green")}`,
  );

  const jsPath = path.join(runDir, `${app}-colour.js`);
  writeFileSync(jsPath, remapPaths(planned(`nginx/${app}-colour.js`), root));
  const hosts = config.hosts.map((host) => fqdn(host, config.domain));
  const plannedSite = planned("nginx/dropstack.conf");
  const tls = servesHttps(plannedSite)
    ? prepareTls(runDir, hosts, options.tlsPort ?? defaultTlsPort(port), substitutions)
    : undefined;
  // The live upstreams start as the planned default, as on a droplet; releases move them there.
  const upstreamsPath = path.join(root, upstreamsFile(app));
  mkdirSync(path.dirname(upstreamsPath), { recursive: true });
  const upstreams = planned(`nginx/${app}-upstreams.default.conf`);
  writeFileSync(path.join(root, upstreamsDefaultFile(app)), upstreams);
  writeFileSync(upstreamsPath, upstreams);
  const sitePath = path.join(runDir, "site.conf");
  const remapped = remapListen(plannedSite, port, tls?.port)
    .split(colourModuleFile(app))
    .join(jsPath)
    .split(upstreamsFile(app))
    .join(upstreamsPath);
  const site = tls ? remapTlsPaths(remapped, tls) : remapped;
  writeFileSync(sitePath, site);
  const nginxConfPath = path.join(runDir, "nginx.conf");
  writeFileSync(nginxConfPath, nginxMainConf(runDir, sitePath));
  const supervisorConfPath = path.join(runDir, "supervisord.conf");
  writeFileSync(supervisorConfPath, supervisordConf(runDir));

  const sandbox: Sandbox = {
    stack,
    dir,
    root,
    runDir,
    port,
    appPort: config.app.port,
    app,
    release: config.app.release,
    env: config.app.env,
    healthPath: config.app.healthPath,
    hosts,
    releaseScript: path.join(droplet, "bin", `${app}-release`),
    image,
    docker: options.docker,
    ...(!options.docker && { imageRun }),
    processPrograms,
    supervisorConf: supervisorConfPath,
    nginxConf: nginxConfPath,
    substitutions,
    ...(tls && { tls }),
    ...(services.length > 0 && { services }),
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
