/**
 * `npm run bench -- --local`: the local cloud, timed side by side in one run: the base image built
 * cold; then, with warm caches, `up` to the first 200 through DNS and each phase for the dev stack,
 * the dev stack with droplet.count 3 behind the balancer, staging (HTTPS from certbot on the
 * droplet) and production (HTTPS through the balancer); and wrk from the visitor's namespace
 * through one droplet's reserved IP and through the balancer with three. Written to
 * bench/local-results.json.
 */
import { existsSync, mkdirSync, renameSync, rmSync, writeFileSync } from "node:fs";
import * as path from "node:path";
import { writeDerivedStackFile } from "../plan/stackFiles";
import { stackFilePath } from "../plan/stackFiles";
import { hostDebianMirror, startAptProxy } from "../localcloud/aptProxy";
import { BASE_IMAGE_DIR, ensureBaseImage } from "../localcloud/baseImage";
import { ensureServicesAddress } from "../localcloud/hostNetwork";
import { localDown } from "../localcloud/localDown";
import type { LocalStatus } from "../localcloud/localStatus";
import { benchMachine } from "./benchReport";
import { runAsync } from "../shared/runCommand";
import { CLI, PROJECT_DIR, TSX } from "../shared/projectPaths";
import { curlProbe } from "../localcloud/clients";
import { names } from "../localcloud/localPaths";
import { readState } from "../localcloud/localState";
import { LoadFigures, socketErrorText, visitorLoad } from "../localcloud/visitorLoad";
import { setTimeout as sleep } from "node:timers/promises";

type Out = { note(line: string): void; result(line: string): void };

/** Seconds from `since` until `url` answers 200 from the stack's visitor namespace. */
async function firstOk(
  stack: string,
  url: string,
  since: number,
  timeoutMs = 120000,
): Promise<number | null> {
  const netns = names(readState(stack)!.index).visitor;
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const run = await runAsync("ip", ["netns", "exec", netns, ...curlProbe(url, undefined, 2)]);
    if (run.stdout.trim() === "200") return (Date.now() - since) / 1000;
    await sleep(200);
  }
  return null;
}

/** `local up --json` as a process of its own: a program is evaluated once per process. */
async function timedUp(stack: string, configFile: string, out: Out) {
  const started = Date.now();
  const run = await runAsync(
    TSX,
    [CLI, "local", "up", "--stack", stack, "--config", configFile, "--json"],
    {
      onLine: (line) => out.note(`    ${line}`),
    },
  );
  if (run.status !== 0) throw new Error(`local up of ${stack} failed:\n${run.stderr.slice(-3000)}`);
  const status = JSON.parse(run.stdout) as LocalStatus;
  return { status, upSeconds: (Date.now() - started) / 1000, started };
}

/** `up` of one stack, then its first 200 through DNS (and wrk, when asked), then `down`. */
async function measureStack(
  stack: string,
  configFile: string,
  out: Out,
  options: { load?: boolean } = {},
) {
  const run = await timedUp(stack, configFile, out);
  const url = `${run.status.urls[0].replace(/\/$/, "")}/version`;
  // Behind a balancer a droplet takes traffic once three health checks, 10 s apart, pass.
  const first = await firstOk(stack, url, run.started, 180000);
  const load = options.load ? await visitorLoad(stack, url, 8) : undefined;
  await localDown(stack, out.note);
  return {
    url,
    upSeconds: Number(run.upSeconds.toFixed(1)),
    firstOkThroughDnsSeconds: first === null ? null : Number(first.toFixed(1)),
    phases: run.status.phases,
    ...(load && { wrkFromVisitor: load }),
    skipped: run.status.skipped.map((s) => `${s.type.split(":").pop()} ${s.name}`),
  };
}

export async function runLocalBench(out: Out): Promise<void> {
  const benchStarted = Date.now();
  const stacks = ["bench-local", "bench-local-3", "bench-staging", "bench-production"];
  for (const stack of stacks) await localDown(stack, out.note);
  out.note("1/5 base image, cold (the apt proxy's cache is as it is)");
  ensureServicesAddress();
  await startAptProxy();
  const saved = `${BASE_IMAGE_DIR}.bench-saved`;
  if (existsSync(BASE_IMAGE_DIR)) renameSync(BASE_IMAGE_DIR, saved);
  const baseStarted = Date.now();
  try {
    ensureBaseImage(hostDebianMirror().replace(/\/$/, ""), out.note);
    rmSync(saved, { recursive: true, force: true });
  } catch (error) {
    if (existsSync(saved)) renameSync(saved, BASE_IMAGE_DIR);
    throw error;
  }
  const baseImageSeconds = (Date.now() - baseStarted) / 1000;
  out.note("2/5 dev: up to the first 200 through DNS and the reserved IP, wrk from the visitor");
  const dev = await measureStack(stacks[0], stackFilePath("dev"), out, { load: true });
  out.note("3/5 dev with droplet.count 3: through the balancer, wrk from the visitor");
  const threeFile = writeDerivedStackFile({ stack: stacks[1], droplet: { count: 3 } });
  const three = await measureStack(stacks[1], threeFile, out, { load: true });
  out.note("4/5 staging: up to the first HTTPS 200 (certbot on the droplet, pebble)");
  const staging = await measureStack(stacks[2], stackFilePath("staging"), out);
  out.note(
    "5/5 production: up to the first HTTPS 200 through the balancer (its certificate by DNS-01)",
  );
  const production = await measureStack(stacks[3], stackFilePath("production"), out);
  const results = {
    date: new Date().toISOString(),
    machine: benchMachine(),
    baseImageColdSeconds: Number(baseImageSeconds.toFixed(1)),
    dev,
    count3: three,
    staging,
    production,
    balancedOverDirect: Number(
      (three.wrkFromVisitor!.requestsPerSecond / dev.wrkFromVisitor!.requestsPerSecond).toFixed(2),
    ),
    benchSeconds: Math.round((Date.now() - benchStarted) / 1000),
  };
  mkdirSync(path.join(PROJECT_DIR, "bench"), { recursive: true });
  writeFileSync(
    path.join(PROJECT_DIR, "bench", "local-results.json"),
    `${JSON.stringify(results, null, 2)}\n`,
  );
  const phases = (p: Record<string, number>) =>
    Object.entries(p)
      .map(([name, seconds]) => `${name} ${seconds} s`)
      .join(", ");
  const loadLine = (l: LoadFigures) =>
    `${l.requestsPerSecond} req/s, p99 ${l.p99Ms} ms, non-2xx ${l.non2xx}, socket errors ${socketErrorText(l)}`;
  for (const line of [
    `base image, cold: ${results.baseImageColdSeconds} s`,
    ...(
      [
        ["dev", dev],
        ["dev, droplet.count 3 behind the balancer", three],
        ["staging (HTTPS, certbot)", staging],
        ["production (HTTPS through the balancer)", production],
      ] as const
    ).flatMap(([what, r]) => [
      `${what}: up ${r.upSeconds} s, first 200 through DNS ${r.firstOkThroughDnsSeconds} s after up began`,
      `  phases: ${phases(r.phases)}`,
    ]),
    `wrk (2 threads, 50 connections, 8 s) from the visitor, HTTP: one droplet through its reserved IP ${loadLine(dev.wrkFromVisitor!)}; three droplets through the balancer ${loadLine(three.wrkFromVisitor!)} (${results.balancedOverDirect}×)`,
    "wrote bench/local-results.json",
  ]) {
    out.result(line);
  }
}
