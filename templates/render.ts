/**
 * Pure renderers: every file and script that lands on a droplet is one of these over a mustache
 * template in this folder. Config files are not HTML, so mustache's HTML escaping is turned off
 * once, here; values are validated by config/ before they reach a template.
 */
import { readFileSync } from "node:fs";
import * as path from "node:path";
import Mustache from "mustache";
import type { ContainerLimits } from "../config/containerLimits";
import { imageCommandWords } from "../config/imageCommand";
import {
  APT_RETRY_FILE,
  CONFIG_DIR,
  PREVIOUS_DIR,
  STAGING_DIR,
  STATE_DIR,
  SUPERVISOR_DIR,
  ACME_ROOT,
  TLS_CERTIFICATE,
  TLS_CERTIFICATE_KEY,
  TLS_CUSTOM_CERTIFICATE,
  TLS_CERT_NAME,
  TLS_DEPLOY_HOOK,
  OUT_OF_ROTATION_FILE,
  BALANCER_HEALTH_PATH,
  colourFile,
  colourPort,
  upstreamsDefaultFile,
  upstreamsFile,
  releaseScript,
} from "./paths";

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

export interface NginxSiteView {
  /** Stack name, for the header comment. */
  readonly stack: string;
  /** The app's name; its upstreams are `<app>_blue` and `<app>_green` (`upstreamsFile(app)`). */
  readonly app: string;
  /** Every FQDN the site answers for. */
  readonly serverNames: string[];
  readonly clientMaxBodySize: string;
  readonly readTimeoutSeconds: number;
  /** The njs module that reads the live colour (see `renderNginxColourModule`). */
  readonly jsFile: string;
  /**
   * nginx terminates TLS itself (proxy.tls letsencrypt or custom), with the certificate certbot's
   * deploy hook links (or a placeholder) or the stack's own. Behind a balancer too: it sends
   * HTTPS on to port 80, but a client that still holds the droplet's own address from before the
   * move behind it is served over HTTPS until the firewall admits the balancer alone. The site always listens on 80 and 443, IPv4 and IPv6, as on a
   * droplet; the sandbox moves the listeners of the planned file (`remapListen`).
   */
  readonly tls?: boolean;
  /** With `tls`: the stack's own certificate (proxy.tls custom) instead of certbot's. */
  readonly customCertificate?: boolean;
  /** Droplets sit behind a DigitalOcean load balancer that terminates TLS and health-checks them. */
  readonly loadBalancer?: { readonly healthPath: string };
  /** Send Strict-Transport-Security (production stacks that serve HTTPS). */
  readonly hsts?: boolean;
}

/** nginx names (variables, upstreams) cannot hold dashes; app names can. */
const nginxId = (app: string) => app.replace(/-/g, "_");

/**
 * The default server's health locations behind a balancer: its own fixed path, passing the app's
 * healthPath (query and all) on, and healthPath itself unless it is that path. nginx matches a
 * location without the query; a client still asks with it.
 */
function balancerHealth(healthPath: string) {
  const path = healthPath.split("?")[0];
  return {
    balancerHealthPath: BALANCER_HEALTH_PATH,
    healthUri: healthPath,
    healthPath: path === BALANCER_HEALTH_PATH ? undefined : path,
    outOfRotationFile: OUT_OF_ROTATION_FILE,
  };
}

export function renderNginxSite(view: NginxSiteView): string {
  const id = nginxId(view.app);
  return renderTemplate("nginx-site.conf.mustache", {
    ...view,
    tls: view.tls && {
      certificate: view.customCertificate ? TLS_CUSTOM_CERTIFICATE : TLS_CERTIFICATE,
      certificateKey: view.customCertificate ? TLS_CUSTOM_CERTIFICATE : TLS_CERTIFICATE_KEY,
    },
    // Served alone, plain HTTP redirects to HTTPS; behind the balancer it is how HTTPS arrives.
    redirectHttp: view.tls && !view.loadBalancer && { acmeRoot: ACME_ROOT },
    listenHttp: !view.tls || view.loadBalancer !== undefined,
    loadBalancer: view.loadBalancer && balancerHealth(view.loadBalancer.healthPath),
    forwardedProto: view.loadBalancer ? `$dropstack_${id}_proto` : "$scheme",
    id,
    upstreamsFile: upstreamsFile(view.app),
  });
}

export interface NginxUpstreamsView {
  readonly stack: string;
  readonly app: string;
  /** app.port: blue listens there, green on the next port. */
  readonly appPort: number;
}

/** Blue's and green's upstreams for app.port as configured (`upstreamsDefaultFile`). */
export function renderNginxUpstreams(view: NginxUpstreamsView): string {
  return renderTemplate("nginx-upstreams.conf.mustache", {
    ...view,
    id: nginxId(view.app),
    defaultFile: upstreamsDefaultFile(view.app),
    bluePort: colourPort(view.appPort, "blue"),
    greenPort: colourPort(view.appPort, "green"),
  });
}

/** The njs module nginx asks, per request, which colour is live. */
export function renderNginxColourModule(app: string): string {
  return renderTemplate("nginx-colour.js.mustache", { app, colourFile: colourFile(app) });
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
  /** Start with supervisord; the colours do not (the release script starts them). */
  readonly autostart?: boolean;
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
    autostart: true,
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

export interface WaitForSshView {
  /** The droplet's name, for the error. */
  readonly droplet: string;
  /** Its SSH port (22). */
  readonly port: number;
  /** How long it has to answer. */
  readonly seconds: number;
}

/**
 * Run where `pulumi up` runs before a droplet's first SSH step: waits up to `seconds` for its SSH
 * port (at `$ADDRESS`) to answer, else fails naming the droplet and, when nothing came back, the
 * firewall.
 */
export function renderWaitForSsh(view: WaitForSshView): string {
  return renderTemplate("wait-for-ssh.sh.mustache", view);
}

/**
 * What every container of the API runs under (colours, processes, the migration): no capabilities
 * and no way to gain any, a read-only root with tmpfs where it writes, a uid that is not root, and
 * the droplet's share of memory (no swap beyond it), CPU and pids. `--restart no`: supervisord
 * restarts a colour that exits (the container runs in its foreground, `--rm`), docker never does,
 * so the two never both start one. Values are the config's checked ones: no shell quoting needed.
 */
export function containerFlags(limits: ContainerLimits): string {
  return [
    "--restart no",
    "--cap-drop ALL",
    "--security-opt no-new-privileges",
    "--read-only",
    ...limits.tmpfs.map(
      (mount) => `--tmpfs ${mount}:rw,noexec,nosuid,nodev,size=${limits.tmpfsSize}`,
    ),
    `--user ${limits.user}`,
    `--memory ${limits.memoryMiB}m`,
    `--memory-swap ${limits.memoryMiB}m`,
    // What `--cpus` sets, as the kernel's CFS quota per 100 ms period; `--cpus` itself is refused
    // above the CPUs docker sees, which a local cloud's droplets (all on one machine) may lack.
    "--cpu-period 100000",
    `--cpu-quota ${Math.round(limits.cpus * 100000)}`,
    `--pids-limit ${limits.pids}`,
  ].join(" ");
}

export interface DockerRunView {
  /** Container name; any leftover container of that name is removed first. */
  readonly name: string;
  /** Published on 127.0.0.1; a process (`app.processes`) has none. */
  readonly port?: number;
  readonly envFiles: string[];
  /** File holding the image reference (by digest), written by the release script. */
  readonly imageFile: string;
  /** File holding a command for the image's shell (a process's), instead of the image's own. */
  readonly commandFile?: string;
  /** File holding the bounds it runs under (`containerFlags`), written by the release script. */
  readonly flagsFile: string;
}

/**
 * A colour's supervisor command: its container in the foreground, published on loopback only.
 * The image and the bounds are read from files so a release never edits (and so never restarts)
 * the program: a release writes them for the idle colour, and a change of either is blue/green.
 * `docker rm -f` first, because a container orphaned by a killed client would hold the name.
 */
export function renderDockerRun(view: DockerRunView): string {
  const envFiles = view.envFiles.map((file) => ` --env-file ${file}`).join("");
  const publish = view.port === undefined ? "" : ` -p 127.0.0.1:${view.port}:${view.port}`;
  const run = `docker run --rm --name ${view.name} $flags${publish}${envFiles}`;
  // Never unbounded: without its flags file the container does not start.
  const start = `/bin/sh -c 'docker rm -f ${view.name} >/dev/null 2>&1; flags=$(cat ${view.flagsFile}) || exit 1; `;
  if (!view.commandFile) return `${start}exec ${run} "$(cat ${view.imageFile})"'`;
  // The file holds the command's words, each single-quoted (`quotedWords`): eval gives them back.
  return `${start}eval "exec ${run} \\"\\$(cat ${view.imageFile})\\" $(cat ${view.commandFile})"'`;
}

export interface ReleaseScriptView {
  readonly stack: string;
  readonly app: string;
  readonly appPort: number;
  readonly healthPath: string;
  readonly healthTimeoutSeconds: number;
  readonly drainSeconds: number;
  /** `app.migrate`, on the droplet that runs it (the first: once per release for the fleet). */
  readonly migrate?: { readonly command: string; readonly timeoutSeconds: number };
  /** The processes this droplet runs (`app.processes`; a singleton only on the first droplet). */
  readonly processes?: readonly { readonly name: string; readonly command: string }[];
  /** What the migration's container runs under: the colours' own limits. */
  readonly limits: ContainerLimits;
}

/** One word for sh, whatever the text holds: single-quoted, each ' written as '\''. */
export function shellWord(text: string): string {
  return `'${text.replace(/'/g, "'\\''")}'`;
}

/** A command's words, each one shellWord: sh's `eval` gives them back, expanding nothing. */
export function quotedWords(command: string): string {
  const words = imageCommandWords(command);
  if (!Array.isArray(words)) throw new Error(`${JSON.stringify(command)} ${words.problem}`);
  return words.map(shellWord).join(" ");
}

/** The blue/green release script (POSIX sh), installed as `releaseScript(app)`. */
export function renderReleaseScript(view: ReleaseScriptView): string {
  return renderTemplate("release.sh.mustache", {
    ...view,
    migrateCommand: shellWord(view.migrate ? quotedWords(view.migrate.command) : ""),
    migrateTimeoutSeconds: view.migrate?.timeoutSeconds ?? 0,
    containerFlags: containerFlags(view.limits),
    processNames: (view.processes ?? []).map((p) => p.name).join(" "),
    processes: (view.processes ?? []).map((p) => ({
      name: p.name,
      command: shellWord(quotedWords(p.command)),
    })),
    script: releaseScript(view.app),
    bluePort: colourPort(view.appPort, "blue"),
    greenPort: colourPort(view.appPort, "green"),
    configDir: CONFIG_DIR,
    stateDir: STATE_DIR,
    colourFile: colourFile(view.app),
    upstreamsFile: upstreamsFile(view.app),
    upstreamsDefaultFile: upstreamsDefaultFile(view.app),
  });
}

/** What removes a process (`app.processes`) from a droplet: its program's delete step. */
export function renderProcessRemove(program: string): string {
  return renderTemplate("process-remove.sh.mustache", {
    program,
    supervisorFile: `${SUPERVISOR_DIR}/${program}.conf`,
    configDir: CONFIG_DIR,
  });
}

/** Grants the app's user CREATE in schema public of its database (PostgreSQL 15 and later). */
export function renderSchemaGrant(): string {
  return renderTemplate("schema-grant.sh.mustache", { aptRetryFile: APT_RETRY_FILE });
}

/**
 * Prefixed to a removable file's delete step: it only runs while the target still holds the
 * content (by sha256) that its own step installed.
 */
export function renderRemoveGuard(target: string, hash: string): string {
  return renderTemplate("remove-guard.sh.mustache", { target, hash });
}

/** The systemd unit that starts the live colour again after a reboot. */
export function renderResumeUnit(app: string): string {
  return renderTemplate("release-resume.service.mustache", { app, script: releaseScript(app) });
}

export interface CertbotView {
  /** Every FQDN the certificate covers. */
  readonly domains: string[];
  /** Let's Encrypt account address (expiry notices). */
  readonly email: string;
  /** The ACME directory URL; absent, certbot's own default (Let's Encrypt's production). */
  readonly server?: string;
}

/** The placeholder certificate, so nginx can serve HTTPS (and pass `nginx -t`) before certbot. */
export function renderTlsPlaceholder(): string {
  return renderTemplate("tls-placeholder.sh.mustache", {
    certificate: TLS_CERTIFICATE,
    certificateKey: TLS_CERTIFICATE_KEY,
    acmeRoot: ACME_ROOT,
  });
}

/** Obtains (or expands, or keeps) the certificate for every host with certbot's webroot method. */
export function renderCertbot(view: CertbotView): string {
  return renderTemplate("certbot.sh.mustache", {
    ...view,
    certName: TLS_CERT_NAME,
    acmeRoot: ACME_ROOT,
    deployHook: TLS_DEPLOY_HOOK,
  });
}

/** Run by certbot after every issue and renewal: point nginx at the certificate and reload it. */
export function renderTlsDeployHook(): string {
  return renderTemplate("tls-deploy-hook.sh.mustache", {
    certName: TLS_CERT_NAME,
    certificate: TLS_CERTIFICATE,
    certificateKey: TLS_CERTIFICATE_KEY,
  });
}
