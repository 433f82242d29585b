/** The offline plan's custom resources, as the policy rules see resources in a real preview. */
import type { PolicyResource } from "../../policy/rules";
import type { PlanResult } from "./plan";
import { revealSecrets } from "./secrets";

export function planPolicyResources(plan: PlanResult): PolicyResource[] {
  return plan.resources
    .filter((r) => r.custom)
    .map((r) => ({
      type: r.type,
      name: r.name,
      // Policies see secret values too (a real policy pack does); nothing here is printed whole.
      props: revealSecrets(r.inputs) as Record<string, unknown>,
      protect: r.protect,
      stack: plan.stack,
    }));
}
