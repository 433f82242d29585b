/**
 * remote.Command over SSH from the operator's namespace, as pulumi-command runs it: `create` when
 * it is created, `update` (or, without one, `create` again) when an input other than `triggers`
 * changes, `delete` when it is deleted or after its replacement is created. In pulumi-command
 * (provider/pkg/provider/remote/commandController.go, commandOutputs.go @1355b24) every script
 * runs with the resource's connection, environment and stdin: `delete` with the old one's.
 */
import * as path from "node:path";
import { cloudInitLogTail, dropletExec, dropletMachine, dropletRunning } from "./dropletMachine";
import type { Created } from "./localMocks";
import { names, stackDir } from "./localPaths";
import { runRemote } from "./remoteCommand";
import type { StandInContext } from "./standInContext";

/** `"20m"`, `"90s"`, `"1h"` → milliseconds. */
export function parseTimeout(text: string | undefined): number | undefined {
  const match = /^(\d+)(s|m|h)$/.exec(text ?? "");
  if (!match) return undefined;
  return Number(match[1]) * { s: 1000, m: 60000, h: 3600000 }[match[2] as "s" | "m" | "h"];
}

export type CommandRunner = (
  script: unknown,
  inputs: Record<string, unknown>,
  name: string,
  timeout?: string,
) => Promise<Created>;

/** Runs one of a Command's scripts (`script`) with the Command's connection and environment. */
export function commandRunner(context: StandInContext): CommandRunner {
  const { state } = context;
  const dropletFor = (host: string) =>
    state.droplets.find((d) => d.address === host) ??
    state.droplets.find((d) =>
      state.reservedIps.some((ip) => ip.address === host && ip.dropletId === d.id),
    );
  return async (script, inputs, name, timeout) => {
    // No script for the step: pulumi-command neither dials nor runs anything.
    if (script === undefined) return { id: name, outputs: { stdout: "", stderr: "" } };
    const started = Date.now();
    const connection = inputs.connection as { host: string; user?: string };
    const droplet = dropletFor(connection.host);
    const bootstrap = name.endsWith("-bootstrap");
    context.note(`  ${name} on ${droplet?.name ?? connection.host}`);
    const machine =
      droplet && dropletMachine(state.stack, droplet.name, droplet.machine, droplet.netns);
    try {
      const result = await runRemote(
        inputs.connection as never,
        {
          command: String(script),
          stdin: inputs.stdin === undefined ? undefined : String(inputs.stdin),
          environment: inputs.environment as Record<string, string> | undefined,
          timeoutMs: parseTimeout(timeout),
        },
        {
          netns: names(state.index).operator,
          keyDir: path.join(stackDir(state.stack), "keys", "steps"),
          name,
          // The local cloud knows when a droplet cannot come up: no use dialing on.
          stillWorthDialing: () => {
            if (!machine) return undefined;
            if (!dropletRunning(machine))
              return `droplet ${machine.name} is not running (console: ${path.join(machine.dir, "console.log")})`;
            const status = dropletExec(machine, ["cloud-init", "status"]).stdout ?? "";
            return /status: error/.test(status)
              ? `the bootstrap of droplet ${machine.name} failed before the deploy user could log in: cloud-init reports error; /var/log/cloud-init-output.log ends:\n${cloudInitLogTail(machine)}`
              : undefined;
          },
        },
      );
      context.phase(bootstrap ? "boot and cloud-init (bootstrap step)" : "remote steps", started);
      return { id: name, outputs: { stdout: result.stdout, stderr: result.stderr } };
    } catch (error) {
      if (bootstrap && machine && !(error as Error).message.includes("cloud-init-output.log")) {
        throw new Error(
          `${(error as Error).message}\ndroplet ${machine.name}: /var/log/cloud-init-output.log ends:\n${cloudInitLogTail(machine)}`,
        );
      }
      throw error;
    }
  };
}
