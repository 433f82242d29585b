// Properties of parseStackConfig over generated configs: every valid config parses, and any config
// at all either parses or fails with well-formed lines that never show a secret.
import * as fc from "fast-check";
import { ConfigError, parseStackConfig } from "../../config";
import * as rules from "../../config/rules";
import { KEY_HEADER, useMockRuntime } from "../helpers/configCases";
import { MISSING, setPath, toConfigMap } from "../helpers/configMaps";

useMockRuntime();

type Obj = Record<string, unknown>;

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
/**
 * CIDRs that production accepts: three at most, each narrow enough that together they stay within
 * its limit (a /16's worth of IPv4, a /32's worth of IPv6: config/sshExposure.ts).
 */
const narrowCidr = fc.oneof(
  fc.tuple(fc.ipV4(), fc.integer({ min: 18, max: 32 })).map(([a, p]) => `${a}/${p}`),
  fc.tuple(fc.ipV6(), fc.integer({ min: 34, max: 128 })).map(([a, p]) => `${a}/${p}`),
  fc.oneof(fc.ipV4(), fc.ipV6()),
);
const narrowCidrs = fc.array(narrowCidr, { minLength: 1, maxLength: 3 });
const singleLine = fc
  .string({ unit: "grapheme", maxLength: 20 })
  .filter((s) => !/[\n\r\0]/.test(s));
const envName = fc
  .stringMatching(rules.ENV_NAME)
  .filter((n) => n.length <= 20 && !(rules.RESERVED_ENV_NAMES as readonly string[]).includes(n));

const validDroplet = fc.record(
  {
    // A slug that says its vCPUs and memory (app.container's limits are derived from them).
    size: fc.stringMatching(/^[a-z][a-z0-9]{0,3}-[1-9]vcpu-[1-9][0-9]?gb$/),
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
