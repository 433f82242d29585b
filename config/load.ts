/**
 * Builds the one typed, validated StackConfig from Pulumi's config map. `parseStackConfig` is pure
 * (tests and the offline plan call it directly); `loadStackConfig` reads the running stack's config.
 */
import * as pulumi from "@pulumi/pulumi";
import { z } from "zod";
import { decodeConfigValue } from "./configMap";
import { ConfigError, FormatOptions, NAMESPACE, formatIssues } from "./errors";
import { reviewPullRequest } from "./review";
import {
  DEFAULT_DATABASE_SIZE,
  PRODUCTION_STACK,
  SERVICE_ENV_NAMES,
  SERVICE_VERSIONS,
  ServiceEngine,
} from "./rules";
import { RawStackConfig, SECRET_PATHS, TEXT_KEYS, stackSchema, topLevel } from "./schema";

/** Where the API's image comes from: a given reference, or a build pushed to a DO registry. */
export type ImageSource =
  /** A given reference; with `registry`, a DigitalOcean registry's image (pulled read-only). */
  | { kind: "image"; image: string; registry?: string }
  | { kind: "build"; context: string; registry: string };

/** Everything one stack needs, validated; secrets stay `Output` secrets. */
export interface StackConfig {
  readonly stack: string;
  readonly production: boolean;
  readonly region: RawStackConfig["region"];
  readonly domain: string;
  readonly hosts: string[];
  readonly dnsTtl: number;
  readonly droplet: RawStackConfig["droplet"];
  readonly app: Omit<RawStackConfig["app"], "image" | "build" | "registry" | "secretEnv"> & {
    readonly source: ImageSource;
    /** True when app.env may hold a value set with --secret: its env file is then a secret. */
    readonly envIsSecret: boolean;
    readonly secretEnv: Record<string, pulumi.Output<string>>;
  };
  readonly proxy: Omit<RawStackConfig["proxy"], "tls"> & {
    readonly tls: Omit<RawStackConfig["proxy"]["tls"], "privateKey"> & {
      /** Always set: letsencrypt unless the stack says otherwise (letsencrypt-staging for reviews). */
      readonly server: string;
      /** mode custom: the certificate's key, a secret. */
      readonly privateKey?: pulumi.Output<string>;
    };
  };
  readonly firewall: { readonly sshSourceAddresses: string[] };
  readonly loadBalancer: RawStackConfig["loadBalancer"];
  /** Absent: the stack creates no alerts or uptime checks. */
  readonly alerts?: Alerts;
  readonly protect: boolean;
  /** Backing services, each with its defaults filled in; empty when the stack has none. */
  readonly services: Service[];
  readonly tags: string[];
  readonly sshPrivateKey: pulumi.Output<string>;
}

/** Alert settings; where they go is one secret when the config holds the Slack webhook. */
export type Alerts = Omit<
  NonNullable<RawStackConfig["alerts"]>,
  "emails" | "slackWebhook" | "slackChannel"
> & {
  readonly notify: pulumi.Output<Notify>;
};

/** A backing service: a cluster the stack creates, or a database on an existing `cluster`. */
export interface Service {
  readonly name: string;
  readonly engine: ServiceEngine;
  /** The API's environment variable that carries the connection string, a secret. */
  readonly envName: string;
  readonly create?: { readonly version: string; readonly size: string; readonly nodes: number };
  /** The existing cluster's name, when the stack attaches to one instead of creating it. */
  readonly cluster?: string;
}

/** Who hears an alert: the shape both MonitorAlert and UptimeAlert take. */
export interface Notify {
  readonly emails: string[];
  readonly slacks: { channel: string; url: string }[];
}

/** Where `app.build` points when neither `app.image` nor `app.build` is set. */
export const DEFAULT_BUILD_CONTEXT = "./app";
/** SSH stays reachable from anywhere outside production unless a stack narrows it. */
const OPEN_SSH = ["0.0.0.0/0", "::/0"];

/** A config value as the schema sees it; text keys stay text even when they look like JSON. */
function decode(key: string, value: string): unknown {
  return TEXT_KEYS.has(key) ? value : decodeConfigValue(value);
}

type SchemaNode = {
  shape?: Record<string, unknown>;
  _zod?: {
    def?: { type?: string; innerType?: unknown; in?: unknown; out?: unknown; valueType?: unknown };
  };
};

/** The schema under defaults, optionals and preprocessing. */
function unwrap(schema: unknown): SchemaNode | undefined {
  let node = schema as SchemaNode | undefined;
  while (node && !node.shape && node._zod?.def?.type !== "record" && node._zod?.def) {
    const def = node._zod.def;
    node = (def.innerType ?? def.out ?? def.in) as SchemaNode | undefined;
  }
  return node;
}

/** The valid keys of the section at `path` (for "did you mean" hints), at any depth; a map's
 * entries (`services.<name>`) have the keys of its values. */
function keysAt(path: readonly PropertyKey[]): string[] {
  let node: SchemaNode | undefined = { shape: topLevel };
  for (const key of path) {
    const record = node?._zod?.def?.type === "record" ? node._zod.def.valueType : undefined;
    node = unwrap(record ?? node?.shape?.[String(key)]);
  }
  return node?.shape ? Object.keys(node.shape) : [];
}

/**
 * Validates a stack's config map (`dropstack:key` → string, as Pulumi passes it).
 * @param secretKeys config keys Pulumi holds as secrets; their values are never printed.
 * @throws ConfigError with one line per problem.
 */
export function parseStackConfig(
  stack: string,
  config: Record<string, string>,
  secretKeys: readonly string[] = [],
): StackConfig {
  // fromEntries makes own properties, so even a key named __proto__ is just an unknown key.
  const prefix = `${NAMESPACE}:`;
  const raw: Record<string, unknown> = Object.fromEntries(
    Object.entries(config)
      .filter(([fullKey, value]) => fullKey.startsWith(prefix) && value !== undefined)
      .map(([fullKey, value]) => [
        fullKey.slice(prefix.length),
        decode(fullKey.slice(prefix.length), value),
      ]),
  );
  const secretTop = new Set(secretKeys.map((k) => k.replace(`${NAMESPACE}:`, "")));
  const options: FormatOptions = {
    raw,
    keysAt,
    isSecret: (path) =>
      secretTop.has(path.split(/[.[]/, 1)[0]) || SECRET_PATHS.some((re) => re.test(path)),
  };
  const result = stackSchema(stack, secretTop).safeParse(raw);
  if (!result.success) throw new ConfigError(formatIssues(result.error.issues, options));
  return resolve(stack, result.data, secretTop);
}

/**
 * @param secretTop top-level keys Pulumi holds as secrets. Pulumi marks the whole `dropstack:app`
 * key secret when any value in it was set with --secret; the program cannot tell which, so app.env
 * is then kept secret too.
 */
function resolve(
  stack: string,
  c: z.infer<ReturnType<typeof stackSchema>>,
  secretTop: ReadonlySet<string>,
): StackConfig {
  const production = stack === PRODUCTION_STACK;
  const { image, build, registry, secretEnv, ...app } = c.app;
  const source: ImageSource =
    image !== undefined
      ? { kind: "image", image, registry }
      : { kind: "build", context: build ?? DEFAULT_BUILD_CONTEXT, registry: registry as string };
  const ssh = c.firewall.sshSourceAddresses ?? [];
  return {
    ...c,
    stack,
    production,
    app: {
      ...app,
      source,
      envIsSecret: secretTop.has("app"),
      secretEnv: Object.fromEntries(
        Object.entries(secretEnv).map(([k, v]) => [k, pulumi.secret(v)]),
      ),
    },
    // A review stack that turns TLS on would otherwise spend the production rate limit (50
    // certificates per registered domain per week) on throwaway hosts.
    proxy: {
      ...c.proxy,
      tls: {
        ...c.proxy.tls,
        privateKey:
          c.proxy.tls.privateKey === undefined ? undefined : pulumi.secret(c.proxy.tls.privateKey),
        server:
          c.proxy.tls.server ??
          (reviewPullRequest(stack) === undefined ? "letsencrypt" : "letsencrypt-staging"),
      },
    },
    firewall: { sshSourceAddresses: ssh.length > 0 ? ssh : OPEN_SSH },
    alerts: c.alerts && resolveAlerts(c.alerts),
    protect: c.protect ?? production,
    services: Object.entries(c.services).map(([name, s]) => resolveService(name, s)),
    sshPrivateKey: pulumi.secret(c.sshPrivateKey),
  };
}

/** The cheapest single node of the engine's newest version unless the service says otherwise. */
function resolveService(name: string, s: RawStackConfig["services"][string]): Service {
  const envName = s.envName ?? SERVICE_ENV_NAMES[s.engine];
  if (s.cluster !== undefined) return { name, engine: s.engine, envName, cluster: s.cluster };
  const create = {
    version: s.version ?? SERVICE_VERSIONS[s.engine][0],
    size: s.size ?? DEFAULT_DATABASE_SIZE,
    nodes: s.nodes ?? 1,
  };
  return { name, engine: s.engine, envName, create };
}

/** The Slack webhook is a secret, and so is the whole notification target that carries it. */
function resolveAlerts(alerts: NonNullable<RawStackConfig["alerts"]>): Alerts {
  const { emails, slackWebhook, slackChannel, ...thresholds } = alerts;
  const slacks =
    slackWebhook === undefined ? [] : [{ channel: slackChannel as string, url: slackWebhook }];
  const notify: Notify = { emails, slacks };
  return {
    ...thresholds,
    notify: slackWebhook === undefined ? pulumi.output(notify) : pulumi.secret(notify),
  };
}

/** Config keys the running Pulumi engine marks as secret (not part of the SDK's typed surface). */
function secretConfigKeys(config: Record<string, string>): string[] {
  const runtime = pulumi.runtime as unknown as { isConfigSecret?: (key: string) => boolean };
  return Object.keys(config).filter((key) => runtime.isConfigSecret?.(key) ?? false);
}

/** The running stack's validated config. Throws ConfigError before any resource is declared. */
export function loadStackConfig(): StackConfig {
  const config = pulumi.runtime.allConfig();
  return parseStackConfig(pulumi.getStack(), config, secretConfigKeys(config));
}
