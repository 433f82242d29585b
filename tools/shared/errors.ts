/**
 * The errors a person can fix, as every command reports them: one line, never a stack trace.
 * Anything else is unexpected and reported as such (see tools/cli.ts).
 */

/** A mistake in how a command was called (an unknown option, a missing value): exit 2. */
export class UsageError extends Error {
  readonly name = "UsageError";
}

/** A mistake in what a command was given or found (a missing stack file, a busy port): exit 1. */
export class UserError extends Error {
  readonly name = "UserError";
}
