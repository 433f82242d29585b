/**
 * A steady load from a stack's visitor namespace ("the internet"): wrk, resolving through the
 * stack's DNS, for a fixed time or until stopped (wrk prints its figures on SIGINT). wrk does not
 * check certificates; the tests' curl probes do.
 */
import { spawn } from "node:child_process";
import { names } from "./localPaths";
import { readState } from "./localState";

export interface LoadFigures {
  readonly requests: number;
  readonly seconds: number;
  readonly requestsPerSecond: number;
  readonly p99Ms: number | null;
  /** Answers that were not 2xx or 3xx. */
  readonly non2xx: number;
  /** wrk's socket errors: a connection refused (connect), reset or closed mid-request (read, write), or a request that got no answer in 2 s (timeout). */
  readonly socketErrors: { connect: number; read: number; write: number; timeout: number };
}

const UNIT_MS = { us: 0.001, ms: 1, s: 1000 } as const;

/** wrk's report (run with --latency) as figures. Pure. */
export function parseWrk(stdout: string): LoadFigures {
  const number = (pattern: RegExp) => Number(pattern.exec(stdout)?.[1] ?? 0);
  const done = /(\d+) requests in ([\d.]+)(us|ms|s|m|h)/.exec(stdout);
  if (!done) throw new Error(`wrk printed no figures:\n${stdout.slice(-2000)}`);
  const p99 = /99%\s+([\d.]+)(us|ms|s)/.exec(stdout);
  const errors = /Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)/.exec(
    stdout,
  );
  const seconds = Number(done[2]) * { us: 1e-6, ms: 1e-3, s: 1, m: 60, h: 3600 }[done[3] as "s"];
  return {
    requests: Number(done[1]),
    seconds,
    requestsPerSecond: Math.round(number(/Requests\/sec:\s+([\d.]+)/)),
    p99Ms: p99 ? Number(p99[1]) * UNIT_MS[p99[2] as keyof typeof UNIT_MS] : null,
    non2xx: number(/Non-2xx or 3xx responses: (\d+)/),
    socketErrors: {
      connect: Number(errors?.[1] ?? 0),
      read: Number(errors?.[2] ?? 0),
      write: Number(errors?.[3] ?? 0),
      timeout: Number(errors?.[4] ?? 0),
    },
  };
}

/** `none`, or `read 3, timeout 1`. */
export function socketErrorText(figures: LoadFigures): string {
  const errors = Object.entries(figures.socketErrors).filter(([, n]) => n > 0);
  return errors.length === 0 ? "none" : errors.map(([kind, n]) => `${kind} ${n}`).join(", ");
}

/** Several wrk runs as one: their sums, the rate over their time, and the worst p99 of them. Pure. */
export function sumFigures(runs: readonly LoadFigures[]): LoadFigures {
  const sum = (pick: (f: LoadFigures) => number) => runs.reduce((a, f) => a + pick(f), 0);
  const requests = sum((f) => f.requests);
  const seconds = sum((f) => f.seconds);
  const p99s = runs.map((f) => f.p99Ms).filter((p): p is number => p !== null);
  return {
    requests,
    seconds,
    requestsPerSecond: seconds > 0 ? Math.round(requests / seconds) : 0,
    p99Ms: p99s.length > 0 ? Math.max(...p99s) : null,
    non2xx: sum((f) => f.non2xx),
    socketErrors: {
      connect: sum((f) => f.socketErrors.connect),
      read: sum((f) => f.socketErrors.read),
      write: sum((f) => f.socketErrors.write),
      timeout: sum((f) => f.socketErrors.timeout),
    },
  };
}

interface LoadOptions {
  connections?: number;
  seconds?: number;
  /**
   * A client that follows DNS: wrk resolves the name once, so it runs again every this many
   * seconds (fresh connections to whatever DNS names then), until stopped; the figures are summed.
   */
  resolveEverySeconds?: number;
}

type RunningLoad = { stop(): Promise<LoadFigures>; done: Promise<LoadFigures> };

/**
 * Starts wrk on `url` from the visitor of `stack`; `stop()` ends it and resolves to its figures.
 * With `resolveEverySeconds`, one wrk after another until stopped.
 */
export function startVisitorLoad(
  stack: string,
  url: string,
  options: LoadOptions = {},
): RunningLoad {
  const every = options.resolveEverySeconds;
  if (every === undefined) return startWrk(stack, url, options);
  const runs: LoadFigures[] = [];
  let current: RunningLoad | undefined;
  let stopped = false;
  const done = (async () => {
    while (!stopped) {
      current = startWrk(stack, url, { ...options, seconds: every });
      runs.push(await current.done);
    }
    return sumFigures(runs);
  })();
  done.catch(() => undefined);
  return {
    done,
    stop: () => {
      stopped = true;
      void current?.stop();
      return done;
    },
  };
}

function startWrk(stack: string, url: string, options: LoadOptions): RunningLoad {
  const netns = names(readState(stack)!.index).visitor;
  // `ip netns exec` execs wrk: the signal `stop()` sends reaches wrk itself.
  return runWrkCommand([
    "ip",
    "netns",
    "exec",
    netns,
    "wrk",
    "-t2",
    `-c${options.connections ?? 20}`,
    `-d${options.seconds ?? 3600}s`,
    "--timeout",
    "2s",
    "--latency",
    url,
  ]);
}

/** What a run stopped before it began measuring has to show: nothing, in no time. */
export const NO_FIGURES: LoadFigures = sumFigures([]);

/**
 * Runs a wrk command line; `stop()` sends SIGINT, on which wrk prints its figures. A SIGINT that
 * lands before wrk has taken it over (while `ip netns exec` still runs, or in wrk's start-up; a
 * client following DNS starts a wrk every few seconds, so a stop can fall there) kills it before
 * it measured anything: that run is NO_FIGURES. Any other end without figures is an error.
 */
export function runWrkCommand(command: readonly string[]): RunningLoad {
  const child = spawn(command[0], command.slice(1), { stdio: ["ignore", "pipe", "pipe"] });
  let stdout = "";
  let stderr = "";
  let stopping = false;
  child.stdout.on("data", (chunk: Buffer) => (stdout += chunk.toString("utf8")));
  child.stderr.on("data", (chunk: Buffer) => (stderr += chunk.toString("utf8")));
  const done = new Promise<LoadFigures>((resolve, reject) => {
    child.on("error", reject);
    child.on("close", (_code, signal) => {
      if (stopping && signal === "SIGINT" && stdout === "") return resolve(NO_FIGURES);
      try {
        resolve(parseWrk(stdout));
      } catch (error) {
        reject(new Error(`${(error as Error).message}\n${stderr}`));
      }
    });
  });
  // Whoever stops it hears how it ended; until then an early end is no unhandled rejection.
  done.catch(() => undefined);
  const stop = () => {
    stopping = true;
    child.kill("SIGINT");
    return done;
  };
  return { done, stop };
}

/** wrk for `seconds` from the visitor of `stack`. */
export const visitorLoad = (stack: string, url: string, seconds: number, connections = 50) =>
  startVisitorLoad(stack, url, { seconds, connections }).done;
