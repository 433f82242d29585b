/**
 * The sandbox end to end, on loopback: the stack's rendered nginx site and supervisor program run
 * by real nginx and supervisord, started and stopped through the same CLI users run.
 */
import { ChildProcess, spawn } from "node:child_process";
import { readFileSync } from "node:fs";
import { createServer, Server } from "node:net";
import * as path from "node:path";
import { readSandbox, Sandbox } from "../../tools/sandbox/sandbox";
import { measureRecovery, nginxPid, supervisordPid } from "../../tools/sandbox/sandboxProcesses";
import { isAlive } from "../../tools/shared/runCommand";
import { liveColour, programPid, supervisorctl } from "../../tools/sandbox/sandboxRelease";
import { request } from "../../tools/sandbox/sandboxRequests";
import { CLI, PROJECT_DIR, TSX } from "../../tools/shared/projectPaths";
import { colourPort } from "../../templates";
import {
  derivedStackFile,
  filesUnder,
  freePort,
  sandboxTools,
  startDetached,
  stopDetached,
  cli,
} from "../helpers/sandboxHelpers";

const STACK = "itest";
const HOST = "api.itest.example.com";

/** A stack with its own port and a small body limit. */
const stackFile = (appPort: number) =>
  derivedStackFile(
    STACK,
    { port: appPort, release: "v-itest" },
    {
      "dropstack:proxy": { clientMaxBodySize: "1m", readTimeoutSeconds: 5 },
    },
  );
const startArgs = (port: number, file: string) => [
  "start",
  "--stack",
  STACK,
  "--config",
  file,
  "--port",
  String(port),
];
const tools = sandboxTools();
const apiLog = (sandbox: Sandbox) =>
  readFileSync(path.join(sandbox.runDir, "logs", `api-${liveColour(sandbox)}.out.log`), "utf8");

/** Listening TCP sockets on `port`, as local addresses from /proc (IPv4 and IPv6). */
function listeners(port: number): string[] {
  const hexPort = port.toString(16).toUpperCase().padStart(4, "0");
  return ["/proc/net/tcp", "/proc/net/tcp6"].flatMap((file) =>
    readFileSync(file, "utf8")
      .split("\n")
      .slice(1)
      .map((line) => line.trim().split(/\s+/))
      .filter((cols) => cols[3] === "0A" && cols[1]?.endsWith(`:${hexPort}`))
      .map((cols) => cols[1].split(":")[0]),
  );
}

describe("a detached sandbox", () => {
  let sandbox: Sandbox;
  let port: number;
  let appPort: number;
  beforeAll(async () => {
    port = await freePort();
    appPort = await freePort();
    const started = startDetached(STACK, stackFile(appPort), port);
    expect(started.stdout).toContain(`curl -H 'Host: ${HOST}' http://127.0.0.1:${port}/health`);
    sandbox = started;
  }, 120000);
  afterAll(() => {
    stopDetached(STACK);
    expect(isAlive(nginxPid(sandbox)) || isAlive(supervisordPid(sandbox))).toBe(false);
  });

  test("a request through nginx reaches the API, which sees X-Forwarded-For and the original Host", async () => {
    const reply = await request(sandbox, HOST, "/echo", { method: "POST", body: "hello" });
    expect(reply.status).toBe(200);
    expect(reply.headers["x-release"]).toBe("v-itest");
    const echo = JSON.parse(reply.body);
    expect(echo).toMatchObject({ method: "POST", path: "/echo", bodyBytes: 5, release: "v-itest" });
    expect(echo.headers.host).toBe(HOST);
    expect(echo.headers["x-forwarded-for"]).toBe("127.0.0.1");
    expect(echo.headers["x-forwarded-proto"]).toBe("http");
  });

  test("an unknown Host is refused by the default server and never reaches the API", async () => {
    const refused = `/never-${Date.now()}`;
    const served = `/served-${Date.now()}`;
    await expect(request(sandbox, "evil.example.org", refused)).rejects.toThrow(
      /socket hang up|ECONNRESET/,
    );
    // A request with a served Host, sent after it, does reach the API: once its log line is
    // written, any line for the refused request would have been written before it.
    await request(sandbox, HOST, served);
    const deadline = Date.now() + 5000;
    while (!apiLog(sandbox).includes(served) && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    expect(apiLog(sandbox)).toContain(served);
    expect(apiLog(sandbox)).not.toContain(refused);
  });

  test("the API port is bound to 127.0.0.1 only", () => {
    // The first release went to green (app.port + 1); blue is stopped.
    expect(liveColour(sandbox)).toBe("green");
    expect(listeners(colourPort(appPort, "green"))).toEqual(["0100007F"]);
    expect(listeners(colourPort(appPort, "blue"))).toEqual([]);
  });

  test("a body over proxy.clientMaxBodySize gets 413", async () => {
    const reply = await request(sandbox, HOST, "/echo", {
      method: "POST",
      body: Buffer.alloc(1024 * 1024 + 1),
    });
    expect(reply.status).toBe(413);
    const under = await request(sandbox, HOST, "/echo", {
      method: "POST",
      body: Buffer.alloc(1024 * 1024 - 1024),
    });
    expect(under.status).toBe(200);
  });

  test("kill -9 of the API: supervisord restarts it and requests succeed again", async () => {
    const before = programPid(tools, sandbox);
    const seconds = await measureRecovery(sandbox, tools, HOST);
    expect(programPid(tools, sandbox)).not.toBe(before);
    console.log(`recovery after kill -9 of the API: ${seconds?.toFixed(2)} s`);
    expect(seconds).toBeDefined();
    expect(seconds).toBeLessThanOrEqual(5);
  });

  test("with the API stopped, nginx answers 502 with the JSON error body, without hanging", async () => {
    const live = `api-${liveColour(sandbox)}`;
    expect(supervisorctl(tools, sandbox, "stop", live).status).toBe(0);
    try {
      const started = Date.now();
      const reply = await request(sandbox, HOST, "/health", { timeoutMs: 6000 });
      expect(Date.now() - started).toBeLessThan(5000);
      expect(reply.status).toBe(502);
      expect(reply.headers["content-type"]).toBe("application/json");
      expect(JSON.parse(reply.body)).toMatchObject({ error: "bad_gateway", status: 502 });
    } finally {
      expect(supervisorctl(tools, sandbox, "start", live).status).toBe(0);
    }
  });
});

test("editing app.port and starting again serves on the new port with no other change", async () => {
  const port = await freePort();
  const runs: { files: Map<string, string>; appPort: number }[] = [];
  for (const appPort of [await freePort(), await freePort()]) {
    const sandbox = startDetached(STACK, stackFile(appPort), port);
    try {
      expect((await request(sandbox, HOST, "/health")).status).toBe(200);
      expect(listeners(colourPort(appPort, liveColour(sandbox)))).toEqual(["0100007F"]);
      const droplet = path.join(sandbox.dir, `${STACK}-web-1`);
      const files = new Map(
        filesUnder(droplet).map((f) => [f, readFileSync(path.join(droplet, f), "utf8")]),
      );
      runs.push({ files, appPort });
    } finally {
      stopDetached(STACK);
    }
  }
  const [first, second] = runs;
  expect([...second.files.keys()]).toEqual([...first.files.keys()]);
  for (const [file, text] of first.files) {
    // With the port written the same way, every file is identical: the port is the only change.
    const portsNamed = (content: string, port: number) =>
      content
        .split(String(port + 1))
        .join("GREEN_PORT")
        .split(String(port))
        .join("BLUE_PORT");
    expect(portsNamed(second.files.get(file)!, second.appPort)).toBe(
      portsNamed(text, first.appPort),
    );
  }
  // The ports are in the upstreams' default, not in the site: a port edit leaves the site as it is.
  expect(first.files.get("nginx/api-upstreams.default.conf")).not.toBe(
    second.files.get("nginx/api-upstreams.default.conf"),
  );
  expect(first.files.get("nginx/dropstack.conf")).toBe(second.files.get("nginx/dropstack.conf"));
}, 120000);

/** `start` in the foreground until its output shows `until` (or it exits, or a minute passes). */
async function startInForeground(until: string) {
  const port = await freePort();
  const child: ChildProcess = spawn(TSX, [CLI, ...startArgs(port, stackFile(await freePort()))], {
    cwd: PROJECT_DIR,
    stdio: ["ignore", "pipe", "pipe"],
  });
  const run = { child, output: "", exited: new Promise((resolve) => child.on("exit", resolve)) };
  child.stdout!.on("data", (chunk) => (run.output += chunk));
  child.stderr!.on("data", (chunk) => (run.output += chunk));
  const deadline = Date.now() + 60000;
  while (!run.output.includes(until) && Date.now() < deadline && child.exitCode === null) {
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  return run;
}

describe("the foreground sandbox", () => {
  test("Ctrl-C stops everything it started", async () => {
    const run = await startInForeground("Ctrl-C stops it.");
    const { child } = run;
    expect(run.output).toContain("Ctrl-C stops it.");
    const sandbox = readSandbox(STACK)!;
    const pids = [nginxPid(sandbox), supervisordPid(sandbox), programPid(tools, sandbox)];
    expect(pids.every((pid) => isAlive(pid))).toBe(true);
    child.kill("SIGINT");
    const code = await run.exited;
    expect(code).toBe(0);
    expect(run.output).toMatch(/stopped nginx[\s\S]*stopped supervisord[\s\S]*stopped api-green/);
    expect(pids.filter((pid) => isAlive(pid))).toEqual([]);
  }, 90000);

  test("Ctrl-C during the first release stops what it had started too, and exits 130", async () => {
    const run = await startInForeground("releasing ");
    expect(run.output).toContain("releasing ");
    const sandbox = readSandbox(STACK)!;
    const pids = [nginxPid(sandbox), supervisordPid(sandbox)];
    expect(pids.every((pid) => isAlive(pid))).toBe(true);
    run.child.kill("SIGINT");
    expect(await run.exited).toBe(130);
    expect(run.output).toContain("SIGINT while starting: stopping ...");
    expect(run.output).not.toContain("Ctrl-C stops it.");
    expect(pids.filter((pid) => isAlive(pid))).toEqual([]);
  }, 90000);

  test("a port already in use is a clear error naming the port", async () => {
    const blocker: Server = createServer();
    const port = await freePort();
    await new Promise<void>((resolve) => blocker.listen(port, "127.0.0.1", resolve));
    try {
      const run = cli([...startArgs(port, stackFile(await freePort())), "--detach"]);
      expect(run.status).toBe(1);
      expect(run.stderr.trim().split("\n").pop()).toBe(
        `start: port ${port} (the sandbox's --port) is already in use on 127.0.0.1`,
      );
    } finally {
      blocker.close();
    }
  }, 60000);
});
