/**
 * Run by `local up` as a child process (the program registers its resources once per process):
 * the state the offline plan of a config would leave. The config (a StackConfigMap, with the
 * stack's local SSH key) comes on stdin, never in argv; the state goes to stdout as JSON.
 */
import { readFileSync } from "node:fs";
import { stateOfPlan } from "../plan/planState";
import { runPlan } from "../plan/runPlan";
import type { StackConfigMap } from "../plan/stackFiles";

const stack = process.argv[2];
const input = JSON.parse(readFileSync(0, "utf8")) as StackConfigMap;
runPlan(stack, input).then(
  (plan) => process.stdout.write(JSON.stringify(stateOfPlan(plan))),
  (error: Error) => {
    process.stderr.write(`${error.message}\n`);
    process.exit(1);
  },
);
