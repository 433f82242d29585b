/**
 * How many reserved IPs a plan takes, against the account's limit: DigitalOcean allows an account
 * three by default ("Reserved IP limits" in its documentation; more on request), shared by every
 * stack in it, and a stack over it fails at its reserved IP, half-way through `pulumi up`. Pure.
 */
import { RESOURCE_TYPES } from "../components/resourceTypes";

export const DEFAULT_RESERVED_IP_LIMIT = 3;

export function reservedIpCount(resources: readonly { readonly type: string }[]): number {
  return resources.filter((r) => r.type === RESOURCE_TYPES.reservedIp).length;
}

/**
 * What a report says of them: nothing when there are none. A stack takes one at most (its first
 * droplet's), so the limit is met only with the account's other stacks, which a plan does not see:
 * the note says so, and the local cloud, which sees them, refuses a fourth.
 */
export function reservedIpNote(count: number): string | undefined {
  if (count === 0) return undefined;
  const what = `${count} reserved IP${count === 1 ? "" : "s"}`;
  return `takes ${what} of the ${DEFAULT_RESERVED_IP_LIMIT} DigitalOcean allows an account by default, with its other stacks' (review stacks take none; ask DigitalOcean support for more before a fourth long-lived stack)`;
}
