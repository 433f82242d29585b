/** The local cloud needs root (namespaces, nftables, mounts) and a handful of Debian packages. */
import { UserError } from "../shared/errors";
import { requireTools } from "../shared/systemTools";

/** Every program the local cloud runs, by the name `requireTools` knows it. */
export const LOCAL_CLOUD_TOOLS = [
  "debootstrap",
  "systemd-nspawn",
  "nft",
  "knotd",
  "kdig",
  "dockerd",
  "docker",
  "docker-registry",
  "apt-cacher-ng",
  "htpasswd",
  "ssh",
  "ssh-keygen",
  "openssl",
  "wrk",
  "pebble",
  "haproxy",
  "certbot",
  "postgres",
  "psql",
  "redis-server",
  "redis-cli",
] as const;

/** Fails with one line unless this process runs as root. */
export function requireRoot(): void {
  if (process.getuid?.() !== 0) {
    throw new UserError(
      "the local cloud needs root (network namespaces, nftables, mounts): run it with sudo",
    );
  }
}

/** Fails with one line unless root; installs missing packages with apt-get, saying so. */
export function requireLocalCloud(log: (line: string) => void): void {
  requireRoot();
  requireTools(LOCAL_CLOUD_TOOLS, { install: true, log });
}
