/**
 * npm run plan -- --stack <name> [--config <Pulumi.x.yaml>] [--json] [--out <dir>]
 *
 * Shows what `pulumi up` would create for a stack, and the files it would put on each droplet,
 * by running the real program under Pulumi's mock runtime: no credentials, no network.
 */
import { mkdirSync, writeFileSync } from "node:fs";
import * as path from "node:path";
import { parseArgs } from "node:util";
import { ConfigError } from "../config";
import { runPlan } from "./lib/plan";
import { planJson, planTree, plannedFiles } from "./lib/planOutput";
import { stackConfigFor } from "./lib/stackFiles";

const USAGE =
  "usage: npm run plan -- --stack <name> [--config <Pulumi.x.yaml>] [--json] [--out <dir>]";

async function main(): Promise<number> {
  const { values } = parseArgs({
    options: {
      stack: { type: "string", short: "s" },
      config: { type: "string" },
      json: { type: "boolean", default: false },
      out: { type: "string" },
      help: { type: "boolean", short: "h", default: false },
    },
  });
  if (values.help) {
    console.log(USAGE);
    return 0;
  }
  if (!values.stack) throw new UsageError(`--stack is required\n${USAGE}`);
  const input = stackConfigFor(values.stack, values.config && path.resolve(values.config));
  const plan = await runPlan(values.stack, input);
  for (const note of input.notes) console.error(`note: ${note}`);
  if (values.json) {
    console.log(JSON.stringify(planJson(plan), null, 2));
  } else {
    console.log(planTree(plan));
  }
  if (values.out) {
    const files = plannedFiles(plan);
    for (const file of files) {
      const target = path.join(values.out, file.path);
      mkdirSync(path.dirname(target), { recursive: true });
      writeFileSync(target, file.content);
    }
    console.error(`wrote ${files.length} files under ${values.out}`);
  }
  if (!values.json) console.log(`    planned offline in ${process.uptime().toFixed(1)}s`);
  return 0;
}

class UsageError extends Error {}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    if (error instanceof ConfigError) {
      console.error(error.lines.join("\n"));
    } else if (
      error instanceof UsageError ||
      (error as { code?: string }).code?.startsWith("ERR_PARSE_ARGS")
    ) {
      console.error((error as Error).message);
    } else if (error instanceof Error && error.message.startsWith("no stack config file")) {
      console.error(`plan: ${error.message}`);
    } else {
      console.error(error);
    }
    process.exit(1);
  },
);
