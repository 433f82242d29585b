/** The GitHub Actions workflows: valid against GitHub's schema, with the triggers, stacks and commands. */
import { validateAction, validateWorkflow } from "@action-validator/core";
import { readFileSync, readdirSync } from "node:fs";
import * as path from "node:path";
import { parse } from "yaml";
import { PROJECT_DIR as ROOT } from "../../tools/shared/projectPaths";

const dir = path.join(ROOT, ".github", "workflows");
const text = (file: string) => readFileSync(path.join(dir, file), "utf8");
const workflow = (file: string) => parse(text(file));
type Step = { uses?: string; run?: string; shell?: string; with?: Record<string, unknown> };
const steps = (file: string, job: string): Step[] => workflow(file).jobs[job].steps;
const runs = (file: string, job: string) =>
  steps(file, job)
    .map((s) => s.run ?? "")
    .join("\n");

test("there are exactly the four workflows", () => {
  expect(readdirSync(dir).sort()).toEqual([
    "deploy.yml",
    "pull-request.yml",
    "reap.yml",
    "review.yml",
  ]);
});

test.each(["deploy.yml", "pull-request.yml", "reap.yml", "review.yml"])(
  "%s is valid against GitHub's workflow schema",
  (file) => {
    expect(validateWorkflow(text(file)).errors).toEqual([]);
  },
);

test("the shared setup action is valid", () => {
  const action = readFileSync(path.join(ROOT, ".github", "actions", "setup", "action.yml"), "utf8");
  expect(validateAction(action).errors).toEqual([]);
  expect(parse(action).runs.steps.map((s: Step) => s.uses ?? s.run)).toEqual(
    expect.arrayContaining(["actions/setup-node@v4", "npm ci", "pulumi/actions@v6"]),
  );
});

test("the validator itself rejects a broken workflow", () => {
  expect(
    validateWorkflow("on: push\njobs:\n  a:\n    runs-on: ubuntu-latest\n    stepz: []\n").errors
      .length,
  ).toBeGreaterThan(0);
});

test("pull requests: tests, offline plans as the job summary, a preview of staging with the policy pack", () => {
  const wf = workflow("pull-request.yml");
  expect(Object.keys(wf.on)).toEqual(["pull_request"]);
  expect(runs("pull-request.yml", "test")).toContain("npm test");
  const plan = runs("pull-request.yml", "offline-plan");
  expect(plan).toContain(
    'for stack in staging "review-pr-${{ github.event.pull_request.number }}"',
  );
  expect(plan).toContain("npm run -s plan -- --stack");
  expect(plan).toContain("$GITHUB_STEP_SUMMARY");
  expect(wf.jobs["offline-plan"].env).toBeUndefined();
  const preview = steps("pull-request.yml", "preview").find(
    (s) => s.uses === "pulumi/actions@v6" && s.with?.command,
  )!;
  expect(preview.with).toMatchObject({
    command: "preview",
    "stack-name": "staging",
    "comment-on-pr": true,
    policyPacks: "policy",
  });
  expect(wf.jobs.preview.if).toContain("head.repo.full_name == github.repository");
});

test("review environments: up on open/push, destroy on close, a comment with the URL", () => {
  const wf = workflow("review.yml");
  expect(wf.on.pull_request.types).toEqual(["opened", "synchronize", "reopened", "closed"]);
  expect(wf.jobs.up.if).toContain("github.event.action != 'closed'");
  expect(runs("review.yml", "up")).toContain(
    "npm run -s review -- up --pr ${{ github.event.pull_request.number }} --from staging",
  );
  const up = steps("review.yml", "up");
  expect(up.find((s) => s.run?.includes("review -- up"))).toMatchObject({ shell: "bash" });
  expect(
    up.find((s) => s.uses === "marocchino/sticky-pull-request-comment@v2")?.with,
  ).toMatchObject({
    header: "review-environment",
  });
  expect(wf.jobs.destroy.if).toContain("github.event.action == 'closed'");
  // certbot's delete runs over SSH: the destroy goes through the way in for the runner.
  expect(runs("review.yml", "destroy")).toContain(
    'npm run -s review -- destroy --pr ${{ github.event.pull_request.number }} --ssh-from "$address"',
  );
  expect(wf.concurrency.group).toBe("review-pr-${{ github.event.pull_request.number }}");
});

test("deploys: main → staging, v* tags → production behind an environment; never two at once", () => {
  const wf = workflow("deploy.yml");
  expect(wf.on.push).toEqual({ branches: ["main"], tags: ["v*"] });
  for (const [job, stack] of [
    ["staging", "staging"],
    ["production", "production"],
  ]) {
    const up = steps("deploy.yml", job).find((s) => s.with?.command === "up")!;
    expect(up.with).toMatchObject({ command: "up", "stack-name": stack, policyPacks: "policy" });
    expect(wf.jobs[job].concurrency).toEqual({
      group: `deploy-${stack}`,
      "cancel-in-progress": false,
    });
  }
  expect(wf.jobs.production.environment).toBe("production");
  expect(wf.jobs.production.if).toBe("startsWith(github.ref, 'refs/tags/v')");
  expect(wf.jobs.staging.if).toBe("github.ref == 'refs/heads/main'");
});

test.each([
  ["deploy.yml", "staging", "staging", (s: Step) => s.with?.command === "up"],
  ["deploy.yml", "production", "production", (s: Step) => s.with?.command === "up"],
  [
    "review.yml",
    "up",
    "review-pr-${{ github.event.pull_request.number }}",
    (s: Step) => s.run?.includes("review -- up") === true,
  ],
])(
  "%s %s: SSH opened for the runner's address alone before the up, closed after it always",
  (file, job, stack, isUp) => {
    const all = steps(file, job) as (Step & { if?: string })[];
    const open = all.findIndex((s) => s.run?.includes("deploy-access -- open"));
    const up = all.findIndex(isUp);
    const close = all.findIndex((s) => s.run?.includes("deploy-access -- close"));
    expect([open, close].every((i) => i >= 0)).toBe(true);
    // bash -e: a failed address lookup fails the step before anything is opened.
    expect(all[open]).toEqual({
      name: expect.any(String),
      shell: "bash",
      run: [
        "address=$(curl -fsS --retry 3 https://api.ipify.org)",
        'echo "DEPLOY_ADDRESS=$address" >> "$GITHUB_ENV"',
        `npm run -s deploy-access -- open --stack ${stack} --address "$address"`,
        "",
      ].join("\n"),
    });
    // Its own address's way in, and only once one may have been opened.
    expect(all[close].run).toBe(
      `npm run -s deploy-access -- close --stack ${stack} --address "$DEPLOY_ADDRESS"`,
    );
    expect(all[close].if).toBe("always() && env.DEPLOY_ADDRESS != ''");
    expect(open).toBeLessThan(up);
    expect(close).toBeGreaterThan(up);
  },
);

test("reap: a daily schedule that runs npm run review -- reap", () => {
  const wf = workflow("reap.yml");
  expect(wf.on.schedule).toEqual([{ cron: "17 4 * * *" }]);
  expect(runs("reap.yml", "reap")).toContain('npm run -s review -- reap --ssh-from "$address"');
  // The ways in a dead runner left, whether or not the review reap succeeded.
  expect(steps("reap.yml", "reap").at(-1)).toEqual({
    if: "always()",
    run: "npm run -s deploy-access -- reap",
  });
});

test("every job that talks to a backend can decrypt secrets from a fresh checkout", () => {
  for (const file of ["deploy.yml", "reap.yml", "review.yml"]) {
    expect(workflow(file).env.PULUMI_FALLBACK_TO_STATE_SECRETS_MANAGER).toBe("true");
  }
  expect(
    workflow("pull-request.yml").jobs.preview.env.PULUMI_FALLBACK_TO_STATE_SECRETS_MANAGER,
  ).toBe("true");
});

test("every secret the workflows use is one the README lists", () => {
  const readme = readFileSync(path.join(ROOT, "README.md"), "utf8");
  const used = new Set(
    readdirSync(dir).flatMap((f) => [...text(f).matchAll(/secrets\.([A-Z_]+)/g)].map((m) => m[1])),
  );
  expect([...used].sort()).toEqual([
    "DIGITALOCEAN_TOKEN",
    "PULUMI_ACCESS_TOKEN",
    "PULUMI_BACKEND_URL",
    "PULUMI_CONFIG_PASSPHRASE",
    "SSH_PRIVATE_KEY",
  ]);
  for (const secret of used) expect(readme).toContain(`\`${secret}\``);
});
