/**
 * The droplet's one-time cloud-init bootstrap, by version, and the in-place upgrade that brings a
 * droplet of an earlier version to the current one. User data can only be given when a droplet is
 * created (DigitalOcean replaces a droplet whose user data changes, and the program ignores a
 * change of it after creation: components/WebHost.ts), so a released version never changes: a
 * new one is a new template, for new droplets, plus a step in bootstrap-upgrade.sh for the rest.
 * They take no config on purpose: see the templates.
 */
import {
  APT_LOCK_CONF_FILE,
  APT_RETRY_FILE,
  BOOTSTRAP_VERSION_FILE,
  CONFIG_DIR,
  DEPLOY_USER,
  PREVIOUS_DIR,
  STAGING_DIR,
  STATE_DIR,
} from "./paths";
import { renderTemplate } from "./render";

/** What new droplets boot with. */
export const BOOTSTRAP_VERSION = 2;

/** Released versions, oldest first: each is kept byte for byte (tests/unit/render.test.ts). */
export const BOOTSTRAP_VERSIONS = [1, 2] as const;
export type BootstrapVersion = (typeof BOOTSTRAP_VERSIONS)[number];

/**
 * Seconds an install or upgrade waits for dpkg's locks (DPkg::Lock::Timeout covers those, not
 * update's lists lock); then tries and the pause between them: update rides out a lock held
 * for 11 × 15 s, nearly 3 minutes.
 */
const APT_LOCK_SECONDS = 300;
const APT_TRIES = 12;
const APT_PAUSE_SECONDS = 15;

/** apt's lock wait, as an apt.conf file. */
function aptLockConf(): string {
  return [
    "// dropstack: wait for dpkg's locks instead of failing at once (DigitalOcean's agent installs",
    "// and unattended-upgrades hold them for minutes). apt-get update's lists lock is not covered.",
    `DPkg::Lock::Timeout "${APT_LOCK_SECONDS}";`,
  ].join("\n");
}

/** The apt-get wrapper both the bootstrap and the upgrade install. */
export function renderAptRetry(): string {
  return renderTemplate("apt-retry.sh.mustache", {
    tries: APT_TRIES,
    pauseSeconds: APT_PAUSE_SECONDS,
    aptLockConfFile: APT_LOCK_CONF_FILE,
  }).trimEnd();
}

const indent = (text: string) =>
  text
    .split("\n")
    .map((line) => (line ? `      ${line}` : ""))
    .join("\n");

/** The cloud-config of bootstrap `version` (the current one by default). */
export function renderCloudInit(version: BootstrapVersion = BOOTSTRAP_VERSION): string {
  return renderTemplate(`cloud-init-v${version}.yaml.mustache`, {
    deployUser: DEPLOY_USER,
    stagingDir: STAGING_DIR,
    configDir: CONFIG_DIR,
    previousDir: PREVIOUS_DIR,
    stateDir: STATE_DIR,
    version,
    versionFile: BOOTSTRAP_VERSION_FILE,
    aptLockConfFile: APT_LOCK_CONF_FILE,
    aptLockConfIndented: indent(aptLockConf()),
    aptRetryFile: APT_RETRY_FILE,
    aptRetryIndented: indent(renderAptRetry()),
  });
}

/** Brings a droplet of any earlier bootstrap version to the current one, over SSH. */
export function renderBootstrapUpgrade(): string {
  return renderTemplate("bootstrap-upgrade.sh.mustache", {
    version: BOOTSTRAP_VERSION,
    versionFile: BOOTSTRAP_VERSION_FILE,
    stateDir: STATE_DIR,
    aptLockConfFile: APT_LOCK_CONF_FILE,
    aptLockConf: aptLockConf(),
    aptRetryFile: APT_RETRY_FILE,
    aptRetry: renderAptRetry(),
  });
}
