/** Running this machine's programs: one call that fails with the command and its stderr. */
import { spawn, spawnSync, SpawnSyncOptions } from "node:child_process";

export class CommandFailed extends Error {
  constructor(
    readonly command: string,
    readonly status: number | null,
    readonly stderr: string,
  ) {
    super(
      `${command} failed (exit ${status ?? "signal"}): ${stderr.trim().split("\n").slice(-8).join("\n")}`,
    );
  }
}

/** Runs `command args` to the end and returns its stdout; a non-zero exit throws CommandFailed. */
export function runOrThrow(
  command: string,
  args: readonly string[],
  options: Omit<SpawnSyncOptions, "encoding"> = {},
): string {
  const run = spawnSync(command, args, { maxBuffer: 64 * 2 ** 20, ...options, encoding: "utf8" });
  if (run.error) throw new CommandFailed(`${command} ${args.join(" ")}`, null, run.error.message);
  if (run.status !== 0) {
    throw new CommandFailed(
      `${command} ${args.join(" ")}`,
      run.status,
      `${run.stderr}${run.stdout}`,
    );
  }
  return run.stdout;
}

/** The same, without blocking the event loop: for long steps that run side by side. */
export function runAsync(
  command: string,
  args: readonly string[],
  options: {
    input?: string;
    env?: NodeJS.ProcessEnv;
    timeoutMs?: number;
    /** Each line the command writes on stderr (its progress), as it comes. */
    onLine?: (line: string) => void;
  } = {},
): Promise<{ status: number; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { env: options.env, stdio: ["pipe", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    const timer =
      options.timeoutMs === undefined
        ? undefined
        : setTimeout(() => child.kill("SIGKILL"), options.timeoutMs);
    const lines = (chunk: string) => {
      for (const line of chunk.split("\n").filter(Boolean)) options.onLine?.(line);
    };
    child.stdout.on("data", (chunk: Buffer) => {
      stdout += chunk.toString("utf8");
    });
    // Commands report progress on stderr; stdout is their result.
    child.stderr.on("data", (chunk: Buffer) => {
      stderr += chunk.toString("utf8");
      lines(chunk.toString("utf8"));
    });
    child.on("error", reject);
    child.on("close", (code, signal) => {
      if (timer) clearTimeout(timer);
      resolve({ status: code ?? (signal ? 128 : 1), stdout, stderr });
    });
    // A command may exit without reading all its stdin (an SSH session whose command fails early):
    // the pipe's EPIPE is that, not an error of ours; its exit status says what happened.
    child.stdin.on("error", () => undefined);
    child.stdin.end(options.input ?? "");
  });
}

/** Whether a process with this pid runs (and is ours to signal). */
export function isAlive(pid: number | undefined): boolean {
  // kill(0) would signal our own process group and always succeed.
  if (pid === undefined || pid <= 0) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}
