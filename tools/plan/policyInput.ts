/** The offline plan's custom resources, as the policy rules see resources in a real preview. */
import { PolicyResource, evaluate } from "../../policy/rules";
import { revealSecrets } from "./mockSecrets";
import type { PlanResult } from "./runPlan";

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

/** The policy pack's verdict on a plan: one line per violation and a summary line. */
export function policyReport(plan: PlanResult): { lines: string[]; mandatory: number } {
  const resources = planPolicyResources(plan);
  const violations = evaluate(resources);
  const lines = violations.map(
    (v) =>
      `${v.enforcementLevel === "mandatory" ? "✗" : "!"} [${v.enforcementLevel}] ${v.rule}: ${v.message}`,
  );
  const mandatory = violations.filter((v) => v.enforcementLevel === "mandatory").length;
  lines.push(
    `policy: ${resources.length} resources of stack ${plan.stack} checked: ${mandatory} mandatory, ${violations.length - mandatory} advisory violations`,
  );
  return { lines, mandatory };
}
