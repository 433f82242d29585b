/**
 * The monthly cost of a plan's resources from the dated price table: pure, so it is tested
 * against hand-computed totals. Shared things a stack only references (the registry, the zone)
 * cost nothing here.
 */
import { PRICES } from "./prices";

export interface CostedResource {
  readonly type: string;
  readonly name: string;
  readonly inputs: Record<string, unknown>;
}

export interface CostLine {
  readonly name: string;
  readonly what: string;
  /** USD per month, or undefined when the price table has no entry. */
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
}

const cents = (usd: number) => Math.round(usd * 100) / 100;

export function estimateCost(resources: readonly CostedResource[], prices = PRICES): CostEstimate {
  const lines: CostLine[] = [];
  for (const r of resources) {
    if (r.type === "digitalocean:index/droplet:Droplet") {
      const size = String(r.inputs.size);
      const base = prices.droplets[size];
      lines.push({ name: r.name, what: `droplet ${size}`, monthly: base });
      if (r.inputs.backups === true) {
        lines.push({
          name: r.name,
          what: "weekly backups (20%)",
          monthly: base === undefined ? undefined : cents(base * prices.backupsShare),
        });
      }
    } else if (r.type === "digitalocean:index/reservedIp:ReservedIp") {
      lines.push({
        name: r.name,
        what: "reserved IP (assigned)",
        monthly: prices.reservedIpAssigned,
      });
    }
  }
  const monthly = cents(lines.reduce((sum, line) => sum + (line.monthly ?? 0), 0));
  return {
    lines,
    monthly,
    daily: cents((monthly * 24) / prices.billedHoursPerMonth),
    complete: lines.every((line) => line.monthly !== undefined),
    pricesDate: prices.date,
  };
}

/** One line for the plan's summary. */
export function costSummary(estimate: CostEstimate): string {
  const bound = estimate.complete ? "" : " (at least: some sizes have no price)";
  return `estimated $${estimate.monthly.toFixed(2)}/month, $${estimate.daily.toFixed(2)}/day${bound} at DigitalOcean prices of ${estimate.pricesDate}`;
}
