/**
 * `npm run bench -- --transitions`: each config edit of tools/bench/transitions.ts applied to
 * staging in the local cloud under load, then production's droplet.count 2 → 3, each side by side
 * with a no-edit baseline of the same length run right after it (same stack, same wrk): the
 * transition's duration, its steps, failed requests and p99 against the baseline's. Written to
 * bench/transition-results.json. Root, and about 40 minutes.
 */
import { mkdirSync, writeFileSync } from "node:fs";
import * as path from "node:path";
import { localDown } from "../localcloud/localDown";
import { readState } from "../localcloud/localState";
import { unpredicted } from "../localcloud/localTransition";
import { LoadFigures, socketErrorText, visitorLoad } from "../localcloud/visitorLoad";
import { CLI, PROJECT_DIR, TSX } from "../shared/projectPaths";
import { runAsync } from "../shared/runCommand";
import { benchMachine } from "./benchReport";
import {
  STAGING_EDITS,
  STAGING_HOST,
  stagingHostAfter,
  transitionUnderLoad,
  writeEditedStack,
  writeEditedStaging,
} from "./transitions";

type Out = { note(line: string): void; result(line: string): void };

const STACK = "bench-edit";
const PRODUCTION = "production";
const URL = `https://${STAGING_HOST}/health`;

const failed = (l: LoadFigures) =>
  l.non2xx +
  l.socketErrors.connect +
  l.socketErrors.read +
  l.socketErrors.write +
  l.socketErrors.timeout;

const figures = (l: LoadFigures) => ({
  requests: l.requests,
  seconds: Number(l.seconds.toFixed(1)),
  failed: failed(l),
  non2xx: l.non2xx,
  socketErrors: l.socketErrors,
  p99Ms: l.p99Ms,
});

/** One edit applied under load, then a no-edit baseline of the same length: its row. */
async function measure(
  stack: string,
  name: string,
  configFile: string,
  urls: { during: string; after: string },
  followsDns: boolean | undefined,
  out: Out,
) {
  const run = await transitionUnderLoad(stack, configFile, { url: urls.during, followsDns });
  if (run.status !== 0) throw new Error(`${name}: local up failed:\n${run.stderr}`);
  const transition = readState(stack)!.lastTransition!;
  out.note(`  then the baseline: no edit, ${run.load.seconds.toFixed(0)} s`);
  const seconds = Math.max(1, Math.round(run.load.seconds));
  const baseline = await visitorLoad(stack, urls.after, seconds, 20);
  const row = {
    edit: name,
    load: followsDns ? "wrk anew every 5 s (a client following DNS)" : "one wrk",
    steps: transition.taken.length,
    asPredicted: Object.values(unpredicted(transition)).every((steps) => steps.length === 0),
    transitionSeconds: Number(transition.seconds.toFixed(1)),
    underLoad: figures(run.load),
    baseline: figures(baseline),
    p99OverBaseline:
      run.load.p99Ms && baseline.p99Ms
        ? Number((run.load.p99Ms / baseline.p99Ms).toFixed(2))
        : null,
  };
  // wrk counts a refused connection as no request at all: failures are shown beside answers.
  out.result(
    `${name}: ${row.steps} steps${row.asPredicted ? " as predicted" : " NOT as predicted"} in ${row.transitionSeconds} s; ${row.underLoad.requests} answered, ${run.load.non2xx} non-2xx, socket errors ${socketErrorText(run.load)} (baseline: ${row.baseline.requests} answered, ${row.baseline.failed} failed); p99 ${run.load.p99Ms} ms vs ${baseline.p99Ms} ms (${row.p99OverBaseline}×)`,
  );
  return row;
}

/** `local up` of the committed `base` stack's file as `stack`, after a `down` of it. */
async function upFresh(stack: string, base: string, out: Out) {
  await localDown(stack, out.note);
  out.note(`${stack}: up from the committed ${base} file`);
  const up = await runAsync(TSX, [
    CLI,
    "local",
    "up",
    "--stack",
    stack,
    "--config",
    writeEditedStack(base, stack, {}),
  ]);
  if (up.status !== 0) throw new Error(`local up of ${stack} failed:\n${up.stderr.slice(-3000)}`);
}

export async function runTransitionBench(out: Out): Promise<void> {
  const started = Date.now();
  const rows = [];
  try {
    await upFresh(STACK, "staging", out);
    for (const [i, edit] of STAGING_EDITS.entries()) {
      out.note(`${i + 1}/${STAGING_EDITS.length} ${edit.name}: local up under load`);
      const urls = { during: URL, after: `https://${stagingHostAfter(edit)}/health` };
      const config = writeEditedStaging(STACK, edit.edits);
      rows.push(await measure(STACK, edit.name, config, urls, edit.followsDns, out));
    }
    await localDown(STACK, out.note);
    // Production's rules follow the stack's name: it is brought up as itself.
    await upFresh(PRODUCTION, "production", out);
    out.note(`production droplet.count 2 → 3: local up under load`);
    const url = "https://api.example.com/health";
    const config = writeEditedStack("production", PRODUCTION, { "droplet.count": 3 });
    rows.push(
      await measure(
        PRODUCTION,
        "production droplet.count 2 → 3",
        config,
        { during: url, after: url },
        false,
        out,
      ),
    );
  } finally {
    await localDown(STACK, out.note);
    await localDown(PRODUCTION, out.note);
  }
  const results = {
    date: new Date().toISOString(),
    machine: benchMachine(),
    load: "wrk -t2 -c20 from the visitor's namespace, HTTPS through the stack's DNS",
    transitions: rows,
    benchSeconds: Math.round((Date.now() - started) / 1000),
  };
  mkdirSync(path.join(PROJECT_DIR, "bench"), { recursive: true });
  writeFileSync(
    path.join(PROJECT_DIR, "bench", "transition-results.json"),
    `${JSON.stringify(results, null, 2)}\n`,
  );
  out.result("wrote bench/transition-results.json");
}
