/**
 * Review stacks: `review-pr-<N>` needs no stack file. Its config is derived from a base stack
 * (staging by default) by one pure function; values in a `Pulumi.review-pr-<N>.yaml`, if any,
 * override the derived ones. Shared things (the DNS zone, the registry, SSH keys) are only
 * referenced, so destroying the stack removes only its own resources.
 */
import { decodeConfigValue, encodeConfigValue, qualifiedKey } from "./configMap";
import { NAMESPACE } from "./errors";
import { hostSlug } from "./names";
import { CLUSTER_SETTINGS, clusterNameOf } from "./rules";

export const REVIEW_BASE_STACK = "staging";
export const DEFAULT_REVIEW_TTL_DAYS = 3;
/** The smallest droplet DigitalOcean offers: a review environment is for looking, not load. */
export const REVIEW_DROPLET_SIZE = "s-1vcpu-512mb-10gb";
export const REVIEW_TAG = "review";

const REVIEW_STACK = /^review-pr-([1-9][0-9]{0,6})$/;

export function reviewStackName(pr: number): string {
  return `review-pr-${pr}`;
}

/** The pull request number of a review stack's name, or undefined for any other stack. */
export function reviewPullRequest(stack: string): number | undefined {
  const match = REVIEW_STACK.exec(stack);
  return match ? Number(match[1]) : undefined;
}

/** `expires-<yyyymmdd>`, `ttlDays` after `now` (UTC). */
export function expiryTag(now: Date, ttlDays: number): string {
  const expires = new Date(now.getTime() + ttlDays * 24 * 60 * 60 * 1000);
  return `expires-${expires.toISOString().slice(0, 10).replace(/-/g, "")}`;
}

/** The expiry date in a list of tags, if one is there. */
export function expiryOf(tags: readonly string[]): Date | undefined {
  const tag = tags.find((t) => /^expires-\d{8}$/.test(t));
  if (!tag) return undefined;
  const digits = tag.slice("expires-".length);
  return new Date(`${digits.slice(0, 4)}-${digits.slice(4, 6)}-${digits.slice(6, 8)}T00:00:00Z`);
}

type ConfigMap = Record<string, string>;
type Json = Record<string, unknown>;

function read(config: ConfigMap, key: string): unknown {
  const text = config[qualifiedKey(key)];
  return text === undefined ? undefined : decodeConfigValue(text);
}

function write(config: ConfigMap, key: string, value: unknown): void {
  config[qualifiedKey(key)] = encodeConfigValue(value);
}

/** Review hosts: `pr-<N>.review`, with a per-host prefix when the base has several hosts. */
export function reviewHosts(baseHosts: readonly string[], pr: number): string[] {
  const root = `pr-${pr}.review`;
  return baseHosts.length <= 1 ? [root] : baseHosts.map((host) => `${hostSlug(host)}.${root}`);
}

function isObject(value: unknown): value is Json {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/** Objects merge key by key; anything else in `over` replaces what `base` had. */
function deepMerge(base: unknown, over: unknown): unknown {
  if (!isObject(base) || !isObject(over)) return over;
  const merged: Json = { ...base };
  for (const [key, value] of Object.entries(over)) merged[key] = deepMerge(base[key], value);
  return merged;
}

export interface ReviewOptions {
  readonly pr: number;
  readonly now: Date;
  readonly ttlDays?: number;
  /** The stack file of the review stack, if it exists: its values win. */
  readonly overrides?: ConfigMap;
}

/**
 * The config map of `review-pr-<N>` from its base stack's (both as Pulumi passes config). Secret
 * keys of the base stay secret: the caller keeps their names.
 */
export function deriveReviewConfig(base: ConfigMap, options: ReviewOptions): ConfigMap {
  const { pr, now } = options;
  const config: ConfigMap = { ...base };
  const hosts = read(base, "hosts");
  write(config, "hosts", reviewHosts(Array.isArray(hosts) ? hosts.map(String) : [], pr));
  const droplet = isObject(read(base, "droplet")) ? (read(base, "droplet") as Json) : {};
  // No reserved IP: an account holds three by default, and production and staging need theirs.
  write(config, "droplet", {
    ...droplet,
    size: REVIEW_DROPLET_SIZE,
    count: 1,
    backups: false,
    reservedIp: false,
  });
  write(config, "protect", "false");
  // A short-lived stack gets no alerts (nobody should be paged for it), unless its own stack file
  // says otherwise.
  delete config[`${NAMESPACE}:alerts`];
  // HTTPS as on its base, so a review serves what staging serves. Its certificates come from Let's
  // Encrypt's staging directory (the default for review stacks, `resolve` in load.ts) even when
  // the base names Let's Encrypt's production: throwaway hosts would otherwise spend its rate
  // limit. Another ACME server the base names is kept. A base's own certificate (mode custom)
  // names the base's hosts, not `pr-<N>.review`: plain HTTP then. The review's own file may
  // override any of it.
  const proxy = isObject(read(base, "proxy")) ? (read(base, "proxy") as Json) : {};
  const tls: Json = isObject(proxy.tls) ? { ...proxy.tls } : { mode: "off" };
  if (tls.server === "letsencrypt") delete tls.server;
  write(config, "proxy", { ...proxy, tls: tls.mode === "letsencrypt" ? tls : { mode: "off" } });
  // A built image is pushed under app.release: a review stack must never push PR code under a
  // label (a tag in the shared registry) that staging or production use.
  const app = read(base, "app");
  if (isObject(app) && app.image === undefined)
    write(config, "app", { ...app, release: `pr-${pr}` });
  for (const [key, value] of Object.entries(options.overrides ?? {})) {
    const shortKey = key.slice(`${NAMESPACE}:`.length);
    if (!key.startsWith(`${NAMESPACE}:`)) config[key] = value;
    else
      write(
        config,
        shortKey,
        deepMerge(read(config, shortKey), read(options.overrides!, shortKey)),
      );
  }
  // A `proxy.tls` of the own file that names its mode replaces the derived one whole: the other
  // keys belong to a mode (an email kept from staging would be refused with mode off).
  const ownTls = read(options.overrides ?? {}, "proxy");
  if (isObject(ownTls) && isObject(ownTls.tls) && ownTls.tls.mode !== undefined) {
    write(config, "proxy", { ...(read(config, "proxy") as Json), tls: ownTls.tls });
  }
  // No cluster of its own (one per pull request would cost what staging's does, and take minutes
  // to create): a database and user on each of the base's, which the base's firewall opens to
  // review droplets (components/Environment.ts). The base cluster's own settings are dropped (an
  // attached service may not set them); the review's own file then merges on top, so a setting of
  // its own (an envName) stays, a cluster setting there is refused by name, and a service only
  // the own file declares is as it wrote it. A service already attached stays as it is.
  const baseServices = read(base, "services");
  const ownServices = read(options.overrides ?? {}, "services");
  if (isObject(baseServices) || isObject(ownServices)) {
    const attached = Object.entries(isObject(baseServices) ? baseServices : {}).map(
      ([name, value]) => {
        const s = isObject(value) ? value : {};
        if (s.cluster !== undefined) return [name, s] as const;
        const kept = Object.fromEntries(
          Object.entries(s).filter(([key]) => !CLUSTER_SETTINGS.includes(key as never)),
        );
        return [name, { ...kept, cluster: clusterNameOf(REVIEW_BASE_STACK, name) }] as const;
      },
    );
    write(config, "services", deepMerge(Object.fromEntries(attached), ownServices ?? {}));
  }
  // The review tags come last, so an override of `tags` adds to them and never drops the expiry.
  const tags = read(config, "tags");
  const ownTags = (Array.isArray(tags) ? tags.map(String) : []).filter(
    (t) => t !== REVIEW_TAG && !/^pr-\d+$/.test(t) && !/^expires-/.test(t),
  );
  const expiry = expiryTag(now, options.ttlDays ?? DEFAULT_REVIEW_TTL_DAYS);
  write(config, "tags", [...ownTags, REVIEW_TAG, `pr-${pr}`, expiry]);
  return config;
}
