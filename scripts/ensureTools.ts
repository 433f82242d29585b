/**
 * Before the tests: installs nginx, supervisor and cloud-init with apt-get where this process may
 * (root, apt present), saying so. Elsewhere it prints the install command and carries on, and the
 * tests that need a missing tool fail with that same command.
 */
import { MissingToolError, TOOLS, ToolName, requireTools } from "./lib/systemTools";

try {
  requireTools(Object.keys(TOOLS) as ToolName[], {
    install: true,
    log: (line) => console.log(line),
  });
} catch (error) {
  if (!(error instanceof MissingToolError)) throw error;
  console.error(`warning: ${error.message}`);
}
