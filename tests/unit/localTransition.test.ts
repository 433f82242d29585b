/**
 * The local engine on a stack that is up (tools/localcloud/localMocks.ts): applied once, then
 * applied again with an edit, it takes exactly the steps `plan --diff` predicts from the state the
 * first run saved, touches nothing else (unchanged resources keep their ids and run nothing), and
 * deletes last. Stand-ins here only record; the local cloud's real ones are run by
 * tests/integration/localCloudTransitions.test.ts.
 */
import { userDataHash } from "../../templates";
import { RESOURCE_TYPES as T } from "../../components/resourceTypes";
import type { AppliedResource, LocalCloudMocks as Mocks } from "../../tools/localcloud/localMocks";
import type { PlanState } from "../../tools/plan/planState";
import type { Step } from "../../tools/plan/transition";
import { committedStack, withConfig } from "../helpers/planHelpers";

jest.setTimeout(60_000);

type Calls = { action: string; name: string }[];

/** One local `up` with recording stand-ins: what it applied, took, called, and its state. */
async function localRun(
  stack: string,
  edits: Record<string, unknown>,
  before: AppliedResource[] = [],
) {
  jest.resetModules();
  const { LocalCloudMocks } = (await import("../../tools/localcloud/localMocks")) as {
    LocalCloudMocks: typeof Mocks;
  };
  const { runPlan } = await import("../../tools/plan/runPlan");
  const { stateOfPlan } = await import("../../tools/plan/planState");
  const calls: Calls = [];
  let n = 0;
  const call = (action: string, name: string) => calls.push({ action, name });
  const mocks = new LocalCloudMocks(
    {
      create: {
        [T.droplet]: async (inputs, r) => {
          call("create", r.name);
          n++;
          return {
            id: String(430001000 + n),
            outputs: {
              // What the provider keeps of the user data it booted with, as the real stand-in.
              userData: userDataHash(String(inputs.userData)),
              ipv4Address: `10.7.0.${10 + n}`,
            },
          };
        },
        [T.command]: async (_inputs, r) => {
          call("create", r.name);
          return { id: r.name, outputs: { stdout: "", stderr: "" } };
        },
        // Values of their own, as the local registry's (the plan makes up others): hashes the
        // program takes over them must still compare.
        [T.registryCredentials]: async (inputs, r) => {
          const auth = Buffer.from(`local-${String(inputs.write)}:pw-${r.name}`).toString("base64");
          const dockerCredentials = JSON.stringify({
            auths: { "registry.digitalocean.com": { auth } },
          });
          return { id: r.name, outputs: { dockerCredentials } };
        },
        [T.image]: async (inputs) => {
          const repository = String(inputs.imageName).replace(/:[^/:]+$/, "");
          return { id: "img", outputs: { repoDigest: `${repository}@sha256:${"ab".repeat(32)}` } };
        },
      },
      update: {
        [T.image]: async (_inputs, _r, previous) => ({
          id: previous.id,
          outputs: previous.outputs,
        }),
        [T.droplet]: async (_inputs, r, previous) => {
          call("update", r.name);
          return { id: previous.id, outputs: previous.outputs };
        },
        [T.command]: async (_inputs, r) => {
          call("update", r.name);
          return { id: r.name, outputs: { stdout: "", stderr: "" } };
        },
      },
      delete: {
        [T.droplet]: async (previous) => void call("delete", previous.name),
        [T.command]: async (previous) => void call("delete", previous.name),
      },
    },
    { skipped: () => undefined, failed: () => undefined },
    before,
  );
  const plan = await runPlan(stack, withConfig(committedStack(stack), edits), mocks);
  await mocks.deleteRemoved();
  return { applied: mocks.applied, steps: mocks.steps, calls, state: stateOfPlan(plan) };
}

/** What `plan --diff` predicts from `from` to the offline plan of the edited config. */
async function predicted(stack: string, edits: Record<string, unknown>, from: PlanState) {
  jest.resetModules();
  const { runPlan } = await import("../../tools/plan/runPlan");
  const { stateOfPlan } = await import("../../tools/plan/planState");
  const { diffStates } = await import("../../tools/plan/transition");
  const plan = await runPlan(stack, withConfig(committedStack(stack), edits));
  return diffStates(from, stateOfPlan(plan)).steps;
}

const summary = (steps: readonly Pick<Step, "action" | "key">[]) =>
  steps.map((s) => `${s.action} ${s.key}`).sort();

const EDITS: [string, Record<string, unknown>][] = [
  ["app.release", { "app.release": "v0.2.0" }],
  ["app.env", { "app.env": { LOG_LEVEL: "debug" } }],
  ["app.port", { "app.port": 8090 }],
  ["proxy.clientMaxBodySize", { "proxy.clientMaxBodySize": "20m" }],
  ["hosts: one added", { hosts: ["api.staging", "www.staging"] }],
  ["domain", { domain: "example.org" }],
  ["droplet.size", { "droplet.size": "s-2vcpu-4gb" }],
];

let first: Awaited<ReturnType<typeof localRun>>;
beforeAll(async () => {
  first = await localRun("staging", {});
});

test("the same config again takes no step and runs nothing", async () => {
  const again = await localRun("staging", {}, first.applied);
  expect(again.steps).toEqual([]);
  expect(again.calls).toEqual([]);
});

test.each(EDITS)("%s: the steps taken are the ones plan --diff predicts", async (_name, edits) => {
  const expected = await predicted("staging", edits, first.state);
  const run = await localRun("staging", edits, first.applied);
  expect(summary(run.steps)).toEqual(summary(expected));
  expect(run.steps.length).toBeGreaterThan(0);
  // Only what a step names was run: create, update or delete.
  const names = new Set(run.steps.map((s) => s.key.slice(s.key.lastIndexOf("::") + 2)));
  for (const c of run.calls) expect(names).toContain(c.name);
});

test("a host removed: its record and checks are deleted after everything else, last made first", async () => {
  const two = await localRun("staging", { hosts: ["api.staging", "www.staging"] });
  const expected = await predicted("staging", {}, two.state);
  const run = await localRun("staging", {}, two.applied);
  expect(summary(run.steps)).toEqual(summary(expected));
  const actions = run.steps.map((s) => s.action);
  expect(actions.slice(actions.indexOf("delete"))).toEqual(actions.filter((a) => a === "delete"));
  const deleted = run.steps.filter((s) => s.action === "delete").map((s) => s.key);
  expect(deleted).toContain(`${T.dnsRecord}::staging-dns-www-staging`);
  // The alerts go before the check they watch.
  const check = deleted.indexOf(`${T.uptimeCheck}::staging-monitoring-www-staging-uptime`);
  expect(check).toBe(deleted.length - 1);
});

test("after a failed run that replaced a command, the next one diffs against the new one and deletes the old", async () => {
  const edited = { "app.env": { LOG_LEVEL: "debug" } };
  const second = await localRun("staging", edited, first.applied);
  const key = `${T.command}::staging-web-1-api-env-install`;
  const stale = first.applied.find((r) => r.key === key)!;
  // As a failed run leaves it (appliedSoFar): what it made, then the old one still to delete.
  const third = await localRun("staging", edited, [...second.applied, stale]);
  expect(third.steps).toEqual([]);
  expect(third.calls).toEqual([{ action: "delete", name: "staging-web-1-api-env-install" }]);
});

test("a replaced command runs its new create before the old one's delete", async () => {
  const run = await localRun("staging", { "app.release": "v0.2.0" }, first.applied);
  const release = run.calls.filter((c) => c.name === "staging-web-1-api-release-run");
  expect(release.map((c) => c.action)).toEqual(["create", "delete"]);
});
