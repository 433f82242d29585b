/**
 * local.Command as pulumi-command runs it (v1.2.1, provider/pkg/provider/local/commandController.go
 * and commandOutputs.go): `/bin/sh -c <script>` where `pulumi up` runs, which here is the
 * operator's namespace (the stack's internet, trusting pebble's root as a laptop trusts Let's
 * Encrypt's), with the resource's environment added to the engine's own, and on an update or a
 * delete the last stdout and stderr as PULUMI_COMMAND_STDOUT and PULUMI_COMMAND_STDERR. No script
 * for a step: nothing runs, and an update keeps the last outputs.
 */
import { RESOURCE_TYPES as T } from "../../components/resourceTypes";
import { runAsync } from "../shared/runCommand";
import type { Created, Deleter, StandIn, Updater } from "./localMocks";
import { names } from "./localPaths";
import type { StandInContext } from "./standInContext";

type Outputs = { stdout?: unknown; stderr?: unknown };

export function localCommandStandIns(context: StandInContext): {
  create: Record<string, StandIn>;
  update: Record<string, Updater>;
  delete: Record<string, Deleter>;
} {
  const run = async (
    script: unknown,
    inputs: Record<string, unknown>,
    name: string,
    last: Outputs = {},
  ): Promise<Created> => {
    if (script === undefined) {
      return { id: name, outputs: { stdout: last.stdout ?? "", stderr: last.stderr ?? "" } };
    }
    context.note(`  ${name} where pulumi up runs (the operator's machine)`);
    const previous = Object.fromEntries(
      (["stdout", "stderr"] as const)
        .filter((key) => typeof last[key] === "string" && last[key] !== "")
        .map((key) => [`PULUMI_COMMAND_${key.toUpperCase()}`, String(last[key])]),
    );
    const env = {
      ...process.env,
      ...(inputs.environment as Record<string, string> | undefined),
      ...previous,
    };
    const result = await runAsync(
      "ip",
      ["netns", "exec", names(context.state.index).operator, "/bin/sh", "-c", String(script)],
      {
        env,
        input: inputs.stdin === undefined ? undefined : String(inputs.stdin),
        // Its progress (a wait, a drain) shows as it comes, as the engine streams it.
        onLine: (line) => context.note(`    ${line}`),
      },
    );
    if (result.status !== 0) {
      throw new Error(
        `${name} exited ${result.status} where pulumi up runs:\n${result.stderr.slice(-3000)}`,
      );
    }
    // pulumi-command keeps stdout and stderr without their final newline.
    const trim = (text: string) => text.replace(/\n$/, "");
    return { id: name, outputs: { stdout: trim(result.stdout), stderr: trim(result.stderr) } };
  };
  return {
    create: { [T.localCommand]: (inputs, resource) => run(inputs.create, inputs, resource.name) },
    update: {
      [T.localCommand]: (inputs, resource, previous) =>
        run(inputs.update ?? inputs.create, inputs, resource.name, previous.outputs),
    },
    delete: {
      [T.localCommand]: async (previous) => {
        await run(previous.inputs.delete, previous.inputs, previous.name, previous.outputs);
      },
    },
  };
}
