/**
 * The local cloud's engine is Pulumi's own mock runtime: the SDK registers a resource once its
 * inputs have resolved and its dependsOn have registered (runtime/resource.js: "all our
 * dependencies must be finished"), so a `newResource` that creates the stand-in for real and
 * returns its real outputs (a droplet's address, a digest) carries real values into the resources
 * after it, in the program's own dependency order, independent ones side by side. Checked by
 * tests/unit/localMocks.test.ts before anything is built on it.
 */
import type * as pulumi from "@pulumi/pulumi";
import { RecordedResource, RecordingMocks } from "../plan/recordingMocks";
import { revealSecrets } from "../plan/mockSecrets";

/** What a stand-in returns: the provider id and the outputs a provider would compute. */
export interface Created {
  readonly id: string;
  readonly outputs: Record<string, unknown>;
}

/** Creates one resource of a type for real; inputs with secrets revealed. */
export type StandIn = (
  inputs: Record<string, unknown>,
  resource: RecordedResource,
) => Promise<Created>;

export interface LocalEngineEvents {
  /** A resource of a type with no stand-in: listed, never silently dropped. */
  skipped(resource: RecordedResource): void;
  /** A stand-in failed: the first failure ends the run (and names the resource). */
  failed(resource: RecordedResource, error: Error): void;
}

/** Recording mocks whose custom resources are made by `standIns`, by type token. */
export class LocalCloudMocks extends RecordingMocks {
  constructor(
    private readonly standIns: Readonly<Record<string, StandIn>>,
    private readonly events: LocalEngineEvents,
  ) {
    super();
  }

  override async newResource(args: pulumi.runtime.MockResourceArgs) {
    const recorded = this.record(args);
    if (!args.custom) return { id: undefined, state: args.inputs };
    const standIn = this.standIns[args.type];
    if (!standIn) {
      // Invented outputs, as the offline plan's, so the program's own apply chains go on.
      this.events.skipped(recorded);
      return this.inventOutputs(recorded);
    }
    try {
      const created = await standIn(
        revealSecrets(args.inputs) as Record<string, unknown>,
        recorded,
      );
      recorded.id = created.id;
      recorded.outputs = { ...args.inputs, ...created.outputs };
      return { id: created.id, state: recorded.outputs };
    } catch (error) {
      const failure = error instanceof Error ? error : new Error(String(error));
      this.events.failed(recorded, failure);
      this.fail(failure);
      // Never settles: what depends on the failed resource is never created (as the engine stops
      // there), and no rejection is left for nobody to handle. The run ends on `failure`.
      return new Promise<never>(() => undefined);
    }
  }
}
