/** What the small stack CLIs (policy, cost) share: `--stack`/`--config` to a plan, and exits. */
import * as path from "node:path";
import { parseArgs } from "node:util";
import { ConfigError } from "../../config";
import { PlanResult, runPlan } from "./plan";
import { stackConfigFor } from "./stackFiles";

/** Parses `--stack <name> [--config <file>]` and plans that stack offline. */
export async function planFromArgs(usage: string): Promise<PlanResult> {
  const { values } = parseArgs({
    options: { stack: { type: "string", short: "s" }, config: { type: "string" } },
  });
  if (!values.stack) throw new Error(usage);
  return runPlan(
    values.stack,
    stackConfigFor(values.stack, values.config && path.resolve(values.config)),
  );
}

/** Runs `main`; a config error prints its lines, anything else one `<name>: message` line. */
export function runCli(name: string, main: () => Promise<number | void>): void {
  main().then(
    (code) => process.exit(code ?? 0),
    (error: unknown) => {
      console.error(
        error instanceof ConfigError
          ? error.lines.join("\n")
          : `${name}: ${(error as Error).message}`,
      );
      process.exit(1);
    },
  );
}
