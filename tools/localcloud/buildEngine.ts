/**
 * The Docker engine that builds and pushes `app.build`, as the program's docker.Image does on a
 * user's machine: Debian's dockerd with its own data root, socket and no networking of its own,
 * so it never touches a Docker the user runs. It sees `registry.digitalocean.com` at the local
 * registry through a hosts file and trusts the local CA, both in a mount namespace of its own.
 * Docker Hub is out of reach, so the Dockerfile's base image comes from Debian's Node.js instead.
 */
import { cpSync, existsSync, mkdirSync, writeFileSync, copyFileSync, rmSync } from "node:fs";
import * as path from "node:path";
import { runOrThrow, runAsync } from "../shared/runCommand";
import { APT_PROXY_URL } from "./aptProxy";
import { Daemon, startDaemon, waitReady } from "../shared/daemons";
import { REGISTRY_HOST } from "./dropletMachine";
import { ADDRESSES, CACHE_DIR, SHARED_DIR } from "./localPaths";
import { LOCAL_CA } from "./localCa";

const dir = path.join(SHARED_DIR, "docker");
const SOCKET = path.join(dir, "docker.sock");
/** The base image the sample API's Dockerfile builds FROM here (its NODE_IMAGE build argument). */
export const LOCAL_NODE_IMAGE = "dropstack-local/node:debian-12-npm";
const NODE_ROOTFS_TAR = path.join(CACHE_DIR, "images", "node-debian-12-npm.tar");
/** Where Debian keeps the CAs a machine's admin added (update-ca-certificates reads them). */
const LOCAL_CAS = "/usr/local/share/ca-certificates";

export const buildEngineDaemon: Daemon = {
  what: "the build engine (dockerd)",
  command: "unshare",
  args: [
    "--mount",
    "--propagation",
    "private",
    "/bin/sh",
    "-c",
    `mount --bind ${path.join(dir, "hosts")} /etc/hosts && mount --bind ${path.join(dir, "etc")} /etc/docker && ` +
      `exec dockerd --data-root ${path.join(CACHE_DIR, "docker")} --exec-root ${path.join(dir, "exec")} ` +
      `-H unix://${SOCKET} --pidfile ${path.join(dir, "dockerd.pid")} --bridge none --iptables=false --ip-masq=false`,
  ],
  pidFile: path.join(dir, "daemon.pid"),
  logFile: path.join(dir, "dockerd.log"),
};

/** The docker CLI (Debian's, the engine's own version) against the build engine. */
export const docker = (args: string[], input?: string) =>
  runOrThrow("/usr/bin/docker", ["-H", `unix://${SOCKET}`, ...args], { input });

export const dockerAsync = (args: string[], onLine?: (line: string) => void) =>
  runAsync("/usr/bin/docker", ["-H", `unix://${SOCKET}`, ...args], { onLine });

export async function startBuildEngine(): Promise<void> {
  for (const sub of ["etc", "exec", `etc/certs.d/${REGISTRY_HOST}`])
    mkdirSync(path.join(dir, sub), { recursive: true });
  writeFileSync(
    path.join(dir, "hosts"),
    `127.0.0.1 localhost\n${ADDRESSES.services} ${REGISTRY_HOST}\n`,
  );
  copyFileSync(LOCAL_CA, path.join(dir, "etc", "certs.d", REGISTRY_HOST, "ca.crt"));
  startDaemon(buildEngineDaemon);
  await waitReady(
    buildEngineDaemon,
    () =>
      existsSync(SOCKET) &&
      runAsync("/usr/bin/docker", ["-H", `unix://${SOCKET}`, "info"]).then((r) => r.status === 0),
    60000,
  );
}

/**
 * The Node base image, from Debian's own nodejs and npm packages (debootstrap through the apt
 * proxy), with the official image's unprivileged `node` user (uid 1000); built once, imported
 * once. npm, as the official image has it: the sample app's Dockerfile runs `npm ci` (its backing
 * services' clients), against the npm registry through the build's host network.
 */
export async function ensureNodeImage(mirror: string, log: (line: string) => void): Promise<void> {
  if ((await dockerAsync(["image", "inspect", LOCAL_NODE_IMAGE])).status === 0) return;
  if (!existsSync(NODE_ROOTFS_TAR)) {
    const root = path.join(CACHE_DIR, "images", "node-debian-12-npm.building");
    rmSync(root, { recursive: true, force: true });
    log(
      "  node base image: debootstrap --variant=minbase bookworm, then apt-get install nodejs npm",
    );
    await runAsync(
      "debootstrap",
      ["--variant=minbase", "--include=ca-certificates", "bookworm", root, mirror],
      {
        env: { ...process.env, http_proxy: APT_PROXY_URL },
      },
    ).then((r) => {
      if (r.status !== 0)
        throw new Error(`debootstrap of the node base image failed:\n${r.stderr.slice(-2000)}`);
    });
    // The build reaches the npm registry as this machine does: a machine whose traffic goes through
    // a proxy with a CA of its own (this one's, or a company's) trusts it from here.
    cpSync(LOCAL_CAS, path.join(root, LOCAL_CAS), { recursive: true });
    // debootstrap's --include fails on virtual dependencies (../shared/local-cloud-notes.md).
    runOrThrow(
      "chroot",
      [
        root,
        "/bin/sh",
        "-euc",
        "apt-get update -q && apt-get install -y -q --no-install-recommends nodejs npm && " +
          "update-ca-certificates && " +
          "groupadd -g 1000 node && useradd -u 1000 -g node -m -s /bin/sh node && apt-get clean",
      ],
      {
        env: {
          PATH: "/usr/sbin:/usr/bin:/sbin:/bin",
          DEBIAN_FRONTEND: "noninteractive",
          http_proxy: APT_PROXY_URL,
        },
      },
    );
    runOrThrow("tar", ["-C", root, "-cf", `${NODE_ROOTFS_TAR}.part`, "."]);
    runOrThrow("mv", [`${NODE_ROOTFS_TAR}.part`, NODE_ROOTFS_TAR]);
    rmSync(root, { recursive: true, force: true });
  }
  log(`  node base image: docker import as ${LOCAL_NODE_IMAGE}`);
  // Node reads its own CA list, not the system's: npm in the build trusts the system's through this.
  docker([
    ...["import", "--change", "ENV NODE_EXTRA_CA_CERTS=/etc/ssl/certs/ca-certificates.crt"],
    ...["--change", 'CMD ["node"]', NODE_ROOTFS_TAR, LOCAL_NODE_IMAGE],
  ]);
}
