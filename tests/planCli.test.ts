/** `npm run plan` end to end, as a user runs it: a child process, its output and exit code. */
import { mkdtempSync, readFileSync } from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { filesUnder, tsx } from "./sandboxHelpers";

function plan(...args: string[]) {
  const run = tsx("scripts/plan.ts", ...args);
  return { code: run.status, stdout: run.stdout, stderr: run.stderr };
}

test("the tree: every resource, computed values marked, a summary line", () => {
  const { code, stdout } = plan("--stack", "staging");
  expect(code).toBe(0);
  expect(stdout).toContain(" +  pulumi:pulumi:Stack  dropstack-staging");
  expect(stdout).toMatch(/└─ dropstack:index:Environment  staging\n/);
  expect(stdout).toMatch(
    /digitalocean:index\/dnsRecord:DnsRecord  staging-dns-api-staging\n(.*\n)*?.*value: \(known after apply\)/,
  );
  // 40 for the environment, 5 for certbot's HTTPS, 8 for the alerts and the uptime check.
  expect(stdout).toMatch(/\+ 53 resources to create \(0 protected\)/);
});

test("--json: resources with type, name, parent and masked inputs; outputs", () => {
  const { code, stdout } = plan("--stack", "production", "--json");
  expect(code).toBe(0);
  const doc = JSON.parse(stdout);
  expect(doc.stack).toBe("production");
  expect(doc.outputs).toEqual({
    hosts: ["example.com", "api.example.com"],
    ipAddress: expect.any(String),
    ipAddresses: [expect.any(String)],
    release: "v0.1.0",
    tags: ["dropstack-production", "dropstack", "team-api"],
    urls: ["https://example.com/", "https://api.example.com/"],
  });
  const droplet = doc.resources.find(
    (r: { type: string }) => r.type === "digitalocean:index/droplet:Droplet",
  );
  expect(droplet).toMatchObject({
    name: "production-web-1-droplet",
    parent: "production-web-1",
    protect: true,
  });
  expect(droplet.inputs.size).toBe("s-2vcpu-4gb");
  for (const r of doc.resources.filter((r: { type: string }) =>
    r.type.startsWith("command:remote"),
  )) {
    expect(r.inputs.connection).toBe("[secret]");
  }
});

test("--config with secure values: secrets shown as [secret], files written per droplet", () => {
  const out = mkdtempSync(path.join(os.tmpdir(), "plan-out-"));
  const { code, stdout, stderr } = plan(
    "--stack",
    "fixture",
    "--config",
    "tests/fixtures/Pulumi.with-secrets.yaml",
    "--out",
    out,
  );
  expect(code).toBe(0);
  expect(stderr).toMatch(/secure values are not decrypted offline/);
  expect(stdout).not.toMatch(/c2VjcmV0|a2V5LWNp|bm90LWEta2V5/);
  expect(filesUnder(out).sort()).toEqual([
    "fixture-web-1/bin/api-release",
    "fixture-web-1/cloud-init.yaml",
    "fixture-web-1/env/api.env",
    "fixture-web-1/env/api.secret.env",
    "fixture-web-1/nginx/api-colour.js",
    "fixture-web-1/nginx/dropstack.conf",
    "fixture-web-1/supervisor/api-blue.conf",
    "fixture-web-1/supervisor/api-green.conf",
    "fixture-web-1/systemd/dropstack-api-resume.service",
  ]);
  expect(readFileSync(path.join(out, "fixture-web-1/env/api.secret.env"), "utf8")).toBe(
    "[secret]\n",
  );
  // dropstack:app holds a secure value, so Pulumi marks the whole key secret: app.env is kept
  // secret too, since the program cannot tell which of its values were set with --secret.
  expect(readFileSync(path.join(out, "fixture-web-1/env/api.env"), "utf8")).toBe("[secret]\n");
  expect(readFileSync(path.join(out, "fixture-web-1/nginx/dropstack.conf"), "utf8")).toContain(
    "server 127.0.0.1:9001;",
  );
});

test("invalid config: exit 1, one line per problem, no resources printed", () => {
  const { code, stdout, stderr } = plan(
    "--stack",
    "staging",
    "--config",
    "tests/fixtures/Pulumi.invalid.yaml",
  );
  expect(code).toBe(1);
  expect(stdout).toBe("");
  expect(
    stderr
      .trim()
      .split("\n")
      .filter((l) => !l.startsWith("note:")),
  ).toEqual([
    "dropstack:app.port: must be an integer from 1024 to 65534 (green runs on app.port + 1; the droplet itself serves 22, 80, 443), got 443",
    'dropstack:regoin: unknown key (did you mean region?), got "nyc3"',
  ]);
});

test("a stack without a stack file is one clear line", () => {
  const { code, stderr } = plan("--stack", "nope");
  expect(code).toBe(1);
  expect(stderr.trim()).toMatch(/^plan: no stack config file at .*Pulumi\.nope\.yaml$/);
});
