/**
 * The review backend on Pulumi's Automation API (LocalWorkspace over this project): works with
 * any state backend the Pulumi CLI is logged in to. Needs the Pulumi CLI on PATH.
 */
import { spawnSync } from "node:child_process";
import { existsSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { LocalWorkspace, Stack } from "@pulumi/pulumi/automation";
import { ConfigValues, ReviewBackend } from "./review";
import { PROJECT_DIR, stackFilePath } from "./stackFiles";

export class MissingPulumiCliError extends Error {}

/** Fails with one line when the Pulumi CLI is not installed. */
export function assertPulumiCli(): void {
  const version = spawnSync("pulumi", ["version"], { encoding: "utf8" });
  if (version.error || version.status !== 0) {
    throw new MissingPulumiCliError(
      "the Pulumi CLI is not installed (or not on PATH): see https://www.pulumi.com/docs/install/",
    );
  }
}

export async function localReviewBackend(): Promise<ReviewBackend> {
  assertPulumiCli();
  const workspace = await LocalWorkspace.create({ workDir: PROJECT_DIR });
  const select = (stack: string) => Stack.select(stack, workspace);
  return {
    listStacks: async () => (await workspace.listStacks()).map((s) => s.name),
    getConfig: (stack) => workspace.getAllConfig(stack) as Promise<ConfigValues>,
    up: async (stack, config, onOutput) => {
      // The derived config is written for this run only: the stack file keeps just what the user
      // put there (the overrides), so the next run derives again from the current base.
      const file = stackFilePath(stack);
      const original = existsSync(file) ? readFileSync(file, "utf8") : undefined;
      const target = await Stack.createOrSelect(stack, workspace);
      try {
        await target.setAllConfig(config);
        const result = await target.up({ onOutput });
        return Object.fromEntries(Object.entries(result.outputs).map(([k, v]) => [k, v.value]));
      } finally {
        if (original === undefined) rmSync(file, { force: true });
        else writeFileSync(file, original);
      }
    },
    destroyAndRemove: async (stack, onOutput) => {
      await (await select(stack)).destroy({ onOutput });
      await workspace.removeStack(stack);
    },
    outputs: async (stack) =>
      Object.fromEntries(
        Object.entries(await (await select(stack)).outputs()).map(([k, v]) => [k, v.value]),
      ),
  };
}
