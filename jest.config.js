/**
 * Two projects: `unit` (pure functions and the program under Pulumi's mocks: no apt-get, no
 * processes, no ports; `npm run test:unit`) and `integration` (real nginx, supervisord, cloud-init,
 * shellcheck, the sandbox and the CLI as child processes). `npm test` runs both.
 * @type {import('jest').Config}
 */
const shared = {
  testEnvironment: "node",
  // Type errors are tsc's job (npm run typecheck); ts-jest only transpiles, which keeps runs fast.
  transform: { "^.+\\.ts$": ["ts-jest", { diagnostics: false }] },
  setupFiles: ["<rootDir>/tests/helpers/setup.ts"],
};

module.exports = {
  testTimeout: 60000,
  projects: [
    { ...shared, displayName: "unit", roots: ["<rootDir>/tests/unit"] },
    { ...shared, displayName: "integration", roots: ["<rootDir>/tests/integration"] },
  ],
};
