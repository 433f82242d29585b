/**
 * A stack's own "internet": a router namespace that every droplet, client and the DNS server hang
 * off by point-to-point links (so all their traffic crosses the router's nftables hooks), plus one
 * link to the host for the shared services. Reserved IPs are destination NAT to the droplet they
 * are assigned to; DigitalOcean's cloud firewall is the router's forward chain (stackFirewall.ts).
 * Nothing routes beyond: a droplet reaches the other addresses here and the host's apt proxy and
 * registry, and nothing else.
 */
import { mkdirSync, rmSync, writeFileSync } from "node:fs";
import { spawnSync } from "node:child_process";
import * as path from "node:path";
import { runOrThrow } from "../shared/runCommand";
import { ip, linkExists } from "./hostNetwork";
import { ADDRESSES, names } from "./localPaths";

const netnsList = () =>
  runOrThrow("ip", ["netns", "list"])
    .split("\n")
    .map((line) => line.split(" ")[0])
    .filter(Boolean);

const inNetns = (netns: string, command: string, args: string[]) =>
  runOrThrow("ip", ["netns", "exec", netns, command, ...args]);

function addNetns(netns: string): void {
  if (!netnsList().includes(netns)) runOrThrow("ip", ["netns", "add", netns]);
  ip(["link", "set", "lo", "up"], netns);
}

/**
 * A point-to-point link from the router to `netns`, whose end (`host0`, as systemd-nspawn names a
 * container's interface) gets `address` with the router as its gateway.
 */
function linkToRouter(index: number, netns: string, routerEnd: string, address: string): void {
  const { router } = names(index);
  if (linkExists(routerEnd, router)) return;
  ip([
    "link",
    "add",
    routerEnd,
    "netns",
    router,
    "type",
    "veth",
    "peer",
    "name",
    "host0",
    "netns",
    netns,
  ]);
  ip(["addr", "add", `${ADDRESSES.gateway}/32`, "dev", routerEnd], router);
  ip(["link", "set", routerEnd, "up"], router);
  ip(["route", "add", `${address}/32`, "dev", routerEnd], router);
  ip(["addr", "add", `${address}/32`, "dev", "host0"], netns);
  ip(["link", "set", "host0", "up"], netns);
  ip(["route", "add", `${ADDRESSES.gateway}/32`, "dev", "host0"], netns);
  ip(["route", "add", "default", "via", ADDRESSES.gateway, "dev", "host0"], netns);
}

/** The router namespace, its link to the host and the DNS server's address. Idempotent. */
export function createStackNetwork(index: number): void {
  const n = names(index);
  addNetns(n.router);
  inNetns(n.router, "sysctl", ["-qw", "net.ipv4.ip_forward=1"]);
  if (!linkExists(n.hostVeth)) {
    ip(["link", "add", n.hostVeth, "type", "veth", "peer", "name", "up0", "netns", n.router]);
    ip(["addr", "add", `${ADDRESSES.hostLink(index)}/30`, "dev", n.hostVeth]);
    ip(["link", "set", n.hostVeth, "up"]);
    ip(["addr", "add", `${ADDRESSES.routerLink(index)}/30`, "dev", "up0"], n.router);
    ip(["link", "set", "up0", "up"], n.router);
    ip(["route", "add", `${ADDRESSES.services}/32`, "via", ADDRESSES.hostLink(index)], n.router);
  }
  const dns = `${ADDRESSES.dns}/32`;
  if (!ip(["-o", "addr", "show", "dev", "lo"], n.router).includes(dns)) {
    ip(["addr", "add", dns, "dev", "lo"], n.router);
  }
}

/** Droplet `i`'s namespace and link; IP forwarding on, which dockerd inside needs. */
export function addDropletNetwork(index: number, i: number): string {
  const netns = names(index).droplet(i);
  addNetns(netns);
  linkToRouter(index, netns, `d${i}`, ADDRESSES.droplet(i));
  // /proc/sys is read-only inside the container: dockerd refuses to start without forwarding.
  inNetns(netns, "sysctl", ["-qw", "net.ipv4.ip_forward=1"]);
  return netns;
}

/** Database cluster `n`'s namespace and link: a host on the stack's network, as DigitalOcean's are. */
export function addClusterNetwork(index: number, n: number): string {
  const netns = names(index).cluster(n);
  addNetns(netns);
  linkToRouter(index, netns, `db${n}`, ADDRESSES.cluster(n));
  return netns;
}

/**
 * A client "on the internet" (the visitor, the operator) at `address`, resolving names through
 * the stack's DNS server: `ip netns exec` binds /etc/netns/<ns>/resolv.conf over /etc/resolv.conf.
 */
export function addClient(
  index: number,
  kind: "visitor" | "operator" | "acme" | "balancer",
  address: string,
): string {
  const netns = names(index)[kind];
  addNetns(netns);
  linkToRouter(
    index,
    netns,
    { visitor: "cv", operator: "co", acme: "ca", balancer: "lb" }[kind],
    address,
  );
  const etc = path.join("/etc/netns", netns);
  mkdirSync(etc, { recursive: true });
  writeFileSync(path.join(etc, "resolv.conf"), `nameserver ${ADDRESSES.dns}\n`);
  return netns;
}

/** A namespace (a link to the router goes with it) and its /etc/netns folder: a deleted droplet's. */
export function removeNetns(netns: string): void {
  spawnSync("ip", ["netns", "del", netns]);
  rmSync(path.join("/etc/netns", netns), { recursive: true, force: true });
}

/** Every namespace, link and /etc/netns folder of stack `index`; returns what it removed. */
export function destroyStackNetwork(index: number): string[] {
  const prefix = `dslc${index}-`;
  const removed: string[] = [];
  for (const netns of netnsList().filter((name) => name.startsWith(prefix))) {
    removeNetns(netns);
    removed.push(`namespace ${netns}`);
  }
  const hostVeth = names(index).hostVeth;
  if (linkExists(hostVeth)) {
    spawnSync("ip", ["link", "del", hostVeth]);
    removed.push(`link ${hostVeth}`);
  }
  return removed;
}

/** Runs `argv` in a namespace of the stack, inheriting stdio: for `local run`. */
export function runInNetns(netns: string, argv: string[], env?: NodeJS.ProcessEnv) {
  return spawnSync("ip", ["netns", "exec", netns, ...argv], { stdio: "inherit", env });
}

export { inNetns, netnsList };
