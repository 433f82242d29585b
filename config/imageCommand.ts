/**
 * A command run from the app's image (`app.migrate`, `app.processes.<name>.command`): a program
 * and its arguments, split as sh splits words (quotes and backslashes) by shell-quote, and run as
 * the container's main process, as a Dockerfile's exec-form CMD is, so a stop's TERM reaches it.
 * Nothing a shell would do beyond that: such a command would mean a different thing on the
 * droplet than in the config.
 */
import { parse } from "shell-quote";

/** Stands in for a variable while parsing (shell-quote copies it): a `$` outside single quotes. */
const VARIABLE = { variable: true } as const;

/** The command's words, or why it is not one program and its arguments. */
export function imageCommandWords(command: string): string[] | { problem: string } {
  const tokens = parse(command, () => VARIABLE);
  const words: string[] = [];
  for (const token of tokens) {
    if (typeof token === "string") {
      words.push(token);
      continue;
    }
    if ("variable" in token || ("op" in token && token.op === "glob"))
      return {
        problem:
          "must not use $ or a wildcard outside single quotes (quote it, or set the variable in app.env)",
      };
    if ("comment" in token) return { problem: "must not hold a comment (#)" };
    return {
      problem: `must be a program and its arguments, without ${"op" in token ? token.op : "shell syntax"} (for a shell, write sh -c '...')`,
    };
  }
  if (words.length === 0) return { problem: "must name a program" };
  if (/^[A-Za-z_][A-Za-z0-9_]*=/.test(words[0]))
    return { problem: `must start with the program, not ${words[0]} (set variables in app.env)` };
  return words;
}
