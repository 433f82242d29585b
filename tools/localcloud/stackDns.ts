/**
 * The stack's DNS: Knot DNS (Debian's knot), authoritative for the zones the program's DnsRecord
 * resources write to, as DigitalOcean's name servers are, plus `registry.digitalocean.com` at the
 * local registry. It listens on the stack's DNS address inside the stack's router namespace, so
 * droplets and clients resolve through it; it recurses for nobody.
 */
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import * as path from "node:path";
import { runOrThrow } from "../shared/runCommand";
import { Daemon, daemonPid, startDaemon, stopDaemon, waitReady } from "../shared/daemons";
import { REGISTRY_HOST } from "./dropletMachine";

/** The zone of the local cloud's own hosts (the ACME server). */
const ACME_ZONE = "localcloud.test";
import { ADDRESSES, names, stackDir } from "./localPaths";

export interface DnsRecordSpec {
  readonly domain: string;
  readonly type: string;
  /** Relative to the zone; `@` is the apex. */
  readonly name: string;
  readonly value: string;
  readonly ttl: number;
}

/** The name a record answers for: `@` is the zone's apex. */
export const recordFqdn = (record: Pick<DnsRecordSpec, "name" | "domain">) =>
  record.name === "@" ? record.domain : `${record.name}.${record.domain}`;

const dnsDir = (stack: string) => path.join(stackDir(stack), "dns");
/** knot's configuration file of the stack: knotc edits its zones through it. */
export const knotConfFile = (stack: string) => path.join(dnsDir(stack), "knot.conf");

const daemon = (stack: string, index: number): Daemon => ({
  what: `the DNS server of ${stack} (knotd)`,
  command: "ip",
  args: [
    "netns",
    "exec",
    names(index).router,
    "knotd",
    "-c",
    path.join(dnsDir(stack), "knot.conf"),
  ],
  pidFile: path.join(dnsDir(stack), "knotd.pid"),
  logFile: path.join(dnsDir(stack), "knotd.log"),
});

/** One zone file: SOA and NS as DigitalOcean's, then the records. Pure. */
export function renderZone(
  zone: string,
  records: readonly DnsRecordSpec[],
  serial: number,
): string {
  const lines = [
    `$ORIGIN ${zone}.`,
    "$TTL 1800",
    `@ 1800 SOA ns1.digitalocean.com. hostmaster.${zone}. ${serial} 10800 3600 604800 1800`,
    "@ 1800 NS ns1.digitalocean.com.",
    ...records.map((r) => `${r.name} ${r.ttl} ${r.type} ${r.value}`),
  ];
  return `${lines.join("\n")}\n`;
}

/** knot's configuration for `zones`, listening on the stack's DNS address. Pure. */
export function renderKnotConf(dir: string, zones: readonly string[]): string {
  return [
    "server:",
    `    rundir: "${dir}"`,
    `    listen: ${ADDRESSES.dns}@53`,
    "log:",
    "  - target: stderr",
    "    any: info",
    "database:",
    `    storage: "${path.join(dir, "db")}"`,
    "template:",
    "  - id: default",
    `    storage: "${path.join(dir, "zones")}"`,
    '    file: "%s.zone"',
    "    semantic-checks: on",
    "zone:",
    ...zones.map((zone) => `  - domain: ${zone}`),
    "",
  ].join("\n");
}

/**
 * Writes every zone (the program's records, and the registry's) and starts knotd on them, or has
 * a running one reload them.
 * Serving is checked by asking it for the SOA of each zone.
 */
export async function serveZones(
  stack: string,
  index: number,
  records: readonly DnsRecordSpec[],
  /** Zones served even with no record yet: the stack's domain, which is in the account already. */
  zones: readonly string[] = [],
): Promise<void> {
  const dir = dnsDir(stack);
  mkdirSync(path.join(dir, "zones"), { recursive: true });
  // The journal lives here: zone edits through knotc (the DNS-01 challenges) need it.
  mkdirSync(path.join(dir, "db"), { recursive: true });
  const byZone = new Map<string, DnsRecordSpec[]>([
    [ACME_ZONE, [{ domain: ACME_ZONE, type: "A", name: "acme", value: ADDRESSES.acme, ttl: 300 }]],
    [
      REGISTRY_HOST,
      [{ domain: REGISTRY_HOST, type: "A", name: "@", value: ADDRESSES.services, ttl: 300 }],
    ],
  ]);
  for (const zone of zones) byZone.set(zone, []);
  for (const record of records)
    byZone.set(record.domain, [...(byZone.get(record.domain) ?? []), record]);
  // Each write a higher serial than the last, so knotd loads it (two writes may share a second).
  const serialFile = path.join(dir, "serial");
  const last = existsSync(serialFile) ? Number(readFileSync(serialFile, "utf8")) : 0;
  const serial = Math.max(Math.floor(Date.now() / 1000), last + 1);
  writeFileSync(serialFile, `${serial}\n`);
  for (const [zone, zoneRecords] of byZone) {
    writeFileSync(path.join(dir, "zones", `${zone}.zone`), renderZone(zone, zoneRecords, serial));
  }
  writeFileSync(path.join(dir, "knot.conf"), renderKnotConf(dir, [...byZone.keys()]));
  const knot = daemon(stack, index);
  if (daemonPid(knot.pidFile) !== undefined) {
    // A running knotd reloads its config and zones and answers throughout, as DigitalOcean's
    // name servers do while a record changes; one that will not reload is restarted.
    try {
      runOrThrow("knotc", ["-c", knotConfFile(stack), "reload"]);
    } catch {
      await stopDaemon(knot.pidFile);
    }
  }
  startDaemon(knot);
  await waitReady(knot, () =>
    [...byZone.keys()].every((zone) => {
      try {
        const soa = runOrThrow("ip", [
          "netns",
          "exec",
          names(index).router,
          "kdig",
          `@${ADDRESSES.dns}`,
          "+short",
          "+timeout=1",
          "SOA",
          zone,
        ]);
        // This write's serial or a later one: records are written side by side, each reloading.
        const served = Number(soa.trim().split(/\s+/)[2]);
        return served >= serial;
      } catch {
        return false;
      }
    }),
  );
}

export async function stopDns(stack: string, index: number): Promise<boolean> {
  const stopped = await stopDaemon(daemon(stack, index).pidFile);
  rmSync(dnsDir(stack), { recursive: true, force: true });
  return stopped;
}
