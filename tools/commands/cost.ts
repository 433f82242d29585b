/** `npm run cost`: the monthly and daily estimate of a stack's plan, from cost/prices.ts. */
import { costReport } from "../plan/costInput";
import { defineCommand } from "./command";
import { STACK_OPTIONS, planFromOptions } from "./stackOptions";

export const costCommand = defineCommand({
  name: "cost",
  summary: "Estimate what a stack costs a month (and a day) at DigitalOcean's dated list prices.",
  usage: "npm run cost -- --stack <name> [--config <Pulumi.x.yaml>]",
  options: STACK_OPTIONS,
  async run({ values, out }) {
    const report = costReport(await planFromOptions(values, out.note));
    for (const line of report.lines) out.result(line);
    for (const note of report.notes) out.note(note);
  },
});
