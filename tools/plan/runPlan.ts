/**
 * Runs the real program (`index.ts`) under Pulumi's mock runtime with a stack's config and
 * returns every resource it declared, its outputs, and the files it would put on droplets.
 * Offline: no credentials, no provider plugins, no network.
 */
import * as path from "node:path";
import * as pulumi from "@pulumi/pulumi";
import { PROJECT, PROJECT_DIR } from "../shared/projectPaths";
import { RecordedResource, RecordingMocks } from "./recordingMocks";
import type { StackConfigMap } from "./stackFiles";

export interface PlanResult {
  readonly stack: string;
  readonly resources: RecordedResource[];
  /** The stack's exports, resolved (secrets still wrapped). */
  readonly outputs: Record<string, unknown>;
  readonly mocks: RecordingMocks;
}

/** Resolves an Output (or a structure holding Outputs) to its value. */
export function promiseOf<T>(value: pulumi.Input<T>): Promise<pulumi.Unwrap<T>> {
  return new Promise((resolve) => pulumi.output(value).apply(resolve));
}

/**
 * Evaluates the program for `stack` with `mocks` (by default the recording ones, which invent
 * what providers compute; the local cloud passes mocks that create things for real). Config errors
 * surface as the program's own ConfigError; a resource the mocks failed to create rejects it.
 * Import this module fresh for each stack (the program registers its resources on import).
 */
export async function runPlan(
  stack: string,
  input: StackConfigMap,
  mocks: RecordingMocks = new RecordingMocks(),
): Promise<PlanResult> {
  await pulumi.runtime.setMocks(mocks, PROJECT, stack, false);
  mocks.attach(pulumi.runtime.getMonitor());
  pulumi.runtime.setAllConfig(input.config, input.secretKeys);
  const program = (await import(path.join(PROJECT_DIR, "index"))) as Record<string, unknown>;
  const outputs: Record<string, unknown> = {};
  for (const [name, value] of Object.entries(program)) {
    if (name === "__esModule") continue;
    outputs[name] = await Promise.race([promiseOf(value as pulumi.Input<unknown>), mocks.failure]);
  }
  // Resources that feed no export are still registering: wait until every RPC has settled (after a
  // failure, what depended on the failed resource never settles: the failure ends the wait).
  await Promise.race([pulumi.runtime.disconnect(), mocks.failure]);
  return { stack, resources: mocks.resources, outputs, mocks };
}
