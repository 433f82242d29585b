// Config that is rejected, for the app section and for how errors are reported: unknown keys,
// sections of the wrong shape, several problems at once, secrets that are never printed, and
// ConfigError's message. Each case is an input and the exact ConfigError lines it must produce.
// The infrastructure sections are in config.invalid.infra.test.ts.
import { ConfigError } from "../../config";
import {
  Case,
  FINGERPRINT,
  parse,
  REGION_LIST,
  testCases,
  useMockRuntime,
} from "../helpers/configCases";
import { MISSING } from "../helpers/configMaps";

useMockRuntime();

const invalid: Case[] = [
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
    // JSON leaves U+2028 and U+2029 raw, and many terminals break the line there (found by the
    // property test in config.properties.test.ts).
    name: "a name and a value with line separators stay on one line",
    overrides: { "app.env": { "A\u2029": "x\u2028y" } },
    lines: [
      'dropstack:app.env["A\\u2029"]: is not a valid environment variable name, got "x\\u2028y"',
    ],
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
  {
    name: "a health path with a quote",
    overrides: { "app.healthPath": "/health'" },
    lines: [`dropstack:app.healthPath: must be a URL path starting with /, got "/health'"`],
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
  testCases(invalid);

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
