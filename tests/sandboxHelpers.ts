/** Shared helpers for tests that run a real sandbox (and the plan CLI) as child processes. */
import { spawnSync } from "node:child_process";
import { readdirSync, statSync } from "node:fs";
import { createServer } from "node:net";
import * as path from "node:path";
import { readSandbox, Sandbox } from "../scripts/lib/sandbox";
import { writeDerivedStackFile } from "../scripts/lib/stackFiles";
import { requireTools } from "../scripts/lib/systemTools";

export const ROOT = path.resolve(__dirname, "..");
const TSX = path.join(ROOT, "node_modules", ".bin", "tsx");

/** The tools a sandbox runs; a missing one fails the test with the command that installs it. */
export const sandboxTools = () =>
  requireTools(["nginx", "nginx njs module", "supervisord", "supervisorctl"] as const);

/** A port nothing listens on right now. */
export async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return port;
}

/** Every file under `dir`, relative to it. */
export function filesUnder(dir: string): string[] {
  return readdirSync(dir).flatMap((entry) => {
    const full = path.join(dir, entry);
    return statSync(full).isDirectory()
      ? filesUnder(full).map((f) => path.join(entry, f))
      : [entry];
  });
}

/**
 * A `Pulumi.<stack>.yaml` derived from dev with one host `api.<stack>`, its own app settings and
 * short health gate and drain (the release logic is the same at any length).
 */
export function derivedStackFile(
  stack: string,
  app: Record<string, unknown>,
  extra: Record<string, unknown> = {},
): string {
  return writeDerivedStackFile({
    stack,
    app: { healthTimeoutSeconds: 8, drainSeconds: 1, ...app },
    extra,
  });
}

/** Runs a repo script with tsx, as `npm run` would. */
export function tsx(...args: string[]) {
  return spawnSync(TSX, args, { cwd: ROOT, encoding: "utf8", timeout: 120000 });
}

/** `npm start -- --detach` for a stack file; fails the test if it does not start. */
export function startDetached(
  stack: string,
  file: string,
  port: number,
): Sandbox & { stdout: string } {
  const started = tsx(
    "scripts/sandbox.ts",
    "start",
    "--stack",
    stack,
    "--config",
    file,
    "--port",
    String(port),
    "--detach",
  );
  if (started.status !== 0)
    throw new Error(`sandbox did not start:\n${started.stdout}${started.stderr}`);
  if (started.stderr !== "") throw new Error(`sandbox wrote to stderr:\n${started.stderr}`);
  return { ...readSandbox(stack)!, stdout: started.stdout };
}

export function stopDetached(stack: string): void {
  const stopped = tsx("scripts/sandbox.ts", "stop", "--stack", stack);
  if (stopped.status !== 0)
    throw new Error(`sandbox did not stop:\n${stopped.stdout}${stopped.stderr}`);
}
