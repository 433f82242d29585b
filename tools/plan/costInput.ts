/** The offline plan's custom resources, as the cost estimate sees them (see policyInput.ts). */
import { reviewPullRequest } from "../../config";
import { CostedResource, costSummary, estimateCost } from "../../cost/estimate";
import { containsSecret, revealSecrets } from "./mockSecrets";
import type { RecordedResource } from "./recordingMocks";
import type { PlanResult } from "./runPlan";

export function planCostResources(
  resources: readonly Pick<RecordedResource, "type" | "name" | "inputs" | "custom">[],
): CostedResource[] {
  return resources
    .filter((r) => r.custom)
    .map((r) => ({
      type: r.type,
      name: r.name,
      inputs: revealSecrets(r.inputs) as Record<string, unknown>,
      secretInputs: Object.keys(r.inputs).filter((key) => containsSecret(r.inputs[key])),
    }));
}

/** The cost report of a plan: one line per priced resource, costly lines first, and notes. */
export function costReport(plan: Pick<PlanResult, "stack" | "resources">): {
  lines: string[];
  notes: string[];
} {
  const estimate = estimateCost(planCostResources(plan.resources));
  // Costly lines first, then by name, in columns as wide as their widest entry.
  const sorted = [...estimate.lines].sort(
    (a, b) => (b.monthly ?? Infinity) - (a.monthly ?? Infinity) || a.name.localeCompare(b.name),
  );
  const width = Math.max(0, ...sorted.map((line) => line.what.length));
  const lines = sorted.map((line) => {
    const price =
      line.monthly === undefined ? "   no price" : `$${line.monthly.toFixed(2).padStart(8)}`;
    return `${price}  ${line.what.padEnd(width)}  ${line.name}`;
  });
  lines.push(`stack ${plan.stack}: ${costSummary(estimate)}`);
  if (reviewPullRequest(plan.stack) !== undefined) {
    lines.push(`a review stack costs about $${estimate.daily.toFixed(2)} per day it lives`);
  }
  return { lines, notes: estimate.notes.map((note) => `note: ${note}`) };
}
