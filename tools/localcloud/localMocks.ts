/**
 * The local cloud's engine is Pulumi's own mock runtime: the SDK registers a resource once its
 * inputs have resolved and its dependsOn have registered (runtime/resource.js: "all our
 * dependencies must be finished"), so a `newResource` that creates the stand-in for real and
 * returns its real outputs (a droplet's address, a digest) carries real values into the resources
 * after it, in the program's own dependency order, independent ones side by side. Checked by
 * tests/unit/localMocks.test.ts before anything is built on it.
 *
 * On a stack that is up, each resource is diffed as `pulumi up` diffs it when it registers: its
 * inputs (real values, since what it takes from is already applied) against the ones last applied,
 * by the provider's rules (tools/plan/providerRules.ts). Unchanged, it hands back its applied
 * outputs and nothing runs; otherwise it is updated, or replaced create-before-delete (unless
 * `deleteBeforeReplace`), and what the program no longer declares is deleted at the end
 * (`deleteRemoved`), last created first, replaced ones with them, as the engine's pending deletes.
 */
import { isDeepStrictEqual } from "node:util";
import type * as pulumi from "@pulumi/pulumi";
import { RESOURCE_TYPES as T } from "../../components/resourceTypes";
import { existingDroplet } from "../plan/existingDroplets";
import { RecordedResource, RecordingMocks } from "../plan/recordingMocks";
import { revealSecrets } from "../plan/mockSecrets";
import { computedValues } from "../plan/planState";
import { replacingInputs } from "../plan/providerRules";
import type { Action } from "../plan/transition";

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

/** What the local cloud last applied of one custom resource. */
export interface AppliedResource {
  /** `<type>::<name>`, as in a plan's state. */
  readonly key: string;
  readonly type: string;
  readonly name: string;
  readonly id: string;
  /** Inputs with secrets revealed: what the next `up` diffs against. */
  readonly inputs: Record<string, unknown>;
  /** What the stand-in computed (the rest of a resource's outputs are its inputs). */
  readonly outputs: Record<string, unknown>;
  readonly protect: boolean;
  /** Made by no stand-in: its outputs were invented, as the offline plan's. */
  readonly skipped?: boolean;
}

/** Updates one resource in place; `previous` is what was applied. */
export type Updater = (
  inputs: Record<string, unknown>,
  resource: RecordedResource,
  previous: AppliedResource,
) => Promise<Created>;

/** Deletes one applied resource. */
export type Deleter = (previous: AppliedResource) => Promise<void>;

export interface StandIns {
  readonly create: Readonly<Record<string, StandIn>>;
  readonly update: Readonly<Record<string, Updater>>;
  readonly delete: Readonly<Record<string, Deleter>>;
  /** For an updater that changes only some inputs: those (any other is refused before a step). */
  readonly updatable?: Readonly<Record<string, readonly string[]>>;
}

/** A step the engine took, as a plan's transition names it. */
export interface TakenStep {
  readonly action: Action;
  readonly key: string;
  readonly changed: string[];
}

export interface LocalEngineEvents {
  /** A resource of a type with no stand-in: listed, never silently dropped. */
  skipped(resource: RecordedResource): void;
  /** A stand-in failed: the first failure ends the run (and names the resource). */
  failed(resource: RecordedResource, error: Error): void;
  /** A step of a transition, as it starts. */
  step?(step: TakenStep): void;
}

/**
 * Ids other resources take (a firewall's droplet ids, an alert's check): tokenized in the state
 * as a plan's. Other ids are names or addresses another output already stands for.
 */
const TAKEN_IDS = new Set<string>([T.droplet, T.loadBalancer, T.uptimeCheck]);

const keyOf = (r: { type: string; name: string }) => `${r.type}::${r.name}`;

/** The inputs that differ from what was applied, less the ones `ignoreChanges` names. */
export function changedInputs(
  previous: Record<string, unknown>,
  inputs: Record<string, unknown>,
  ignoreChanges: readonly string[],
): string[] {
  const keys = new Set([...Object.keys(previous), ...Object.keys(inputs)]);
  return [...keys].filter(
    (key) => !ignoreChanges.includes(key) && !isDeepStrictEqual(previous[key], inputs[key]),
  );
}

/** Recording mocks whose custom resources are made, changed and deleted by stand-ins. */
export class LocalCloudMocks extends RecordingMocks {
  /** What this run leaves applied, in the order it was applied. */
  readonly applied: AppliedResource[] = [];
  readonly steps: TakenStep[] = [];
  private readonly previous: Map<string, AppliedResource>;
  /** Replaced resources whose old one is deleted at the end. */
  private readonly replaced: AppliedResource[] = [];
  private readonly deleted = new Set<AppliedResource>();

  constructor(
    private readonly standIns: StandIns,
    private readonly events: LocalEngineEvents,
    /** What the last `up` applied (none for a first `up`). */
    private readonly before: readonly AppliedResource[] = [],
  ) {
    // The program's droplet lookup sees the droplets as this run finds them, real addresses.
    super(
      before
        .filter((r) => r.type === T.droplet)
        .map((r) => existingDroplet(r.inputs, String(r.outputs.ipv4Address))),
    );
    // After a failed run a key may be there twice: the resource it made first, then the one that
    // replacement was to delete. The new one is the resource; the old one is deleted at the end of
    // this run, as the engine's pending deletes are.
    this.previous = new Map();
    for (const r of before) {
      if (this.previous.has(r.key)) this.replaced.push(r);
      else this.previous.set(r.key, r);
    }
    for (const r of before) if (r.skipped) this.inventAfter(r.id);
  }

  /**
   * What is applied so far, for a run that stopped half-way: what it applied, and what it had not
   * reached yet or had still to delete, as they were.
   */
  appliedSoFar(): AppliedResource[] {
    const reached = new Set(this.applied.map((r) => r.key));
    const left = this.before.filter(
      (r) =>
        !this.deleted.has(r) &&
        ((!reached.has(r.key) && this.previous.has(r.key)) || this.replaced.includes(r)),
    );
    return [...this.applied, ...left];
  }

  override async newResource(args: pulumi.runtime.MockResourceArgs) {
    const recorded = this.record(args);
    if (!args.custom) return { id: undefined, state: args.inputs };
    const inputs = revealSecrets(args.inputs) as Record<string, unknown>;
    try {
      const created = await this.apply(recorded, inputs);
      recorded.id = created.id;
      recorded.outputs = { ...args.inputs, ...created.outputs };
      this.remembered(recorded, created);
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

  /** The previous resource this one is (by its key, or a name it had: `aliases`). */
  private previousOf(recorded: RecordedResource): AppliedResource | undefined {
    const names = [recorded.name, ...(recorded.options?.aliases ?? [])];
    for (const name of names) {
      const found = this.previous.get(keyOf({ type: recorded.type, name }));
      if (found) return found;
    }
    return undefined;
  }

  private async apply(recorded: RecordedResource, inputs: Record<string, unknown>) {
    const key = keyOf(recorded);
    const previous = this.previousOf(recorded);
    const standIn = this.standIns.create[recorded.type];
    const record = (created: Created, skipped = false) => {
      // Matched only once applied: what stops half-way is still the previous resource.
      if (previous) this.previous.delete(previous.key);
      this.applied.push({
        key,
        type: recorded.type,
        name: recorded.name,
        id: created.id,
        inputs,
        outputs: created.outputs,
        protect: recorded.protect,
        ...(skipped && { skipped }),
      });
      return created;
    };
    const create = async (): Promise<Created> => {
      if (standIn) return record(await standIn(inputs, recorded));
      // Invented outputs, as the offline plan's, so the program's own apply chains go on.
      this.events.skipped(recorded);
      const invented = this.inventOutputs(recorded);
      return record({ id: invented.id, outputs: invented.state }, true);
    };
    if (!previous) {
      if (this.before.length > 0) this.took({ action: "create", key, changed: [] });
      return create();
    }
    const changed = changedInputs(previous.inputs, inputs, recorded.options?.ignoreChanges ?? []);
    if (changed.length === 0) {
      if (previous.skipped) this.events.skipped(recorded);
      return record({ id: previous.id, outputs: previous.outputs }, previous.skipped);
    }
    const replacedBy = replacingInputs(
      recorded.type,
      changed,
      recorded.options?.replaceOnChanges ?? [],
    );
    if (replacedBy.length === 0) {
      this.took({ action: "update", key, changed });
      const update = this.standIns.update[recorded.type];
      if (previous.skipped || !standIn) return create();
      if (!update) throw new Error(`the local cloud cannot update a ${recorded.type} yet`);
      return record(await update(inputs, recorded, previous));
    }
    if (previous.protect) {
      throw new Error(`${recorded.name} is protected: pulumi up refuses to replace it`);
    }
    this.took({ action: "replace", key, changed });
    if (recorded.options?.deleteBeforeReplace) await this.remove(previous);
    else this.replaced.push(previous);
    return create();
  }

  private took(step: TakenStep): void {
    this.steps.push(step);
    this.events.step?.(step);
  }

  private async remove(previous: AppliedResource): Promise<void> {
    const remove = this.standIns.delete[previous.type];
    if (!previous.skipped) {
      if (!remove) throw new Error(`the local cloud cannot delete a ${previous.type} yet`);
      await remove(previous);
    }
    this.deleted.add(previous);
  }

  /**
   * After the program: deletes what it no longer declares (each a `delete` step) and the old
   * resources of replacements, in the reverse of the order they were applied.
   */
  async deleteRemoved(): Promise<void> {
    const removed = new Set(this.previous.keys());
    const order = [...this.before].reverse();
    for (const old of order.filter((r) => removed.has(r.key) || this.replaced.includes(r))) {
      if (removed.has(old.key)) {
        if (old.protect)
          throw new Error(`${old.name} is protected: pulumi up refuses to delete it`);
        this.took({ action: "delete", key: old.key, changed: [] });
      }
      await this.remove(old);
    }
  }

  /** Registers the real values a later state tokenizes, as the recording mocks' made-up ones. */
  private remembered(recorded: RecordedResource, created: Created): void {
    const key = keyOf(recorded);
    if (TAKEN_IDS.has(recorded.type)) this.produced(created.id, key, "id");
    for (const { value, field } of computedValues(recorded.type, created.outputs)) {
      this.produced(value, key, field);
    }
  }
}
