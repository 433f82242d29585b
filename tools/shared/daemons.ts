/**
 * Long-running programs the tools start (the local cloud's apt proxy, registry, build engine, a
 * stack's DNS server, a droplet's systemd-nspawn): started detached with a pid file and a log, so
 * they outlive `up`, and stopped by `down` with TERM, then KILL.
 */
import { spawn } from "node:child_process";
import { existsSync, mkdirSync, openSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import * as path from "node:path";
import { isAlive } from "./runCommand";
import { setTimeout as sleep } from "node:timers/promises";

export interface Daemon {
  /** For messages: "the apt proxy", "droplet dev-web-1". */
  readonly what: string;
  readonly command: string;
  readonly args: readonly string[];
  readonly pidFile: string;
  readonly logFile: string;
  readonly env?: NodeJS.ProcessEnv;
}

export function daemonPid(pidFile: string): number | undefined {
  if (!existsSync(pidFile)) return undefined;
  const pid = Number(readFileSync(pidFile, "utf8").trim());
  return isAlive(pid) ? pid : undefined;
}

/** Starts it unless its pid file names a live process; resolves to its pid. */
export function startDaemon(daemon: Daemon): number {
  const running = daemonPid(daemon.pidFile);
  if (running !== undefined) return running;
  mkdirSync(path.dirname(daemon.pidFile), { recursive: true });
  mkdirSync(path.dirname(daemon.logFile), { recursive: true });
  const log = openSync(daemon.logFile, "a");
  const child = spawn(daemon.command, daemon.args, {
    detached: true,
    stdio: ["ignore", log, log],
    env: daemon.env ?? process.env,
  });
  if (child.pid === undefined) throw new Error(`${daemon.what} did not start (${daemon.command})`);
  writeFileSync(daemon.pidFile, `${child.pid}\n`);
  child.unref();
  return child.pid;
}

/** Waits until `check` passes; fails naming the daemon and the end of its log. */
export async function waitReady(
  daemon: Pick<Daemon, "what" | "logFile" | "pidFile">,
  check: () => boolean | Promise<boolean>,
  timeoutMs = 30000,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await check()) return;
    if (daemonPid(daemon.pidFile) === undefined) break;
    await sleep(200);
  }
  const tail = existsSync(daemon.logFile)
    ? readFileSync(daemon.logFile, "utf8").trimEnd().split("\n").slice(-15).join("\n")
    : "(no log)";
  throw new Error(`${daemon.what} did not become ready (log ${daemon.logFile}):\n${tail}`);
}

/** TERM, then KILL after `graceMs`; removes the pid file. True when something was running. */
export async function stopDaemon(pidFile: string, graceMs = 10000): Promise<boolean> {
  const pid = daemonPid(pidFile);
  rmSync(pidFile, { force: true });
  if (pid === undefined) return false;
  process.kill(pid, "SIGTERM");
  const deadline = Date.now() + graceMs;
  while (isAlive(pid) && Date.now() < deadline) await sleep(100);
  if (isAlive(pid)) process.kill(pid, "SIGKILL");
  while (isAlive(pid)) await sleep(50);
  return true;
}
