import * as digitalocean from "@pulumi/digitalocean";
import * as pulumi from "@pulumi/pulumi";
import { hostSlug } from "../config";
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
}

/**
 * A records as separate resources: owning the zone's apex through `Domain.ipAddress` would
 * replace the Domain, and wipe its records, whenever the address changed.
 */
export class DnsRecords extends pulumi.ComponentResource {
  public readonly records: digitalocean.DnsRecord[];

  constructor(name: string, args: DnsRecordsArgs, opts?: pulumi.ComponentResourceOptions) {
    super(RESOURCE_TYPES.dnsRecords, name, {}, opts);
    this.records = args.hosts.flatMap((host) =>
      args.addresses.map(
        (address, i) =>
          new digitalocean.DnsRecord(
            `${name}-${hostSlug(host)}${args.addresses.length > 1 ? `-${i + 1}` : ""}`,
            { domain: args.domain, type: "A", name: host, value: address, ttl: args.ttl },
            { parent: this, protect: args.protect },
          ),
      ),
    );
    this.registerOutputs({ fqdns: this.records.map((record) => record.fqdn) });
  }
}
