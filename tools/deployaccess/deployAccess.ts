/**
 * The deploy's way in: SSH opened to the deploying machine's own address for the length of one
 * `pulumi up`, and closed after it whatever its outcome. A GitHub-hosted runner's address is not
 * fixed, so it can never be in `firewall.sshSourceAddresses`, and the stack's firewall drops SSH
 * from it. Instead of widening that list (production refuses `0.0.0.0/0`), `open` adds a second
 * DigitalOcean firewall on the environment's tag admitting port 22 from that one address alone,
 * and `close` deletes it. DigitalOcean applies the union of every firewall a droplet is in
 * (docs.digitalocean.com/products/networking/firewalls, "manage Droplets": "the union of all of
 * the Firewalls' rules"), so the stack's own firewall, in Pulumi's state, is never touched.
 *
 * Why this and not a bastion (`connection.proxy`) or a VPN: both need a machine or an account that
 * is always there, paid for and patched, for a door that is open a few minutes a deploy. The cost
 * of this one: while an `up` runs, SSH is open to the runner's address (a shared cloud address:
 * another tenant there reaches sshd, which still asks for the deploy key), and a runner that dies
 * before its `close` leaves the rule until `reap` removes it.
 */
import { isIP } from "node:net";
import { environmentTags, firewallNameOf } from "../../components/Environment";
import { ANYWHERE, outboundRules } from "../../components/Firewall";
import { UserError } from "../shared/errors";

/** A firewall as DigitalOcean lists it. */
export interface ListedFirewall {
  readonly id: string;
  readonly name: string;
  /** ISO 8601, as DigitalOcean's `created_at`. */
  readonly createdAt: string;
}

/** One inbound rule of the way in, plain values: TCP to `portRange` from `sourceAddresses`. */
export interface DeployInboundRule {
  readonly portRange: string;
  readonly sourceAddresses: readonly string[];
}

/** The way in: port 22 from one address, for every droplet carrying `tag`. */
export interface DeployFirewall {
  readonly name: string;
  readonly tag: string;
  /** `<address>/32` or `<address>/128`. */
  readonly sshSource: string;
  /**
   * Port 22 from `sshSource`; and 80 and 443 from anywhere too while the stack has no firewall of
   * its own yet (its first deploy). Behind a balancer the droplets are made, and the balancer
   * checks them, before the stack's firewall exists; this one alone would drop the checks. Before
   * the stack's firewall exists they are open to all without the way in too: this keeps them so,
   * no wider.
   */
  readonly inbound: readonly DeployInboundRule[];
  /**
   * The stack firewall's own outbound rules. A firewall drops whatever no rule admits, and behind
   * a balancer the droplets boot (apt and all) before the stack's firewall exists: this one alone
   * must not cut them off.
   */
  readonly outbound: ReturnType<typeof outboundRules>;
}

/** The few firewall calls the way in needs: DigitalOcean's API, or the local cloud's stand-in. */
export interface FirewallApi {
  /** Creates `tag` unless it exists: a firewall may only name a tag that exists. */
  ensureTag(tag: string): Promise<void>;
  firewalls(): Promise<ListedFirewall[]>;
  createFirewall(firewall: DeployFirewall): Promise<{ id: string }>;
  /** Deletes it; one that is gone already is no error. */
  deleteFirewall(id: string): Promise<void>;
}

/** While the stack has no firewall of its own: its droplets' web ports, from anywhere. */
const WEB_PORTS = ["80", "443"];

/** No firewall of the program's starts so (theirs are `dropstack-<stack>`): reap never takes one. */
const PREFIX = "deploy-access-";

/**
 * One address's way in to `stack`: a name of its own, so that two deploys of a stack from two
 * machines (a laptop beside CI) never close each other's.
 */
export const deployFirewallName = (stack: string, sshSource: string) =>
  `${PREFIX}${stack}-${sshSource.replace(/[:/.]/g, "-").replace(/-+/g, "-")}`;

/** The address as one host's CIDR; anything else (a range, a name, nothing) is refused. */
function hostCidr(address: string): string {
  const family = isIP(address);
  if (family === 0) {
    throw new UserError(
      `--address must be one IPv4 or IPv6 address (the deploying machine's public one), got "${address}"`,
    );
  }
  return `${address}/${family === 4 ? 32 : 128}`;
}

/** The firewall `open` makes for `stack` and `address`, given whether the stack's own exists. */
export function deployFirewall(
  stack: string,
  address: string,
  stackFirewallExists = true,
): DeployFirewall {
  const sshSource = hostCidr(address);
  const [tag] = environmentTags({ stack, tags: [] });
  return {
    name: deployFirewallName(stack, sshSource),
    tag,
    sshSource,
    inbound: [
      { portRange: "22", sourceAddresses: [sshSource] },
      ...(stackFirewallExists ? [] : WEB_PORTS).map((portRange) => ({
        portRange,
        sourceAddresses: ANYWHERE,
      })),
    ],
    outbound: outboundRules(),
  };
}

type Note = (line: string) => void;

/** Deletes the way in of `stack` for `address`; resolves to how many firewalls it deleted. */
export async function closeDeployAccess(
  api: FirewallApi,
  stack: string,
  address: string,
  note: Note,
): Promise<number> {
  const name = deployFirewallName(stack, hostCidr(address));
  const found = (await api.firewalls()).filter((f) => f.name === name);
  for (const firewall of found) await api.deleteFirewall(firewall.id);
  note(
    found.length === 0
      ? `no way in open for ${stack} from ${address} (no firewall ${name}): nothing to close`
      : `closed the way in for ${stack} from ${address}: deleted firewall ${name}`,
  );
  return found.length;
}

/**
 * Opens SSH from `address` to the droplets of `stack` until `closeDeployAccess`. One that a dead
 * run from the same address left is replaced, not added to.
 */
export async function openDeployAccess(
  api: FirewallApi,
  stack: string,
  address: string,
  note: Note,
): Promise<{ id: string }> {
  const listed = await api.firewalls();
  const stackFirewall = listed.some((f) => f.name === firewallNameOf(stack));
  const firewall = deployFirewall(stack, address, stackFirewall);
  const stale = listed.filter((f) => f.name === firewall.name);
  for (const old of stale) await api.deleteFirewall(old.id);
  if (stale.length > 0) note(`  replaced a way in an earlier run from ${address} left open`);
  // On a first deploy the program has not made the tag yet ("Tag names must exist in order to be
  // referenced": DigitalOcean's OpenAPI spec, shared/attributes/existing_tags_array.yml). The
  // program's Tag resource then creates a tag that exists. The spec does not say what that does;
  // the provider relies on it returning the tag (terraform-provider-digitalocean @401992a1,
  // digitalocean/tag/tags.go `SetTags` creates every tag it adds, existing ones included).
  await api.ensureTag(firewall.tag);
  const created = await api.createFirewall(firewall);
  note(
    `opened SSH from ${firewall.sshSource} to the droplets tagged ${firewall.tag}: firewall ${firewall.name}` +
      (stackFirewall ? "" : ` (and 80, 443 from anywhere until the stack's own firewall exists)`),
  );
  return created;
}

/**
 * Runs `deploy` with the way in open, and closes it after, whether `deploy` succeeds or not. A
 * failed close is reported without hiding the deploy's own failure.
 */
export async function withDeployAccess<T>(
  api: FirewallApi,
  stack: string,
  address: string,
  note: Note,
  deploy: () => Promise<T>,
): Promise<T> {
  await openDeployAccess(api, stack, address, note);
  let result: T;
  try {
    result = await deploy();
  } catch (error) {
    await closeDeployAccess(api, stack, address, note).catch((closing: Error) =>
      note(`could not close the way in for ${stack}: ${closing.message} (reap removes it)`),
    );
    throw error;
  }
  await closeDeployAccess(api, stack, address, note);
  return result;
}

/**
 * Deletes every way in, of any stack, open longer than `maxAgeMinutes`: what a runner that died
 * before its close left (the daily reap workflow runs it). Resolves to the names it deleted.
 */
export async function reapDeployAccess(
  api: FirewallApi,
  maxAgeMinutes: number,
  now: Date,
  note: Note,
): Promise<string[]> {
  const cutoff = now.getTime() - maxAgeMinutes * 60_000;
  const stale = (await api.firewalls()).filter(
    (f) => f.name.startsWith(PREFIX) && Date.parse(f.createdAt) < cutoff,
  );
  for (const firewall of stale) {
    await api.deleteFirewall(firewall.id);
    note(`deleted ${firewall.name}, open since ${firewall.createdAt}`);
  }
  if (stale.length === 0) note(`no way in open longer than ${maxAgeMinutes} minutes`);
  return stale.map((f) => f.name);
}
