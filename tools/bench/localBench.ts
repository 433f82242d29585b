/**
 * `npm run bench -- --local`: the local cloud, timed side by side in one run: the base image built
 * cold, then `up` of the dev stack (warm caches) to the first 200 through DNS, each phase, a wrk
 * load from the visitor's namespace, and the same stack with droplet.count 3 behind the load
 * balancer (HAProxy): up to its first 200 through DNS (a droplet gets traffic once three health
 * checks, ten seconds apart, pass) and the same wrk load through the balancer.
 * Written to bench/local-results.json.
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
import { names } from "../localcloud/localPaths";
import { readState } from "../localcloud/localState";

type Out = { note(line: string): void; result(line: string): void };

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

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
    const run = await runAsync("ip", [
      "netns",
      "exec",
      netns,
      "curl",
      "-s",
      "-o",
      "/dev/null",
      "-w",
      "%{http_code}",
      "-m",
      "2",
      url,
    ]);
    if (run.stdout.trim() === "200") return (Date.now() - since) / 1000;
    await sleep(200);
  }
  return null;
}

/** wrk from the visitor's namespace: requests per second, p99 latency and errors. */
async function wrk(stack: string, url: string, seconds: number) {
  const netns = names(readState(stack)!.index).visitor;
  const run = await runAsync("ip", [
    "netns",
    "exec",
    netns,
    "wrk",
    "-t2",
    "-c50",
    `-d${seconds}s`,
    "--latency",
    url,
  ]);
  const rps = Number(/Requests\/sec:\s+([\d.]+)/.exec(run.stdout)?.[1] ?? NaN);
  const p99 = /99%\s+([\d.]+)(us|ms|s)/.exec(run.stdout);
  const p99Ms = p99
    ? Number(p99[1]) * { us: 0.001, ms: 1, s: 1000 }[p99[2] as "us" | "ms" | "s"]
    : null;
  const errors = /Non-2xx or 3xx responses: (\d+)/.exec(run.stdout)?.[1] ?? "0";
  const socketErrors = /Socket errors: (.*)/.exec(run.stdout)?.[1] ?? "none";
  return { requestsPerSecond: Math.round(rps), p99Ms, non2xx: Number(errors), socketErrors };
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

export async function runLocalBench(out: Out): Promise<void> {
  const benchStarted = Date.now();
  const stacks = ["bench-local", "bench-local-3"];
  for (const stack of stacks) await localDown(stack, out.note);
  out.note("1/3 base image, cold (the apt proxy's cache is as it is)");
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

  out.note("2/3 dev stack: up to the first 200 through DNS, phases, wrk from the visitor");
  const dev = await timedUp(stacks[0], stackFilePath("dev"), out);
  const url = `${dev.status.urls[0].replace(/\/$/, "")}/version`;
  const firstOkSeconds = await firstOk(stacks[0], url, dev.started);
  const load = await wrk(stacks[0], url, 8);
  await localDown(stacks[0], out.note);

  out.note("3/3 the same stack with droplet.count 3 (the balancer skipped)");
  const three = await timedUp(
    stacks[1],
    writeDerivedStackFile({ stack: stacks[1], droplet: { count: 3 } }),
    out,
  );
  const threeUrl = `${three.status.urls[0].replace(/\/$/, "")}/version`;
  const threeFirstOk = await firstOk(stacks[1], threeUrl, three.started, 180000);
  const threeLoad = await wrk(stacks[1], threeUrl, 8);
  await localDown(stacks[1], out.note);

  const results = {
    date: new Date().toISOString(),
    machine: benchMachine(),
    baseImageColdSeconds: Number(baseImageSeconds.toFixed(1)),
    dev: {
      upSeconds: Number(dev.upSeconds.toFixed(1)),
      firstOkThroughDnsSeconds: firstOkSeconds === null ? null : Number(firstOkSeconds.toFixed(1)),
      phases: dev.status.phases,
      wrkFromVisitor: load,
    },
    count3: {
      upSeconds: Number(three.upSeconds.toFixed(1)),
      firstOkThroughDnsSeconds: threeFirstOk === null ? null : Number(threeFirstOk.toFixed(1)),
      note: "through the load balancer (HAProxy, HTTP): a droplet gets traffic once three health checks pass",
      wrkThroughBalancer: threeLoad,
      phases: three.status.phases,
      skipped: three.status.skipped.map((s) => `${s.type.split(":").pop()} ${s.name}`),
    },
    benchSeconds: Math.round((Date.now() - benchStarted) / 1000),
  };
  mkdirSync(path.join(PROJECT_DIR, "bench"), { recursive: true });
  writeFileSync(
    path.join(PROJECT_DIR, "bench", "local-results.json"),
    `${JSON.stringify(results, null, 2)}\n`,
  );
  const phases = (p: Record<string, number>) =>
    Object.entries(p)
      .map(([name, s]) => `${name} ${s} s`)
      .join(", ");
  for (const line of [
    `base image, cold: ${results.baseImageColdSeconds} s`,
    `dev: up ${results.dev.upSeconds} s, first 200 through DNS ${results.dev.firstOkThroughDnsSeconds} s after up began`,
    `  phases: ${phases(results.dev.phases)}`,
    `  wrk (2 threads, 50 connections, 8 s) from the visitor: ${load.requestsPerSecond} req/s, p99 ${load.p99Ms} ms, non-2xx ${load.non2xx}, socket errors ${load.socketErrors}`,
    `droplet.count 3: up ${results.count3.upSeconds} s, first 200 through DNS and the balancer ${results.count3.firstOkThroughDnsSeconds} s after up began`,
    `  wrk through the balancer (3 droplets): ${threeLoad.requestsPerSecond} req/s, p99 ${threeLoad.p99Ms} ms, non-2xx ${threeLoad.non2xx}, socket errors ${threeLoad.socketErrors}; one droplet through its reserved IP (above): ${load.requestsPerSecond} req/s`,
    `  phases: ${phases(results.count3.phases)}`,
    "wrote bench/local-results.json",
  ]) {
    out.result(line);
  }
}
