/** Review stacks: derived config (pure), and the plan of review-pr-42 built from it. */
import {
  deriveReviewConfig,
  expiryOf,
  expiryTag,
  parseStackConfig,
  reviewPullRequest,
  reviewStackName,
} from "../../config";
import { T, committedStack, one, planStack } from "../helpers/planHelpers";

const NOW = new Date("2026-11-23T10:00:00Z");
const base = committedStack("staging").config;
const json = (config: Record<string, string>, key: string) =>
  JSON.parse(config[`dropstack:${key}`]);

test("stack names: review-pr-<N> only", () => {
  expect(reviewStackName(42)).toBe("review-pr-42");
  expect(reviewPullRequest("review-pr-42")).toBe(42);
  for (const name of ["staging", "review-pr-0", "review-pr-", "review-pr-42x", "x-review-pr-1"]) {
    expect(reviewPullRequest(name)).toBeUndefined();
  }
});

test("expiry tags: yyyymmdd in UTC, read back as a date", () => {
  expect(expiryTag(NOW, 3)).toBe("expires-20261126");
  expect(expiryTag(new Date("2026-12-30T23:00:00Z"), 3)).toBe("expires-20270102");
  expect(expiryOf(["review", "expires-20261126"])?.toISOString()).toBe("2026-11-26T00:00:00.000Z");
  expect(expiryOf(["review"])).toBeUndefined();
});

test("derived from staging: one small droplet, unprotected, no backups, review tags, pr host", () => {
  const config = deriveReviewConfig(base, { pr: 42, now: NOW });
  expect(json(config, "hosts")).toEqual(["pr-42.review"]);
  expect(json(config, "droplet")).toMatchObject({
    size: "s-1vcpu-512mb-10gb",
    count: 1,
    backups: false,
  });
  expect(json(config, "droplet").sshKeys).toEqual(json(base, "droplet").sshKeys);
  expect(config["dropstack:protect"]).toBe("false");
  expect(json(config, "tags")).toEqual(["review", "pr-42", "expires-20261126"]);
  // Everything else is staging's: the same zone, registry, app and firewall.
  for (const key of ["domain", "region"])
    expect(config[`dropstack:${key}`]).toBe(base[`dropstack:${key}`]);
  // A built image is pushed under app.release, so a review stack gets its own label.
  expect(json(config, "app")).toEqual({ ...json(base, "app"), release: "pr-42" });
  expect(() => parseStackConfig("review-pr-42", config)).not.toThrow();
});

test("several base hosts keep a per-host prefix; the ttl is configurable", () => {
  const config = deriveReviewConfig(
    { ...base, "dropstack:hosts": JSON.stringify(["@", "api", "api.eu"]) },
    { pr: 7, now: NOW, ttlDays: 10 },
  );
  expect(json(config, "hosts")).toEqual([
    "apex.pr-7.review",
    "api.pr-7.review",
    "api-eu.pr-7.review",
  ]);
  expect(json(config, "tags")).toContain("expires-20261203");
});

test("values from a Pulumi.review-pr-<N>.yaml override the derived ones, objects key by key", () => {
  const config = deriveReviewConfig(base, {
    pr: 42,
    now: NOW,
    overrides: {
      "dropstack:droplet": JSON.stringify({ size: "s-1vcpu-1gb" }),
      "dropstack:hosts": JSON.stringify(["demo"]),
    },
  });
  expect(json(config, "droplet")).toMatchObject({ size: "s-1vcpu-1gb", count: 1, backups: false });
  expect(json(config, "hosts")).toEqual(["demo"]);
});

test("a review's own file keeps its settings of a base service and adds services of its own", () => {
  const withServices = {
    ...base,
    "dropstack:services": JSON.stringify({ db: { engine: "postgres", size: "db-s-2vcpu-4gb" } }),
  };
  const config = deriveReviewConfig(withServices, {
    pr: 42,
    now: NOW,
    overrides: {
      "dropstack:services": JSON.stringify({
        db: { envName: "PRIMARY_DATABASE_URL" },
        search: { engine: "postgres", cluster: "shared-search" },
      }),
    },
  });
  expect(json(config, "services")).toEqual({
    db: { engine: "postgres", envName: "PRIMARY_DATABASE_URL", cluster: "staging-db" },
    search: { engine: "postgres", cluster: "shared-search" },
  });
  // A cluster setting of its own on an attached service is refused by name, not dropped.
  const resized = deriveReviewConfig(withServices, {
    pr: 42,
    now: NOW,
    overrides: { "dropstack:services": JSON.stringify({ db: { size: "db-s-4vcpu-8gb" } }) },
  });
  expect(() => parseStackConfig("review-pr-42", resized)).toThrow(
    /dropstack:services\.db\.size: is only used for a cluster the stack creates/,
  );
});

test("overridden tags add to the review tags and never drop the expiry", () => {
  const config = deriveReviewConfig(base, {
    pr: 42,
    now: NOW,
    overrides: { "dropstack:tags": JSON.stringify(["team-api", "expires-20200101"]) },
  });
  expect(json(config, "tags")).toEqual(["team-api", "review", "pr-42", "expires-20261126"]);
});

test("a base that pins app.image keeps its release label", () => {
  const app = { ...json(base, "app"), image: "ghcr.io/acme/api:1.4.2", build: undefined };
  const config = deriveReviewConfig(
    { ...base, "dropstack:app": JSON.stringify(app) },
    { pr: 3, now: NOW },
  );
  expect(json(config, "app").release).toBe(app.release);
});

describe("HTTPS of a review stack", () => {
  const withTls = (tls: Record<string, unknown>) => ({
    ...base,
    "dropstack:proxy": JSON.stringify({ ...json(base, "proxy"), tls }),
  });
  const derivedTls = (config: Record<string, string>) =>
    parseStackConfig("review-pr-42", deriveReviewConfig(config, { pr: 42, now: NOW })).proxy.tls;
  const LETSENCRYPT = { mode: "letsencrypt", email: "ops@example.com" };

  test("as on staging, from Let's Encrypt's staging directory", () => {
    expect(json(base, "proxy").tls).toEqual(LETSENCRYPT);
    expect(derivedTls(base)).toEqual({ ...LETSENCRYPT, server: "letsencrypt-staging" });
    // Even when the base names Let's Encrypt's production directory outright.
    expect(derivedTls(withTls({ ...LETSENCRYPT, server: "letsencrypt" })).server).toBe(
      "letsencrypt-staging",
    );
  });

  test("another ACME server of the base is kept; a base without TLS stays without", () => {
    const own = "https://acme.internal.example/directory";
    expect(derivedTls(withTls({ ...LETSENCRYPT, server: own })).server).toBe(own);
    expect(derivedTls(withTls({ mode: "off" })).mode).toBe("off");
  });

  test("its own stack file may ask for Let's Encrypt's production, or turn HTTPS off", () => {
    const derive = (tls: Record<string, unknown>) =>
      parseStackConfig(
        "review-pr-42",
        deriveReviewConfig(base, {
          pr: 42,
          now: NOW,
          overrides: { "dropstack:proxy": JSON.stringify({ tls }) },
        }),
      ).proxy.tls;
    expect(derive({ server: "letsencrypt" }).server).toBe("letsencrypt");
    expect(derive({ mode: "off" })).toEqual({ mode: "off", server: "letsencrypt-staging" });
  });
});

describe("the plan of review-pr-42", () => {
  let plan: Awaited<ReturnType<typeof planStack>>;
  beforeAll(async () => {
    plan = await planStack("review-pr-42");
  });

  test("creates none of the shared things: zone, registry, SSH keys", () => {
    const types = new Set(plan.resources.map((r) => r.type));
    for (const shared of [
      "digitalocean:index/domain:Domain",
      "digitalocean:index/containerRegistry:ContainerRegistry",
      "digitalocean:index/sshKey:SshKey",
    ]) {
      expect(types.has(shared)).toBe(false);
    }
    expect(types.has(T.droplet)).toBe(true);
  });

  test("every resource it creates carries the review name, and its droplet the review tags", () => {
    for (const r of plan.resources) expect(r.name.startsWith("review-pr-42")).toBe(true);
    const [droplet] = plan.resources.filter((r) => r.type === T.droplet);
    expect(droplet.inputs.tags).toEqual(
      expect.arrayContaining(["review", "pr-42", expect.stringMatching(/^expires-\d{8}$/)]),
    );
    expect(plan.resources.filter((r) => r.protect)).toEqual([]);
  });

  test("serves HTTPS with a certificate from Let's Encrypt's staging directory", () => {
    const certbot = one(plan, T.command, "review-pr-42-web-1-certificate-certbot");
    expect(String(certbot.inputs.create)).toContain(
      "--server 'https://acme-staging-v02.api.letsencrypt.org/directory'",
    );
    expect(String(certbot.inputs.create)).toContain("--domain 'pr-42.review.example.com'");
  });
});
