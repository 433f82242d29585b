/**
 * Turns schema issues into the lines users see: `dropstack:<path>: <what is wrong>, got <value>`.
 * Secret values are masked; unknown keys get the closest valid key suggested.
 */
import { closest } from "fastest-levenshtein";
import type { z } from "zod";

export const NAMESPACE = "dropstack";
/** How a secret value looks wherever dropstack prints or writes it. */
export const SECRET_MASK = "[secret]";

/** A config problem; `lines` holds one line per problem, ready to print. */
export class ConfigError extends Error {
  constructor(readonly lines: string[]) {
    super(`invalid dropstack config:\n${lines.join("\n")}`);
    this.name = "ConfigError";
  }
}

type Path = readonly PropertyKey[];

const PLAIN_KEY = /^[A-Za-z0-9_@-]+$/;

/** JSON text with the two line separators it leaves as they are escaped too. */
const oneLine = (json: string) => json.replace(/\u2028/g, "\\u2028").replace(/\u2029/g, "\\u2029");

/**
 * `["hosts", 1]` → `hosts[1]`; `["app", "port"]` → `app.port`. A key that is not plain (a user's
 * map key with spaces or a newline) is quoted, `app.env["a b"]`, so a line stays one line.
 */
export function formatPath(path: Path): string {
  return path
    .map((part, i) => {
      if (typeof part === "number") return `[${part}]`;
      const key = String(part);
      if (!PLAIN_KEY.test(key)) return `[${oneLine(JSON.stringify(key))}]`;
      return i === 0 ? key : `.${key}`;
    })
    .join("");
}

export function valueAt(root: unknown, path: Path): unknown {
  let value = root;
  for (const part of path) {
    if (value === null || typeof value !== "object") return undefined;
    value = (value as Record<PropertyKey, unknown>)[part];
  }
  return value;
}

const MAX_SHOWN = 80;
function show(value: unknown, secret: boolean): string {
  if (value === undefined) return "nothing";
  if (secret) return SECRET_MASK;
  // JSON leaves U+2028 and U+2029 as they are, and they break a line in many terminals.
  const text = oneLine(JSON.stringify(value) ?? String(value));
  return text.length > MAX_SHOWN ? `${text.slice(0, MAX_SHOWN - 3)}...` : text;
}

/** The valid keys of an object schema at `path`, for "did you mean" hints. */
export type KeysAt = (path: Path) => string[];

export interface FormatOptions {
  raw: unknown;
  isSecret: (path: string) => boolean;
  keysAt: KeysAt;
}

export function errorLine(path: Path, message: string, value: unknown, secret: boolean): string {
  return `${NAMESPACE}:${formatPath(path)}: ${message}, got ${show(value, secret)}`;
}

/** One line per issue, in the order the schema reported them. */
export function formatIssues(
  issues: readonly z.core.$ZodIssue[],
  options: FormatOptions,
): string[] {
  const lines: string[] = [];
  for (const issue of issues) {
    if (issue.code === "unrecognized_keys") {
      for (const key of issue.keys) lines.push(unknownKeyLine([...issue.path, key], options));
      continue;
    }
    const value = valueAt(options.raw, issue.path);
    // A missing value gets "is required" unless a rule explained why it is required.
    const message = value === undefined && issue.code !== "custom" ? "is required" : issue.message;
    lines.push(errorLine(issue.path, message, value, options.isSecret(formatPath(issue.path))));
  }
  return lines;
}

export function unknownKeyLine(path: Path, options: FormatOptions): string {
  const parent = path.slice(0, -1);
  const valid = options.keysAt(parent);
  const hint =
    valid.length > 0
      ? ` (did you mean ${formatPath([...parent, closest(String(path[path.length - 1]), valid)])}?)`
      : "";
  const value = valueAt(options.raw, path);
  return errorLine(path, `unknown key${hint}`, value, options.isSecret(formatPath(path)));
}
