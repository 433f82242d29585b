/**
 * The local DigitalOcean account's own rules, which DigitalOcean applies at its API half-way
 * through a `pulumi up` (when it reaches the reserved IP, or the uptime alert): an account holds
 * three reserved IPs by default, shared by its stacks, and an uptime alert mails only addresses
 * verified on the account ("invalid email" otherwise). The local cloud applies them before it
 * makes or changes anything of a stack, so a rehearsal shows the failure a real `up` would meet.
 */
import { reservedIpsOf } from "../../components/Environment";
import { decodeConfigValue, type StackConfig } from "../../config";
import { DEFAULT_RESERVED_IP_LIMIT } from "../../cost/reservedIps";
import { UserError } from "../shared/errors";
import { PROJECT } from "../shared/projectPaths";
import { knownStacks, readState } from "./localState";

export interface LocalAccount {
  readonly reservedIpLimit: number;
  /** The addresses verified on the account: its owner's, and teammates'. */
  readonly verifiedEmails: readonly string[];
}

/** DigitalOcean's default limit, and the owner's address, the one the committed stacks mail. */
export const DEFAULT_LOCAL_ACCOUNT: LocalAccount = {
  reservedIpLimit: DEFAULT_RESERVED_IP_LIMIT,
  verifiedEmails: ["ops@example.com"],
};

/**
 * What the account refuses of a stack's config (its `alerts.emails` given apart: the config holds
 * them inside an Output), beside the reserved IPs the account's other stacks hold and those the
 * stack holds already (an `up` of a stack that is up).
 */
export function accountProblems(
  config: Pick<StackConfig, "droplet">,
  alertEmails: readonly string[],
  account: LocalAccount,
  heldByOthers: Readonly<Record<string, number>>,
  heldAlready = 0,
): string[] {
  const problems: string[] = [];
  const verified = account.verifiedEmails.map((email) => email.toLowerCase());
  alertEmails.forEach((email, i) => {
    if (!verified.includes(email.toLowerCase())) {
      problems.push(
        `dropstack:alerts.emails[${i}]: ${email} is not verified on the DigitalOcean account (verified here: ${account.verifiedEmails.join(", ") || "none"}), and DigitalOcean refuses an uptime alert to it ("invalid email"): verify it on the account (a teammate's address), or alert through Slack (alerts.slackChannel and alerts.slackWebhook)`,
      );
    }
  });
  const takes = reservedIpsOf(config);
  const others = Object.entries(heldByOthers).filter(([, count]) => count > 0);
  const held = others.reduce((sum, [, count]) => sum + count, 0);
  // DigitalOcean refuses only a new one: a stack that holds as many already creates none.
  if (takes > heldAlready && held + takes > account.reservedIpLimit) {
    const whose = others.map(([stack, count]) => `${stack} ${count}`).join(", ");
    problems.push(
      `dropstack:droplet.reservedIp: the stack takes ${takes} reserved IP${takes === 1 ? "" : "s"} and the account's other stacks hold ${held > 0 ? `${held} (${whose})` : "none"}: more than the account's limit of ${account.reservedIpLimit} (DigitalOcean's default is ${DEFAULT_RESERVED_IP_LIMIT}; ask its support for more, or set droplet.reservedIp false)`,
    );
  }
  return problems;
}

/**
 * Refuses `stack`'s config (validated, and as the stack file has it) when the account would, with
 * the reserved IPs the other local stacks hold; before anything is made or changed.
 */
export function refuseWhatTheAccountWould(
  stack: string,
  config: Pick<StackConfig, "droplet">,
  raw: Record<string, string>,
  account: LocalAccount = DEFAULT_LOCAL_ACCOUNT,
): void {
  // Validated already; a secret alerts key (a Slack webhook in it) is masked here: no emails read.
  const alerts = decodeConfigValue(raw[`${PROJECT}:alerts`] ?? "{}") as { emails?: unknown };
  const emails = Array.isArray(alerts?.emails) ? alerts.emails.map(String) : [];
  const heldByOthers = Object.fromEntries(
    knownStacks()
      .filter((other) => other !== stack)
      .map((other) => [other, readState(other)?.reservedIps.length ?? 0]),
  );
  const problems = accountProblems(
    config,
    emails,
    account,
    heldByOthers,
    readState(stack)?.reservedIps.length ?? 0,
  );
  if (problems.length > 0) {
    throw new UserError(
      `the DigitalOcean account refuses this config (nothing was made or changed):\n  ${problems.join("\n  ")}\n(the local account's limits: npm run local -- up --reserved-ip-limit <n> --verified-emails <a,b>)`,
    );
  }
}
