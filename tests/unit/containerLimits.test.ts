// app.container: what bounds the API's containers, derived from droplet.size or given, checked in
// the config (exact lines) and rendered as the docker flags every container of the API runs with.
import fc from "fast-check";
import {
  containerLimits,
  dropletResources,
  hostReserveMiB,
  MIN_CONTAINER_MIB,
} from "../../config/containerLimits";
import { PRICES } from "../../cost/prices";
import { containerFlags } from "../../templates";
import { Case, dropletLimits, parse, testCases, useMockRuntime } from "../helpers/configCases";

useMockRuntime();

describe("a droplet size's vCPUs and memory", () => {
  test.each([
    ["s-1vcpu-512mb-10gb", 1, 512],
    ["s-1vcpu-1gb", 1, 1024],
    ["s-2vcpu-4gb", 2, 4096],
    ["g-2vcpu-8gb", 2, 8192],
    ["so1_5-2vcpu-16gb", 2, 16384],
    ["c-4", 4, 8192],
  ])("%s has %d vCPU(s) and %d MiB", (size, vcpus, memoryMiB) => {
    expect(dropletResources(size)).toEqual({ vcpus, memoryMiB });
  });
  test("every size the price table knows is read", () => {
    for (const size of Object.keys(PRICES.droplets)) expect(dropletResources(size)).toBeDefined();
  });
  test("a slug that does not say is unknown", () => {
    expect(dropletResources("gpu-h100x1-80gb")).toBeUndefined();
  });
});

describe("derived limits", () => {
  test("s-1vcpu-1gb: both colours fit in what 256 MiB kept for the droplet leaves", () => {
    expect(dropletLimits("s-1vcpu-1gb")).toEqual({
      memoryMiB: 384,
      cpus: 0.75,
      pids: 256,
      tmpfs: ["/tmp"],
      tmpfsSize: "64m",
      user: "10001:10001",
    });
  });
  test("each process takes its share", () => {
    expect(dropletLimits("s-1vcpu-1gb", { worker: {}, clock: {} }).memoryMiB).toBe(192);
    expect(dropletLimits("s-2vcpu-4gb").cpus).toBe(1.5);
  });
  test("every container at once fits beside the droplet's reserve, whatever the size and processes", () => {
    fc.assert(
      fc.property(
        fc.constantFrom(...Object.keys(PRICES.droplets), "c-2", "g-4vcpu-16gb"),
        fc.integer({ min: 0, max: 12 }),
        (size, processes) => {
          const limits = containerLimits(size, processes);
          const { memoryMiB, vcpus } = dropletResources(size)!;
          if ("problems" in limits) {
            // Refused only when the share would be too small to run in.
            expect(
              Math.floor((memoryMiB - hostReserveMiB(memoryMiB)) / (2 + processes)),
            ).toBeLessThan(MIN_CONTAINER_MIB);
            return;
          }
          expect(limits.memoryMiB).toBeGreaterThanOrEqual(MIN_CONTAINER_MIB);
          expect(
            limits.memoryMiB * (2 + processes) + hostReserveMiB(memoryMiB),
          ).toBeLessThanOrEqual(memoryMiB);
          expect(limits.cpus).toBeLessThan(vcpus);
        },
      ),
    );
  });
  test("given values are used as given", () => {
    const config = parse({
      "app.container": {
        memory: "320m",
        cpus: "0.5",
        pids: 128,
        tmpfs: ["/tmp", "/app/cache"],
        tmpfsSize: "16m",
        user: "1000:1000",
      },
    });
    expect(config.app.container).toEqual({
      memory: "320m",
      cpus: 0.5,
      pids: 128,
      tmpfs: ["/tmp", "/app/cache"],
      tmpfsSize: "16m",
      user: "1000:1000",
    });
  });
});

const invalid: Case[] = [
  {
    name: "memory more than the droplet leaves each container (both colours run during a release)",
    overrides: { "app.container.memory": "512m" },
    lines: [
      'dropstack:app.container.memory: must be at most 384m on droplet.size s-1vcpu-1gb: 2 colours (both run during a release) and 0 process(es) share the 768 MiB it leaves after 256 MiB kept for nginx, sshd and the system, got "512m"',
    ],
  },
  {
    name: "memory too small to run in",
    overrides: { "app.container.memory": "32m" },
    lines: ['dropstack:app.container.memory: must be at least 64m, got "32m"'],
  },
  {
    name: "a malformed number of CPUs has its own message only",
    overrides: { "app.container.cpus": "0x2" },
    lines: ['dropstack:app.container.cpus: must be a number from 0.1 to 64, got "0x2"'],
  },
  {
    name: "a tmpfs twice, and on what docker mounts itself",
    overrides: { "app.container.tmpfs": ["/tmp", "/proc/x", "/tmp"] },
    lines: [
      'dropstack:app.container.tmpfs[1]: must be an absolute path outside /proc, /sys and /dev, such as /tmp, got "/proc/x"',
      'dropstack:app.container.tmpfs[2]: duplicates app.container.tmpfs[0], got "/tmp"',
    ],
  },
  {
    name: "more CPUs than the droplet has",
    overrides: { "app.container.cpus": 2 },
    lines: [
      "dropstack:app.container.cpus: must be at most 1 on droplet.size s-1vcpu-1gb (its vCPUs), got 2",
    ],
  },
  {
    name: "too many processes for the smallest droplet",
    overrides: {
      "droplet.size": "s-1vcpu-512mb-10gb",
      "app.processes": {
        a: { command: "node a.js" },
        b: { command: "node b.js" },
        c: { command: "node c.js" },
      },
    },
    lines: [
      "dropstack:app.container.memory: must be set: droplet.size s-1vcpu-512mb-10gb leaves 51 MiB per container for 2 colours and 3 process(es), under 64 MiB (choose a larger droplet.size or fewer app.processes), got nothing",
    ],
  },
  {
    name: "a size whose memory the slug does not say",
    overrides: { "droplet.size": "gpu-h100x1-80gb" },
    lines: [
      "dropstack:app.container.memory: must be set: the memory of droplet.size gpu-h100x1-80gb cannot be read from its slug, got nothing",
      "dropstack:app.container.cpus: must be set: the vCPUs of droplet.size gpu-h100x1-80gb cannot be read from its slug, got nothing",
    ],
  },
  {
    name: "root as the user",
    overrides: { "app.container.user": "0:0" },
    lines: [
      `dropstack:app.container.user: must be a uid:gid other than root's, such as 10001:10001, got "0:0"`,
    ],
  },
  {
    name: "the root filesystem as a tmpfs",
    overrides: { "app.container.tmpfs": ["/", "/app/../etc"] },
    lines: [
      'dropstack:app.container.tmpfs[0]: must be an absolute path outside /proc, /sys and /dev, such as /tmp, got "/"',
      'dropstack:app.container.tmpfs[1]: must be an absolute path outside /proc, /sys and /dev, such as /tmp, got "/app/../etc"',
    ],
  },
  {
    name: "a memory size without its unit",
    overrides: { "app.container.memory": "512" },
    lines: [
      'dropstack:app.container.memory: must be a size in MiB or GiB such as 384m or 1g, got "512"',
    ],
  },
  {
    name: "an unknown key",
    overrides: { "app.container.privileged": true },
    lines: [
      "dropstack:app.container.privileged: unknown key (did you mean app.container.pids?), got true",
    ],
  },
];

describe("app.container refused", () => testCases(invalid));

describe("the docker flags", () => {
  const flags = containerFlags(dropletLimits("s-1vcpu-1gb")).split(" --");
  test("no capabilities, no new privileges, read-only root with a tmpfs, not root, bounded", () => {
    expect(flags).toEqual([
      "--restart no",
      "cap-drop ALL",
      "security-opt no-new-privileges",
      "read-only",
      "tmpfs /tmp:rw,noexec,nosuid,nodev,size=64m",
      "user 10001:10001",
      "memory 384m",
      "memory-swap 384m",
      "cpu-period 100000",
      "cpu-quota 75000",
      "pids-limit 256",
    ]);
  });
});
