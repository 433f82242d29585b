/**
 * npm run bench: releases, proxy overhead, recovery and plan cost, measured side by side in one
 * run on loopback, printed as a table and written to bench/results.json (and the README's table).
 * Bounded: every load has a fixed length or stops with the work it measures.
 */
import { spawn, spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { colourPort } from "../../templates";
import { writeDerivedStackFile } from "../plan/stackFiles";
import { readSandbox, Sandbox } from "../sandbox/sandbox";
import { nginxMainConf } from "../sandbox/sandboxConfigs";
import { measureRecovery } from "../sandbox/sandboxProcesses";
import { liveColour, runRelease } from "../sandbox/sandboxRelease";
import { request } from "../sandbox/sandboxRequests";
import { CLI, PROJECT_DIR, TSX } from "../shared/projectPaths";
import { requireTools } from "../shared/systemTools";
import { benchMachine, loadSummary, renderTable, updateReadme } from "./benchReport";
import { loadDuring, loadFor, LoadResult } from "./loadGenerator";

const STACK = "bench";
const HOST = "api.bench.example.com";
const LOAD_SECONDS = 8;
/** The machine is noisy (±20% between runs): overhead is measured in interleaved rounds. */
const ROUNDS = 3;
const OVERHEAD_SECONDS = 5;
const benchTools = (log: (line: string) => void) =>
  requireTools(["nginx", "nginx njs module", "supervisord", "supervisorctl"] as const, {
    install: true,
    log,
  });
type BenchTools = ReturnType<typeof benchTools>;

/** A stack derived from dev: its own host and ports, short drain and health gate. */
const stackFile = (droplet: Record<string, unknown> = {}) =>
  writeDerivedStackFile({
    stack: STACK,
    app: { port: 18080, release: "r1", drainSeconds: 2, healthTimeoutSeconds: 10 },
    droplet,
  });

/** A dropstack command (tools/cli.ts), as `npm run` runs it. */
function cli(...args: string[]) {
  const run = spawnSync(TSX, [CLI, ...args], {
    cwd: PROJECT_DIR,
    encoding: "utf8",
    timeout: 120000,
  });
  if (run.status !== 0) throw new Error(`${args.join(" ")} failed:\n${run.stdout}${run.stderr}`);
  return run;
}

const version = async (sandbox: Sandbox) =>
  JSON.parse((await request(sandbox, HOST, "/version")).body).release as string;

let releaseCounter = 1;
const nextRelease = () => `r${++releaseCounter}`;

/** From "switched" in the script's output to every new request answering with the new release. */
async function switchSeconds(sandbox: Sandbox, tools: BenchTools, release: string) {
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
    /** Of the 50 requests after the first new answer, those the old release still answered. */
    staleAfterSwitch: stale,
  };
}

/** A seed-style site: `proxy_pass` and nothing else, as people write it by hand. */
function startNaiveNginx(
  sandbox: Sandbox,
  tools: BenchTools,
  scratch: string,
  port: number,
): () => void {
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
      cli("plan", "--stack", STACK, "--config", file);
      return (Date.now() - started) / 1000;
    }),
  );
}

/**
 * Runs every measurement against a sandbox of its own, writes bench/results.json, results.md and
 * the README's table, and stops the sandbox again whatever happens.
 */
export async function runBench(out: { note(line: string): void; result(line: string): void }) {
  const log = out.note;
  const tools = benchTools(log);
  const scratch = mkdtempSync(path.join(os.tmpdir(), "dropstack-bench-"));
  const started = Date.now();
  const port = 18000;
  log(`bench: starting a sandbox for stack ${STACK} on 127.0.0.1:${port} ...`);
  cli("start", "--stack", STACK, "--config", stackFile(), "--port", String(port), "--detach");
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
    stopNaive.push(startNaiveNginx(sandbox, tools, scratch, port + 1));
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
    const release = await switchSeconds(sandbox, tools, nextRelease());
    const rollback = await switchSeconds(sandbox, tools, previous);

    log("5/6 recovery after kill -9 of the live API");
    const recoverySeconds = await measureRecovery(sandbox, tools, HOST, 15000);

    log("6/6 offline plan cost: production-like plan with droplet.count 1 and 20 (median of 3)");
    const plan1 = planSeconds(stackFile({ count: 1 }));
    const plan20 = planSeconds(stackFile({ count: 20 }));

    const results = {
      date: new Date().toISOString(),
      machine: benchMachine(),
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
      staleAfterSwitch: release.staleAfterSwitch + rollback.staleAfterSwitch,
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
    out.result(table);
    log("wrote bench/results.json and bench/results.md (and the README's table)");
  } finally {
    for (const stop of stopNaive) stop();
    cli("stop", "--stack", STACK);
  }
}
