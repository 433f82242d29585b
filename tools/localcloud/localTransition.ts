/**
 * `npm run local -- up` on a stack that is up with another config: the transition, as `pulumi up`
 * takes it. First the plan's prediction (`plan --diff` from the state the last `up` saved to the
 * plan of the new config, in a child process: the program registers once per process), refused
 * before any step if it would replace or delete a protected resource, or take a step no stand-in
 * can; then the steps themselves, each printed as it starts, deletes last; then the prediction
 * held against what was done.
 */
import * as path from "node:path";
import type { StackConfigMap } from "../plan/stackFiles";
import { existingDropletsOf } from "../plan/existingDroplets";
import { PlanState, stateOfPlan } from "../plan/planState";
import { diffStates, Step, Transition } from "../plan/transition";
import { startedStepLine, transitionLines } from "../plan/transitionOutput";
import { runPlan } from "../plan/runPlan";
import { UserError } from "../shared/errors";
import { TSX } from "../shared/projectPaths";
import { CommandFailed, runOrThrow } from "../shared/runCommand";
import type { LocalCloudMocks, StandIns, TakenStep } from "./localMocks";
import { LocalState, writeState } from "./localState";

type Out = { note(line: string): void };

const CHILD = path.join(__dirname, "plannedStateChild.ts");

/** The state the plan of `input` would leave on a stack in state `from`, from a child process. */
function plannedState(stack: string, input: StackConfigMap, from: PlanState): PlanState {
  const existing = existingDropletsOf(from);
  try {
    return JSON.parse(
      runOrThrow(TSX, [CHILD, stack], { input: JSON.stringify({ input, existing }) }),
    ) as PlanState;
  } catch (error) {
    if (!(error instanceof CommandFailed)) throw error;
    throw new UserError(`the new config of ${stack} does not plan:\n${error.stderr.trim()}`);
  }
}

const asTaken = (steps: readonly Step[]): TakenStep[] =>
  steps.map(({ action, key, changed }) => ({ action, key, changed }));

const summary = (steps: readonly TakenStep[]) => steps.map((s) => `${s.action} ${s.key}`).sort();

/** Steps predicted but not taken, and taken but not predicted (`action key`). */
export function unpredicted(transition: NonNullable<LocalState["lastTransition"]>) {
  const [want, got] = [summary(transition.predicted), summary(transition.taken)];
  return {
    missed: want.filter((s) => !got.includes(s)),
    extra: got.filter((s) => !want.includes(s)),
  };
}

/** The steps from the last `up` to `keyed`, printed; refused if any cannot be taken here. */
export function predictTransition(
  state: LocalState,
  keyed: StackConfigMap,
  standIns: StandIns,
  out: Out,
): Transition {
  if (!state.applied || !state.plannedState) {
    throw new UserError(
      `${state.stack} was brought up by an earlier version of the local cloud, which kept no state to diff: npm run local -- down --stack ${state.stack}, then up`,
    );
  }
  const transition = diffStates(
    state.plannedState,
    plannedState(state.stack, keyed, state.plannedState),
  );
  out.note(`${state.stack} is up with another config; the plan of the transition:`);
  for (const line of transitionLines(transition)) out.note(`  ${line}`);
  const blocked = transition.steps.filter((s) => s.blocked);
  if (blocked.length > 0) {
    throw new UserError(
      `pulumi up would fail: it refuses to ${blocked.map((s) => `${s.action} ${s.name}`).join(", ")} (protected); nothing was changed (see "Changing a stack safely" in the README)`,
    );
  }
  // A type with no stand-in at all is skipped as on a first up; one with a stand-in must have the
  // step's counterpart, or the transition would stop half-way.
  const cannot = transition.steps.filter((s) => {
    if (!standIns.create[s.type]) return false;
    if (s.action === "update") {
      const updatable = standIns.updatable?.[s.type];
      return (
        !standIns.update[s.type] || s.changed.some((key) => updatable && !updatable.includes(key))
      );
    }
    if (s.action === "delete" || s.action === "replace") return !standIns.delete[s.type];
    return false;
  });
  if (cannot.length > 0) {
    throw new UserError(
      `the local cloud cannot yet ${cannot.map((s) => `${s.action} ${s.name}${s.action === "update" ? ` (${s.changed.join(", ")})` : ""}`).join(", ")}; nothing was changed: npm run local -- down --stack ${state.stack}, then up`,
    );
  }
  return transition;
}

/**
 * Runs the program under `mocks` (made with the last `up`'s applied resources), deletes what it
 * no longer declares, and saves what is applied now. With a `predicted` transition, records the
 * steps taken beside it and says where they differ.
 */
export async function applyLocally(
  state: LocalState,
  keyed: StackConfigMap,
  mocks: LocalCloudMocks,
  out: Out,
  predicted?: Transition,
) {
  const started = Date.now();
  const transitionRecord = () => ({
    predicted: asTaken(predicted!.steps),
    taken: mocks.steps,
    seconds: (Date.now() - started) / 1000,
  });
  let plan;
  try {
    plan = await runPlan(state.stack, keyed, mocks);
    await mocks.deleteRemoved();
  } catch (error) {
    // What is there now, for `down` (it runs the delete of every Command on it).
    state.applied = mocks.appliedSoFar();
    if (predicted) state.lastTransition = transitionRecord();
    writeState(state);
    throw error;
  }
  state.applied = mocks.applied;
  state.plannedState = stateOfPlan(plan);
  if (predicted) {
    state.lastTransition = transitionRecord();
    const { missed, extra } = unpredicted(state.lastTransition);
    if (missed.length + extra.length > 0) {
      out.note(
        `  the plan and the local cloud differ: predicted but not taken: ${missed.join(", ") || "none"}; taken but not predicted: ${extra.join(", ") || "none"}`,
      );
    } else {
      out.note(`  ${mocks.steps.length} steps taken, as the plan predicted`);
    }
  }
  writeState(state);
  return plan;
}

/** The line a step prints as it starts. */
export const stepNote = (step: TakenStep) => `  ${startedStepLine(step)}`;
