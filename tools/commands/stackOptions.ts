/** `--stack` and `--config`, shared by the commands that plan a stack offline. */
import * as path from "node:path";
import type { ExistingDroplet } from "../plan/existingDroplets";
import { RecordingMocks } from "../plan/recordingMocks";
import { PlanResult, runPlan } from "../plan/runPlan";
import { StackConfigMap, stackConfigFor } from "../plan/stackFiles";
import { UsageError } from "../shared/errors";

export const STACK_OPTIONS = {
  stack: {
    type: "string",
    short: "s",
    value: "<name>",
    help: "the stack: dev, staging, production or review-pr-<N> (derived from staging)",
  },
  config: {
    type: "string",
    value: "<Pulumi.x.yaml>",
    help: "read the stack's config from this file instead of Pulumi.<stack>.yaml",
  },
} as const;

/** The stack's name and config map from `--stack` (required) and `--config`. */
export function stackInput(values: { stack?: string; config?: string }): {
  stack: string;
  input: StackConfigMap;
} {
  if (!values.stack) throw new UsageError("--stack <name> is required");
  return {
    stack: values.stack,
    input: stackConfigFor(values.stack, values.config && path.resolve(values.config)),
  };
}

/**
 * Plans the stack offline, saying each note about its config on stderr; `existing` are the
 * droplets the program's lookup finds (none: a new stack).
 */
export async function planFromOptions(
  values: { stack?: string; config?: string },
  note: (line: string) => void,
  existing: readonly ExistingDroplet[] = [],
): Promise<PlanResult> {
  const { stack, input } = stackInput(values);
  for (const line of input.notes) note(`note: ${line}`);
  return runPlan(stack, input, new RecordingMocks(existing));
}
