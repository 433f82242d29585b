/**
 * Value rules shared by the config schema: DigitalOcean slugs, DNS names, CIDRs, image references.
 * Kept apart from the schema so review-stack derivation and tests can reuse them.
 */
import { isIPv4, isIPv6 } from "node:net";

/** DigitalOcean regions that offer droplets, reserved IPs and container registries. */
export const REGIONS = [
  "ams3",
  "atl1",
  "blr1",
  "fra1",
  "lon1",
  "nyc1",
  "nyc2",
  "nyc3",
  "sfo2",
  "sfo3",
  "sgp1",
  "syd1",
  "tor1",
] as const;

/** Ports the droplet itself already serves: ssh, http, https. */
export const HOST_PORTS = [22, 80, 443] as const;

/** Names dropstack sets in the API's environment itself; a user value would be silently lost. */
export const RESERVED_ENV_NAMES = ["PORT", "RELEASE"] as const;

export const PRODUCTION_STACK = "production";

export const DROPLET_SIZE = /^[a-z0-9]+(-[a-z0-9]+)+$/;
export const DROPLET_IMAGE = /^([a-z0-9][a-z0-9._-]*|\d+)$/;
/** An SSH key as DigitalOcean knows it: its MD5 fingerprint or its numeric id. */
export const SSH_KEY = /^(([0-9a-f]{2}:){15}[0-9a-f]{2}|\d+)$/;
const DNS_LABEL = "[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?";
/** A host relative to the zone: `@` for the apex, or one or more DNS labels. */
export const HOST = new RegExp(`^(@|${DNS_LABEL}(\\.${DNS_LABEL})*)$`);
export const DOMAIN = new RegExp(`^(${DNS_LABEL}\\.)+[a-z]{2,63}$`);
export const APP_NAME = /^[a-z][a-z0-9-]{0,30}$/;
export const REGISTRY_NAME = /^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$/;
export const RELEASE = /^[A-Za-z0-9][A-Za-z0-9._+-]{0,63}$/;
export const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;
/** A path and optional query, without quotes, `;` or `$`: it lands in nginx and shell. */
export const HEALTH_PATH = /^\/[A-Za-z0-9._~%/-]*(\?[A-Za-z0-9._~%&=+/-]*)?$/;
/** A docker memory size in MiB or GiB (`app.container.memory`, `tmpfsSize`). */
export const CONTAINER_MEMORY = /^[1-9][0-9]{0,5}[mg]$/;
/**
 * An absolute path inside the container: not / itself, nothing docker mounts itself (/proc, /sys,
 * /dev), no . or .. parts.
 */
export const CONTAINER_PATH = /^(?!\/(proc|sys|dev)(\/|$))(\/(?!\.\.?(\/|$))[A-Za-z0-9._-]+)+$/;
/** uid:gid, neither of them 0 (root), each below 2^31 (well inside the kernel's 32-bit ids). */
export const CONTAINER_USER = /^[1-9][0-9]{0,8}:[1-9][0-9]{0,8}$/;
export const NGINX_SIZE = /^[0-9]+[kKmMgG]?$/;
/** An email address with a plain local part: it is quoted into a root shell command (certbot). */
export const EMAIL = /^[A-Za-z0-9._%+-]+@([a-z0-9-]+\.)+[a-z]{2,63}$/i;

/** `proxy.tls.server` names: Let's Encrypt's production and staging ACME directories. */
export const ACME_DIRECTORIES = {
  letsencrypt: "https://acme-v02.api.letsencrypt.org/directory",
  "letsencrypt-staging": "https://acme-staging-v02.api.letsencrypt.org/directory",
} as const;

/**
 * A `proxy.tls.server`: a name in ACME_DIRECTORIES, or an https:// directory URL with a host and
 * nothing certbot's shell quoting could not carry (no quote, no whitespace).
 */
export function isAcmeServer(value: string): boolean {
  if (Object.hasOwn(ACME_DIRECTORIES, value)) return true;
  if (!/^https:\/\/[^\s'"\\]+$/.test(value)) return false;
  try {
    return new URL(value).hostname !== "";
  } catch {
    return false;
  }
}

/** The ACME directory URL certbot is given for a `proxy.tls.server`. */
export function acmeDirectory(server: string): string {
  return Object.hasOwn(ACME_DIRECTORIES, server)
    ? ACME_DIRECTORIES[server as keyof typeof ACME_DIRECTORIES]
    : server;
}
/** A Slack incoming-webhook URL (https, no spaces). */
export const WEBHOOK_URL = /^https:\/\/[^\s/]+\/\S*$/;
/** The time frames DigitalOcean's droplet metric alerts accept. */
export const ALERT_WINDOWS = ["5m", "10m", "30m", "1h"] as const;
/** DigitalOcean tag: letters, digits, colons, dashes and underscores, at most 255. */
export const TAG = /^[A-Za-z0-9:_-]{1,255}$/;
/**
 * A container image reference that names its version: `[registry[:port]/]path:tag` and/or
 * `@sha256:<digest>`. An untagged reference would float to `latest` and deploy unreviewed code.
 */
export const IMAGE_REFERENCE =
  /^[a-z0-9]+([._-][a-z0-9]+)*(\.[a-z0-9-]+)*(:[0-9]+)?(\/[a-z0-9]+([._-][a-z0-9]+)*)*(:[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}(@sha256:[a-f0-9]{64})?|@sha256:[a-f0-9]{64})$/;

/** True for an IPv4 or IPv6 address with an optional, in-range prefix length. */
export function isCidr(value: string): boolean {
  const [address, prefix, ...rest] = value.split("/");
  if (rest.length > 0) return false;
  const max = isIPv4(address) ? 32 : isIPv6(address) ? 128 : -1;
  if (max < 0) return false;
  if (prefix === undefined) return true;
  return /^\d{1,3}$/.test(prefix) && Number(prefix) <= max;
}

/** True for a CIDR whose prefix length is 0: it admits every address of its family, however written. */
export function isAnywhere(cidr: string): boolean {
  return /\/0+$/.test(cidr);
}

/**
 * `services` engines and the DigitalOcean engine slug each becomes. DigitalOcean's managed
 * Redis-compatible cache is Valkey now (`valkey` in @pulumi/digitalocean 4.80's DatabaseCluster
 * docs; Redis clusters can no longer be created).
 */
export const SERVICE_ENGINES = { postgres: "pg", "redis-compatible": "valkey" } as const;
export type ServiceEngine = keyof typeof SERVICE_ENGINES;
/** The versions DigitalOcean offers per engine; the first is the default. */
export const SERVICE_VERSIONS: Record<ServiceEngine, readonly string[]> = {
  postgres: ["17", "16", "15", "14", "13"],
  "redis-compatible": ["8"],
};
/** The variable the connection string lands in unless `services.<name>.envName` says otherwise. */
export const SERVICE_ENV_NAMES: Record<ServiceEngine, string> = {
  postgres: "DATABASE_URL",
  "redis-compatible": "REDIS_URL",
};
/** A service's name: its cluster is `<stack>-<name>`, a DigitalOcean name of at most 63. */
export const SERVICE_NAME = /^[a-z][a-z0-9-]{0,29}$/;
/** The smallest managed database plan, a service's default size (it takes no standby node). */
export const DEFAULT_DATABASE_SIZE = "db-s-1vcpu-1gb";
/** The keys of a service that size a cluster it creates: not for one it attaches to. */
export const CLUSTER_SETTINGS = ["version", "size", "nodes"] as const;
/** The DigitalOcean name of the cluster a stack creates for its service `service`. */
export const clusterNameOf = (stack: string, service: string) => `${stack}-${service}`;
/**
 * A managed database size slug: basic (`db-s-`, and the premium `db-amd-`, `db-intel-`), general
 * purpose (`gd-`), memory-optimized (`m-`) or storage-optimized (`so1_5-`) nodes, then vCPUs and
 * memory (DigitalOcean: "each slug denotes the node's identifier, CPU count, and amount of RAM").
 * A basic droplet's `s-1vcpu-1gb` is refused: it is the mistake this catches.
 */
export const DATABASE_SIZE = /^(db-(s|amd|intel)|gd|m|so1_5)-\d+vcpu-\d+gb$/;
/** A DigitalOcean database cluster name (an existing one a service attaches to). */
export const CLUSTER_NAME = /^[a-z][a-z0-9-]{1,62}$/;
/** A command run from the app's image (`imageCommand.ts` splits it): one line, no NUL. */
export const IMAGE_COMMAND = /^[^\n\r\0]{1,1000}$/;
/** A process's name: its supervisor program and container are `<app>-<name>`. */
export const PROCESS_NAME = /^[a-z][a-z0-9-]{0,30}$/;
/** Names a process may not take: the colours' programs, and the migration's container. */
export const RESERVED_PROCESS_NAMES = ["blue", "green", "migrate"] as const;
