/**
 * What a command is: a name, the line that says how to run it, its options (node:util parseArgs
 * specs, each with a line of help) and a `run` that calls into a tool. tools/cli.ts parses the
 * options and owns the one error boundary, so every command behaves alike for a person.
 */
import type { ParseArgsConfig, parseArgs } from "node:util";

type ParseArgsOption = NonNullable<ParseArgsConfig["options"]>[string];

/** A parseArgs option plus what `--help` says of it. */
export type OptionSpec = ParseArgsOption & {
  /** One line: what the option does (and its default). */
  readonly help: string;
  /** How its value is shown in help, e.g. `<name>`; none for a flag. */
  readonly value?: string;
};

export type OptionSpecs = Record<string, OptionSpec>;

/** The values parseArgs gives for `O`, typed by each option's `type`, `multiple` and `default`. */
export type OptionValues<O extends OptionSpecs> = ReturnType<
  typeof parseArgs<{ options: O; allowPositionals: true; strict: true }>
>["values"];

/** Where a command writes: notes and progress to stderr, results to stdout, for every command. */
export interface CommandOutput {
  /** Progress, notes and warnings, for the person watching (stderr). */
  note(line: string): void;
  /** The command's result: what a script would pipe on (stdout). */
  result(line: string): void;
}

export interface Command<O extends OptionSpecs = OptionSpecs> {
  readonly name: string;
  /** One line for the list of commands. */
  readonly summary: string;
  /** How a person runs it, e.g. `npm run plan -- --stack <name> [--json]`. */
  readonly usage: string;
  readonly options: O;
  /**
   * The positional arguments it takes, if any: a subcommand among `choices` (review's
   * `up|destroy|list|reap`), then, with `rest`, anything after `--` (a command to run).
   */
  readonly positionals?: {
    readonly name: string;
    readonly choices: readonly string[];
    /** How help names what may follow `--`, e.g. `<command...>`. */
    readonly rest?: string;
  };
  /** Does the work; resolves to the exit code (0 when nothing is returned). */
  run(args: {
    values: OptionValues<O>;
    positionals: string[];
    out: CommandOutput;
  }): Promise<number | void>;
}

/** Declares a command; the identity function, there so `values` is typed from `options`. */
export function defineCommand<O extends OptionSpecs>(command: Command<O>): Command<O> {
  return command;
}

/** `--help` of one command: its usage, what it does and each option. */
export function commandHelp(command: Command): string {
  const help: OptionSpec = { type: "boolean", short: "h", help: "show this help" };
  const options = Object.entries({ ...command.options, help }).map(([name, spec]) => {
    const short = spec.short ? `-${spec.short}, ` : "    ";
    return { flag: `${short}--${name}${spec.value ? ` ${spec.value}` : ""}`, help: spec.help };
  });
  const width = Math.max(...options.map((option) => option.flag.length));
  return [
    `usage: ${command.usage}`,
    "",
    command.summary,
    ...(command.positionals
      ? ["", `${command.positionals.name}: ${command.positionals.choices.join(", ")}`]
      : []),
    "",
    "options:",
    ...options.map((option) => `  ${option.flag.padEnd(width)}  ${option.help}`),
  ].join("\n");
}
