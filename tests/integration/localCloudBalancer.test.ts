/**
 * A load-balanced stack in the local cloud (the dev stack's config with droplet.count 2): HAProxy
 * built from the LoadBalancer's inputs at the balancer's address, its health check deciding which
 * droplet gets traffic, and the firewall admitting web traffic from the balancer alone. Needs root.
 */
import { writeDerivedStackFile } from "../../tools/plan/stackFiles";
import { cli } from "../helpers/sandboxHelpers";

jest.setTimeout(20 * 60 * 1000);

const STACK = "lc-balanced";
const URL = `http://api.${STACK}.example.com`;
const local = (...args: string[]) => cli(["local", ...args], { timeoutMs: 20 * 60 * 1000 });
const visitor = (...argv: string[]) =>
  local("run", "--stack", STACK, "--as", "visitor", "--", ...argv);
const onDroplet = (n: number, ...argv: string[]) =>
  local("exec", "--stack", STACK, "--droplet", `${STACK}-web-${n}`, "--", ...argv);
const status = (url: string) =>
  visitor("curl", "-s", "-o", "/dev/null", "-w", "%{http_code}", "-m", "5", url).stdout;
/** Requests for /echo that reached droplet `n`'s nginx so far. */
const served = (n: number) =>
  Number(
    onDroplet(n, "sh", "-c", "grep -c 'GET /echo' /var/log/nginx/access.log || true").stdout.trim(),
  );
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Waits until `check` holds, polling each second, up to `seconds`. */
async function eventually(check: () => boolean, seconds: number): Promise<boolean> {
  for (let i = 0; i < seconds; i++) {
    if (check()) return true;
    await sleep(1000);
  }
  return check();
}

let reservedIps: string[];
let balancer: string;

beforeAll(async () => {
  if (process.getuid?.() !== 0) throw new Error("the local cloud tests need root");
  local("down", "--stack", STACK);
  const file = writeDerivedStackFile({ stack: STACK, droplet: { count: 2 } });
  const up = local("up", "--stack", STACK, "--config", file, "--json");
  if (up.status !== 0) throw new Error(`local up of ${STACK} failed:\n${up.stderr}`);
  const json = JSON.parse(up.stdout);
  reservedIps = json.droplets.map((d: { reservedIp: string }) => d.reservedIp);
  balancer = json.balancer.address;
  // Both droplets start down until three health checks pass, as on DigitalOcean.
  await eventually(() => status(`${URL}/health`) === "200", 90);
});

afterAll(() => {
  const down = local("down", "--stack", STACK);
  expect(down.stdout).toContain("load balancer");
});

test("the name resolves to the balancer, and requests through it reach both droplets", async () => {
  expect(visitor("kdig", "+short", `api.${STACK}.example.com`, "A").stdout.trim()).toBe(balancer);
  // A droplet joins once three checks pass: wait until both have served one.
  const both = await eventually(() => {
    visitor("curl", "-s", "-m", "5", `${URL}/echo`);
    return served(1) > 0 && served(2) > 0;
  }, 60);
  expect(both).toBe(true);
  const before = [served(1), served(2)];
  for (let i = 0; i < 10; i++) expect(status(`${URL}/echo`)).toBe("200");
  expect(served(1) - before[0]).toBeGreaterThan(0);
  expect(served(2) - before[1]).toBeGreaterThan(0);
});

test("port 80 on a droplet's own address is closed to visitors", () => {
  for (const ip of reservedIps) expect(status(`http://${ip}/health`)).toBe("000");
});

test("the health check takes a droplet whose API is down out, and back in once it answers", async () => {
  onDroplet(2, "supervisorctl", "stop", "api-green", "api-blue");
  // Three failed checks, ten seconds apart; then every request is served by droplet 1.
  await sleep(35000);
  const before = served(2);
  for (let i = 0; i < 10; i++) expect(status(`${URL}/echo`)).toBe("200");
  expect(served(2)).toBe(before);
  onDroplet(2, "supervisorctl", "start", "api-green");
  const back = await eventually(() => {
    visitor("curl", "-s", "-m", "5", `${URL}/echo`);
    return served(2) > before;
  }, 60);
  expect(back).toBe(true);
});
