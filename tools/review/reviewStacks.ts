/**
 * Review environments per pull request, on any Pulumi backend: the logic of `npm run review`,
 * written against a small backend interface so it is tested with a recording fake; the real one
 * (reviewWorkspace.ts) is Pulumi's Automation API.
 */
import { expiryOf, reviewPullRequest, reviewStackName } from "../../config";
import * as path from "node:path";
import { UsageError, UserError } from "../shared/errors";
import { reviewStackConfig } from "../plan/stackFiles";

/** A stack's config as the Automation API reads and writes it. */
export type ConfigValues = Record<string, { value: string; secret?: boolean }>;

export interface ReviewBackend {
  listStacks(): Promise<string[]>;
  /** The config of an existing stack (the base of a review stack). */
  getConfig(stack: string): Promise<ConfigValues>;
  /** Creates or selects the stack, gives it this config and runs `up`; returns its outputs. */
  up(
    stack: string,
    config: ConfigValues,
    onOutput: (text: string) => void,
  ): Promise<Record<string, unknown>>;
  /** Destroys the stack's resources, then removes the stack. */
  destroyAndRemove(stack: string, onOutput: (text: string) => void): Promise<void>;
  /** The stack's outputs from its last update. */
  outputs(stack: string): Promise<Record<string, unknown>>;
}

export interface ReviewOptions {
  readonly log: (line: string) => void;
  readonly now: Date;
  /**
   * Runs a destroy of `stack` inside it: the deploy's way in from a machine outside the stack's
   * firewall.sshSourceAddresses (certbot's delete runs over SSH before the droplet goes).
   */
  readonly reaching?: (stack: string, destroy: () => Promise<void>) => Promise<void>;
}

/** `3d`, `72h` or a bare number of days. */
export function parseTtlDays(text: string): number {
  const match = /^(\d+)([dh]?)$/.exec(text.trim());
  if (!match || Number(match[1]) === 0)
    throw new UsageError(`--ttl must look like 3d or 72h, got ${text}`);
  return match[2] === "h" ? Number(match[1]) / 24 : Number(match[1]);
}

/** Creates or updates `review-pr-<N>` from its base stack and brings it up; returns its URLs. */
export async function reviewUp(
  backend: ReviewBackend,
  args: ReviewOptions & { pr: number; from: string; ttlDays?: number },
): Promise<string[]> {
  const stack = reviewStackName(args.pr);
  const base = await backend.getConfig(args.from);
  const plain = Object.fromEntries(Object.entries(base).map(([key, v]) => [key, v.value]));
  const review = reviewStackConfig(args.pr, plain, { now: args.now, ttlDays: args.ttlDays });
  // A placeholder sent as a value would become the stack's real config.
  if (review.ownPlaceholders) {
    throw new UserError(
      `${path.basename(review.ownFile!)} holds secure values that cannot be decrypted here: give its passphrase as PULUMI_CONFIG_PASSPHRASE, or set them on the base stack`,
    );
  }
  const config: ConfigValues = Object.fromEntries(
    Object.entries(review.config).map(([key, value]) => [
      key,
      { value, secret: (base[key]?.secret ?? false) || review.ownSecretKeys.includes(key) },
    ]),
  );
  args.log(`${stack}: ${review.derivedFrom(args.from)}; running up ...`);
  const outputs = await backend.up(stack, config, (text) => args.log(text.trimEnd()));
  const urls = Array.isArray(outputs.urls) ? outputs.urls.map(String) : [];
  args.log(`${stack} is up: ${urls.join(" ")}`);
  return urls;
}

export async function reviewDestroy(
  backend: ReviewBackend,
  args: ReviewOptions & { pr: number },
): Promise<void> {
  const stack = reviewStackName(args.pr);
  if (!(await backend.listStacks()).includes(stack)) {
    args.log(`${stack} does not exist: nothing to destroy`);
    return;
  }
  args.log(`${stack}: destroying its resources and removing the stack ...`);
  const destroy = () => backend.destroyAndRemove(stack, (text) => args.log(text.trimEnd()));
  await (args.reaching ? args.reaching(stack, destroy) : destroy());
  args.log(`${stack} is gone`);
}

export interface ReviewStackRow {
  readonly stack: string;
  readonly pr: number;
  /** From the stack's `tags` output; undefined if it was never brought up. */
  readonly expires?: Date;
  readonly expired: boolean;
}

export async function reviewList(
  backend: ReviewBackend,
  args: { now: Date },
): Promise<ReviewStackRow[]> {
  const rows: ReviewStackRow[] = [];
  for (const stack of await backend.listStacks()) {
    const pr = reviewPullRequest(stack);
    if (pr === undefined) continue;
    const tags = (await backend.outputs(stack)).tags;
    const expires = expiryOf(Array.isArray(tags) ? tags.map(String) : []);
    rows.push({
      stack,
      pr,
      expires,
      expired: expires !== undefined && expires.getTime() <= args.now.getTime(),
    });
  }
  return rows.sort((a, b) => a.pr - b.pr);
}

/**
 * Destroys and removes every review stack past its expiry; one that fails does not stop the rest.
 * Returns the names reaped; throws at the end if any failed.
 */
export async function reviewReap(backend: ReviewBackend, args: ReviewOptions): Promise<string[]> {
  const expired = (await reviewList(backend, args)).filter((row) => row.expired);
  const reaped: string[] = [];
  const failed: string[] = [];
  for (const row of expired) {
    try {
      await reviewDestroy(backend, { ...args, pr: row.pr });
      reaped.push(row.stack);
    } catch (error) {
      failed.push(row.stack);
      args.log(`${row.stack}: could not be reaped: ${(error as Error).message.split("\n")[0]}`);
    }
  }
  args.log(`reaped ${reaped.length} expired review stack(s)`);
  if (failed.length > 0) throw new Error(`could not reap ${failed.join(", ")}`);
  return reaped;
}

/** `review list` as lines: each review stack and its expiry. */
export function reviewListLines(rows: readonly ReviewStackRow[]): string[] {
  if (rows.length === 0) return ["no review stacks"];
  return rows.map((row) => {
    const expires = row.expires ? row.expires.toISOString().slice(0, 10) : "unknown";
    return `${row.stack.padEnd(16)} expires ${expires}${row.expired ? "  (expired)" : ""}`;
  });
}

/** `--pr <N>`: a pull request number, or a usage error naming the subcommand that needs it. */
export function parsePullRequest(text: string | undefined, subcommand: string): number {
  const pr = Number(text);
  if (!Number.isInteger(pr) || pr < 1) {
    throw new UsageError(`--pr <N> is required for ${subcommand}, got ${text ?? "nothing"}`);
  }
  return pr;
}
