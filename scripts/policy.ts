/**
 * npm run policy -- --stack <name> [--config <Pulumi.x.yaml>]
 *
 * Runs the policy pack's rules (policy/rules.ts) over the offline plan of a stack, as
 * `pulumi preview --policy-pack policy` would over a real preview. Exits 1 on a mandatory violation.
 */
import * as path from "node:path";
import { parseArgs } from "node:util";
import { ConfigError } from "../config";
import { evaluate } from "../policy/rules";
import { planPolicyResources } from "./lib/policyInput";
import { runPlan } from "./lib/plan";
import { stackConfigFor } from "./lib/stackFiles";

async function main(): Promise<number> {
  const { values } = parseArgs({
    options: { stack: { type: "string", short: "s" }, config: { type: "string" } },
  });
  if (!values.stack)
    throw new Error("usage: npm run policy -- --stack <name> [--config <Pulumi.x.yaml>]");
  const plan = await runPlan(
    values.stack,
    stackConfigFor(values.stack, values.config && path.resolve(values.config)),
  );
  const resources = planPolicyResources(plan);
  const violations = evaluate(resources);
  for (const v of violations)
    console.log(
      `${v.enforcementLevel === "mandatory" ? "✗" : "!"} [${v.enforcementLevel}] ${v.rule}: ${v.message}`,
    );
  const mandatory = violations.filter((v) => v.enforcementLevel === "mandatory").length;
  console.log(
    `policy: ${resources.length} resources of stack ${values.stack} checked: ${mandatory} mandatory, ${violations.length - mandatory} advisory violations`,
  );
  return mandatory > 0 ? 1 : 0;
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    console.error(
      error instanceof ConfigError ? error.lines.join("\n") : `policy: ${(error as Error).message}`,
    );
    process.exit(1);
  },
);
