import * as digitalocean from "@pulumi/digitalocean";
import * as pulumi from "@pulumi/pulumi";
import { StackConfig, fqdn } from "../config";
import { stackContainerLimits } from "../config/containerLimits";
import { acmeDirectory } from "../config/rules";
import { ApiImage } from "./ApiImage";
import { ApiService } from "./ApiService";
import { backingServices } from "./BackingService";
import { SchemaGrant, type SchemaGrantTarget } from "./SchemaGrant";
import { CertbotCertificate } from "./CertbotCertificate";
import { DnsRecords } from "./DnsRecords";
import { Firewall } from "./Firewall";
import { CustomCertificate, LoadBalancer, ROTATION_SECONDS } from "./LoadBalancer";
import { Monitoring } from "./Monitoring";
import { NginxSite } from "./NginxSite";
import { WebHost } from "./WebHost";
import { RESOURCE_TYPES } from "./resourceTypes";

export type EnvironmentArgs = StackConfig;

/** The tags every droplet of a stack carries; the first is the one the firewall targets. */
export function environmentTags(config: Pick<StackConfig, "stack" | "tags">): string[] {
  return [...new Set([`dropstack-${config.stack}`, "dropstack", ...config.tags])];
}

/**
 * Whether droplet `i` (from 0) has a reserved IP: the first only, where the records point when it
 * serves alone, and one a scale to N and back never deletes.
 */
export const hasReservedIp = (config: Pick<StackConfig, "droplet">, i: number) =>
  i === 0 && config.droplet.reservedIp;

/** How many reserved IPs of the account the stack takes. */
export const reservedIpsOf = (config: Pick<StackConfig, "droplet">) =>
  Array.from({ length: config.droplet.count }, (_, i) => hasReservedIp(config, i)).filter(Boolean)
    .length;

/** The name of the stack's own firewall in DigitalOcean (the environment is named for its stack). */
export const firewallNameOf = (name: string) => `dropstack-${name}`;

/**
 * One stack's environment: the API image, `droplet.count` web hosts each with nginx and the API
 * under supervisor (releases rolling one droplet at a time), a load balancer when there is more
 * than one, the firewall, the DNS records, TLS where configured, and alerts where configured.
 */
export class Environment extends pulumi.ComponentResource {
  /** One `https://<fqdn>/` (or `http://` without TLS) per host. */
  public readonly urls: string[];
  /** The public addresses the DNS records point at: the reserved IP, or the load balancer's. */
  public readonly ipAddresses: pulumi.Output<string>[];
  public readonly hosts: string[];
  public readonly release: string;
  /** The droplets' DigitalOcean tags (a review stack's include its expiry). */
  public readonly tags: string[];

  constructor(name: string, config: EnvironmentArgs, opts?: pulumi.ComponentResourceOptions) {
    super(RESOURCE_TYPES.environment, name, {}, opts);
    this.tags = environmentTags(config);
    const [environmentTag, ...otherTags] = this.tags;
    // A firewall may only target a tag that exists, so the tag is a resource both depend on.
    const tag = new digitalocean.Tag(`${name}-tag`, { name: environmentTag }, { parent: this });
    const tags = [tag.name, ...otherTags];
    const image = new ApiImage(
      `${name}-image`,
      { source: config.app.source, appName: config.app.name, release: config.app.release },
      { parent: this },
    );
    this.hosts = config.hosts.map((host) => fqdn(host, config.domain));
    const balanced = config.droplet.count > 1;
    const https = config.proxy.tls.mode !== "off";
    const { certificate, privateKey } = config.proxy.tls;
    const custom =
      config.proxy.tls.mode === "custom"
        ? { certificate: certificate!, privateKey: privateKey! }
        : undefined;
    const services = backingServices(this, name, {
      stack: config.stack,
      services: config.services,
      region: config.region,
      appName: config.app.name,
      protect: config.protect,
      tag,
    });
    const secretEnv = { ...config.app.secretEnv, ...services.env };
    const webHosts = this.webHosts(name, config, tags, balanced);
    this.urls = this.hosts.map((host) => `${https ? "https" : "http"}://${host}/`);
    if (!balanced) {
      this.ipAddresses = webHosts.map((webHost) => webHost.ipAddress);
      const { firewall, dns } = this.dnsAndFirewall(name, config, tag.name, undefined);
      // Served alone, the site redirects plain HTTP: moving back from a balancer, it does so only
      // once the balancer (sending HTTPS on as plain HTTP) gets no more clients.
      const servers = this.servers(name, config, webHosts, image, {
        custom,
        secretEnv,
        grants: services.grants,
        after: [dns.moved],
      });
      const email = config.proxy.tls.email;
      if (config.proxy.tls.mode === "letsencrypt" && email !== undefined) {
        // Let's Encrypt asks the host names for the challenge: the records and the address first.
        for (const { hostName, webHost, site, assignment } of servers) {
          new CertbotCertificate(
            `${hostName}-certificate`,
            {
              connection: webHost.connection,
              domains: this.hosts,
              email,
              acmeServer:
                config.proxy.tls.server === "letsencrypt"
                  ? undefined
                  : acmeDirectory(config.proxy.tls.server),
              after: [site, ...dns.records, ...(assignment ? [assignment] : []), firewall],
            },
            { parent: this },
          );
        }
      }
    } else {
      const servers = this.servers(name, config, webHosts, image, {
        custom,
        secretEnv,
        grants: services.grants,
        after: [],
      });
      // More than one droplet: a load balancer in front, which also terminates TLS. A droplet
      // joins it once released (the releases roll: the last one is after every other).
      const balancer = new LoadBalancer(
        `${name}-lb`,
        {
          balancerName: `dropstack-${name}`,
          region: config.region,
          dropletIds: webHosts.map((webHost) => webHost.droplet.id.apply(Number)),
          after: [servers[servers.length - 1].release],
          sizeUnit: config.loadBalancer.sizeUnit,
          idleTimeoutSeconds: config.proxy.readTimeoutSeconds,
          tlsDomains: https && !custom ? this.hosts : undefined,
          customCertificate: custom,
          // What a scale back to one droplet deletes is not protected: `pulumi up` would refuse it.
          protect: false,
        },
        { parent: this },
      );
      this.ipAddresses = [balancer.ipAddress];
      this.dnsAndFirewall(name, config, tag.name, balancer);
    }
    if (config.alerts) {
      new Monitoring(
        `${name}-monitoring`,
        {
          stack: config.stack,
          dropletTag: tag.name,
          endpoints: config.hosts.map((host, i) => ({
            host,
            fqdn: this.hosts[i],
            url: this.urls[i],
          })),
          healthPath: config.app.healthPath,
          tls: https,
          alerts: config.alerts,
        },
        { parent: this },
      );
    }
    this.release = config.app.release;
    this.registerOutputs({
      urls: this.urls,
      ipAddresses: this.ipAddresses,
      hosts: this.hosts,
      release: this.release,
    });
  }

  /**
   * nginx and the API on every droplet; the releases roll, each waiting for the previous
   * droplet's. `after`: what every site waits for.
   */
  private servers(
    name: string,
    config: EnvironmentArgs,
    webHosts: WebHost[],
    image: ApiImage,
    options: {
      custom?: CustomCertificate;
      secretEnv: Record<string, pulumi.Output<string>>;
      grants: { service: string; target: SchemaGrantTarget }[];
      after: pulumi.Resource[];
    },
  ) {
    const balanced = webHosts.length > 1;
    const https = config.proxy.tls.mode !== "off";
    const { custom } = options;
    const limits = stackContainerLimits(config);
    // The first release waits for the first droplet to grant the app's user its schemas.
    let previousRelease: pulumi.Resource[] | undefined = options.grants.map(
      ({ service, target }) =>
        new SchemaGrant(
          `${name}-web-1-${service}-grant`,
          { connection: webHosts[0].connection, target, after: [webHosts[0].upgraded] },
          { parent: this },
        ).granted,
    );
    return webHosts.map((webHost, i) => {
      const hostName = `${name}-web-${i + 1}`;
      const site = new NginxSite(
        `${hostName}-nginx`,
        {
          connection: webHost.connection,
          site: {
            stack: config.stack,
            app: config.app.name,
            serverNames: this.hosts,
            clientMaxBodySize: config.proxy.clientMaxBodySize,
            readTimeoutSeconds: config.proxy.readTimeoutSeconds,
            tls: https,
            loadBalancer: balanced ? { healthPath: config.app.healthPath } : undefined,
            hsts: https && config.production,
          },
          appPort: config.app.port,
          // Chain, then key, in one file (nginx reads each from it).
          customCertificate:
            custom && custom.privateKey.apply((key) => `${custom.certificate.trimEnd()}\n${key}`),
          after: options.after,
        },
        { parent: this },
      );
      const service = new ApiService(
        `${hostName}-${config.app.name}`,
        {
          connection: webHost.connection,
          stack: config.stack,
          appName: config.app.name,
          port: config.app.port,
          release: config.app.release,
          healthPath: config.app.healthPath,
          healthTimeoutSeconds: config.app.healthTimeoutSeconds,
          drainSeconds: config.app.drainSeconds,
          siteFiles: [site.file],
          env: config.app.env,
          envIsSecret: config.app.envIsSecret,
          secretEnv: options.secretEnv,
          image: image.imageRef,
          registryCredentials: image.pullCredentials,
          // One droplet at a time: each release waits for the previous droplet's.
          after: previousRelease,
          // The first droplet releases first: it migrates for the fleet and runs the singletons.
          ...(i === 0 &&
            config.app.migrate !== undefined && {
              migrate: {
                command: config.app.migrate,
                timeoutSeconds: config.app.migrateTimeoutSeconds,
              },
            }),
          processes: Object.entries(config.app.processes)
            .filter(([, process]) => i === 0 || !process.singleton)
            .map(([process, { command }]) => ({ name: process, command })),
          limits,
        },
        { parent: this },
      );
      previousRelease = [service.release.run];
      const assignment = webHost.assignReservedIp([site, service]);
      return { hostName, webHost, site, assignment, release: service.release.run };
    });
  }

  /**
   * `droplet.count` droplets. Behind the balancer a resize goes in two halves: the second half's
   * droplets leave the rotation only once the first half's are back in it, so half the droplets
   * always serve. (One at a time would also make a first `up` create them one after another.)
   */
  private webHosts(
    name: string,
    config: EnvironmentArgs,
    tags: pulumi.Input<string>[],
    balanced: boolean,
  ): WebHost[] {
    const firstHalf: pulumi.Resource[] = [];
    const half = Math.ceil(config.droplet.count / 2);
    return Array.from({ length: config.droplet.count }, (_, i) => {
      const hostName = `${name}-web-${i + 1}`;
      const webHost = new WebHost(
        hostName,
        {
          dropletName: hostName,
          region: config.region,
          size: config.droplet.size,
          image: config.droplet.image,
          sshKeys: config.droplet.sshKeys,
          backups: config.droplet.backups,
          monitoring: config.droplet.monitoring,
          tags,
          // The first droplet is the one a stack keeps at every count: it alone is protected and
          // has the reserved IP (a scale to N adds droplets that a scale back deletes).
          protect: i === 0 && config.protect,
          reservedIp: hasReservedIp(config, i),
          sshPrivateKey: config.sshPrivateKey,
          rotation: balanced
            ? {
                environmentTag: this.tags[0],
                healthPath: config.app.healthPath,
                leaveSeconds: ROTATION_SECONDS.leave,
                rejoinSeconds: ROTATION_SECONDS.rejoin,
                after: i < half ? [] : [...firstHalf],
              }
            : undefined,
        },
        { parent: this },
      );
      if (i < half && webHost.rejoined) firstHalf.push(webHost.rejoined);
      return webHost;
    });
  }

  /**
   * The firewall and the DNS records. A move behind the balancer (droplet.count 1 → N) or back is
   * ordered so that no client is turned away: the records move to the balancer once it answers,
   * and 80/443 close to all but it only once resolvers have let go of the droplet's address;
   * moving back, they open first.
   */
  private dnsAndFirewall(
    name: string,
    config: EnvironmentArgs,
    tag: pulumi.Output<string>,
    balancer: LoadBalancer | undefined,
  ): { firewall: Firewall; dns: DnsRecords } {
    const firewallArgs = {
      firewallName: firewallNameOf(name),
      tag,
      sshSourceAddresses: config.firewall.sshSourceAddresses,
    };
    const dnsArgs = {
      domain: config.domain,
      hosts: config.hosts,
      addresses: this.ipAddresses,
      ttl: config.dnsTtl,
      protect: config.protect,
    };
    if (!balancer) {
      const firewall = new Firewall(`${name}-firewall`, firewallArgs, { parent: this });
      const dns = new DnsRecords(
        `${name}-dns`,
        { ...dnsArgs, after: [firewall] },
        { parent: this },
      );
      return { firewall, dns };
    }
    const healthUrl = `${this.urls[0].replace(/\/$/, "")}${config.app.healthPath}`;
    const dns = new DnsRecords(
      `${name}-dns`,
      {
        ...dnsArgs,
        waitUntilAnswering: { url: healthUrl, successes: 2 * config.droplet.count + 3 },
      },
      { parent: this },
    );
    const firewall = new Firewall(
      `${name}-firewall`,
      { ...firewallArgs, loadBalancerUid: balancer.balancer.id, after: [dns.moved] },
      { parent: this },
    );
    return { firewall, dns };
  }
}
