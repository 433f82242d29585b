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
  METADATA_ADDRESS,
  METADATA_GUARD_FILE,
  METADATA_GUARD_UNIT,
  PREVIOUS_DIR,
  SSH_HOST_KEY_FILE,
  SSHD_HOST_KEY_CONF,
  STAGING_DIR,
  STATE_DIR,
} from "./paths";
import { createHash } from "node:crypto";
import { renderTemplate } from "./render";

/** What new droplets boot with. */
export const BOOTSTRAP_VERSION = 3;

/** Released versions, oldest first: each is kept byte for byte (tests/unit/render.test.ts). */
export const BOOTSTRAP_VERSIONS = [1, 2, 3] as const;
export type BootstrapVersion = (typeof BOOTSTRAP_VERSIONS)[number];

/** The first version whose user data hands the droplet the SSH host key the program made for it. */
export const HOST_KEY_VERSION = 3;

/** A droplet's SSH host key, in OpenSSH's formats: the private key, and the public key's line. */
export interface HostKey {
  readonly privateKey: string;
  readonly publicKey: string;
}

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

const indent = (text: string, spaces = 6) =>
  text
    .split("\n")
    .map((line) => (line ? `${" ".repeat(spaces)}${line}` : ""))
    .join("\n");

/** sshd offers the program's host key alone. */
function sshdHostKeyConf(): string {
  return [
    "# dropstack: this host key alone, the one the program pinned: a client offered another key",
    "# type could not check it.",
    `HostKey ${SSH_HOST_KEY_FILE}`,
  ].join("\n");
}

function metadataGuard(): string {
  return renderTemplate("metadata-guard.nft.mustache", {
    metadataAddress: METADATA_ADDRESS,
  }).trimEnd();
}

function metadataGuardUnit(): string {
  return renderTemplate("metadata-guard.service.mustache", {
    metadataGuardFile: METADATA_GUARD_FILE,
  }).trimEnd();
}

/**
 * The cloud-config of bootstrap `version` (the current one by default). From version 3 it holds
 * the droplet's SSH host key, so it is a secret: the caller keeps it one.
 */
export function renderCloudInit(
  version: BootstrapVersion = BOOTSTRAP_VERSION,
  hostKey?: HostKey,
): string {
  if (version >= HOST_KEY_VERSION && !hostKey) {
    throw new Error(`bootstrap version ${version} takes the droplet's SSH host key`);
  }
  return renderTemplate(`cloud-init-v${version}.yaml.mustache`, {
    hostPrivateKeyIndented: hostKey && indent(hostKey.privateKey.trimEnd(), 4),
    hostPublicKey: hostKey?.publicKey.trim(),
    sshdHostKeyConfFile: SSHD_HOST_KEY_CONF,
    sshdHostKeyConfIndented: indent(sshdHostKeyConf()),
    metadataGuardFile: METADATA_GUARD_FILE,
    metadataGuardIndented: indent(metadataGuard()),
    metadataGuardUnit: METADATA_GUARD_UNIT,
    metadataGuardUnitIndented: indent(metadataGuardUnit()),
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
    metadataGuardFile: METADATA_GUARD_FILE,
    metadataGuard: metadataGuard(),
    metadataGuardUnit: METADATA_GUARD_UNIT,
    metadataGuardUnitText: metadataGuardUnit(),
  });
}

/**
 * Gives a droplet bootstrapped before version 3 the program's host key, sent on stdin, over a
 * connection that checks no host key (the droplet's old one was never recorded).
 */
export function renderHostKeyInstall(): string {
  return renderTemplate("host-key-install.sh.mustache", {
    hostKeyFile: SSH_HOST_KEY_FILE,
    sshdHostKeyConfFile: SSHD_HOST_KEY_CONF,
    sshdHostKeyConf: sshdHostKeyConf(),
  });
}

/**
 * Whether a droplet booted with `hostKey`: what DigitalOcean's provider kept of its user data (the
 * SHA-1 of it: terraform-provider-digitalocean @401992a1, digitalocean/droplet/resource_droplet.go,
 * `StateFunc: util.HashStringStateFunc()`) against the user data of each released version that
 * hands the key over, rendered with it: a later version's bump must not count a droplet of this
 * one as older. Anything else booted earlier (ignoreChanges keeps a droplet's own user data, a
 * replacement's included).
 */
export function bootedWithHostKey(keptUserData: string | undefined, hostKey: HostKey): boolean {
  if (keptUserData === undefined) return false;
  return BOOTSTRAP_VERSIONS.filter((version) => version >= HOST_KEY_VERSION).some(
    (version) => keptUserData === userDataHash(renderCloudInit(version, hostKey)),
  );
}

/** The provider's hash of user data, as its state keeps it (util/hash.go: SHA-1, hex). */
export function userDataHash(userData: string): string {
  return createHash("sha1").update(userData).digest("hex");
}
