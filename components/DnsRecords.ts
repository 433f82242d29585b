import * as command from "@pulumi/command";
import * as digitalocean from "@pulumi/digitalocean";
import * as pulumi from "@pulumi/pulumi";
import { hostSlug } from "../config";
import { renderDnsDrain, renderWaitForAddress } from "../templates";
import { RESOURCE_TYPES } from "./resourceTypes";

export interface DnsRecordsArgs {
  /** The zone, already in the DigitalOcean account; never created or owned here. */
  readonly domain: string;
  /** Names relative to the zone; `@` is the apex. */
  readonly hosts: string[];
  /** Addresses every host points at (one A record per host and address). */
  readonly addresses: pulumi.Input<string>[];
  /** Seconds resolvers may cache each record. */
  readonly ttl: number;
  /** Pulumi `protect` on every record. */
  readonly protect: boolean;
  /**
   * The records point at the (one) address only once it answers this URL `successes` times in a
   * row, asked from where `pulumi up` runs: a balancer, once its health checks pass.
   */
  readonly waitUntilAnswering?: { readonly url: string; readonly successes: number };
  /** Steps the records wait for (the firewall opening to all, before they point at a droplet). */
  readonly after?: pulumi.Resource[];
}

/**
 * A records as separate resources: owning the zone's apex through `Domain.ipAddress` would
 * replace the Domain, and wipe its records, whenever the address changed. A move of the records
 * (to a balancer and back) is ordered: they wait for the new address to answer, and `moved`
 * finishes only once resolvers have let go of the old one, so what must come after a move (the
 * firewall narrowing, a balancer's deletion) does.
 */
export class DnsRecords extends pulumi.ComponentResource {
  public readonly records: digitalocean.DnsRecord[];
  /** Done once resolvers can no longer hold an address the records left (the old TTL after a move). */
  public readonly moved: command.local.Command;

  constructor(name: string, args: DnsRecordsArgs, opts?: pulumi.ComponentResourceOptions) {
    super(RESOURCE_TYPES.dnsRecords, name, {}, opts);
    const after = [...(args.after ?? [])];
    if (args.waitUntilAnswering) {
      // A local.Command runs `create` again when an input changes (pulumi-command v1.2.1,
      // provider/pkg/provider/local/commandController.go, Update): a new address is waited for too.
      after.push(
        new command.local.Command(
          `${name}-wait-for-address`,
          {
            create: renderWaitForAddress({
              ...args.waitUntilAnswering,
              intervalSeconds: 2,
              maxTries: 300,
            }),
            environment: { ADDRESS: args.addresses[0] },
          },
          { parent: this },
        ),
      );
    }
    this.records = args.hosts.flatMap((host) =>
      args.addresses.map(
        (address, i) =>
          new digitalocean.DnsRecord(
            `${name}-${hostSlug(host)}${args.addresses.length > 1 ? `-${i + 1}` : ""}`,
            { domain: args.domain, type: "A", name: host, value: address, ttl: args.ttl },
            { parent: this, protect: args.protect, dependsOn: after },
          ),
      ),
    );
    // Its stdout keeps the addresses and TTL it saw; an update after a move waits the old TTL.
    // Nothing waits on a first `up`: `create` only prints.
    this.moved = new command.local.Command(
      `${name}-moved`,
      {
        create: renderDnsDrain(),
        environment: {
          ADDRESSES: pulumi.all(args.addresses).apply((all) => [...all].sort().join(",")),
          TTL: String(args.ttl),
        },
      },
      { parent: this, dependsOn: this.records },
    );
    this.registerOutputs({ fqdns: this.records.map((record) => record.fqdn) });
  }
}
