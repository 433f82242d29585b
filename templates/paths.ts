/** Where dropstack keeps things on a droplet; the bootstrap creates these directories. */

/** The non-root user every remote step logs in as (root login is disabled at bootstrap). */
export const DEPLOY_USER = "deploy";
/** Pushed files are staged here by root (0700) before they are checked and installed. */
export const STAGING_DIR = "/var/lib/dropstack/incoming";
/** The previous version of a file being replaced, kept until the new one passes its check. */
export const PREVIOUS_DIR = "/var/lib/dropstack/previous";
/** Env files and other root-only config (0700). */
export const CONFIG_DIR = "/etc/dropstack";
export const NGINX_SITES_DIR = "/etc/nginx/sites-enabled";
export const SUPERVISOR_DIR = "/etc/supervisor/conf.d";
/** Where the docker CLI run by supervisord (as root, HOME=/root) finds registry credentials. */
export const DOCKER_CONFIG = "/root/.docker/config.json";
/** Release state: the live-colour file nginx reads, the state file, the lock. */
export const STATE_DIR = "/var/lib/dropstack";
/** The bootstrap version a droplet is at (bootstrap version 1 wrote none). */
export const BOOTSTRAP_VERSION_FILE = `${STATE_DIR}/bootstrap-version`;
/** apt's lock wait, for every apt-get on the droplet (bootstrap version 2 on). */
export const APT_LOCK_CONF_FILE = "/etc/apt/apt.conf.d/80dropstack";
/** apt-get tried again a bounded number of times (bootstrap version 2 on). */
export const APT_RETRY_FILE = "/usr/local/sbin/apt-get-retried";
/** While it exists, the site's health check for the balancer answers 503 (a resize, one droplet at a time). */
export const OUT_OF_ROTATION_FILE = `${STATE_DIR}/out-of-rotation`;
/**
 * What the load balancer's health check asks, by address: a path of its own that never changes,
 * answered from the app's healthPath. An `app.healthPath` edit then changes the sites, never the
 * balancer, whose updates wait for every release (components/LoadBalancer.ts).
 */
export const BALANCER_HEALTH_PATH = "/dropstack/balancer-health";
/** Scripts pushed by pulumi (the release script). */
export const BIN_DIR = "/usr/local/lib/dropstack";
/** njs modules for the nginx site. */
export const NGINX_DROPSTACK_DIR = "/etc/nginx/dropstack";
export const SYSTEMD_DIR = "/etc/systemd/system";
/** Where nginx finds the site's certificate: a placeholder first, then links to certbot's. */
export const TLS_DIR = `${CONFIG_DIR}/tls`;
export const TLS_CERTIFICATE = `${TLS_DIR}/fullchain.pem`;
export const TLS_CERTIFICATE_KEY = `${TLS_DIR}/privkey.pem`;
/**
 * The stack's own certificate (proxy.tls custom): chain and key in one file, so a change swaps
 * both at once; a file of its own, so removing certbot's links never touches it.
 */
export const TLS_CUSTOM_CERTIFICATE = `${TLS_DIR}/custom.pem`;
/** certbot's name for the droplet's one certificate (`/etc/letsencrypt/live/<name>`). */
export const TLS_CERT_NAME = "dropstack";
/** certbot's webroot: nginx serves `/.well-known/acme-challenge/` from here. */
export const ACME_ROOT = "/var/www/dropstack-acme";
export const TLS_DEPLOY_HOOK = `${BIN_DIR}/tls-deploy-hook`;

/** The two colours a release moves between. */
export const COLOURS = ["blue", "green"] as const;
export type Colour = (typeof COLOURS)[number];

/** Blue listens on app.port, green on app.port + 1. */
export function colourPort(port: number, colour: Colour): number {
  return colour === "blue" ? port : port + 1;
}

/** The file naming the live colour of an app: read by nginx (njs), switched by the release script. */
/**
 * The two colours' upstreams, which the site includes: each colour at the port it runs on. The
 * release script moves a colour's line when it starts that colour on another port (app.port
 * changed), before any request is sent there; the program only ever installs the default below.
 */
export function upstreamsFile(app: string): string {
  return `${NGINX_DROPSTACK_DIR}/${app}-upstreams.conf`;
}

/** The upstreams for app.port as configured: copied to `upstreamsFile` where there is none yet. */
export function upstreamsDefaultFile(app: string): string {
  return `${NGINX_DROPSTACK_DIR}/${app}-upstreams.default.conf`;
}

export function colourFile(app: string): string {
  return `${STATE_DIR}/${app}.live`;
}

export function releaseScript(app: string): string {
  return `${BIN_DIR}/${app}-release`;
}

/** The droplet's one SSH host key: the program's (bootstrap version 3 on). */
export const SSH_HOST_KEY_FILE = "/etc/ssh/ssh_host_ed25519_key";
/** sshd offers that key alone: a client pinned to it could not check another. */
export const SSHD_HOST_KEY_CONF = "/etc/ssh/sshd_config.d/61-dropstack-host-key.conf";
/** The nftables rules that keep the API's containers and nginx from the metadata service (bootstrap version 3 on). */
export const METADATA_GUARD_FILE = `${CONFIG_DIR}/metadata-guard.nft`;
export const METADATA_GUARD_UNIT = `${SYSTEMD_DIR}/dropstack-metadata-guard.service`;
/** DigitalOcean's metadata service, which hands the droplet's user data to whoever asks. */
export const METADATA_ADDRESS = "169.254.169.254";
