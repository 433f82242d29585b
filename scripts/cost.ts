/**
 * npm run cost -- --stack <name> [--config <Pulumi.x.yaml>]
 *
 * The monthly (and daily) estimate of what a stack's plan creates, from the dated price table in
 * cost/prices.ts. Offline: it prices the offline plan.
 */
import * as path from "node:path";
import { parseArgs } from "node:util";
import { ConfigError, reviewPullRequest } from "../config";
import { costSummary, estimateCost } from "../cost/estimate";
import { runPlan } from "./lib/plan";
import { stackConfigFor } from "./lib/stackFiles";

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: { stack: { type: "string", short: "s" }, config: { type: "string" } },
  });
  if (!values.stack)
    throw new Error("usage: npm run cost -- --stack <name> [--config <Pulumi.x.yaml>]");
  const plan = await runPlan(
    values.stack,
    stackConfigFor(values.stack, values.config && path.resolve(values.config)),
  );
  const estimate = estimateCost(plan.resources);
  for (const line of estimate.lines) {
    const price =
      line.monthly === undefined ? "   no price" : `$${line.monthly.toFixed(2).padStart(8)}`;
    console.log(`${price}  ${line.what.padEnd(28)} ${line.name}`);
  }
  console.log(`stack ${values.stack}: ${costSummary(estimate)}`);
  if (reviewPullRequest(values.stack) !== undefined) {
    console.log(`a review stack costs about $${estimate.daily.toFixed(2)} per day it lives`);
  }
}

main().then(
  () => process.exit(0),
  (error: unknown) => {
    console.error(
      error instanceof ConfigError ? error.lines.join("\n") : `cost: ${(error as Error).message}`,
    );
    process.exit(1);
  },
);
