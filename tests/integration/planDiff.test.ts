/** `npm run plan -- --diff-from`, as a user and the pull-request workflow run it. */
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { stackFilePath } from "../../tools/plan/stackFiles";
import { cli } from "../helpers/sandboxHelpers";

/** The committed stack file with one text edit, in a temporary directory. */
function edited(stack: string, from: string, to: string): string {
  const text = readFileSync(stackFilePath(stack), "utf8");
  if (!text.includes(from)) throw new Error(`${from} is not in Pulumi.${stack}.yaml`);
  const file = path.join(mkdtempSync(path.join(os.tmpdir(), "diff-")), `Pulumi.${stack}.yaml`);
  writeFileSync(file, text.replace(from, to));
  return file;
}

/** `plan --stack <stack> --config <edited> --diff-from <from>`. */
const diffOf = (stack: string, config: string, from: string) =>
  cli(["plan", "--stack", stack, "--config", config, "--diff-from", from]);
/** The transition from the committed stack file to the same with one text edit. */
const editOf = (stack: string, from: string, to: string) =>
  diffOf(stack, edited(stack, from, to), stackFilePath(stack));

test("an app.port edit of staging: the replaced commands by wave, and the summary", () => {
  const run = editOf("staging", "port: 8080", "port: 9090");
  expect(run.status).toBe(0);
  const lines = run.stdout.trim().split("\n");
  expect(lines[0]).toBe("step 1:");
  expect(lines).toContain(
    "  +- Command staging-web-1-nginx-upstreams-install  (replaced: triggers changed; also stdin; runs again over SSH)",
  );
  // The site names no API port: it stays.
  expect(run.stdout).not.toContain("nginx-site-install");
  expect(lines.at(-1)).toBe("0 to create, 0 to update, 5 to replace, 0 to delete, 31 unchanged");
});

test("from the state `plan --state` printed (another checkout's program and config)", () => {
  const state = cli(["plan", "--stack", "staging", "--state"]);
  expect(state.status).toBe(0);
  const file = path.join(mkdtempSync(path.join(os.tmpdir(), "state-")), "base-staging.json");
  writeFileSync(file, state.stdout);
  const same = cli(["plan", "--stack", "staging", "--diff-from", file]);
  expect(same.stdout.trim()).toMatch(/^no changes: 0 to create, 0 to update/);
  const run = diffOf("staging", edited("staging", "release: v0.1.0", "release: v0.2.0"), file);
  expect(run.stdout).toMatch(/^ {2}~ {2}Image staging-image-image {2}\(changed: imageName/m);
});

test("--json, and no edit at all", () => {
  const run = cli(["plan", "--stack", "dev", "--diff-from", stackFilePath("dev"), "--json"]);
  expect(run.status).toBe(0);
  expect(JSON.parse(run.stdout)).toMatchObject({
    steps: [],
    summary: expect.stringMatching(/^0 to create/),
  });
});

test("production scaled to one droplet deletes the second droplet and the balancer, neither protected", () => {
  const run = editOf("production", "count: 2", "count: 1");
  expect(run.stderr).not.toMatch(/would fail/);
  expect(run.status).toBe(0);
  expect(run.stdout).toMatch(/^ {2}- {2}LoadBalancer production-lb-balancer$/m);
  expect(run.stdout).toMatch(/^ {2}- {2}Droplet production-web-2-droplet$/m);
  expect(run.stdout).not.toMatch(/protected/);
});

test("a host dropped from production: its protected record's delete fails the plan, before any step", () => {
  const run = editOf("production", '    - "@"\n', "");
  expect(run.status).toBe(1);
  expect(run.stdout).toMatch(/^ {2}! {2}DnsRecord production-dns-apex /m);
  expect(run.stderr).toMatch(/pulumi up would fail: it refuses to delete production-dns-apex/);
});

test("a file that is neither an export nor a stack file is refused, naming the option", () => {
  const run = cli(["plan", "--stack", "dev", "--diff-from", "README.md"]);
  expect(run.status).toBe(1);
  expect(run.stderr).toContain(
    "--diff-from: README.md is neither a stack export (.json) nor a stack file (.yaml)",
  );
});
