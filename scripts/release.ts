/**
 * npm run release -- [--stack dev] --release <label> [--env NAME=value ...]
 *
 * Releases into a running sandbox with the stack's own rendered release script, as `pulumi up`
 * does on a droplet after `pulumi config set dropstack:app.release <label>`: blue/green, health
 * gated, old colour drained. Releasing the previous label again is the rollback.
 */
import { parseArgs } from "node:util";
import { readSandbox } from "./lib/sandbox";
import { isRunning, liveColour, runRelease } from "./lib/sandboxProcesses";
import { requireTools } from "./lib/systemTools";

async function main(): Promise<number> {
  const { values } = parseArgs({
    options: {
      stack: { type: "string", short: "s", default: "dev" },
      release: { type: "string", short: "r" },
      env: { type: "string", multiple: true, default: [] },
    },
  });
  if (!values.release) throw new Error("--release <label> is required (e.g. --release v2)");
  const extraEnv = Object.fromEntries(
    values.env.map((pair) => {
      const at = pair.indexOf("=");
      if (at < 1) throw new Error(`--env takes NAME=value, got ${pair}`);
      return [pair.slice(0, at), pair.slice(at + 1)];
    }),
  );
  const sandbox = readSandbox(values.stack);
  if (!sandbox || !isRunning(sandbox)) {
    throw new Error(
      `no sandbox is running for ${values.stack}: npm start -- --stack ${values.stack} --detach`,
    );
  }
  const tools = requireTools(["supervisorctl"] as const);
  const run = await runRelease(sandbox, tools, {
    release: values.release,
    extraEnv,
    onLine: (line) => console.log(line),
  });
  console.log(
    run.code === 0
      ? `released ${values.release} in ${run.seconds.toFixed(1)}s: live colour ${liveColour(sandbox)}`
      : `release of ${values.release} failed after ${run.seconds.toFixed(1)}s: live colour ${liveColour(sandbox)} still serves`,
  );
  return run.code === 0 ? 0 : 1;
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    console.error(`release: ${(error as Error).message}`);
    process.exit(1);
  },
);
