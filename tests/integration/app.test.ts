// Black-box tests for the sample API in app/server.js: each test spawns the real
// process (as the container would run it) on a free loopback port and talks HTTP.
import { spawn, ChildProcess } from "node:child_process";
import { readFileSync } from "node:fs";
import http from "node:http";
import net from "node:net";
import path from "node:path";
import { PROJECT_DIR } from "../../tools/shared/projectPaths";
import { setTimeout as sleep } from "node:timers/promises";

const SERVER = path.join(PROJECT_DIR, "app", "server.js");

interface Exit {
  code: number | null;
  signal: NodeJS.Signals | null;
  at: number;
}

interface App {
  child: ChildProcess;
  port: number;
  base: string;
  lines: string[]; // complete stdout lines
  stderr: () => string;
  exited: Promise<Exit>; // resolves once the process is gone and its pipes drained
}

const running = new Set<ChildProcess>();

/** Ask the kernel for a free port, then release it so the app can bind it. */
function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.once("error", reject);
    srv.listen(0, "127.0.0.1", () => {
      const { port } = srv.address() as net.AddressInfo;
      srv.close(() => resolve(port));
    });
  });
}

async function waitFor(cond: () => boolean, what: string, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!cond()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(20);
  }
}

/** Spawn server.js with a clean env (nothing inherited but PATH). Does not wait. */
function spawnApp(env: Record<string, string>, port = 0): App {
  const child = spawn(process.execPath, [SERVER], {
    env: { PATH: process.env.PATH ?? "", ...env },
    stdio: ["ignore", "pipe", "pipe"],
  });
  running.add(child);
  const lines: string[] = [];
  let partial = "";
  let err = "";
  child.stdout!.setEncoding("utf8").on("data", (chunk: string) => {
    const parts = (partial + chunk).split("\n");
    partial = parts.pop()!;
    lines.push(...parts);
  });
  child.stderr!.setEncoding("utf8").on("data", (chunk: string) => (err += chunk));
  const exited = new Promise<Exit>((resolve) =>
    child.once("close", (code, signal) => {
      running.delete(child);
      resolve({ code, signal, at: Date.now() });
    }),
  );
  return { child, port, base: `http://127.0.0.1:${port}`, lines, stderr: () => err, exited };
}

const parsed = (app: App) => app.lines.map((l) => JSON.parse(l) as Record<string, unknown>);
const requestLogs = (app: App) => parsed(app).filter((l) => l.event === undefined);
const hasEvent = (app: App, event: string) => parsed(app).some((l) => l.event === event);

/** Start the app on a free 127.0.0.1 port and wait for its "listening" log line. */
async function startApp(env: Record<string, string> = {}): Promise<App> {
  const port = await freePort();
  const app = spawnApp({ PORT: String(port), BIND_ADDRESS: "127.0.0.1", ...env }, port);
  let gone = false;
  void app.exited.then(() => (gone = true));
  await waitFor(() => hasEvent(app, "listening") || gone, "listening log line", 10_000);
  if (gone) throw new Error(`server exited during startup: ${app.stderr()}`);
  return app;
}

/** node:http request, for headers fetch will not let us set (Host). */
function rawRequest(
  port: number,
  opts: http.RequestOptions,
  body?: string,
): Promise<{ status: number; headers: http.IncomingHttpHeaders; body: string }> {
  return new Promise((resolve, reject) => {
    const req = http.request({ host: "127.0.0.1", port, agent: false, ...opts }, (res) => {
      let data = "";
      res.setEncoding("utf8").on("data", (c: string) => (data += c));
      res.on("end", () => resolve({ status: res.statusCode!, headers: res.headers, body: data }));
    });
    req.on("error", reject);
    req.end(body);
  });
}

afterEach(async () => {
  // Nothing may outlive a test, whatever state it left the server in.
  const children = [...running];
  for (const c of children) c.kill("SIGKILL");
  await Promise.all(
    children.map(
      (c) =>
        new Promise((r) =>
          c.exitCode !== null || c.signalCode !== null ? r(null) : c.once("close", r),
        ),
    ),
  );
});

describe("routes", () => {
  test("GET /health answers 200 {status:ok} as JSON with x-release", async () => {
    const app = await startApp({ RELEASE: "r-health" });
    const res = await fetch(`${app.base}/health`);
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toBe("application/json; charset=utf-8");
    expect(res.headers.get("x-release")).toBe("r-health");
    expect(await res.json()).toEqual({ status: "ok" });
  });

  test("GET /version echoes RELEASE, and defaults to unknown", async () => {
    const app = await startApp({ RELEASE: "2024-06-01.abc123" });
    const res = await fetch(`${app.base}/version`);
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ release: "2024-06-01.abc123" });

    const plain = await startApp();
    const res2 = await fetch(`${plain.base}/version`);
    expect(await res2.json()).toEqual({ release: "unknown" });
    expect(res2.headers.get("x-release")).toBe("unknown");
  });

  test("POST /echo reports proxy headers, Host and body length as received", async () => {
    const app = await startApp({ RELEASE: "r-echo" });
    const body = "hello, dropstack \u00e9"; // the é is 2 bytes: bodyBytes counts bytes, not chars
    const res = await rawRequest(
      app.port,
      {
        method: "POST",
        path: "/echo?x=1",
        headers: {
          Host: "api.example.test",
          "X-Forwarded-For": "203.0.113.7, 10.0.0.2",
          "X-Forwarded-Proto": "https",
          "Content-Type": "text/plain",
        },
      },
      body,
    );
    expect(res.status).toBe(200);
    expect(res.headers["content-type"]).toBe("application/json; charset=utf-8");
    expect(res.headers["x-release"]).toBe("r-echo");
    const echo = JSON.parse(res.body);
    expect(echo).toMatchObject({
      method: "POST",
      path: "/echo",
      bodyBytes: Buffer.byteLength(body),
      release: "r-echo",
    });
    expect(echo.headers).toMatchObject({
      host: "api.example.test",
      "x-forwarded-for": "203.0.113.7, 10.0.0.2",
      "x-forwarded-proto": "https",
    });
    expect(echo.remoteAddress).toBe("127.0.0.1");
  });

  test("GET /echo via fetch works and reports zero body bytes", async () => {
    const app = await startApp();
    const res = await fetch(`${app.base}/echo`, { headers: { "X-Forwarded-For": "198.51.100.1" } });
    expect(res.status).toBe(200);
    const echo = (await res.json()) as { headers: Record<string, string> };
    expect(echo).toMatchObject({ method: "GET", path: "/echo", bodyBytes: 0 });
    expect(echo.headers["x-forwarded-for"]).toBe("198.51.100.1");
  });

  test("unknown paths and methods get a 404 JSON body", async () => {
    const app = await startApp({ RELEASE: "r404" });
    const res = await fetch(`${app.base}/nope/deeper?q=1`);
    expect(res.status).toBe(404);
    expect(res.headers.get("content-type")).toBe("application/json; charset=utf-8");
    expect(res.headers.get("x-release")).toBe("r404");
    expect(await res.json()).toEqual({ error: "not_found", path: "/nope/deeper" });
    // /health exists but only for GET
    const del = await fetch(`${app.base}/health`, { method: "DELETE" });
    expect(del.status).toBe(404);
  });

  test("GET /ready is ready with no backing service, and not ready, naming why, with one it cannot reach", async () => {
    const none = await startApp();
    const ready = await fetch(`${none.base}/ready`);
    expect(ready.status).toBe(200);
    expect(await ready.json()).toEqual({ status: "ready", services: {} });
    // Nothing listens on port 1: both clients fail fast, and the answer says which and why.
    const unreachable = await startApp({
      DATABASE_URL: "postgresql://api:secret-pw@127.0.0.1:1/api?sslmode=require",
      REDIS_URL: "rediss://default:secret-pw@127.0.0.1:1",
    });
    const res = await fetch(`${unreachable.base}/ready`);
    expect(res.status).toBe(503);
    const body = (await res.json()) as { status: string; services: Record<string, unknown> };
    expect(body.status).toBe("not ready");
    expect(body.services.database).toEqual({
      ok: false,
      error: expect.stringMatching(/ECONNREFUSED/),
    });
    expect(body.services.cache).toEqual({
      ok: false,
      error: expect.stringMatching(/ECONNREFUSED|Connection is closed|max retries/i),
    });
    expect(JSON.stringify(body)).not.toContain("secret-pw");
  });

  test("POST /allocate holds what it is asked for only with ALLOCATE_ROUTE=true, and is a 404 without", async () => {
    const off = await startApp();
    expect((await fetch(`${off.base}/allocate?mb=16`, { method: "POST" })).status).toBe(404);
    const on = await startApp({ ALLOCATE_ROUTE: "true" });
    const rss = async () =>
      Number(/VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${on.child.pid}/status`, "utf8"))![1]) /
      1024;
    const before = await rss();
    const first = await fetch(`${on.base}/allocate?mb=40`, { method: "POST" });
    expect(await first.json()).toEqual({ heldMiB: 40 });
    const second = await fetch(`${on.base}/allocate?mb=24`, { method: "POST" });
    expect(await second.json()).toEqual({ heldMiB: 64 });
    // Written pages: the process really holds them (a lazy allocation would not show in RSS).
    expect((await rss()) - before).toBeGreaterThan(60);
    expect((await fetch(`${on.base}/allocate?mb=0`, { method: "POST" })).status).toBe(400);
  });

  test("HEALTH_STATUS=503 makes /health answer 503", async () => {
    const app = await startApp({ HEALTH_STATUS: "503" });
    const res = await fetch(`${app.base}/health`);
    expect(res.status).toBe(503);
    expect(res.headers.get("content-type")).toBe("application/json; charset=utf-8");
  });
});

describe("logging", () => {
  test("exactly one JSON log line per request", async () => {
    const app = await startApp({ RELEASE: "r-log" });
    await (await fetch(`${app.base}/health`)).text();
    await (await fetch(`${app.base}/echo`, { method: "POST", body: "abc" })).text();
    await (await fetch(`${app.base}/missing`)).text();
    await waitFor(() => requestLogs(app).length >= 3, "3 request log lines");
    await sleep(200); // give a duplicate line the chance to show up
    const logs = requestLogs(app);
    expect(logs.map((l) => [l.method, l.path, l.status])).toEqual([
      ["GET", "/health", 200],
      ["POST", "/echo", 200],
      ["GET", "/missing", 404],
    ]);
    for (const l of logs) {
      expect(Object.keys(l).sort()).toEqual(["method", "ms", "path", "release", "status", "time"]);
      expect(l.release).toBe("r-log");
      expect(typeof l.ms).toBe("number");
      expect(Number.isNaN(Date.parse(l.time as string))).toBe(false);
    }
  });
});

describe("configuration", () => {
  test.each(["abc", "0", "65536", "80.5", "-1", "8080x"])(
    "PORT=%s refuses to start: exit 1, one stderr line",
    async (bad) => {
      const app = spawnApp({ PORT: bad, BIND_ADDRESS: "127.0.0.1" });
      // race a timer so a server that wrongly starts fails fast instead of at the jest timeout
      const exit = await Promise.race([
        app.exited,
        sleep(5000).then(() => ({ code: "still running" })),
      ]);
      expect(exit.code).toBe(1);
      const errLines = app.stderr().trim().split("\n");
      expect(errLines).toHaveLength(1);
      expect(errLines[0]).toContain("PORT");
      expect(errLines[0]).toContain(bad);
    },
  );

  test("defaults: port 8080 on 0.0.0.0, release unknown (checked without binding)", () => {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const mod = require(SERVER) as {
      loadConfig: (env: Record<string, string>) => Record<string, unknown>;
      createServer: (o: object) => http.Server;
    };
    expect(mod.loadConfig({})).toMatchObject({
      port: 8080,
      bindAddress: "0.0.0.0",
      release: "unknown",
      shutdownTimeoutMs: 10000,
      startupDelayMs: 0,
      healthStatus: 200,
      echoDelayMs: 0,
    });
    expect(() => mod.loadConfig({ HEALTH_STATUS: "abc" })).toThrow(/HEALTH_STATUS/);
    // keep-alive must outlast nginx's 60 s upstream keepalive, headersTimeout above that
    const server = mod.createServer({});
    expect(server.keepAliveTimeout).toBeGreaterThan(60_000);
    expect(server.headersTimeout).toBeGreaterThan(server.keepAliveTimeout);
  });

  test("the keep-alive timeout is advertised on the wire as > 60 s", async () => {
    const app = await startApp();
    const agent = new http.Agent({ keepAlive: true });
    try {
      const res = await rawRequest(app.port, { path: "/health", agent });
      expect(res.headers["keep-alive"]).toMatch(/timeout=(\d+)/);
      expect(Number(/timeout=(\d+)/.exec(res.headers["keep-alive"] as string)![1])).toBeGreaterThan(
        60,
      );
    } finally {
      agent.destroy();
    }
  });

  test("STARTUP_DELAY_MS delays listening", async () => {
    const port = await freePort();
    const app = spawnApp(
      { PORT: String(port), BIND_ADDRESS: "127.0.0.1", STARTUP_DELAY_MS: "1500" },
      port,
    );
    await sleep(400); // plenty for node to boot, well inside the delay
    await expect(fetch(`${app.base}/health`)).rejects.toThrow();
    await waitFor(() => hasEvent(app, "listening"), "listening after delay");
    expect((await fetch(`${app.base}/health`)).status).toBe(200);
  });
});

describe("graceful shutdown", () => {
  test("SIGTERM lets an in-flight request finish, refuses new ones, then exits 0", async () => {
    const app = await startApp({
      ECHO_DELAY_MS: "1500",
      SHUTDOWN_TIMEOUT_MS: "8000",
      RELEASE: "r-drain",
    });
    const slow = fetch(`${app.base}/echo`, { method: "POST", body: "payload" }).then(async (r) => ({
      status: r.status,
      body: await r.json(),
      at: Date.now(),
    }));
    await sleep(300); // the request is now being handled (it sleeps 1500 ms server-side)
    const termAt = Date.now();
    app.child.kill("SIGTERM");
    await waitFor(() => hasEvent(app, "shutdown"), "shutdown log line");
    // the listener is closed: a new connection is refused while the old request drains
    await expect(fetch(`${app.base}/health`)).rejects.toThrow();

    const res = await slow;
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ method: "POST", bodyBytes: 7, release: "r-drain" });
    const exit = await app.exited;
    expect(exit.code).toBe(0);
    expect(exit.at).toBeGreaterThanOrEqual(res.at);
    // exits once drained (fetch keeps its socket alive: the app must close it),
    // not after SHUTDOWN_TIMEOUT_MS or keepAliveTimeout
    expect(exit.at - termAt).toBeLessThan(5000);
    expect(requestLogs(app).map((l) => [l.path, l.status])).toEqual([["/echo", 200]]);
  });

  test("SIGINT with only idle keep-alive connections exits 0 promptly", async () => {
    const app = await startApp({ SHUTDOWN_TIMEOUT_MS: "8000" });
    const agent = new http.Agent({ keepAlive: true });
    try {
      await rawRequest(app.port, { path: "/health", agent }); // leaves an idle socket open
      const t0 = Date.now();
      app.child.kill("SIGINT");
      const exit = await app.exited;
      expect(exit.code).toBe(0);
      expect(Date.now() - t0).toBeLessThan(3000);
    } finally {
      agent.destroy();
    }
  });

  test("a request outliving SHUTDOWN_TIMEOUT_MS forces exit 1", async () => {
    const app = await startApp({ ECHO_DELAY_MS: "10000", SHUTDOWN_TIMEOUT_MS: "300" });
    const slow = fetch(`${app.base}/echo`).catch((e: unknown) => e);
    await sleep(300);
    const t0 = Date.now();
    app.child.kill("SIGTERM");
    const exit = await app.exited;
    expect(exit.code).toBe(1);
    expect(Date.now() - t0).toBeLessThan(3000);
    expect(app.stderr()).toMatch(/timed out/);
    await slow; // the client sees a dropped connection; just don't leave it dangling
  });
});
