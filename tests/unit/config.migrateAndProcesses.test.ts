// `app.migrate` and `app.processes`: commands run from the app's image. The shapes they resolve
// to (a program and its arguments, never a shell line), then the table of rejected values.
import { Case, parse, testCases, useMockRuntime } from "../helpers/configCases";

useMockRuntime();

test("a stack without them has no migration and no processes", () => {
  const { app } = parse();
  expect(app.migrate).toBeUndefined();
  expect(app.migrateTimeoutSeconds).toBe(600);
  expect(app.processes).toEqual({});
});

test("commands keep their quoted words; singleton defaults to false and takes text booleans", () => {
  const { app } = parse({
    "app.migrate": `node migrate.js --label 'a b $HOME'`,
    "app.migrateTimeoutSeconds": "120",
    "app.processes": {
      worker: { command: "node worker.js" },
      scheduler: { command: `sh -c 'node cron.js && echo done'`, singleton: "true" },
    },
  });
  expect(app.migrate).toBe(`node migrate.js --label 'a b $HOME'`);
  expect(app.migrateTimeoutSeconds).toBe(120);
  expect(app.processes).toEqual({
    worker: { command: "node worker.js", singleton: false },
    scheduler: { command: `sh -c 'node cron.js && echo done'`, singleton: true },
  });
});

const invalid: Case[] = [
  {
    name: "app.migrate with a variable assignment",
    overrides: { "app.migrate": "A=1 node migrate.js" },
    lines: [
      'dropstack:app.migrate: must start with the program, not A=1 (set variables in app.env), got "A=1 node migrate.js"',
    ],
  },
  {
    name: "app.migrate with &&",
    overrides: { "app.migrate": "node a.js && node b.js" },
    lines: [
      "dropstack:app.migrate: must be a program and its arguments, without && (for a shell, write sh -c '...'), got \"node a.js && node b.js\"",
    ],
  },
  {
    name: "app.migrate with an unquoted $",
    overrides: { "app.migrate": "node $HOME/migrate.js" },
    lines: [
      'dropstack:app.migrate: must not use $ or a wildcard outside single quotes (quote it, or set the variable in app.env), got "node $HOME/migrate.js"',
    ],
  },
  {
    name: "app.migrate with a redirect",
    overrides: { "app.migrate": "node migrate.js > /tmp/log" },
    lines: [
      "dropstack:app.migrate: must be a program and its arguments, without > (for a shell, write sh -c '...'), got \"node migrate.js > /tmp/log\"",
    ],
  },
  {
    name: "app.migrate with a glob",
    overrides: { "app.migrate": "node migrations/*.js" },
    lines: [
      'dropstack:app.migrate: must not use $ or a wildcard outside single quotes (quote it, or set the variable in app.env), got "node migrations/*.js"',
    ],
  },
  {
    name: "app.migrate empty",
    overrides: { "app.migrate": "" },
    lines: ['dropstack:app.migrate: must be a command of one line, e.g. node migrate.js, got ""'],
  },
  {
    name: "app.migrate on two lines",
    overrides: { "app.migrate": "node a.js\nnode b.js" },
    lines: [
      'dropstack:app.migrate: must be a command of one line, e.g. node migrate.js, got "node a.js\\nnode b.js"',
    ],
  },
  {
    name: "app.migrateTimeoutSeconds 5",
    overrides: { "app.migrateTimeoutSeconds": 5 },
    lines: ["dropstack:app.migrateTimeoutSeconds: must be an integer from 10 to 7200, got 5"],
  },
  {
    name: "app.processes named blue",
    overrides: { "app.processes": { blue: { command: "node worker.js" } } },
    lines: [
      'dropstack:app.processes.blue: is a name dropstack uses itself (blue, green, migrate), got {"command":"node worker.js"}',
    ],
  },
  {
    name: "app.processes name in upper case",
    overrides: { "app.processes": { Worker: { command: "node worker.js" } } },
    lines: [
      'dropstack:app.processes.Worker: must be a lower-case name of letters, digits and dashes (at most 31), got {"command":"node worker.js"}',
    ],
  },
  {
    name: "a process without a command",
    overrides: { "app.processes": { worker: {} } },
    lines: ["dropstack:app.processes.worker.command: is required, got nothing"],
  },
  {
    name: "a process given as a string",
    overrides: { "app.processes": { worker: "node worker.js" } },
    lines: [
      'dropstack:app.processes.worker: must be a map of process settings, got "node worker.js"',
    ],
  },
  {
    name: "a process's singleton not a boolean",
    overrides: { "app.processes": { worker: { command: "node worker.js", singleton: "yes" } } },
    lines: ['dropstack:app.processes.worker.singleton: must be true or false, got "yes"'],
  },
  {
    name: "a process's unknown key",
    overrides: { "app.processes": { worker: { command: "node worker.js", singelton: true } } },
    lines: [
      "dropstack:app.processes.worker.singelton: unknown key (did you mean app.processes.worker.singleton?), got true",
    ],
  },
  {
    name: "app.processes a list",
    overrides: { "app.processes": ["node worker.js"] },
    lines: [
      'dropstack:app.processes: must be a map of process names to process settings, got ["node worker.js"]',
    ],
  },
];

testCases(invalid);
