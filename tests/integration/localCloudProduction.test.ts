/**
 * The committed production stack in the local cloud, under its own name (production's rules follow
 * the name): two droplets behind the balancer, whose certificate the local ACME server issued
 * through DNS-01, HTTPS for both hosts, HSTS, a third droplet added under load (`droplet.count`
 * 2 → 3) without a failed request, and `down` leaving none of it running. Needs root.
 */
import { spawnSync } from "node:child_process";
import { transitionUnderLoad, writeEditedStack } from "../../tools/bench/transitions";
import { readState } from "../../tools/localcloud/localState";
import { stackFilePath } from "../../tools/plan/stackFiles";
import {
  eventually,
  expectNoFailedRequest,
  local,
  onDroplet,
  runAs,
  servedBy,
  servedCertificate,
  sleep,
  stepSummary,
  visitorStatus,
} from "../helpers/localCloudHelpers";

jest.setTimeout(20 * 60 * 1000);

const STACK = "production";
const HOSTS = ["example.com", "api.example.com"];
const visitor = (...argv: string[]) => runAs(STACK, "visitor", ...argv);
const served = (n: number) => servedBy(STACK, n);

let status: {
  droplets: { address: string; reservedIp: string | null }[];
  balancer: { address: string };
};

beforeAll(async () => {
  if (process.getuid?.() !== 0) throw new Error("the local cloud tests need root");
  local("down", "--stack", STACK);
  const up = local("up", "--stack", STACK, "--config", stackFilePath("production"), "--json");
  if (up.status !== 0) throw new Error(`local up of ${STACK} failed:\n${up.stderr}`);
  status = JSON.parse(up.stdout);
  // A droplet gets traffic once three health checks, ten seconds apart, have passed.
  await eventually(() => visitorStatus(STACK, "https://api.example.com/health") === "200", 90);
});

test("HTTPS through the balancer for both hosts, with the certificate the local ACME server issued", () => {
  for (const host of HOSTS) {
    expect(visitor("kdig", "+short", host, "A").stdout.trim()).toBe(status.balancer.address);
    const health = visitor("curl", "-sS", "-m", "10", "-D", "-", `https://${host}/health`);
    expect(health.stdout).toMatch(/^HTTP\/1\.1 200/);
    expect(health.stdout.toLowerCase()).toContain("strict-transport-security: max-age=63072000");
    const certificate = servedCertificate(STACK, host);
    expect(certificate).toMatch(/^issuer=CN = Pebble Intermediate CA/m);
    expect(certificate).toContain("DNS:example.com, DNS:api.example.com");
  }
  const redirect = visitorStatus(
    STACK,
    "http://api.example.com/version",
    "%{http_code} %{redirect_url}",
  );
  expect(redirect).toBe("301 https://api.example.com/version");
});

test("requests reach both droplets", async () => {
  for (let i = 0; i < 60 && !(served(1) > 0 && served(2) > 0); i++) {
    visitor("curl", "-s", "-m", "5", "https://api.example.com/echo");
    await sleep(500);
  }
  expect(served(1)).toBeGreaterThan(0);
  expect(served(2)).toBeGreaterThan(0);
});

test("port 80 on a droplet's own addresses is closed to visitors; only the first has a reserved IP", () => {
  expect(status.droplets.map((d) => d.reservedIp !== null)).toEqual([true, false]);
  for (const droplet of status.droplets) {
    for (const ip of [droplet.address, droplet.reservedIp].filter(Boolean))
      expect(visitorStatus(STACK, `http://${ip}/health`)).toBe("000");
  }
});

test("with one droplet's API stopped the health check takes it out, requests keep succeeding, and it comes back", async () => {
  const url = "https://api.example.com/echo";
  onDroplet(STACK, 2, "supervisorctl", "stop", "api-green", "api-blue");
  // Three failed checks, ten seconds apart; from then on every request is served by droplet 1.
  await sleep(35000);
  const before = served(2);
  for (let i = 0; i < 10; i++) expect(visitorStatus(STACK, url)).toBe("200");
  expect(served(2)).toBe(before);
  onDroplet(STACK, 2, "supervisorctl", "start", "api-green");
  const back = await eventually(() => {
    visitorStatus(STACK, url);
    return served(2) > before;
  }, 60);
  expect(back).toBe(true);
});

// The committed file already passed `local up`: 2 → 3 is the transition alone, under load.
test("droplet.count 2 → 3 under load: the predicted steps, the new droplet serves once released, no failed request", async () => {
  const run = await transitionUnderLoad(
    STACK,
    writeEditedStack("production", STACK, { "droplet.count": 3 }),
    { url: "https://api.example.com/health" },
  );
  if (run.status !== 0) throw new Error(`local up failed:\n${run.stderr}`);
  const { predicted, taken, seconds } = readState(STACK)!.lastTransition!;
  expect(stepSummary(taken)).toEqual(stepSummary(predicted));
  expect(taken.filter((s) => s.action !== "create").map((s) => s.key.split("::").pop())).toEqual(
    expect.arrayContaining(["production-lb-balancer", "production-dns-wait-for-address"]),
  );
  const { load } = run;
  console.log(
    `production 2 → 3: ${taken.length} steps in ${seconds.toFixed(1)} s; under load ${load.requests} requests, non-2xx ${load.non2xx}, socket errors ${JSON.stringify(load.socketErrors)}, p99 ${load.p99Ms} ms`,
  );
  expectNoFailedRequest(load);
  // The third droplet takes requests, through the balancer.
  const joined = await eventually(() => {
    visitor("curl", "-s", "-m", "5", "https://api.example.com/echo");
    return served(3) > 0;
  }, 60);
  expect(joined).toBe(true);
});

test("down leaves nothing of it running: machines, DNS, the ACME server, the balancer", () => {
  const down = local("down", "--stack", STACK);
  expect(down.status).toBe(0);
  expect(down.stdout).toContain("its ACME server");
  expect(down.stdout).toContain("load balancer dropstack-production");
  const processes = spawnSync("ps", ["-eo", "args"], { encoding: "utf8" }).stdout;
  for (const daemon of [
    "/var/lib/dropstack-local/production/",
    "pebble -config",
    "haproxy -W -db",
  ]) {
    expect(processes).not.toContain(daemon);
  }
});
