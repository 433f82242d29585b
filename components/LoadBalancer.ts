import { createHash } from "node:crypto";
import * as digitalocean from "@pulumi/digitalocean";
import * as pulumi from "@pulumi/pulumi";
import { certificateBlocks } from "../config/certificate";
import { BALANCER_HEALTH_PATH } from "../templates";
import { RESOURCE_TYPES } from "./resourceTypes";

export interface LoadBalancerArgs {
  /** The load balancer's name in DigitalOcean. */
  readonly balancerName: string;
  /** DigitalOcean region slug, the droplets' own. */
  readonly region: pulumi.Input<string>;
  /**
   * The droplets it sends traffic to, by id. Not by tag: a droplet carries its tags from its
   * creation, so a tagged droplet would be in the balancer while it still boots, kept from
   * requests only by health checks (HAProxy, the local cloud's, counts a new server up until its
   * first check fails). Listed by id, a droplet joins in an update of the balancer that waits for
   * `after`, and leaves in one before it is deleted.
   */
  readonly dropletIds: pulumi.Input<number>[];
  /** Steps the balancer's create and updates wait for: every droplet's release. */
  readonly after: pulumi.Resource[];
  /** Nodes, each 10,000 requests/s; billed per node. */
  readonly sizeUnit: number;
  /** Seconds an idle client connection stays open (nginx's read timeout, within 30–600). */
  readonly idleTimeoutSeconds: number;
  /** FQDNs of a Let's Encrypt certificate for HTTPS on the balancer; none: HTTP only. */
  readonly tlsDomains?: string[];
  /** The stack's own certificate for HTTPS on the balancer (proxy.tls custom), instead. */
  readonly customCertificate?: CustomCertificate;
  /** Pulumi `protect` on the balancer. */
  readonly protect: boolean;
}

type ForwardingRule = digitalocean.types.input.LoadBalancerForwardingRule;

/** How the balancer checks each droplet: a droplet in or out of rotation waits on these. */
export const HEALTH_CHECK = {
  checkIntervalSeconds: 10,
  responseTimeoutSeconds: 5,
  healthyThreshold: 3,
  unhealthyThreshold: 3,
} as const;

/** Seconds the balancer takes, at most, to count a droplet unhealthy (or healthy) in a row. */
export const ROTATION_SECONDS = {
  leave:
    HEALTH_CHECK.checkIntervalSeconds * HEALTH_CHECK.unhealthyThreshold +
    HEALTH_CHECK.responseTimeoutSeconds,
  rejoin:
    HEALTH_CHECK.checkIntervalSeconds * HEALTH_CHECK.healthyThreshold +
    HEALTH_CHECK.responseTimeoutSeconds,
};

/** A certificate as given: PEM text, the server's own first and then its chain. */
export interface CustomCertificate {
  readonly certificate: string;
  readonly privateKey: pulumi.Output<string>;
}

/**
 * The certificate's name carries a hash of what it is (its domains, or a custom certificate's own
 * text): every field of a DigitalOcean certificate forces a new one (ForceNew on name, type,
 * domains, private_key, leaf_certificate and certificate_chain in terraform-provider-digitalocean,
 * digitalocean/certificate/resource_certificate.go), so a change creates the new certificate
 * before the old one is deleted, and the two names never collide.
 */
export function certificateName(balancerName: string, identity: string[]): string {
  // Sorted: reordering hosts must not re-issue the certificate.
  const hash = createHash("sha256")
    .update([...identity].sort().join(","))
    .digest("hex")
    .slice(0, 8);
  return `${balancerName}-${hash}`;
}

function customCertificateArgs(balancerName: string, custom: CustomCertificate) {
  const [leafCertificate, ...chain] = certificateBlocks(custom.certificate);
  return {
    name: certificateName(balancerName, [leafCertificate]),
    type: "custom",
    leafCertificate,
    certificateChain: chain.length > 0 ? chain.join("") : undefined,
    privateKey: custom.privateKey,
  };
}

/** HTTP to every droplet's nginx on port 80; with a certificate, HTTPS in front and HTTP redirected. */
export function forwardingRules(certificate?: pulumi.Input<string>): ForwardingRule[] {
  const http = { entryProtocol: "http", entryPort: 80, targetProtocol: "http", targetPort: 80 };
  if (certificate === undefined) return [http];
  return [
    {
      entryProtocol: "https",
      entryPort: 443,
      targetProtocol: "http",
      targetPort: 80,
      certificateName: certificate,
    },
    http,
  ];
}

/**
 * A DigitalOcean load balancer over the environment's released droplets, health-checking each
 * through nginx; with TLS, a DigitalOcean-managed Let's Encrypt certificate (or the stack's own)
 * terminates HTTPS here.
 */
export class LoadBalancer extends pulumi.ComponentResource {
  public readonly balancer: digitalocean.LoadBalancer;
  public readonly certificate?: digitalocean.Certificate;
  /** The public address every DNS record points at. */
  public readonly ipAddress: pulumi.Output<string>;

  constructor(name: string, args: LoadBalancerArgs, opts?: pulumi.ComponentResourceOptions) {
    super(RESOURCE_TYPES.loadBalancerComponent, name, {}, opts);
    if (args.customCertificate || args.tlsDomains) {
      this.certificate = new digitalocean.Certificate(
        `${name}-certificate`,
        args.customCertificate
          ? customCertificateArgs(args.balancerName, args.customCertificate)
          : {
              name: certificateName(args.balancerName, args.tlsDomains!),
              type: "lets_encrypt",
              domains: args.tlsDomains,
            },
        { parent: this },
      );
    }
    this.balancer = new digitalocean.LoadBalancer(
      `${name}-balancer`,
      {
        name: args.balancerName,
        region: args.region,
        sizeUnit: args.sizeUnit,
        // droplet_ids updates in place: resourceDigitalOceanLoadbalancerUpdate PUTs the whole
        // request (terraform-provider-digitalocean, digitalocean/loadbalancer/
        // resource_loadbalancer.go at 401992a1; droplet_ids is not ForceNew).
        dropletIds: args.dropletIds,
        forwardingRules: forwardingRules(this.certificate?.name),
        redirectHttpToHttps: this.certificate !== undefined,
        // nginx's own path on every droplet, answered from app.healthPath: it never changes, so an
        // app.healthPath edit never has to wait for this update (which waits for the releases).
        healthcheck: { protocol: "http", port: 80, path: BALANCER_HEALTH_PATH, ...HEALTH_CHECK },
        enableBackendKeepalive: true,
        // The program owns the A records (DnsRecords); DO's own for the certificate would
        // duplicate them and outlive the balancer.
        disableLetsEncryptDnsRecords: true,
        httpIdleTimeoutSeconds: Math.min(600, Math.max(30, args.idleTimeoutSeconds)),
      },
      { parent: this, protect: args.protect, dependsOn: args.after },
    );
    this.ipAddress = this.balancer.ip;
    this.registerOutputs({ ipAddress: this.ipAddress });
  }
}
