/** The cost report against totals computed by hand from cost/prices.ts. */
import { costSummary, estimateCost } from "../../cost/estimate";
import { PRICES } from "../../cost/prices";
import { RESOURCE_TYPES as T } from "../../components/resourceTypes";
import { planCostResources } from "../../tools/plan/costInput";
import { secretWrapper } from "../../tools/plan/mockSecrets";
import { committedStack, planStack, withConfig } from "../helpers/planHelpers";

/** Resources as the plan records them (a secret input wrapped as the mocks see it), costed. */
const costed = (resources: { type: string; name: string; inputs: Record<string, unknown> }[]) =>
  planCostResources(resources.map((r) => ({ ...r, custom: true })));

test("the price table is dated and has the sizes the committed and review stacks use", () => {
  expect(PRICES.date).toMatch(/^\d{4}-\d{2}-\d{2}$/);
  for (const size of ["s-1vcpu-512mb-10gb", "s-1vcpu-1gb", "s-1vcpu-2gb", "s-2vcpu-4gb"]) {
    expect(PRICES.droplets[size]).toBeGreaterThan(0);
  }
});

test.each([
  // stack, edits, monthly by hand, daily = monthly × 24 / 672
  // production: 2 × (s-2vcpu-4gb $24 + 20% backups) + load balancer 1 node $12 + 2 uptime checks $1
  ["production", {}, 2 * (24 + 24 * 0.2) + 12 + 2, 2.56],
  ["production", { "droplet.count": 1 }, 24 + 24 * 0.2 + 2, 1.1], // reserved IP free
  ["staging", {}, 12 + 1, 0.46], // s-1vcpu-2gb + 1 uptime check
  ["staging", { "droplet.count": 3 }, 3 * 12 + 12 + 1, 1.75],
  ["production", { "droplet.count": 20 }, 20 * (24 + 4.8) + 12 + 2, 21.07],
  ["production", { "droplet.count": 20, "loadBalancer.sizeUnit": 3 }, 20 * 28.8 + 36 + 2, 21.93],
  ["review-pr-42", {}, 4, 0.14], // s-1vcpu-512mb-10gb, no alerts
  // + a PostgreSQL cluster db-s-1vcpu-2gb $30 and a cache db-s-1vcpu-1gb $15, one node each
  [
    "staging",
    {
      services: {
        db: { engine: "postgres", size: "db-s-1vcpu-2gb" },
        cache: { engine: "redis-compatible" },
      },
    },
    12 + 1 + 30 + 15,
    2.07,
  ],
] as const)("%s %j: $%d a month", async (stack, edits, monthly, daily) => {
  const plan = await planStack(stack, withConfig(committedStack(stack), edits));
  const estimate = estimateCost(planCostResources(plan.resources));
  expect(estimate.monthly).toBeCloseTo(monthly, 2);
  expect(estimate.daily).toBeCloseTo(daily, 2);
  expect(estimate.complete).toBe(true);
});

test("a size missing from the table makes the total a lower bound, and says so", () => {
  const estimate = estimateCost(
    costed([
      {
        type: T.droplet,
        name: "x",
        inputs: { size: "m-16vcpu-128gb", backups: true },
      },
      { type: T.droplet, name: "y", inputs: { size: "s-1vcpu-1gb" } },
    ]),
  );
  expect(estimate.complete).toBe(false);
  expect(estimate.monthly).toBe(6);
  expect(costSummary(estimate)).toBe(
    `estimated $6.00/month, $0.21/day (at least: some sizes have no price) at DigitalOcean prices of ${PRICES.date}`,
  );
});

describe("load balancers, uptime checks, free extras and the shared registry", () => {
  const droplet = (name: string) => ({
    type: T.droplet,
    name,
    inputs: { size: "s-1vcpu-2gb" },
  });
  const loadBalancer = (sizeUnit?: unknown) => ({
    type: T.loadBalancer,
    name: "lb",
    inputs: sizeUnit === undefined ? {} : { sizeUnit },
  });
  const credentials = (name: string, registryName: unknown) => ({
    type: T.registryCredentials,
    name,
    inputs: { registryName, write: false },
  });
  const registry = (subscriptionTierSlug: unknown) => ({
    type: T.containerRegistry,
    name: "registry",
    inputs: { subscriptionTierSlug },
  });
  const secret = secretWrapper;

  test("the price table has the new rows, each with a source", () => {
    expect(PRICES.loadBalancerNode).toBe(12);
    expect(PRICES.uptimeCheck).toBe(1);
    expect(PRICES.reservedIpUnassigned).toBe(5);
    expect(PRICES.registryTiers).toEqual({ starter: 0, basic: 5, professional: 20 });
    for (const row of [
      "loadBalancerNode",
      "uptimeCheck",
      "certificate",
      "alert",
      "registryTiers",
      "reservedIpUnassigned",
    ] as const) {
      expect(PRICES[row]).toBeDefined();
      expect(PRICES.sources[row]).toMatch(/^https:\/\/docs\.digitalocean\.com\//);
    }
  });

  test("3 droplets, a load balancer, an uptime check and free extras: $49.00 a month", () => {
    const estimate = estimateCost(
      costed([
        droplet("web-0"),
        droplet("web-1"),
        droplet("web-2"),
        loadBalancer(),
        {
          type: T.uptimeCheck,
          name: "check",
          inputs: { target: "https://api.example.com/health" },
        },
        { type: T.uptimeAlert, name: "check-down", inputs: {} },
        { type: T.monitorAlert, name: "cpu", inputs: {} },
        {
          type: T.certificate,
          name: "cert",
          inputs: { type: "lets_encrypt", domains: ["example.com"] },
        },
        { type: T.reservedIp, name: "ip", inputs: {} },
      ]),
    );
    // 3 × s-1vcpu-2gb ($12) + LB 1 node ($12) + 1 uptime check ($1) = 36 + 12 + 1 = $49.00;
    // daily = 49 × 24 / 672 = $1.75.
    expect(estimate.lines).toEqual([
      { name: "web-0", what: "droplet s-1vcpu-2gb", monthly: 12 },
      { name: "web-1", what: "droplet s-1vcpu-2gb", monthly: 12 },
      { name: "web-2", what: "droplet s-1vcpu-2gb", monthly: 12 },
      { name: "lb", what: "load balancer, 1 node", monthly: 12 },
      { name: "check", what: "uptime check https://api.example.com/health", monthly: 1 },
      { name: "check-down", what: "uptime alert (free)", monthly: 0 },
      { name: "cpu", what: "monitor alert (free)", monthly: 0 },
      { name: "cert", what: "Let's Encrypt certificate (free)", monthly: 0 },
      { name: "ip", what: "reserved IP (assigned)", monthly: 0 },
    ]);
    expect(estimate.monthly).toBe(49);
    expect(estimate.daily).toBe(1.75);
    expect(estimate.complete).toBe(true);
    expect(estimate.notes).toEqual([expect.stringMatching(/^takes 1 reserved IP of the 3 /)]);
    expect(costSummary(estimate)).toBe(
      `estimated $49.00/month, $1.75/day at DigitalOcean prices of ${PRICES.date}`,
    );
  });

  test.each([
    // sizeUnit as described, line text, sizeUnit, monthly by hand (nodes × $12)
    ["absent", "load balancer, 1 node", undefined, 12],
    ["3", "load balancer, 3 nodes", 3, 36],
    ["a secret 2", "load balancer, 2 nodes", secret(2), 24],
    ['"3" (a string)', "load balancer, nodes unknown", "3", undefined], // not a number: unknown, not 1
    ["null", "load balancer, nodes unknown", null, undefined],
    ["1.5", "load balancer, nodes unknown", 1.5, undefined],
  ])("a load balancer with sizeUnit %s: %s", (_label, what, sizeUnit, monthly) => {
    const estimate = estimateCost(costed([loadBalancer(sizeUnit)]));
    expect(estimate.lines).toEqual([{ name: "lb", what, monthly }]);
    expect(estimate.monthly).toBe(monthly ?? 0);
    expect(estimate.complete).toBe(monthly !== undefined);
  });

  test("an uptime check whose target is a secret or unknown prices $1 without showing it", () => {
    const estimate = estimateCost(
      costed([
        {
          type: T.uptimeCheck,
          name: "a",
          inputs: { target: secret("x") },
        },
        { type: T.uptimeCheck, name: "b", inputs: {} },
      ]),
    );
    // 2 checks × $1 = $2.00
    expect(estimate.lines.map((line) => line.what)).toEqual(["uptime check", "uptime check"]);
    expect(estimate.monthly).toBe(2);
    expect(estimate.complete).toBe(true);
  });

  test("a referenced registry costs nothing here and gets one note per distinct name", () => {
    const estimate = estimateCost(
      costed([
        droplet("web-0"),
        credentials("api-pull", "dropstack"),
        credentials("api-push", "dropstack"),
        credentials("other-pull", "shared"),
      ]),
    );
    // only the droplet is counted: $12.00
    expect(estimate.monthly).toBe(12);
    expect(estimate.lines).toHaveLength(1);
    expect(estimate.notes).toEqual([
      'registry "dropstack" is shared by the account and billed there (starter $0, basic $5, professional $20 a month), not counted here',
      'registry "shared" is shared by the account and billed there (starter $0, basic $5, professional $20 a month), not counted here',
    ]);
  });

  test("the registry note lists the tiers from the price table and masks a secret name", () => {
    const prices = { ...PRICES, registryTiers: { starter: 0, basic: 7 } };
    const estimate = estimateCost(costed([credentials("pull", secret("hidden"))]), prices);
    expect(estimate.notes).toEqual([
      'registry "[secret]" is shared by the account and billed there (starter $0, basic $7 a month), not counted here',
    ]);
  });

  test.each([
    // tier, monthly from registryTiers
    ["starter", 0],
    ["basic", 5],
    ["professional", 20],
  ] as const)("a planned %s registry costs $%d a month", (tier, monthly) => {
    const estimate = estimateCost(costed([registry(tier)]));
    expect(estimate.lines).toEqual([
      { name: "registry", what: `container registry ${tier}`, monthly },
    ]);
    expect(estimate.complete).toBe(true);
  });

  test("a registry tier missing from the table makes the total a lower bound", () => {
    // "constructor" is on every object's prototype: it must not read as a price either
    expect(estimateCost(costed([registry("constructor")])).complete).toBe(false);
    const estimate = estimateCost(costed([droplet("web-0"), registry("enterprise")]));
    // $12 droplet + unknown registry = at least $12.00; daily 12 × 24 / 672 = $0.43
    expect(estimate.lines[1]).toEqual({
      name: "registry",
      what: "container registry enterprise",
      monthly: undefined,
    });
    expect(estimate.complete).toBe(false);
    expect(costSummary(estimate)).toBe(
      `estimated $12.00/month, $0.43/day (at least: some sizes have no price) at DigitalOcean prices of ${PRICES.date}`,
    );
  });
});

describe("reserved IPs against the account's default limit of three", () => {
  const ips = (n: number) =>
    costed(
      Array.from({ length: n }, (_, i) => ({ type: T.reservedIp, name: `ip-${i}`, inputs: {} })),
    );
  test("none: no note; else the count, beside the account's other stacks'", () => {
    expect(estimateCost(ips(0)).notes).toEqual([]);
    expect(estimateCost(ips(1)).notes).toEqual([
      "takes 1 reserved IP of the 3 DigitalOcean allows an account by default, with its other stacks' (review stacks take none; ask DigitalOcean support for more before a fourth long-lived stack)",
    ]);
    expect(estimateCost(ips(2)).notes[0]).toMatch(/^takes 2 reserved IPs of the 3 /);
  });
  test.each([
    ["production", 1],
    ["staging", 1],
    ["review-pr-7", 0],
  ])("the committed %s stack takes %d", async (stack, count) => {
    const plan = await planStack(stack);
    const notes = estimateCost(planCostResources(plan.resources)).notes.join("\n");
    if (count === 0) expect(notes).not.toMatch(/reserved IP/);
    else expect(notes).toContain(`takes ${count} reserved IP `);
  });
});

test("a database cluster with standby nodes has no price: the total says it is a lower bound", () => {
  const cluster = (nodeCount: number) => ({
    type: T.databaseCluster,
    name: `db-${nodeCount}`,
    inputs: { engine: "pg", size: "db-s-2vcpu-4gb", nodeCount },
  });
  const estimate = estimateCost(costed([cluster(1), cluster(3)]));
  expect(estimate.lines.map((l) => [l.what, l.monthly])).toEqual([
    ["PostgreSQL db-s-2vcpu-4gb, 1 node", 60],
    ["PostgreSQL db-s-2vcpu-4gb, 3 nodes (standbys not priced)", undefined],
  ]);
  expect(estimate.complete).toBe(false);
  expect(estimate.monthly).toBe(60);
});
