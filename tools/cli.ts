/**
 * The one entry point of dropstack's tools: `node --import tsx tools/cli.ts <command> [options]`,
 * behind every npm script (plan, start, stop, release, bench, policy, review, cost). It parses the
 * command's options and owns the one error boundary:
 *   - a mistake in the call (unknown option, missing value): one line and the usage line, exit 2;
 *   - a mistake in what was given (bad config, missing stack file, busy port): one line, exit 1;
 *   - anything unexpected: one line and a hint that DROPSTACK_DEBUG=1 prints the stack, exit 1.
 */
import { parseArgs } from "node:util";
import { ConfigError } from "../config";
import { Command, CommandOutput, commandHelp } from "./commands/command";
import { COMMANDS } from "./commands";
import { UsageError, UserError } from "./shared/errors";

const out: CommandOutput = {
  note: (line) => process.stderr.write(`${line}\n`),
  result: (line) => process.stdout.write(`${line}\n`),
};

function commandList(): string {
  const width = Math.max(...COMMANDS.map((command) => command.name.length));
  return [
    "usage: node --import tsx tools/cli.ts <command> [options]   (or the npm script of the same name)",
    "",
    "commands:",
    ...COMMANDS.map((command) => `  ${command.name.padEnd(width)}  ${command.summary}`),
    "",
    "<command> --help shows its options.",
  ].join("\n");
}

/** parseArgs's own messages, shortened to what a person needs. */
function usageMessage(error: Error & { code?: string }): string {
  const quoted = /'([^']+)'/.exec(error.message)?.[1] ?? "";
  switch (error.code) {
    case "ERR_PARSE_ARGS_UNKNOWN_OPTION":
      return `unknown option ${quoted}`;
    case "ERR_PARSE_ARGS_INVALID_OPTION_VALUE":
      // "Option '-s, --stack <value>' argument missing": name the long form.
      return `${/--[\w-]+/.exec(quoted)?.[0] ?? quoted} needs a value`;
    case "ERR_PARSE_ARGS_UNEXPECTED_POSITIONAL":
      return `unexpected argument ${quoted}`;
    default:
      return error.message;
  }
}

function parse(command: Command, args: string[]) {
  try {
    return parseArgs({
      args,
      options: { ...command.options, help: { type: "boolean", short: "h" } },
      allowPositionals: command.positionals !== undefined,
      strict: true,
    });
  } catch (error) {
    if ((error as { code?: string }).code?.startsWith("ERR_PARSE_ARGS")) {
      throw new UsageError(usageMessage(error as Error));
    }
    throw error;
  }
}

async function run(command: Command, args: string[]): Promise<number> {
  const { values, positionals } = parse(command, args);
  if (values.help) {
    out.result(commandHelp(command));
    return 0;
  }
  const spec = command.positionals;
  if (spec && (positionals.length === 0 || !spec.choices.includes(positionals[0]))) {
    const got = positionals.length === 0 ? "nothing" : positionals[0];
    throw new UsageError(`${spec.name} must be one of ${spec.choices.join(", ")}, got ${got}`);
  }
  if (spec && !spec.rest && positionals.length > 1) {
    throw new UsageError(`unexpected argument ${positionals[1]}`);
  }
  return (await command.run({ values: values as never, positionals, out })) ?? 0;
}

/** The exit code for `error`, having said in one line (or the config's lines) what went wrong. */
function report(name: string, error: unknown, usage?: string): number {
  if (error instanceof UsageError) {
    out.note(`${name}: ${error.message}`);
    if (usage) out.note(`usage: ${usage}`);
    return 2;
  }
  if (error instanceof ConfigError) {
    for (const line of error.lines) out.note(line);
    return 1;
  }
  if (error instanceof UserError) {
    out.note(`${name}: ${error.message}`);
    return 1;
  }
  const message = error instanceof Error ? error.message : String(error);
  if (process.env.DROPSTACK_DEBUG === "1") {
    out.note(`${name}: ${error instanceof Error ? (error.stack ?? message) : message}`);
  } else {
    const first = message.split("\n").slice(0, 20).join("\n");
    out.note(`${name}: ${first} (unexpected: DROPSTACK_DEBUG=1 prints the stack)`);
  }
  return 1;
}

async function main(argv: string[]): Promise<number> {
  const [name, ...args] = argv;
  if (name === undefined || name === "--help" || name === "-h") {
    (name ? out.result : out.note)(commandList());
    return name ? 0 : 2;
  }
  const command = COMMANDS.find((candidate) => candidate.name === name);
  if (!command) {
    out.note(`dropstack: unknown command ${name}`);
    out.note(commandList());
    return 2;
  }
  try {
    return await run(command, args);
  } catch (error) {
    return report(name, error, command.usage);
  }
}

// Exit explicitly: the Pulumi runtime and load generators can leave handles open.
main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (error: unknown) => process.exit(report("dropstack", error)),
);
