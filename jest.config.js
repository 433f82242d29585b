/** @type {import('jest').Config} */
module.exports = {
  testEnvironment: "node",
  roots: ["<rootDir>/tests"],
  // Type errors are tsc's job (npm run typecheck); ts-jest only transpiles, which keeps runs fast.
  transform: { "^.+\\.ts$": ["ts-jest", { diagnostics: false }] },
  setupFiles: ["<rootDir>/tests/setup.ts"],
  testTimeout: 60000,
};
