/**
 * dropstack's guardrails as plain functions over one resource, so the same rules run in
 * `pulumi preview --policy-pack policy` (see index.ts) and offline over the plan
 * (`npm run policy`). A rule returns one message per problem it finds.
 */
import { RESOURCE_TYPES as T } from "../components/resourceTypes";
import { reviewPullRequest } from "../config/review";
import { PRODUCTION_STACK, isAnywhere, isCidr } from "../config/rules";
import { exposureLimit, sshExposureProblems } from "../config/sshExposure";

export interface PolicyResource {
  readonly type: string;
  readonly name: string;
  /** The resource's inputs, named as in the Node SDK. */
  readonly props: Record<string, unknown>;
  readonly protect: boolean;
  readonly stack: string;
}

export type EnforcementLevel = "mandatory" | "advisory";

/** The pack's own config (`pulumi preview --policy-pack-config <file>`): a deliberate raise. */
export interface PolicyConfig {
  /** Production SSH's limit per family, as a prefix length such as "/12" (sshExposure.ts). */
  readonly sshExposureLimit?: { readonly ipv4?: string; readonly ipv6?: string };
}

export interface Rule {
  readonly name: string;
  readonly description: string;
  readonly enforcementLevel: EnforcementLevel;
  /** A rule over one resource at a time (with the pack's config)... */
  readonly check?: (resource: PolicyResource, config: PolicyConfig) => string[];
  /** The JSON schema of the config keys a rule reads, for the Pulumi policy runner. */
  readonly configSchema?: { properties: Record<string, object> };
  /** ...or over the whole stack, for what one resource's absence breaks. */
  readonly checkStack?: (resources: readonly PolicyResource[]) => string[];
}

/** Droplet sizes each kind of environment is expected to use. */
export const SIZE_ALLOW_LIST: Record<"review" | "dev" | "staging" | "production", string[]> = {
  review: ["s-1vcpu-512mb-10gb", "s-1vcpu-1gb"],
  dev: ["s-1vcpu-512mb-10gb", "s-1vcpu-1gb", "s-1vcpu-2gb"],
  staging: ["s-1vcpu-1gb", "s-1vcpu-2gb", "s-2vcpu-2gb", "s-2vcpu-4gb"],
  production: ["s-2vcpu-4gb", "s-4vcpu-8gb", "s-8vcpu-16gb", "c-2", "c-4", "g-2vcpu-8gb"],
};

const strings = (value: unknown): string[] => (Array.isArray(value) ? value.map(String) : []);
type InboundRule = { portRange?: string; protocol?: string; sourceAddresses?: unknown };
/** Whether a firewall rule's port range (`22`, `1-65535`, `all`, none) includes `port`. */
const coversPort = (range: string | undefined, port: number) => {
  if (range === undefined || range === "all") return true;
  const [low, high = low] = range.split("-").map(Number);
  return low <= port && port <= high;
};
const production = (r: PolicyResource) => r.stack === PRODUCTION_STACK;

export const rules: Rule[] = [
  {
    name: "production-firewall-opens-only-web-ports",
    description:
      "No production firewall opens SSH, or any port but 80 and 443, to the whole internet.",
    enforcementLevel: "mandatory",
    check: (r) => {
      if (r.type !== T.firewall || !production(r)) return [];
      const inbound = (r.props.inboundRules ?? []) as {
        portRange?: string;
        protocol?: string;
        sourceAddresses?: unknown;
      }[];
      return inbound
        .filter(
          (rule) =>
            !["80", "443"].includes(String(rule.portRange)) &&
            strings(rule.sourceAddresses).some(isAnywhere),
        )
        .map(
          (rule) =>
            `${r.name}: ${rule.protocol ?? "tcp"} port ${rule.portRange ?? "all"} is open to ${strings(rule.sourceAddresses).filter(isAnywhere).join(", ")}`,
        );
    },
  },
  {
    name: "production-ssh-exposure-within-limit",
    description:
      "No production firewall admits more than a /16's worth of IPv4 or a /32's worth of IPv6 addresses to SSH in total, however its sources are split (the pack's config sshExposureLimit raises it).",
    enforcementLevel: "mandatory",
    configSchema: {
      properties: {
        sshExposureLimit: {
          type: "object",
          properties: { ipv4: { type: "string" }, ipv6: { type: "string" } },
        },
      },
    },
    check: (r, config) => {
      if (r.type !== T.firewall || !production(r)) return [];
      const inbound = (r.props.inboundRules ?? []) as InboundRule[];
      const sources = inbound
        .filter((rule) => (rule.protocol ?? "tcp") === "tcp" && coversPort(rule.portRange, 22))
        .flatMap((rule) => strings(rule.sourceAddresses))
        .filter(isCidr);
      const limit = exposureLimit(config.sshExposureLimit);
      return sshExposureProblems(sources, limit, "the policy pack's config sshExposureLimit").map(
        (problem) => `${r.name}: SSH (tcp port 22) ${problem}`,
      );
    },
  },
  {
    name: "droplet-monitored-and-tagged",
    description: "Every droplet has monitoring on and carries its environment's tag.",
    enforcementLevel: "mandatory",
    check: (r) => {
      if (r.type !== T.droplet) return [];
      const problems: string[] = [];
      if (r.props.monitoring !== true) problems.push(`${r.name}: monitoring is off`);
      const tag = `dropstack-${r.stack}`;
      if (!strings(r.props.tags).includes(tag))
        problems.push(`${r.name}: does not carry the environment tag ${tag}`);
      return problems;
    },
  },
  {
    name: "production-resources-protected",
    // The droplets after the first and the load balancer are what a scale back to one droplet
    // deletes: protected, `pulumi up` would refuse that scale.
    description:
      "Production's first droplet, reserved IPs and DNS records are protected from deletion.",
    enforcementLevel: "mandatory",
    check: (r) =>
      production(r) &&
      (([T.reservedIp, T.dnsRecord] as string[]).includes(r.type) ||
        (r.type === T.droplet && r.name.endsWith("-web-1-droplet"))) &&
      !r.protect
        ? [`${r.name}: ${r.type.split(":").pop()} in production is not protected`]
        : [],
  },
  {
    name: "review-resources-expire",
    description: "Every taggable resource of a review stack carries an expires-<yyyymmdd> tag.",
    enforcementLevel: "mandatory",
    check: (r) =>
      reviewPullRequest(r.stack) !== undefined &&
      r.type === T.droplet &&
      !strings(r.props.tags).some((t) => /^expires-\d{8}$/.test(t))
        ? [`${r.name}: a review stack's droplet has no expires-<yyyymmdd> tag`]
        : [],
  },
  {
    name: "production-database-admits-only-its-droplets",
    // A managed database without trusted sources accepts any address that has its password.
    description:
      "Every production database cluster has a firewall that admits only the stack's droplet tag.",
    enforcementLevel: "mandatory",
    checkStack: (resources) => {
      const ofType = (type: string) => resources.filter((r) => r.type === type && production(r));
      const firewalls = new Map(ofType(T.databaseFirewall).map((f) => [f.name, f]));
      const judge = (firewall: PolicyResource): string[] => {
        const tag = `dropstack-${firewall.stack}`;
        const rules = (firewall.props.rules ?? []) as { type?: unknown; value?: unknown }[];
        if (rules.length === 0) return [`${firewall.name}: admits every address (no rules)`];
        return rules
          .filter((rule) => rule.type !== "tag" || rule.value !== tag)
          .map(
            (rule) =>
              `${firewall.name}: admits ${String(rule.type)} ${String(rule.value)}, not only the tag ${tag}`,
          );
      };
      // Every production database firewall, and every cluster has one.
      const missing = ofType(T.databaseCluster)
        .filter((cluster) => !firewalls.has(cluster.name.replace(/-cluster$/, "-firewall")))
        .map((cluster) => `${cluster.name}: a production database cluster without a firewall`);
      return [...missing, ...[...firewalls.values()].flatMap(judge)];
    },
  },
  {
    name: "droplet-size-allowed",
    description: "Droplet sizes stay within the allow-list for their kind of environment.",
    enforcementLevel: "advisory",
    check: (r) => {
      if (r.type !== T.droplet) return [];
      const kind =
        reviewPullRequest(r.stack) !== undefined
          ? "review"
          : (r.stack as keyof typeof SIZE_ALLOW_LIST);
      const allowed = SIZE_ALLOW_LIST[kind];
      const size = String(r.props.size);
      return allowed && !allowed.includes(size)
        ? [`${r.name}: size ${size} is not in the ${kind} allow-list (${allowed.join(", ")})`]
        : [];
    },
  },
];

export interface Violation {
  readonly rule: string;
  readonly enforcementLevel: EnforcementLevel;
  readonly message: string;
}

/** Every rule over every resource. */
export function evaluate(resources: PolicyResource[], config: PolicyConfig = {}): Violation[] {
  return rules.flatMap((rule) => {
    const check = rule.check;
    const messages = [
      ...(check ? resources.flatMap((r) => check(r, config)) : []),
      ...(rule.checkStack ? rule.checkStack(resources) : []),
    ];
    return messages.map((message) => ({
      rule: rule.name,
      enforcementLevel: rule.enforcementLevel,
      message,
    }));
  });
}

/** The stack name in a resource URN: `urn:pulumi:<stack>::<project>::...`. */
export function stackOfUrn(urn: string): string {
  return urn.split("::")[0].slice("urn:pulumi:".length);
}
