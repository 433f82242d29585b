/** Where the project is on this machine, and how its tools run their own commands. */
import * as path from "node:path";

/** The Pulumi project's name (`name:` in Pulumi.yaml), the namespace of its config keys. */
export const PROJECT = "dropstack";
/** The checkout's root: where Pulumi.yaml, index.ts and node_modules are. */
export const PROJECT_DIR = path.resolve(__dirname, "..", "..");
/** The project's own tsx, which runs TypeScript entry points as `npm run` does. */
export const TSX = path.join(PROJECT_DIR, "node_modules", ".bin", "tsx");
/** The one CLI entry point every npm script runs. */
export const CLI = path.join(PROJECT_DIR, "tools", "cli.ts");
