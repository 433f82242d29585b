// `services`: backing services (managed PostgreSQL, a Redis-compatible cache). The valid shapes and
// the defaults they resolve to, then the table of rejected values with their exact lines.
import { Case, parse, testCases, useMockRuntime } from "../helpers/configCases";

useMockRuntime();

test("a stack without services has none", () => {
  expect(parse().services).toEqual([]);
});

test("each service resolves to its engine's defaults: newest version, one small node, the usual variable", () => {
  const config = parse({
    services: { db: { engine: "postgres" }, cache: { engine: "redis-compatible" } },
  });
  expect(config.services).toEqual([
    {
      name: "db",
      engine: "postgres",
      envName: "DATABASE_URL",
      create: { version: "17", size: "db-s-1vcpu-1gb", nodes: 1 },
    },
    {
      name: "cache",
      engine: "redis-compatible",
      envName: "REDIS_URL",
      create: { version: "8", size: "db-s-1vcpu-1gb", nodes: 1 },
    },
  ]);
});

test("a service's own settings win, as `pulumi config set --path` stores them (numbers as text)", () => {
  const config = parse({
    services: {
      db: { engine: "postgres", version: "16", size: "db-s-2vcpu-4gb", nodes: "2" },
      events: { engine: "postgres", version: 15, envName: "EVENTS_DATABASE_URL" },
    },
  });
  expect(config.services.map((s) => [s.name, s.envName, s.create])).toEqual([
    ["db", "DATABASE_URL", { version: "16", size: "db-s-2vcpu-4gb", nodes: 2 }],
    ["events", "EVENTS_DATABASE_URL", { version: "15", size: "db-s-1vcpu-1gb", nodes: 1 }],
  ]);
});

test.each([
  "db-s-2vcpu-4gb",
  "db-amd-1vcpu-2gb",
  "gd-2vcpu-8gb",
  "m-2vcpu-16gb",
  "so1_5-2vcpu-16gb",
])("the database size %s is one of DigitalOcean's node types", (size) => {
  const config = parse({ services: { db: { engine: "postgres", size } } });
  expect(config.services[0].create?.size).toBe(size);
});

test("a service on an existing cluster creates none: it names the cluster", () => {
  const config = parse({ services: { db: { engine: "postgres", cluster: "staging-db" } } });
  expect(config.services).toEqual([
    { name: "db", engine: "postgres", envName: "DATABASE_URL", cluster: "staging-db" },
  ]);
});

const invalid: Case[] = [
  {
    name: "services not a map",
    overrides: { services: ["db"] },
    lines: ['dropstack:services: must be a map of service names to service settings, got ["db"]'],
  },
  {
    name: "a service without an engine",
    overrides: { services: { db: { size: "db-s-1vcpu-1gb" } } },
    lines: ["dropstack:services.db.engine: is required, got nothing"],
  },
  {
    name: "an engine DigitalOcean has but dropstack does not declare",
    overrides: { services: { db: { engine: "mysql" } } },
    lines: ['dropstack:services.db.engine: must be one of postgres, redis-compatible, got "mysql"'],
  },
  {
    name: "a PostgreSQL version DigitalOcean does not offer",
    overrides: { services: { db: { engine: "postgres", version: "12" } } },
    lines: [
      'dropstack:services.db.version: must be one of 17, 16, 15, 14, 13 for engine postgres, got "12"',
    ],
  },
  {
    name: "a Redis version on the Valkey engine",
    overrides: { services: { cache: { engine: "redis-compatible", version: "7" } } },
    lines: [
      'dropstack:services.cache.version: must be one of 8 for engine redis-compatible, got "7"',
    ],
  },
  {
    name: "a droplet size where a database size goes",
    overrides: { services: { db: { engine: "postgres", size: "s-1vcpu-1gb" } } },
    lines: [
      'dropstack:services.db.size: must be a DigitalOcean database size slug such as db-s-1vcpu-1gb, got "s-1vcpu-1gb"',
    ],
  },
  {
    name: "four nodes",
    overrides: { services: { db: { engine: "postgres", nodes: 4 } } },
    lines: ["dropstack:services.db.nodes: must be an integer from 1 to 3, got 4"],
  },
  {
    name: "a standby node on the smallest plan",
    overrides: { services: { db: { engine: "postgres", nodes: "2" } } },
    lines: [
      'dropstack:services.db.nodes: must be 1 on db-s-1vcpu-1gb (standby nodes need a plan with 2 GB or more), got "2"',
    ],
  },
  {
    name: "a service name with capitals",
    overrides: { services: { MainDb: { engine: "postgres" } } },
    lines: [
      'dropstack:services.MainDb: must be named with a lower-case letter, then letters, digits and dashes (at most 30), got {"engine":"postgres"}',
    ],
  },
  {
    name: "an unknown key in a service",
    overrides: { services: { db: { engine: "postgres", nodez: 2 } } },
    lines: ["dropstack:services.db.nodez: unknown key (did you mean services.db.nodes?), got 2"],
  },
  {
    name: "two PostgreSQL services both on DATABASE_URL",
    overrides: { services: { db: { engine: "postgres" }, events: { engine: "postgres" } } },
    lines: [
      "dropstack:services.events.envName: DATABASE_URL is also set by services.db (set services.events.envName to another name), got nothing",
    ],
  },
  {
    name: "a service's variable also in app.secretEnv",
    overrides: {
      services: { db: { engine: "postgres" } },
      "app.secretEnv": { DATABASE_URL: "postgres://x" },
    },
    secretKeys: ["dropstack:app"],
    lines: [
      "dropstack:services.db.envName: DATABASE_URL is also set by app's environment (app.env or app.secretEnv) (set services.db.envName to another name), got nothing",
    ],
  },
  {
    name: "a service's variable dropstack sets itself",
    overrides: { services: { db: { engine: "postgres", envName: "PORT" } } },
    lines: ['dropstack:services.db.envName: PORT is set by dropstack itself, got "PORT"'],
  },
  {
    name: "sizing a cluster the stack only attaches to",
    overrides: {
      services: { db: { engine: "postgres", cluster: "staging-db", size: "db-s-2vcpu-4gb" } },
    },
    lines: [
      'dropstack:services.db.size: is only used for a cluster the stack creates (not with services.db.cluster), got "db-s-2vcpu-4gb"',
    ],
  },
];

describe("invalid services", () => {
  testCases(invalid);
});
