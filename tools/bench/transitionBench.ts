/**
 * `npm run bench -- --transitions`: each config edit of tools/bench/transitions.ts applied to
 * staging in the local cloud under load, side by side with a no-edit baseline of the same length
 * run right after it (same stack, same wrk): the transition's duration, its steps, failed requests
 * and p99 against the baseline's. Written to bench/transition-results.json. Root, and some minutes.
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
  writeEditedStaging,
} from "./transitions";

type Out = { note(line: string): void; result(line: string): void };

const STACK = "bench-edit";
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

export async function runTransitionBench(out: Out): Promise<void> {
  const started = Date.now();
  await localDown(STACK, out.note);
  const rows = [];
  try {
    out.note(`${STACK}: up from the committed staging file`);
    const up = await runAsync(TSX, [
      CLI,
      "local",
      "up",
      "--stack",
      STACK,
      "--config",
      writeEditedStaging(STACK, {}),
    ]);
    if (up.status !== 0) throw new Error(`local up of ${STACK} failed:\n${up.stderr.slice(-3000)}`);
    for (const [i, edit] of STAGING_EDITS.entries()) {
      out.note(`${i + 1}/${STAGING_EDITS.length} ${edit.name}: local up under load`);
      const run = await transitionUnderLoad(STACK, writeEditedStaging(STACK, edit.edits), {
        url: URL,
        followsDns: edit.followsDns,
      });
      if (run.status !== 0) throw new Error(`${edit.name}: local up failed:\n${run.stderr}`);
      const transition = readState(STACK)!.lastTransition!;
      out.note(`  then the baseline: no edit, ${run.load.seconds.toFixed(0)} s`);
      const seconds = Math.max(1, Math.round(run.load.seconds));
      const baseline = await visitorLoad(
        STACK,
        `https://${stagingHostAfter(edit)}/health`,
        seconds,
        20,
      );
      rows.push({
        edit: edit.name,
        load: edit.followsDns ? "wrk anew every 5 s (a client following DNS)" : "one wrk",
        steps: transition.taken.length,
        asPredicted: Object.values(unpredicted(transition)).every((steps) => steps.length === 0),
        transitionSeconds: Number(transition.seconds.toFixed(1)),
        underLoad: figures(run.load),
        baseline: figures(baseline),
        p99OverBaseline:
          run.load.p99Ms && baseline.p99Ms
            ? Number((run.load.p99Ms / baseline.p99Ms).toFixed(2))
            : null,
      });
      const row = rows[rows.length - 1];
      // wrk counts a refused connection as no request at all: failures are shown beside answers.
      out.result(
        `${edit.name}: ${row.steps} steps${row.asPredicted ? " as predicted" : " NOT as predicted"} in ${row.transitionSeconds} s; ${row.underLoad.requests} answered, ${run.load.non2xx} non-2xx, socket errors ${socketErrorText(run.load)} (baseline: ${row.baseline.requests} answered, ${row.baseline.failed} failed); p99 ${run.load.p99Ms} ms vs ${baseline.p99Ms} ms (${row.p99OverBaseline}×)`,
      );
    }
  } finally {
    await localDown(STACK, out.note);
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
