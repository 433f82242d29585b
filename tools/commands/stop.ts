/** `npm stop`: stop a stack's sandbox and everything it started. */
import { stopStackSandbox } from "../sandbox/serve";
import { defineCommand } from "./command";
import { STACK_OPTIONS } from "./stackOptions";

export const stopCommand = defineCommand({
  name: "stop",
  summary: "Stop a stack's sandbox (nginx, supervisord and both colours).",
  usage: "npm stop -- [--stack dev]",
  options: {
    stack: { ...STACK_OPTIONS.stack, default: "dev", help: "the stack to stop (default dev)" },
  },
  async run({ values, out }) {
    await stopStackSandbox(values.stack, out);
  },
});
