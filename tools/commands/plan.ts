/** `npm run plan`: what `pulumi up` would create for a stack, run under the mock runtime. */
import { planJson, planTree, writePlannedFiles } from "../plan/planOutput";
import { existingDropletsOf } from "../plan/existingDroplets";
import { stateOfPlan } from "../plan/planState";
import { diffStates } from "../plan/transition";
import { transitionJson, transitionLines } from "../plan/transitionOutput";
import { transitionSource } from "../plan/transitionSource";
import { UserError } from "../shared/errors";
import { defineCommand } from "./command";
import { STACK_OPTIONS, planFromOptions } from "./stackOptions";

export const planCommand = defineCommand({
  name: "plan",
  summary:
    "Show what `pulumi up` would create for a stack and the files it puts on each droplet, offline; with --diff-from, the steps it would take from another state.",
  usage:
    "npm run plan -- --stack <name> [--config <Pulumi.x.yaml>] [--json] [--out <dir>] [--diff-from <export.json|Pulumi.x.yaml>] [--state]",
  options: {
    ...STACK_OPTIONS,
    json: { type: "boolean", default: false, help: "print the plan as JSON instead of a tree" },
    out: {
      type: "string",
      value: "<dir>",
      help: "also write every file the program would put on each droplet under <dir>",
    },
    "diff-from": {
      type: "string",
      value: "<export.json|Pulumi.x.yaml>",
      help: "print the transition from this state (pulumi stack export JSON, or the plan of another config) like pulumi preview --diff; exit 1 if a protected resource would be replaced or deleted",
    },
    state: {
      type: "boolean",
      default: false,
      help: "print the state this config would leave, as JSON (what --diff-from compares)",
    },
  },
  async run({ values, out }) {
    const from = values["diff-from"];
    // The old state first: the program looks up the droplets that exist before the `up`.
    const source = from && values.stack ? transitionSource(values.stack, from) : undefined;
    const plan = await planFromOptions(values, out.note, source && existingDropletsOf(source));
    if (values.state) {
      out.result(JSON.stringify(stateOfPlan(plan)));
      return;
    }
    if (source) {
      const transition = diffStates(source, stateOfPlan(plan));
      for (const note of transition.notes) out.note(`note: ${note}`);
      if (values.json) out.result(JSON.stringify(transitionJson(transition), null, 2));
      else for (const line of transitionLines(transition)) out.result(line);
      const blocked = transition.steps.filter((s) => s.blocked);
      if (blocked.length > 0) {
        throw new UserError(
          `pulumi up would fail: it refuses to ${blocked.map((s) => `${s.action} ${s.name}`).join(", ")} (protected); see "Changing a stack safely" in the README`,
        );
      }
      return;
    }
    out.result(values.json ? JSON.stringify(planJson(plan), null, 2) : planTree(plan));
    if (values.out) {
      out.note(`wrote ${writePlannedFiles(plan, values.out)} files under ${values.out}`);
    }
    if (!values.json) out.result(`    planned offline in ${process.uptime().toFixed(1)}s`);
  },
});
