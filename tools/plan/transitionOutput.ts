/**
 * A transition as `pulumi preview --diff` shows one: `+` create, `~` update with the changed
 * inputs, `+-` replace with the inputs that force it, `-` delete, `!` a step `pulumi up` refuses
 * (a protected resource); then a summary line. Secret inputs are named, never shown.
 */
import type { Step, Transition } from "./transition";

const SYMBOL = { create: "+", update: "~", replace: "+-", delete: "-" } as const;

/** `digitalocean:index/droplet:Droplet` → `Droplet`. */
export const shortType = (type: string) => type.slice(type.lastIndexOf(":") + 1);

function stepLine(step: Step): string {
  const symbol = step.blocked ? "!" : SYMBOL[step.action];
  const what = `${symbol.padEnd(2)} ${shortType(step.type)} ${step.name}`;
  const details: string[] = [];
  if (step.action === "replace") {
    details.push(`replaced: ${step.replacedBy.join(", ")} changed`);
    const others = step.changed.filter((key) => !step.replacedBy.includes(key));
    if (others.length > 0) details.push(`also ${others.join(", ")}`);
    if (step.deleteFirst) details.push("deleted first (deleteBeforeReplace)");
  } else if (step.action === "update") {
    details.push(`changed: ${step.changed.join(", ")}`);
  }
  if (step.secretInputs.length > 0) details.push(`secret: ${step.secretInputs.join(", ")}`);
  details.push(...step.effects);
  if (step.blocked) {
    details.push(
      `protected: pulumi up refuses to ${step.action === "delete" ? "delete" : "replace"} it`,
    );
  }
  return details.length > 0 ? `${what}  (${details.join("; ")})` : what;
}

/** A step as an engine starts it (`~ Command x (changed: stdin)`): what the local cloud prints. */
export function startedStepLine(step: { action: Step["action"]; key: string; changed: string[] }) {
  const [type, name] = step.key.split("::");
  const what = `${SYMBOL[step.action].padEnd(2)} ${shortType(type)} ${name}`;
  return step.changed.length > 0 ? `${what}  (changed: ${step.changed.join(", ")})` : what;
}

export function transitionSummary(transition: Transition): string {
  const count = (action: Step["action"]) =>
    transition.steps.filter((s) => s.action === action).length;
  const blocked = transition.steps.filter((s) => s.blocked).length;
  const parts = [
    `${count("create")} to create`,
    `${count("update")} to update`,
    `${count("replace")} to replace`,
    `${count("delete")} to delete`,
    `${transition.unchanged} unchanged`,
  ];
  const tail = blocked > 0 ? `; ${blocked} protected: pulumi up would fail` : "";
  return `${parts.join(", ")}${tail}`;
}

/** The steps wave by wave (a wave's steps are independent), then the summary line. */
export function transitionLines(transition: Transition): string[] {
  if (transition.steps.length === 0) return [`no changes: ${transitionSummary(transition)}`];
  const lines: string[] = [];
  let wave = 0;
  for (const step of [...transition.steps].sort((a, b) => a.wave - b.wave)) {
    if (step.wave !== wave) {
      wave = step.wave;
      lines.push(`step ${wave}:`);
    }
    lines.push(`  ${stepLine(step)}`);
  }
  lines.push(transitionSummary(transition));
  return lines;
}

export interface TransitionJson {
  steps: Pick<
    Step,
    | "action"
    | "type"
    | "name"
    | "changed"
    | "replacedBy"
    | "effects"
    | "wave"
    | "blocked"
    | "deleteFirst"
  >[];
  unchanged: number;
  summary: string;
  notes: string[];
}

export function transitionJson(transition: Transition): TransitionJson {
  return {
    steps: transition.steps.map(
      ({ action, type, name, changed, replacedBy, effects, wave, blocked, deleteFirst }) => ({
        action,
        type,
        name,
        changed,
        replacedBy,
        effects,
        wave,
        blocked,
        deleteFirst,
      }),
    ),
    unchanged: transition.unchanged,
    summary: transitionSummary(transition),
    notes: transition.notes,
  };
}
