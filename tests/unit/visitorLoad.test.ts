// wrk's report as figures (tools/localcloud/visitorLoad.ts), from reports wrk 4.2 prints, and how
// a run ends, with stand-in commands for wrk (a command that dies of SIGINT is a wrk stopped before
// it took SIGINT over).
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import {
  NO_FIGURES,
  parseWrk,
  runWrkCommand,
  socketErrorText,
  sumFigures,
} from "../../tools/localcloud/visitorLoad";

const CLEAN = `Running 1h test @ https://api.staging.example.com/health
  2 threads and 20 connections
  Thread Stats   Avg      Stdev     Max   +/- Stdev
    Latency     3.12ms    1.07ms  41.68ms   82.13%
  Latency Distribution
     50%    2.95ms
     75%    3.50ms
     90%    4.21ms
     99%    7.71ms
  48213 requests in 41.37s, 9.81MB read
Requests/sec:   1165.41
Transfer/sec:    242.87KB
`;

const FAILING = `Running 1h test @ http://10.0.0.1/
  2 threads and 20 connections
  Latency Distribution
     50%  815.00us
     99%    1.20s
  1200 requests in 1.00m, 1.00MB read
  Socket errors: connect 0, read 3, write 0, timeout 7
  Non-2xx or 3xx responses: 41
Requests/sec:     20.00
`;

test("a clean run: requests, time, rate and p99, no errors", () => {
  const figures = parseWrk(CLEAN);
  expect(figures).toEqual({
    requests: 48213,
    seconds: 41.37,
    requestsPerSecond: 1165,
    p99Ms: 7.71,
    non2xx: 0,
    socketErrors: { connect: 0, read: 0, write: 0, timeout: 0 },
  });
  expect(socketErrorText(figures)).toBe("none");
});

test("socket errors and non-2xx answers are counted, units converted", () => {
  const figures = parseWrk(FAILING);
  expect(figures.seconds).toBe(60);
  expect(figures.p99Ms).toBe(1200);
  expect(figures.non2xx).toBe(41);
  expect(figures.socketErrors).toEqual({ connect: 0, read: 3, write: 0, timeout: 7 });
  expect(socketErrorText(figures)).toBe("read 3, timeout 7");
});

test("a run that printed no figures is an error, with what it printed", () => {
  expect(() => parseWrk("unable to connect to api.staging.example.com:https")).toThrow(
    /wrk printed no figures:\nunable to connect/,
  );
});

test("runs one after another (a client following DNS) sum up, with the worst p99", () => {
  const figures = sumFigures([parseWrk(CLEAN), parseWrk(FAILING)]);
  expect(figures).toEqual({
    requests: 49413,
    seconds: 101.37,
    requestsPerSecond: Math.round(49413 / 101.37),
    p99Ms: 1200,
    non2xx: 41,
    socketErrors: { connect: 0, read: 3, write: 0, timeout: 7 },
  });
  expect(sumFigures([])).toMatchObject({ requests: 0, requestsPerSecond: 0, p99Ms: null });
});

test("a run stopped before it took SIGINT over measured nothing: no figures, no error", async () => {
  // CI once failed a whole transition here: a client following DNS had just started its next wrk.
  const run = runWrkCommand(["sleep", "30"]);
  await expect(run.stop()).resolves.toEqual(NO_FIGURES);
  expect(NO_FIGURES).toMatchObject({ requests: 0, seconds: 0, non2xx: 0 });
});

test("a run that ends on its own without figures is an error, with what it said", async () => {
  const run = runWrkCommand(["sh", "-c", "echo 'unable to connect to api' >&2; exit 1"]);
  await expect(run.done).rejects.toThrow(/wrk printed no figures:\n\nunable to connect to api/);
  await expect(runWrkCommand(["true"]).done).rejects.toThrow(/wrk printed no figures/);
});

test("a run stopped that printed its report gives its figures", async () => {
  const dir = mkdtempSync(path.join(tmpdir(), "wrk-"));
  const ready = path.join(dir, "ready");
  // Prints the report on SIGINT, as wrk does, and says when its handler is in place (a SIGINT
  // before that would kill it).
  const script = `process.on("SIGINT", () => { process.stdout.write(${JSON.stringify(CLEAN)}); process.exit(0); });
    require("fs").writeFileSync(${JSON.stringify(ready)}, ""); setInterval(() => {}, 1000);`;
  const run = runWrkCommand(["node", "-e", script]);
  while (!existsSync(ready)) await new Promise((resolve) => setTimeout(resolve, 20));
  await expect(run.stop()).resolves.toEqual(parseWrk(CLEAN));
  rmSync(dir, { recursive: true });
});
