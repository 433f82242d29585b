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
 * before its `close` leaves the rule until the next `open` or `reap` of the stack removes it.
 */
import { isIP } from "node:net";
import { environmentTags } from "../../components/Environment";
import { outboundRules } from "../../components/Firewall";
import { UserError } from "../shared/errors";

/** A firewall the way in made, as DigitalOcean lists it. */
export interface ListedFirewall {
  readonly id: string;
  readonly name: string;
  /** ISO 8601, as DigitalOcean's `created_at`. */
  readonly createdAt: string;
}

/** The way in: port 22 from one address, for every droplet carrying `tag`. */
export interface DeployFirewall {
  readonly name: string;
  readonly tag: string;
  /** `<address>/32` or `<address>/128`. */
  readonly sshSource: string;
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

const PREFIX = "dropstack-";
const SUFFIX = "-deploy";

/** The way in's firewall of `stack`: one per stack (a stack's deploys never run two at once). */
export const deployFirewallName = (stack: string) => `${PREFIX}${stack}${SUFFIX}`;

/** The firewall `open` makes for `stack` and `address` (one host, never a range). */
export function deployFirewall(stack: string, address: string): DeployFirewall {
  const family = isIP(address);
  if (family === 0) {
    throw new UserError(
      `--address must be one IPv4 or IPv6 address (the deploying machine's public one), got "${address}"`,
    );
  }
  const [tag] = environmentTags({ stack, tags: [] });
  return {
    name: deployFirewallName(stack),
    tag,
    sshSource: `${address}/${family === 4 ? 32 : 128}`,
    outbound: outboundRules(),
  };
}

type Note = (line: string) => void;

/** Deletes the way in of `stack` (every firewall of that name); resolves to how many it deleted. */
export async function closeDeployAccess(
  api: FirewallApi,
  stack: string,
  note: Note,
): Promise<number> {
  const name = deployFirewallName(stack);
  const found = (await api.firewalls()).filter((f) => f.name === name);
  for (const firewall of found) await api.deleteFirewall(firewall.id);
  note(
    found.length === 0
      ? `no way in open for ${stack} (no firewall ${name}): nothing to close`
      : `closed the way in for ${stack}: deleted firewall ${name}`,
  );
  return found.length;
}

/**
 * Opens SSH from `address` to the droplets of `stack` until `closeDeployAccess`. A way in left by
 * a run that died before its close is replaced, not added to.
 */
export async function openDeployAccess(
  api: FirewallApi,
  stack: string,
  address: string,
  note: Note,
): Promise<{ id: string }> {
  const firewall = deployFirewall(stack, address);
  const stale = (await api.firewalls()).filter((f) => f.name === firewall.name);
  for (const old of stale) await api.deleteFirewall(old.id);
  if (stale.length > 0) note(`  replaced a way in an earlier run of ${stack} left open`);
  // On a first deploy the program has not made the tag yet ("Tag names must exist in order to be
  // referenced": DigitalOcean's OpenAPI spec, shared/attributes/existing_tags_array.yml). The
  // program's Tag resource then creates a tag that exists. The spec does not say what that does;
  // the provider relies on it returning the tag (terraform-provider-digitalocean @401992a1,
  // digitalocean/tag/tags.go `SetTags` creates every tag it adds, existing ones included).
  await api.ensureTag(firewall.tag);
  const created = await api.createFirewall(firewall);
  note(
    `opened SSH from ${firewall.sshSource} to the droplets tagged ${firewall.tag}: firewall ${firewall.name} (close it with npm run deploy-access -- close --stack ${stack})`,
  );
  return created;
}

/** Runs `deploy` with the way in open, and closes it after, whether `deploy` succeeds or not. */
export async function withDeployAccess<T>(
  api: FirewallApi,
  stack: string,
  address: string,
  note: Note,
  deploy: () => Promise<T>,
): Promise<T> {
  await openDeployAccess(api, stack, address, note);
  try {
    return await deploy();
  } finally {
    await closeDeployAccess(api, stack, note);
  }
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
    (f) => f.name.startsWith(PREFIX) && f.name.endsWith(SUFFIX) && Date.parse(f.createdAt) < cutoff,
  );
  for (const firewall of stale) {
    await api.deleteFirewall(firewall.id);
    note(`deleted ${firewall.name}, open since ${firewall.createdAt}`);
  }
  if (stale.length === 0) note(`no way in open longer than ${maxAgeMinutes} minutes`);
  return stale.map((f) => f.name);
}
