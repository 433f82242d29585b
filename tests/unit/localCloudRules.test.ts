/** The local cloud's pure parts: the router's nftables rules, the zones, the operator's address. */
import { operatorAddress, outsideOperatorAddress } from "../../tools/localcloud/clients";
import { renderBalancer } from "../../tools/localcloud/loadBalancer";
import type { LocalState } from "../../tools/localcloud/localState";
import { routerRulesOf } from "../../tools/localcloud/networkStandIns";
import { renderRouterRules } from "../../tools/localcloud/stackFirewall";
import { PROBE_SECONDS, renderChecker, uptimeReport } from "../../tools/localcloud/uptimeChecker";
import { renderKnotConf, renderZone } from "../../tools/localcloud/stackDns";
import { parseTimeout } from "../../tools/localcloud/commandStandIn";

describe("the router's rules", () => {
  const firewall = {
    name: "dropstack-dev",
    droplets: ["198.51.100.11"],
    inbound: [
      { protocol: "tcp", portRange: "22", addresses: ["203.0.113.0/24", "2001:db8::/32"] },
      { protocol: "tcp", portRange: "80", addresses: ["0.0.0.0/0", "::/0"] },
      // A balancer source has no address in the local cloud: it admits nothing.
      { protocol: "tcp", portRange: "443", addresses: [] },
    ],
    outbound: [
      { protocol: "tcp", portRange: "1-65535", addresses: ["0.0.0.0/0"] },
      { protocol: "icmp", addresses: ["0.0.0.0/0"] },
    ],
  };
  const rules = renderRouterRules(1, {
    reservedIps: { "198.51.100.101": "198.51.100.11" },
    firewalls: [firewall],
  });

  test("a reserved IP is destination NAT to the droplet it is assigned to", () => {
    expect(rules).toContain("ip daddr 198.51.100.101 dnat to 198.51.100.11");
  });

  test("a targeted droplet admits only the declared ports from the declared IPv4 sources", () => {
    const start = rules.indexOf("chain in_198_51_100_11");
    const chain = rules.slice(start, rules.indexOf("\n  }", start));
    expect(chain).toContain("ip saddr { 203.0.113.0/24 } tcp dport 22 accept");
    expect(chain).toContain("    tcp dport 80 accept");
    expect(chain).not.toContain("dport 443");
    expect(chain.trimEnd().split("\n").pop()).toBe("    counter drop");
  });

  test("outbound is checked before anything else, and only the host's services leave the stack", () => {
    const forward = rules.slice(rules.indexOf("chain forward"), rules.indexOf("chain in_"));
    expect(forward.indexOf("jump out_198_51_100_11")).toBeLessThan(forward.indexOf("jump in_"));
    expect(forward).toContain('oifname "up0" ip daddr 10.250.0.1 tcp dport { 3142, 443 } accept');
    expect(forward).toContain("policy drop;");
    expect(rules).toContain("ip protocol icmp return");
  });

  test("no firewall: the droplet is open, as on DigitalOcean", () => {
    const open = renderRouterRules(1, { reservedIps: {}, firewalls: [] });
    expect(open).not.toContain("jump");
    expect(open).toContain("ip daddr 198.51.100.0/24 accept");
  });

  test("a database firewall admits its trusted sources to the cluster's port, and nothing else", () => {
    const forwardOf = (databases: { address: string; port: number; clients?: string[] }[]) => {
      const all = renderRouterRules(1, { reservedIps: {}, firewalls: [firewall], databases });
      return all.slice(all.indexOf("chain forward"), all.indexOf("chain in_")).split("\n");
    };
    const forward = forwardOf([
      { address: "198.51.100.71", port: 25060, clients: ["198.51.100.11", "198.51.100.12"] },
      { address: "198.51.100.72", port: 25061, clients: [] },
      { address: "198.51.100.73", port: 25060 },
    ]);
    const at = (line: string) => forward.indexOf(`    ${line}`);
    const admit =
      "ip daddr 198.51.100.71 ip saddr { 198.51.100.11, 198.51.100.12 } tcp dport 25060 accept";
    // The trusted sources first, then a drop for everything else, all before the stack's accept.
    expect(at(admit)).toBeGreaterThan(0);
    expect(at("ip daddr 198.51.100.71 counter drop")).toBe(at(admit) + 1);
    expect(at("ip daddr 198.51.100.72 counter drop")).toBeGreaterThan(0);
    expect(forward.filter((l) => l.includes("198.51.100.72 ip saddr"))).toEqual([]);
    expect(at("ip daddr 198.51.100.0/24 accept")).toBeGreaterThan(
      at("ip daddr 198.51.100.72 counter drop"),
    );
    // A cluster with no database firewall admits any address, as DigitalOcean's does.
    expect(forward.filter((l) => l.includes("198.51.100.73"))).toEqual([]);
  });
});

test("a zone has DigitalOcean's SOA and NS and the records as declared", () => {
  const zone = renderZone(
    "example.com",
    [{ domain: "example.com", type: "A", name: "api.dev", value: "198.51.100.101", ttl: 300 }],
    7,
  );
  expect(zone.split("\n")).toEqual([
    "$ORIGIN example.com.",
    "$TTL 1800",
    "@ 1800 SOA ns1.digitalocean.com. hostmaster.example.com. 7 10800 3600 604800 1800",
    "@ 1800 NS ns1.digitalocean.com.",
    "api.dev 300 A 198.51.100.101",
    "",
  ]);
  expect(renderKnotConf("/x", ["example.com"])).toContain("listen: 198.51.100.53@53");
});

test.each([
  [["203.0.113.0/24"], "203.0.113.10"],
  [["10.0.0.0/8", "192.0.2.0/24"], "10.0.0.10"],
  [["198.51.100.7/32"], "198.51.100.7"],
  [["0.0.0.0/0", "::/0"], "198.51.100.201"],
])("the operator of %j is at %s", (sources, address) => {
  expect(operatorAddress(sources)).toBe(address);
});

test("the operator from outside is at an address no CIDR of the list admits, or refused", () => {
  expect(outsideOperatorAddress("staging", ["203.0.113.0/24", "2001:db8::/32"])).toBe(
    "198.51.100.210",
  );
  expect(() => outsideOperatorAddress("dev", ["0.0.0.0/0", "::/0"])).toThrow(
    "dev's list admits it (0.0.0.0/0): give the stack a narrow list",
  );
  expect(() => outsideOperatorAddress("x", ["10.0.0.0/8", "198.51.100.128/25"])).toThrow(
    "admits it (198.51.100.128/25)",
  );
  expect(outsideOperatorAddress("x", ["198.51.100.0/25"])).toBe("198.51.100.210");
});

test("a firewall made outside the program (the way in) joins the router's rules for the droplets of its tag", () => {
  const rule = (address: string) => ({ protocol: "tcp", portRange: "22", addresses: [address] });
  const droplet = (id: string, address: string, tags: string[]) =>
    ({ id, address, tags, name: id, machine: id }) as LocalState["droplets"][number];
  const firewall = { dropletIds: [], outbound: [] };
  const state = {
    index: 3,
    droplets: [
      droplet("1", "198.51.100.10", ["dropstack-staging"]),
      droplet("2", "198.51.100.11", ["other"]),
    ],
    reservedIps: [],
    firewalls: [
      {
        ...firewall,
        resource: "fw",
        name: "dropstack-staging",
        tags: ["dropstack-staging"],
        inbound: [rule("203.0.113.0/24")],
      },
    ],
    outsideFirewalls: [
      {
        ...firewall,
        id: "o",
        createdAt: "",
        resource: "w",
        name: "deploy-access-staging",
        tags: ["dropstack-staging"],
        inbound: [rule("198.51.100.210/32")],
      },
    ],
  } as unknown as LocalState;
  const rules = routerRulesOf(state);
  expect(rules.firewalls.map((f) => [f.name, f.droplets])).toEqual([
    ["dropstack-staging", ["198.51.100.10"]],
    ["deploy-access-staging", ["198.51.100.10"]],
  ]);
  const inbound = renderRouterRules(3, rules).split("chain in_198_51_100_10")[1];
  expect(inbound).toContain("ip saddr { 203.0.113.0/24 } tcp dport 22 accept");
  expect(inbound).toContain("ip saddr { 198.51.100.210/32 } tcp dport 22 accept");
});

test("custom timeouts", () => {
  expect(parseTimeout("20m")).toBe(1_200_000);
  expect(parseTimeout("90s")).toBe(90_000);
  expect(parseTimeout(undefined)).toBeUndefined();
});

describe("the load balancer's HAProxy config", () => {
  const spec = {
    address: "198.51.100.60",
    forwardingRules: [
      { entryProtocol: "https", entryPort: 443, targetProtocol: "http", targetPort: 80 },
      { entryProtocol: "http", entryPort: 80, targetProtocol: "http", targetPort: 80 },
    ],
    healthcheck: {
      protocol: "http",
      port: 80,
      path: "/health",
      checkIntervalSeconds: 10,
      responseTimeoutSeconds: 5,
      healthyThreshold: 3,
      unhealthyThreshold: 2,
    },
    idleTimeoutSeconds: 30,
    droplets: ["198.51.100.11", "198.51.100.12"],
  };
  const { config, skippedRules } = renderBalancer(spec);

  test("each HTTP rule listens at the balancer's address and checks every tagged droplet", () => {
    expect(config).toContain("  bind 198.51.100.60:80\n");
    expect(config).toContain("  option httpchk GET /health\n  http-check expect status 200\n");
    expect(config).toContain("  default-server check port 80 inter 10s rise 3 fall 2\n");
    expect(config).toContain("  timeout check 5s\n");
    expect(config).toContain(
      "  server droplet1 198.51.100.11:80\n  server droplet2 198.51.100.12:80\n",
    );
    expect(config).toContain("  timeout client 30s\n");
    expect(config).toContain("  http-request set-header X-Forwarded-Proto http\n");
  });

  test("a rule that needs the certificate is said to be skipped, not dropped silently", () => {
    expect(skippedRules).toEqual(["https 443 → http 80 (its certificate is not there)"]);
    expect(config).not.toContain(":443");
  });
});

describe("uptime checks", () => {
  const checks = [
    { id: "c1", name: "dropstack staging api", target: "https://api.staging.example.com/health" },
  ];
  const alerts = [
    { checkId: "c1", name: "down", type: "down", period: "2m" },
    { checkId: "c1", name: "slow", type: "latency", period: "5m", threshold: 500 },
    { checkId: "c1", name: "certificate", type: "ssl_expiry", period: "2m", threshold: 14 },
  ];

  test("the checker asks each target with curl and logs a line per probe", () => {
    const script = renderChecker(checks, "/x/probes.log");
    expect(script).toContain(
      "r=$(curl -s -o /dev/null -m 10 -w '%{http_code} %{time_total}' 'https://api.staging.example.com/health') ; echo \"$(date +%s) c1 $r\" >> '/x/probes.log'",
    );
    expect(script).toContain(`sleep ${PROBE_SECONDS}`);
  });

  test("the last probe, and whether each alert fires over its period", () => {
    const now = 10_000;
    const log = [
      `${now - 200} c1 200 0.010`,
      `${now - 100} c1 000 10.000`,
      `${now - 10} c1 502 0.600`,
    ].join("\n");
    const [report] = uptimeReport(log, checks, alerts, now);
    expect(report.probes).toBe(3);
    expect(report.last).toEqual({ up: false, status: 502, latencyMs: 600 });
    // Down for the whole last 2 minutes; slower than 500 ms for all of the last 5 minutes? No.
    expect(report.alerts).toEqual([
      { name: "down", type: "down", firing: true },
      { name: "slow", type: "latency", firing: false },
      { name: "certificate", type: "ssl_expiry", firing: null },
    ]);
    const [healthy] = uptimeReport(`${now - 5} c1 200 0.020`, checks, alerts, now);
    expect(healthy.last?.up).toBe(true);
    expect(healthy.alerts[0].firing).toBe(false);
  });
});
