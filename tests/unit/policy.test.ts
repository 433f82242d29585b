/** The policy pack's rules: each with a passing and a violating resource; the committed stacks pass. */
import { RESOURCE_TYPES as T } from "../../components/resourceTypes";
import { evaluate, PolicyResource, rules, stackOfUrn } from "../../policy/rules";
import { planPolicyResources } from "../../tools/plan/policyInput";
import { committedStack, planStack, withConfig } from "../helpers/planHelpers";

const droplet = (
  stack: string,
  props: Record<string, unknown> = {},
  protect = stack === "production",
): PolicyResource => ({
  type: T.droplet,
  name: `${stack}-web-1-droplet`,
  stack,
  protect,
  props: {
    monitoring: true,
    size: "s-2vcpu-4gb",
    tags: [`dropstack-${stack}`, "expires-20261126"],
    ...props,
  },
});
const firewall = (stack: string, inboundRules: unknown[]): PolicyResource => ({
  type: T.firewall,
  name: `${stack}-firewall-rules`,
  stack,
  protect: false,
  props: { inboundRules },
});
const ruleOf = (name: string) => rules.find((r) => r.name === name)!;

test.each([
  [
    "production-firewall-opens-only-web-ports",
    firewall("production", [
      { protocol: "tcp", portRange: "22", sourceAddresses: ["203.0.113.0/24"] },
      { protocol: "tcp", portRange: "443", sourceAddresses: ["0.0.0.0/0", "::/0"] },
    ]),
    firewall("production", [
      { protocol: "tcp", portRange: "22", sourceAddresses: ["10.0.0.0/8", "::/0"] },
    ]),
    "production-firewall-rules: tcp port 22 is open to ::/0",
  ],
  [
    "production-ssh-exposure-within-limit",
    firewall("production", [
      { protocol: "tcp", portRange: "22", sourceAddresses: ["203.0.113.0/24", "2001:db8::/48"] },
      { protocol: "tcp", portRange: "443", sourceAddresses: ["0.0.0.0/1", "128.0.0.0/1"] },
    ]),
    // Two halves of the IPv4 internet: no /0 in sight, every address admitted.
    firewall("production", [
      { protocol: "tcp", portRange: "22", sourceAddresses: ["0.0.0.0/1"] },
      { protocol: "tcp", portRange: "1-1024", sourceAddresses: ["128.0.0.0/1"] },
    ]),
    "production-firewall-rules: SSH (tcp port 22) admits 4,294,967,296 IPv4 addresses (a /0's worth) in total, more than production's limit of 65,536 IPv4 addresses (a /16's worth): narrow the list, or raise the policy pack's config sshExposureLimit.ipv4 if that is meant",
  ],
  [
    "droplet-monitored-and-tagged",
    droplet("staging"),
    droplet("staging", { monitoring: false }),
    "staging-web-1-droplet: monitoring is off",
  ],
  [
    "droplet-monitored-and-tagged",
    droplet("staging"),
    droplet("staging", { tags: ["dropstack"] }),
    "staging-web-1-droplet: does not carry the environment tag dropstack-staging",
  ],
  [
    "production-resources-protected",
    droplet("production"),
    droplet("production", {}, false),
    "production-web-1-droplet: Droplet in production is not protected",
  ],
  [
    "review-resources-expire",
    droplet("review-pr-7", {
      size: "s-1vcpu-1gb",
      tags: ["dropstack-review-pr-7", "expires-20261201"],
    }),
    droplet("review-pr-7", { size: "s-1vcpu-1gb", tags: ["dropstack-review-pr-7"] }),
    "review-pr-7-web-1-droplet: a review stack's droplet has no expires-<yyyymmdd> tag",
  ],
  [
    "droplet-size-allowed",
    droplet("production"),
    droplet("production", { size: "s-1vcpu-512mb-10gb" }),
    "production-web-1-droplet: size s-1vcpu-512mb-10gb is not in the production allow-list (s-2vcpu-4gb, s-4vcpu-8gb, s-8vcpu-16gb, c-2, c-4, g-2vcpu-8gb)",
  ],
])("%s: passes a good resource, reports a bad one", (name, good, bad, message) => {
  expect(ruleOf(name).check!(good, {})).toEqual([]);
  expect(ruleOf(name).check!(bad, {})).toEqual([message]);
});

test("the pack's config raises production's SSH limit deliberately; a raise that is not a prefix is ignored", () => {
  const wide = firewall("production", [
    { protocol: "tcp", portRange: "22", sourceAddresses: ["10.0.0.0/12"] },
  ]);
  const rule = ruleOf("production-ssh-exposure-within-limit");
  expect(rule.check!(wide, {})).toHaveLength(1);
  expect(rule.check!(wide, { sshExposureLimit: { ipv4: "/12" } })).toEqual([]);
  expect(rule.check!(wide, { sshExposureLimit: { ipv4: "12" } })).toHaveLength(1);
  // Another stack's firewall, or another port, is not this rule's.
  expect(rule.check!({ ...wide, stack: "staging" }, {})).toEqual([]);
});

test("only the size rule is advisory", () => {
  expect(rules.filter((r) => r.enforcementLevel === "advisory").map((r) => r.name)).toEqual([
    "droplet-size-allowed",
  ]);
});

test("the stack comes from the resource URN, as in a real policy run", () => {
  expect(
    stackOfUrn("urn:pulumi:production::dropstack::digitalocean:index/droplet:Droplet::x"),
  ).toBe("production");
});

test.each(["dev", "staging", "production", "review-pr-42"])(
  "the committed stack %s passes every rule",
  async (stack) => {
    const resources = planPolicyResources(await planStack(stack));
    expect(resources.length).toBeGreaterThan(10);
    expect(evaluate(resources)).toEqual([]);
  },
);

test("an unprotected production plan breaks the protection rule for its first droplet, its reserved IP and each record", async () => {
  const plan = await planStack(
    "production",
    withConfig(committedStack("production"), { protect: false }),
  );
  const violations = evaluate(planPolicyResources(plan)).map((v) => v.message);
  expect(violations.sort()).toEqual([
    "production-dns-apex: DnsRecord in production is not protected",
    "production-dns-api: DnsRecord in production is not protected",
    "production-web-1-droplet: Droplet in production is not protected",
    "production-web-1-ip: ReservedIp in production is not protected",
  ]);
});

describe("production-database-admits-only-its-droplets", () => {
  const rule = ruleOf("production-database-admits-only-its-droplets");
  const resource = (type: string, name: string, props: Record<string, unknown> = {}) => ({
    type,
    name,
    stack: "production",
    protect: true,
    props,
  });
  const cluster = resource(T.databaseCluster, "production-db-cluster", { engine: "pg" });
  const own = { type: "tag", value: "dropstack-production" };
  const withRules = (rules: unknown[]) =>
    resource(T.databaseFirewall, "production-db-firewall", { rules });

  test.each([
    [
      "no firewall",
      [cluster],
      ["production-db-cluster: a production database cluster without a firewall"],
    ],
    [
      "a firewall without rules",
      [cluster, withRules([])],
      ["production-db-firewall: admits every address (no rules)"],
    ],
    [
      "an address beside the tag",
      [cluster, withRules([own, { type: "ip_addr", value: "0.0.0.0/0" }])],
      ["production-db-firewall: admits ip_addr 0.0.0.0/0, not only the tag dropstack-production"],
    ],
    [
      "review droplets",
      [cluster, withRules([own, { type: "tag", value: "review" }])],
      ["production-db-firewall: admits tag review, not only the tag dropstack-production"],
    ],
    [
      "a second firewall on the cluster admitting an address",
      [
        cluster,
        withRules([own]),
        resource(T.databaseFirewall, "extra-firewall", {
          rules: [{ type: "ip_addr", value: "198.51.100.7" }],
        }),
      ],
      ["extra-firewall: admits ip_addr 198.51.100.7, not only the tag dropstack-production"],
    ],
    ["only its own droplets", [cluster, withRules([own])], []],
  ])("%s", (_, resources, messages) => {
    expect(rule.checkStack!(resources)).toEqual(messages);
  });

  test("the program's production database passes; staging's (review droplets admitted) is not judged", async () => {
    for (const stack of ["production", "staging"]) {
      const services = { services: { db: { engine: "postgres" } } };
      const plan = await planStack(stack, withConfig(committedStack(stack), services));
      const resources = planPolicyResources(plan);
      expect(resources.filter((r) => r.type === T.databaseCluster)).toHaveLength(1);
      expect(evaluate(resources).filter((v) => v.rule === rule.name)).toEqual([]);
    }
  });
});
