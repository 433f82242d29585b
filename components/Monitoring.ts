import * as digitalocean from "@pulumi/digitalocean";
import * as pulumi from "@pulumi/pulumi";
import { type Alerts, hostSlug } from "../config";
import { RESOURCE_TYPES } from "./resourceTypes";

export interface MonitoringArgs {
  /** The stack's name, in every alert's and check's name. */
  readonly stack: string;
  /** The environment's droplet tag: the metric alerts follow droplets as they are replaced. */
  readonly dropletTag: pulumi.Input<string>;
  /** Each public endpoint to check from outside: its host in the zone, its FQDN and URL. */
  readonly endpoints: { host: string; fqdn: string; url: string }[];
  /** The path each uptime check asks. */
  readonly healthPath: string;
  /** The endpoints serve HTTPS: also alert before their certificate expires. */
  readonly tls: boolean;
  /** Thresholds and where alerts go. */
  readonly alerts: Alerts;
}

/** DigitalOcean's metric for each droplet alert, and the config key of its threshold. */
export const DROPLET_METRICS = [
  { key: "cpuPercent", type: "v1/insights/droplet/cpu", what: "CPU" },
  { key: "memoryPercent", type: "v1/insights/droplet/memory_utilization_percent", what: "memory" },
  { key: "diskPercent", type: "v1/insights/droplet/disk_utilization_percent", what: "disk" },
] as const;

/**
 * Someone hears when it breaks: CPU, memory and disk alerts on every droplet of the environment,
 * and an uptime check of each public URL's health path with down, latency and (with TLS)
 * certificate-expiry alerts. Every alert goes to the same emails and Slack channel.
 */
export class Monitoring extends pulumi.ComponentResource {
  /** The CPU, memory and disk alerts on the environment's droplets. */
  public readonly dropletAlerts: digitalocean.MonitorAlert[] = [];
  /** One uptime check per public endpoint. */
  public readonly uptimeChecks: digitalocean.UptimeCheck[] = [];
  /** The down, latency and certificate alerts on the uptime checks. */
  public readonly uptimeAlerts: digitalocean.UptimeAlert[] = [];

  constructor(name: string, args: MonitoringArgs, opts?: pulumi.ComponentResourceOptions) {
    super(RESOURCE_TYPES.monitoring, name, {}, opts);
    const { alerts } = args;
    for (const metric of DROPLET_METRICS) {
      const alert = new digitalocean.MonitorAlert(
        `${name}-${metric.key.replace(/Percent$/, "")}`,
        {
          description: `dropstack ${args.stack}: ${metric.what} above ${alerts[metric.key]}% for ${alerts.window}`,
          type: metric.type,
          compare: "GreaterThan",
          value: alerts[metric.key],
          window: alerts.window,
          tags: [args.dropletTag],
          alerts: alerts.notify,
        },
        { parent: this },
      );
      this.dropletAlerts.push(alert);
    }
    for (const endpoint of args.endpoints) {
      const slug = hostSlug(endpoint.host);
      const target = `${endpoint.url.replace(/\/$/, "")}${args.healthPath}`;
      const check = new digitalocean.UptimeCheck(
        `${name}-${slug}-uptime`,
        {
          name: `dropstack ${args.stack} ${endpoint.fqdn}`,
          target,
          type: args.tls ? "https" : "http",
          regions: ["us_east", "eu_west"],
          enabled: true,
        },
        { parent: this },
      );
      this.uptimeChecks.push(check);
      const uptimeAlert = (
        kind: string,
        alert: Omit<digitalocean.UptimeAlertArgs, "checkId" | "notifications">,
      ) =>
        this.uptimeAlerts.push(
          new digitalocean.UptimeAlert(
            `${name}-${slug}-${kind}`,
            { ...alert, checkId: check.id, notifications: [alerts.notify] },
            { parent: this },
          ),
        );
      uptimeAlert("down", {
        name: `dropstack ${args.stack} ${endpoint.fqdn} down`,
        type: "down",
        period: "2m",
      });
      uptimeAlert("latency", {
        name: `dropstack ${args.stack} ${endpoint.fqdn} slower than ${alerts.latencyMs} ms`,
        type: "latency",
        threshold: alerts.latencyMs,
        comparison: "greater_than",
        period: "5m",
      });
      if (args.tls) {
        uptimeAlert("certificate", {
          name: `dropstack ${args.stack} ${endpoint.fqdn} certificate expires within ${alerts.certificateDays} days`,
          type: "ssl_expiry",
          threshold: alerts.certificateDays,
          comparison: "less_than",
          period: "2m",
        });
      }
    }
    this.registerOutputs({
      dropletAlertIds: this.dropletAlerts.map((alert) => alert.id),
      uptimeCheckIds: this.uptimeChecks.map((check) => check.id),
      uptimeAlertIds: this.uptimeAlerts.map((alert) => alert.id),
    });
  }
}
