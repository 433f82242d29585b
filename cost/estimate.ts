/**
 * The monthly cost of a plan's resources from the dated price table: pure, so it is tested
 * against hand-computed totals. Shared things a stack only references (the registry, the zone)
 * cost nothing here; the registry gets a note saying where it is billed instead.
 */
import { SECRET_MASK } from "../config";
import { RESOURCE_TYPES } from "../components/resourceTypes";
import { PRICES } from "./prices";
import { reservedIpCount, reservedIpNote } from "./reservedIps";

/** A resource as the estimate sees it (tools/plan/costInput.ts makes these from the plan). */
export interface CostedResource {
  readonly type: string;
  readonly name: string;
  /** Plain values, secrets included: prices need them, and a price reveals nothing new. */
  readonly inputs: Record<string, unknown>;
  /** Inputs whose values are secret: a report line shows them masked. */
  readonly secretInputs?: readonly string[];
}

export interface CostLine {
  readonly name: string;
  readonly what: string;
  /** USD per month, or undefined when the price table has no entry or an input is unknown. */
  readonly monthly: number | undefined;
}

export interface CostEstimate {
  readonly lines: CostLine[];
  /** Sum of the known lines, USD per month, rounded to cents. */
  readonly monthly: number;
  /** USD per day at the hourly rate (monthly / 28). */
  readonly daily: number;
  /** False when some line has no price: the total is then a lower bound. */
  readonly complete: boolean;
  readonly pricesDate: string;
  /**
   * What the plan uses but is billed elsewhere (one note per shared registry), and how many of the
   * account's reserved IPs it takes, for the report.
   */
  readonly notes: string[];
}

const T = RESOURCE_TYPES;

const cents = (usd: number) => Math.round(usd * 100) / 100;

/** A row of a price table by key; own keys only, so "constructor" is not a price. */
const priceOf = (table: Record<string, number>, key: string): number | undefined =>
  Object.hasOwn(table, key) ? table[key] : undefined;

const isSecret = (r: CostedResource, input: string) => r.secretInputs?.includes(input) ?? false;

/** An input as text for a report line: secrets masked, anything not yet known said so. */
function shown(r: CostedResource, input: string): string {
  if (isSecret(r, input)) return SECRET_MASK;
  const value = r.inputs[input];
  return typeof value === "string" ? value : "(known after apply)";
}

/**
 * Nodes of a load balancer: 1 when `sizeUnit` is absent (DigitalOcean's default), undefined
 * when it is unknown (computed, or not a whole number of nodes) so the line has no price.
 */
export function loadBalancerNodes(value: unknown): number | undefined {
  if (value === undefined) return 1;
  return typeof value === "number" && Number.isInteger(value) && value >= 1 ? value : undefined;
}

function linesFor(r: CostedResource, prices: typeof PRICES): CostLine[] {
  const line = (what: string, monthly: number | undefined): CostLine => ({
    name: r.name,
    what,
    monthly,
  });
  switch (r.type) {
    case T.droplet: {
      const size = String(r.inputs.size);
      const base = priceOf(prices.droplets, size);
      const lines = [line(`droplet ${size}`, base)];
      if (r.inputs.backups === true) {
        const backups = base === undefined ? undefined : cents(base * prices.backupsShare);
        lines.push(line("weekly backups (20%)", backups));
      }
      return lines;
    }
    case T.reservedIp:
      return [line("reserved IP (assigned)", prices.reservedIpAssigned)];
    case T.databaseCluster: {
      const size = String(r.inputs.size);
      const nodes = r.inputs.nodeCount;
      const engine = r.inputs.engine === "pg" ? "PostgreSQL" : `${String(r.inputs.engine)} cache`;
      if (nodes !== 1)
        return [line(`${engine} ${size}, ${String(nodes)} nodes (standbys not priced)`, undefined)];
      return [line(`${engine} ${size}, 1 node`, priceOf(prices.databaseNodes, size))];
    }
    case T.loadBalancer: {
      const nodes = loadBalancerNodes(r.inputs.sizeUnit);
      if (nodes === undefined) return [line("load balancer, nodes unknown", undefined)];
      const what = `load balancer, ${nodes} node${nodes === 1 ? "" : "s"}`;
      return [line(what, cents(nodes * prices.loadBalancerNode))];
    }
    case T.uptimeCheck: {
      const target = r.inputs.target;
      return [
        line(
          typeof target === "string" && !isSecret(r, "target")
            ? `uptime check ${target}`
            : "uptime check",
          prices.uptimeCheck,
        ),
      ];
    }
    case T.uptimeAlert:
      return [line("uptime alert (free)", prices.alert)];
    case T.monitorAlert:
      return [line("monitor alert (free)", prices.alert)];
    case T.certificate: {
      const kind = r.inputs.type === "lets_encrypt" ? "Let's Encrypt certificate" : "certificate";
      return [line(`${kind} (free)`, prices.certificate)];
    }
    case T.containerRegistry: {
      const tier = r.inputs.subscriptionTierSlug;
      const monthly = typeof tier === "string" ? priceOf(prices.registryTiers, tier) : undefined;
      return [line(`container registry ${shown(r, "subscriptionTierSlug")}`, monthly)];
    }
    default:
      return [];
  }
}

/** "starter $0, basic $5, professional $20", from the table so the note follows the prices. */
function tierList(prices: typeof PRICES): string {
  return Object.entries(prices.registryTiers)
    .map(([tier, usd]) => `${tier} $${usd}`)
    .join(", ");
}

/** One note per distinct registry the plan only references, in the order first seen. */
function registryNotes(resources: readonly CostedResource[], prices: typeof PRICES): string[] {
  const names = new Set(
    resources.filter((r) => r.type === T.registryCredentials).map((r) => shown(r, "registryName")),
  );
  return [...names].map(
    (name) =>
      `registry "${name}" is shared by the account and billed there (${tierList(prices)} a month), not counted here`,
  );
}

export function estimateCost(resources: readonly CostedResource[], prices = PRICES): CostEstimate {
  const lines = resources.flatMap((r) => linesFor(r, prices));
  const monthly = cents(lines.reduce((sum, line) => sum + (line.monthly ?? 0), 0));
  return {
    lines,
    monthly,
    daily: cents((monthly * 24) / prices.billedHoursPerMonth),
    complete: lines.every((line) => line.monthly !== undefined),
    pricesDate: prices.date,
    notes: [
      ...registryNotes(resources, prices),
      reservedIpNote(reservedIpCount(resources)) ?? [],
    ].flat(),
  };
}

/** One line for the plan's summary. */
export function costSummary(estimate: CostEstimate): string {
  const bound = estimate.complete ? "" : " (at least: some sizes have no price)";
  return `estimated $${estimate.monthly.toFixed(2)}/month, $${estimate.daily.toFixed(2)}/day${bound} at DigitalOcean prices of ${estimate.pricesDate}`;
}
