/**
 * A config edit must never replace a droplet: DigitalOcean replaces one whenever its user data or
 * SSH keys change. And no secret may reach the plan's output or the files it writes.
 */
import { displayInputs, planJson, planTree, plannedFiles } from "../../tools/plan/planOutput";
import { T, committedStack, one, only, planStack, withConfig } from "../helpers/planHelpers";

async function dropletIdentity(input = committedStack("staging")) {
  const plan = await planStack("staging", input);
  return only(plan, T.droplet).map((d) => ({
    userData: d.inputs.userData,
    sshKeys: d.inputs.sshKeys,
  }));
}

describe("config edits leave the droplet's user data and SSH keys byte-identical", () => {
  let baseline: Awaited<ReturnType<typeof dropletIdentity>>;
  beforeAll(async () => {
    baseline = await dropletIdentity();
    expect(baseline).toHaveLength(1);
  });

  test.each([
    ["app.port", { "app.port": 9090 }],
    ["hosts", { hosts: ["api.staging", "www.staging", "@"] }],
    ["domain", { domain: "example.org" }],
    [
      "app.image",
      { "app.image": "ghcr.io/acme/api:2.0.0", "app.build": undefined, "app.registry": undefined },
    ],
    ["app.release", { "app.release": "v9.9.9" }],
    ["app.env and secretEnv", { "app.env": { A: "1" }, "app.secretEnv": { B: "2" } }],
    ["proxy", { proxy: { clientMaxBodySize: "1g", readTimeoutSeconds: 300 } }],
    ["proxy.tls off", { "proxy.tls": { mode: "off" } }],
    ["alerts", { alerts: { emails: ["a@example.org"], cpuPercent: 50 } }],
    ["no alerts", { alerts: undefined }],
  ])("%s", async (_, edits) => {
    const edited = await dropletIdentity(withConfig(committedStack("staging"), edits));
    expect(edited).toEqual(baseline);
  });

  test("the check itself notices a change (different SSH keys reach the droplet)", async () => {
    // Guards the test above against comparing two empty lists or the wrong field.
    const plan = await planStack(
      "staging",
      withConfig(committedStack("staging"), { "droplet.sshKeys": ["12345"] }),
    );
    expect(only(plan, T.droplet)[0].inputs.sshKeys).not.toEqual(baseline[0].sshKeys);
  });
});

describe("secrets never appear in plain text", () => {
  const SECRET_ENV = "sEcReT-eNv-7f3a9c";
  const PRIVATE_KEY =
    "-----BEGIN OPENSSH PRIVATE KEY-----\nPRIVATE-KEY-BODY-b81e2d\n-----END OPENSSH PRIVATE KEY-----\n";
  let plan: Awaited<ReturnType<typeof planStack>>;
  beforeAll(async () => {
    const input = withConfig(
      committedStack("production"),
      { "app.secretEnv": { API_TOKEN: SECRET_ENV }, sshPrivateKey: PRIVATE_KEY },
      ["dropstack:app", "dropstack:sshPrivateKey"],
    );
    plan = await planStack("production", input);
  });

  test("the program did receive them (so the checks below are not vacuous)", () => {
    const raw = JSON.stringify(plan.resources.map((r) => r.inputs));
    expect(raw).toContain("PRIVATE-KEY-BODY-b81e2d");
  });

  test("not in the tree, the JSON, or any file written by --out", async () => {
    const tree = planTree(plan);
    const json = JSON.stringify(planJson(plan));
    const files = plannedFiles(plan);
    const registryToken = [...plan.mocks.computed].find((v) => v.startsWith("token-"));
    expect(registryToken).toBeDefined();
    for (const text of [tree, json, ...files.map((f) => f.content)]) {
      expect(text).not.toContain(SECRET_ENV);
      expect(text).not.toContain("PRIVATE-KEY-BODY-b81e2d");
      expect(text).not.toContain(registryToken);
      expect(text).not.toContain(Buffer.from(`${registryToken}:`).toString("base64").slice(0, 20));
    }
    const secretFiles = files.filter((f) => f.content === "[secret]\n").map((f) => f.path);
    // dropstack:app is a secret key here (as Pulumi marks it once secretEnv is set), so the plain
    // env file is withheld too: the program cannot tell which app values were set with --secret.
    expect(secretFiles.sort()).toEqual(
      ["production-web-1", "production-web-2"].flatMap((droplet) => [
        `${droplet}/docker/config.json`,
        `${droplet}/env/api.env`,
        `${droplet}/env/api.secret.env`,
      ]),
    );
  });

  test("the secret env file and registry login are installed 0600", () => {
    const installs = only(plan, T.command).filter((c) =>
      /secret-env-install|registry-login-install/.test(c.name),
    );
    expect(installs).toHaveLength(4); // two droplets
    for (const install of installs)
      expect(String(install.inputs.create)).toMatch(/install -m 0600 -o root -g root/);
  });
});

test("--out writes the files the program puts on each droplet", async () => {
  const plan = await planStack("production");
  const files = plannedFiles(plan);
  expect(files.map((f) => f.path).sort()).toEqual(
    ["production-web-1", "production-web-2"].flatMap((droplet) => [
      `${droplet}/bin/api-release`,
      `${droplet}/cloud-init.yaml`,
      `${droplet}/docker/config.json`,
      `${droplet}/env/api.env`,
      `${droplet}/env/api.secret.env`,
      `${droplet}/nginx/api-colour.js`,
      `${droplet}/nginx/api-upstreams.default.conf`,
      `${droplet}/nginx/dropstack.conf`,
      `${droplet}/supervisor/api-blue.conf`,
      `${droplet}/supervisor/api-green.conf`,
      `${droplet}/systemd/dropstack-api-resume.service`,
    ]),
  );
  // Both droplets get the same files but for their own host key (public line shown, private masked).
  const hostKeyLine = /^(\s*ed25519_public: ).*$/m;
  const publicKey = (n: number) =>
    files
      .find((f) => f.path === `production-web-${n}/cloud-init.yaml`)
      ?.content.match(hostKeyLine)?.[0];
  expect(publicKey(1)).toMatch(/ed25519_public: ssh-ed25519 AAAA/);
  expect(publicKey(2)).not.toBe(publicKey(1));
  const byDroplet = (n: number) =>
    files
      .filter((f) => f.path.startsWith(`production-web-${n}/`))
      .map((f) => [f.path.replace(/^[^/]+/, ""), f.content.replace(hostKeyLine, "$1<host key>")]);
  expect(byDroplet(2)).toEqual(byDroplet(1));
  // With no secret in dropstack:app, the plain env file is shown as it lands on the droplet; each
  // colour's own file adds its PORT at release time.
  expect(files.find((f) => f.path === "production-web-1/env/api.env")?.content).toBe(
    "LOG_LEVEL=warn\nRELEASE=v0.1.0\n",
  );
  // The release names the image by digest, computed at apply time.
  const run = displayInputs(
    one(plan, T.command, "production-web-1-api-release-run"),
    plan.mocks.computed,
  );
  expect(run.create).toBe(
    "sudo /usr/local/lib/dropstack/api-release 'registry.digitalocean.com/dropstack/api@sha256:(known after apply)'",
  );
});
