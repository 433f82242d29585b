/** The bench's table of figures, as printed, saved to bench/results.md and put in the README. */
import { readFileSync, writeFileSync } from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { PROJECT_DIR } from "../shared/projectPaths";
import type { LoadResult } from "./loadGenerator";

/** The machine a bench ran on, recorded with its figures. */
export const benchMachine = () => ({
  cores: os.cpus().length,
  memoryGiB: Math.round(os.totalmem() / 2 ** 30),
  node: process.version,
});

/** What one load run contributes to the results. */
export const loadSummary = (r: LoadResult) => ({
  requests: r.requests,
  failed: r.failed,
  non2xx: r.non2xx,
  errors: r.errors,
  timeouts: r.timeouts,
  seconds: Number(r.seconds.toFixed(1)),
  requestsPerSecond: Math.round(r.requestsPerSecond),
  p99Ms: r.p99Ms,
});

export type Results = {
  date: string;
  machine: { cores: number };
  releaseUnderLoad: Record<
    "baseline" | "blueGreen" | "naiveRestart",
    ReturnType<typeof loadSummary>
  >;
  brokenRelease: {
    load: ReturnType<typeof loadSummary>;
    versionBefore: string;
    versionAfter: string;
    releaseExitCode: number;
  };
  proxyOverhead: Record<"rendered" | "direct" | "naiveSite", ReturnType<typeof loadSummary>> & {
    renderedOverNaive: number;
    renderedOverDirect: number;
  };
  switchSeconds: number;
  /** Old-release answers among the 50 requests after each switch (release and rollback). */
  staleAfterSwitch?: number;
  releaseSeconds: number;
  rollbackSwitchSeconds: number;
  rollbackSeconds: number;
  recoverySeconds: number | null;
  planSeconds: { count1: number; count20: number; ratio: number };
  benchSeconds: number;
};

export function renderTable(r: Results): string {
  const failed = (l: ReturnType<typeof loadSummary>) =>
    `${l.failed} of ${l.requests.toLocaleString("en")}`;
  const rps = (l: ReturnType<typeof loadSummary>) =>
    `${l.requestsPerSecond.toLocaleString("en")} req/s, p99 ${l.p99Ms} ms`;
  const goal = (ok: boolean) => (ok ? "met" : "**not met**");
  const { releaseUnderLoad: u, brokenRelease: b, proxyOverhead: p } = r;
  return [
    `Measured ${r.date.slice(0, 10)} on ${r.machine.cores} cores (a noisy shared machine; ratios from one run).`,
    "",
    "| measurement | result | goal |",
    "|---|---|---|",
    `| no release (baseline, ${u.baseline.seconds} s) | ${failed(u.baseline)} failed | 0 |`,
    `| blue/green release under load (${u.blueGreen.seconds} s) | ${failed(u.blueGreen)} failed | 0 of ≥ 20,000: ${goal(u.blueGreen.failed === 0 && u.blueGreen.requests >= 20000)} |`,
    `| naive \`supervisorctl restart\` under load (${u.naiveRestart.seconds} s) | ${failed(u.naiveRestart)} failed | (for comparison) |`,
    `| broken release under load (${b.load.seconds} s) | ${failed(b.load)} failed, exit ${b.releaseExitCode}, /version ${b.versionBefore} → ${b.versionAfter} | 0 failed, old release kept: ${goal(b.load.failed === 0 && b.versionBefore === b.versionAfter && b.releaseExitCode !== 0)} |`,
    `| through the rendered site (median round) | ${rps(p.rendered)} | |`,
    `| straight to the API (median round) | ${rps(p.direct)} | |`,
    `| naive site, \`proxy_pass\` only (median round) | ${rps(p.naiveSite)} | |`,
    `| rendered ÷ naive | ${p.renderedOverNaive}× | ≥ 2.3×: ${goal(p.renderedOverNaive >= 2.3)} |`,
    `| rendered ÷ direct | ${p.renderedOverDirect}× | ≥ 0.6×: ${goal(p.renderedOverDirect >= 0.6)} |`,
    `| switch: healthy → all new requests on the new release | ${r.switchSeconds} s (whole release ${r.releaseSeconds} s, incl. drain) | |`,
    `| rollback switch | ${r.rollbackSwitchSeconds} s (whole rollback ${r.rollbackSeconds} s, incl. drain) | seconds |`,
    `| old-release answers after a switch (50 requests each, release and rollback) | ${r.staleAfterSwitch ?? "not measured"} | 0 |`,
    `| recovery after \`kill -9\` of the live API | ${r.recoverySeconds ?? "did not recover"} s | ≤ 2 s: ${goal((r.recoverySeconds ?? 99) <= 2)} |`,
    `| offline plan, droplet.count 1 vs 20 | ${r.planSeconds.count1} s vs ${r.planSeconds.count20} s (${r.planSeconds.ratio}×) | |`,
    "",
    `The whole bench took ${r.benchSeconds} s.`,
    "",
  ].join("\n");
}

export function updateReadme(table: string) {
  const file = path.join(PROJECT_DIR, "README.md");
  const readme = readFileSync(file, "utf8");
  const start = "<!-- bench:start -->";
  const end = "<!-- bench:end -->";
  if (!readme.includes(start) || !readme.includes(end)) return;
  const before = readme.slice(0, readme.indexOf(start) + start.length);
  const after = readme.slice(readme.indexOf(end));
  writeFileSync(file, `${before}\n${table}${after}`);
}
