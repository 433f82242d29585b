/**
 * Pure renderers: every file and script that lands on a droplet is one of these over a mustache
 * template in this folder. Config files are not HTML, so mustache's HTML escaping is turned off
 * once, here; values are validated by config/ before they reach a template.
 */
import { readFileSync } from "node:fs";
import * as path from "node:path";
import Mustache from "mustache";
import { DEPLOY_USER, PREVIOUS_DIR, STAGING_DIR, CONFIG_DIR } from "./paths";

const cache = new Map<string, string>();
function template(name: string): string {
  let text = cache.get(name);
  if (text === undefined) {
    text = readFileSync(path.join(__dirname, name), "utf8");
    cache.set(name, text);
  }
  return text;
}

/** Renders `templates/<name>` with HTML escaping off. */
export function renderTemplate(name: string, view: object): string {
  return Mustache.render(template(name), view, {}, { escape: (value: string) => value });
}

/** The droplet's one-time cloud-init bootstrap. Takes no config on purpose: see the template. */
export function renderCloudInit(): string {
  return renderTemplate("cloud-init.yaml.mustache", {
    deployUser: DEPLOY_USER,
    stagingDir: STAGING_DIR,
    configDir: CONFIG_DIR,
    previousDir: PREVIOUS_DIR,
  });
}

export interface NginxSiteView {
  /** Stack name, for the header comment. */
  readonly stack: string;
  /** Name of the nginx upstream block. */
  readonly upstream: string;
  readonly appPort: number;
  /** Every FQDN the site answers for. */
  readonly serverNames: string[];
  readonly clientMaxBodySize: string;
  readonly readTimeoutSeconds: number;
  /** What nginx listens on: `80` on a droplet; the sandbox passes `127.0.0.1:<port>`. */
  readonly listen?: string;
  /** Also listen on IPv6 (droplets do; the sandbox's loopback-only listen does not). */
  readonly ipv6?: boolean;
}

export function renderNginxSite(view: NginxSiteView): string {
  return renderTemplate("nginx-site.conf.mustache", { listen: "80", ipv6: true, ...view });
}

export interface SupervisorProgramView {
  readonly stack: string;
  /** Program name, `[program:<name>]`. */
  readonly name: string;
  readonly command: string;
  /** Variables for the process itself (not the container's). */
  readonly environment?: Record<string, string>;
  readonly startSeconds?: number;
  readonly stopWaitSeconds?: number;
  readonly logDir?: string;
}

/** supervisord expands `%(name)s` in values, so a literal % is doubled; quotes are escaped. */
function supervisorEnvironment(environment: Record<string, string>): string {
  return Object.entries(environment)
    .map(([key, value]) => `${key}="${value.replace(/%/g, "%%").replace(/(["\\])/g, "\\$1")}"`)
    .join(",");
}

export function renderSupervisorProgram(view: SupervisorProgramView): string {
  const environment = supervisorEnvironment(view.environment ?? {});
  return renderTemplate("supervisor-program.conf.mustache", {
    startSeconds: 5,
    stopWaitSeconds: 30,
    logDir: "/var/log/supervisor",
    ...view,
    command: view.command.replace(/%/g, "%%"),
    environment: environment || undefined,
  });
}

/** A docker `--env-file`: one `NAME=value` per line, taken literally (no quotes, no expansion). */
export function renderEnvFile(variables: Record<string, string>): string {
  return Object.entries(variables)
    .map(([key, value]) => `${key}=${value}\n`)
    .join("");
}

export interface InstallFileView {
  /** The file's name relative to the droplet, `<kind>/<file>` (as `plan --out` writes it). */
  readonly file: string;
  /** Where it is installed. */
  readonly target: string;
  /** Octal mode, e.g. 0644 or 0600 for files holding secrets. */
  readonly mode: string;
  /** Command that must succeed with the new file in place, or the old one is restored. */
  readonly check: string;
  /** Command that puts the checked file into effect. */
  readonly apply: string;
}

/** The first line of every install script: what `plan --out` reads to place the file. */
export const INSTALL_FILE_HEADER = /^# dropstack file (\S+) -> (\S+)\n/;

/** Installs stdin as `target`; staged and previous copies are named after `file`, so never shared. */
export function renderInstallFile(view: InstallFileView): string {
  const flat = view.file.replace(/\//g, ".");
  return renderTemplate("install-file.sh.mustache", {
    ...view,
    staged: `${STAGING_DIR}/${flat}`,
    previous: `${PREVIOUS_DIR}/${flat}`,
  });
}

export function renderWaitForBootstrap(): string {
  return renderTemplate("wait-for-bootstrap.sh.mustache", {});
}

export interface DockerRunView {
  /** Container name; any leftover container of that name is removed first. */
  readonly name: string;
  readonly port: number;
  readonly envFiles: string[];
  /** Image reference, pinned by digest where the build provides one. */
  readonly image: string;
}

/**
 * The API's supervisor command: the container in the foreground, published on loopback only.
 * `docker rm -f` first, because a container orphaned by a killed client would hold the name.
 */
export function renderDockerRun(view: DockerRunView): string {
  const envFiles = view.envFiles.map((file) => ` --env-file ${file}`).join("");
  return (
    `/bin/sh -c 'docker rm -f ${view.name} >/dev/null 2>&1; exec docker run --rm --name ${view.name}` +
    ` -p 127.0.0.1:${view.port}:${view.port}${envFiles} ${view.image}'`
  );
}
