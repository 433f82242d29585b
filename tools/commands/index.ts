/** Every command of tools/cli.ts, in the order `--help` lists them. */
import { benchCommand } from "./bench";
import type { Command } from "./command";
import { costCommand } from "./cost";
import { deployAccessCommand } from "./deployAccess";
import { ensureToolsCommand } from "./ensureTools";
import { localCommand } from "./local";
import { planCommand } from "./plan";
import { policyCommand } from "./policy";
import { releaseCommand } from "./release";
import { reviewCommand } from "./review";
import { startCommand } from "./start";
import { stopCommand } from "./stop";

export const COMMANDS: readonly Command[] = [
  planCommand,
  startCommand,
  stopCommand,
  releaseCommand,
  localCommand,
  policyCommand,
  costCommand,
  reviewCommand,
  deployAccessCommand,
  benchCommand,
  ensureToolsCommand,
];
