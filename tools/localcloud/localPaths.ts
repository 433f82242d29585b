/**
 * Where the local cloud keeps things on this machine, and how it names and numbers them. The base
 * image and the caches live outside the work tree (they outlive checkouts); each stack's state
 * lives under the state root, one folder per stack, so two stacks never share a name or a file.
 */
import * as os from "node:os";
import * as path from "node:path";

/** Built once per machine: the base image, the Node base image, apt's and the build engine's caches. */
export const CACHE_DIR =
  process.env.DROPSTACK_CACHE_DIR ??
  path.join(process.env.XDG_CACHE_HOME ?? path.join(os.homedir(), ".cache"), "dropstack");

/** Per-stack state (machines, keys, DNS, logs) and the shared services' run files. */
export const STATE_ROOT = process.env.DROPSTACK_LOCAL_STATE ?? "/var/lib/dropstack-local";

/** The shared services (apt proxy, registry, build engine): one set for every stack. */
export const SHARED_DIR = path.join(STATE_ROOT, "_shared");

export const stackDir = (stack: string) => path.join(STATE_ROOT, stack);

/**
 * Every stack has its own "internet": a router namespace with the public range behind it, so two
 * stacks may use the same public addresses without meeting. The host reaches each router over a
 * link of its own, numbered by the stack's index, and the shared services sit on one host address.
 */
export const PUBLIC_PREFIX = process.env.DROPSTACK_LOCAL_PUBLIC ?? "198.51.100";
/** The first two octets of the host-side links and the shared services' address. */
export const HOST_PREFIX = process.env.DROPSTACK_LOCAL_HOST_RANGE ?? "10.250";

export const ADDRESSES = {
  /** The router's own address on every droplet and client link: their gateway. */
  gateway: `${PUBLIC_PREFIX}.1`,
  /** The authoritative DNS server (stands in for DigitalOcean's name servers). */
  dns: `${PUBLIC_PREFIX}.53`,
  /** The shared services on the host: apt proxy (3142) and the registry (443). */
  services: `${HOST_PREFIX}.0.1`,
  droplet: (i: number) => `${PUBLIC_PREFIX}.${10 + i}`,
  reservedIp: (i: number) => `${PUBLIC_PREFIX}.${100 + i}`,
  /** Database cluster `n`'s (its public and private host alike, as a droplet's). */
  cluster: (n: number) => `${PUBLIC_PREFIX}.${70 + n}`,
  /** The stack's load balancer (a stack has one at most). */
  balancer: `${PUBLIC_PREFIX}.60`,
  /** The ACME server (pebble), a host on the stack's internet like Let's Encrypt's. */
  acme: `${PUBLIC_PREFIX}.54`,
  /** A client outside every narrow `sshSourceAddresses` list. */
  visitor: `${PUBLIC_PREFIX}.200`,
  /** The operator of `up --from-outside`: outside the list too, as a CI runner is. */
  outsideOperator: `${PUBLIC_PREFIX}.210`,
  hostLink: (index: number) => `${HOST_PREFIX}.${index}.1`,
  routerLink: (index: number) => `${HOST_PREFIX}.${index}.2`,
} as const;

/** Namespace and interface names of stack number `index` (interface names are at most 15 bytes). */
export function names(index: number) {
  const base = `dslc${index}`;
  return {
    router: `${base}-inet`,
    droplet: (i: number) => `${base}-d${i}`,
    visitor: `${base}-visitor`,
    operator: `${base}-operator`,
    acme: `${base}-acme`,
    balancer: `${base}-lb`,
    /** Database cluster `n`'s namespace. */
    cluster: (n: number) => `${base}-db${n}`,
    /** The host's end of the router link. */
    hostVeth: `${base}h`,
    /** The machine name systemd-nspawn gives droplet `i`. */
    machine: (i: number) => `${base}-d${i}`,
    /** The nftables table of this stack, in its router namespace. */
    table: "dropstack",
  };
}
