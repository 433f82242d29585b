/**
 * The local cloud's engine is the mock runtime (tools/localcloud/localMocks.ts). What it builds on,
 * checked with stand-ins that only take time and record: a resource registers only after what it
 * depends on has been created, with the outputs that creation returned; independent resources are
 * created side by side; a failed creation ends the run naming the resource.
 */
import { userDataHash } from "../../templates";
import { RESOURCE_TYPES as T } from "../../components/resourceTypes";
import type { LocalCloudMocks as Mocks } from "../../tools/localcloud/localMocks";
import { committedStack, withConfig } from "../helpers/planHelpers";
import { setTimeout as sleep } from "node:timers/promises";

async function evaluate(stack: string, edits: Record<string, unknown>, failOn?: string) {
  jest.resetModules();
  const { LocalCloudMocks } = (await import("../../tools/localcloud/localMocks")) as {
    LocalCloudMocks: typeof Mocks;
  };
  const { runPlan } = await import("../../tools/plan/runPlan");
  const events: { what: string; name: string; at: number; host?: string }[] = [];
  const skipped: string[] = [];
  const failed: string[] = [];
  let n = 0;
  const mocks = new LocalCloudMocks(
    {
      update: {},
      delete: {},
      create: {
        [T.droplet]: async (inputs, r) => {
          events.push({ what: "droplet start", name: r.name, at: Date.now() });
          await sleep(300);
          events.push({ what: "droplet done", name: r.name, at: Date.now() });
          return {
            id: String(900 + ++n),
            outputs: {
              // What the provider keeps of the user data it booted with, as the real stand-in.
              userData: userDataHash(String(inputs.userData)),
              ipv4Address: `198.51.100.${10 + n}`,
            },
          };
        },
        [T.command]: async (inputs, r) => {
          const host = (inputs.connection as { host: string }).host;
          events.push({ what: "command", name: r.name, at: Date.now(), host });
          if (r.name === failOn) throw new Error("exit 1: no such file");
          return { id: r.name, outputs: { stdout: "", stderr: "" } };
        },
      },
    },
    { skipped: (r) => skipped.push(r.type), failed: (r) => failed.push(r.name) },
  );
  const result = runPlan(stack, withConfig(committedStack(stack), edits), mocks);
  return { result, events, skipped, failed };
}

test("a step runs after the droplet it needs, with the address the droplet's creation returned", async () => {
  const { result, events } = await evaluate("dev", {});
  await result;
  const dropletDone = events.find((e) => e.what === "droplet done")!;
  const bootstrap = events.find((e) => e.name === "dev-web-1-bootstrap")!;
  expect(bootstrap.at).toBeGreaterThanOrEqual(dropletDone.at);
  expect(bootstrap.host).toBe("198.51.100.11");
  // Every remote step waits for the bootstrap: none ran before it but the host key's install
  // (with no script for a droplet booted with its key) and the wait for SSH.
  const commands = events.filter((e) => e.what === "command");
  expect(commands.slice(0, 2).map((c) => c.name)).toEqual([
    "dev-web-1-host-key-install",
    "dev-web-1-bootstrap",
  ]);
  expect(commands.length).toBeGreaterThan(8);
});

test("behind the balancer, the first half of the droplets is created side by side, then the rest", async () => {
  const { result, events } = await evaluate("dev", { "droplet.count": 3 });
  await result;
  const at = (what: string, name: string) =>
    events.find((e) => e.what === what && e.name === name)!.at;
  const [one, two, three] = [1, 2, 3].map((i) => `dev-web-${i}-droplet`);
  // 1 and 2 both started before either finished; 3 (the second half, whose resize waits for
  // theirs) only once both had.
  expect(Math.max(at("droplet start", one), at("droplet start", two))).toBeLessThan(
    Math.min(at("droplet done", one), at("droplet done", two)),
  );
  expect(at("droplet start", three)).toBeGreaterThanOrEqual(
    Math.max(at("droplet done", one), at("droplet done", two)),
  );
});

test("types without a stand-in are listed as skipped; a failure ends the run naming the step", async () => {
  const { result, skipped, failed, events } = await evaluate(
    "dev",
    {},
    "dev-web-1-nginx-site-install",
  );
  await expect(result).rejects.toThrow("exit 1: no such file");
  expect(failed).toEqual(["dev-web-1-nginx-site-install"]);
  expect(skipped).toContain(T.reservedIp);
  // Nothing that depends on the failed step ran after it.
  expect(events.map((e) => e.name)).not.toContain("dev-web-1-api-release-run");
});
