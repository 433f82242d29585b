/**
 * npm run policy -- --stack <name> [--config <Pulumi.x.yaml>]
 *
 * Runs the policy pack's rules (policy/rules.ts) over the offline plan of a stack, as
 * `pulumi preview --policy-pack policy` would over a real preview. Exits 1 on a mandatory violation.
 */
import { evaluate } from "../policy/rules";
import { planFromArgs, runCli } from "./lib/cli";
import { planPolicyResources } from "./lib/policyInput";

runCli("policy", async () => {
  const plan = await planFromArgs(
    "usage: npm run policy -- --stack <name> [--config <Pulumi.x.yaml>]",
  );
  const resources = planPolicyResources(plan);
  const violations = evaluate(resources);
  for (const v of violations) {
    const mark = v.enforcementLevel === "mandatory" ? "✗" : "!";
    console.log(`${mark} [${v.enforcementLevel}] ${v.rule}: ${v.message}`);
  }
  const mandatory = violations.filter((v) => v.enforcementLevel === "mandatory").length;
  console.log(
    `policy: ${resources.length} resources of stack ${plan.stack} checked: ${mandatory} mandatory, ${violations.length - mandatory} advisory violations`,
  );
  return mandatory > 0 ? 1 : 0;
});
