/**
 * The steps `pulumi up` takes from one state to another, as its engine takes them: each custom
 * resource is created, updated, replaced or deleted by the provider's rules (providerRules.ts) and
 * the program's resource options; creates and updates in dependency order (a step's wave: the
 * steps of one wave are independent and run side by side), replacements create-before-delete
 * unless `deleteBeforeReplace`, deletes last in reverse dependency order. A value computed by a
 * resource that is created or replaced is unknown until then, so whatever takes it changes too.
 *
 * Protected resources: `pulumi up` refuses to replace or delete one when it reaches that step,
 * after the steps before it were applied. This model is stricter on purpose: it reports the
 * refusal before any step (`blocked`), since a half-applied transition is what it exists to avoid.
 */
import { isDeepStrictEqual } from "node:util";
import { PlanState, StateResource, TOKEN, holdsEncrypted } from "./planState";
import { replacingInputs, ruleFor } from "./providerRules";
import { RESOURCE_TYPES as T } from "../../components/resourceTypes";

export type Action = "create" | "update" | "replace" | "delete";

export interface Step {
  readonly action: Action;
  readonly key: string;
  readonly type: string;
  readonly name: string;
  /** Inputs that differ (for update and replace). */
  readonly changed: string[];
  /** Of those, the ones that force the replacement (the provider's ForceNew, replaceOnChanges). */
  readonly replacedBy: string[];
  /** What the step does besides (a resize powers the droplet off, a command re-runs...). */
  readonly effects: string[];
  /** Steps of one wave are independent of each other; waves run in order. */
  readonly wave: number;
  /** The old resource is protected: `pulumi up` refuses this step. */
  readonly blocked: boolean;
  /** A replacement that deletes the old resource first (deleteBeforeReplace). */
  readonly deleteFirst: boolean;
  /** Changed inputs that hold secrets (their values are never printed). */
  readonly secretInputs: string[];
}

export interface Transition {
  readonly steps: Step[];
  /** Custom resources the transition leaves as they are. */
  readonly unchanged: number;
  readonly notes: string[];
}

/** Keys of the resources whose computed values `value` holds. */
function producersIn(value: unknown): string[] {
  const text = JSON.stringify(value ?? null);
  return [...text.matchAll(TOKEN)].map((m) => m[1]);
}

/**
 * `after` holds values taken from resources that do not change, and `before` (a real stack's
 * export, where DigitalOcean's values are plain) is `after` with those values filled in: each
 * token matches whatever `before` has there. An export whose values were tokenized compares
 * exactly instead (its tokens are text like any other).
 */
function takenUnchanged(before: unknown, after: unknown): boolean {
  const old = JSON.stringify(before ?? null);
  const now = JSON.stringify(after ?? null);
  if (!TOKEN_TEST.test(now) || TOKEN_TEST.test(old)) return false;
  const pattern = now
    .split(TOKEN)
    .map((part, i) => (i % 3 === 0 ? part.replace(/[.*+?^${}()|[\]\\]/g, "\\$&") : null))
    .filter((part): part is string => part !== null)
    .join(".*?");
  return new RegExp(`^${pattern}$`, "s").test(old);
}

const TOKEN_TEST = new RegExp(TOKEN.source);

/** New resources in an order where every resource comes after what it depends on or takes from. */
function dependencyOrder(resources: StateResource[]): StateResource[] {
  const byKey = new Map(resources.map((r) => [r.key, r]));
  const seen = new Set<string>();
  const ordered: StateResource[] = [];
  const visit = (r: StateResource) => {
    if (seen.has(r.key)) return;
    seen.add(r.key);
    for (const dep of [...r.dependencies, ...producersIn(r.inputs)]) {
      const found = byKey.get(dep);
      if (found) visit(found);
    }
    ordered.push(r);
  };
  resources.forEach(visit);
  return ordered;
}

function matchOld(resource: StateResource, old: Map<string, StateResource>) {
  if (old.has(resource.key)) return old.get(resource.key);
  // An alias names what the resource was called before: the same resource, not a new one.
  for (const alias of resource.options.aliases) {
    const found = old.get(`${resource.type}::${alias}`);
    if (found) return found;
  }
  return undefined;
}

const NOTHING_RUNS = "runs nothing: no script for this step";

/**
 * A Command with no script for the step runs nothing (no SSH dial either): Create runs `create`,
 * Update runs `update` or else `create` (pulumi-command v1.2.1, provider/pkg/provider/{remote,
 * local}/commandController.go). A rotation's leave and rejoin have no `create`.
 */
function scriptless(type: string, action: Action, inputs: Readonly<Record<string, unknown>>) {
  if (type !== T.command && type !== T.localCommand) return false;
  return (action === "update" ? (inputs.update ?? inputs.create) : inputs.create) === undefined;
}

/** The transition from `from` to `to`. Diffing a state against itself gives no step. */
export function diffStates(from: PlanState, to: PlanState): Transition {
  const old = new Map(from.resources.filter((r) => r.custom).map((r) => [r.key, r]));
  const matched = new Set<string>();
  const steps: Step[] = [];
  /** Keys of new resources whose outputs are unknown until they are created. */
  const fresh = new Set<string>();
  const waveOf = new Map<string, number>();
  let unchanged = 0;
  for (const resource of dependencyOrder(to.resources.filter((r) => r.custom))) {
    const previous = matchOld(resource, old);
    const upstream = [...resource.dependencies, ...producersIn(resource.inputs)];
    const wave = 1 + Math.max(0, ...upstream.map((key) => waveOf.get(key) ?? 0));
    const base = {
      key: resource.key,
      type: resource.type,
      name: resource.name,
      wave,
      secretInputs: [] as string[],
    };
    if (!previous) {
      fresh.add(resource.key);
      waveOf.set(resource.key, wave);
      steps.push({
        ...base,
        action: "create",
        changed: [],
        replacedBy: [],
        effects: scriptless(resource.type, "create", resource.inputs)
          ? [NOTHING_RUNS]
          : [...(ruleFor(resource.type).onCreate ?? [])],
        blocked: false,
        deleteFirst: false,
      });
      continue;
    }
    matched.add(previous.key);
    const keys = new Set([...Object.keys(previous.inputs), ...Object.keys(resource.inputs)]);
    const changed = [...keys].filter((key) => {
      if (resource.options.ignoreChanges.includes(key)) return false;
      const [before, after] = [previous.inputs[key], resource.inputs[key]];
      // Known only once a resource it takes from is created or replaced.
      if (producersIn(after).some((producer) => fresh.has(producer))) return true;
      // Still encrypted (a real stack's export without its passphrase): cannot tell, so unchanged.
      if (holdsEncrypted(before)) return false;
      return !isDeepStrictEqual(before, after) && !takenUnchanged(before, after);
    });
    if (changed.length === 0) {
      unchanged++;
      continue;
    }
    const rule = ruleFor(resource.type);
    const replacedBy = replacingInputs(resource.type, changed, resource.options.replaceOnChanges);
    const action: Action = replacedBy.length > 0 ? "replace" : "update";
    if (action === "replace") fresh.add(resource.key);
    waveOf.set(resource.key, wave);
    const effects =
      action === "replace"
        ? [
            ...(rule.onReplace ?? []),
            // A command's own delete (certbot's, for one) runs for the old one once the new exists.
            ...(previous.inputs.delete !== undefined ? ["the old one's delete runs after"] : []),
          ]
        : changed.flatMap((key) => rule.onUpdate?.[key] ?? rule.onAnyUpdate ?? []);
    steps.push({
      ...base,
      action,
      changed,
      replacedBy,
      effects: scriptless(resource.type, action, resource.inputs)
        ? [NOTHING_RUNS]
        : [...new Set(effects)],
      blocked: action === "replace" && previous.protect,
      deleteFirst: action === "replace" && resource.options.deleteBeforeReplace,
      secretInputs: changed.filter(
        (key) => resource.secretInputs.includes(key) || previous.secretInputs.includes(key),
      ),
    });
  }
  // Deletes after everything that used them has moved: the reverse of the old dependency order.
  const lastWave = Math.max(0, ...steps.map((s) => s.wave));
  const gone = dependencyOrder([...old.values()])
    .filter((r) => !matched.has(r.key))
    .reverse();
  // A delete waits for the deletes of what depended on it; independent ones run side by side.
  const deleteWave = new Map<string, number>();
  for (const resource of gone) {
    const dependents = gone.filter(
      (r) => r.dependencies.includes(resource.key) || producersIn(r.inputs).includes(resource.key),
    );
    deleteWave.set(
      resource.key,
      1 + Math.max(0, ...dependents.map((d) => deleteWave.get(d.key) ?? 0)),
    );
  }
  gone.forEach((resource) => {
    steps.push({
      key: resource.key,
      type: resource.type,
      name: resource.name,
      action: "delete",
      changed: [],
      replacedBy: [],
      effects: [
        ...(ruleFor(resource.type).onDelete ?? []),
        ...(resource.inputs.delete !== undefined ? ["its delete command runs over SSH"] : []),
      ],
      wave: lastWave + deleteWave.get(resource.key)!,
      blocked: resource.protect,
      deleteFirst: false,
      secretInputs: [],
    });
  });
  return { steps, unchanged, notes: [...from.notes, ...to.notes] };
}
