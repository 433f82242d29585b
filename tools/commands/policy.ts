/** `npm run policy`: the policy pack's rules over a stack's offline plan; exit 1 on a mandatory one. */
import { policyReport } from "../plan/policyInput";
import { defineCommand } from "./command";
import { STACK_OPTIONS, planFromOptions } from "./stackOptions";

export const policyCommand = defineCommand({
  name: "policy",
  summary:
    "Check a stack's offline plan against the policy pack, as `pulumi preview --policy-pack policy` does.",
  usage: "npm run policy -- --stack <name> [--config <Pulumi.x.yaml>]",
  options: STACK_OPTIONS,
  async run({ values, out }) {
    const report = policyReport(await planFromOptions(values, out.note));
    for (const line of report.lines) out.result(line);
    return report.mandatory > 0 ? 1 : 0;
  },
});
