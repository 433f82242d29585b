/** Component details the stack tests do not pin down: pure helpers and step ordering. */
import { readdirSync, readFileSync } from "node:fs";
import * as path from "node:path";
import fc from "fast-check";
import { registryLogin } from "../../components/ApiImage";
import { RESOURCE_TYPES } from "../../components/resourceTypes";
import { PROJECT_DIR } from "../../tools/shared/projectPaths";
import { inboundRules } from "../../components/Firewall";
import { hostSlug } from "../../config";
import { contentHash } from "../../components/RemoteFile";
import { T, committedStack, one, only, planStack, withConfig } from "../helpers/planHelpers";
import { createHash } from "node:crypto";
import {
  BOOTSTRAP_VERSION,
  renderBootstrapUpgrade,
  renderCloudInit,
  renderHostKeyInstall,
} from "../../templates";
import { isSecretWrapper, revealSecrets } from "../../tools/plan/mockSecrets";
import type { RecordedResource } from "../../tools/plan/recordingMocks";

test("registryLogin reads user and password from a Docker config, password may hold colons", () => {
  const auth = Buffer.from("user-1:pa:ss").toString("base64");
  const json = JSON.stringify({ auths: { "registry.digitalocean.com": { auth } } });
  expect(registryLogin(json, "registry.digitalocean.com")).toEqual({
    username: "user-1",
    password: "pa:ss",
  });
  expect(() => registryLogin(json, "ghcr.io")).toThrow(
    "registry credentials hold no login for ghcr.io",
  );
});

test("inbound rules never open anything but 22 (restricted), 80 and 443", () => {
  fc.assert(
    fc.property(
      fc.array(
        fc.ipV4().map((ip) => `${ip}/32`),
        { minLength: 1, maxLength: 5 },
      ),
      (cidrs) => {
        const rules = inboundRules(cidrs);
        expect(rules.map((r) => r.portRange)).toEqual(["22", "80", "443"]);
        expect(rules[0].sourceAddresses).toEqual(cidrs);
      },
    ),
    { numRuns: 200 },
  );
});

test("host slugs are unique resource-name parts", () => {
  expect(["@", "api", "api.staging"].map(hostSlug)).toEqual(["apex", "api", "api-staging"]);
});

describe("RemoteFile steps", () => {
  let plan: Awaited<ReturnType<typeof planStack>>;
  beforeAll(async () => {
    plan = await planStack("dev");
  });

  test("one install command per file: content on stdin, keyed by its hash, header for the plan", () => {
    const install = one(plan, T.command, "dev-web-1-nginx-site-install");
    const text = String(install.inputs.stdin);
    expect(text).toMatch(/^# dropstack site for stack dev/);
    expect(install.inputs.triggers).toEqual([contentHash(text)]);
    const script = String(install.inputs.create);
    expect(script.split("\n")[0]).toBe(
      "# dropstack file nginx/dropstack.conf -> /etc/nginx/sites-enabled/dropstack.conf",
    );
    expect(script).toContain("staged='/var/lib/dropstack/incoming/nginx.dropstack.conf'");
  });

  test("the release runs after every file it reads, and again when any of them changes", () => {
    const run = one(plan, T.command, "dev-web-1-api-release-run");
    const reads = [
      "dev-web-1-api-env-install",
      "dev-web-1-api-registry-login-install",
      "dev-web-1-api-blue-conf-install",
      "dev-web-1-api-green-conf-install",
      "dev-web-1-nginx-site-install",
      "dev-web-1-api-release-script-install",
    ];
    expect(run.dependsOn).toEqual(expect.arrayContaining(reads));
    const triggers = JSON.stringify(run.inputs.triggers);
    for (const name of reads.filter((n) => !n.includes("registry-login"))) {
      expect(triggers).toContain(JSON.stringify(one(plan, T.command, name).inputs.triggers));
    }
  });

  test("the bootstrap step connects as the deploy user and waits for cloud-init", () => {
    const bootstrap = one(plan, T.command, "dev-web-1-bootstrap");
    expect(String(bootstrap.inputs.create)).toContain("cloud-init status --wait");
    const connection = (bootstrap.inputs.connection as { value: { user: string; host: string } })
      .value;
    expect(connection.user).toBe("deploy");
    const [droplet] = only(plan, T.droplet);
    expect(connection.host).toBe(droplet.outputs.ipv4Address);
  });

  test("before it, where pulumi up runs, the droplet's port 22 must answer within 5 minutes", () => {
    const reachable = one(plan, T.localCommand, "dev-web-1-ssh-reachable");
    const [droplet] = only(plan, T.droplet);
    expect(reachable.inputs.environment).toEqual({ ADDRESS: droplet.outputs.ipv4Address });
    expect(String(reachable.inputs.create)).toContain('"telnet://$ADDRESS:22"');
    expect(String(reachable.inputs.create)).toContain("deadline=$(( $(date +%s) + 300 ))");
    expect(String(reachable.inputs.create)).toContain("dev-web-1 at $ADDRESS");
    expect(one(plan, T.command, "dev-web-1-bootstrap").dependsOn).toContain(
      "dev-web-1-ssh-reachable",
    );
  });
});

test("a droplet boots the current bootstrap, which the program never changes on it after; an in-place step brings older ones to it", async () => {
  const plan = await planStack("dev");
  const [droplet] = only(plan, T.droplet);
  const hostKey = one(plan, T.hostKey, "dev-web-1-host-key");
  expect(hostKey.inputs).toEqual({ algorithm: "ED25519" });
  expect(isSecretWrapper(droplet.inputs.userData)).toBe(true);
  expect(revealSecrets(droplet.inputs.userData)).toBe(
    renderCloudInit(BOOTSTRAP_VERSION, {
      privateKey: String(revealSecrets(hostKey.outputs.privateKeyOpenssh)),
      publicKey: String(hostKey.outputs.publicKeyOpenssh),
    }),
  );
  expect(droplet.options?.ignoreChanges).toEqual(["userData"]);
  const upgrade = one(plan, T.command, "dev-web-1-bootstrap-upgrade");
  expect(upgrade.inputs.create).toBe(renderBootstrapUpgrade());
  expect(upgrade.inputs.triggers).toEqual([BOOTSTRAP_VERSION]);
  expect(upgrade.dependsOn).toContain("dev-web-1-bootstrap");
  // Beside the other steps: a version bump replaces it alone (no other step waits on its output).
  expect(one(plan, T.command, "dev-web-1-nginx-site-install").dependsOn).not.toContain(
    "dev-web-1-bootstrap-upgrade",
  );
});

describe("SSH host keys", () => {
  /** The plan of dev, its droplet kept with the user data `kept` gives it (as the provider would). */
  async function planKeeping(kept: (mine: string) => string) {
    jest.resetModules();
    const { runPlan } = await import("../../tools/plan/runPlan");
    const { RecordingMocks } = await import("../../tools/plan/recordingMocks");
    class KeptUserData extends RecordingMocks {
      protected inventOutputs(recorded: RecordedResource) {
        const invented = super.inventOutputs(recorded);
        if (recorded.type !== T.droplet) return invented;
        const mine = String(revealSecrets(recorded.inputs.userData));
        return { ...invented, state: { ...invented.state, userData: kept(mine) } };
      }
    }
    return runPlan("dev", committedStack("dev"), new KeptUserData());
  }
  const connectionOf = (step: { inputs: Record<string, unknown> }) =>
    revealSecrets(step.inputs.connection) as { hostKey?: string; host: string };

  test("every SSH step checks the droplet's key, but the leave before a resize and the key's install", async () => {
    const plan = await planStack("production");
    for (const host of ["production-web-1", "production-web-2"]) {
      const key = String(one(plan, T.hostKey, `${host}-host-key`).outputs.publicKeyOpenssh);
      expect(key).toMatch(/^ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAI[\w+/]+=*\n$/);
      const steps = only(plan, T.command).filter((c) => c.name.startsWith(`${host}-`));
      expect(steps.length).toBeGreaterThanOrEqual(8);
      for (const step of steps) {
        const unchecked =
          step.name.endsWith("-leave-rotation") || step.name.endsWith("-host-key-install");
        expect([step.name, connectionOf(step).hostKey]).toEqual([
          step.name,
          unchecked ? undefined : key,
        ]);
      }
    }
  });

  test("the private key is a secret everywhere the plan shows or writes it", async () => {
    const plan = await planStack("dev");
    const { planJson, planTree, plannedFiles } = await import("../../tools/plan/planOutput");
    const key = String(
      revealSecrets(one(plan, T.hostKey, "dev-web-1-host-key").outputs.privateKeyOpenssh),
    );
    const body = key.split("\n")[1];
    expect(body.length).toBeGreaterThan(40);
    const shown = [
      JSON.stringify(planJson(plan)),
      planTree(plan),
      JSON.stringify(plannedFiles(plan)),
    ];
    for (const text of shown) expect(text).not.toContain(body);
    // The user data a reviewer reads: the private key's lines masked, the rest as it is.
    const userData = plannedFiles(plan).find((f) => f.path === "dev-web-1/cloud-init.yaml")!;
    expect(userData.content).toMatch(
      /^ {2}ed25519_private: \|\n {4}\[secret\]\n {2}ed25519_public: ssh-ed25519 /m,
    );
  });

  test("a droplet booted with its key (the provider keeps its user data's SHA-1) is given nothing", async () => {
    const plan = await planKeeping((mine) => createHash("sha1").update(mine).digest("hex"));
    expect(one(plan, T.command, "dev-web-1-host-key-install").inputs.create).toBeUndefined();
    // As the recording mocks keep it by themselves: a plan of a new stack installs nothing.
    const plain = await planStack("dev");
    expect(one(plain, T.command, "dev-web-1-host-key-install").inputs.create).toBeUndefined();
  });

  test("a droplet of an earlier bootstrap is given its key once, on stdin, before any checked step", async () => {
    const plan = await planKeeping(() =>
      createHash("sha1").update(renderCloudInit(2)).digest("hex"),
    );
    const install = one(plan, T.command, "dev-web-1-host-key-install");
    expect(install.inputs.create).toBe(renderHostKeyInstall());
    expect(isSecretWrapper(install.inputs.stdin)).toBe(true);
    expect(revealSecrets(install.inputs.stdin)).toBe(
      revealSecrets(one(plan, T.hostKey, "dev-web-1-host-key").outputs.privateKeyOpenssh),
    );
    expect(install.dependsOn).toContain("dev-web-1-ssh-reachable");
    // Every checked step waits for it: through the connection, which resolves once it is done.
    expect(one(plan, T.command, "dev-web-1-bootstrap").dependsOn).toContain(
      "dev-web-1-host-key-install",
    );
  });
});

test("a changed app.port re-pushes the upstreams' default and the colours' programs, not the site, the env file or bootstrap", async () => {
  const before = await planStack("dev");
  const after = await planStack("dev", withConfig(committedStack("dev"), { "app.port": 9000 }));
  const triggers = (plan: typeof before, name: string) =>
    JSON.stringify(one(plan, T.command, name).inputs.triggers);
  for (const name of [
    "dev-web-1-nginx-upstreams-install",
    "dev-web-1-api-blue-conf-install",
    "dev-web-1-api-release-script-install",
  ]) {
    expect(triggers(after, name)).not.toBe(triggers(before, name));
  }
  // The site names no API port: the release moves each colour's upstream as it starts it there.
  for (const name of ["dev-web-1-nginx-site-install", "dev-web-1-api-env-install"]) {
    expect(triggers(after, name)).toBe(triggers(before, name));
  }
  expect(one(after, T.command, "dev-web-1-bootstrap").inputs.create).toBe(
    one(before, T.command, "dev-web-1-bootstrap").inputs.create,
  );
});

describe("one list of resource types", () => {
  test("each provider token is the SDK's own", async () => {
    // The SDKs' classes carry their token (`__pulumiType`), so a typo in the list cannot hide.
    const sdk = {
      digitalocean: await import("@pulumi/digitalocean"),
      docker: await import("@pulumi/docker"),
      "command:remote": (await import("@pulumi/command")).remote,
      "command:local": (await import("@pulumi/command")).local,
      tls: await import("@pulumi/tls"),
    } as unknown as Record<string, Record<string, { __pulumiType?: string }>>;
    const providers = Object.values(RESOURCE_TYPES).filter((t) => !t.startsWith("dropstack:"));
    expect(providers.length).toBeGreaterThan(15);
    for (const token of providers) {
      // The command provider's modules (`command:remote`, `command:local`) are its SDK's namespaces.
      const pkg = token.startsWith("command:")
        ? token.split(":", 2).join(":")
        : token.split(":")[0];
      const className = token.split(":").pop()!;
      expect(`${token}: ${sdk[pkg][className]?.__pulumiType}`).toBe(`${token}: ${token}`);
    }
  });

  test("every component of the program is in the list, under the token it registers", async () => {
    const plan = await planStack("production");
    const components = new Set(plan.resources.filter((r) => !r.custom).map((r) => r.type));
    const listed = Object.values(RESOURCE_TYPES).filter((t) => t.startsWith("dropstack:"));
    for (const type of components) expect(listed).toContain(type);
  });
});

test("every field of every component's Args has a one-line JSDoc", () => {
  const dir = path.join(PROJECT_DIR, "components");
  const missing: string[] = [];
  for (const file of readdirSync(dir).filter((f) => f.endsWith(".ts"))) {
    const lines = readFileSync(path.join(dir, file), "utf8").split("\n");
    let inArgs = false;
    lines.forEach((line, i) => {
      if (/^export interface \w+Args\b/.test(line)) inArgs = true;
      else if (inArgs && line.startsWith("}")) inArgs = false;
      else if (inArgs && /^ {2}readonly \w+/.test(line) && !lines[i - 1].trim().endsWith("*/")) {
        missing.push(`${file}:${i + 1} ${line.trim()}`);
      }
    });
  }
  expect(missing).toEqual([]);
});
