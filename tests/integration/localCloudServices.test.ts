/**
 * Backing services in the local cloud: the dev stack's config with a PostgreSQL and a
 * Redis-compatible service, a migration and a worker. The clusters are real servers (Debian's
 * PostgreSQL 15 and Redis 7, TLS only) on the stack's network, the database firewall the router's
 * rules; the API, the migration and the worker run in docker on the droplet from the pushed image
 * with the URLs the program put in the secret env file. Releases run under a visitor's load.
 * Needs root (CI has it).
 */
import { existsSync, readFileSync } from "node:fs";
import * as path from "node:path";
import { transitionUnderLoad } from "../../tools/bench/transitions";
import { clusterServer } from "../../tools/localcloud/databaseServers";
import { psqlAdmin } from "../../tools/shared/databaseServer";
import { stackDir } from "../../tools/localcloud/localPaths";
import type { LocalState } from "../../tools/localcloud/localState";
import { writeDerivedStackFile } from "../../tools/plan/stackFiles";
import { RESOURCE_TYPES as T } from "../../components/resourceTypes";
import {
  eventually,
  expectNoFailedRequest,
  local,
  onDroplet,
  runAs,
  sleep,
  stepSummary,
} from "../helpers/localCloudHelpers";

jest.setTimeout(30 * 60 * 1000);

const STACK = "lc-services";
const URL = `http://api.${STACK}.example.com`;
const WORKER = "api-worker";
const APP = {
  migrate: "node migrate.js",
  processes: { worker: { command: "node worker.js" } },
  env: { WORKER_INTERVAL_MS: "200" },
};
const SERVICES = { db: { engine: "postgres" }, cache: { engine: "redis-compatible" } };

const state = (): LocalState =>
  JSON.parse(readFileSync(path.join(stackDir(STACK), "state.json"), "utf8"));
const cluster = (name: string) => state().clusters!.find((c) => c.name === `${STACK}-${name}`)!;
type Ready = {
  status: string;
  services: Record<string, { ok: boolean; user?: string; database?: string; workerUnits?: number }>;
};
const ready = (): { status: string; body: Ready } => {
  const run = runAs(
    STACK,
    "visitor",
    "curl",
    "-sS",
    "-m",
    "10",
    "-w",
    "\n%{http_code}",
    `${URL}/ready`,
  );
  const [body, status] = run.stdout.trim().split("\n");
  return { status, body: JSON.parse(body) as Ready };
};
const units = () => ready().body.services.cache.workerUnits ?? 0;
/** Whether a TCP connection from `where` to the cluster's port is answered (within 4 s). */
const connects = (where: "visitor" | "droplet", address: string, port: number) => {
  const probe = `timeout 4 bash -c '</dev/tcp/${address}/${port}' && echo open || echo closed`;
  const run =
    where === "visitor"
      ? runAs(STACK, "visitor", "sh", "-c", probe)
      : onDroplet(STACK, 1, "sh", "-c", probe);
  return run.stdout.trim();
};
/** The releases the sample migration recorded in its table, read as the cluster's admin. */
const migrated = () =>
  psqlAdmin(
    clusterServer(STACK, cluster("db")),
    "select release from dropstack_migrations order by 1",
    "api",
  )
    .trim()
    .split("\n");
const container = (name: string, format: string) =>
  onDroplet(STACK, 1, "docker", "inspect", "--format", format, name).stdout.trim();
const releaseLog = () => {
  const run = state().applied!.find((r) => r.name === `${STACK}-web-1-api-release-run`)!;
  return String(run.outputs.stdout);
};

beforeAll(async () => {
  if (process.getuid?.() !== 0) throw new Error("the local cloud tests need root");
  local("down", "--stack", STACK);
  const file = writeDerivedStackFile({
    stack: STACK,
    app: APP,
    extra: { "dropstack:services": SERVICES },
  });
  const up = local("up", "--stack", STACK, "--config", file);
  if (up.status !== 0) throw new Error(`local up of ${STACK} failed:\n${up.stderr}`);
  expect(up.stderr).not.toMatch(/skipped database/i);
  expect(await eventually(() => ready().status === "200", 60)).toBe(true);
});

afterAll(() => {
  local("down", "--stack", STACK);
});

test("the API reaches both services with the URLs the program put in its secret env file", () => {
  const { body } = ready();
  expect(body.status).toBe("ready");
  expect(body.services.database).toEqual({ ok: true, user: "api", database: "api" });
  expect(body.services.cache.ok).toBe(true);
  // The URLs: in the 0600 secret file only, pointing at the clusters, TLS required.
  const secret = onDroplet(
    STACK,
    1,
    "sh",
    "-c",
    "stat -c %a /etc/dropstack/api.secret.env && cat /etc/dropstack/api.secret.env",
  ).stdout;
  const db = cluster("db");
  const cache = cluster("cache");
  expect(secret.split("\n")[0]).toBe("600");
  expect(secret).toMatch(
    new RegExp(
      `^DATABASE_URL=postgresql://api:[^@]+@${db.address}:25060/api\\?sslmode=require$`,
      "m",
    ),
  );
  expect(secret).toMatch(
    new RegExp(`^REDIS_URL=rediss://default:[^@]+@${cache.address}:25061$`, "m"),
  );
  expect(onDroplet(STACK, 1, "cat", "/etc/dropstack/api.env").stdout).not.toMatch(/URL=/);
  // The migration ran from the image in docker, as the app's own user, and could create its
  // table: the first droplet granted the user schema public (PostgreSQL 15 gives it no CREATE).
  expect(releaseLog()).toMatch(/^ {2}migrate: migrated for v0\.1\.0 as api$/m);
  expect(migrated()).toEqual(["v0.1.0"]);
});

test("the worker runs beside the API and counts its units in the cache", async () => {
  expect(container(WORKER, "{{.State.Running}}")).toBe("true");
  const before = units();
  await sleep(3000);
  expect(units()).toBeGreaterThan(before + 5);
});

test("a visitor cannot reach the clusters; the stack's droplet can", () => {
  for (const name of ["db", "cache"]) {
    const { address, port } = cluster(name);
    expect(`${name} from the droplet: ${connects("droplet", address, port)}`).toBe(
      `${name} from the droplet: open`,
    );
    expect(`${name} from a visitor: ${connects("visitor", address, port)}`).toBe(
      `${name} from a visitor: closed`,
    );
  }
});

test("a release migrates from the new image and restarts the worker on it, under load", async () => {
  const id = container(WORKER, "{{.Id}}");
  const edited = writeDerivedStackFile({
    stack: STACK,
    app: { ...APP, release: "v0.2.0" },
    extra: { "dropstack:services": SERVICES },
  });
  const run = await transitionUnderLoad(STACK, edited, { url: `${URL}/health` });
  console.log(
    `release with a migration and a worker: ${run.load.requests} requests, ${run.load.non2xx} non-2xx`,
  );
  expect(run.stderr).not.toMatch(/failed/);
  expect(run.status).toBe(0);
  expectNoFailedRequest(run.load);
  expect(releaseLog()).toMatch(/^ {2}migrate: migrated for v0\.2\.0 as api$/m);
  expect(migrated()).toEqual(["v0.1.0", "v0.2.0"]);
  expect(releaseLog()).toMatch(/process worker started on release v0\.2\.0/);
  // A new container of the image the release pinned (the same digest when the source is the same:
  // the release is its environment's RELEASE, not a layer).
  expect(container(WORKER, "{{.Id}}")).not.toBe(id);
  const pinned = onDroplet(STACK, 1, "cat", `/etc/dropstack/${WORKER}.image`).stdout.trim();
  expect(container(WORKER, "{{.Config.Image}}")).toBe(pinned);
  expect(pinned).toBe(state().images.at(-1)!.repoDigest);
  const lastLine = onDroplet(STACK, 1, "sh", "-c", `docker logs ${WORKER} 2>&1 | tail -1`).stdout;
  expect(JSON.parse(lastLine)).toMatchObject({ worker: true, release: "v0.2.0" });
  const before = units();
  await sleep(2000);
  expect(units()).toBeGreaterThan(before);
});

test("a failing migration fails the release and leaves the old one serving under load", async () => {
  const pid = container(WORKER, "{{.State.Pid}}");
  const edited = writeDerivedStackFile({
    stack: STACK,
    app: { ...APP, release: "v0.3.0", env: { ...APP.env, MIGRATE_FAIL: "1" } },
    extra: { "dropstack:services": SERVICES },
  });
  const run = await transitionUnderLoad(STACK, edited, { url: `${URL}/health` });
  console.log(`failing migration: ${run.load.requests} requests, ${run.load.non2xx} non-2xx`);
  expect(run.status).not.toBe(0);
  expect(run.stderr).toMatch(/migration for v0\.3\.0 failed: MIGRATE_FAIL=1/);
  expect(run.stderr).toMatch(/app\.migrate exited with 1; (blue|green) was not started/);
  expectNoFailedRequest(run.load);
  const version = runAs(STACK, "visitor", "curl", "-sS", "-m", "10", `${URL}/version`).stdout;
  expect(JSON.parse(version)).toEqual({ release: "v0.2.0" });
  expect(container(WORKER, "{{.State.Pid}}")).toBe(pid);
  expect(migrated()).toEqual(["v0.1.0", "v0.2.0"]);
  expect(ready().status).toBe("200");
});

test("after the failed release, removing the services deletes the database, the user and both clusters; the API serves on", async () => {
  // `up` goes on from what the failed transition applied, as `pulumi up` does.
  const edited = writeDerivedStackFile({ stack: STACK, app: { ...APP, release: "v0.2.0" } });
  const up = local("up", "--stack", STACK, "--config", edited);
  expect(up.stderr).not.toMatch(/✗/);
  expect(up.status).toBe(0);
  for (const step of [
    `delete ${T.databaseDb}::${STACK}-db-database`,
    `delete ${T.databaseUser}::${STACK}-db-user`,
    `delete ${T.databaseCluster}::${STACK}-db-cluster`,
    `delete ${T.databaseCluster}::${STACK}-cache-cluster`,
  ])
    expect(stepSummary(state().lastTransition!.taken)).toContain(step);
  expect(state().clusters).toEqual([]);
  expect(existsSync(path.join(stackDir(STACK), "clusters", `${STACK}-db`))).toBe(false);
  expect(ready()).toEqual({ status: "200", body: { status: "ready", services: {} } });
});
