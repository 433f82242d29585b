/**
 * npm run cost -- --stack <name> [--config <Pulumi.x.yaml>]
 *
 * The monthly (and daily) estimate of what a stack's plan creates, from the dated price table in
 * cost/prices.ts. Offline: it prices the offline plan.
 */
import { reviewPullRequest } from "../config";
import { costSummary, estimateCost } from "../cost/estimate";
import { planFromArgs, runCli } from "./lib/cli";

runCli("cost", async () => {
  const plan = await planFromArgs(
    "usage: npm run cost -- --stack <name> [--config <Pulumi.x.yaml>]",
  );
  const estimate = estimateCost(plan.resources);
  // Costly lines first, then by name, in columns as wide as their widest entry.
  const lines = [...estimate.lines].sort(
    (a, b) => (b.monthly ?? Infinity) - (a.monthly ?? Infinity) || a.name.localeCompare(b.name),
  );
  const width = Math.max(0, ...lines.map((line) => line.what.length));
  for (const line of lines) {
    const price =
      line.monthly === undefined ? "   no price" : `$${line.monthly.toFixed(2).padStart(8)}`;
    console.log(`${price}  ${line.what.padEnd(width)}  ${line.name}`);
  }
  for (const note of estimate.notes) console.log(`note: ${note}`);
  console.log(`stack ${plan.stack}: ${costSummary(estimate)}`);
  if (reviewPullRequest(plan.stack) !== undefined) {
    console.log(`a review stack costs about $${estimate.daily.toFixed(2)} per day it lives`);
  }
});
