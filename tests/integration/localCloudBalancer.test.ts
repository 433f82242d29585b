/**
 * A load-balanced stack in the local cloud (the dev stack's config with droplet.count 2): HAProxy
 * built from the LoadBalancer's inputs at the balancer's address, over HTTP, and the firewall
 * admitting web traffic from the balancer alone. (Its health check taking a droplet out and back is
 * tested on production, localCloudProduction.test.ts.) Deployed as from CI: from outside a narrow
 * firewall.sshSourceAddresses, through the deploy's way in, which on a first deploy admits the
 * balancer's health checks too (the stack's own firewall comes after the balancer). Needs root.
 */
import { existsSync } from "node:fs";
import { stackDir } from "../../tools/localcloud/localPaths";
import { writeDerivedStackFile } from "../../tools/plan/stackFiles";
import { eventually, local, runAs, servedBy, visitorStatus } from "../helpers/localCloudHelpers";

jest.setTimeout(20 * 60 * 1000);

const STACK = "lc-balanced";
const URL = `http://api.${STACK}.example.com`;
const visitor = (...argv: string[]) => runAs(STACK, "visitor", ...argv);
const status = (url: string) => visitorStatus(STACK, url);
/** Requests for /echo that reached droplet `n`'s nginx so far. */
const served = (n: number) => servedBy(STACK, n);

let droplets: { name: string; address: string; reservedIp: string | null }[];
let upNotes: string;
let balancer: string;

beforeAll(async () => {
  if (process.getuid?.() !== 0) throw new Error("the local cloud tests need root");
  local("down", "--stack", STACK);
  const file = writeDerivedStackFile({
    stack: STACK,
    droplet: { count: 2 },
    extra: { "dropstack:firewall": { sshSourceAddresses: ["203.0.113.0/24"] } },
  });
  const up = local("up", "--stack", STACK, "--config", file, "--from-outside", "--json");
  if (up.status !== 0) throw new Error(`local up of ${STACK} failed:\n${up.stderr}`);
  upNotes = up.stderr;
  const json = JSON.parse(up.stdout);
  // Only the first droplet has a reserved IP: a droplet is reached by its own address too.
  droplets = json.droplets;
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

test("the first deploy from outside opened SSH, and the web ports the balancer checks, until its close", () => {
  expect(upNotes).toContain(
    "opened SSH from 198.51.100.210/32 to the droplets tagged dropstack-lc-balanced: firewall deploy-access-lc-balanced-198-51-100-210-32 (and 80, 443 from anywhere until the stack's own firewall exists)",
  );
  expect(upNotes).toContain("closed the way in for lc-balanced from 198.51.100.210");
});

test("only the first droplet has a reserved IP; port 80 on a droplet's addresses is closed to visitors (the way in's web ports too, once closed)", () => {
  expect(droplets.map((d) => d.reservedIp !== null)).toEqual([true, false]);
  for (const d of droplets) {
    for (const ip of [d.address, d.reservedIp].filter(Boolean))
      expect(status(`http://${ip}/health`)).toBe("000");
  }
});

test("the account counts this stack's one reserved IP: another stack over a limit of 1 is refused before anything of it is made", () => {
  const other = "lc-over-limit";
  const run = local(
    "up",
    "--stack",
    other,
    "--config",
    writeDerivedStackFile({ stack: other }),
    "--reserved-ip-limit",
    "1",
  );
  expect(run.status).toBe(1);
  expect(run.stderr).toMatch(
    /the account's other stacks hold \d+ \((.+, )?lc-balanced 1(, .+)?\): more than the account's limit of 1 /,
  );
  expect(existsSync(stackDir(other))).toBe(false);
});
