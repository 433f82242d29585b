/**
 * The droplets' base image: a Debian 12 root filesystem made once per machine with debootstrap
 * (through the apt proxy) and cached, made to look like DigitalOcean's `debian-12-x64` where it
 * matters: cloud-init reading a NoCloud seed, openssh-server, sudo, locales with en_US.UTF-8, curl,
 * `/etc/hosts` managed by cloud-init, root's keys left as the platform wrote them.
 */
import { existsSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from "node:fs";
import * as path from "node:path";
import { runOrThrow } from "../shared/runCommand";
import { APT_PROXY_URL } from "./aptProxy";
import { CACHE_DIR } from "./localPaths";

/** Bump when the recipe changes: an image of another version is rebuilt. */
const IMAGE_VERSION = "1";
export const BASE_IMAGE_DIR = path.join(CACHE_DIR, "images", "debian-12");
const STAMP = path.join(BASE_IMAGE_DIR, ".dropstack-image");

/** What DigitalOcean's image has that debootstrap's minbase lacks (and cloud-init needs). */
const PACKAGES = [
  "systemd",
  "systemd-sysv",
  "dbus",
  "cloud-init",
  "openssh-server",
  "sudo",
  "locales",
  "curl",
  "ca-certificates",
  "iproute2",
  "iputils-ping",
  "procps",
  "less",
  "gnupg",
];

/** cloud-init as on a DigitalOcean droplet, from a NoCloud seed instead of the metadata service. */
const CLOUD_CFG = `# dropstack local cloud: the seed stands in for DigitalOcean's metadata service.
datasource_list: [ NoCloud, None ]
# DigitalOcean installs the droplet's sshKeys for root and leaves them usable.
disable_root: false
manage_etc_hosts: true
# The local cloud configures the droplet's interface from outside, as DigitalOcean's network does.
network: {config: disabled}
`;

export const baseImageReady = () =>
  existsSync(STAMP) && readFileSync(STAMP, "utf8").trim() === IMAGE_VERSION;

const chroot = (root: string, script: string) =>
  runOrThrow("chroot", [root, "/bin/sh", "-euc", script], {
    env: {
      PATH: "/usr/sbin:/usr/bin:/sbin:/bin",
      DEBIAN_FRONTEND: "noninteractive",
      LANG: "C.UTF-8",
    },
  });

/**
 * Builds the image unless a current one is cached; `log` gets a line per step. Built in a scratch
 * folder and renamed into place, so an interrupted build never leaves a half image behind.
 */
export function ensureBaseImage(mirror: string, log: (line: string) => void): void {
  if (baseImageReady()) return;
  const scratch = `${BASE_IMAGE_DIR}.building`;
  rmSync(scratch, { recursive: true, force: true });
  mkdirSync(path.dirname(scratch), { recursive: true });
  const started = Date.now();
  const step = (what: string) =>
    log(`  base image: ${what} (${Math.round((Date.now() - started) / 1000)}s)`);
  step("debootstrap --variant=minbase bookworm");
  runOrThrow("debootstrap", ["--variant=minbase", "bookworm", scratch, mirror], {
    env: { ...process.env, http_proxy: APT_PROXY_URL },
  });
  // apt inside the image (and so on every droplet) goes through the proxy.
  writeFileSync(
    path.join(scratch, "etc/apt/apt.conf.d/01dropstack-proxy"),
    `Acquire::http::Proxy "${APT_PROXY_URL}";\n`,
  );
  writeFileSync(
    path.join(scratch, "etc/apt/sources.list"),
    [
      "deb http://deb.debian.org/debian bookworm main",
      "deb http://deb.debian.org/debian bookworm-updates main",
      "deb http://deb.debian.org/debian-security bookworm-security main",
      "",
    ].join("\n"),
  );
  // Daemons must not start inside the chroot while packages install.
  writeFileSync(path.join(scratch, "usr/sbin/policy-rc.d"), "#!/bin/sh\nexit 101\n", {
    mode: 0o755,
  });
  step(`apt-get install ${PACKAGES.join(" ")}`);
  chroot(
    scratch,
    `apt-get update -q && apt-get install -y -q --no-install-recommends ${PACKAGES.join(" ")}`,
  );
  step("locale en_US.UTF-8, cloud-init's NoCloud seed, machine identity left to first boot");
  chroot(
    scratch,
    [
      "sed -i 's/^# *en_US.UTF-8 UTF-8/en_US.UTF-8 UTF-8/' /etc/locale.gen",
      "locale-gen",
      "update-locale LANG=en_US.UTF-8",
      "apt-get clean",
      "rm -f /usr/sbin/policy-rc.d /etc/hostname /etc/ssh/ssh_host_*",
      ": > /etc/machine-id",
      "passwd -l root",
      // A droplet's console needs no gettys; networkd must leave host0 to the platform.
      "systemctl mask getty@tty1.service console-getty.service systemd-networkd-wait-online.service",
    ].join(" && "),
  );
  writeFileSync(path.join(scratch, "etc/cloud/cloud.cfg.d/90-dropstack-local.cfg"), CLOUD_CFG);
  writeFileSync(path.join(scratch, ".dropstack-image"), `${IMAGE_VERSION}\n`);
  rmSync(BASE_IMAGE_DIR, { recursive: true, force: true });
  renameSync(scratch, BASE_IMAGE_DIR);
  step("done");
}
