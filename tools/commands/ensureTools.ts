/**
 * `ensure-tools` (run by `npm test`): installs what the tests check against (nginx, supervisor,
 * cloud-init, shellcheck, openssl) with apt-get where this process may (root, apt present).
 * Elsewhere it warns with the install command and carries on: the unit tests need none of them,
 * and an integration test that needs a missing one fails with that same command.
 */
import { MissingToolError, TOOLS, ToolName, requireTools } from "../shared/systemTools";
import { defineCommand } from "./command";

export const ensureToolsCommand = defineCommand({
  name: "ensure-tools",
  summary: "Install the Debian packages the integration tests run (root), or say how.",
  usage: "node --import tsx tools/cli.ts ensure-tools",
  options: {},
  async run({ out }) {
    try {
      requireTools(Object.keys(TOOLS) as ToolName[], { install: true, log: out.note });
    } catch (error) {
      if (!(error instanceof MissingToolError)) throw error;
      out.note(`warning: ${error.message}`);
    }
  },
});
