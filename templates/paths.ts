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
