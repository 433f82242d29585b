/** `npm run deploy-access`: SSH opened to this machine's address for one deploy, and closed after. */
import {
  closeDeployAccess,
  openDeployAccess,
  reapDeployAccess,
} from "../deployaccess/deployAccess";
import { DigitalOceanFirewalls } from "../deployaccess/digitalOceanFirewalls";
import { UsageError } from "../shared/errors";
import { defineCommand } from "./command";

/** Longer than any deploy (a production resize rolls in under half an hour). */
const DEFAULT_REAP_MINUTES = 120;

export const deployAccessCommand = defineCommand({
  name: "deploy-access",
  summary:
    "Open SSH to a stack's droplets from one address for a deploy (a DigitalOcean firewall of its own), close it after, or reap ways in left open (needs DIGITALOCEAN_TOKEN).",
  usage:
    "npm run deploy-access -- open|close --stack <name> --address <ip> | reap [--older-than <minutes>]",
  positionals: { name: "subcommand", choices: ["open", "close", "reap"] },
  options: {
    stack: {
      type: "string",
      short: "s",
      value: "<name>",
      help: "open, close: the stack whose droplets (by its tag) SSH is opened to",
    },
    address: {
      type: "string",
      value: "<ip>",
      help: "open, close: the deploying machine's public address (one host: /32 or /128)",
    },
    "older-than": {
      type: "string",
      value: "<minutes>",
      help: `reap: delete ways in open longer than this (default ${DEFAULT_REAP_MINUTES})`,
    },
  },
  async run({ values, positionals: [subcommand], out }) {
    if (subcommand === "reap") {
      const minutes = Number(values["older-than"] ?? DEFAULT_REAP_MINUTES);
      if (!Number.isInteger(minutes) || minutes < 1) {
        throw new UsageError(`--older-than must be a whole number of minutes, got ${minutes}`);
      }
      const api = DigitalOceanFirewalls.fromEnvironment();
      await reapDeployAccess(api, minutes, new Date(), out.note);
      return;
    }
    if (!values.stack) throw new UsageError(`${subcommand} needs --stack <name>`);
    if (!values.address) throw new UsageError(`${subcommand} needs --address <ip>`);
    const api = DigitalOceanFirewalls.fromEnvironment();
    if (subcommand === "open") await openDeployAccess(api, values.stack, values.address, out.note);
    else await closeDeployAccess(api, values.stack, values.address, out.note);
  },
});
