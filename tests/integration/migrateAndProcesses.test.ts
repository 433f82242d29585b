/**
 * app.migrate and app.processes, run by the stack's own rendered release script against a real
 * sandbox (real nginx and supervisord, the sample API, migration and worker): the migration runs
 * from the new release before it starts, a failing one leaves the old release serving under load,
 * and the worker is stopped gracefully and started on each new release. The stack's services are
 * real PostgreSQL and Redis servers on 127.0.0.1 (the sandbox's stand-ins): the migration records
 * its release there as the app's user, the worker counts in the cache, the API's /ready sees both.
 */
import { readFileSync } from "node:fs";
import { setTimeout as sleep } from "node:timers/promises";
import * as path from "node:path";
import { Sandbox } from "../../tools/sandbox/sandbox";
import { psqlAdmin } from "../../tools/shared/databaseServer";
import { liveColour, runRelease, supervisorctl } from "../../tools/sandbox/sandboxRelease";
import { request } from "../../tools/sandbox/sandboxRequests";
import {
  derivedStackFile,
  freePort,
  releaseUnderLoad,
  sandboxTools,
  startDetached,
  stopDetached,
} from "../helpers/sandboxHelpers";

const STACK = "migratetest";
const HOST = "api.migratetest.example.com";
const WORKER = "api-worker";
const tools = sandboxTools();

const version = async (sandbox: Sandbox) =>
  JSON.parse((await request(sandbox, HOST, "/version")).body).release as string;
const workerPid = () => Number(supervisorctl(tools, sandbox, "pid", WORKER).stdout.trim()) || 0;
/** The worker's log lines, oldest first, as supervisord kept them. */
const workerLog = () =>
  readFileSync(path.join(sandbox.runDir, "logs", `${WORKER}.out.log`), "utf8")
    .split("\n")
    .filter(Boolean)
    .map((line) => JSON.parse(line) as { release: string; message: string });
/** The releases the sample migration recorded in its table, read over the admin socket. */
const migrated = () => {
  const dir = path.join(sandbox.runDir, "services", "db");
  const port = Number(
    /^port = (\d+)$/m.exec(readFileSync(path.join(dir, "postgresql.conf"), "utf8"))![1],
  );
  return psqlAdmin({ dir, port }, "select release from dropstack_migrations order by 1", "api")
    .trim()
    .split("\n");
};
const other = (colour: string) => (colour === "blue" ? "green" : "blue");
const colourPid = (colour: string) =>
  Number(supervisorctl(tools, sandbox, "pid", `api-${colour}`).stdout.trim()) || 0;

let sandbox: Sandbox;
beforeAll(async () => {
  const file = derivedStackFile(
    STACK,
    {
      port: await freePort(),
      release: "v1",
      healthTimeoutSeconds: 6,
      drainSeconds: 1,
      migrate: "node migrate.js",
      migrateTimeoutSeconds: 10,
      env: { WORKER_INTERVAL_MS: "200" },
      processes: { worker: { command: "node worker.js" } },
    },
    { "dropstack:services": { db: { engine: "postgres" }, cache: { engine: "redis-compatible" } } },
  );
  sandbox = startDetached(STACK, file, await freePort());
}, 120000);
afterAll(() => stopDetached(STACK));

test("the first release migrates, then starts the API and the worker on it", async () => {
  expect(sandbox.processPrograms).toEqual([WORKER]);
  expect(await version(sandbox)).toBe("v1");
  expect(workerPid()).toBeGreaterThan(0);
  expect(workerLog()[0]).toMatchObject({ release: "v1", message: "started" });
});

test("the API reaches the database and the cache with the URLs of its secret env file; the worker counts there", async () => {
  const ready = async () => {
    const reply = await request(sandbox, HOST, "/ready");
    return { status: reply.status, body: JSON.parse(reply.body) };
  };
  const first = await ready();
  expect(first.status).toBe(200);
  expect(first.body.services.database).toEqual({ ok: true, user: "api", database: "api" });
  expect(first.body.services.cache.ok).toBe(true);
  await sleep(1500);
  expect((await ready()).body.services.cache.workerUnits).toBeGreaterThan(
    first.body.services.cache.workerUnits,
  );
  const secretEnv = readFileSync(path.join(sandbox.root, "etc/dropstack/api.secret.env"), "utf8");
  expect(secretEnv).toMatch(
    /^DATABASE_URL=postgresql:\/\/api:[^@]+@127\.0\.0\.1:\d+\/api\?sslmode=require$/m,
  );
  expect(secretEnv).toMatch(/^REDIS_URL=rediss:\/\/default:[^@]+@127\.0\.0\.1:\d+$/m);
  // The first release's migration ran as the app's user and could create its table (the grant).
  expect(migrated()).toEqual(["v1"]);
});

test("a release migrates from its own image before it starts, and restarts the worker on it, under load", async () => {
  const pid = workerPid();
  const { load, work } = await releaseUnderLoad(sandbox, HOST, { release: "v2" });
  console.log(`release with a migration: ${load.failed} failed of ${load.requests}`);
  expect(work.code).toBe(0);
  const output = work.output;
  expect(output).toMatch(/^ {2}migrate: migrated for v2 as api$/m);
  expect(migrated()).toEqual(["v1", "v2"]);
  expect(output.indexOf("migrating with")).toBeLessThan(output.indexOf("starting"));
  expect(output).toMatch(/stopping process worker[\s\S]*process worker started on release v2/);
  expect(await version(sandbox)).toBe("v2");
  expect(workerPid()).not.toBe(pid);
  // The old worker got TERM and stopped on its own; the new one runs the new release.
  const log = workerLog();
  expect(log).toContainEqual(
    expect.objectContaining({ release: "v1", message: "stopping on SIGTERM" }),
  );
  expect(log[log.length - 1].release).toBe("v2");
  expect(load.failed).toBe(0);
}, 120000);

test("a failing migration fails the release: the new release never starts, the old one serves under load", async () => {
  const colour = liveColour(sandbox);
  const pid = workerPid();
  const { load, work } = await releaseUnderLoad(sandbox, HOST, {
    release: "v3",
    extraEnv: { MIGRATE_FAIL: "1" },
  });
  console.log(`failing migration: ${load.failed} failed of ${load.requests}`);
  expect(work.code).not.toBe(0);
  expect(work.output).toMatch(/^ {2}migrate: migration for v3 failed: MIGRATE_FAIL=1$/m);
  expect(work.output).toMatch(/app\.migrate exited with 1; (blue|green) was not started/);
  expect(work.output).not.toMatch(/starting (blue|green)/);
  expect(liveColour(sandbox)).toBe(colour);
  expect(colourPid(other(colour))).toBe(0);
  expect(await version(sandbox)).toBe("v2");
  expect(workerPid()).toBe(pid);
  expect(migrated()).toEqual(["v1", "v2"]);
  expect(load.requests).toBeGreaterThan(1000);
  expect(load.failed).toBe(0);
}, 120000);

test("a migration that runs past app.migrateTimeoutSeconds fails the release", async () => {
  const run = await runRelease(sandbox, tools, {
    release: "v4",
    extraEnv: { MIGRATE_DELAY_MS: "30000" },
  });
  expect(run.code).not.toBe(0);
  expect(run.output).toMatch(/app\.migrate ran longer than app\.migrateTimeoutSeconds \(10 s\)/);
  expect(run.seconds).toBeLessThan(25);
  expect(await version(sandbox)).toBe("v2");
}, 60000);

test("rolling back needs no migration; the worker goes back to the old release too", async () => {
  const run = await runRelease(sandbox, tools, { release: "v1" });
  expect(run.code).toBe(0);
  expect(run.output).toMatch(/already holds v1: rolling back without a pull or a migration/);
  expect(run.output).not.toMatch(/migrating/);
  expect(await version(sandbox)).toBe("v1");
  expect(run.output).toMatch(/process worker started on release v1/);
  expect(workerLog().at(-1)?.release).toBe("v1");
}, 60000);

test("running the live release again leaves the worker alone", async () => {
  const pid = workerPid();
  const again = await runRelease(sandbox, tools, { release: "v1" });
  expect(again.code).toBe(0);
  expect(again.output).not.toMatch(/migrating|process worker/);
  expect(workerPid()).toBe(pid);
}, 60000);
