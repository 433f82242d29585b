/**
 * Shared helpers for tests that evaluate the real program under the recording mocks.
 * Each plan loads the program and @pulumi/pulumi afresh (the program registers on import).
 */
import type { PlanResult } from "../scripts/lib/plan";
import type { RecordedResource } from "../scripts/lib/mocks";
import { revealSecrets } from "../scripts/lib/secrets";
import { StackConfigMap, stackConfigFor } from "../scripts/lib/stackFiles";

export const T = {
  environment: "dropstack:index:Environment",
  webHost: "dropstack:host:WebHost",
  droplet: "digitalocean:index/droplet:Droplet",
  tag: "digitalocean:index/tag:Tag",
  reservedIp: "digitalocean:index/reservedIp:ReservedIp",
  ipAssignment: "digitalocean:index/reservedIpAssignment:ReservedIpAssignment",
  firewall: "digitalocean:index/firewall:Firewall",
  dnsRecord: "digitalocean:index/dnsRecord:DnsRecord",
  registryCredentials:
    "digitalocean:index/containerRegistryDockerCredentials:ContainerRegistryDockerCredentials",
  image: "docker:index/image:Image",
  command: "command:remote:Command",
  remoteFile: "dropstack:remote:RemoteFile",
  nginxSite: "dropstack:proxy:NginxSite",
  supervisorProgram: "dropstack:process:SupervisorProgram",
  apiService: "dropstack:app:ApiService",
  release: "dropstack:app:Release",
  apiImage: "dropstack:app:ApiImage",
  dnsRecords: "dropstack:dns:DnsRecords",
  firewallComponent: "dropstack:network:Firewall",
  loadBalancer: "digitalocean:index/loadBalancer:LoadBalancer",
  loadBalancerComponent: "dropstack:network:LoadBalancer",
  certificate: "digitalocean:index/certificate:Certificate",
  certbot: "dropstack:tls:CertbotCertificate",
  monitoring: "dropstack:monitoring:Monitoring",
  monitorAlert: "digitalocean:index/monitorAlert:MonitorAlert",
  uptimeCheck: "digitalocean:index/uptimeCheck:UptimeCheck",
  uptimeAlert: "digitalocean:index/uptimeAlert:UptimeAlert",
} as const;

/** Sets `a.b.c` in a stack's config map (values JSON-encoded as Pulumi passes them). */
export function withConfig(
  input: StackConfigMap,
  edits: Record<string, unknown>,
  secretKeys: string[] = [],
): StackConfigMap {
  const config = { ...input.config };
  for (const [dotted, value] of Object.entries(edits)) {
    const [top, ...rest] = dotted.split(".");
    const key = `dropstack:${top}`;
    if (rest.length === 0) {
      if (value === undefined) delete config[key];
      else config[key] = typeof value === "string" ? value : JSON.stringify(value);
      continue;
    }
    const object = config[key] ? JSON.parse(config[key]) : {};
    let node = object;
    for (const part of rest.slice(0, -1)) node = node[part] ??= {};
    if (value === undefined) delete node[rest[rest.length - 1]];
    else node[rest[rest.length - 1]] = value;
    config[key] = JSON.stringify(object);
  }
  return { ...input, config, secretKeys: [...input.secretKeys, ...secretKeys] };
}

/** A committed stack's config (a review-pr-<N> stack is derived from staging). */
export function committedStack(stack: string): StackConfigMap {
  return stackConfigFor(stack);
}

/** Runs the program for `stack` with `input` (default: the committed stack file). */
export async function planStack(
  stack: string,
  input: StackConfigMap = committedStack(stack),
): Promise<PlanResult> {
  jest.resetModules();
  const { runPlan } = (await import("../scripts/lib/plan")) as typeof import("../scripts/lib/plan");
  return runPlan(stack, input);
}

export function only(plan: PlanResult, type: string): RecordedResource[] {
  return plan.resources.filter((r) => r.type === type);
}

export function one(plan: PlanResult, type: string, name: string): RecordedResource {
  const found = plan.resources.find((r) => r.type === type && r.name === name);
  if (!found)
    throw new Error(
      `no ${type} named ${name}; have ${plan.resources.map((r) => r.name).join(", ")}`,
    );
  return found;
}

/** The file an install command sends on stdin (secret or not). */
export function installedText(install: RecordedResource): string {
  return String(revealSecrets(install.inputs.stdin));
}
