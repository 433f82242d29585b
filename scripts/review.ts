/**
 * npm run review -- up|destroy|list|reap [--pr <N>] [--from staging] [--ttl 3d]
 *
 * Review environments per pull request on any Pulumi backend: `up` derives review-pr-<N>'s config
 * from a base stack and runs `pulumi up` with streamed output; `destroy` destroys and removes it;
 * `list` shows review stacks and their expiry; `reap` destroys every one past its expiry.
 */
import { parseArgs } from "node:util";
import { REVIEW_BASE_STACK } from "../config";
import { parseTtlDays, reviewDestroy, reviewList, reviewReap, reviewUp } from "./lib/review";
import { MissingPulumiCliError, localReviewBackend } from "./lib/reviewWorkspace";

const USAGE =
  "usage: npm run review -- up|destroy|list|reap [--pr <N>] [--from staging] [--ttl 3d]";

async function main(): Promise<void> {
  const { values, positionals } = parseArgs({
    allowPositionals: true,
    options: {
      pr: { type: "string" },
      from: { type: "string", default: REVIEW_BASE_STACK },
      ttl: { type: "string", default: "3d" },
    },
  });
  const command = positionals[0];
  const pr = () => {
    const n = Number(values.pr);
    if (!Number.isInteger(n) || n < 1)
      throw new Error(
        `--pr <N> is required for ${command}, got ${values.pr ?? "nothing"}\n${USAGE}`,
      );
    return n;
  };
  if (!["up", "destroy", "list", "reap"].includes(command)) throw new Error(USAGE);
  const ttlDays = parseTtlDays(values.ttl);
  const number = command === "up" || command === "destroy" ? pr() : 0;
  const backend = await localReviewBackend();
  const context = { log: (line: string) => console.log(line), now: new Date() };
  if (command === "up")
    await reviewUp(backend, { ...context, pr: number, from: values.from, ttlDays });
  if (command === "destroy") await reviewDestroy(backend, { ...context, pr: number });
  if (command === "reap") await reviewReap(backend, context);
  if (command === "list") {
    const rows = await reviewList(backend, context);
    if (rows.length === 0) console.log("no review stacks");
    for (const row of rows) {
      const expires = row.expires ? row.expires.toISOString().slice(0, 10) : "unknown";
      console.log(`${row.stack.padEnd(16)} expires ${expires}${row.expired ? "  (expired)" : ""}`);
    }
  }
}

main().then(
  () => process.exit(0),
  (error: unknown) => {
    const message = (error as Error).message ?? String(error);
    console.error(
      error instanceof MissingPulumiCliError
        ? `review: ${message}`
        : `review: ${message.split("\n").slice(0, 20).join("\n")}`,
    );
    process.exit(1);
  },
);
