/**
 * What bounds the API's containers on a droplet (colours, processes, the migration): memory, CPU
 * and pids, by default a share of what the droplet size has, so a leaking or runaway API is killed
 * or throttled inside its own cgroup while nginx, sshd and supervisord keep what they need.
 * One implementation for the config check (`schema.ts`) and the docker flags (`templates/render.ts`).
 */

/** `app.container` as given (every field optional: the rest is derived). */
export interface ContainerSettings {
  readonly memory?: string;
  readonly cpus?: number;
  readonly pids?: number;
  readonly tmpfs?: readonly string[];
  readonly tmpfsSize?: string;
  readonly user?: string;
}

/** The limits a container runs under, all known. */
export interface ContainerLimits {
  readonly memoryMiB: number;
  readonly cpus: number;
  readonly pids: number;
  /** Writable in-memory mounts; the rest of the root filesystem is read-only. */
  readonly tmpfs: readonly string[];
  readonly tmpfsSize: string;
  /** uid:gid, never 0: the image's own USER is not trusted to be unprivileged. */
  readonly user: string;
}

export const CONTAINER_DEFAULTS = {
  pids: 256,
  tmpfs: ["/tmp"],
  tmpfsSize: "64m",
  /** A uid no account on the droplet has (Debian gives users 1000 up), so it owns nothing there. */
  user: "10001:10001",
} as const;

/** Below this a Node API does not start reliably: a derived share under it is refused. */
export const MIN_CONTAINER_MIB = 64;
/** What the droplet keeps for itself (kernel, sshd, nginx, supervisord, dockerd): a quarter, 256 MiB at least. */
export const hostReserveMiB = (dropletMiB: number) => Math.max(256, Math.floor(dropletMiB / 4));
/** The share of the droplet's vCPUs one container may use: the rest keeps sshd and nginx answering. */
export const CPU_SHARE = 0.75;

export interface DropletResources {
  readonly vcpus: number;
  readonly memoryMiB: number;
}

/**
 * A size slug's vCPUs and memory, read from the slug as DigitalOcean names its plans
 * (`s-1vcpu-512mb-10gb`, `g-2vcpu-8gb`, and the CPU-optimised `c-<n>` with 2 GiB per vCPU);
 * undefined for a slug that does not say.
 */
export function dropletResources(size: string): DropletResources | undefined {
  const named = /-(\d+)vcpu-(\d+)(gb|mb)(-|$)/.exec(size);
  if (named) {
    const amount = Number(named[2]);
    return { vcpus: Number(named[1]), memoryMiB: named[3] === "gb" ? amount * 1024 : amount };
  }
  const cpuOptimised = /^c-(\d+)$/.exec(size);
  if (cpuOptimised) {
    const vcpus = Number(cpuOptimised[1]);
    return { vcpus, memoryMiB: vcpus * 2 * 1024 };
  }
  return undefined;
}

/** A docker memory size (`512m`, `1g`) in MiB. */
export function mebibytes(size: string): number {
  const [, amount, unit] = /^(\d+)([mg])$/.exec(size)!;
  return Number(amount) * (unit === "g" ? 1024 : 1);
}

/**
 * The limits for a droplet of `size` running `processes` processes beside the API, or the
 * problems (key under `app.container`, message) that stop them being known or safe.
 * Derived memory is split so both colours (they overlap during a release) and every process fit
 * in what the droplet leaves after its own reserve.
 */
export function containerLimits(
  size: string,
  processes: number,
  settings: ContainerSettings = {},
): ContainerLimits | { problems: { key: string; message: string }[] } {
  const droplet = dropletResources(size);
  const problems: { key: string; message: string }[] = [];
  const unknown = (key: string) =>
    problems.push({
      key,
      message: `must be set: the ${key === "memory" ? "memory" : "vCPUs"} of droplet.size ${size} cannot be read from its slug`,
    });
  let memoryMiB = settings.memory === undefined ? undefined : mebibytes(settings.memory);
  let cpus = settings.cpus;
  if (memoryMiB !== undefined && memoryMiB < MIN_CONTAINER_MIB)
    problems.push({ key: "memory", message: `must be at least ${MIN_CONTAINER_MIB}m` });
  if (droplet === undefined) {
    if (memoryMiB === undefined) unknown("memory");
    if (cpus === undefined) unknown("cpus");
  } else {
    const spare = droplet.memoryMiB - hostReserveMiB(droplet.memoryMiB);
    if (memoryMiB === undefined) {
      memoryMiB = Math.floor(spare / (2 + processes));
      if (memoryMiB < MIN_CONTAINER_MIB)
        problems.push({
          key: "memory",
          message: `must be set: droplet.size ${size} leaves ${memoryMiB} MiB per container for 2 colours and ${processes} process(es), under ${MIN_CONTAINER_MIB} MiB (choose a larger droplet.size or fewer app.processes)`,
        });
    } else if (memoryMiB * (2 + processes) > spare) {
      problems.push({
        key: "memory",
        message: `must be at most ${Math.floor(spare / (2 + processes))}m on droplet.size ${size}: 2 colours (both run during a release) and ${processes} process(es) share the ${spare} MiB it leaves after ${hostReserveMiB(droplet.memoryMiB)} MiB kept for nginx, sshd and the system`,
      });
    }
    if (cpus === undefined) cpus = Math.round(droplet.vcpus * CPU_SHARE * 100) / 100;
    else if (cpus > droplet.vcpus)
      problems.push({
        key: "cpus",
        message: `must be at most ${droplet.vcpus} on droplet.size ${size} (its vCPUs)`,
      });
  }
  if (problems.length > 0 || memoryMiB === undefined || cpus === undefined) return { problems };
  return {
    memoryMiB,
    cpus,
    pids: settings.pids ?? CONTAINER_DEFAULTS.pids,
    tmpfs: settings.tmpfs ?? CONTAINER_DEFAULTS.tmpfs,
    tmpfsSize: settings.tmpfsSize ?? CONTAINER_DEFAULTS.tmpfsSize,
    user: settings.user ?? CONTAINER_DEFAULTS.user,
  };
}

/** A validated stack's limits (`stackSchema` has refused every config they are not known for). */
export function stackContainerLimits(config: {
  readonly droplet: { readonly size: string };
  readonly app: { readonly container: ContainerSettings; readonly processes: object };
}): ContainerLimits {
  const limits = containerLimits(
    config.droplet.size,
    Object.keys(config.app.processes).length,
    config.app.container,
  );
  if ("problems" in limits)
    throw new Error(limits.problems.map((p) => `app.container.${p.key} ${p.message}`).join("; "));
  return limits;
}
