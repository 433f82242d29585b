/**
 * The router's nftables ruleset, rendered whole from the stack's state and swapped in atomically:
 * reserved IPs as destination NAT, and DigitalOcean's cloud firewall as DigitalOcean applies it to
 * every droplet carrying a target tag: inbound only the declared ports from the declared sources,
 * outbound only the declared destinations, everything else dropped; a droplet no firewall targets
 * is open; and a database firewall as its trusted sources (only they reach the cluster's port).
 * Traffic leaves the stack only for the host's apt proxy and registry. Pure: tested alone.
 */
import { runOrThrow } from "../shared/runCommand";
import { ADDRESSES, PUBLIC_PREFIX, names } from "./localPaths";

/** One of a firewall's rules as the Firewall resource declares it (IPv4 sources/destinations). */
export interface FirewallRule {
  readonly protocol: string;
  /** `"22"`, `"1-65535"`; absent for ICMP. */
  readonly portRange?: string;
  readonly addresses: readonly string[];
}

export interface FirewallSpec {
  readonly name: string;
  /** Addresses of the droplets it applies to (by their tags). */
  readonly droplets: readonly string[];
  readonly inbound: readonly FirewallRule[];
  readonly outbound: readonly FirewallRule[];
}

/** A database cluster's address and port, and the addresses its database firewall admits. */
export interface DatabaseAccess {
  readonly address: string;
  readonly port: number;
  /** None: no database firewall, any address may connect (DigitalOcean's default). */
  readonly clients?: readonly string[];
}

export interface RouterRules {
  /** Reserved IP → the droplet address it is assigned to. */
  readonly reservedIps: Readonly<Record<string, string>>;
  readonly firewalls: readonly FirewallSpec[];
  readonly databases?: readonly DatabaseAccess[];
}

/** Ports the host's shared services answer on: the apt proxy and the registry. */
export const SERVICE_PORTS = [3142, 443] as const;

const ipv4 = (addresses: readonly string[]) => addresses.filter((a) => !a.includes(":"));

/** One nft match for a rule's protocol, port and peers; undefined when it admits no IPv4 peer. */
function ruleMatch(rule: FirewallRule, peer: "saddr" | "daddr"): string | undefined {
  const peers = ipv4(rule.addresses);
  if (peers.length === 0) return undefined;
  const who = peers.includes("0.0.0.0/0") ? "" : `ip ${peer} { ${peers.join(", ")} } `;
  if (rule.protocol === "icmp") return `${who}ip protocol icmp`;
  const ports =
    rule.portRange === undefined || rule.portRange === "all" ? "1-65535" : rule.portRange;
  return `${who}${rule.protocol} dport ${ports}`;
}

const chainName = (prefix: string, address: string) => `${prefix}_${address.replace(/\./g, "_")}`;

/** The whole ruleset for the router of stack `index`, as one `nft -f` file. */
export function renderRouterRules(index: number, rules: RouterRules): string {
  const { table } = names(index);
  const lines: string[] = [];
  const covered = new Map<string, FirewallSpec[]>();
  for (const firewall of rules.firewalls) {
    for (const droplet of firewall.droplets)
      covered.set(droplet, [...(covered.get(droplet) ?? []), firewall]);
  }
  const reserved = Object.entries(rules.reservedIps);
  // Deleting a table that does not exist fails: add it first, so the file works either way.
  lines.push(`add table ip ${table}`, `delete table ip ${table}`, `table ip ${table} {`);
  lines.push(
    "  chain prerouting {",
    "    type nat hook prerouting priority dstnat; policy accept;",
  );
  for (const [address, droplet] of reserved)
    lines.push(`    ip daddr ${address} dnat to ${droplet}`);
  lines.push("  }");
  lines.push(
    "  chain postrouting {",
    "    type nat hook postrouting priority srcnat; policy accept;",
  );
  lines.push(`    oifname "up0" masquerade`, "  }");
  lines.push("  chain forward {", "    type filter hook forward priority filter; policy drop;");
  lines.push("    ct state established,related accept", "    ct state invalid drop");
  for (const droplet of covered.keys())
    lines.push(`    ip saddr ${droplet} jump ${chainName("out", droplet)}`);
  lines.push(
    `    oifname "up0" ip daddr ${ADDRESSES.services} tcp dport { ${SERVICE_PORTS.join(", ")} } accept`,
  );
  for (const droplet of covered.keys())
    lines.push(`    ip daddr ${droplet} jump ${chainName("in", droplet)}`);
  // A database firewall's trusted sources reach the cluster's port; nothing else reaches it.
  for (const db of rules.databases ?? []) {
    if (db.clients === undefined) continue;
    if (db.clients.length > 0)
      lines.push(
        `    ip daddr ${db.address} ip saddr { ${db.clients.join(", ")} } tcp dport ${db.port} accept`,
      );
    lines.push(`    ip daddr ${db.address} counter drop`);
  }
  lines.push(`    ip daddr ${PUBLIC_PREFIX}.0/24 accept`, "  }");
  for (const [droplet, firewalls] of covered) {
    // Any firewall that admits the packet admits it, as with several DigitalOcean firewalls.
    lines.push(`  chain ${chainName("in", droplet)} {`);
    for (const rule of firewalls.flatMap((f) => f.inbound)) {
      const match = ruleMatch(rule, "saddr");
      if (match) lines.push(`    ${match} accept`);
    }
    lines.push("    counter drop", "  }");
    lines.push(`  chain ${chainName("out", droplet)} {`);
    for (const rule of firewalls.flatMap((f) => f.outbound)) {
      const match = ruleMatch(rule, "daddr");
      if (match) lines.push(`    ${match} return`);
    }
    lines.push("    counter drop", "  }");
  }
  lines.push("}", "");
  return lines.join("\n");
}

/** Swaps the rendered ruleset into the router of stack `index` in one transaction. */
export function applyRouterRules(index: number, rules: RouterRules): void {
  runOrThrow("ip", ["netns", "exec", names(index).router, "nft", "-f", "-"], {
    input: renderRouterRules(index, rules),
  });
}
