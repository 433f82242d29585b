/**
 * How much of the internet a list of SSH sources admits, judged by the addresses it covers in
 * total per address family (overlaps counted once), not by how it is written: `0.0.0.0/1` and
 * `128.0.0.0/1` admit every IPv4 address as surely as `0.0.0.0/0`. The one implementation behind
 * the production config check (schema.ts) and the policy pack (policy/rules.ts).
 */
import ipaddr from "ipaddr.js";

export type Family = "ipv4" | "ipv6";
export const FAMILY_BITS: Record<Family, number> = { ipv4: 32, ipv6: 128 };
const FAMILY_NAMES: Record<Family, string> = { ipv4: "IPv4", ipv6: "IPv6" };

/**
 * Production's limit per family, as the prefix length of the one block it equals: no more than a
 * /16's worth of IPv4 addresses (an office's or a VPN's range, with room) and a /32's worth of
 * IPv6 (what one provider's allocation holds).
 */
export const DEFAULT_SSH_EXPOSURE_LIMIT: Record<Family, number> = { ipv4: 16, ipv6: 32 };

/** A CIDR (or a bare address) as the half-open range of addresses it admits. */
function rangeOf(cidr: string): { family: Family; start: bigint; end: bigint } {
  const [address, prefix] = cidr.includes("/")
    ? ipaddr.parseCIDR(cidr)
    : [ipaddr.parse(cidr), undefined];
  const family: Family = address.kind();
  const bits = FAMILY_BITS[family];
  const value = address.toByteArray().reduce((n, byte) => (n << 8n) | BigInt(byte), 0n);
  const size = 1n << BigInt(bits - (prefix ?? bits));
  // Host bits set (10.0.0.5/8) still admit the whole block, as a firewall reads them.
  const start = value - (value % size);
  return { family, start, end: start + size };
}

/** Per family, how many addresses the CIDRs admit together, overlaps counted once. */
export function admittedAddresses(cidrs: readonly string[]): Record<Family, bigint> {
  const ranges: Record<Family, { start: bigint; end: bigint }[]> = { ipv4: [], ipv6: [] };
  for (const cidr of cidrs) {
    const { family, start, end } = rangeOf(cidr);
    ranges[family].push({ start, end });
  }
  const union = (list: { start: bigint; end: bigint }[]) => {
    let total = 0n;
    let reach = -1n;
    for (const { start, end } of [...list].sort((a, b) => (a.start < b.start ? -1 : 1))) {
      if (end <= reach) continue;
      total += end - (start > reach ? start : reach);
      reach = end;
    }
    return total;
  };
  return { ipv4: union(ranges.ipv4), ipv6: union(ranges.ipv6) };
}

/** `65,536 IPv4 addresses (a /16's worth)`, `2^127 IPv6 addresses (a /1's worth)`. */
export function describeCount(family: Family, count: bigint): string {
  const log2 = count.toString(2).length - 1;
  const exact = 1n << BigInt(log2) === count;
  const number =
    family === "ipv4" || log2 < 40
      ? count.toLocaleString("en-US")
      : `${exact ? "" : "more than "}2^${log2}`;
  const worth = exact ? ` (a /${FAMILY_BITS[family] - log2}'s worth)` : "";
  return `${number} ${FAMILY_NAMES[family]} addresses${worth}`;
}

/**
 * What is wrong with SSH open to `cidrs` in production: one line per family that admits more than
 * `limit` allows (prefix lengths), none when it is within it. Every CIDR must be valid (isCidr).
 */
export function sshExposureProblems(
  cidrs: readonly string[],
  limit: Record<Family, number> = DEFAULT_SSH_EXPOSURE_LIMIT,
  /** Where the limit is raised: the stack's config key, or the policy pack's. */
  raisedBy = "firewall.sshExposureLimit",
): string[] {
  const admitted = admittedAddresses(cidrs);
  return (Object.keys(FAMILY_BITS) as Family[]).flatMap((family) => {
    const allowed = 1n << BigInt(FAMILY_BITS[family] - limit[family]);
    if (admitted[family] <= allowed) return [];
    return [
      `admits ${describeCount(family, admitted[family])} in total, more than production's limit ` +
        `of ${describeCount(family, allowed)}: narrow the list, or raise ` +
        `${raisedBy}.${family} if that is meant`,
    ];
  });
}

/** `/12` as 12, within a family's prefix lengths but never /0 (the whole internet); or undefined. */
export function exposureLimitPrefix(family: Family, text: string): number | undefined {
  const match = /^\/(\d{1,3})$/.exec(text);
  const prefix = match ? Number(match[1]) : NaN;
  return prefix >= 1 && prefix <= FAMILY_BITS[family] ? prefix : undefined;
}

/** The limit a raise asks for, family by family; the default where it asks for none (or badly). */
export function exposureLimit(
  raised: { ipv4?: unknown; ipv6?: unknown } = {},
): Record<Family, number> {
  return {
    ipv4: exposureLimitPrefix("ipv4", String(raised.ipv4)) ?? DEFAULT_SSH_EXPOSURE_LIMIT.ipv4,
    ipv6: exposureLimitPrefix("ipv6", String(raised.ipv6)) ?? DEFAULT_SSH_EXPOSURE_LIMIT.ipv6,
  };
}
