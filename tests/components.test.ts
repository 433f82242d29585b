/** Component details the stack tests do not pin down: pure helpers and step ordering. */
import fc from "fast-check";
import { registryLogin } from "../components/ApiImage";
import { inboundRules } from "../components/Firewall";
import { hostSlug } from "../components/DnsRecords";
import { contentHash } from "../components/RemoteFile";
import { T, committedStack, one, only, planStack, withConfig } from "./planHelpers";

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
});

test("a changed app.port re-pushes nginx and the colours' programs, not the env file or bootstrap", async () => {
  const before = await planStack("dev");
  const after = await planStack("dev", withConfig(committedStack("dev"), { "app.port": 9000 }));
  const triggers = (plan: typeof before, name: string) =>
    JSON.stringify(one(plan, T.command, name).inputs.triggers);
  for (const name of [
    "dev-web-1-nginx-site-install",
    "dev-web-1-api-blue-conf-install",
    "dev-web-1-api-release-script-install",
  ]) {
    expect(triggers(after, name)).not.toBe(triggers(before, name));
  }
  expect(triggers(after, "dev-web-1-api-env-install")).toBe(
    triggers(before, "dev-web-1-api-env-install"),
  );
  expect(one(after, T.command, "dev-web-1-bootstrap").inputs.create).toBe(
    one(before, T.command, "dev-web-1-bootstrap").inputs.create,
  );
});
