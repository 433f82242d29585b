/**
 * Where a transition starts: a real stack's `pulumi stack export` (JSON), the state `plan --state`
 * printed in another checkout (the base branch's, for a pull request), or the plan of another
 * config of the stack (`Pulumi.x.yaml`) with this checkout's program. The program
 * registers its resources once per process, so the other config is planned by a child process.
 */
import { existsSync, readFileSync } from "node:fs";
import * as path from "node:path";
import { UserError } from "../shared/errors";
import { CLI, TSX } from "../shared/projectPaths";
import { CommandFailed, runOrThrow } from "../shared/runCommand";
import { configPassphrase } from "./passphraseSecrets";
import { PlanState, stateOfExport } from "./planState";

export function transitionSource(stack: string, file: string): PlanState {
  if (!existsSync(file)) throw new UserError(`--diff-from: no file at ${file}`);
  if (/\.json$/i.test(file)) {
    const text = readFileSync(file, "utf8");
    // `plan --state` of another checkout (the base branch's program and config) is a state as is.
    let own = false;
    try {
      const parsed = JSON.parse(text) as { deployment?: unknown; resources?: unknown };
      own = parsed.deployment === undefined && Array.isArray(parsed.resources);
    } catch {
      // stateOfExport says what is wrong with it.
    }
    return own
      ? (JSON.parse(text) as PlanState)
      : stateOfExport(text, path.basename(file), configPassphrase());
  }
  if (!/\.ya?ml$/i.test(file)) {
    throw new UserError(
      `--diff-from: ${file} is neither a stack export (.json) nor a stack file (.yaml)`,
    );
  }
  try {
    const json = runOrThrow(TSX, [CLI, "plan", "--stack", stack, "--config", file, "--state"]);
    return JSON.parse(json) as PlanState;
  } catch (error) {
    if (!(error instanceof CommandFailed)) throw error;
    const reason = error.stderr.trim().split("\n").filter(Boolean).slice(-6).join("\n");
    throw new UserError(`--diff-from ${path.basename(file)}: its config does not plan:\n${reason}`);
  }
}
