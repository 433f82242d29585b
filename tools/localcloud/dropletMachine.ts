/**
 * A droplet as a systemd-nspawn machine: an overlay of the base image (each droplet writes only its
 * own upper layer), booted with systemd as PID 1 in the droplet's network namespace. What
 * DigitalOcean puts on a new droplet is written before boot: the user data and meta-data as a
 * NoCloud seed, the droplet's sshKeys as root's authorized keys, the resolver, and (the one thing a
 * real droplet lacks) the local registry's CA, so `registry.digitalocean.com` is trusted here.
 */
import { SpawnSyncReturns, spawnSync } from "node:child_process";
import {
  appendFileSync,
  existsSync,
  mkdirSync,
  readFileSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from "node:fs";
import * as path from "node:path";
import { runOrThrow } from "../shared/runCommand";
import { BASE_IMAGE_DIR } from "./baseImage";
import { Daemon, daemonPid, startDaemon, stopDaemon, waitReady } from "../shared/daemons";
import { ADDRESSES, stackDir } from "./localPaths";

export interface DropletMachine {
  /** The droplet's `name`: its hostname. */
  readonly name: string;
  /** systemd-nspawn's machine name (unique on this machine). */
  readonly machine: string;
  readonly netns: string;
  readonly dir: string;
}

export interface DropletBoot extends DropletMachine {
  readonly userData: string;
  /** Public keys (OpenSSH lines) of the droplet's sshKeys. */
  readonly authorizedKeys: readonly string[];
  readonly instanceId: string;
  /** PEM of the CA that signed the local registry's certificate. */
  readonly registryCa: string;
  /** Seconds apt's and dpkg's locks are held from its first boot (DigitalOcean's agent install). */
  readonly aptBusySeconds?: number;
}

export const REGISTRY_HOST = "registry.digitalocean.com";

export function dropletMachine(
  stack: string,
  name: string,
  machine: string,
  netns: string,
): DropletMachine {
  return { name, machine, netns, dir: path.join(stackDir(stack), "droplets", name) };
}

const rootOf = (m: DropletMachine) => path.join(m.dir, "root");

/**
 * Where the host's cgroup controllers are. On a cgroup v2 host the droplet gets the unified
 * hierarchy; on a hybrid one (v1 controllers, a v2 tree holding none: this kind of machine) the
 * unified tree would give docker no memory, CPU or pids controller, so `docker run --cpus` fails and
 * --memory is dropped. There the droplet gets the v1 controllers, made writable after it boots
 * (`grantControllers`), as a droplet's own kernel gives its docker.
 */
const hostIsUnified = () => existsSync("/sys/fs/cgroup/cgroup.controllers");

const daemon = (m: DropletMachine): Daemon => ({
  what: `droplet ${m.name} (systemd-nspawn)`,
  command: "/usr/bin/systemd-nspawn",
  args: [
    "--boot",
    `--directory=${rootOf(m)}`,
    `--machine=${m.machine}`,
    `--hostname=${m.name}`,
    // This machine's PID 1 is not systemd: no machined to register with, no scope to make.
    "--register=no",
    "--keep-unit",
    `--network-namespace-path=/run/netns/${m.netns}`,
    // dockerd inside needs to manage iptables and cgroups.
    "--capability=all",
    `--bind=${path.join(m.dir, "docker")}:/var/lib/docker`,
    "--console=read-only",
    // Leave the resolver written before boot (the stack's DNS) alone: nspawn would copy the host's.
    "--resolv-conf=off",
  ],
  pidFile: path.join(m.dir, "nspawn.pid"),
  logFile: path.join(m.dir, "console.log"),
  env: {
    ...process.env,
    // Without it dockerd fails inside (seccomp denies its iptables calls):
    // ../shared/local-cloud-notes.md.
    SYSTEMD_SECCOMP: "0",
    SYSTEMD_NSPAWN_UNIFIED_HIERARCHY: hostIsUnified() ? "1" : "0",
  },
});

/** Made in the droplet once every controller is writable: what its docker waits for. */
const CGROUPS_READY = "/run/local-cloud-cgroups-ready";

/** The droplet's docker waits (up to a minute) for writable controllers before it starts. */
const DOCKER_WAITS_FOR_CGROUPS = `# Written by the local cloud (not the program): the host makes the droplet's cgroup controllers
# writable just after boot; dockerd must not start before, or its containers get no limits.
[Service]
ExecStartPre=/bin/sh -c 'for i in $(seq 300); do [ -e ${CGROUPS_READY} ] && exit 0; sleep 0.2; done; exit 1'
`;

/**
 * nspawn mounts the v1 controllers read-only in a droplet: remounts them writable in its mount
 * namespace once its systemd runs, so its docker can bound each container (memory, CPU, pids).
 */
async function grantControllers(m: DropletMachine): Promise<void> {
  if (hostIsUnified()) return;
  const deadline = Date.now() + 30000;
  for (;;) {
    const controllers = readOnlyControllers(m);
    if (controllers) {
      for (const dir of controllers.dirs)
        runOrThrow("nsenter", [
          ...["--target", String(controllers.leader), "--mount"],
          ...["mount", "-o", "remount,bind,rw", dir],
        ]);
      runOrThrow("nsenter", [
        ...["--target", String(controllers.leader), "--mount"],
        ...["touch", CGROUPS_READY],
      ]);
      return;
    }
    if (Date.now() > deadline)
      throw new Error(
        `droplet ${m.name}: within 30 s its systemd did not start, or nspawn mounted no read-only cgroup controller to make writable`,
      );
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/** Once its systemd runs (nspawn has mounted everything): the v1 controllers mounted read-only. */
function readOnlyControllers(m: DropletMachine): { leader: number; dirs: string[] } | undefined {
  let leader: number;
  try {
    leader = dropletLeader(m);
    if (readFileSync(`/proc/${leader}/comm`, "utf8").trim() !== "systemd") return undefined;
  } catch {
    return undefined; // not started yet
  }
  // Its mount table as its systemd sees it (read from here: /proc inside is the droplet's).
  const mounts = readFileSync(`/proc/${leader}/mounts`, "utf8");
  const dirs = [...mounts.matchAll(/^cgroup (\/sys\/fs\/cgroup\/[^ ]+) cgroup ro,/gm)]
    .map((mount) => mount[1])
    .filter((dir) => !dir.endsWith("/systemd"));
  return dirs.length > 0 ? { leader, dirs } : undefined;
}

function mountOverlay(m: DropletMachine): void {
  const [upper, work, root] = ["upper", "work", "root"].map((d) => path.join(m.dir, d));
  for (const d of [upper, work, root, path.join(m.dir, "docker")])
    mkdirSync(d, { recursive: true });
  if (isMounted(root)) return;
  runOrThrow("mount", [
    "-t",
    "overlay",
    "overlay",
    "-o",
    `lowerdir=${BASE_IMAGE_DIR},upperdir=${upper},workdir=${work}`,
    root,
  ]);
}

const isMounted = (dir: string) =>
  readFileSync("/proc/mounts", "utf8")
    .split("\n")
    .some((line) => line.split(" ")[1] === dir);

function writeInto(root: string, file: string, content: string, mode = 0o644): void {
  const target = path.join(root, file);
  mkdirSync(path.dirname(target), { recursive: true });
  writeFileSync(target, content, { mode });
}

const APT_LOCKS = [
  "/var/lib/dpkg/lock-frontend",
  "/var/lib/dpkg/lock",
  "/var/lib/apt/lists/lock",
  "/var/cache/apt/archives/lock",
];
const APT_BUSY_DONE = "/var/lib/dropstack-local/apt-busy-done";

/**
 * What DigitalOcean's own agent install does on a droplet's first boot: it holds apt's and dpkg's
 * locks (fcntl locks, as apt takes them) for `seconds`, from before cloud-init's runcmd on. Once.
 */
function holdAptAtFirstBoot(root: string, seconds: number): void {
  const python = [
    "import fcntl, os, time",
    `files = [open(p, "a") for p in ${JSON.stringify(APT_LOCKS)}]`,
    "[fcntl.lockf(f, fcntl.LOCK_EX) for f in files]",
    'open("/run/apt-busy", "w").close()',
    `print("holding the apt and dpkg locks for ${seconds} s", flush=True)`,
    `time.sleep(${seconds})`,
    `os.makedirs(os.path.dirname("${APT_BUSY_DONE}"), exist_ok=True)`,
    `open("${APT_BUSY_DONE}", "w").close()`,
    'print("released the apt and dpkg locks", flush=True)',
  ].join("; ");
  // systemd takes the program whole in single quotes, and expands % and $ even there.
  if (/['%$]/.test(python)) throw new Error("the apt-busy program must hold no ', % or $");
  const unit = "apt-busy-at-first-boot.service";
  writeInto(
    root,
    `etc/systemd/system/${unit}`,
    [
      "# dropstack local cloud: DigitalOcean's agent install, racing cloud-init for apt on first boot.",
      "[Unit]",
      "Description=apt busy at first boot (DigitalOcean's agent install, as the local cloud plays it)",
      "After=cloud-config.service",
      "Before=cloud-final.service",
      `ConditionPathExists=!${APT_BUSY_DONE}`,
      "[Service]",
      "Type=simple",
      `ExecStart=/usr/bin/python3 -c '${python}'`,
      // Started only once the locks are held, so cloud-init's runcmd cannot get in first.
      "ExecStartPost=/bin/sh -c 'until [ -e /run/apt-busy ]; do sleep 0.1; done'",
      "[Install]",
      "WantedBy=multi-user.target",
      "",
    ].join("\n"),
  );
  const wants = path.join(root, "etc/systemd/system/multi-user.target.wants");
  mkdirSync(wants, { recursive: true });
  rmSync(path.join(wants, unit), { force: true });
  symlinkSync(`/etc/systemd/system/${unit}`, path.join(wants, unit));
}

/** Prepares the droplet's disk and boots it; resolves once its systemd runs, its controllers writable. */
export async function bootDroplet(boot: DropletBoot): Promise<void> {
  mountOverlay(boot);
  const root = rootOf(boot);
  writeInto(root, "var/lib/cloud/seed/nocloud/user-data", boot.userData);
  writeInto(
    root,
    "var/lib/cloud/seed/nocloud/meta-data",
    `instance-id: ${boot.instanceId}\nlocal-hostname: ${boot.name}\n`,
  );
  writeInto(root, "root/.ssh/authorized_keys", `${boot.authorizedKeys.join("\n")}\n`, 0o600);
  // The image's resolv.conf may be a link into /run: replace it with the stack's DNS server.
  rmSync(path.join(root, "etc/resolv.conf"), { force: true });
  writeInto(root, "etc/resolv.conf", `nameserver ${ADDRESSES.dns}\n`);
  writeInto(root, `etc/docker/certs.d/${REGISTRY_HOST}/ca.crt`, boot.registryCa);
  if (boot.aptBusySeconds) holdAptAtFirstBoot(root, boot.aptBusySeconds);
  // certbot trusts the system bundle: the local CA signs the ACME server's endpoint. Both places,
  // so an update-ca-certificates run (a ca-certificates upgrade at bootstrap) keeps it.
  writeInto(root, "usr/local/share/ca-certificates/dropstack-local-ca.crt", boot.registryCa);
  const bundle = path.join(root, "etc/ssl/certs/ca-certificates.crt");
  if (existsSync(bundle)) appendFileSync(bundle, `\n${boot.registryCa}`);
  if (!hostIsUnified())
    writeInto(
      root,
      "etc/systemd/system/docker.service.d/local-cloud-cgroups.conf",
      DOCKER_WAITS_FOR_CGROUPS,
    );
  startDaemon(daemon(boot));
  await grantControllers(boot);
}

/**
 * Powers the droplet off (systemd-nspawn shuts its systemd down) and on again from the same disk,
 * as DigitalOcean's resize does around the resize itself: cloud-init sees the same instance and
 * runs nothing again; what comes back is what the droplet enables at boot. Resolves once its
 * systemd reports the boot finished.
 */
export async function powerCycleDroplet(m: DropletMachine, timeoutMs = 180000): Promise<void> {
  await stopDaemon(daemon(m).pidFile, 60000);
  startDaemon(daemon(m));
  await grantControllers(m);
  await waitReady(
    daemon(m),
    () => {
      try {
        const status = dropletExec(m, ["systemctl", "is-system-running"]).stdout ?? "";
        return /^(running|degraded)/.test(status);
      } catch {
        return false; // its systemd is not up yet
      }
    },
    timeoutMs,
  );
}

export const dropletRunning = (m: DropletMachine) => daemonPid(daemon(m).pidFile) !== undefined;

/** The pid of the droplet's systemd (the container's PID 1), for nsenter. */
export function dropletLeader(m: DropletMachine): number {
  const nspawn = daemonPid(daemon(m).pidFile);
  if (nspawn === undefined) throw new Error(`droplet ${m.name} is not running`);
  const children = path.join("/proc", String(nspawn), "task", String(nspawn), "children");
  const leader = existsSync(children)
    ? Number(readFileSync(children, "utf8").trim().split(" ")[0])
    : 0;
  if (!leader) throw new Error(`droplet ${m.name} has not started its systemd yet`);
  return leader;
}

const nsenterArgs = (m: DropletMachine, argv: string[]) => [
  "--target",
  String(dropletLeader(m)),
  "--all",
  "--",
  "/usr/bin/env",
  "-i",
  "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
  "HOME=/root",
  ...argv,
];

/** A root command on the droplet (DigitalOcean's console), in its own environment; output kept. */
export function dropletExec(
  m: DropletMachine,
  argv: string[],
  input?: string,
): SpawnSyncReturns<string> {
  return spawnSync("nsenter", nsenterArgs(m, argv), { encoding: "utf8", input });
}

/** The same with the caller's terminal: for `local exec`. */
export function dropletExecInteractive(m: DropletMachine, argv: string[]) {
  return spawnSync("nsenter", nsenterArgs(m, argv), { stdio: "inherit" });
}

/** The end of the droplet's cloud-init output log, for a failed bootstrap's message. */
export function cloudInitLogTail(m: DropletMachine, lines = 20): string {
  const file = path.join(rootOf(m), "var/log/cloud-init-output.log");
  return existsSync(file)
    ? readFileSync(file, "utf8").trimEnd().split("\n").slice(-lines).join("\n")
    : "(no cloud-init output log)";
}

/** Powers the droplet off (SIGTERM to systemd-nspawn) and unmounts its disk; true if it ran. */
export async function destroyDroplet(m: DropletMachine): Promise<boolean> {
  const ran = await stopDaemon(daemon(m).pidFile, 20000);
  const root = rootOf(m);
  if (isMounted(root)) spawnSync("umount", ["-l", root]);
  rmSync(m.dir, { recursive: true, force: true });
  return ran;
}

export { rootOf as dropletRoot };
