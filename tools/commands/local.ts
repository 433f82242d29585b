/** `npm run local`: a local DigitalOcean that brings a stack up on this machine for real. */
import { DEFAULT_LOCAL_ACCOUNT, LocalAccount } from "../localcloud/localAccount";
import { localDown } from "../localcloud/localDown";
import { execOnDroplet, runAs } from "../localcloud/localRun";
import { localStatus, statusLines } from "../localcloud/localStatus";
import { localUp } from "../localcloud/localUp";
import { requireRoot } from "../localcloud/requireLocalCloud";
import { UsageError } from "../shared/errors";
import { defineCommand } from "./command";
import { STACK_OPTIONS } from "./stackOptions";

function aptBusySeconds(text: string | undefined): number | undefined {
  if (text === undefined) return undefined;
  const seconds = Number(text);
  if (!Number.isInteger(seconds) || seconds < 1 || seconds > 3600) {
    throw new UsageError(`--apt-busy must be whole seconds from 1 to 3600, got ${text}`);
  }
  return seconds;
}

/** The local account from `--reserved-ip-limit` and `--verified-emails`, DigitalOcean's defaults else. */
function account(values: {
  "reserved-ip-limit"?: string;
  "verified-emails"?: string;
}): LocalAccount {
  const limit = values["reserved-ip-limit"];
  const reservedIpLimit =
    limit === undefined ? DEFAULT_LOCAL_ACCOUNT.reservedIpLimit : Number(limit);
  if (!Number.isInteger(reservedIpLimit) || reservedIpLimit < 0 || reservedIpLimit > 100) {
    throw new UsageError(`--reserved-ip-limit must be a whole number from 0 to 100, got ${limit}`);
  }
  const emails = values["verified-emails"];
  const verifiedEmails =
    emails === undefined
      ? DEFAULT_LOCAL_ACCOUNT.verifiedEmails
      : emails
          .split(",")
          .map((email) => email.trim())
          .filter(Boolean);
  return { reservedIpLimit, verifiedEmails };
}

export const localCommand = defineCommand({
  name: "local",
  summary:
    "Rehearse a deploy on a local DigitalOcean (root): droplets booted by the program's cloud-init, every remote step over SSH, the firewall, DNS, the registry, Let's Encrypt (pebble), the load balancer and its certificate, uptime checks from the visitor. Metric alerts (MonitorAlert) are listed as skipped.",
  usage:
    "npm run local -- up|status|down|run|exec --stack <name> [--config <Pulumi.x.yaml>] [--json] [--from-outside] [--apt-busy <seconds>] [--reserved-ip-limit <n>] [--verified-emails <a,b>] [--as visitor|operator] [--droplet <name>] [-- <command...>]",
  positionals: {
    name: "subcommand",
    choices: ["up", "status", "down", "run", "exec"],
    rest: "<command...>",
  },
  options: {
    ...STACK_OPTIONS,
    json: {
      type: "boolean",
      default: false,
      help: "up, status: print the stack as one JSON object",
    },
    as: {
      type: "string",
      value: "visitor|operator",
      help: "run: from a client outside (visitor) or inside (operator, with the stack's SSH key) firewall.sshSourceAddresses",
    },
    droplet: {
      type: "string",
      value: "<name>",
      help: "exec: the droplet to run the command on, as root",
    },
    "from-outside": {
      type: "boolean",
      default: false,
      help: "up (the first): the operator outside firewall.sshSourceAddresses, as a CI runner; every up then deploys through npm run deploy-access's way in",
    },
    "apt-busy": {
      type: "string",
      value: "<seconds>",
      help: "up: every new droplet's apt and dpkg locks held this long from first boot, as DigitalOcean's agent install holds them",
    },
    "reserved-ip-limit": {
      type: "string",
      value: "<n>",
      help: "up: the reserved IPs the local account holds, with its other stacks' (DigitalOcean's default: 3)",
    },
    "verified-emails": {
      type: "string",
      value: "<a,b>",
      help: "up: the addresses verified on the local account, which alerts.emails may name (default: ops@example.com)",
    },
    "user-data": {
      type: "string",
      value: "<file>",
      help: "up: boot the droplets from this cloud-config instead of the program's (to rehearse a broken bootstrap)",
    },
  },
  async run({ values, positionals: [subcommand, ...argv], out }) {
    if (!values.stack) throw new UsageError("--stack <name> is required");
    requireRoot();
    const stack = values.stack;
    if (subcommand === "up" || subcommand === "status") {
      const status =
        subcommand === "up"
          ? await localUp(
              {
                stack,
                configFile: values.config,
                userDataFile: values["user-data"],
                fromOutside: values["from-outside"],
                aptBusySeconds: aptBusySeconds(values["apt-busy"]),
                account: account(values),
              },
              out,
            )
          : localStatus(stack);
      if (values.json) out.result(JSON.stringify(status, null, 2));
      else for (const line of statusLines(status)) out.result(line);
      return;
    }
    if (subcommand === "down") {
      const removed = await localDown(stack, out.note);
      if (removed.length === 0) out.result(`${stack} is not up in the local cloud: nothing to do`);
      else out.result(`${stack} is down: removed ${removed.join(", ")}`);
      return;
    }
    if (subcommand === "run") {
      if (!values.as) throw new UsageError("run needs --as visitor or --as operator");
      return runAs(stack, values.as, argv);
    }
    if (!values.droplet) throw new UsageError("exec needs --droplet <name>");
    return execOnDroplet(stack, values.droplet, argv);
  },
});
