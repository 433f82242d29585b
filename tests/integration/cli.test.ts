/**
 * The CLI end to end, as a user runs it (tools/cli.ts, behind every npm script): a child process,
 * its output streams and exit code. The plan, policy, cost and review commands, and what every
 * command shares: --help, usage mistakes, user mistakes, unexpected errors.
 */
import { mkdtempSync, readFileSync, symlinkSync, writeFileSync } from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { PRICES } from "../../cost/prices";
import { spawnSync } from "node:child_process";
import { COMMANDS } from "../../tools/commands";
import { CLI, PROJECT_DIR, TSX } from "../../tools/shared/projectPaths";
import { cli, filesUnder } from "../helpers/sandboxHelpers";

function run(...args: string[]) {
  const child = cli(args);
  return { code: child.status, stdout: child.stdout, stderr: child.stderr };
}
const plan = (...args: string[]) => run("plan", ...args);

test("the tree: every resource, computed values marked, a summary line", () => {
  const { code, stdout } = plan("--stack", "staging");
  expect(code).toBe(0);
  expect(stdout).toContain(" +  pulumi:pulumi:Stack  dropstack-staging");
  expect(stdout).toContain("└─ dropstack:index:Environment  staging\n");
  expect(stdout).toMatch(
    /digitalocean:index\/dnsRecord:DnsRecord {2}staging-dns-api-staging\n(.*\n)*?.*value: \(known after apply\)/,
  );
  // The environment (one SSH wait and one bootstrap upgrade per droplet among it), certbot's
  // HTTPS, the alerts and the uptime check.
  expect(stdout).toMatch(/\+ 60 resources to create \(0 protected\)/);
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
    "fixture-web-1/nginx/api-upstreams.default.conf",
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
  expect(
    readFileSync(path.join(out, "fixture-web-1/nginx/api-upstreams.default.conf"), "utf8"),
  ).toContain("server 127.0.0.1:9001 max_fails=0; # dropstack green");
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

describe("every command alike", () => {
  test.each(COMMANDS.map((command) => [command.name]))(
    "%s --help: usage and options, exit 0",
    (name) => {
      const command = COMMANDS.find((c) => c.name === name)!;
      const { code, stdout, stderr } = run(name, "--help");
      expect(code).toBe(0);
      expect(stderr).toBe("");
      expect(stdout.split("\n")[0]).toBe(`usage: ${command.usage}`);
      for (const option of [...Object.keys(command.options), "help"]) {
        expect(stdout).toContain(`--${option}`);
      }
    },
  );

  test.each(COMMANDS.map((command) => [command.name]))(
    "%s --bogus: one line naming it, the usage line, exit 2",
    (name) => {
      const command = COMMANDS.find((c) => c.name === name)!;
      const { code, stdout, stderr } = run(name, "--bogus");
      expect(code).toBe(2);
      expect(stdout).toBe("");
      expect(stderr.trim().split("\n")).toEqual([
        `${name}: unknown option --bogus`,
        `usage: ${command.usage}`,
      ]);
    },
  );

  test("a missing value names the option", () => {
    const { code, stderr } = run("plan", "--stack");
    expect(code).toBe(2);
    expect(stderr.trim().split("\n")[0]).toBe("plan: --stack needs a value");
  });

  test("a missing required option names it", () => {
    const { code, stderr } = run("cost");
    expect(code).toBe(2);
    expect(stderr.trim().split("\n")).toEqual([
      "cost: --stack <name> is required",
      `usage: ${COMMANDS.find((c) => c.name === "cost")!.usage}`,
    ]);
  });

  test("no command lists them all (exit 2); --help lists them (exit 0); an unknown one is named", () => {
    const none = run();
    expect(none.code).toBe(2);
    for (const command of COMMANDS) expect(none.stderr).toContain(`  ${command.name}`);
    expect(run("--help").code).toBe(0);
    const unknown = run("deploy");
    expect(unknown.code).toBe(2);
    expect(unknown.stderr.split("\n")[0]).toBe("dropstack: unknown command deploy");
  });

  test("a bad --config file is one line, exit 1", () => {
    const { code, stderr } = run("policy", "--stack", "staging", "--config", "no/such/file.yaml");
    expect(code).toBe(1);
    expect(stderr.trim()).toMatch(/^policy: no stack config file at .*no\/such\/file\.yaml$/);
  });

  test("an unexpected error is one line with the DROPSTACK_DEBUG hint; with it, the stack", () => {
    // A stack file that is not YAML at all is nothing the CLI anticipates.
    const dir = mkdtempSync(path.join(os.tmpdir(), "cli-"));
    const bad = path.join(dir, "Pulumi.bad.yaml");
    writeFileSync(bad, "config: [unclosed\n");
    const plain = run("plan", "--stack", "bad", "--config", bad);
    expect(plain.code).toBe(1);
    const lines = plain.stderr.trim().split("\n");
    expect(lines[lines.length - 1]).toMatch(/\(unexpected: DROPSTACK_DEBUG=1 prints the stack\)$/);
    expect(plain.stderr).not.toMatch(/^\s+at /m);
    const debug = cli(["plan", "--stack", "bad", "--config", bad], {
      env: { ...process.env, DROPSTACK_DEBUG: "1" },
    });
    expect(debug.status).toBe(1);
    expect(debug.stderr).toMatch(/^\s+at /m);
  });
});

test("npm run cost prints the lines, the total with the prices' date, and a review stack's daily cost", () => {
  const { code, stdout } = run("cost", "--stack", "review-pr-42");
  expect(code).toBe(0);
  expect(stdout).toContain(
    `stack review-pr-42: estimated $4.00/month, $0.14/day at DigitalOcean prices of ${PRICES.date}`,
  );
  expect(stdout).toContain("a review stack costs about $0.14 per day it lives");
});

test("npm run policy exits 1 on a mandatory violation and 0 on a clean stack", () => {
  const clean = run("policy", "--stack", "production");
  expect(clean.code).toBe(0);
  expect(clean.stdout).toMatch(/0 mandatory, 0 advisory violations/);
  const bad = run(
    "policy",
    "--stack",
    "production",
    "--config",
    "tests/fixtures/Pulumi.unprotected-production.yaml",
  );
  expect(bad.code).toBe(1);
  expect(bad.stdout).toContain(
    "✗ [mandatory] production-resources-protected: production-web-1-droplet: Droplet in production is not protected",
  );
});

test("review without the Pulumi CLI: one clear line and exit 1", () => {
  // A PATH that holds node and nothing else, so the test means the same wherever it runs.
  const bin = mkdtempSync(path.join(os.tmpdir(), "no-pulumi-"));
  symlinkSync(process.execPath, path.join(bin, "node"));
  const child = cli(["review", "list"], { env: { ...process.env, PATH: bin } });
  expect(child.status).toBe(1);
  expect(child.stderr.trim()).toBe(
    "review: the Pulumi CLI is not installed (or not on PATH): see https://www.pulumi.com/docs/install/",
  );
});

test("review without a subcommand names the choices, exit 2", () => {
  const { code, stderr } = run("review");
  expect(code).toBe(2);
  expect(stderr.split("\n")[0]).toBe(
    "review: subcommand must be one of up, destroy, list, reap, got nothing",
  );
});

test("the local cloud needs root: as anyone else, one line saying so, exit 1", () => {
  // As root (CI), run it as nobody; as anyone else, it is already not root.
  const argv = [TSX, CLI, "local", "up", "--stack", "dev"];
  const child =
    process.getuid?.() === 0
      ? spawnSync("runuser", ["-u", "nobody", "--", "env", "HOME=/tmp", ...argv], {
          cwd: PROJECT_DIR,
          encoding: "utf8",
        })
      : spawnSync(argv[0], argv.slice(1), { cwd: PROJECT_DIR, encoding: "utf8" });
  expect(child.status).toBe(1);
  expect(child.stderr.trim()).toBe(
    "local: the local cloud needs root (network namespaces, nftables, mounts): run it with sudo",
  );
});
