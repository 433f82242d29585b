// wrk's report as figures (tools/localcloud/visitorLoad.ts), from reports wrk 4.2 prints.
import { parseWrk, socketErrorText, sumFigures } from "../../tools/localcloud/visitorLoad";

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
