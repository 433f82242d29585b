/**
 * `local run --as visitor|operator` runs a command from "the internet" of a stack, and `local exec`
 * runs one as root on a droplet (DigitalOcean's console). Both pass the exit code through.
 */
import { UserError } from "../shared/errors";
import { dropletExecInteractive, dropletMachine, dropletRunning } from "./dropletMachine";
import { names } from "./localPaths";
import { readState } from "./localState";
import { runInNetns } from "./stackNetwork";

function upState(stack: string) {
  const state = readState(stack);
  if (!state)
    throw new UserError(
      `${stack} is not up in the local cloud: npm run local -- up --stack ${stack}`,
    );
  return state;
}

export function runAs(stack: string, as: string, argv: string[]): number {
  if (as !== "visitor" && as !== "operator")
    throw new UserError(`--as must be visitor or operator, got ${as}`);
  if (argv.length === 0) throw new UserError("nothing to run: put the command after --");
  const state = upState(stack);
  const run = runInNetns(names(state.index)[as], argv);
  return run.status ?? 1;
}

export function execOnDroplet(stack: string, droplet: string, argv: string[]): number {
  if (argv.length === 0) throw new UserError("nothing to run: put the command after --");
  const state = upState(stack);
  const found = state.droplets.find((d) => d.name === droplet);
  if (!found) {
    throw new UserError(
      `${stack} has no droplet ${droplet} (it has ${state.droplets.map((d) => d.name).join(", ") || "none"})`,
    );
  }
  const machine = dropletMachine(stack, found.name, found.machine, found.netns);
  if (!dropletRunning(machine)) throw new UserError(`droplet ${droplet} is not running`);
  return dropletExecInteractive(machine, argv).status ?? 1;
}
