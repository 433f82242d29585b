/**
 * `services` under the recording mocks: each backing service's resources and inputs, its
 * connection string reaching the API only as a secret, review stacks attaching to their base's
 * clusters instead of creating their own, and nothing else of a stack changing.
 */
import { createHash } from "node:crypto";
import { postgresUrl } from "../../components/BackingService";
import { deriveReviewConfig } from "../../config";
import { planJson, plannedFiles, planTree } from "../../tools/plan/planOutput";
import { isSecretWrapper, revealSecrets } from "../../tools/plan/mockSecrets";
import { T, committedStack, only, one, planStack, withConfig } from "../helpers/planHelpers";

const SERVICES = {
  services: { db: { engine: "postgres", version: "16" }, cache: { engine: "redis-compatible" } },
};
type Plan = Awaited<ReturnType<typeof planStack>>;
const byName = (plan: Plan, type: string) =>
  Object.fromEntries(only(plan, type).map((r) => [r.name, r]));

describe("staging with a database and a cache", () => {
  let plan: Plan;
  beforeAll(async () => {
    plan = await planStack("staging", withConfig(committedStack("staging"), SERVICES));
  });

  test("each service is a managed cluster in the stack's region, tagged with the stack", () => {
    const clusters = byName(plan, T.databaseCluster);
    expect(Object.keys(clusters).sort()).toEqual(["staging-cache-cluster", "staging-db-cluster"]);
    expect(clusters["staging-db-cluster"].inputs).toMatchObject({
      name: "staging-db",
      engine: "pg",
      version: "16",
      size: "db-s-1vcpu-1gb",
      nodeCount: 1,
      region: "fra1",
      tags: ["dropstack-staging"],
    });
    expect(clusters["staging-cache-cluster"].inputs).toMatchObject({
      engine: "valkey",
      version: "8",
    });
    expect(clusters["staging-db-cluster"].protect).toBeFalsy();
  });

  test("each cluster's firewall admits the stack's droplets and, on the review base, review droplets only", () => {
    const firewalls = only(plan, T.databaseFirewall);
    expect(firewalls.map((f) => f.name).sort()).toEqual([
      "staging-cache-firewall",
      "staging-db-firewall",
    ]);
    for (const firewall of firewalls)
      expect(firewall.inputs.rules).toEqual([
        { type: "tag", value: "dropstack-staging" },
        { type: "tag", value: "review" },
      ]);
    expect(one(plan, T.tag, "staging-review-tag").inputs.name).toBe("review");
  });

  test("the database goes before its user: the user's tables and grant live in it, and a role that holds any cannot be dropped", () => {
    expect(one(plan, T.databaseDb, "staging-db-database").dependsOn).toContain("staging-db-user");
  });

  test("PostgreSQL gets a database and a user of the app's own; the cache has neither", () => {
    expect(only(plan, T.databaseDb).map((r) => [r.name, r.inputs.name])).toEqual([
      ["staging-db-database", "api"],
    ]);
    expect(only(plan, T.databaseUser).map((r) => [r.name, r.inputs.name])).toEqual([
      ["staging-db-user", "api"],
    ]);
  });

  test("the connection strings reach the API's secret env file, never the plain one", () => {
    const secretEnv = only(plan, T.command).filter((c) => c.name.endsWith("secret-env-install"));
    expect(secretEnv).toHaveLength(1);
    const stdin = String(revealSecrets(secretEnv[0].inputs.stdin));
    const password = [...plan.mocks.computed].find((v) => v.startsWith("pw-"))!;
    expect(stdin).toContain(
      `DATABASE_URL=postgresql://api:${password}@private-staging-db.db.ondigitalocean.com:25060/api?sslmode=require`,
    );
    expect(stdin).toMatch(/^REDIS_URL=rediss:\/\/default:doadmin-\w+@private-staging-cache\./m);
    const plain = plannedFiles(plan).find((f) => f.path === "staging-web-1/env/api.env")!;
    expect(plain.content).not.toMatch(/DATABASE_URL|REDIS_URL/);
  });

  test("no password or connection string in the tree, the JSON or any file --out writes", () => {
    const secrets = [...plan.mocks.computed].filter((v) => /^(pw|doadmin)-/.test(v));
    expect(secrets).toHaveLength(3); // the user's, and each cluster's admin
    const texts = [planTree(plan), JSON.stringify(planJson(plan))];
    for (const file of plannedFiles(plan)) texts.push(file.content);
    for (const text of texts) for (const secret of secrets) expect(text).not.toContain(secret);
  });

  test("the first droplet grants the app's user schema public, as the cluster's admin, before its first release", () => {
    const grants = only(plan, T.command).filter((c) => c.name.endsWith("-grant-run"));
    // PostgreSQL only: the cache has no schemas.
    expect(grants.map((g) => g.name)).toEqual(["staging-web-1-db-grant-run"]);
    const grant = grants[0];
    expect(String(grant.inputs.create)).toContain(
      'GRANT USAGE, CREATE ON SCHEMA public TO :"role";',
    );
    // Credentials on stdin, a secret; never on a command line.
    expect(isSecretWrapper(grant.inputs.stdin)).toBe(true);
    const admin = [...plan.mocks.computed].find((v) => v.startsWith("doadmin-"))!;
    const lines = String(revealSecrets(grant.inputs.stdin)).split("\n");
    expect(lines).toEqual([
      "private-staging-db.db.ondigitalocean.com",
      "25060",
      "doadmin",
      expect.stringMatching(/^doadmin-\w+$/),
      "api",
      "api",
      "",
    ]);
    expect(admin).toMatch(/^doadmin-/);
    expect(String(grant.inputs.create)).not.toContain(lines[3]);
    // A new database or user is granted again; nothing else re-runs it.
    expect(grant.inputs.triggers).toEqual(["api", "api"]);
    expect(one(plan, T.command, "staging-web-1-api-release-run").dependsOn).toContain(grant.name);
    // It may install psql with the apt-get wrapper an old droplet gets from its bootstrap upgrade.
    expect(grant.dependsOn).toContain("staging-web-1-bootstrap-upgrade");
  });

  test("the droplets' user data is the same as without services (no droplet is replaced)", async () => {
    const without = await planStack("staging");
    const userData = (p: Plan) => only(p, T.droplet).map((d) => revealSecrets(d.inputs.userData));
    expect(userData(plan)).toEqual(userData(without));
  });
});

test("production protects each cluster, its firewall, database and user, and admits no review droplets", async () => {
  const plan = await planStack("production", withConfig(committedStack("production"), SERVICES));
  for (const [type, count] of [
    [T.databaseCluster, 2],
    [T.databaseFirewall, 2],
    [T.databaseDb, 1],
    [T.databaseUser, 1],
  ] as const) {
    expect(only(plan, type)).toHaveLength(count);
    for (const r of only(plan, type)) expect([r.name, r.protect]).toEqual([r.name, true]);
  }
  for (const firewall of only(plan, T.databaseFirewall))
    expect(firewall.inputs.rules).toEqual([{ type: "tag", value: "dropstack-production" }]);
});

test("in production a database on a cluster it attaches to is protected too (deleting it drops the data)", async () => {
  const attached = { services: { db: { engine: "postgres", cluster: "shared-db" } } };
  const plan = await planStack("production", withConfig(committedStack("production"), attached));
  expect(only(plan, T.databaseCluster)).toEqual([]);
  expect(
    [...only(plan, T.databaseDb), ...only(plan, T.databaseUser)].map((r) => r.protect),
  ).toEqual([true, true]);
});

test("a review stack creates no cluster: a database and user of its own on each of the base's", async () => {
  const base = withConfig(committedStack("staging"), SERVICES);
  const config = deriveReviewConfig(base.config, { pr: 7, now: new Date("2026-12-01") });
  const plan = await planStack("review-pr-7", { ...base, config });
  expect(only(plan, T.databaseCluster)).toEqual([]);
  expect(only(plan, T.databaseFirewall)).toEqual([]);
  expect(only(plan, T.databaseDb).map((r) => r.inputs.name)).toEqual(["api_review_pr_7"]);
  // The cluster looked up is staging's, by name (the mocks' id for it is made from the name).
  const stagingDb = `cluster-${createHash("sha256").update("staging-db").digest("hex").slice(0, 8)}`;
  const user = one(plan, T.databaseUser, "review-pr-7-db-user");
  expect(user.inputs.name).toBe("api_review_pr_7");
  expect(user.inputs.clusterId).toBe(stagingDb);
  expect(one(plan, T.databaseDb, "review-pr-7-db-database").inputs.clusterId).toBe(stagingDb);
  expect(user.protect).toBeFalsy();
  const secretEnv = only(plan, T.command).find((c) => c.name.endsWith("secret-env-install"))!;
  const stdin = String(revealSecrets(secretEnv.inputs.stdin));
  expect(stdin).toMatch(
    /^DATABASE_URL=postgresql:\/\/api_review_pr_7:pw-\w+@private-staging-db\.db\.ondigitalocean\.com:25060\/api_review_pr_7\?sslmode=require$/m,
  );
  expect(stdin).toMatch(/^REDIS_URL=rediss:\/\/default:\w+@private-staging-cache\./m);
  // Its own user is granted on its own database, with the base cluster's admin looked up.
  const grant = one(plan, T.command, "review-pr-7-web-1-db-grant-run");
  const lines = String(revealSecrets(grant.inputs.stdin)).split("\n");
  expect([lines[0], lines[2], lines[4], lines[5]]).toEqual([
    "private-staging-db.db.ondigitalocean.com",
    "doadmin",
    "api_review_pr_7",
    "api_review_pr_7",
  ]);
});

test("the PostgreSQL URL encodes what a password may hold, and requires TLS", () => {
  const url = postgresUrl({
    user: "api",
    password: "p@ss/w:rd%?#",
    host: "private-db.example",
    port: 25060,
    database: "api",
  });
  expect(url).toBe(
    "postgresql://api:p%40ss%2Fw%3Ard%25%3F%23@private-db.example:25060/api?sslmode=require",
  );
  expect(decodeURIComponent(new URL(url).password)).toBe("p@ss/w:rd%?#");
});
