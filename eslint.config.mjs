// ESLint for the whole repository (`npm run lint`): typescript-eslint, Pulumi's own rules for
// Outputs in template literals, and the layering the README's Layout section describes, enforced
// with import-x: no import cycles, and imports that point one way only:
//   tools → policy, cost → components → templates → config   (and index.ts → components, config)
// Nothing but the tests imports tools/; app/ (the sample API) imports nothing from the repo.
import js from "@eslint/js";
import pulumi from "@pulumi/eslint-plugin";
import { createTypeScriptImportResolver } from "eslint-import-resolver-typescript";
import importX from "eslint-plugin-import-x";
import globals from "globals";
import tseslint from "typescript-eslint";

/** `target` may not import anything under any of `from`. */
const zone = (target, from, message) => ({ target, from, message });
const TOOL_FOLDERS = [
  "plan",
  "sandbox",
  "localcloud",
  "review",
  "bench",
  "deployaccess",
  "commands",
].map((f) => `./tools/${f}`);

const layering = [
  zone(
    "./config",
    ["./templates", "./components", "./cost", "./policy", "./tools", "./index.ts"],
    "config/ is the bottom layer: it imports nothing of the program's",
  ),
  zone(
    "./templates",
    ["./components", "./cost", "./policy", "./tools", "./index.ts"],
    "templates/ may import config/ only",
  ),
  zone(
    "./components",
    ["./cost", "./policy", "./tools", "./index.ts"],
    "components/ may import templates/ and config/ only",
  ),
  zone(
    "./cost",
    ["./policy", "./tools", "./index.ts"],
    "cost/ imports no tool: give it an adapter in the tool (tools/plan/costInput.ts)",
  ),
  zone(
    "./policy",
    ["./cost", "./tools", "./index.ts"],
    "policy/ imports no tool: give it an adapter in the tool (tools/plan/policyInput.ts)",
  ),
  zone(
    "./index.ts",
    ["./tools", "./cost", "./policy", "./templates"],
    "index.ts only wires config to components",
  ),
  zone(
    [
      "./config",
      "./templates",
      "./components",
      "./cost",
      "./policy",
      "./tools",
      "./app",
      "./index.ts",
    ],
    ["./tests"],
    "only tests import tests/",
  ),
  zone(
    "./app",
    ["./config", "./templates", "./components", "./cost", "./policy", "./tools"],
    "the sample API depends on nothing else in the repo",
  ),
  // Inside tools/: shared helpers under everything, the plan under the tools that use it, the
  // commands (and cli.ts) on top.
  zone(
    "./tools/shared",
    [...TOOL_FOLDERS, "./tools/cli.ts"],
    "tools/shared is used by the tools and uses none of them",
  ),
  zone(
    "./tools/plan",
    ["./tools/sandbox", "./tools/review", "./tools/bench", "./tools/commands", "./tools/cli.ts"],
    "tools/plan is what the other tools build on",
  ),
  zone(
    ["./tools/sandbox", "./tools/review", "./tools/bench"],
    ["./tools/commands", "./tools/cli.ts"],
    "a tool's library does not import the commands that call it",
  ),
  zone(
    "./tools/sandbox",
    ["./tools/review", "./tools/bench"],
    "the sandbox uses no other tool but the plan",
  ),
  zone(
    "./tools/review",
    ["./tools/sandbox", "./tools/bench"],
    "review uses no other tool but the plan",
  ),
  zone(
    "./tools/deployaccess",
    [
      "./tools/plan",
      "./tools/sandbox",
      "./tools/localcloud",
      "./tools/review",
      "./tools/bench",
      "./tools/commands",
      "./tools/cli.ts",
    ],
    "the deploy's way in uses no other tool (the local cloud uses it)",
  ),
  zone(
    "./tools/commands",
    ["./tools/cli.ts"],
    "commands are registered by cli.ts, not the other way",
  ),
];

export default tseslint.config(
  { ignores: ["node_modules/", ".sandbox/", "bin/", "coverage/"] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    files: ["**/*.ts"],
    languageOptions: {
      parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname },
    },
    plugins: { "@pulumi": pulumi, "import-x": importX },
    settings: {
      ...importX.flatConfigs.typescript.settings,
      "import-x/resolver-next": [createTypeScriptImportResolver()],
    },
    rules: {
      "@pulumi/no-output-in-template-literal": "error",
      "@pulumi/no-output-instance-in-template-literal": "error",
      "import-x/no-cycle": ["error", { ignoreExternal: true }],
      "import-x/no-restricted-paths": ["error", { zones: layering }],
      "@typescript-eslint/no-unused-vars": ["error", { argsIgnorePattern: "^_" }],
    },
  },
  {
    files: ["**/*.js", "**/*.mjs"],
    languageOptions: { globals: globals.node, sourceType: "commonjs" },
    rules: { "@typescript-eslint/no-require-imports": "off" },
  },
  { files: ["**/*.mjs"], languageOptions: { sourceType: "module" } },
);
