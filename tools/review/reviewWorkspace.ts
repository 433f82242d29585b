/**
 * The review backend on Pulumi's Automation API (LocalWorkspace over this project): works with
 * any state backend the Pulumi CLI is logged in to. Needs the Pulumi CLI on PATH.
 */
import { spawnSync } from "node:child_process";
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import * as path from "node:path";
import { LocalWorkspace, Stack } from "@pulumi/pulumi/automation";
import { parse, stringify } from "yaml";
import { decodeConfigValue } from "../../config";
import { UserError } from "../shared/errors";
import { PROJECT_DIR } from "../shared/projectPaths";
import { stackFilePath } from "../plan/stackFiles";
import { ConfigValues, ReviewBackend } from "./reviewStacks";

/**
 * `pulumi config --json` form: lists and objects also as `objectValue`, so keys that Pulumi.yaml
 * declares as arrays (hosts) are stored as arrays, not as JSON text.
 */
export function configJson(config: ConfigValues): string {
  const entries = Object.entries(config).map(([key, { value, secret }]) => {
    const parsed = decodeConfigValue(value);
    const structured = typeof parsed === "object" && parsed !== null;
    return [
      key,
      { value, secret: secret ?? false, ...(structured ? { objectValue: parsed } : {}) },
    ];
  });
  return JSON.stringify(Object.fromEntries(entries));
}

/** Puts back the stack file's own config (the overrides), keeping what Pulumi added (its salt). */
function restoreConfig(file: string, original: string | undefined): void {
  if (!existsSync(file)) return;
  const current = (parse(readFileSync(file, "utf8")) ?? {}) as Record<string, unknown>;
  const originalConfig = original === undefined ? undefined : (parse(original) ?? {}).config;
  if (originalConfig === undefined) delete current.config;
  else current.config = originalConfig;
  writeFileSync(file, stringify(current));
}

export class MissingPulumiCliError extends UserError {}

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
      // put there (the overrides) and what Pulumi keeps there (its encryption salt), so the next
      // run derives again from the current base.
      const file = stackFilePath(stack);
      const original = existsSync(file) ? readFileSync(file, "utf8") : undefined;
      const target = await Stack.createOrSelect(stack, workspace);
      try {
        await workspace.setAllConfigJson(stack, configJson(config));
        const result = await target.up({
          onOutput,
          policyPacks: [path.join(PROJECT_DIR, "policy")],
        });
        return Object.fromEntries(Object.entries(result.outputs).map(([k, v]) => [k, v.value]));
      } finally {
        restoreConfig(file, original);
      }
    },
    destroyAndRemove: async (stack, onOutput) => {
      await (await select(stack)).destroy({ onOutput });
      // A committed Pulumi.review-pr-<N>.yaml (the overrides) stays.
      await workspace.removeStack(stack, { preserveConfig: true });
    },
    outputs: async (stack) =>
      Object.fromEntries(
        Object.entries(await (await select(stack)).outputs()).map(([k, v]) => [k, v.value]),
      ),
  };
}
