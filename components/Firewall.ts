import * as digitalocean from "@pulumi/digitalocean";
import * as pulumi from "@pulumi/pulumi";
import { RESOURCE_TYPES } from "./resourceTypes";

export interface FirewallArgs {
  /** The firewall's name in DigitalOcean. */
  readonly firewallName: string;
  /** The environment's droplet tag (it must exist): the firewall follows droplets as they are replaced. */
  readonly tag: pulumi.Input<string>;
  /** CIDRs allowed to reach SSH (port 22). */
  readonly sshSourceAddresses: string[];
  /** With a load balancer, HTTP and HTTPS are admitted from it alone. */
  readonly loadBalancerUid?: pulumi.Input<string>;
  /** Steps that must be done first: what must exist before the rules change (the DNS records). */
  readonly after?: pulumi.Resource[];
}

/** Every address of both families, as a rule's sources or destinations. */
export const ANYWHERE = ["0.0.0.0/0", "::/0"];

type InboundRule = digitalocean.types.input.FirewallInboundRule;
type OutboundRule = digitalocean.types.input.FirewallOutboundRule;

/**
 * Inbound: HTTP and HTTPS from anywhere (or only from the load balancer), SSH only from the given
 * CIDRs; the API's port is never opened (nginx reaches it on loopback). Port ranges are spelled
 * out: "all" causes perpetual diffs.
 */
export function inboundRules(
  sshSourceAddresses: string[],
  loadBalancerUid?: pulumi.Input<string>,
): InboundRule[] {
  const web = loadBalancerUid
    ? { sourceLoadBalancerUids: [loadBalancerUid] }
    : { sourceAddresses: ANYWHERE };
  return [
    { protocol: "tcp", portRange: "22", sourceAddresses: sshSourceAddresses },
    { protocol: "tcp", portRange: "80", ...web },
    { protocol: "tcp", portRange: "443", ...web },
  ];
}

/** One outbound rule, plain values (the deploy's way in sends them to DigitalOcean's API too). */
export type PlainOutboundRule = OutboundRule & {
  readonly protocol: string;
  readonly portRange?: string;
  readonly destinationAddresses: string[];
};

/** Outbound: everything, for package updates, image pulls and DNS. */
export function outboundRules(): PlainOutboundRule[] {
  return [
    { protocol: "tcp", portRange: "1-65535", destinationAddresses: ANYWHERE },
    { protocol: "udp", portRange: "1-65535", destinationAddresses: ANYWHERE },
    { protocol: "icmp", destinationAddresses: ANYWHERE },
  ];
}

/** A DigitalOcean cloud firewall for every droplet carrying the environment's tag. */
export class Firewall extends pulumi.ComponentResource {
  public readonly firewall: digitalocean.Firewall;

  constructor(name: string, args: FirewallArgs, opts?: pulumi.ComponentResourceOptions) {
    super(RESOURCE_TYPES.firewallComponent, name, {}, opts);
    this.firewall = new digitalocean.Firewall(
      `${name}-rules`,
      {
        name: args.firewallName,
        tags: [args.tag],
        inboundRules: inboundRules(args.sshSourceAddresses, args.loadBalancerUid),
        outboundRules: outboundRules(),
      },
      { parent: this, dependsOn: args.after },
    );
    this.registerOutputs({ firewallId: this.firewall.id });
  }
}
