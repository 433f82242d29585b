/**
 * Blue/green releases, decided by the stack's own rendered release script, against a real sandbox:
 * real nginx (njs picks the colour), real supervisord, the sample API under load from autocannon.
 */
import { spawn, spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import * as os from "node:os";
import * as path from "node:path";
import { parse, stringify } from "yaml";
import { loadDuring } from "../scripts/lib/load";
import { readSandbox, Sandbox } from "../scripts/lib/sandbox";
import { liveColour, programPid, request, runRelease } from "../scripts/lib/sandboxProcesses";
import { requireTools } from "../scripts/lib/systemTools";

const ROOT = path.resolve(__dirname, "..");
const TSX = path.join(ROOT, "node_modules", ".bin", "tsx");
const STACK = "releasetest";
const HOST = "api.releasetest.example.com";
const tools = requireTools(["nginx", "nginx njs module", "supervisord", "supervisorctl"] as const);

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return port;
}

function cli(...args: string[]) {
  return spawnSync(TSX, args, { cwd: ROOT, encoding: "utf8", timeout: 120000 });
}

const version = async (sandbox: Sandbox) =>
  JSON.parse((await request(sandbox, HOST, "/version")).body).release as string;

let sandbox: Sandbox;
beforeAll(async () => {
  const dev = parse(readFileSync(path.join(ROOT, "Pulumi.dev.yaml"), "utf8"));
  dev.config["dropstack:hosts"] = ["api.releasetest"];
  Object.assign(dev.config["dropstack:app"], {
    port: await freePort(),
    release: "v1",
    healthTimeoutSeconds: 6,
    drainSeconds: 2,
  });
  const file = path.join(mkdtempSync(path.join(os.tmpdir(), "release-")), `Pulumi.${STACK}.yaml`);
  writeFileSync(file, stringify(dev));
  const port = String(await freePort());
  const started = cli(
    "scripts/sandbox.ts",
    "start",
    "--stack",
    STACK,
    "--config",
    file,
    "--port",
    port,
    "--detach",
  );
  expect(started.status).toBe(0);
  sandbox = readSandbox(STACK)!;
}, 120000);
afterAll(() => {
  expect(cli("scripts/sandbox.ts", "stop", "--stack", STACK).status).toBe(0);
});

const url = () => `http://127.0.0.1:${sandbox.port}/version`;

test("a good release switches colours under load without one failed request", async () => {
  const before = liveColour(sandbox);
  const { load, work } = await loadDuring(() => runRelease(sandbox, tools, { release: "v2" }), {
    url: url(),
    host: HOST,
    connections: 50,
  });
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
  const { load, work } = await loadDuring(
    () => runRelease(sandbox, tools, { release: "v3-broken", extraEnv: { HEALTH_STATUS: "503" } }),
    { url: url(), host: HOST, connections: 50 },
  );
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
  // Start + health gate + the 2 s drain of this stack.
  expect(rollback.seconds).toBeLessThan(6);
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
