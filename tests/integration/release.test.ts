/**
 * Blue/green releases, decided by the stack's own rendered release script, against a real sandbox:
 * real nginx (njs picks the colour), real supervisord, the sample API under load from autocannon.
 */
import { spawn } from "node:child_process";
import { readFileSync, writeFileSync } from "node:fs";
import * as path from "node:path";
import { CONFIG_DIR } from "../../templates";
import { Sandbox } from "../../tools/sandbox/sandbox";
import { liveColour, programPid, runRelease } from "../../tools/sandbox/sandboxRelease";
import { request } from "../../tools/sandbox/sandboxRequests";
import {
  derivedStackFile,
  freePort,
  releaseUnderLoad,
  sandboxTools,
  startDetached,
  stopDetached,
} from "../helpers/sandboxHelpers";

const STACK = "releasetest";
const HOST = "api.releasetest.example.com";
const tools = sandboxTools();

const version = async (sandbox: Sandbox) =>
  JSON.parse((await request(sandbox, HOST, "/version")).body).release as string;

let sandbox: Sandbox;
beforeAll(async () => {
  const file = derivedStackFile(STACK, {
    port: await freePort(),
    release: "v1",
    healthTimeoutSeconds: 6,
    drainSeconds: 2,
  });
  sandbox = startDetached(STACK, file, await freePort());
}, 120000);
afterAll(() => stopDetached(STACK));

test("a good release switches colours under load without one failed request", async () => {
  const before = liveColour(sandbox);
  const { load, work } = await releaseUnderLoad(sandbox, HOST, { release: "v2" });
  console.log(
    `good release under load: ${load.failed} failed of ${load.requests} in ${load.seconds.toFixed(1)} s`,
  );
  expect(work.code).toBe(0);
  expect(liveColour(sandbox)).not.toBe(before);
  expect(await version(sandbox)).toBe("v2");
  expect(load.requests).toBeGreaterThan(1000);
  expect(load.failed).toBe(0);
}, 120000);

test("running the same release again changes nothing", async () => {
  const colour = liveColour(sandbox);
  const pid = programPid(tools, sandbox);
  const again = await runRelease(sandbox, tools, { release: "v2" });
  expect(again.code).toBe(0);
  expect(again.output).not.toMatch(/starting|switched|pulling/);
  expect(liveColour(sandbox)).toBe(colour);
  expect(programPid(tools, sandbox)).toBe(pid);
}, 60000);

test("a broken release fails, stops its colour and leaves the old one serving, under load", async () => {
  const colour = liveColour(sandbox);
  const { load, work } = await releaseUnderLoad(sandbox, HOST, {
    release: "v3-broken",
    extraEnv: { HEALTH_STATUS: "503" },
  });
  expect(work.code).not.toBe(0);
  expect(work.output).toMatch(/last health responses of (blue|green)/);
  expect(work.output).toMatch(/^503 \{"status":"unhealthy"\}$/m);
  expect(work.output).toMatch(/did not answer \/health with 200 3 times in a row within 6s/);
  expect(liveColour(sandbox)).toBe(colour);
  expect(programPid(tools, sandbox, colour === "blue" ? "green" : "blue")).toBe(0);
  expect(await version(sandbox)).toBe("v2");
  expect(load.failed).toBe(0);
}, 120000);

test("rolling back to the previous release takes seconds: no pull, the idle colour comes back", async () => {
  const rollback = await runRelease(sandbox, tools, { release: "v1" });
  expect(rollback.code).toBe(0);
  expect(rollback.output).toMatch(/already holds v1: rolling back without a pull/);
  expect(await version(sandbox)).toBe("v1");
  // Start + health gate + the 2 s drain of this stack, about 4-5 s here; a loaded CI machine took
  // 6.06 s once. A rollback that pulled or sat out the 6 s health window would pass 10 s.
  expect(rollback.seconds).toBeLessThan(10);
}, 60000);

test("two releases cannot interleave: a second run waits for the lock", async () => {
  const lock = path.join(sandbox.root, "var/lib/dropstack/api.lock");
  const holder = spawn("flock", [lock, "sleep", "2"], { stdio: "ignore" });
  await new Promise((resolve) => setTimeout(resolve, 200));
  const waited = await runRelease(sandbox, tools, { release: "v1" });
  holder.kill();
  expect(waited.code).toBe(0);
  expect(waited.seconds).toBeGreaterThan(1.5);
}, 60000);

test("new container bounds alone are a release: blue/green, and the new colour's flags file holds them", async () => {
  const colour = liveColour(sandbox);
  const release = await version(sandbox);
  const flagsOf = (c: string) =>
    readFileSync(path.join(sandbox.root, CONFIG_DIR, `${sandbox.app}-${c}.flags`), "utf8");
  expect(flagsOf(colour)).toMatch(/--memory \d+m/);
  const script = readFileSync(sandbox.releaseScript, "utf8");
  // What a resize or an app.container edit renders: the same release, other limits.
  const bounded = script.replace(
    /--memory \d+m --memory-swap \d+m/,
    "--memory 200m --memory-swap 200m",
  );
  expect(bounded).not.toBe(script);
  writeFileSync(sandbox.releaseScript, bounded);
  try {
    const run = await runRelease(sandbox, tools, { release });
    expect(run.code).toBe(0);
    expect(run.output).toMatch(/switched new requests to/);
    const now = liveColour(sandbox);
    expect(now).not.toBe(colour);
    expect(flagsOf(now)).toContain("--memory 200m --memory-swap 200m");
    expect(await version(sandbox)).toBe(release);
  } finally {
    writeFileSync(sandbox.releaseScript, script);
  }
}, 60000);
