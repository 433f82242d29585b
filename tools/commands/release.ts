/** `npm run release`: a blue/green release into a running sandbox with the stack's release script. */
import { parseEnvPairs, releaseIntoSandbox } from "../sandbox/serve";
import { UsageError } from "../shared/errors";
import { defineCommand } from "./command";
import { STACK_OPTIONS } from "./stackOptions";

export const releaseCommand = defineCommand({
  name: "release",
  summary:
    "Release a label into a running sandbox, as `pulumi up` does after a changed app.release; the previous label again is the rollback.",
  usage: "npm run release -- [--stack dev] --release <label> [--env NAME=value ...]",
  options: {
    stack: { ...STACK_OPTIONS.stack, default: "dev", help: "the sandbox's stack (default dev)" },
    release: {
      type: "string",
      short: "r",
      value: "<label>",
      help: "the release label to make live (e.g. v2)",
    },
    env: {
      type: "string",
      multiple: true,
      default: [],
      value: "NAME=value",
      help: "an extra environment variable for this release (repeatable)",
    },
  },
  async run({ values, out }) {
    if (!values.release) throw new UsageError("--release <label> is required (e.g. --release v2)");
    const extraEnv = parseEnvPairs(values.env);
    return releaseIntoSandbox({ stack: values.stack, release: values.release, extraEnv }, out);
  },
});
