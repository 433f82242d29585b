/**
 * The local account refuses what DigitalOcean's would, before anything of the stack is made: an
 * alert email not verified on the account, and a reserved IP over the account's limit (DigitalOcean
 * refuses both at its API, half-way through a real `up`). Needs root (CI has it).
 */
import { existsSync } from "node:fs";
import { stackDir } from "../../tools/localcloud/localPaths";
import { knownStacks } from "../../tools/localcloud/localState";
import { writeDerivedStackFile } from "../../tools/plan/stackFiles";
import { local } from "../helpers/localCloudHelpers";

const STACK = "lc-account";
const file = () =>
  writeDerivedStackFile({
    stack: STACK,
    extra: { "dropstack:alerts": { emails: ["ops@example.com", "oncall@example.org"] } },
  });

beforeAll(() => {
  if (process.getuid?.() !== 0) throw new Error("the local cloud tests need root");
});

/** Refused with `message`, and nothing of the stack exists: no state, no key, no network. */
function refusedBeforeAnything(run: ReturnType<typeof local>, message: string | RegExp): void {
  expect(run.status).toBe(1);
  expect(run.stderr).toContain(
    "the DigitalOcean account refuses this config (nothing was made or changed):",
  );
  expect(run.stderr).toMatch(message);
  expect(existsSync(stackDir(STACK))).toBe(false);
  expect(knownStacks()).not.toContain(STACK);
}

test("an alert email the account has not verified", () => {
  const run = local("up", "--stack", STACK, "--config", file());
  refusedBeforeAnything(
    run,
    "dropstack:alerts.emails[1]: oncall@example.org is not verified on the DigitalOcean account (verified here: ops@example.com)",
  );
});

test("a reserved IP over the account's limit", () => {
  const run = local(
    "up",
    "--stack",
    STACK,
    "--config",
    file(),
    "--verified-emails",
    "ops@example.com,oncall@example.org",
    "--reserved-ip-limit",
    "0",
  );
  refusedBeforeAnything(
    run,
    // Other local stacks may be up (each named with its count): they count too.
    /dropstack:droplet\.reservedIp: the stack takes 1 reserved IP and the account's other stacks hold (none|\d+ \(.+\)): more than the account's limit of 0 /,
  );
});
