/** `npm run local -- status`: what a stack's local cloud holds, the object `up --json` prints. */
import { UserError } from "../shared/errors";
import { dropletMachine, dropletRunning } from "./dropletMachine";
import { ADDRESSES } from "./localPaths";
import { readState } from "./localState";
import { readProbes, UptimeReport, uptimeReport } from "./uptimeChecker";

export interface LocalStatus {
  readonly stack: string;
  readonly droplets: {
    name: string;
    address: string;
    reservedIp: string | null;
    running: boolean;
  }[];
  readonly dns: { server: string; zone: string | null };
  /** The load balancer's address, when the stack has one. */
  readonly balancer: { name: string; address: string } | null;
  readonly urls: string[];
  /** Each uptime check: its last probe from the visitor's namespace, and its alerts. */
  readonly uptime: UptimeReport[];
  /** Resources not emulated (yet), by type and name. */
  readonly skipped: { type: string; name: string }[];
  /** Seconds per phase of the last `up`. */
  readonly phases: Record<string, number>;
  readonly complete: boolean;
}

export function localStatus(stack: string): LocalStatus {
  const state = readState(stack);
  if (!state)
    throw new UserError(
      `${stack} is not up in the local cloud: npm run local -- up --stack ${stack}`,
    );
  return {
    stack,
    droplets: state.droplets.map((d) => ({
      name: d.name,
      address: d.address,
      reservedIp: state.reservedIps.find((ip) => ip.dropletId === d.id)?.address ?? null,
      running: dropletRunning(dropletMachine(stack, d.name, d.machine, d.netns)),
    })),
    dns: { server: `${ADDRESSES.dns}:53`, zone: state.dnsRecords[0]?.domain ?? null },
    balancer: state.balancers?.[0]
      ? { name: state.balancers[0].name, address: state.balancers[0].address }
      : null,
    urls: state.urls,
    uptime: uptimeReport(readProbes(stack), state.uptimeChecks ?? [], state.uptimeAlerts ?? []),
    skipped: state.skipped,
    phases: Object.fromEntries(
      Object.entries(state.phases).map(([name, span]) => [
        name,
        Math.round((span.end - span.start) / 100) / 10,
      ]),
    ),
    complete: state.complete,
  };
}

/** The status for a person: droplets, DNS, URLs, skipped resources. */
export function statusLines(status: LocalStatus): string[] {
  return [
    `${status.stack}${status.complete ? "" : " (incomplete: its up did not finish)"}:`,
    ...status.droplets.map(
      (d) =>
        `  droplet ${d.name} at ${d.address}${d.reservedIp ? `, reserved IP ${d.reservedIp}` : ""}${d.running ? "" : " (not running)"}`,
    ),
    ...(status.balancer
      ? [`  load balancer ${status.balancer.name} at ${status.balancer.address}`]
      : []),
    `  DNS ${status.dns.server}${status.dns.zone ? ` serves ${status.dns.zone}` : ""}`,
    ...status.uptime.map((u) => {
      const last = u.last
        ? `${u.last.up ? "up" : "down"} (${u.last.status}, ${u.last.latencyMs} ms)`
        : "not probed yet";
      const firing = u.alerts.filter((a) => a.firing).map((a) => a.type);
      return `  uptime ${u.target}: ${last}, ${u.probes} probes${firing.length ? `; alerting: ${firing.join(", ")}` : ""}`;
    }),
    ...status.skipped.map(
      (s) => `  skipped ${s.type.split(":").pop()} ${s.name} (not emulated yet)`,
    ),
    ...status.urls.map((url) => `  ${url}`),
  ];
}
