/**
 * Run by `local up` as a child process (the program registers its resources once per process):
 * the state the offline plan of a config would leave. The config (a StackConfigMap, with the
 * stack's local SSH key) and the droplets that exist come on stdin, never in argv; the state goes
 * to stdout as JSON.
 */
import { readFileSync } from "node:fs";
import type { ExistingDroplet } from "../plan/existingDroplets";
import { stateOfPlan } from "../plan/planState";
import { RecordingMocks } from "../plan/recordingMocks";
import { runPlan } from "../plan/runPlan";
import type { StackConfigMap } from "../plan/stackFiles";

const stack = process.argv[2];
const { input, existing } = JSON.parse(readFileSync(0, "utf8")) as {
  input: StackConfigMap;
  existing: ExistingDroplet[];
};
runPlan(stack, input, new RecordingMocks(existing)).then(
  (plan) => process.stdout.write(JSON.stringify(stateOfPlan(plan))),
  (error: Error) => {
    process.stderr.write(`${error.message}\n`);
    process.exit(1);
  },
);
