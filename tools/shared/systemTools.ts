/**
 * The real programs a droplet runs (nginx, supervisord, cloud-init), found on this machine, or
 * installed with apt-get where that is possible (root, apt present), saying so. Elsewhere the
 * error names the one command that would install them.
 */
import { spawnSync } from "node:child_process";
import { existsSync } from "node:fs";
import { UserError } from "./errors";

/** Each tool, where Debian puts it, and the Debian package that ships it. */
export const TOOLS = {
  nginx: { path: "/usr/sbin/nginx", pkg: "nginx-light" },
  /** njs, which reads the live colour for the nginx site. */
  "nginx njs module": {
    path: "/usr/lib/nginx/modules/ngx_http_js_module.so",
    pkg: "libnginx-mod-http-js",
  },
  supervisord: { path: "/usr/bin/supervisord", pkg: "supervisor" },
  supervisorctl: { path: "/usr/bin/supervisorctl", pkg: "supervisor" },
  "cloud-init": { path: "/usr/bin/cloud-init", pkg: "cloud-init" },
  /** Makes the self-signed certificate a TLS stack's sandbox (and its tests) serve. */
  openssl: { path: "/usr/bin/openssl", pkg: "openssl" },
  /** Lints the shell scripts the program renders (tests only). */
  shellcheck: { path: "/usr/bin/shellcheck", pkg: "shellcheck" },
  // The local cloud's (`npm run local`): the droplets' base image and machines, the stack's
  // network and firewall, DNS, the registry and the build engine, the apt proxy, SSH, load.
  debootstrap: { path: "/usr/sbin/debootstrap", pkg: "debootstrap" },
  "systemd-nspawn": { path: "/usr/bin/systemd-nspawn", pkg: "systemd-container" },
  nft: { path: "/usr/sbin/nft", pkg: "nftables" },
  knotd: { path: "/usr/sbin/knotd", pkg: "knot" },
  kdig: { path: "/usr/bin/kdig", pkg: "knot-dnsutils" },
  dockerd: { path: "/usr/sbin/dockerd", pkg: "docker.io" },
  docker: { path: "/usr/bin/docker", pkg: "docker.io" },
  "docker-registry": { path: "/usr/bin/docker-registry", pkg: "docker-registry" },
  "apt-cacher-ng": { path: "/usr/sbin/apt-cacher-ng", pkg: "apt-cacher-ng" },
  htpasswd: { path: "/usr/bin/htpasswd", pkg: "apache2-utils" },
  ssh: { path: "/usr/bin/ssh", pkg: "openssh-client" },
  "ssh-keygen": { path: "/usr/bin/ssh-keygen", pkg: "openssh-client" },
  wrk: { path: "/usr/bin/wrk", pkg: "wrk" },
  pebble: { path: "/usr/bin/pebble", pkg: "pebble" },
  haproxy: { path: "/usr/sbin/haproxy", pkg: "haproxy" },
  // The stand-ins of managed database clusters, and the clients their admin steps use.
  postgres: { path: "/usr/lib/postgresql/15/bin/postgres", pkg: "postgresql-15" },
  psql: { path: "/usr/bin/psql", pkg: "postgresql-client-15" },
  "redis-server": { path: "/usr/bin/redis-server", pkg: "redis-server" },
  "redis-cli": { path: "/usr/bin/redis-cli", pkg: "redis-tools" },
  /** Asks the local ACME server for the balancer's certificates. */
  certbot: { path: "/usr/bin/certbot", pkg: "certbot" },
} as const;
export type ToolName = keyof typeof TOOLS;

/** A program this machine lacks; the message names the command that installs it. */
export class MissingToolError extends UserError {}

function installCommand(packages: string[]): string {
  return `sudo apt-get update && sudo apt-get install -y --no-install-recommends ${packages.join(" ")}`;
}

/**
 * Paths of the named tools. Missing ones are installed when this process may (root + apt-get and
 * `install` true); otherwise a MissingToolError names the install command.
 */
export function requireTools<N extends ToolName>(
  names: readonly N[],
  options: { install?: boolean; log?: (line: string) => void } = {},
): Record<N, string> {
  const missing = () => names.filter((name) => !existsSync(TOOLS[name].path));
  const packages = () => [...new Set(missing().map((name) => TOOLS[name].pkg))];
  const canInstall = process.getuid?.() === 0 && existsSync("/usr/bin/apt-get");
  if (packages().length > 0 && options.install && canInstall) {
    options.log?.(
      `installing ${packages().join(", ")} with apt-get (needed to run what a droplet runs)`,
    );
    const env = { ...process.env, DEBIAN_FRONTEND: "noninteractive" };
    spawnSync("apt-get", ["update", "-qq"], { stdio: "ignore", env });
    spawnSync("apt-get", ["install", "-y", "-qq", "--no-install-recommends", ...packages()], {
      stdio: "ignore",
      env,
    });
  }
  if (missing().length > 0) {
    throw new MissingToolError(
      `${missing().join(", ")} not installed; install with:  ${installCommand(packages())}`,
    );
  }
  return Object.fromEntries(names.map((name) => [name, TOOLS[name].path])) as Record<N, string>;
}
