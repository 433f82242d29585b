/**
 * Config edits as transitions in the local cloud, each applied with `local up` while a visitor
 * keeps a steady load on the stack (wrk from the visitor's namespace, through the stack's DNS and
 * HTTPS with pebble's certificate): committed staging, then release forward and back, env,
 * clientMaxBodySize, app.port, a host added and removed. Each must take exactly the steps its
 * `plan --diff` predicted, leave everything else as it was (the droplet is never replaced), and
 * fail no request. Needs root (CI has it).
 */
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { parse, stringify } from "yaml";
import { stackDir } from "../../tools/localcloud/localPaths";
import type { LocalState } from "../../tools/localcloud/localState";
import { LoadFigures, startVisitorLoad } from "../../tools/localcloud/visitorLoad";
import { stackFilePath } from "../../tools/plan/stackFiles";
import { local, onDroplet, runAs, visitorStatus } from "../helpers/localCloudHelpers";

jest.setTimeout(30 * 60 * 1000);

const STACK = "lc-edit";
const HOST = "api.staging.example.com";
const dir = mkdtempSync(path.join(os.tmpdir(), "transitions-"));
const state = (): LocalState =>
  JSON.parse(readFileSync(path.join(stackDir(STACK), "state.json"), "utf8"));
const staging = () => parse(readFileSync(stackFilePath("staging"), "utf8"));

/** Staging's file with `edit` applied to its config, written for this stack. */
function stackFile(edit: (config: Record<string, Record<string, unknown>>) => void): string {
  const file = staging();
  edit(file.config);
  const out = path.join(dir, `Pulumi.${STACK}.yaml`);
  writeFileSync(out, stringify(file));
  return out;
}

type Edit = (config: Record<string, Record<string, unknown>>) => void;
const app =
  (values: Record<string, unknown>): Edit =>
  (c) =>
    Object.assign(c["dropstack:app"], values);

let dropletId: string;
const figures: Record<string, LoadFigures & { transitionSeconds: number }> = {};

/** `local up` of `edit` under load: the figures, after checking the steps against the plan. */
async function underLoad(name: string, edit: Edit): Promise<LoadFigures> {
  const before = state();
  const load = startVisitorLoad(STACK, `https://${HOST}/health`, { connections: 20 });
  await new Promise((resolve) => setTimeout(resolve, 2000));
  const up = local("up", "--stack", STACK, "--config", stackFile(edit));
  const result = await load.stop();
  if (up.status !== 0) throw new Error(`${name}: local up failed:\n${up.stderr}`);
  const after = state();
  const { predicted, taken, seconds } = after.lastTransition!;
  const summary = (steps: { action: string; key: string }[]) =>
    steps.map((s) => `${s.action} ${s.key}`).sort();
  expect(summary(taken)).toEqual(summary(predicted));
  expect(taken.length).toBeGreaterThan(0);
  expect(up.stderr).toContain("steps taken, as the plan predicted");
  // Nothing a step does not name changed: same ids, and the droplet is the one first booted.
  const touched = new Set(taken.map((s) => s.key));
  const ids = new Map(before.applied!.map((r) => [r.key, r.id]));
  for (const r of after.applied!.filter((r) => !touched.has(r.key) && ids.has(r.key))) {
    expect([r.key, r.id]).toEqual([r.key, ids.get(r.key)]);
  }
  expect(after.droplets.map((d) => d.id)).toEqual([dropletId]);
  figures[name] = { ...result, transitionSeconds: seconds };
  console.log(
    `${name}: ${taken.length} steps in ${seconds.toFixed(1)} s; under load ${result.requests} requests, non-2xx ${result.non2xx}, socket errors ${JSON.stringify(result.socketErrors)}, p99 ${result.p99Ms} ms`,
  );
  // No answer other than 2xx, none refused, none unanswered. An nginx reload closes idle
  // keepalive connections, and a request sent on one as it closes is reset (wrk's read errors):
  // a client retries those (see "Changing a stack safely" in the README).
  expect(result.non2xx).toBe(0);
  expect(result.socketErrors.connect).toBe(0);
  expect(result.socketErrors.timeout).toBe(0);
  expect(result.socketErrors.read + result.socketErrors.write).toBeLessThanOrEqual(25);
  expect(result.requests).toBeGreaterThan(1000);
  return result;
}

const version = () =>
  JSON.parse(runAs(STACK, "visitor", "curl", "-sS", "-m", "10", `https://${HOST}/version`).stdout);

beforeAll(() => {
  if (process.getuid?.() !== 0) throw new Error("the local cloud tests need root");
  local("down", "--stack", STACK);
  const up = local(
    "up",
    "--stack",
    STACK,
    "--config",
    stackFile(() => undefined),
  );
  if (up.status !== 0) throw new Error(`local up of ${STACK} failed:\n${up.stderr}`);
  dropletId = state().droplets[0].id;
});

afterAll(() => {
  console.log(JSON.stringify(figures));
  local("down", "--stack", STACK);
});

test("the same config again takes no step", () => {
  const again = local(
    "up",
    "--stack",
    STACK,
    "--config",
    stackFile(() => undefined),
  );
  expect(again.status).toBe(0);
  expect(again.stderr).toContain("is up with this config already: nothing to do");
});

test("app.release forward, then back (a rollback)", async () => {
  await underLoad("app.release forward", app({ release: "v0.2.0" }));
  expect(version()).toEqual({ release: "v0.2.0" });
  await underLoad("app.release back", app({ release: "v0.1.0" }));
  expect(version()).toEqual({ release: "v0.1.0" });
});

test("app.env", async () => {
  await underLoad("app.env", app({ env: { LOG_LEVEL: "debug" } }));
  const env = onDroplet(STACK, 1, "sh", "-c", "cat /etc/dropstack/*.env 2>/dev/null || true");
  expect(env.stdout).toContain("LOG_LEVEL=debug");
});

test("proxy.clientMaxBodySize", async () => {
  const post = () =>
    runAs(
      STACK,
      "visitor",
      "sh",
      "-c",
      `head -c 15000000 /dev/zero | curl -s -o /dev/null -w '%{http_code}' -m 30 --data-binary @- https://${HOST}/echo`,
    ).stdout;
  expect(post()).toBe("413");
  await underLoad("proxy.clientMaxBodySize", (c) => {
    app({ env: { LOG_LEVEL: "debug" } })(c);
    Object.assign(c["dropstack:proxy"], { clientMaxBodySize: "20m" });
  });
  expect(post()).toBe("200");
});

test("app.port", async () => {
  await underLoad("app.port", (c) => {
    app({ env: { LOG_LEVEL: "debug" }, port: 8090 })(c);
    Object.assign(c["dropstack:proxy"], { clientMaxBodySize: "20m" });
  });
  const listening = onDroplet(STACK, 1, "ss", "-ltnH").stdout;
  expect(listening).toMatch(/:8090\b/);
});

test("hosts: one added, then removed", async () => {
  const edited = (hosts: string[]) => (c: Record<string, Record<string, unknown>>) => {
    app({ env: { LOG_LEVEL: "debug" }, port: 8090 })(c);
    Object.assign(c["dropstack:proxy"], { clientMaxBodySize: "20m" });
    (c as Record<string, unknown>)["dropstack:hosts"] = hosts;
  };
  await underLoad("hosts: one added", edited(["api.staging", "www.staging"]));
  expect(visitorStatus(STACK, "https://www.staging.example.com/health")).toBe("200");
  await underLoad("hosts: one removed", edited(["api.staging"]));
  expect(visitorStatus(STACK, "https://www.staging.example.com/health")).toBe("000");
  expect(visitorStatus(STACK, `https://${HOST}/health`)).toBe("200");
});
