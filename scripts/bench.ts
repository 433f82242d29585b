/**
 * npm run bench: releases, proxy overhead, recovery and plan cost, measured side by side in one
 * run on loopback, printed as a table and written to bench/results.json (and the README's table).
 * Bounded: every load has a fixed length or stops with the work it measures.
 */
import { spawn, spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { loadDuring, loadFor, LoadResult } from "./lib/load";
import { nginxMainConf, readSandbox, Sandbox } from "./lib/sandbox";
import { liveColour, measureRecovery, request, runRelease } from "./lib/sandboxProcesses";
import { PROJECT_DIR, writeDerivedStackFile } from "./lib/stackFiles";
import { requireTools } from "./lib/systemTools";
import { colourPort } from "../templates";

const STACK = "bench";
const HOST = "api.bench.example.com";
const LOAD_SECONDS = 8;
/** The machine is noisy (±20% between runs): overhead is measured in interleaved rounds. */
const ROUNDS = 3;
const OVERHEAD_SECONDS = 5;
const tools = requireTools(["nginx", "nginx njs module", "supervisord", "supervisorctl"] as const, {
  install: true,
  log: console.log,
});
const TSX = path.join(PROJECT_DIR, "node_modules", ".bin", "tsx");
const log = (line: string) => console.log(line);
const scratch = mkdtempSync(path.join(os.tmpdir(), "dropstack-bench-"));

/** A stack derived from dev: its own host and ports, short drain and health gate. */
const stackFile = (droplet: Record<string, unknown> = {}) =>
  writeDerivedStackFile({
    stack: STACK,
    app: { port: 18080, release: "r1", drainSeconds: 2, healthTimeoutSeconds: 10 },
    droplet,
  });

function tsx(...args: string[]) {
  const run = spawnSync(TSX, args, { cwd: PROJECT_DIR, encoding: "utf8", timeout: 120000 });
  if (run.status !== 0) throw new Error(`${args.join(" ")} failed:\n${run.stdout}${run.stderr}`);
  return run;
}

const version = async (sandbox: Sandbox) =>
  JSON.parse((await request(sandbox, HOST, "/version")).body).release as string;

let releaseCounter = 1;
const nextRelease = () => `r${++releaseCounter}`;

/** From "switched" in the script's output to every new request answering with the new release. */
async function switchSeconds(sandbox: Sandbox, release: string) {
  let switchedAt = 0;
  const run = runRelease(sandbox, tools, {
    release,
    onLine: (line) => {
      if (line.includes("switched new requests")) switchedAt = Date.now();
    },
  });
  // The first answer from the new release after the switch, then 50 more that must all be new.
  let servedAt = 0;
  let stale = 0;
  const deadline = Date.now() + 30000;
  while (servedAt === 0 && Date.now() < deadline) {
    const answeredAt = Date.now();
    if ((await version(sandbox)) === release && switchedAt > 0) servedAt = answeredAt;
  }
  for (let i = 0; i < 50 && servedAt > 0; i++) if ((await version(sandbox)) !== release) stale++;
  const result = await run;
  if (result.code !== 0) throw new Error(`release ${release} failed:\n${result.output}`);
  return {
    switchSeconds: Math.max(0, servedAt - switchedAt) / 1000,
    releaseSeconds: result.seconds,
  };
}

/** A seed-style site: `proxy_pass` and nothing else, as people write it by hand. */
function startNaiveNginx(sandbox: Sandbox, port: number): () => void {
  const prefix = path.join(scratch, "naive-nginx");
  for (const sub of ["logs", "nginx-tmp"]) mkdirSync(path.join(prefix, sub), { recursive: true });
  const livePort = colourPort(sandbox.appPort, liveColour(sandbox));
  const site = `server {\n    listen 127.0.0.1:${port};\n    location / {\n        proxy_pass http://127.0.0.1:${livePort};\n    }\n}\n`;
  writeFileSync(path.join(prefix, "site.conf"), site);
  writeFileSync(
    path.join(prefix, "nginx.conf"),
    nginxMainConf(prefix, path.join(prefix, "site.conf")),
  );
  runChecked(tools.nginx, ["-p", prefix, "-c", path.join(prefix, "nginx.conf")]);
  return () =>
    runChecked(tools.nginx, ["-p", prefix, "-c", path.join(prefix, "nginx.conf"), "-s", "quit"]);
}

/** A command that must succeed; its stderr is the error. */
function runChecked(command: string, args: string[]) {
  const run = spawnSync(command, args, { encoding: "utf8" });
  if (run.status !== 0) throw new Error(`${command} ${args.join(" ")}: ${run.stderr}`);
}

/** A command run without blocking the event loop (which drives the load). */
function run(command: string, args: string[]): Promise<number> {
  return new Promise((resolve) =>
    spawn(command, args, { stdio: "ignore" }).on("close", (code) => resolve(code ?? 1)),
  );
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)];
}

function planSeconds(file: string, runs = 3): number {
  return median(
    Array.from({ length: runs }, () => {
      const started = Date.now();
      tsx("scripts/plan.ts", "--stack", STACK, "--config", file);
      return (Date.now() - started) / 1000;
    }),
  );
}

const loadSummary = (r: LoadResult) => ({
  requests: r.requests,
  failed: r.failed,
  non2xx: r.non2xx,
  errors: r.errors,
  timeouts: r.timeouts,
  seconds: Number(r.seconds.toFixed(1)),
  requestsPerSecond: Math.round(r.requestsPerSecond),
  p99Ms: r.p99Ms,
});

async function main() {
  const started = Date.now();
  const port = 18000;
  log(`bench: starting a sandbox for stack ${STACK} on 127.0.0.1:${port} ...`);
  tsx(
    "scripts/sandbox.ts",
    "start",
    "--stack",
    STACK,
    "--config",
    stackFile(),
    "--port",
    String(port),
    "--detach",
  );
  const sandbox = readSandbox(STACK)!;
  const url = `http://127.0.0.1:${port}/version`;
  const stopNaive: (() => void)[] = [];
  try {
    log("1/6 release under load: baseline, blue/green, naive restart (50 connections)");
    const baseline = await loadFor(LOAD_SECONDS, { url, host: HOST });
    const blueGreen = await loadDuring(
      () => runRelease(sandbox, tools, { release: nextRelease() }),
      { url, host: HOST },
    );
    if (blueGreen.work.code !== 0)
      throw new Error(`blue/green release failed:\n${blueGreen.work.output}`);
    // Asynchronous, so the load keeps running in this process while the program restarts.
    const naive = await loadDuring(
      () =>
        run(tools.supervisorctl, [
          "-c",
          sandbox.supervisorConf,
          "restart",
          `${sandbox.app}-${liveColour(sandbox)}`,
        ]),
      { url, host: HOST },
    );

    log("2/6 broken release under load (health check never passes)");
    const before = await version(sandbox);
    const broken = await loadDuring(
      () => runRelease(sandbox, tools, { release: "broken", extraEnv: { HEALTH_STATUS: "503" } }),
      { url, host: HOST },
    );
    const after = await version(sandbox);

    log(
      `3/6 proxy overhead: rendered site, direct, naive site; ${ROUNDS} interleaved rounds of ${OVERHEAD_SECONDS} s, median`,
    );
    const livePort = colourPort(sandbox.appPort, liveColour(sandbox));
    stopNaive.push(startNaiveNginx(sandbox, port + 1));
    const targets = {
      rendered: { url, host: HOST },
      direct: { url: `http://127.0.0.1:${livePort}/version` },
      naiveSite: { url: `http://127.0.0.1:${port + 1}/version` },
    };
    const rounds: Record<keyof typeof targets, LoadResult[]> = {
      rendered: [],
      direct: [],
      naiveSite: [],
    };
    for (let round = 0; round < ROUNDS; round++) {
      for (const [name, target] of Object.entries(targets) as [
        keyof typeof targets,
        { url: string },
      ][]) {
        rounds[name].push(await loadFor(OVERHEAD_SECONDS, target));
      }
    }
    const byRate = (results: LoadResult[]) =>
      [...results].sort((a, b) => a.requestsPerSecond - b.requestsPerSecond)[
        Math.floor(results.length / 2)
      ];
    const rendered = byRate(rounds.rendered);
    const direct = byRate(rounds.direct);
    const naiveSite = byRate(rounds.naiveSite);

    log("4/6 switch and rollback time");
    const previous = await version(sandbox);
    const release = await switchSeconds(sandbox, nextRelease());
    const rollback = await switchSeconds(sandbox, previous);

    log("5/6 recovery after kill -9 of the live API");
    const recoverySeconds = await measureRecovery(sandbox, tools, HOST, 15000);

    log("6/6 offline plan cost: production-like plan with droplet.count 1 and 20 (median of 3)");
    const plan1 = planSeconds(stackFile({ count: 1 }));
    const plan20 = planSeconds(stackFile({ count: 20 }));

    const results = {
      date: new Date().toISOString(),
      machine: {
        cores: os.cpus().length,
        memoryGiB: Math.round(os.totalmem() / 2 ** 30),
        node: process.version,
      },
      note: "loopback only; load generator, nginx and the API share the machine's cores; noisy shared machine",
      releaseUnderLoad: {
        baseline: loadSummary(baseline),
        blueGreen: loadSummary(blueGreen.load),
        naiveRestart: loadSummary(naive.load),
      },
      brokenRelease: {
        load: loadSummary(broken.load),
        releaseExitCode: broken.work.code,
        versionBefore: before,
        versionAfter: after,
      },
      proxyOverhead: {
        rendered: loadSummary(rendered),
        direct: loadSummary(direct),
        naiveSite: loadSummary(naiveSite),
        renderedOverNaive: Number(
          (rendered.requestsPerSecond / naiveSite.requestsPerSecond).toFixed(2),
        ),
        renderedOverDirect: Number(
          (rendered.requestsPerSecond / direct.requestsPerSecond).toFixed(2),
        ),
      },
      switchSeconds: release.switchSeconds,
      releaseSeconds: Number(release.releaseSeconds.toFixed(2)),
      rollbackSwitchSeconds: rollback.switchSeconds,
      rollbackSeconds: Number(rollback.releaseSeconds.toFixed(2)),
      recoverySeconds: recoverySeconds ?? null,
      planSeconds: { count1: plan1, count20: plan20, ratio: Number((plan20 / plan1).toFixed(2)) },
      benchSeconds: Math.round((Date.now() - started) / 1000),
    };
    mkdirSync(path.join(PROJECT_DIR, "bench"), { recursive: true });
    writeFileSync(
      path.join(PROJECT_DIR, "bench", "results.json"),
      `${JSON.stringify(results, null, 2)}\n`,
    );
    const table = renderTable(results);
    writeFileSync(path.join(PROJECT_DIR, "bench", "results.md"), table);
    updateReadme(table);
    log(`\n${table}`);
    log("wrote bench/results.json and bench/results.md (and the README's table)");
  } finally {
    for (const stop of stopNaive) stop();
    tsx("scripts/sandbox.ts", "stop", "--stack", STACK);
  }
}

type Results = {
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
  releaseSeconds: number;
  rollbackSwitchSeconds: number;
  rollbackSeconds: number;
  recoverySeconds: number | null;
  planSeconds: { count1: number; count20: number; ratio: number };
  benchSeconds: number;
};

function renderTable(r: Results): string {
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
    `| recovery after \`kill -9\` of the live API | ${r.recoverySeconds ?? "did not recover"} s | ≤ 2 s: ${goal((r.recoverySeconds ?? 99) <= 2)} |`,
    `| offline plan, droplet.count 1 vs 20 | ${r.planSeconds.count1} s vs ${r.planSeconds.count20} s (${r.planSeconds.ratio}×) | |`,
    "",
    `The whole bench took ${r.benchSeconds} s.`,
    "",
  ].join("\n");
}

function updateReadme(table: string) {
  const file = path.join(PROJECT_DIR, "README.md");
  const readme = readFileSync(file, "utf8");
  const start = "<!-- bench:start -->";
  const end = "<!-- bench:end -->";
  if (!readme.includes(start) || !readme.includes(end)) return;
  const before = readme.slice(0, readme.indexOf(start) + start.length);
  const after = readme.slice(readme.indexOf(end));
  writeFileSync(file, `${before}\n${table}${after}`);
}

main().then(
  () => process.exit(0),
  (error: unknown) => {
    console.error(`bench: ${(error as Error).message}`);
    process.exit(1);
  },
);
