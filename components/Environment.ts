import * as digitalocean from "@pulumi/digitalocean";
import * as pulumi from "@pulumi/pulumi";
import { StackConfig, fqdn } from "../config";
import { ApiImage } from "./ApiImage";
import { ApiService } from "./ApiService";
import { DnsRecords } from "./DnsRecords";
import { Firewall } from "./Firewall";
import { NginxSite } from "./NginxSite";
import { WebHost } from "./WebHost";

export type EnvironmentArgs = StackConfig;

/** The tags every droplet of a stack carries; the first is the one the firewall targets. */
export function environmentTags(config: Pick<StackConfig, "stack" | "tags">): string[] {
  return [...new Set([`dropstack-${config.stack}`, "dropstack", ...config.tags])];
}

/**
 * One stack's environment: the API image, `droplet.count` web hosts each with nginx and the API
 * under supervisor, the firewall and the DNS records.
 */
export class Environment extends pulumi.ComponentResource {
  /** One `http://<fqdn>/` per host. */
  public readonly urls: string[];
  /** The public addresses the DNS records point at. */
  public readonly ipAddresses: pulumi.Output<string>[];
  public readonly hosts: string[];
  public readonly release: string;
  /** The droplets' DigitalOcean tags (a review stack's include its expiry). */
  public readonly tags: string[];

  constructor(name: string, config: EnvironmentArgs, opts?: pulumi.ComponentResourceOptions) {
    super("dropstack:index:Environment", name, {}, opts);
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
    const webHosts = Array.from({ length: config.droplet.count }, (_, i) => {
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
          protect: config.protect,
          sshPrivateKey: config.sshPrivateKey,
        },
        { parent: this },
      );
      const site = new NginxSite(
        `${hostName}-nginx`,
        {
          connection: webHost.connection,
          site: {
            stack: config.stack,
            app: config.app.name,
            appPort: config.app.port,
            serverNames: this.hosts,
            clientMaxBodySize: config.proxy.clientMaxBodySize,
            readTimeoutSeconds: config.proxy.readTimeoutSeconds,
          },
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
          proxy: [site.file],
          env: config.app.env,
          envIsSecret: config.app.envIsSecret,
          secretEnv: config.app.secretEnv,
          image: image.imageRef,
          registryCredentials: image.pullCredentials,
        },
        { parent: this },
      );
      webHost.assignReservedIp([site, service]);
      return webHost;
    });
    this.ipAddresses = webHosts.map((host) => host.ipAddress);
    new Firewall(
      `${name}-firewall`,
      {
        firewallName: `dropstack-${name}`,
        tag: tag.name,
        sshSourceAddresses: config.firewall.sshSourceAddresses,
      },
      { parent: this },
    );
    new DnsRecords(
      `${name}-dns`,
      {
        domain: config.domain,
        hosts: config.hosts,
        addresses: this.ipAddresses,
        ttl: config.dnsTtl,
        protect: config.protect,
      },
      { parent: this },
    );
    this.urls = this.hosts.map((host) => `http://${host}/`);
    this.release = config.app.release;
    this.registerOutputs({
      urls: this.urls,
      ipAddresses: this.ipAddresses,
      hosts: this.hosts,
      release: this.release,
    });
  }
}
