/**
 * Shared helpers for tests that evaluate the real program under the recording mocks.
 * Each plan loads the program and @pulumi/pulumi afresh (the program registers on import).
 */
import { RESOURCE_TYPES } from "../../components/resourceTypes";
import { revealSecrets } from "../../tools/plan/mockSecrets";
import type { ExistingDroplet } from "../../tools/plan/existingDroplets";
import type { RecordedResource } from "../../tools/plan/recordingMocks";
import type { PlanResult } from "../../tools/plan/runPlan";
import { StackConfigMap, stackConfigFor } from "../../tools/plan/stackFiles";
import { editConfigMap } from "./configMaps";

/** Resource type tokens, from the program's one list. */
export const T = RESOURCE_TYPES;

/** A stack's config map with dotted-path edits (`app.port`, `droplet.count`); undefined removes. */
export function withConfig(
  input: StackConfigMap,
  edits: Record<string, unknown>,
  secretKeys: string[] = [],
): StackConfigMap {
  return {
    ...input,
    config: editConfigMap(input.config, edits),
    secretKeys: [...input.secretKeys, ...secretKeys],
  };
}

/** A committed stack's config (a review-pr-<N> stack is derived from staging). */
export function committedStack(stack: string): StackConfigMap {
  return stackConfigFor(stack);
}

/** Runs the program for `stack` with `input` (default: the committed stack file). */
export async function planStack(
  stack: string,
  input: StackConfigMap = committedStack(stack),
  existing: readonly ExistingDroplet[] = [],
): Promise<PlanResult> {
  jest.resetModules();
  const { runPlan } =
    (await import("../../tools/plan/runPlan")) as typeof import("../../tools/plan/runPlan");
  const { RecordingMocks } =
    (await import("../../tools/plan/recordingMocks")) as typeof import("../../tools/plan/recordingMocks");
  return runPlan(stack, input, new RecordingMocks(existing));
}

export function only(plan: PlanResult, type: string): RecordedResource[] {
  return plan.resources.filter((r) => r.type === type);
}

export function one(plan: PlanResult, type: string, name: string): RecordedResource {
  const found = plan.resources.find((r) => r.type === type && r.name === name);
  if (!found)
    throw new Error(
      `no ${type} named ${name}; have ${plan.resources.map((r) => r.name).join(", ")}`,
    );
  return found;
}

/** The file an install command sends on stdin (secret or not). */
export function installedText(install: RecordedResource): string {
  return String(revealSecrets(install.inputs.stdin));
}
