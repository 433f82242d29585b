/** `npm run review`: review environments per pull request, on Pulumi's Automation API. */
import { REVIEW_BASE_STACK } from "../../config";
import {
  parsePullRequest,
  parseTtlDays,
  reviewDestroy,
  reviewList,
  reviewListLines,
  reviewReap,
  reviewUp,
} from "../review/reviewStacks";
import { withDeployAccess } from "../deployaccess/deployAccess";
import { DigitalOceanFirewalls } from "../deployaccess/digitalOceanFirewalls";
import { localReviewBackend } from "../review/reviewWorkspace";
import { defineCommand } from "./command";

export const reviewCommand = defineCommand({
  name: "review",
  summary:
    "Create, update, destroy, list or reap review-pr-<N> stacks (needs the Pulumi CLI, logged in).",
  usage:
    "npm run review -- up|destroy|list|reap [--pr <N>] [--from staging] [--ttl 3d] [--ssh-from <ip>]",
  positionals: { name: "subcommand", choices: ["up", "destroy", "list", "reap"] },
  options: {
    pr: { type: "string", value: "<N>", help: "the pull request (up and destroy)" },
    from: {
      type: "string",
      default: REVIEW_BASE_STACK,
      value: "<stack>",
      help: `the base stack the config is derived from (default ${REVIEW_BASE_STACK})`,
    },
    "ssh-from": {
      type: "string",
      value: "<ip>",
      help: "destroy, reap: deploy from this address through the deploy's way in (npm run deploy-access), as from CI",
    },
    ttl: {
      type: "string",
      default: "3d",
      value: "<3d|72h>",
      help: "how long the review stack lives before reap destroys it (default 3d)",
    },
  },
  async run({ values, positionals: [subcommand], out }) {
    const ttlDays = parseTtlDays(values.ttl);
    const pr = ["up", "destroy"].includes(subcommand) ? parsePullRequest(values.pr, subcommand) : 0;
    const backend = await localReviewBackend();
    const from = values["ssh-from"];
    const context = {
      log: out.note,
      now: new Date(),
      reaching:
        from === undefined
          ? undefined
          : (stack: string, destroy: () => Promise<void>) =>
              withDeployAccess(
                DigitalOceanFirewalls.fromEnvironment(),
                stack,
                from,
                out.note,
                destroy,
              ),
    };
    if (subcommand === "up") {
      const urls = await reviewUp(backend, { ...context, pr, from: values.from, ttlDays });
      for (const url of urls) out.result(url);
    }
    if (subcommand === "destroy") await reviewDestroy(backend, { ...context, pr });
    if (subcommand === "reap") await reviewReap(backend, context);
    if (subcommand === "list") {
      for (const line of reviewListLines(await reviewList(backend, context))) out.result(line);
    }
  },
});
