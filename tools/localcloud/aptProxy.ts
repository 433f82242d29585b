/**
 * apt inside the droplets (and the base image's debootstrap) goes through apt-cacher-ng on the
 * host, the one thing outside a stack's own network a droplet may reach. It forwards to the Debian
 * mirror this machine's own apt uses, and its cache makes every later bootstrap fast.
 */
import { cpSync, existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { connect } from "node:net";
import * as path from "node:path";
import { ADDRESSES, CACHE_DIR, SHARED_DIR } from "./localPaths";
import { Daemon, startDaemon, waitReady } from "../shared/daemons";

export const APT_PROXY_PORT = 3142;
/** What droplets and debootstrap put in `http_proxy` / apt's `Acquire::http::Proxy`. */
export const APT_PROXY_URL = `http://${ADDRESSES.services}:${APT_PROXY_PORT}`;

const dir = path.join(SHARED_DIR, "apt-cacher-ng");

export const aptProxyDaemon: Daemon = {
  what: "the apt proxy (apt-cacher-ng)",
  command: "/usr/sbin/apt-cacher-ng",
  args: [
    "-c",
    path.join(dir, "conf"),
    "ForeGround=1",
    `CacheDir=${path.join(CACHE_DIR, "apt-cacher-ng")}`,
    `LogDir=${path.join(dir, "log")}`,
    `Port=${APT_PROXY_PORT}`,
    `BindAddress=${ADDRESSES.services}`,
    `SocketPath=${path.join(dir, "socket")}`,
    `PidFile=${path.join(dir, "acng.pid")}`,
  ],
  pidFile: path.join(dir, "daemon.pid"),
  logFile: path.join(dir, "log", "daemon.log"),
};

/**
 * The Debian mirror this machine's apt uses (deb822 `URIs:` or a `deb` line): apt-cacher-ng must
 * forward there, or it remaps to a public mirror list this machine cannot reach.
 */
export function hostDebianMirror(): string {
  const files = [
    "/etc/apt/sources.list",
    ...(existsSync("/etc/apt/sources.list.d")
      ? readdirSync("/etc/apt/sources.list.d").map((f) => path.join("/etc/apt/sources.list.d", f))
      : []),
  ].filter(existsSync);
  for (const file of files) {
    const text = readFileSync(file, "utf8");
    const uri =
      /^URIs:\s*(\S+\/debian)\/?\s*$/m.exec(text)?.[1] ??
      /^deb\s+(?:\[[^\]]*\]\s+)?(\S+\/debian)\/?\s+bookworm\b/m.exec(text)?.[1];
    if (uri) return uri.endsWith("/") ? uri : `${uri}/`;
  }
  return "http://deb.debian.org/debian/";
}

/** Starts the apt proxy on the shared services' address (which must exist), once. */
export async function startAptProxy(): Promise<void> {
  const conf = path.join(dir, "conf");
  if (!existsSync(conf)) {
    mkdirSync(conf, { recursive: true });
    cpSync("/etc/apt-cacher-ng", conf, { recursive: true });
  }
  writeFileSync(path.join(conf, "backends_debian"), `${hostDebianMirror()}\n`);
  mkdirSync(path.join(CACHE_DIR, "apt-cacher-ng"), { recursive: true });
  startDaemon(aptProxyDaemon);
  await waitReady(aptProxyDaemon, () => portAnswers(ADDRESSES.services, APT_PROXY_PORT));
}

/** A TCP connect succeeds. */
export function portAnswers(host: string, port: number, timeoutMs = 1000): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host, port, timeout: timeoutMs });
    socket.once("connect", () => {
      socket.destroy();
      resolve(true);
    });
    socket.once("error", () => resolve(false));
    socket.once("timeout", () => {
      socket.destroy();
      resolve(false);
    });
  });
}
