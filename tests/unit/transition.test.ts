/**
 * `plan --diff-from`: the steps `pulumi up` takes between two states, over recorded states of the
 * real program (plans of two configs) and a stack export built from one, for each provider rule.
 */
import * as fc from "fast-check";
import { PlanState, StateResource, stateOfExport, stateOfPlan } from "../../tools/plan/planState";
import type { PlanResult } from "../../tools/plan/runPlan";
import { contentHash } from "../../components/RemoteFile";
import {
  SECRET_SIGNATURE,
  SECRET_SIGNATURE_KEY,
  revealSecrets,
} from "../../tools/plan/mockSecrets";
import { existingDropletsOf } from "../../tools/plan/existingDroplets";
import { RULE_TYPES } from "../../tools/plan/providerRules";
import { Step, Transition, diffStates } from "../../tools/plan/transition";
import { transitionLines } from "../../tools/plan/transitionOutput";
import { renderCloudInit } from "../../templates";
import { T, committedStack, planStack, withConfig } from "../helpers/planHelpers";

jest.setTimeout(120_000);

const plan = (stack: string, edits: Record<string, unknown> = {}, after?: PlanState) =>
  planStack(stack, withConfig(committedStack(stack), edits), after && existingDropletsOf(after));
/** The state `edits` leave; `after`: on a stack in that state (its droplets exist). */
const stateOf = async (stack: string, edits: Record<string, unknown> = {}, after?: PlanState) =>
  stateOfPlan(await plan(stack, edits, after));
const edit = async (stack: string, from: Record<string, unknown>, to: Record<string, unknown>) => {
  const before = await stateOf(stack, from);
  return diffStates(before, await stateOf(stack, to, before));
};

const step = (t: Transition, name: string): Step => {
  const found = t.steps.find((s) => s.name === name);
  if (!found) throw new Error(`no step for ${name}: ${transitionLines(t).join("\n")}`);
  return found;
};
const names = (t: Transition, action: Step["action"]) =>
  t.steps.filter((s) => s.action === action).map((s) => s.name);

let staging: PlanState;
beforeAll(async () => {
  staging = await stateOf("staging");
});

describe("no edit, no step", () => {
  test.each(["dev", "staging", "production", "review-pr-42"])(
    "%s planned twice is the same state",
    async (stack) => {
      const t = diffStates(await stateOf(stack), await stateOf(stack));
      expect(t.steps).toEqual([]);
      expect(transitionLines(t)).toEqual([expect.stringMatching(/^no changes: 0 to create/)]);
    },
  );

  test("property: any config diffed against itself is empty", async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.record({
          "droplet.count": fc.integer({ min: 1, max: 3 }),
          "app.port": fc.integer({ min: 1024, max: 9000 }),
          "app.release": fc.constantFrom("v1", "v2.0.1"),
          hosts: fc.constantFrom(["api.staging"], ["api.staging", "www"]),
          "proxy.clientMaxBodySize": fc.constantFrom("1m", "10m", "2g"),
        }),
        async (edits) => {
          const t = diffStates(await stateOf("staging", edits), await stateOf("staging", edits));
          expect(t.steps).toEqual([]);
        },
      ),
      { numRuns: 6 },
    );
  });
});

describe("the providers' rules", () => {
  test("droplet.size updates in place; behind the balancer the halves resize one after the other, each out of rotation", async () => {
    const t = await edit(
      "staging",
      { "droplet.count": 3 },
      { "droplet.count": 3, "droplet.size": "s-2vcpu-4gb" },
    );
    const hosts = [1, 2, 3].map((i) => `staging-web-${i}`);
    const resized = hosts.map((h) => step(t, `${h}-droplet`));
    for (const s of resized) {
      expect(s).toMatchObject({ action: "update", changed: ["size"], replacedBy: [] });
      expect(s.effects.join()).toMatch(/powers the droplet off/);
    }
    const wave = (name: string) => step(t, name).wave;
    for (const h of hosts) {
      // Its address and script, from the droplet the program's lookup found at the old size.
      expect(step(t, `${h}-leave-rotation`)).toMatchObject({
        action: "update",
        changed: ["connection", "update"],
      });
      expect(wave(`${h}-leave-rotation`)).toBeLessThan(wave(`${h}-droplet`));
      expect(wave(`${h}-droplet`)).toBeLessThan(wave(`${h}-rejoin-rotation`));
    }
    // Droplets 1 and 2 side by side, then 3 once both are back: never all off at once.
    expect(resized[0].wave).toBe(resized[1].wave);
    expect(wave("staging-web-3-leave-rotation")).toBeGreaterThan(
      Math.max(wave("staging-web-1-rejoin-rotation"), wave("staging-web-2-rejoin-rotation")),
    );
    // The containers' limits follow the size (app.container): each droplet releases again with
    // them, blue/green, once it has its new size (its release script changes, its programs not).
    for (const h of hosts)
      expect(wave(`${h}-api-release-run`)).toBeGreaterThan(wave(`${h}-droplet`));
    const releases = (s: { name: string }) => /-api-release-(script-install|run)$/.test(s.name);
    expect(t.steps.filter((s) => !releases(s))).toHaveLength(9);
    expect(t.steps.filter(releases)).toHaveLength(2 * 3);
  });

  test("droplet.size on one droplet: nothing to fail over to, and the plan says it powers off", async () => {
    const t = await edit("staging", {}, { "droplet.size": "s-2vcpu-4gb" });
    // Then a release with the containers' new limits (a share of the new size): the release script
    // holds them, the colours' programs read them from files it writes, so those stay as they are.
    expect(t.steps.map((s) => s.name)).toEqual([
      "staging-web-1-droplet",
      "staging-web-1-api-release-script-install",
      "staging-web-1-api-release-run",
    ]);
    expect(step(t, "staging-web-1-droplet").effects.join()).toMatch(/powers the droplet off/);
  });

  test("droplet.image replaces the droplet (ForceNew), and what takes its id or address moves", async () => {
    const t = await edit("staging", {}, { "droplet.image": "debian-13-x64" });
    const droplet = step(t, "staging-web-1-droplet");
    expect(droplet).toMatchObject({ action: "replace", replacedBy: ["image"] });
    // The reserved IP's assignment takes the droplet id (ForceNew dropletId): replaced after it.
    const assignment = t.steps.find((s) => s.type === T.ipAssignment)!;
    expect(assignment).toMatchObject({ action: "replace", replacedBy: ["dropletId"] });
    expect(assignment.wave).toBeGreaterThan(droplet.wave);
    // Every command on it runs again, on the new droplet (its connection is the new address).
    const bootstrap = step(t, "staging-web-1-bootstrap");
    expect(bootstrap).toMatchObject({ action: "update", changed: ["connection"] });
    expect(bootstrap.wave).toBeGreaterThan(droplet.wave);
    // The reserved IP itself, the DNS record and the firewall keep their state.
    for (const type of [T.reservedIp, T.dnsRecord, T.firewall, T.tag]) {
      expect(t.steps.filter((s) => s.type === type)).toEqual([]);
    }
  });

  test("a protected resource that would be replaced or deleted blocks the run", async () => {
    const replaced = await edit("production", {}, { "droplet.image": "debian-13-x64" });
    expect(step(replaced, "production-web-1-droplet")).toMatchObject({
      action: "replace",
      blocked: true,
    });
    expect(transitionLines(replaced).join("\n")).toMatch(
      /^ {2}! {2}Droplet production-web-1-droplet .*protected: pulumi up refuses to replace it/m,
    );
    const dropped = await edit("production", {}, { hosts: ["api"] });
    expect(step(dropped, "production-dns-apex")).toMatchObject({
      action: "delete",
      blocked: true,
    });
    expect(transitionLines(dropped).at(-1)).toMatch(/protected: pulumi up would fail$/);
    // A scale back to one droplet deletes the others and the balancer: none is protected.
    const shrunk = await edit("production", {}, { "droplet.count": 1 });
    expect(step(shrunk, "production-lb-balancer")).toMatchObject({ action: "delete" });
    expect(step(shrunk, "production-web-2-droplet")).toMatchObject({ action: "delete" });
    expect(shrunk.steps.filter((s) => s.blocked)).toEqual([]);
  });

  test("a changed file's trigger replaces its install command; a command without triggers runs again", async () => {
    const t = await edit("staging", {}, { "app.env": { LOG_LEVEL: "debug" } });
    expect(step(t, "staging-web-1-api-env-install")).toMatchObject({
      action: "replace",
      replacedBy: ["triggers"],
    });
    const emailed = await edit(
      "staging",
      {},
      {
        "proxy.tls": { mode: "letsencrypt", email: "certs@example.com" },
      },
    );
    const certbot = step(emailed, "staging-web-1-certificate-certbot");
    expect(certbot).toMatchObject({ action: "update", replacedBy: [] });
    expect(certbot.changed).toEqual(["create"]);
    expect(certbot.effects).toEqual(["runs again over SSH"]);
  });

  test("a move behind the balancer: DNS after it answers, the firewall after the old TTL", async () => {
    const t = await edit("staging", {}, { "droplet.count": 3 });
    const wait = step(t, "staging-dns-wait-for-address");
    expect(wait).toMatchObject({ action: "create", effects: ["runs where pulumi up runs"] });
    const record = step(t, "staging-dns-api-staging");
    expect(record).toMatchObject({ action: "update", changed: ["value"] });
    const moved = step(t, "staging-dns-moved");
    expect(moved).toMatchObject({ action: "update", changed: ["environment"] });
    const firewall = step(t, "staging-firewall-rules");
    expect(firewall.action).toBe("update");
    expect(wait.wave).toBeLessThan(record.wave);
    expect(record.wave).toBeLessThan(moved.wave);
    expect(moved.wave).toBeLessThan(firewall.wave);
    // And back: the firewall opens before the records leave the balancer.
    const back = await edit("staging", { "droplet.count": 3 }, {});
    expect(step(back, "staging-firewall-rules").wave).toBeLessThan(
      step(back, "staging-dns-api-staging").wave,
    );
    expect(step(back, "staging-dns-moved").action).toBe("update");
  });

  test("production 2 → 3: the new droplet joins the balancer once released, nothing else moves", async () => {
    const t = await edit("production", {}, { "droplet.count": 3 });
    const balancer = step(t, "production-lb-balancer");
    expect(balancer).toMatchObject({ action: "update", changed: ["dropletIds"] });
    expect(step(t, "production-web-3-api-release-run").wave).toBeLessThan(balancer.wave);
    // The rotation's leave and rejoin have no create: a first up dials nothing for them.
    for (const name of ["production-web-3-leave-rotation", "production-web-3-rejoin-rotation"]) {
      expect(step(t, name)).toMatchObject({
        action: "create",
        effects: ["runs nothing: no script for this step"],
      });
    }
    expect(names(t, "update").sort()).toEqual([
      "production-dns-wait-for-address",
      "production-lb-balancer",
    ]);
    expect(names(t, "replace").concat(names(t, "delete"))).toEqual([]);
    expect(t.steps.filter((s) => s.blocked)).toEqual([]);
    expect(names(t, "create").every((n) => n.startsWith("production-web-3-"))).toBe(true);
  });

  test("app.healthPath behind the balancer changes the sites, never the balancer (its updates wait for every release)", async () => {
    const t = await edit(
      "staging",
      { "droplet.count": 3 },
      { "droplet.count": 3, "app.healthPath": "/healthz" },
    );
    expect(t.steps.map((s) => s.name)).not.toContain("staging-lb-balancer");
    expect(t.steps.map((s) => s.name)).toContain("staging-web-1-nginx-site-install");
  });

  test("deletes come last, in reverse dependency order, after what used them has moved", async () => {
    const t = await edit("staging", { "droplet.count": 3 }, { "droplet.count": 1 });
    const deletes = t.steps.filter((s) => s.action === "delete");
    expect(deletes.map((s) => s.name)).toContain("staging-web-3-droplet");
    const lastOther = Math.max(...t.steps.filter((s) => s.action !== "delete").map((s) => s.wave));
    for (const d of deletes) expect(d.wave).toBeGreaterThan(lastOther);
    // A droplet goes only after the commands that ran on it; the one it waited for (its leave
    // from the balancer's rotation, before a resize) only after it.
    const dropletWave = step(t, "staging-web-3-droplet").wave;
    const onIt = deletes.filter((s) => s.type === T.command && s.name.startsWith("staging-web-3-"));
    expect(onIt.length).toBeGreaterThan(5);
    for (const d of onIt) {
      if (d.name === "staging-web-3-leave-rotation") expect(d.wave).toBeGreaterThan(dropletWave);
      else expect(d.wave).toBeLessThan(dropletWave);
    }
    expect(names(t, "delete")).toContain("staging-lb-balancer");
  });
});

test("every provider resource the committed stacks declare has its provider's rule", async () => {
  const types = new Set<string>();
  for (const stack of ["dev", "staging", "production"]) {
    for (const r of (await stateOf(stack)).resources) if (r.custom) types.add(r.type);
  }
  expect([...types].filter((type) => !RULE_TYPES.includes(type))).toEqual([]);
});

describe("the program's resource options", () => {
  const resource = (
    name: string,
    inputs: Record<string, unknown>,
    options = {},
  ): StateResource => ({
    key: `${T.droplet}::${name}`,
    type: T.droplet,
    name,
    custom: true,
    inputs,
    secretInputs: [],
    protect: false,
    dependencies: [],
    options: {
      deleteBeforeReplace: false,
      replaceOnChanges: [],
      ignoreChanges: [],
      aliases: [],
      ...options,
    },
  });
  const state = (...resources: StateResource[]): PlanState => ({ resources, notes: [] });

  test("an alias is the same resource under its old name: no replacement", () => {
    const t = diffStates(
      state(resource("old-name", { size: "s-1" })),
      state(resource("new-name", { size: "s-1" }, { aliases: ["old-name"] })),
    );
    expect(t.steps).toEqual([]);
  });

  test("ignoreChanges, replaceOnChanges and deleteBeforeReplace", () => {
    const from = state(resource("d", { size: "s-1", tags: ["a"] }));
    expect(
      diffStates(
        from,
        state(resource("d", { size: "s-1", tags: ["b"] }, { ignoreChanges: ["tags"] })),
      ).steps,
    ).toEqual([]);
    const replaced = diffStates(
      from,
      state(
        resource(
          "d",
          { size: "s-1", tags: ["b"] },
          { replaceOnChanges: ["tags"], deleteBeforeReplace: true },
        ),
      ),
    );
    expect(replaced.steps[0]).toMatchObject({
      action: "replace",
      replacedBy: ["tags"],
      deleteFirst: true,
    });
    expect(transitionLines(replaced)[1]).toContain("deleted first (deleteBeforeReplace)");
  });
});

describe("from a real stack's export", () => {
  /**
   * The export `pulumi stack export` would give after `up` of `plan`, with DigitalOcean's ids,
   * addresses, digest and registry logins, and the hashes the program took over them (a file's
   * content hash in its triggers) made over those.
   */
  function exportOf(result: PlanResult, secretCiphertext = false): string {
    const realValues = (text: string) =>
      [...result.mocks.producers]
        .map(([v]) => v)
        .reduce(
          // An id stays a number (dropletId is one); anything else gets another text.
          (t, v) =>
            t.split(v).join(/^\d+$/.test(v) ? `9${v}` : `do-${v.split("").reverse().join("")}`),
          text,
        );
    // A login inside a Docker config is base64: DigitalOcean's is another.
    const realLogin = (json: string) => {
      const auths = JSON.parse(json).auths as Record<string, { auth: string }>;
      for (const entry of Object.values(auths)) {
        const login = Buffer.from(entry.auth, "base64").toString("utf8");
        entry.auth = Buffer.from(realValues(login)).toString("base64");
      }
      return JSON.stringify({ auths });
    };
    const credentials = result.resources
      .filter((r) => r.type === T.registryCredentials)
      .map((r) => String(r.outputs.dockerCredentials))
      .map((json) => [json, realLogin(json)] as const);
    // As it is, and as it is inside a JSON string.
    const withLogins = (text: string) =>
      credentials.reduce((t, [made, now]) => {
        const quoted = (v: string) => JSON.stringify(v).slice(1, -1);
        return t.split(made).join(now).split(quoted(made)).join(quoted(now));
      }, text);
    const hashes = result.resources
      .filter((r) => r.type === T.command && r.inputs.stdin !== undefined)
      .map((r) => String(revealSecrets(r.inputs.stdin)))
      .map((stdin) => [contentHash(stdin), contentHash(realValues(withLogins(stdin)))] as const);
    const real = (text: string) =>
      hashes.reduce((t, [made, now]) => t.split(made).join(now), realValues(withLogins(text)));
    const urnOf = (name: string, type: string) => `urn:pulumi:staging::dropstack::${type}::${name}`;
    const byName = new Map(result.resources.map((r) => [r.name, r]));
    const resources = result.resources.map((r) => {
      let inputs = JSON.parse(real(JSON.stringify(r.inputs)));
      if (secretCiphertext) {
        inputs = JSON.parse(
          JSON.stringify(inputs, (_, v) =>
            v && typeof v === "object" && v[SECRET_SIGNATURE_KEY] === SECRET_SIGNATURE
              ? { [SECRET_SIGNATURE_KEY]: SECRET_SIGNATURE, ciphertext: "v1:AAAA:BBBB" }
              : v,
          ),
        );
      }
      return {
        urn: urnOf(r.name, r.type),
        type: r.type,
        custom: r.custom,
        id: r.id && real(r.id),
        inputs,
        outputs: JSON.parse(real(JSON.stringify(r.outputs))),
        protect: r.protect,
        dependencies: r.dependsOn.map((n) => urnOf(n, byName.get(n)!.type)),
      };
    });
    return JSON.stringify({ version: 3, deployment: { resources } });
  }

  test("of the same config: no step, though DigitalOcean gave other ids and addresses", async () => {
    const result = await plan("staging");
    const t = diffStates(stateOfExport(exportOf(result), "export.json"), stateOfPlan(result));
    expect(transitionLines(t)).toEqual([expect.stringMatching(/^no changes/)]);
  });

  test("encrypted secrets compare as unchanged, and a note says so", async () => {
    const result = await plan("staging");
    const from = stateOfExport(exportOf(result, true), "export.json");
    const t = diffStates(from, stateOfPlan(result));
    expect(t.steps).toEqual([]);
    expect(t.notes.join()).toMatch(/secret inputs compare as unchanged/);
    expect(() => stateOfExport("{}", "export.json")).toThrow(
      "export.json: no deployment.resources (expected the output of pulumi stack export)",
    );
  });

  test("an edit against it: app.port replaces the colours' files and the upstreams' default, not the site", async () => {
    const from = stateOfExport(exportOf(await plan("staging")), "export.json");
    const t = diffStates(from, staging);
    expect(t.steps).toEqual([]);
    const edited = diffStates(from, await stateOf("staging", { "app.port": 9090 }));
    expect(names(edited, "replace").sort()).toEqual(
      [
        "staging-web-1-api-blue-conf-install",
        "staging-web-1-api-green-conf-install",
        "staging-web-1-api-release-run",
        "staging-web-1-api-release-script-install",
        "staging-web-1-nginx-upstreams-install",
      ].sort(),
    );
  });
});

describe("secrets in a state", () => {
  const secret = (value: string) =>
    withConfig(committedStack("staging"), { "app.secretEnv": { API_TOKEN: value } }, [
      "dropstack:app",
    ]);
  const stateWith = async (value: string) => stateOfPlan(await planStack("staging", secret(value)));

  test("a state keeps a digest of each secret, never its value; a changed secret is a step", async () => {
    const before = await stateWith("S3CR3T-one-0123456789");
    const after = await stateWith("S3CR3T-two-0123456789");
    for (const state of [before, after]) expect(JSON.stringify(state)).not.toMatch(/S3CR3T/);
    expect(JSON.stringify(before)).toMatch(/\[secret sha256:[0-9a-f]{32}/);
    const t = diffStates(before, after);
    const install = step(t, "staging-web-1-api-secret-env-install");
    expect(install.secretInputs.length).toBeGreaterThan(0);
    expect(transitionLines(t).join("\n")).not.toMatch(/S3CR3T/);
    expect(diffStates(before, await stateWith("S3CR3T-one-0123456789")).steps).toEqual([]);
  });
});

test("moving droplets of bootstrap version 1 to the current one: one in-place upgrade each, no replacement", async () => {
  // Staging as a program from before versions would have it: version 1's user data, no
  // ignoreChanges, no upgrade step (and nothing waiting for one).
  const isUpgrade = (r: StateResource) => r.name.endsWith("-bootstrap-upgrade");
  const upgrades = staging.resources.filter(isUpgrade).map((r) => r.key);
  const before: PlanState = {
    ...staging,
    resources: staging.resources
      .filter((r) => !isUpgrade(r))
      .map((r) => ({
        ...r,
        dependencies: r.dependencies.filter((d) => !upgrades.includes(d)),
        ...(r.type === T.droplet
          ? {
              inputs: { ...r.inputs, userData: renderCloudInit(1) },
              options: { ...r.options, ignoreChanges: [] },
            }
          : {}),
      })),
  };
  // The droplets' user data does differ (version 1's against the current one's): ignored.
  const userDataOf = (state: PlanState) =>
    state.resources.find((r) => r.type === T.droplet)?.inputs.userData;
  expect(userDataOf(before)).toBe(renderCloudInit(1));
  expect(userDataOf(staging)).not.toBe(userDataOf(before));
  const t = diffStates(before, staging);
  expect(t.steps.map((s) => `${s.action} ${s.name}`)).toEqual([
    "create staging-web-1-bootstrap-upgrade",
  ]);
});

describe("backing services, by the database provider's rules", () => {
  const db = (settings: Record<string, unknown>) => ({
    services: { db: { engine: "postgres", ...settings } },
  });

  test("adding a service creates its cluster, firewall, database and user and the grant, and re-releases the API on its new secret env file, touching nothing else", async () => {
    const t = await edit("staging", {}, db({}));
    expect(names(t, "create").sort()).toEqual([
      "staging-db-cluster",
      "staging-db-database",
      "staging-db-firewall",
      "staging-db-user",
      "staging-review-tag",
      "staging-web-1-db-grant-run",
    ]);
    // The new variable reaches the API as a release does: the secret env file's install (its
    // content is its trigger) and the release that restarts the API on it. Nothing else moves.
    expect(names(t, "replace")).toEqual([
      "staging-web-1-api-secret-env-install",
      "staging-web-1-api-release-run",
    ]);
    expect(names(t, "delete")).toEqual([]);
    expect(names(t, "update")).toEqual([]);
  });

  test("a bigger size resizes the cluster in place", async () => {
    const t = await edit("staging", db({}), db({ size: "db-s-1vcpu-2gb" }));
    expect(t.steps.map((s) => [s.action, s.name, s.changed])).toEqual([
      ["update", "staging-db-cluster", ["size"]],
    ]);
    expect(step(t, "staging-db-cluster").effects).toEqual([
      "resizes the cluster, waiting until it is online again",
    ]);
  });

  test("a new major version upgrades in place; another engine replaces the cluster (empty), refused in production", async () => {
    const upgrade = await edit("staging", db({ version: "16" }), db({ version: "17" }));
    expect(step(upgrade, "staging-db-cluster")).toMatchObject({
      action: "update",
      effects: ["upgrades the cluster's major version in place"],
    });
    const engine = await edit(
      "production",
      { services: { db: { engine: "postgres" } } },
      { services: { db: { engine: "redis-compatible" } } },
    );
    expect(step(engine, "production-db-cluster")).toMatchObject({
      action: "replace",
      replacedBy: ["engine"],
      blocked: true,
    });
  });
});
