/**
 * The schema of dropstack's stack config (namespace `dropstack:`). Each field's message says what
 * a valid value is; `errors.ts` adds the key path and the value that was given.
 */
import { z } from "zod";
import { containerLimits } from "./containerLimits";
import { certificateProblems, isPemCertificate, isPemPrivateKey } from "./certificate";
import { SECRET_MASK } from "./errors";
import { imageCommandWords } from "./imageCommand";
import { fqdn } from "./names";
import * as rules from "./rules";
import {
  DEFAULT_SSH_EXPOSURE_LIMIT,
  exposureLimit,
  exposureLimitPrefix,
  FAMILY_BITS,
  type Family,
  sshExposureProblems,
} from "./sshExposure";

/** `pulumi config set --path` stores numbers and booleans as strings; accept both spellings. */
const fromString = (parse: (s: string) => unknown) => (v: unknown) =>
  typeof v === "string" ? parse(v) : v;
const integer = (min: number, max: number, error = `must be an integer from ${min} to ${max}`) =>
  z.preprocess(
    fromString((s) => (/^-?\d+$/.test(s) ? Number(s) : s)),
    z.number({ error }).int().min(min).max(max),
  );
const flag = () =>
  z.preprocess(
    fromString((s) => (s === "true" ? true : s === "false" ? false : s)),
    z.boolean({ error: "must be true or false" }),
  );
const text = (pattern: RegExp, what: string) =>
  z.string({ error: `must be ${what}` }).regex(pattern, { error: `must be ${what}` });
const list = <T extends z.ZodType>(item: T, what: string) =>
  z.array(item, { error: `must be a list of ${what}` });
/** Names are checked in `stackSchema` so the error path ends at the bad name. */
/** `pulumi config set --path ...env.WORKERS 4` stores a number: env values are text either way. */
const envValue = z.preprocess(
  (v) => (typeof v === "number" || typeof v === "boolean" ? String(v) : v),
  z
    .string({ error: "must be a string, number or boolean" })
    .regex(/^[^\n\r\0]*$/, { error: "must be a single line without NUL" }),
);
const envMap = z.record(z.string(), envValue, {
  error: "must be a map of environment variable names to strings",
});

const section = (what: string) => ({ error: `must be a map of ${what} settings` });

/** Blue runs on app.port and green on app.port + 1, so both must fit below 65536. */
const portMessage = `must be an integer from 1024 to 65534 (green runs on app.port + 1; the droplet itself serves ${rules.HOST_PORTS.join(", ")})`;

const DEFAULT_DROPLET_SIZE = "s-1vcpu-1gb";

const droplet = z.strictObject(
  {
    /** Droplet size slug. */
    size: text(rules.DROPLET_SIZE, "a DigitalOcean size slug such as s-1vcpu-1gb").default(
      DEFAULT_DROPLET_SIZE,
    ),
    image: text(rules.DROPLET_IMAGE, "a DigitalOcean image slug or id").default("debian-12-x64"),
    count: integer(1, 20).default(1),
    sshKeys: list(text(rules.SSH_KEY, "an SSH key MD5 fingerprint or numeric id"), "SSH keys").min(
      1,
      {
        error: "must list at least one SSH key (fingerprint or id) so the deploy steps can log in",
      },
    ),
    backups: flag().default(false),
    monitoring: flag().default(true),
    /**
     * A reserved IP on the stack's first droplet, where the records point when it serves alone: it
     * outlives a replacement of the droplet. Off (review stacks), the records point at the
     * droplet's own address and move with it; DigitalOcean allows an account three by default.
     */
    reservedIp: flag().default(true),
  },
  section("droplet"),
);

/** A program and its arguments from the app's image, on one line (`imageCommand.ts`). */
const imageCommand = () =>
  text(rules.IMAGE_COMMAND, "a command of one line, e.g. node migrate.js").superRefine(
    (command, ctx) => {
      if (!rules.IMAGE_COMMAND.test(command)) return; // the line above said what is wrong
      const words = imageCommandWords(command);
      if (!Array.isArray(words)) ctx.addIssue({ code: "custom", message: words.problem });
    },
  );

/** `pulumi config set --path` stores a number as text; a decimal such as 0.5 either way. */
const decimal = (min: number, max: number) =>
  z.preprocess(
    fromString((s) => (/^\d+(\.\d+)?$/.test(s) ? Number(s) : s)),
    z
      .number({ error: `must be a number from ${min} to ${max}` })
      .min(min, { error: `must be a number from ${min} to ${max}` })
      .max(max, { error: `must be a number from ${min} to ${max}` }),
  );

/** What bounds the API's containers; unset memory and cpus are a share of droplet.size's. */
const container = z.strictObject(
  {
    memory: text(rules.CONTAINER_MEMORY, "a size in MiB or GiB such as 384m or 1g").optional(),
    cpus: decimal(0.1, 64).optional(),
    pids: integer(32, 32768).optional(),
    tmpfs: list(
      text(rules.CONTAINER_PATH, "an absolute path outside /proc, /sys and /dev, such as /tmp"),
      "absolute paths",
    )
      .min(1, { error: "must list at least one path (the root filesystem is read-only)" })
      .optional(),
    tmpfsSize: text(rules.CONTAINER_MEMORY, "a size in MiB or GiB such as 64m").optional(),
    user: text(rules.CONTAINER_USER, "a uid:gid other than root's, such as 10001:10001").optional(),
  },
  section("container"),
);

const appProcess = z.strictObject(
  {
    command: imageCommand(),
    /** On the stack's first droplet only (a scheduler), instead of on every droplet. */
    singleton: flag().default(false),
  },
  section("process"),
);

const app = z.strictObject(
  {
    name: text(
      rules.APP_NAME,
      "a lower-case name of at most 31 letters, digits and dashes",
    ).default("api"),
    image: text(
      rules.IMAGE_REFERENCE,
      "a full image reference with a tag or digest, e.g. ghcr.io/acme/api:1.4.2",
    ).optional(),
    build: z.string({ error: "must be a path to a Docker build context" }).min(1).optional(),
    registry: text(rules.REGISTRY_NAME, "the name of a DigitalOcean container registry").optional(),
    port: integer(1024, 65534, portMessage).default(8080),
    healthPath: text(rules.HEALTH_PATH, "a URL path starting with /").default("/health"),
    /** How long a new release may take to answer healthPath with 200 several times in a row. */
    healthTimeoutSeconds: integer(5, 600).default(60),
    /** How long the old colour keeps serving in-flight requests after the switch. */
    drainSeconds: integer(0, 300).default(5),
    env: envMap.default({}),
    secretEnv: envMap.default({}),
    release: text(rules.RELEASE, "a release label such as v1.4.2"),
    /** Run from the new image, once per release, before the new release starts. */
    migrate: imageCommand().optional(),
    /** How long app.migrate may run before the release fails (and the old colour keeps serving). */
    migrateTimeoutSeconds: integer(10, 7200).default(600),
    /** Commands beside the API from the same image, without a port: workers, schedulers. */
    processes: z
      .record(z.string(), appProcess, {
        error: "must be a map of process names to process settings",
      })
      .default({}),
    container: container.default({}),
  },
  section("app"),
);

const ACME_SERVER_ERROR =
  "must be letsencrypt, letsencrypt-staging or an https:// ACME directory URL";

const CERTIFICATE_ERROR = "must be PEM certificates: the server's own first, then its chain";
const PRIVATE_KEY_ERROR = "must be an unencrypted PEM private key";

/** The other keys are checked against `mode` in `stackSchema`, so all problems show at once. */
const tls = z.strictObject(
  {
    mode: z.enum(["off", "letsencrypt", "custom"], {
      error: "must be off, letsencrypt or custom",
    }),
    /** Let's Encrypt's account address: expiry and policy notices go there. */
    email: text(rules.EMAIL, "an email address").optional(),
    /** The ACME server certbot asks; default letsencrypt (letsencrypt-staging for review stacks). */
    server: z
      .string({ error: ACME_SERVER_ERROR })
      .refine(rules.isAcmeServer, { error: ACME_SERVER_ERROR })
      .optional(),
    /** mode custom: the certificate, the server's own first and then its chain, in PEM. */
    certificate: z
      .string({ error: CERTIFICATE_ERROR })
      .refine(isPemCertificate, { error: CERTIFICATE_ERROR })
      .optional(),
    /**
     * mode custom: its private key in PEM, set with --secret. The offline plan cannot decrypt a
     * secure value without the stack's passphrase and holds a placeholder: nothing to check then.
     */
    privateKey: z
      .string({ error: PRIVATE_KEY_ERROR })
      .refine((key) => key === SECRET_MASK || isPemPrivateKey(key), { error: PRIVATE_KEY_ERROR })
      .optional(),
  },
  section("TLS"),
);

const proxy = z.strictObject(
  {
    clientMaxBodySize: text(rules.NGINX_SIZE, "an nginx size such as 10m, 512k or 1g").default(
      "10m",
    ),
    readTimeoutSeconds: integer(1, 3600).default(60),
    tls: tls.default({ mode: "off" }),
  },
  section("proxy"),
);

/** Only used when droplet.count > 1: the DigitalOcean load balancer in front of the droplets. */
const loadBalancer = z.strictObject(
  {
    /** Nodes of 10,000 requests/s and 10,000 connections each; billed per node. */
    sizeUnit: integer(1, 100).default(1),
  },
  section("load balancer"),
);

/** Where alerts go, and when they fire; a stack without `alerts` creates none. */
const alerts = z.strictObject(
  {
    // Verified on the DigitalOcean account, or its API refuses them ("The Email has to be one that
    // is verified on that DigitalOcean account": DigitalOcean's OpenAPI spec @7c1300c4,
    // specification/resources/uptime/models/notification.yml). Not knowable offline.
    emails: list(text(rules.EMAIL, "an email address"), "email addresses").default([]),
    /** Secret: anyone holding it can post to the channel. */
    slackWebhook: text(rules.WEBHOOK_URL, "an https:// Slack incoming-webhook URL").optional(),
    slackChannel: z
      .string({ error: "must be a Slack channel name such as #ops" })
      .min(1, { error: "must be a Slack channel name such as #ops" })
      .optional(),
    cpuPercent: integer(1, 100).default(80),
    memoryPercent: integer(1, 100).default(90),
    diskPercent: integer(1, 100).default(85),
    /** How long a droplet metric must stay above its threshold before the alert fires. */
    window: z
      .enum(rules.ALERT_WINDOWS, { error: `must be one of ${rules.ALERT_WINDOWS.join(", ")}` })
      .default("5m"),
    /** Uptime latency alert: milliseconds, for 5 minutes. */
    latencyMs: integer(50, 60000).default(2000),
    /** Uptime certificate alert (stacks with TLS): days before expiry. */
    certificateDays: integer(1, 60).default(14),
  },
  section("alerts"),
);

/** How much of a family's internet production's SSH may admit: a prefix length such as /16. */
const exposureLimitText = (family: Family) => {
  const error = `must be a prefix length from /1 to /${FAMILY_BITS[family]} such as /${DEFAULT_SSH_EXPOSURE_LIMIT[family]} (production's SSH sources may admit that block's worth of ${family} addresses in total)`;
  return z
    .string({ error })
    .refine((v) => exposureLimitPrefix(family, v) !== undefined, { error })
    .optional();
};

const firewall = z.strictObject(
  {
    sshSourceAddresses: list(
      z
        .string({ error: "must be an IPv4 or IPv6 CIDR" })
        .refine(rules.isCidr, { error: "must be an IPv4 or IPv6 CIDR" }),
      "CIDRs",
    ).optional(),
    /** Raises production's limit on what the SSH sources admit in total (sshExposure.ts). */
    sshExposureLimit: z
      .strictObject(
        { ipv4: exposureLimitText("ipv4"), ipv6: exposureLimitText("ipv6") },
        section("firewall.sshExposureLimit"),
      )
      .optional(),
  },
  section("firewall"),
);

/**
 * One backing service: a DigitalOcean managed database cluster the stack creates, or (with
 * `cluster`) a database and user on an existing one, as review stacks get on their base's.
 */
const service = z.strictObject(
  {
    engine: z.enum(Object.keys(rules.SERVICE_ENGINES) as [rules.ServiceEngine], {
      error: `must be one of ${Object.keys(rules.SERVICE_ENGINES).join(", ")}`,
    }),
    /** Checked against the engine in `stackSchema`; default the engine's newest. */
    version: z
      .preprocess(
        (v) => (typeof v === "number" ? String(v) : v),
        z.string({ error: "must be a version such as 17" }),
      )
      .optional(),
    size: text(
      rules.DATABASE_SIZE,
      "a DigitalOcean database size slug such as db-s-1vcpu-1gb",
    ).optional(),
    /** A primary and up to two standbys. */
    nodes: integer(1, 3).optional(),
    /** The API's environment variable holding the connection string (a secret). */
    envName: text(rules.ENV_NAME, "an environment variable name such as DATABASE_URL").optional(),
    /** An existing cluster to attach to instead of creating one. */
    cluster: text(rules.CLUSTER_NAME, "a DigitalOcean database cluster name").optional(),
  },
  section("service"),
);

/** Every top-level key and its schema; the order is the order of error lines. */
export const topLevel = {
  region: z.enum(rules.REGIONS, { error: `must be one of ${rules.REGIONS.join(", ")}` }),
  domain: text(rules.DOMAIN, "a DNS zone such as example.com"),
  hosts: list(text(rules.HOST, "@ or a host name relative to the zone, such as api"), "hosts").min(
    1,
    {
      error: "must list at least one host",
    },
  ),
  dnsTtl: integer(30, 86400).default(300),
  droplet,
  app,
  proxy: proxy.default({ clientMaxBodySize: "10m", readTimeoutSeconds: 60, tls: { mode: "off" } }),
  firewall: firewall.default({}),
  loadBalancer: loadBalancer.default({ sizeUnit: 1 }),
  alerts: alerts.optional(),
  protect: flag().optional(),
  services: z
    .record(z.string(), service, { error: "must be a map of service names to service settings" })
    .default({}),
  tags: list(text(rules.TAG, "a DigitalOcean tag (letters, digits, : - _)"), "tags").default([]),
  sshPrivateKey: z
    .string({ error: "must be an SSH private key (set it with --secret)" })
    .regex(/^-----BEGIN [A-Z ]*PRIVATE KEY-----/, {
      error: "must be an SSH private key in PEM or OpenSSH format",
    }),
};

/** Top-level keys whose value is text as given (never parsed as JSON). */
export const TEXT_KEYS = new Set(["region", "domain", "sshPrivateKey"]);
/** Config paths whose values are secrets: never printed, wrapped in `pulumi.secret`. */
export const SECRET_PATHS = [
  /^app\.secretEnv(\.|\[|$)/,
  /^sshPrivateKey$/,
  /^alerts\.slackWebhook$/,
  /^proxy\.tls\.privateKey$/,
];

const base = z.strictObject(topLevel);
export type RawStackConfig = z.infer<typeof base>;

type Loose = Record<string, unknown>;
const asSection = (value: unknown): Loose =>
  typeof value === "object" && value !== null && !Array.isArray(value) ? (value as Loose) : {};
const strings = (value: unknown): (string | undefined)[] =>
  Array.isArray(value) ? value.map((v) => (typeof v === "string" ? v : undefined)) : [];
/** A number the field's own check accepted, or `fallback`: the raw value may be any JSON at all. */
const numberOr = (value: unknown, fallback: number): number =>
  typeof value === "number" ? value : fallback;

/**
 * The schema for one stack, with the rules that depend on the stack name and on several keys.
 * Those rules run even when a field has a type error (`when`), so one run reports every problem;
 * they therefore read the data defensively.
 */
export function stackSchema(stack: string, secretKeys: ReadonlySet<string> = new Set()) {
  const production = stack === rules.PRODUCTION_STACK;
  return base.superRefine(
    (data, ctx) => {
      const fail = (path: (string | number)[], message: string) =>
        ctx.addIssue({ code: "custom", path, message });
      const c = data as unknown as Loose;
      // A stack's own tags: `dropstack-<stack>` is what firewalls (a database's too) admit by.
      strings(c.tags).forEach((tag, i) => {
        if (tag !== undefined && /^dropstack(-|$)/.test(tag))
          fail(["tags", i], "must not start with dropstack (dropstack sets its own tags)");
      });
      const hosts = strings(c.hosts);
      duplicateProblems(hosts, ["hosts"], fail);
      const app = asSection(c.app);
      if (app.image !== undefined && app.build !== undefined) {
        fail(["app", "build"], "must not be set together with app.image (choose one)");
      }
      if (app.image === undefined && app.registry === undefined && app === c.app) {
        fail(["app", "registry"], "is required to push the built image (or set app.image instead)");
      }
      const env = asSection(app.env);
      for (const map of ["env", "secretEnv"] as const) {
        for (const name of Object.keys(asSection(app[map]))) {
          if (!rules.ENV_NAME.test(name))
            fail(["app", map, name], "is not a valid environment variable name");
          else if (rules.RESERVED_ENV_NAMES.includes(name as never)) {
            fail(["app", map, name], "is set by dropstack itself (use app.port or app.release)");
          } else if (map === "secretEnv" && Object.hasOwn(env, name)) {
            fail(["app", map, name], `is also set in app.env.${name} (keep one)`);
          }
        }
      }
      serviceProblems(asSection(c.services), app, fail);
      containerProblems(asSection(c.droplet).size, app, fail);
      for (const name of Object.keys(asSection(app.processes))) {
        if (!rules.PROCESS_NAME.test(name))
          fail(
            ["app", "processes", name],
            "must be a lower-case name of letters, digits and dashes (at most 31)",
          );
        else if (rules.RESERVED_PROCESS_NAMES.includes(name as never))
          fail(
            ["app", "processes", name],
            `is a name dropstack uses itself (${rules.RESERVED_PROCESS_NAMES.join(", ")})`,
          );
      }
      const tls = asSection(asSection(c.proxy).tls);
      if (tls.mode === "letsencrypt" && tls.email === undefined) {
        fail(["proxy", "tls", "email"], "is required with proxy.tls.mode letsencrypt");
      }
      if (tls.mode !== "letsencrypt" && tls.email !== undefined) {
        fail(["proxy", "tls", "email"], "is only used with proxy.tls.mode letsencrypt");
      }
      for (const key of ["certificate", "privateKey"] as const) {
        if (tls.mode === "custom" && tls[key] === undefined) {
          fail(["proxy", "tls", key], "is required with proxy.tls.mode custom");
        } else if (tls.mode !== "custom" && tls[key] !== undefined) {
          fail(["proxy", "tls", key], "is only used with proxy.tls.mode custom");
        }
      }
      if (tls.mode === "custom" && tls.privateKey !== undefined && !secretKeys.has("proxy")) {
        fail(
          ["proxy", "tls", "privateKey"],
          "must be set with --secret (pulumi config set --secret --path dropstack:proxy.tls.privateKey < key.pem)",
        );
      }
      if (tls.mode === "custom" && typeof tls.certificate === "string") {
        const key = typeof tls.privateKey === "string" ? tls.privateKey : SECRET_MASK;
        const domain = typeof c.domain === "string" ? c.domain : undefined;
        const names = domain
          ? hosts.flatMap((h) => (h === undefined ? [] : [fqdn(h, domain)]))
          : [];
        for (const problem of certificateProblems(
          tls.certificate,
          key === SECRET_MASK ? undefined : key,
          names,
          new Date(),
        )) {
          fail(["proxy", "tls", problem.key], problem.message);
        }
      }
      const balanced = numberOr(asSection(c.droplet).count, 1) > 1;
      if (tls.server !== undefined && tls.mode !== "letsencrypt") {
        fail(["proxy", "tls", "server"], "is only used with proxy.tls.mode letsencrypt");
      } else if (tls.server !== undefined && tls.server !== "letsencrypt" && balanced) {
        fail(
          ["proxy", "tls", "server"],
          "must be letsencrypt with droplet.count > 1 (DigitalOcean issues the load balancer's certificate from Let's Encrypt)",
        );
      }
      const readTimeout = numberOr(asSection(c.proxy).readTimeoutSeconds, 0);
      if (balanced && readTimeout > 600) {
        fail(
          ["proxy", "readTimeoutSeconds"],
          "must be at most 600 with droplet.count > 1 (the load balancer's longest idle timeout)",
        );
      }
      if (c.alerts !== undefined) {
        const alerts = asSection(c.alerts);
        if (alerts.slackWebhook !== undefined && !secretKeys.has("alerts")) {
          fail(
            ["alerts", "slackWebhook"],
            "must be set with --secret (pulumi config set --secret --path dropstack:alerts.slackWebhook …)",
          );
        }
        const emails = alerts.emails;
        const noEmails = emails === undefined || (Array.isArray(emails) && emails.length === 0);
        if (noEmails && alerts.slackWebhook === undefined) {
          fail(["alerts", "emails"], "must list at least one address (or set alerts.slackWebhook)");
        }
        if (alerts.slackWebhook !== undefined && alerts.slackChannel === undefined) {
          fail(["alerts", "slackChannel"], "is required with alerts.slackWebhook");
        }
        const monitoring = asSection(c.droplet).monitoring;
        if (monitoring === false || monitoring === "false") {
          fail(
            ["droplet", "monitoring"],
            "must be true when alerts are set (CPU, memory and disk alerts need the metrics agent)",
          );
        }
      }
      if (production) {
        if (asSection(c.proxy).tls === undefined || tls.mode === "off") {
          fail(
            ["proxy", "tls", "mode"],
            "must be letsencrypt or custom in production (every public endpoint serves HTTPS)",
          );
        }
        const ssh = asSection(c.firewall).sshSourceAddresses;
        if (ssh === undefined || (Array.isArray(ssh) && ssh.length === 0)) {
          fail(
            ["firewall", "sshSourceAddresses"],
            "is required in production (the CIDRs allowed to reach port 22)",
          );
        }
        const cidrs = strings(ssh).filter((cidr) => cidr !== undefined && rules.isCidr(cidr));
        strings(ssh).forEach((cidr, i) => {
          if (cidr !== undefined && rules.isCidr(cidr) && rules.isAnywhere(cidr)) {
            fail(
              ["firewall", "sshSourceAddresses", i],
              "must not open SSH to the whole internet in production",
            );
          }
        });
        // What the rest admit together: pieces may cover as much as one /0 does.
        const limit = exposureLimit(asSection(asSection(c.firewall).sshExposureLimit));
        const pieces = (cidrs as string[]).filter((cidr) => !rules.isAnywhere(cidr));
        for (const problem of sshExposureProblems(pieces, limit))
          fail(["firewall", "sshSourceAddresses"], problem);
      }
    },
    { when: () => true },
  );
}

type Fail = (path: (string | number)[], message: string) => void;

/** app.container against the droplet size, once both are well-formed (their own checks say otherwise). */
function containerProblems(size: unknown, app: Loose, fail: Fail): void {
  const given = asSection(app.container);
  const slug = size ?? DEFAULT_DROPLET_SIZE;
  if (typeof slug !== "string" || !rules.DROPLET_SIZE.test(slug)) return;
  // A value its field refuses has its own message already: judged as if it were not given.
  const memory = container.shape.memory.safeParse(given.memory);
  const cpus = container.shape.cpus.safeParse(given.cpus);
  const settings = {
    memory: memory.success ? memory.data : undefined,
    cpus: cpus.success ? cpus.data : undefined,
  };
  const limits = containerLimits(slug, Object.keys(asSection(app.processes)).length, settings);
  if ("problems" in limits)
    for (const { key, message } of limits.problems)
      if (given[key] === undefined || settings[key as keyof typeof settings] !== undefined)
        fail(["app", "container", key], message);
  duplicateProblems(strings(given.tmpfs), ["app", "container", "tmpfs"], fail);
}

/** Each item of a list at `key` that an earlier one already holds, named by that one's index. */
function duplicateProblems(items: (string | undefined)[], key: string[], fail: Fail): void {
  items.forEach((item, i) => {
    const first = items.indexOf(item);
    if (item !== undefined && first !== i)
      fail([...key, i], `duplicates ${key.join(".")}[${first}]`);
  });
}

/** The rules of `services` that span a service's keys, other services and app's environment. */
function serviceProblems(services: Loose, app: Loose, fail: Fail): void {
  const taken = new Map<string, string>();
  for (const name of [...Object.keys(asSection(app.env)), ...Object.keys(asSection(app.secretEnv))])
    taken.set(name, `app's environment (app.env or app.secretEnv)`);
  for (const [name, value] of Object.entries(services)) {
    if (!rules.SERVICE_NAME.test(name)) {
      fail(
        ["services", name],
        "must be named with a lower-case letter, then letters, digits and dashes (at most 30)",
      );
      continue;
    }
    const s = asSection(value);
    const engine = s.engine as rules.ServiceEngine;
    if (!Object.hasOwn(rules.SERVICE_ENGINES, engine)) continue;
    const versions = rules.SERVICE_VERSIONS[engine];
    if (typeof s.version === "string" && !versions.includes(s.version))
      fail(
        ["services", name, "version"],
        `must be one of ${versions.join(", ")} for engine ${engine}`,
      );
    if (s.cluster !== undefined)
      for (const key of rules.CLUSTER_SETTINGS)
        if (s[key] !== undefined)
          fail(
            ["services", name, key],
            `is only used for a cluster the stack creates (not with services.${name}.cluster)`,
          );
    // "Standby nodes are only supported for plans with 2 GB of RAM or more" (DigitalOcean's docs,
    // products/databases/postgresql/how-to/add-standby-nodes).
    if (
      [2, 3].includes(Number(s.nodes)) &&
      (s.size ?? rules.DEFAULT_DATABASE_SIZE) === rules.DEFAULT_DATABASE_SIZE
    )
      fail(
        ["services", name, "nodes"],
        `must be 1 on ${rules.DEFAULT_DATABASE_SIZE} (standby nodes need a plan with 2 GB or more)`,
      );
    const envName = typeof s.envName === "string" ? s.envName : rules.SERVICE_ENV_NAMES[engine];
    if (rules.RESERVED_ENV_NAMES.includes(envName as never))
      fail(["services", name, "envName"], `${envName} is set by dropstack itself`);
    else if (taken.has(envName))
      fail(
        ["services", name, "envName"],
        `${envName} is also set by ${taken.get(envName)} (set services.${name}.envName to another name)`,
      );
    else taken.set(envName, `services.${name}`);
  }
}
