/** `npm run plan`: what `pulumi up` would create for a stack, run under the mock runtime. */
import { planJson, planTree, writePlannedFiles } from "../plan/planOutput";
import { defineCommand } from "./command";
import { STACK_OPTIONS, planFromOptions } from "./stackOptions";

export const planCommand = defineCommand({
  name: "plan",
  summary:
    "Show what `pulumi up` would create for a stack and the files it puts on each droplet, offline.",
  usage: "npm run plan -- --stack <name> [--config <Pulumi.x.yaml>] [--json] [--out <dir>]",
  options: {
    ...STACK_OPTIONS,
    json: { type: "boolean", default: false, help: "print the plan as JSON instead of a tree" },
    out: {
      type: "string",
      value: "<dir>",
      help: "also write every file the program would put on each droplet under <dir>",
    },
  },
  async run({ values, out }) {
    const plan = await planFromOptions(values, out.note);
    out.result(values.json ? JSON.stringify(planJson(plan), null, 2) : planTree(plan));
    if (values.out) {
      out.note(`wrote ${writePlannedFiles(plan, values.out)} files under ${values.out}`);
    }
    if (!values.json) out.result(`    planned offline in ${process.uptime().toFixed(1)}s`);
  },
});
