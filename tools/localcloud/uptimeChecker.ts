/**
 * DigitalOcean's uptime checks, locally: a checker in the visitor's namespace (so it sees the
 * stack from the internet, through DNS, the balancer or reserved IP, and the firewall) that asks
 * every enabled check's target with curl every PROBE_SECONDS and appends what it saw to a log.
 * `status` reads the log: each check's last result and latency, and whether each of its alerts
 * (down, latency) would fire over its period. Certificate-expiry alerts are listed, not evaluated.
 */
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import * as path from "node:path";
import { Daemon, startDaemon, stopDaemon } from "../shared/daemons";
import { names, stackDir } from "./localPaths";

/** How often the local checker probes (DigitalOcean probes from several regions about as often). */
export const PROBE_SECONDS = 10;

export interface UptimeCheckSpec {
  readonly id: string;
  readonly name: string;
  readonly target: string;
}

export interface UptimeAlertSpec {
  /** The alert's own id (what deletes it). */
  readonly id?: string;
  readonly checkId: string;
  readonly name: string;
  readonly type: string;
  /** `"2m"`: how long the condition must hold. */
  readonly period: string;
  readonly threshold?: number;
}

const dir = (stack: string) => path.join(stackDir(stack), "uptime");
const resultsFile = (stack: string) => path.join(dir(stack), "probes.log");

const daemon = (stack: string, index: number): Daemon => ({
  what: `the uptime checker of ${stack}`,
  command: "ip",
  args: ["netns", "exec", names(index).visitor, "/bin/sh", path.join(dir(stack), "checker.sh")],
  pidFile: path.join(dir(stack), "checker.pid"),
  logFile: path.join(dir(stack), "checker.log"),
});

/** The checker: one curl per check per round, a line per probe (`epoch id status seconds`). Pure. */
export function renderChecker(checks: readonly UptimeCheckSpec[], results: string): string {
  return [
    "#!/bin/sh",
    "# dropstack local cloud: DigitalOcean's uptime checks, from the visitor's machine.",
    "while :; do",
    ...checks.map(
      (c) =>
        `  r=$(curl -s -o /dev/null -m 10 -w '%{http_code} %{time_total}' '${c.target.replace(/'/g, "")}') ; echo "$(date +%s) ${c.id} $r" >> '${results}'`,
    ),
    `  sleep ${PROBE_SECONDS}`,
    "done",
    "",
  ].join("\n");
}

/** (Re)starts the checker on every enabled check of the stack. */
export async function serveUptimeChecks(
  stack: string,
  index: number,
  checks: readonly UptimeCheckSpec[],
): Promise<void> {
  mkdirSync(dir(stack), { recursive: true });
  writeFileSync(path.join(dir(stack), "checker.sh"), renderChecker(checks, resultsFile(stack)));
  const checker = daemon(stack, index);
  await stopDaemon(checker.pidFile);
  if (checks.length > 0) startDaemon(checker);
}

export async function stopUptimeChecks(stack: string, index: number): Promise<boolean> {
  const stopped = await stopDaemon(daemon(stack, index).pidFile);
  rmSync(dir(stack), { recursive: true, force: true });
  return stopped;
}

export interface UptimeReport {
  readonly check: string;
  readonly target: string;
  readonly probes: number;
  /** The last probe: up (2xx or 3xx) or down, its HTTP status (0: no answer) and latency. */
  readonly last: { up: boolean; status: number; latencyMs: number } | null;
  readonly alerts: { name: string; type: string; firing: boolean | null }[];
}

const periodSeconds = (period: string) => {
  const match = /^(\d+)(m|h)$/.exec(period);
  return match ? Number(match[1]) * (match[2] === "h" ? 3600 : 60) : 120;
};

/** What the probes say of each check and its alerts, now. Pure over the log's text. */
export function uptimeReport(
  log: string,
  checks: readonly UptimeCheckSpec[],
  alerts: readonly UptimeAlertSpec[],
  now = Date.now() / 1000,
): UptimeReport[] {
  const probes = log
    .split("\n")
    .map((line) => line.trim().split(/\s+/))
    .filter((f) => f.length === 4)
    .map(([at, id, status, seconds]) => ({
      at: Number(at),
      id,
      status: Number(status),
      latencyMs: Math.round(Number(seconds) * 1000),
    }));
  return checks.map((check) => {
    const own = probes.filter((p) => p.id === check.id);
    const up = (status: number) => status >= 200 && status < 400;
    const last = own.at(-1);
    return {
      check: check.name,
      target: check.target,
      probes: own.length,
      last: last ? { up: up(last.status), status: last.status, latencyMs: last.latencyMs } : null,
      alerts: alerts
        .filter((a) => a.checkId === check.id)
        .map((a) => {
          const window = own.filter((p) => p.at >= now - periodSeconds(a.period));
          if (a.type === "ssl_expiry" || window.length === 0)
            return { name: a.name, type: a.type, firing: null };
          const firing =
            a.type === "down"
              ? window.every((p) => !up(p.status))
              : window.every((p) => p.latencyMs > (a.threshold ?? Infinity));
          return { name: a.name, type: a.type, firing };
        }),
    };
  });
}

export const readProbes = (stack: string) =>
  existsSync(resultsFile(stack)) ? readFileSync(resultsFile(stack), "utf8") : "";
