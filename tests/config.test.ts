// Tests for config/: parseStackConfig turns Pulumi's config map (`dropstack:<key>` → string, objects and
// lists as JSON text) into a typed StackConfig, or throws a ConfigError with one exact line per problem.
import * as fc from "fast-check";
import * as pulumi from "@pulumi/pulumi";
import { ConfigError, parseStackConfig } from "../config";
import * as rules from "../config/rules";

// ---------------------------------------------------------------------------------------------------
// Building config maps
// ---------------------------------------------------------------------------------------------------

const FINGERPRINT = "3b:16:bf:e4:8b:00:8b:b8:59:8c:a9:d3:f0:19:45:fa";
const KEY_HEADER = "-----BEGIN OPENSSH PRIVATE KEY-----";
const PRIVATE_KEY = `${KEY_HEADER}\nb3BlbnNzaC1rZXktdjEAAAAABG5vbmUAAAAEbm9uZQ\n-----END OPENSSH PRIVATE KEY-----\n`;
const REGION_LIST = "ams3, atl1, blr1, fra1, lon1, nyc1, nyc2, nyc3, sfo2, sfo3, sgp1, syd1, tor1";

/** Marks a key (top-level or nested) to be left out of the config. */
const MISSING = Symbol("missing");
/** Dotted path (`region`, `app.port`, `firewall.sshSourceAddresses`) → value, or MISSING to remove it. */
type Overrides = Record<string, unknown>;
type Obj = Record<string, unknown>;

/** The smallest valid config for `stack`, as the values Pulumi would hold (before JSON encoding). */
function baseConfig(stack: string): Obj {
  return {
    region: "fra1",
    domain: "example.com",
    hosts: ["api"],
    droplet: { sshKeys: [FINGERPRINT] },
    app: { release: "v1.4.2", registry: "dropstack" },
    sshPrivateKey: PRIVATE_KEY,
    ...(stack === rules.PRODUCTION_STACK
      ? {
          firewall: { sshSourceAddresses: ["203.0.113.0/24"] },
          proxy: { tls: { mode: "letsencrypt", email: "ops@example.com" } },
        }
      : {}),
  };
}

function setPath(target: Obj, path: string[], value: unknown): void {
  const [head, ...rest] = path;
  if (rest.length === 0) {
    if (value === MISSING) delete target[head];
    else target[head] = value;
    return;
  }
  if (target[head] === undefined) {
    if (value === MISSING) return;
    target[head] = {};
  }
  const child = target[head];
  if (child === null || typeof child !== "object" || Array.isArray(child)) {
    throw new Error(`test helper: ${path.join(".")} has a non-object parent`);
  }
  setPath(child as Obj, rest, value);
}

/** What Pulumi passes a program: strings as they are, everything else as JSON text. */
function toConfigMap(values: Obj): Record<string, string> {
  const map: Record<string, string> = {};
  for (const [key, value] of Object.entries(values)) {
    map[`dropstack:${key}`] = typeof value === "string" ? value : JSON.stringify(value);
  }
  return map;
}

/** A valid config map for `stack` with `overrides` applied; `extra` entries are added verbatim. */
function configMap(
  overrides: Overrides = {},
  stack = "staging",
  extra: Record<string, string> = {},
) {
  const values = structuredClone(baseConfig(stack));
  for (const [path, value] of Object.entries(overrides)) setPath(values, path.split("."), value);
  return { ...toConfigMap(values), ...extra };
}

interface ParseOptions {
  stack?: string;
  secretKeys?: string[];
  extra?: Record<string, string>;
}

function parse(
  overrides: Overrides = {},
  { stack = "staging", secretKeys = [], extra = {} }: ParseOptions = {},
) {
  return parseStackConfig(stack, configMap(overrides, stack, extra), secretKeys);
}

/** The ConfigError lines for a config that must be rejected. */
function errorLines(overrides: Overrides = {}, options: ParseOptions = {}): string[] {
  try {
    parse(overrides, options);
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    return error.lines;
  }
  throw new Error("expected a ConfigError, but the config parsed");
}

/** The value inside an Output (the mock runtime is not a preview, so apply runs). */
function unwrap<T>(output: pulumi.Output<T>): Promise<T> {
  return new Promise((resolve) => {
    output.apply((value) => {
      resolve(value);
      return value;
    });
  });
}

beforeAll(async () => {
  // pulumi.secret / isSecret need a runtime; the mock runtime is enough and never calls a provider.
  await pulumi.runtime.setMocks(
    {
      newResource: (args) => ({ id: "1", state: args.inputs }),
      call: () => {
        throw new Error("no calls");
      },
    },
    "dropstack",
    "test",
    false,
  );
});

// ---------------------------------------------------------------------------------------------------
// Valid configs
// ---------------------------------------------------------------------------------------------------

describe("valid configs", () => {
  test("a minimal staging config gets every default", () => {
    const { sshPrivateKey, app, ...rest } = parse();
    const { secretEnv, ...plainApp } = app;
    expect(rest).toEqual({
      stack: "staging",
      production: false,
      region: "fra1",
      domain: "example.com",
      hosts: ["api"],
      dnsTtl: 300,
      droplet: {
        size: "s-1vcpu-1gb",
        image: "debian-12-x64",
        count: 1,
        sshKeys: [FINGERPRINT],
        backups: false,
        monitoring: true,
      },
      proxy: { clientMaxBodySize: "10m", readTimeoutSeconds: 60, tls: { mode: "off" } },
      firewall: { sshSourceAddresses: ["0.0.0.0/0", "::/0"] },
      loadBalancer: { sizeUnit: 1 },
      alerts: undefined,
      protect: false,
      tags: [],
    });
    expect(plainApp).toEqual({
      envIsSecret: false,
      name: "api",
      port: 8080,
      healthPath: "/health",
      healthTimeoutSeconds: 60,
      drainSeconds: 5,
      env: {},
      release: "v1.4.2",
      source: { kind: "build", context: "./app", registry: "dropstack" },
    });
    expect(secretEnv).toEqual({});
    expect(pulumi.Output.isInstance(sshPrivateKey)).toBe(true);
  });

  test("production is protected and keeps its SSH source addresses", () => {
    const c = parse({}, { stack: "production" });
    expect(c.production).toBe(true);
    expect(c.protect).toBe(true);
    expect(c.firewall.sshSourceAddresses).toEqual(["203.0.113.0/24"]);
  });

  test.each(["dev", "staging", "pr-42"])(
    "stack %s is not protected and leaves SSH open by default",
    (stack) => {
      const c = parse({}, { stack });
      expect(c.production).toBe(false);
      expect(c.protect).toBe(false);
      expect(c.firewall.sshSourceAddresses).toEqual(["0.0.0.0/0", "::/0"]);
    },
  );

  test("a non-production stack may narrow SSH, and an empty list falls back to open", () => {
    expect(
      parse({ "firewall.sshSourceAddresses": ["203.0.113.7/32"] }).firewall.sshSourceAddresses,
    ).toEqual(["203.0.113.7/32"]);
    expect(parse({ "firewall.sshSourceAddresses": [] }).firewall.sshSourceAddresses).toEqual([
      "0.0.0.0/0",
      "::/0",
    ]);
  });

  test("protect can be overridden either way", () => {
    expect(parse({ protect: false }, { stack: "production" }).protect).toBe(false);
    expect(parse({ protect: "false" }, { stack: "production" }).protect).toBe(false);
    expect(parse({ protect: "true" }).protect).toBe(true);
  });

  test("app.image gives an image source and needs no registry", () => {
    const c = parse({ "app.registry": MISSING, "app.image": "ghcr.io/acme/api:1.4.2" });
    expect(c.app.source).toEqual({ kind: "image", image: "ghcr.io/acme/api:1.4.2" });
  });

  test.each([
    "nginx:1.27",
    "localhost:5000/api:1",
    `ghcr.io/acme/api@sha256:${"a".repeat(64)}`,
    `registry.digitalocean.com/dropstack/api:v1.4.2@sha256:${"0123456789abcdef".repeat(4)}`,
  ])("image reference %s is accepted", (image) => {
    expect(parse({ "app.image": image }).app.source).toEqual({
      kind: "image",
      image,
      registry: "dropstack",
    });
  });

  test("app.build sets the build context", () => {
    expect(parse({ "app.build": "./services/api" }).app.source).toEqual({
      kind: "build",
      context: "./services/api",
      registry: "dropstack",
    });
  });

  test("numbers and booleans stored as strings (pulumi config set --path) are accepted", () => {
    const c = parse({
      dnsTtl: "600",
      protect: "true",
      "droplet.count": "3",
      "droplet.backups": "true",
      "droplet.monitoring": "false",
      "app.port": "8080",
      "proxy.readTimeoutSeconds": "30",
    });
    expect(c.dnsTtl).toBe(600);
    expect(c.protect).toBe(true);
    expect(c.droplet).toMatchObject({ count: 3, backups: true, monitoring: false });
    expect(c.app.port).toBe(8080);
    expect(c.proxy).toEqual({
      clientMaxBodySize: "10m",
      readTimeoutSeconds: 30,
      tls: { mode: "off" },
    });
  });

  test("every setting can be given explicitly", () => {
    const c = parse(
      {
        region: "nyc3",
        domain: "acme.co.uk",
        hosts: ["@", "api", "www.eu"],
        dnsTtl: 3600,
        droplet: {
          size: "s-2vcpu-4gb",
          image: "ubuntu-24-04-x64",
          count: 2,
          sshKeys: [FINGERPRINT, "12345"],
          backups: true,
          monitoring: true,
        },
        "app.name": "billing",
        "app.port": 3000,
        "app.healthPath": "/healthz?full=1",
        "app.env": { LOG_LEVEL: "warn", EMPTY: "" },
        "app.release": "2024.06.01+build.7",
        proxy: {
          clientMaxBodySize: "512k",
          readTimeoutSeconds: 120,
          tls: { mode: "letsencrypt", email: "certs@acme.co.uk" },
        },
        "firewall.sshSourceAddresses": ["203.0.113.0/24", "2001:db8::/32", "198.51.100.7"],
        loadBalancer: { sizeUnit: 3 },
        tags: ["team-api", "env:prod", "cost_center"],
      },
      { stack: "production" },
    );
    expect(c.region).toBe("nyc3");
    expect(c.domain).toBe("acme.co.uk");
    expect(c.hosts).toEqual(["@", "api", "www.eu"]);
    expect(c.dnsTtl).toBe(3600);
    expect(c.droplet).toEqual({
      size: "s-2vcpu-4gb",
      image: "ubuntu-24-04-x64",
      count: 2,
      sshKeys: [FINGERPRINT, "12345"],
      backups: true,
      monitoring: true,
    });
    expect(c.app).toMatchObject({
      name: "billing",
      port: 3000,
      healthPath: "/healthz?full=1",
      env: { LOG_LEVEL: "warn", EMPTY: "" },
      release: "2024.06.01+build.7",
    });
    expect(c.proxy).toEqual({
      clientMaxBodySize: "512k",
      readTimeoutSeconds: 120,
      tls: { mode: "letsencrypt", email: "certs@acme.co.uk" },
    });
    expect(c.loadBalancer).toEqual({ sizeUnit: 3 });
    expect(c.firewall.sshSourceAddresses).toEqual([
      "203.0.113.0/24",
      "2001:db8::/32",
      "198.51.100.7",
    ]);
    expect(c.tags).toEqual(["team-api", "env:prod", "cost_center"]);
  });

  test("alerts get their defaults; a Slack webhook makes where they go a secret", async () => {
    const byEmail = parse({ alerts: { emails: ["ops@example.com"] } }).alerts!;
    expect(byEmail).toMatchObject({
      cpuPercent: 80,
      memoryPercent: 90,
      diskPercent: 85,
      window: "5m",
      latencyMs: 2000,
      certificateDays: 14,
    });
    expect(await unwrap(byEmail.notify)).toEqual({ emails: ["ops@example.com"], slacks: [] });
    expect(await pulumi.isSecret(byEmail.notify)).toBe(false);
    const url = "https://hooks.slack.com/services/T0/B0/XYZ";
    const bySlack = parse(
      { alerts: { slackWebhook: url, slackChannel: "#ops" } },
      { secretKeys: ["dropstack:alerts"] },
    ).alerts!;
    expect(await unwrap(bySlack.notify)).toEqual({
      emails: [],
      slacks: [{ channel: "#ops", url }],
    });
    expect(await pulumi.isSecret(bySlack.notify)).toBe(true);
  });

  test("keys of other namespaces are ignored", () => {
    const c = parseStackConfig("staging", {
      ...configMap(),
      "digitalocean:token": "x",
      "aws:region": "us-east-1",
    });
    expect(c.region).toBe("fra1");
  });

  test("secretEnv values and the SSH private key come back as secret Outputs", async () => {
    const c = parse({
      "app.env": { LOG_LEVEL: "info" },
      "app.secretEnv": { DB_PASSWORD: "hunter2", API_TOKEN: "t0k3n" },
    });
    expect(c.app.env).toEqual({ LOG_LEVEL: "info" });
    expect(Object.keys(c.app.secretEnv).sort()).toEqual(["API_TOKEN", "DB_PASSWORD"]);
    for (const output of Object.values(c.app.secretEnv)) {
      expect(pulumi.Output.isInstance(output)).toBe(true);
      await expect(pulumi.isSecret(output)).resolves.toBe(true);
    }
    await expect(unwrap(c.app.secretEnv.DB_PASSWORD)).resolves.toBe("hunter2");
    await expect(unwrap(c.app.secretEnv.API_TOKEN)).resolves.toBe("t0k3n");
    await expect(pulumi.isSecret(c.sshPrivateKey)).resolves.toBe(true);
    await expect(unwrap(c.sshPrivateKey)).resolves.toBe(PRIVATE_KEY);
  });
});

// ---------------------------------------------------------------------------------------------------
// Invalid configs: exact lines
// ---------------------------------------------------------------------------------------------------

interface Case {
  name: string;
  overrides?: Overrides;
  stack?: string;
  secretKeys?: string[];
  extra?: Record<string, string>;
  lines: string[];
}

const invalid: Case[] = [
  // Missing required keys.
  {
    name: "missing region",
    overrides: { region: MISSING },
    lines: ["dropstack:region: is required, got nothing"],
  },
  {
    name: "missing domain",
    overrides: { domain: MISSING },
    lines: ["dropstack:domain: is required, got nothing"],
  },
  {
    name: "missing hosts",
    overrides: { hosts: MISSING },
    lines: ["dropstack:hosts: is required, got nothing"],
  },
  {
    name: "missing droplet",
    overrides: { droplet: MISSING },
    lines: ["dropstack:droplet: is required, got nothing"],
  },
  {
    name: "missing droplet.sshKeys",
    overrides: { "droplet.sshKeys": MISSING },
    lines: ["dropstack:droplet.sshKeys: is required, got nothing"],
  },
  {
    name: "missing app",
    overrides: { app: MISSING },
    lines: ["dropstack:app: is required, got nothing"],
  },
  {
    name: "missing app.release",
    overrides: { "app.release": MISSING },
    lines: ["dropstack:app.release: is required, got nothing"],
  },
  {
    name: "missing sshPrivateKey",
    overrides: { sshPrivateKey: MISSING },
    lines: ["dropstack:sshPrivateKey: is required, got nothing"],
  },
  {
    name: "every required key missing",
    overrides: {
      region: MISSING,
      domain: MISSING,
      hosts: MISSING,
      droplet: MISSING,
      app: MISSING,
      sshPrivateKey: MISSING,
    },
    lines: [
      "dropstack:region: is required, got nothing",
      "dropstack:domain: is required, got nothing",
      "dropstack:hosts: is required, got nothing",
      "dropstack:droplet: is required, got nothing",
      "dropstack:app: is required, got nothing",
      "dropstack:sshPrivateKey: is required, got nothing",
    ],
  },
  // Region, domain, hosts, DNS.
  {
    name: "region not in the allow-list",
    overrides: { region: "nyc4" },
    lines: [`dropstack:region: must be one of ${REGION_LIST}, got "nyc4"`],
  },
  {
    name: "region in upper case",
    overrides: { region: "FRA1" },
    lines: [`dropstack:region: must be one of ${REGION_LIST}, got "FRA1"`],
  },
  {
    name: "domain without a TLD",
    overrides: { domain: "example" },
    lines: ['dropstack:domain: must be a DNS zone such as example.com, got "example"'],
  },
  {
    name: "domain with a scheme",
    overrides: { domain: "https://example.com" },
    lines: ['dropstack:domain: must be a DNS zone such as example.com, got "https://example.com"'],
  },
  {
    name: "bad host name",
    overrides: { hosts: ["api", "bad_host"] },
    lines: [
      'dropstack:hosts[1]: must be @ or a host name relative to the zone, such as api, got "bad_host"',
    ],
  },
  {
    name: "duplicate host",
    overrides: { hosts: ["api", "api"] },
    lines: ['dropstack:hosts[1]: duplicates hosts[0], got "api"'],
  },
  {
    name: "duplicate apex",
    overrides: { hosts: ["@", "www", "@"] },
    lines: ['dropstack:hosts[2]: duplicates hosts[0], got "@"'],
  },
  {
    name: "empty hosts",
    overrides: { hosts: [] },
    lines: ["dropstack:hosts: must list at least one host, got []"],
  },
  {
    name: "hosts not a list",
    overrides: { hosts: "api" },
    lines: ['dropstack:hosts: must be a list of hosts, got "api"'],
  },
  {
    name: "dnsTtl too low",
    overrides: { dnsTtl: 10 },
    lines: ["dropstack:dnsTtl: must be an integer from 30 to 86400, got 10"],
  },
  // Droplet.
  {
    name: "droplet.count 0",
    overrides: { "droplet.count": 0 },
    lines: ["dropstack:droplet.count: must be an integer from 1 to 20, got 0"],
  },
  {
    name: "droplet.count 21",
    overrides: { "droplet.count": 21 },
    lines: ["dropstack:droplet.count: must be an integer from 1 to 20, got 21"],
  },
  {
    name: "droplet.count 1.5",
    overrides: { "droplet.count": 1.5 },
    lines: ["dropstack:droplet.count: must be an integer from 1 to 20, got 1.5"],
  },
  {
    name: 'droplet.count "1.5"',
    overrides: { "droplet.count": "1.5" },
    lines: ['dropstack:droplet.count: must be an integer from 1 to 20, got "1.5"'],
  },
  {
    name: "bad droplet size slug",
    overrides: { "droplet.size": "large" },
    lines: [
      'dropstack:droplet.size: must be a DigitalOcean size slug such as s-1vcpu-1gb, got "large"',
    ],
  },
  {
    name: "bad sshKeys entry",
    overrides: { "droplet.sshKeys": ["my-laptop"] },
    lines: [
      'dropstack:droplet.sshKeys[0]: must be an SSH key MD5 fingerprint or numeric id, got "my-laptop"',
    ],
  },
  {
    name: "empty sshKeys",
    overrides: { "droplet.sshKeys": [] },
    lines: [
      "dropstack:droplet.sshKeys: must list at least one SSH key (fingerprint or id) so the deploy steps can log in, got []",
    ],
  },
  {
    name: "droplet.backups not a boolean",
    overrides: { "droplet.backups": "yes" },
    lines: ['dropstack:droplet.backups: must be true or false, got "yes"'],
  },
  // App.
  {
    name: "app.port 80",
    overrides: { "app.port": 80 },
    lines: [
      "dropstack:app.port: must be an integer from 1024 to 65534 (green runs on app.port + 1; the droplet itself serves 22, 80, 443), got 80",
    ],
  },
  {
    name: "app.port 1023",
    overrides: { "app.port": 1023 },
    lines: [
      "dropstack:app.port: must be an integer from 1024 to 65534 (green runs on app.port + 1; the droplet itself serves 22, 80, 443), got 1023",
    ],
  },
  {
    name: "app.port 65536",
    overrides: { "app.port": 65536 },
    lines: [
      "dropstack:app.port: must be an integer from 1024 to 65534 (green runs on app.port + 1; the droplet itself serves 22, 80, 443), got 65536",
    ],
  },
  {
    name: 'app.port "abc"',
    overrides: { "app.port": "abc" },
    lines: [
      'dropstack:app.port: must be an integer from 1024 to 65534 (green runs on app.port + 1; the droplet itself serves 22, 80, 443), got "abc"',
    ],
  },
  {
    name: "app.name in upper case",
    overrides: { "app.name": "API" },
    lines: [
      'dropstack:app.name: must be a lower-case name of at most 31 letters, digits and dashes, got "API"',
    ],
  },
  {
    name: "empty app.release",
    overrides: { "app.release": "" },
    lines: ['dropstack:app.release: must be a release label such as v1.4.2, got ""'],
  },
  {
    name: "healthPath without a leading slash",
    overrides: { "app.healthPath": "health" },
    lines: ['dropstack:app.healthPath: must be a URL path starting with /, got "health"'],
  },
  {
    name: "invalid env name",
    overrides: { "app.env": { "1BAD": "x" } },
    lines: ['dropstack:app.env.1BAD: is not a valid environment variable name, got "x"'],
  },
  {
    name: "env value with a newline",
    overrides: { "app.env": { GREETING: "hello\nworld" } },
    lines: ['dropstack:app.env.GREETING: must be a single line without NUL, got "hello\\nworld"'],
  },
  {
    name: "env value that is a list",
    overrides: { "app.env": { WORKERS: [4] } },
    lines: ["dropstack:app.env.WORKERS: must be a string, number or boolean, got [4]"],
  },
  {
    name: "env not a map",
    overrides: { "app.env": "LOG_LEVEL=debug" },
    lines: [
      'dropstack:app.env: must be a map of environment variable names to strings, got "LOG_LEVEL=debug"',
    ],
  },
  {
    name: "env using reserved PORT",
    overrides: { "app.env": { PORT: "9000" } },
    lines: [
      'dropstack:app.env.PORT: is set by dropstack itself (use app.port or app.release), got "9000"',
    ],
  },
  {
    name: "secretEnv using reserved RELEASE",
    overrides: { "app.secretEnv": { RELEASE: "hunter2" } },
    lines: [
      "dropstack:app.secretEnv.RELEASE: is set by dropstack itself (use app.port or app.release), got [secret]",
    ],
  },
  {
    name: "secretEnv value with a newline is masked",
    overrides: { "app.secretEnv": { DB_PASSWORD: "hunter2\nhunter3" } },
    lines: ["dropstack:app.secretEnv.DB_PASSWORD: must be a single line without NUL, got [secret]"],
  },
  {
    name: "secretEnv value that is not a string is masked",
    overrides: { "app.secretEnv": { PIN: { code: 987654 } } },
    lines: ["dropstack:app.secretEnv.PIN: must be a string, number or boolean, got [secret]"],
  },
  {
    name: "secretEnv with an invalid name is masked",
    overrides: { "app.secretEnv": { "db-password": "hunter2" } },
    lines: [
      "dropstack:app.secretEnv.db-password: is not a valid environment variable name, got [secret]",
    ],
  },
  {
    name: "secretEnv not a map is masked",
    overrides: { "app.secretEnv": "DB_PASSWORD=hunter2" },
    lines: [
      "dropstack:app.secretEnv: must be a map of environment variable names to strings, got [secret]",
    ],
  },
  {
    name: "key both in env and secretEnv",
    overrides: { "app.env": { DB_PASSWORD: "plain" }, "app.secretEnv": { DB_PASSWORD: "hunter2" } },
    lines: [
      "dropstack:app.secretEnv.DB_PASSWORD: is also set in app.env.DB_PASSWORD (keep one), got [secret]",
    ],
  },
  {
    name: "app.image without a tag",
    overrides: { "app.registry": MISSING, "app.image": "ghcr.io/acme/api" },
    lines: [
      'dropstack:app.image: must be a full image reference with a tag or digest, e.g. ghcr.io/acme/api:1.4.2, got "ghcr.io/acme/api"',
    ],
  },
  {
    name: "app.image and app.build together",
    overrides: { "app.image": "ghcr.io/acme/api:1.4.2", "app.build": "./app" },
    lines: [
      'dropstack:app.build: must not be set together with app.image (choose one), got "./app"',
    ],
  },
  {
    name: "empty app.build",
    overrides: { "app.build": "" },
    lines: ['dropstack:app.build: must be a path to a Docker build context, got ""'],
  },
  // Proxy.
  {
    name: 'proxy.clientMaxBodySize "10 MB"',
    overrides: { "proxy.clientMaxBodySize": "10 MB" },
    lines: [
      'dropstack:proxy.clientMaxBodySize: must be an nginx size such as 10m, 512k or 1g, got "10 MB"',
    ],
  },
  {
    name: "proxy.readTimeoutSeconds 0",
    overrides: { "proxy.readTimeoutSeconds": 0 },
    lines: ["dropstack:proxy.readTimeoutSeconds: must be an integer from 1 to 3600, got 0"],
  },
  // Firewall.
  {
    name: "invalid CIDR",
    overrides: { "firewall.sshSourceAddresses": ["10.0.0.0/33"] },
    lines: [
      'dropstack:firewall.sshSourceAddresses[0]: must be an IPv4 or IPv6 CIDR, got "10.0.0.0/33"',
    ],
  },
  {
    name: "CIDR that is not an address",
    overrides: { "firewall.sshSourceAddresses": ["203.0.113.0/24", "office"] },
    lines: ['dropstack:firewall.sshSourceAddresses[1]: must be an IPv4 or IPv6 CIDR, got "office"'],
  },
  {
    name: "production with an empty sshSourceAddresses",
    stack: "production",
    overrides: { "firewall.sshSourceAddresses": [] },
    lines: [
      "dropstack:firewall.sshSourceAddresses: is required in production (the CIDRs allowed to reach port 22), got []",
    ],
  },
  {
    name: "production with 0.0.0.0/0",
    stack: "production",
    overrides: { "firewall.sshSourceAddresses": ["0.0.0.0/0"] },
    lines: [
      'dropstack:firewall.sshSourceAddresses[0]: must not open SSH to the whole internet in production, got "0.0.0.0/0"',
    ],
  },
  {
    name: "production with ::/0",
    stack: "production",
    overrides: { "firewall.sshSourceAddresses": ["203.0.113.0/24", "::/0"] },
    lines: [
      'dropstack:firewall.sshSourceAddresses[1]: must not open SSH to the whole internet in production, got "::/0"',
    ],
  },
  // TLS, the load balancer, alerts.
  {
    name: "proxy.tls mode unknown",
    overrides: { "proxy.tls": { mode: "on" } },
    lines: ['dropstack:proxy.tls.mode: must be off or letsencrypt, got "on"'],
  },
  {
    name: "letsencrypt without an email",
    overrides: { "proxy.tls": { mode: "letsencrypt" } },
    lines: ["dropstack:proxy.tls.email: is required with proxy.tls.mode letsencrypt, got nothing"],
  },
  {
    name: "letsencrypt with a bad email",
    overrides: { "proxy.tls": { mode: "letsencrypt", email: "ops at example.com" } },
    lines: ['dropstack:proxy.tls.email: must be an email address, got "ops at example.com"'],
  },
  {
    name: "an email with tls off",
    overrides: { "proxy.tls": { mode: "off", email: "ops@example.com" } },
    lines: [
      'dropstack:proxy.tls.email: is only used with proxy.tls.mode letsencrypt, got "ops@example.com"',
    ],
  },
  {
    name: "unknown tls key suggests the closest",
    overrides: { "proxy.tls": { mode: "letsencrypt", emial: "ops@example.com" } },
    lines: [
      'dropstack:proxy.tls.emial: unknown key (did you mean proxy.tls.email?), got "ops@example.com"',
      "dropstack:proxy.tls.email: is required with proxy.tls.mode letsencrypt, got nothing",
    ],
  },
  {
    name: "production without TLS",
    stack: "production",
    overrides: { "proxy.tls": { mode: "off" } },
    lines: [
      'dropstack:proxy.tls.mode: must be letsencrypt in production (every public endpoint serves HTTPS), got "off"',
    ],
  },
  {
    name: "load balancer of 0 nodes",
    overrides: { "loadBalancer.sizeUnit": 0 },
    lines: ["dropstack:loadBalancer.sizeUnit: must be an integer from 1 to 100, got 0"],
  },
  {
    name: "alerts with nowhere to send them",
    overrides: { alerts: { cpuPercent: 90 } },
    lines: [
      "dropstack:alerts.emails: must list at least one address (or set alerts.slackWebhook), got nothing",
    ],
  },
  {
    name: "alerts with a bad email and a threshold over 100",
    overrides: { alerts: { emails: ["ops@example.com", "nobody"], diskPercent: 120 } },
    lines: [
      'dropstack:alerts.emails[1]: must be an email address, got "nobody"',
      "dropstack:alerts.diskPercent: must be an integer from 1 to 100, got 120",
    ],
  },
  {
    name: "alerts window not one DigitalOcean accepts",
    overrides: { alerts: { emails: ["ops@example.com"], window: "15m" } },
    lines: ['dropstack:alerts.window: must be one of 5m, 10m, 30m, 1h, got "15m"'],
  },
  {
    name: "a Slack webhook without a channel, and not https (its value is never printed)",
    overrides: { alerts: { slackWebhook: "http://hooks.slack.com/services/T0/B0/XYZ" } },
    secretKeys: ["dropstack:alerts"],
    lines: [
      "dropstack:alerts.slackWebhook: must be an https:// Slack incoming-webhook URL, got [secret]",
      "dropstack:alerts.slackChannel: is required with alerts.slackWebhook, got nothing",
    ],
  },
  {
    name: "an email that would break out of certbot's quoting",
    overrides: { "proxy.tls": { mode: "letsencrypt", email: "o'brien@example.com" } },
    lines: [`dropstack:proxy.tls.email: must be an email address, got "o'brien@example.com"`],
  },
  {
    name: "a read timeout the load balancer cannot keep",
    overrides: { "droplet.count": 3, "proxy.readTimeoutSeconds": 900 },
    lines: [
      "dropstack:proxy.readTimeoutSeconds: must be at most 600 with droplet.count > 1 (the load balancer's longest idle timeout), got 900",
    ],
  },
  {
    name: "a Slack webhook set in plain text",
    overrides: {
      alerts: { slackWebhook: "https://hooks.slack.com/services/T0/B0/XYZ", slackChannel: "#ops" },
    },
    lines: [
      "dropstack:alerts.slackWebhook: must be set with --secret (pulumi config set --secret --path dropstack:alerts.slackWebhook …), got [secret]",
    ],
  },
  {
    name: "a health path with a quote",
    overrides: { "app.healthPath": "/health'" },
    lines: [`dropstack:app.healthPath: must be a URL path starting with /, got "/health'"`],
  },
  {
    name: "alerts without the metrics agent",
    overrides: { alerts: { emails: ["ops@example.com"] }, "droplet.monitoring": false },
    lines: [
      "dropstack:droplet.monitoring: must be true when alerts are set (CPU, memory and disk alerts need the metrics agent), got false",
    ],
  },
  // Tags, protect.
  {
    name: "tag with a space",
    overrides: { tags: ["team-api", "team api"] },
    lines: [
      'dropstack:tags[1]: must be a DigitalOcean tag (letters, digits, : - _), got "team api"',
    ],
  },
  {
    name: "protect not a boolean",
    overrides: { protect: "yes" },
    lines: ['dropstack:protect: must be true or false, got "yes"'],
  },
  // Unknown keys and sections of the wrong shape.
  {
    name: "unknown top-level key",
    extra: { "dropstack:regoin": "nyc3" },
    lines: ['dropstack:regoin: unknown key (did you mean region?), got "nyc3"'],
  },
  {
    name: "unknown app key",
    overrides: { "app.prot": 9000 },
    lines: ["dropstack:app.prot: unknown key (did you mean app.port?), got 9000"],
  },
  {
    name: "unknown droplet key",
    overrides: { "droplet.sshkey": [FINGERPRINT] },
    lines: [
      `dropstack:droplet.sshkey: unknown key (did you mean droplet.sshKeys?), got ["${FINGERPRINT}"]`,
    ],
  },
  {
    name: "unknown proxy key",
    overrides: { "proxy.readTimeout": 30 },
    lines: [
      "dropstack:proxy.readTimeout: unknown key (did you mean proxy.readTimeoutSeconds?), got 30",
    ],
  },
  {
    name: "droplet not an object",
    overrides: { droplet: "s-1vcpu-1gb" },
    lines: ['dropstack:droplet: must be a map of droplet settings, got "s-1vcpu-1gb"'],
  },
  {
    name: "app is a list",
    overrides: { app: ["api"] },
    lines: ['dropstack:app: must be a map of app settings, got ["api"]'],
  },
  {
    name: "proxy is null",
    overrides: { proxy: null },
    lines: ["dropstack:proxy: must be a map of proxy settings, got null"],
  },
  {
    name: "firewall is a number",
    overrides: { firewall: 22 },
    lines: ["dropstack:firewall: must be a map of firewall settings, got 22"],
  },
  // Several problems at once: every line, in schema order, then the cross-field rules.
  {
    name: "several errors at once",
    stack: "production",
    overrides: {
      domain: "example",
      hosts: ["api", "API", "api"],
      "droplet.count": 0,
      "app.port": 1023,
      "app.healthPath": "health",
      "app.env": { GREETING: "hi\nthere" },
      "firewall.sshSourceAddresses": ["0.0.0.0/0"],
      tags: ["a b"],
    },
    extra: { "dropstack:regoin": "fra1" },
    lines: [
      'dropstack:domain: must be a DNS zone such as example.com, got "example"',
      'dropstack:hosts[1]: must be @ or a host name relative to the zone, such as api, got "API"',
      "dropstack:droplet.count: must be an integer from 1 to 20, got 0",
      "dropstack:app.port: must be an integer from 1024 to 65534 (green runs on app.port + 1; the droplet itself serves 22, 80, 443), got 1023",
      'dropstack:app.healthPath: must be a URL path starting with /, got "health"',
      'dropstack:app.env.GREETING: must be a single line without NUL, got "hi\\nthere"',
      'dropstack:tags[0]: must be a DigitalOcean tag (letters, digits, : - _), got "a b"',
      'dropstack:regoin: unknown key (did you mean region?), got "fra1"',
      'dropstack:hosts[2]: duplicates hosts[0], got "api"',
      'dropstack:firewall.sshSourceAddresses[0]: must not open SSH to the whole internet in production, got "0.0.0.0/0"',
    ],
  },
  // Secrets: values of keys Pulumi holds as secrets are never printed.
  {
    name: "secret top-level key with an invalid value",
    secretKeys: ["dropstack:domain"],
    overrides: { domain: "Hunter2 Internal" },
    lines: ["dropstack:domain: must be a DNS zone such as example.com, got [secret]"],
  },
  {
    name: "secret list key with an invalid item",
    secretKeys: ["dropstack:hosts"],
    overrides: { hosts: ["api", "Hunter2"] },
    lines: [
      "dropstack:hosts[1]: must be @ or a host name relative to the zone, such as api, got [secret]",
    ],
  },
  {
    name: "secret section with an invalid nested value",
    secretKeys: ["dropstack:app"],
    overrides: { "app.port": 1023 },
    lines: [
      "dropstack:app.port: must be an integer from 1024 to 65534 (green runs on app.port + 1; the droplet itself serves 22, 80, 443), got [secret]",
    ],
  },
  {
    name: "secret unknown key",
    secretKeys: ["dropstack:tokn"],
    extra: { "dropstack:tokn": "hunter2" },
    lines: ["dropstack:tokn: unknown key (did you mean tags?), got [secret]"],
  },
  {
    name: "sshPrivateKey that is a public key is masked even when not marked secret",
    overrides: { sshPrivateKey: "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIhunter2 me@laptop" },
    lines: [
      "dropstack:sshPrivateKey: must be an SSH private key in PEM or OpenSSH format, got [secret]",
    ],
  },
];

describe("invalid configs", () => {
  test("the table covers at least 30 configs", () => {
    expect(invalid.length).toBeGreaterThanOrEqual(30);
  });

  test.each(invalid)("$name", ({ overrides, stack, secretKeys, extra, lines }) => {
    expect(errorLines(overrides, { stack, secretKeys, extra })).toEqual(lines);
  });

  test("ConfigError's message lists every line", () => {
    let error: unknown;
    try {
      parse({ region: "nyc4", hosts: [] });
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as ConfigError).name).toBe("ConfigError");
    expect((error as ConfigError).message).toBe(
      `invalid dropstack config:\ndropstack:region: must be one of ${REGION_LIST}, got "nyc4"\ndropstack:hosts: must list at least one host, got []`,
    );
  });

  test("masked secrets do not appear anywhere in the error", () => {
    const secret = "hunter2-S3CR3T-value";
    let error: unknown;
    try {
      parse({
        "app.secretEnv": { A: `${secret}\n`, "bad name": secret, PORT: secret },
        sshPrivateKey: secret,
      });
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as ConfigError).message).not.toContain(secret);
    expect((error as ConfigError).lines.join("\n")).not.toContain(secret);
  });
});

// ---------------------------------------------------------------------------------------------------
// Problems a review found in config/, now fixed: each case pins the behaviour that is right.
// ---------------------------------------------------------------------------------------------------

const knownBad: Case[] = [
  // errors.ts replaces every message with "is required" when the value is absent, so the custom
  // messages of the cross-field rules are lost: the user is not told *why* it is required.
  {
    name: "no registry when building keeps the reason it is required",
    overrides: { "app.registry": MISSING },
    lines: [
      "dropstack:app.registry: is required to push the built image (or set app.image instead), got nothing",
    ],
  },
  {
    name: "production without a firewall section says that production requires it",
    stack: "production",
    overrides: { firewall: MISSING },
    lines: [
      "dropstack:firewall.sshSourceAddresses: is required in production (the CIDRs allowed to reach port 22), got nothing",
    ],
  },
  // rules.isAnywhere only matches the literal spellings 0.0.0.0/0 and ::/0, but isCidr accepts any
  // address with a /0 prefix, which admits every address all the same.
  {
    name: "production with 10.0.0.0/0",
    stack: "production",
    overrides: { "firewall.sshSourceAddresses": ["10.0.0.0/0"] },
    lines: [
      'dropstack:firewall.sshSourceAddresses[0]: must not open SSH to the whole internet in production, got "10.0.0.0/0"',
    ],
  },
  {
    name: "production with 0::/0",
    stack: "production",
    overrides: { "firewall.sshSourceAddresses": ["0::/0"] },
    lines: [
      'dropstack:firewall.sshSourceAddresses[0]: must not open SSH to the whole internet in production, got "0::/0"',
    ],
  },
  // A type error anywhere makes zod skip stackSchema's superRefine, so the production firewall
  // rule (and duplicate hosts, image/build, registry, env clashes) only show up on the next run.
  {
    name: "a type error does not hide the cross-field rules",
    stack: "production",
    overrides: { "droplet.count": "two", "firewall.sshSourceAddresses": [] },
    lines: [
      'dropstack:droplet.count: must be an integer from 1 to 20, got "two"',
      "dropstack:firewall.sshSourceAddresses: is required in production (the CIDRs allowed to reach port 22), got []",
    ],
  },
];

describe("fixed problems in config/", () => {
  test.each(knownBad)("$name", ({ overrides, stack, secretKeys, extra, lines }) => {
    expect(errorLines(overrides, { stack, secretKeys, extra })).toEqual(lines);
  });

  // schema.ts checks `name in c.app.env`, which also finds Object.prototype members, so a secretEnv
  // named constructor/toString/valueOf is reported as "also set in app.env" when env is empty.
  test("a secretEnv named like an Object.prototype member parses", () => {
    const c = parse({ "app.secretEnv": { constructor: "x", toString: "y" } });
    expect(Object.keys(c.app.secretEnv).sort()).toEqual(["constructor", "toString"]);
  });

  // formatPath prints map keys raw, so an env name containing a newline splits its error line.
  test("an env name with a newline does not split the error line", () => {
    const lines = errorLines({ "app.env": { "BAD\nNAME": "x" } });
    expect(lines).toHaveLength(1);
    expect(lines[0]).not.toMatch(/\n/);
  });

  // load.ts collects keys into a plain object, so `dropstack:__proto__` replaces its prototype:
  // the key is never reported and its fields are read as if they were top-level keys.
  test("a dropstack:__proto__ key is reported as unknown, not read as config", () => {
    const map = configMap();
    delete map["dropstack:region"];
    expect(() =>
      parseStackConfig("staging", { ...map, "dropstack:__proto__": '{"region":"fra1"}' }),
    ).toThrow(ConfigError);
  });
});

// ---------------------------------------------------------------------------------------------------
// Properties
// ---------------------------------------------------------------------------------------------------

/**
 * Every error line: namespace, path, message, value. Path segments are plain keys, `[i]` list
 * indexes, or `["..."]` for a user's key that is not plain (so a line never breaks).
 */
const QUOTED = String.raw`\["(?:[^"\\\n]|\\.)*"\]`;
const LINE = new RegExp(
  String.raw`^dropstack:(?:[A-Za-z0-9_@-]+|${QUOTED})(?:\[\d+\]|\.[A-Za-z0-9_@-]+|${QUOTED})*: .+, got .+$`,
);

const TOP_KEYS = [
  "region",
  "domain",
  "hosts",
  "dnsTtl",
  "droplet",
  "app",
  "proxy",
  "firewall",
  "protect",
  "tags",
  "sshPrivateKey",
];

const hex = (length: number) =>
  fc.string({ unit: fc.constantFrom(..."0123456789abcdef"), minLength: length, maxLength: length });
/** A recognizable secret: it must never show up in an error. */
const secretToken = hex(16).map((h) => `S3CR3T${h}`);

const junk: fc.Arbitrary<unknown> = fc.oneof(
  fc.string({ maxLength: 12 }),
  fc.integer(),
  fc.double(),
  fc.boolean(),
  fc.constant(null),
  fc.jsonValue({ maxDepth: 2 }),
);
/** Mostly `valid`, sometimes anything at all. */
const maybe = <T>(valid: fc.Arbitrary<T>) =>
  fc.oneof(
    { weight: 3, arbitrary: valid as fc.Arbitrary<unknown> },
    { weight: 1, arbitrary: junk },
  );
/** A number, or the same number as `pulumi config set --path` may store it. */
const intish = (min: number, max: number) =>
  fc.integer({ min, max }).chain((n) => fc.constantFrom<unknown>(n, String(n)));
const flagish = fc.boolean().chain((b) => fc.constantFrom<unknown>(b, String(b)));
const unknownKeyName = fc.stringMatching(/^[a-z][A-Za-z0-9_-]{0,10}$/);
/** Adds up to two unknown keys to a section. */
const withUnknownKeys = (section: fc.Arbitrary<Obj>) =>
  fc
    .tuple(section, fc.dictionary(unknownKeyName, junk, { maxKeys: 2 }))
    .map(([s, extra]) => ({ ...extra, ...s }));

// Valid values, built from the rules the schema itself uses.
const label = fc.stringMatching(/^[a-z0-9]([a-z0-9-]{0,8}[a-z0-9])?$/);
const validDomain = fc
  .tuple(fc.array(label, { minLength: 1, maxLength: 3 }), fc.stringMatching(/^[a-z]{2,6}$/))
  .map(([labels, tld]) => [...labels, tld].join("."));
const validHost = fc.oneof(
  fc.constant("@"),
  fc.array(label, { minLength: 1, maxLength: 3 }).map((l) => l.join(".")),
);
const validHosts = fc.uniqueArray(validHost, { minLength: 1, maxLength: 4 });
const fingerprint = fc
  .array(hex(2), { minLength: 16, maxLength: 16 })
  .map((bytes) => bytes.join(":"));
const validSshKeys = fc.array(
  fc.oneof(fingerprint, fc.integer({ min: 1, max: 99999999 }).map(String)),
  { minLength: 1, maxLength: 3 },
);
const ipv4Cidr = fc
  .tuple(fc.ipV4(), fc.option(fc.integer({ min: 1, max: 32 }), { nil: undefined }))
  .map(([a, p]) => (p === undefined ? a : `${a}/${p}`));
const ipv6Cidr = fc
  .tuple(fc.ipV6(), fc.option(fc.integer({ min: 1, max: 128 }), { nil: undefined }))
  .map(([a, p]) => (p === undefined ? a : `${a}/${p}`));
/** CIDRs that production accepts: never a /0. */
const narrowCidrs = fc.array(fc.oneof(ipv4Cidr, ipv6Cidr), { minLength: 1, maxLength: 3 });
const singleLine = fc
  .string({ unit: "grapheme", maxLength: 20 })
  .filter((s) => !/[\n\r\0]/.test(s));
const envName = fc
  .stringMatching(rules.ENV_NAME)
  .filter((n) => n.length <= 20 && !(rules.RESERVED_ENV_NAMES as readonly string[]).includes(n));

const validDroplet = fc.record(
  {
    size: fc.stringMatching(rules.DROPLET_SIZE),
    image: fc.stringMatching(rules.DROPLET_IMAGE),
    count: intish(1, 20),
    sshKeys: validSshKeys,
    backups: flagish,
    monitoring: flagish,
  },
  { requiredKeys: ["sshKeys"] },
);
/** Addresses whose local part certbot's shell quoting can carry. */
const validEmail = fc.emailAddress().filter((email) => rules.EMAIL.test(email));
const validTls = fc.oneof(
  fc.constant({ mode: "off" }),
  fc.record({ mode: fc.constant("letsencrypt"), email: validEmail }),
);
/** Production must serve HTTPS: its tls is always letsencrypt. */
const validProxy = (production: boolean) =>
  fc.record(
    {
      clientMaxBodySize: fc.stringMatching(rules.NGINX_SIZE),
      // At most 600: more is only valid on one droplet (the balancer idles out at 600 s).
      readTimeoutSeconds: intish(1, 600),
      tls: production
        ? fc.record({ mode: fc.constant("letsencrypt"), email: validEmail })
        : validTls,
    },
    { requiredKeys: production ? ["tls"] : [] },
  );
/** env and secretEnv with distinct names. */
const validEnvs = fc
  .uniqueArray(fc.tuple(envName, singleLine, fc.boolean()), {
    maxLength: 6,
    selector: ([name]) => name,
  })
  .map((entries) => ({
    env: Object.fromEntries(entries.filter(([, , secret]) => !secret).map(([n, v]) => [n, v])),
    secretEnv: Object.fromEntries(entries.filter(([, , secret]) => secret).map(([n, v]) => [n, v])),
  }));
const validSource = fc.oneof(
  fc.record(
    {
      image: fc.stringMatching(rules.IMAGE_REFERENCE),
      registry: fc.stringMatching(rules.REGISTRY_NAME),
    },
    { requiredKeys: ["image"] },
  ),
  fc.record(
    {
      build: fc.string({ minLength: 1, maxLength: 20 }),
      registry: fc.stringMatching(rules.REGISTRY_NAME),
    },
    { requiredKeys: ["registry"] },
  ),
);
const validApp = fc
  .tuple(
    fc.record(
      {
        name: fc.stringMatching(rules.APP_NAME),
        port: intish(1024, 65534),
        healthPath: fc.stringMatching(rules.HEALTH_PATH),
        release: fc.stringMatching(rules.RELEASE),
      },
      { requiredKeys: ["release"] },
    ),
    validEnvs,
    fc.boolean(),
    validSource,
  )
  .map(
    ([app, envs, withEnvs, source]) => ({ ...app, ...(withEnvs ? envs : {}), ...source }) as Obj,
  );

const stackName = fc.constantFrom("production", "staging", "dev", "pr-7");

const validInput = stackName.chain((stack) => {
  const production = stack === rules.PRODUCTION_STACK;
  return fc
    .record(
      {
        region: fc.constantFrom(...rules.REGIONS),
        domain: validDomain,
        hosts: validHosts,
        dnsTtl: intish(30, 86400),
        droplet: validDroplet,
        app: validApp,
        proxy: validProxy(production),
        firewall: production
          ? fc.record({ sshSourceAddresses: narrowCidrs })
          : fc.record(
              {
                sshSourceAddresses: fc.array(
                  fc.oneof(ipv4Cidr, ipv6Cidr, fc.constantFrom("0.0.0.0/0", "::/0")),
                  { maxLength: 3 },
                ),
              },
              { requiredKeys: [] },
            ),
        protect: flagish,
        tags: fc.array(
          fc.stringMatching(rules.TAG).filter((t) => t.length <= 40),
          { maxLength: 3 },
        ),
        sshPrivateKey: fc.string({ maxLength: 40 }).map((body) => `${KEY_HEADER}\n${body}`),
      },
      {
        requiredKeys: [
          "region",
          "domain",
          "hosts",
          "droplet",
          "app",
          "sshPrivateKey",
          ...(production ? ["firewall" as const, "proxy" as const] : []),
        ],
      },
    )
    .map((values) => ({ stack, values: values as Obj }));
});

/** A config built from scratch that mixes valid values, junk, missing keys, unknown keys and secrets. */
const randomInput = fc
  .tuple(
    stackName,
    fc.record(
      {
        region: maybe(fc.constantFrom<string>(...rules.REGIONS)),
        domain: maybe(validDomain),
        hosts: maybe(fc.array(maybe(validHost), { maxLength: 4 })),
        dnsTtl: maybe(intish(0, 100000)),
        droplet: maybe(
          withUnknownKeys(
            fc.record(
              {
                size: maybe(fc.stringMatching(rules.DROPLET_SIZE)),
                image: maybe(fc.stringMatching(rules.DROPLET_IMAGE)),
                count: maybe(intish(-2, 25)),
                sshKeys: maybe(fc.array(maybe(fingerprint), { maxLength: 3 })),
                backups: maybe(flagish),
                monitoring: maybe(flagish),
              },
              { requiredKeys: [] },
            ),
          ),
        ),
        app: maybe(
          withUnknownKeys(
            fc.record(
              {
                name: maybe(fc.stringMatching(rules.APP_NAME)),
                image: maybe(fc.stringMatching(rules.IMAGE_REFERENCE)),
                build: maybe(fc.string({ maxLength: 10 })),
                registry: maybe(fc.stringMatching(rules.REGISTRY_NAME)),
                port: maybe(fc.oneof(intish(0, 70000), fc.constantFrom<unknown>(22, 80, 443))),
                healthPath: maybe(fc.stringMatching(rules.HEALTH_PATH)),
                env: maybe(
                  fc.dictionary(
                    fc.oneof(
                      envName,
                      fc.string({ maxLength: 8 }),
                      fc.constantFrom("PORT", "RELEASE", "DB_URL"),
                    ),
                    maybe(singleLine),
                    { maxKeys: 4 },
                  ),
                ),
                // Values that are secret: a token alone, with a newline, or inside a wrong type.
                secretEnv: fc.oneof(
                  fc.dictionary(
                    fc.oneof(
                      envName,
                      fc.string({ maxLength: 8 }),
                      fc.constantFrom("PORT", "RELEASE", "DB_URL"),
                    ),
                    fc.oneof(
                      secretToken,
                      secretToken.map((t) => `${t}\nmore`),
                      secretToken.map((t) => ({ t })),
                      secretToken.map((t) => [t]),
                    ),
                    { maxKeys: 4 },
                  ),
                  secretToken,
                  secretToken.map((t) => [t]),
                ),
                release: maybe(fc.stringMatching(rules.RELEASE)),
              },
              { requiredKeys: [] },
            ),
          ),
        ),
        proxy: maybe(
          withUnknownKeys(
            fc.record(
              {
                clientMaxBodySize: maybe(fc.stringMatching(rules.NGINX_SIZE)),
                readTimeoutSeconds: maybe(intish(-1, 4000)),
              },
              { requiredKeys: [] },
            ),
          ),
        ),
        firewall: maybe(
          withUnknownKeys(
            fc.record(
              {
                sshSourceAddresses: maybe(
                  fc.array(
                    maybe(
                      fc.oneof(
                        ipv4Cidr,
                        ipv6Cidr,
                        fc.constantFrom("0.0.0.0/0", "::/0", "10.0.0.0/33"),
                      ),
                    ),
                    { maxLength: 3 },
                  ),
                ),
              },
              { requiredKeys: [] },
            ),
          ),
        ),
        protect: maybe(flagish),
        tags: maybe(
          fc.array(maybe(fc.stringMatching(rules.TAG).filter((t) => t.length <= 40)), {
            maxLength: 3,
          }),
        ),
        sshPrivateKey: fc.oneof(
          secretToken.map((t) => `${KEY_HEADER}\n${t}`),
          secretToken,
          secretToken.map((t) => ({ key: t })),
        ),
      },
      { requiredKeys: [] },
    ),
    // Unknown top-level keys, some of them held by Pulumi as secrets (with secret values).
    fc.dictionary(
      unknownKeyName.filter((k) => !TOP_KEYS.includes(k)),
      junk,
      { maxKeys: 2 },
    ),
    fc.dictionary(
      unknownKeyName.filter((k) => !TOP_KEYS.includes(k)).map((k) => `${k}Secret`),
      secretToken,
      { maxKeys: 2 },
    ),
    // Known keys Pulumi holds as secrets: their values are replaced by a token.
    fc.subarray(["region", "domain", "tags", "hosts"], { maxLength: 2 }),
    secretToken,
  )
  .map(([stack, known, unknown, secretUnknown, secretKnown, token]) => {
    const values: Obj = { ...unknown, ...known, ...secretUnknown };
    for (const key of secretKnown)
      values[key] = key === "tags" || key === "hosts" ? [`${token} x`] : token;
    const secretKeys = [...Object.keys(secretUnknown), ...secretKnown].map((k) => `dropstack:${k}`);
    return { stack, map: { ...toConfigMap(values), "other:key": token.toLowerCase() }, secretKeys };
  });

const MUTABLE_PATHS = [
  ...TOP_KEYS,
  ...["size", "image", "count", "sshKeys", "backups", "monitoring", "extra"].map(
    (k) => `droplet.${k}`,
  ),
  ...[
    "name",
    "image",
    "build",
    "registry",
    "port",
    "prot",
    "healthPath",
    "env",
    "secretEnv",
    "release",
  ].map((k) => `app.${k}`),
  "proxy.clientMaxBodySize",
  "proxy.readTimeoutSeconds",
  "firewall.sshSourceAddresses",
  "regoin",
];
/** One change to a valid config: remove a key, or set it to junk or to a value that breaks a cross-field rule. */
const mutation = fc.tuple(
  fc.constantFrom(...MUTABLE_PATHS),
  fc.oneof(
    { weight: 1, arbitrary: fc.constant<unknown>(MISSING) },
    { weight: 1, arbitrary: junk },
    {
      weight: 2,
      arbitrary: fc.constantFrom<unknown>(
        80,
        "0.0.0.0/0",
        ["::/0"],
        [],
        ["api", "api"],
        "ghcr.io/acme/api:1",
        "./app",
        { PORT: "1" },
      ),
    },
  ),
);
/** secretEnv whose values are tokens, valid or not, under valid, reserved or invalid names. */
const secretEnvWithTokens = fc.dictionary(
  fc.oneof(envName, fc.constantFrom("PORT", "RELEASE", "DB_URL", "bad-name", "")),
  fc.oneof(
    { weight: 6, arbitrary: secretToken as fc.Arbitrary<unknown> },
    { weight: 2, arbitrary: secretToken.map((t) => `${t}\nmore`) },
    { weight: 1, arbitrary: secretToken.map((t) => ({ t })) },
    { weight: 1, arbitrary: secretToken.map((t) => [t, 1]) },
  ),
  { maxKeys: 4 },
);
/** A valid config with secrets in it and up to three things broken. */
const mutatedInput = fc
  .tuple(
    validInput,
    secretEnvWithTokens,
    fc.boolean(),
    fc.oneof(
      secretToken.map((t) => `${KEY_HEADER}\n${t}`),
      secretToken,
    ),
    fc.array(mutation, { maxLength: 3 }),
    fc.subarray(TOP_KEYS, { maxLength: 1 }),
  )
  .map(([{ stack, values }, secretEnv, clash, sshPrivateKey, mutations, secretTop]) => {
    const config = structuredClone(values);
    const app = config.app as Obj;
    app.secretEnv = secretEnv;
    const [firstSecret] = Object.keys(secretEnv);
    if (clash && firstSecret !== undefined)
      app.env = { ...(app.env as Obj | undefined), [firstSecret]: "plain" };
    config.sshPrivateKey = sshPrivateKey;
    for (const [path, value] of mutations) {
      try {
        setPath(config, path.split("."), value === MISSING ? value : structuredClone(value));
      } catch {
        // the parent was already replaced by something that is not an object
      }
    }
    return { stack, map: toConfigMap(config), secretKeys: secretTop.map((k) => `dropstack:${k}`) };
  });

const mixedInput = fc.oneof(
  { weight: 1, arbitrary: randomInput },
  { weight: 2, arbitrary: mutatedInput },
);

const TOKEN = /S3CR3T[0-9a-f]{16}/g;

describe("properties", () => {
  test("any config either parses or fails with well-formed lines that never show a secret", () => {
    fc.assert(
      fc.property(mixedInput, ({ stack, map, secretKeys }) => {
        const secrets = new Set(Object.values(map).flatMap((v) => v.match(TOKEN) ?? []));
        let error: unknown;
        try {
          parseStackConfig(stack, map, secretKeys);
          return;
        } catch (e) {
          error = e;
        }
        expect(error).toBeInstanceOf(ConfigError);
        const { lines, message } = error as ConfigError;
        expect(lines.length).toBeGreaterThan(0);
        for (const line of lines) expect(line).toMatch(LINE);
        for (const secret of secrets) expect(message).not.toContain(secret);
      }),
      { numRuns: 1000 },
    );
  });

  test("valid configs always parse", () => {
    fc.assert(
      fc.property(validInput, ({ stack, values }) => {
        const c = parseStackConfig(stack, toConfigMap(values));
        const app = values.app as Obj;
        expect(c.stack).toBe(stack);
        expect(c.production).toBe(stack === rules.PRODUCTION_STACK);
        expect(c.region).toBe(values.region);
        expect(c.hosts).toEqual(values.hosts);
        expect(c.droplet.sshKeys).toEqual((values.droplet as Obj).sshKeys);
        expect(c.app.port).toBe(app.port === undefined ? 8080 : Number(app.port));
        expect(c.app.source.kind).toBe(app.image === undefined ? "build" : "image");
        expect(Object.keys(c.app.secretEnv).sort()).toEqual(
          Object.keys((app.secretEnv as Obj | undefined) ?? {}).sort(),
        );
        expect(c.protect).toBe(
          values.protect === undefined
            ? stack === rules.PRODUCTION_STACK
            : String(values.protect) === "true",
        );
        expect(c.firewall.sshSourceAddresses.length).toBeGreaterThan(0);
      }),
      { numRuns: 1000 },
    );
  });
});

describe("app.env as the CLI stores it", () => {
  test("numbers and booleans set with --path become the strings the API sees", () => {
    const c = parse({ "app.env": { WORKERS: 4, DEBUG: true, NAME: "x" } });
    expect(c.app.env).toEqual({ WORKERS: "4", DEBUG: "true", NAME: "x" });
    expect(c.app.envIsSecret).toBe(false);
  });

  test("a secret dropstack:app key keeps app.env secret (its values may have been set with --secret)", () => {
    const c = parseStackConfig("staging", configMap(), ["dropstack:app"]);
    expect(c.app.envIsSecret).toBe(true);
  });
});
