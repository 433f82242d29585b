/** The cost report against totals computed by hand from cost/prices.ts. */
import { costSummary, estimateCost } from "../cost/estimate";
import { PRICES } from "../cost/prices";
import { committedStack, planStack, withConfig } from "./planHelpers";
import { tsx } from "./sandboxHelpers";

test("the price table is dated and has the sizes the committed and review stacks use", () => {
  expect(PRICES.date).toMatch(/^\d{4}-\d{2}-\d{2}$/);
  for (const size of ["s-1vcpu-512mb-10gb", "s-1vcpu-1gb", "s-1vcpu-2gb", "s-2vcpu-4gb"]) {
    expect(PRICES.droplets[size]).toBeGreaterThan(0);
  }
});

test.each([
  // stack, edits, monthly by hand, daily = monthly × 24 / 672
  ["production", {}, 24 + 24 * 0.2, 1.03], // s-2vcpu-4gb + 20% backups, reserved IP free
  ["staging", {}, 12, 0.43], // s-1vcpu-2gb
  ["staging", { "droplet.count": 3 }, 3 * 12, 1.29],
  ["production", { "droplet.count": 20 }, 20 * (24 + 4.8), 20.57],
  ["review-pr-42", {}, 4, 0.14], // s-1vcpu-512mb-10gb
] as const)("%s %j: $%d a month", async (stack, edits, monthly, daily) => {
  const plan = await planStack(stack, withConfig(committedStack(stack), edits));
  const estimate = estimateCost(plan.resources);
  expect(estimate.monthly).toBeCloseTo(monthly, 2);
  expect(estimate.daily).toBeCloseTo(daily, 2);
  expect(estimate.complete).toBe(true);
});

test("a size missing from the table makes the total a lower bound, and says so", () => {
  const estimate = estimateCost([
    {
      type: "digitalocean:index/droplet:Droplet",
      name: "x",
      inputs: { size: "m-16vcpu-128gb", backups: true },
    },
    { type: "digitalocean:index/droplet:Droplet", name: "y", inputs: { size: "s-1vcpu-1gb" } },
  ]);
  expect(estimate.complete).toBe(false);
  expect(estimate.monthly).toBe(6);
  expect(costSummary(estimate)).toBe(
    `estimated $6.00/month, $0.21/day (at least: some sizes have no price) at DigitalOcean prices of ${PRICES.date}`,
  );
});

test("npm run cost prints the lines, the total with the prices' date, and a review stack's daily cost", () => {
  const run = tsx("scripts/cost.ts", "--stack", "review-pr-42");
  expect(run.status).toBe(0);
  expect(run.stdout).toContain(
    `stack review-pr-42: estimated $4.00/month, $0.14/day at DigitalOcean prices of ${PRICES.date}`,
  );
  expect(run.stdout).toContain("a review stack costs about $0.14 per day it lives");
});
