/**
 * Scaling out (droplet.count, the load balancer, rolling releases), TLS in both modes, and alerts,
 * on plans of the real program under the recording mocks.
 */
import { certificateName } from "../../components/LoadBalancer";
import { certificateBlocks } from "../../config/certificate";
import { TLS_CUSTOM_CERTIFICATE } from "../../templates";
import { isSecretWrapper, revealSecrets } from "../../tools/plan/mockSecrets";
import type { PlanResult } from "../../tools/plan/runPlan";
import {
  T,
  committedStack,
  installedText,
  one,
  only,
  planStack,
  withConfig,
} from "../helpers/planHelpers";
import { CHAIN, CUSTOM_TLS, EXPIRED_CHAIN, KEY, PROXY_IS_SECRET } from "../helpers/tlsFixtures";

const staging = (edits: Record<string, unknown>) =>
  planStack("staging", withConfig(committedStack("staging"), edits));

const names = (plan: PlanResult, type: string) => only(plan, type).map((r) => r.name);
const site = (plan: PlanResult, host = "staging-web-1") =>
  installedText(one(plan, T.command, `${host}-nginx-site-install`));

describe.each([1, 3, 20])("droplet.count %i", (count) => {
  let plan: PlanResult;
  beforeAll(async () => {
    plan = await staging({ "droplet.count": count });
  }, 60_000);
  const balanced = count > 1;

  test("that many droplets, each with its own nginx site, colours and release", () => {
    const hosts = Array.from({ length: count }, (_, i) => `staging-web-${i + 1}`);
    expect(only(plan, T.droplet).map((d) => d.inputs.name)).toEqual(hosts);
    expect(names(plan, T.nginxSite)).toEqual(hosts.map((h) => `${h}-nginx`));
    expect(names(plan, T.supervisorProgram)).toHaveLength(2 * count);
    expect(names(plan, T.release)).toEqual(hosts.map((h) => `${h}-api-release`));
  });

  test("a load balancer only with more than one droplet; only the first droplet has a reserved IP", () => {
    expect(only(plan, T.loadBalancer)).toHaveLength(balanced ? 1 : 0);
    expect(names(plan, T.reservedIp)).toEqual(["staging-web-1-ip"]);
    expect(names(plan, T.ipAssignment)).toEqual(["staging-web-1-ip-assignment"]);
  });

  test("every A record points at the one public address", () => {
    const address = balanced
      ? only(plan, T.loadBalancer)[0].outputs.ip
      : only(plan, T.reservedIp)[0].outputs.ipAddress;
    const records = only(plan, T.dnsRecord);
    expect(records.map((r) => [r.name, r.inputs.value])).toEqual([
      ["staging-dns-api-staging", address],
    ]);
  });

  test("a DNS move is ordered: to the balancer once it answers, the firewall narrowing after; back, the firewall opening first", () => {
    const record = one(plan, T.dnsRecord, "staging-dns-api-staging");
    const firewall = one(plan, T.firewall, "staging-firewall-rules");
    const moved = one(plan, T.localCommand, "staging-dns-moved");
    // The records' addresses and TTL, sorted: the next run after a move waits the old TTL.
    expect(moved.inputs.environment).toEqual({ ADDRESSES: record.inputs.value, TTL: "300" });
    expect(moved.dependsOn).toContain("staging-dns-api-staging");
    if (balanced) {
      expect(record.dependsOn).toContain("staging-dns-wait-for-address");
      const wait = one(plan, T.localCommand, "staging-dns-wait-for-address");
      expect(wait.inputs.environment).toEqual({ ADDRESS: record.inputs.value });
      // More answers in a row than droplets: one bad droplet in the rotation resets the count.
      expect(String(wait.inputs.create)).toContain(`while [ "$ok" -lt ${2 * count + 3} ]`);
      expect(firewall.dependsOn).toContain("staging-dns-moved");
      // The balancer's health checks need the sites first: they never wait for DNS.
      expect(one(plan, T.command, "staging-web-1-nginx-site-install").dependsOn).not.toContain(
        "staging-dns-moved",
      );
    } else {
      const dnsCommands = only(plan, T.localCommand).filter((c) =>
        c.name.startsWith("staging-dns"),
      );
      expect(dnsCommands.map((c) => c.name)).toEqual(["staging-dns-moved"]);
      expect(record.dependsOn).toContain("staging-firewall-rules");
      expect(firewall.dependsOn).not.toContain("staging-dns-api-staging");
      // Served alone the site redirects plain HTTP, which the balancer sends HTTPS on as: moving
      // back, it waits until resolvers have left the balancer.
      expect(one(plan, T.command, "staging-web-1-nginx-site-install").dependsOn).toContain(
        "staging-dns-moved",
      );
    }
  });

  test("behind the balancer a resize goes in two halves, each droplet out of the rotation for it", async () => {
    const commands = only(plan, T.command);
    const leaves = commands.filter((c) => c.name.endsWith("-leave-rotation"));
    const rejoins = commands.filter((c) => c.name.endsWith("-rejoin-rotation"));
    expect(leaves).toHaveLength(balanced ? count : 0);
    expect(rejoins).toHaveLength(balanced ? count : 0);
    if (!balanced) return;
    // A new stack: no droplet to take out of the rotation, so no script and an address never dialed.
    for (const leave of leaves) {
      expect(leave.inputs.update).toBeUndefined();
      expect(revealSecrets(leave.inputs.connection)).toMatchObject({
        host: "no-droplet-yet.invalid",
      });
    }
    // The same stack once up, at s-1vcpu-1gb: the program's lookup finds each droplet there.
    const hosts = Array.from({ length: count }, (_, i) => `staging-web-${i + 1}`);
    const existing = (size: string) =>
      hosts.map((name, i) => ({
        name,
        tags: ["dropstack-staging", "dropstack"],
        size,
        ipv4Address: `203.0.113.${200 - i}`,
      }));
    const config = withConfig(committedStack("staging"), { "droplet.count": count });
    const unchanged = await planStack("staging", config, existing("s-1vcpu-2gb"));
    for (const leave of only(unchanged, T.command).filter((c) =>
      c.name.endsWith("-leave-rotation"),
    ))
      expect(leave.inputs.update).toBeUndefined();
    const resized = await planStack("staging", config, existing("s-1vcpu-1gb"));
    const resizedCommands = only(resized, T.command);
    const half = Math.ceil(count / 2);
    hosts.forEach((host, i) => {
      const leave = one(resized, T.command, `${host}-leave-rotation`);
      // Nothing runs when the droplet is created: only a size change runs either script.
      expect(leave.inputs.create).toBeUndefined();
      expect(leave.inputs.environment).toBeUndefined();
      // By the address DigitalOcean has for the droplet now: this runs before it is resized.
      expect(revealSecrets(leave.inputs.connection)).toMatchObject({
        host: `203.0.113.${200 - i}`,
      });
      expect(String(leave.inputs.update)).toContain("# For the resize to s-1vcpu-2gb.");
      expect(String(leave.inputs.update)).toContain(
        "sudo touch '/var/lib/dropstack/out-of-rotation'",
      );
      expect(String(leave.inputs.update)).toContain("sleep 35");
      // The droplet waits for its leave; the second half's leaves wait for the first half's rejoins.
      expect(one(resized, T.droplet, `${host}-droplet`).dependsOn).toContain(leave.name);
      const rejoinsOf = resizedCommands.filter((c) => c.name.endsWith("-rejoin-rotation"));
      const waitsFor = leave.dependsOn.filter((d) => d.endsWith("-rejoin-rotation")).sort();
      expect(waitsFor).toEqual(
        i < half
          ? []
          : rejoinsOf
              .slice(0, half)
              .map((r) => r.name)
              .sort(),
      );
      const rejoin = rejoinsOf[i];
      expect(rejoin.inputs.create).toBeUndefined();
      expect(rejoin.dependsOn).toContain(`${host}-droplet`);
      expect(String(rejoin.inputs.update)).toContain("http://127.0.0.1/health");
    });
    // The site's health check for the balancer fails while the droplet is out of the rotation.
    expect(site(plan)).toMatch(
      /location = \/health \{\n(\s+#.*\n)*\s+if \(-f \/var\/lib\/dropstack\/out-of-rotation\) \{\n\s+return 503;/,
    );
  });

  test("releases roll one droplet at a time: each waits for the previous droplet's", () => {
    const runs = only(plan, T.command).filter((r) => r.name.endsWith("-api-release-run"));
    expect(runs).toHaveLength(count);
    runs.forEach((run, i) => {
      const earlier = runs.filter((r) => run.dependsOn.includes(r.name)).map((r) => r.name);
      expect(earlier).toEqual(i === 0 ? [] : [`staging-web-${i}-api-release-run`]);
    });
  });

  test("the balancer takes the droplets once released and health-checks healthPath through nginx", () => {
    if (!balanced) return;
    const [balancer] = only(plan, T.loadBalancer);
    // By id, not by tag: a tagged droplet would be sent requests while it still boots.
    expect(balancer.inputs.dropletTag).toBeUndefined();
    expect(balancer.inputs.dropletIds).toEqual(only(plan, T.droplet).map((d) => Number(d.id)));
    // The releases roll, so the last droplet's is after every other.
    expect(balancer.dependsOn).toContain(`staging-web-${count}-api-release-run`);
    expect(balancer.inputs).toMatchObject({
      name: "dropstack-staging",
      region: "fra1",
      sizeUnit: 1,
      healthcheck: { protocol: "http", port: 80, path: "/dropstack/balancer-health" },
      // The program owns the A records: DO must not add its own for the certificate.
      disableLetsEncryptDnsRecords: true,
    });
    // DNS moves to it once it answers from where `pulumi up` runs; the firewall narrows to it
    // only once resolvers have let go of the droplet's address (the old TTL after a move).
    const wait = one(plan, T.localCommand, "staging-dns-wait-for-address");
    expect(String(wait.inputs.create)).toContain(
      "--resolve \"api.staging.example.com:443:$ADDRESS\" 'https://api.staging.example.com/health'",
    );
    expect(one(plan, T.dnsRecord, "staging-dns-api-staging").dependsOn).toContain(
      "staging-dns-wait-for-address",
    );
    expect(one(plan, T.localCommand, "staging-dns-moved").dependsOn).toContain(
      "staging-dns-api-staging",
    );
    expect(one(plan, T.firewall, "staging-firewall-rules").dependsOn).toContain(
      "staging-dns-moved",
    );
    // Its health check asks by address, on nginx's own path, answered from healthPath; the
    // default server answers healthPath too (by address), nothing else.
    expect(site(plan)).toMatch(
      /server_name _;\n\s+server_tokens off;\n(\s+#.*\n)*\s+location = \/dropstack\/balancer-health \{\n(.*\n){4}\s+proxy_pass http:\/\/api_\$dropstack_api_colour\/health;/,
    );
    expect(site(plan)).toMatch(
      /\s+location = \/health \{\n(.*\n){3}\s+proxy_pass http:\/\/api_\$dropstack_api_colour;/,
    );
    const [firewall] = only(plan, T.firewall);
    const inbound = firewall.inputs.inboundRules as Record<string, unknown>[];
    expect(inbound.slice(1)).toEqual([
      { protocol: "tcp", portRange: "80", sourceLoadBalancerUids: [balancer.id] },
      { protocol: "tcp", portRange: "443", sourceLoadBalancerUids: [balancer.id] },
    ]);
  });
});

test("going from 1 droplet to 3 and back changes nothing that would replace the first droplet", async () => {
  const one1 = await staging({ "droplet.count": 1 });
  const three = await staging({ "droplet.count": 3 });
  // The droplet, and the bootstrap wait on it (its connection differs only by the mock's address).
  const first = (plan: PlanResult) =>
    plan.resources
      .filter((r) => r.name === "staging-web-1-droplet" || r.name === "staging-web-1-bootstrap")
      .map(({ type, name, parent, inputs, protect }) => ({
        type,
        name,
        parent,
        inputs: inputs.connection ? { create: inputs.create } : inputs,
        protect,
      }));
  // Same type, name and parent (so the same URN) and the same inputs: no replacement either way.
  expect(first(three)).toHaveLength(2);
  expect(first(three)).toEqual(first(one1));
});

test("production scales 1 → 3 → 1 without deleting anything protected (no unprotecting needed)", async () => {
  const production = (count: number) =>
    planStack("production", withConfig(committedStack("production"), { "droplet.count": count }));
  const key = (r: { type: string; name: string; parent: string | null }) =>
    `${r.type} ${r.name} <- ${r.parent}`;
  // In any order: a resource registers once its inputs resolve.
  const before = (await production(1)).resources
    .filter((r) => r.protect)
    .map(key)
    .sort();
  const after = (await production(3)).resources
    .filter((r) => r.protect)
    .map(key)
    .sort();
  expect(before.length).toBeGreaterThanOrEqual(4);
  // Up: nothing protected goes. Back: what goes (the other droplets, the balancer) is unprotected.
  expect(after).toEqual(before);
});

test("a review stack takes no reserved IP: its records point at the droplet's own address", async () => {
  const review = await planStack("review-pr-7");
  expect(only(review, T.reservedIp)).toEqual([]);
  expect(only(review, T.ipAssignment)).toEqual([]);
  const droplet = one(review, T.droplet, "review-pr-7-web-1-droplet");
  for (const record of only(review, T.dnsRecord))
    expect(record.inputs.value).toBe(droplet.outputs.ipv4Address);
});

describe("TLS on a single droplet (staging: proxy.tls letsencrypt)", () => {
  let plan: PlanResult;
  beforeAll(async () => {
    plan = await planStack("staging");
  });

  test("nginx gets a placeholder certificate before the HTTPS site is installed", () => {
    const install = one(plan, T.command, "staging-web-1-nginx-site-install");
    expect(install.dependsOn).toContain("staging-web-1-nginx-tls-placeholder");
    const text = site(plan);
    expect(text).toContain("listen 443 ssl http2;");
    expect(text).toContain("ssl_protocols TLSv1.2 TLSv1.3;");
    expect(text).toContain("location ^~ /.well-known/acme-challenge/ {");
    expect(text).toContain("return 301 https://$host$request_uri;");
    expect(text).not.toContain("Strict-Transport-Security");
  });

  test("certbot runs after the DNS record, the reserved IP and the site exist, for every host", () => {
    const certbot = one(plan, T.command, "staging-web-1-certificate-certbot");
    expect(certbot.dependsOn).toEqual(
      expect.arrayContaining([
        "staging-dns-api-staging",
        "staging-web-1-ip-assignment",
        "staging-web-1-nginx-site-install",
        "staging-web-1-certificate-deploy-hook-install",
      ]),
    );
    const script = String(certbot.inputs.create);
    expect(script).toContain("--webroot --webroot-path '/var/www/dropstack-acme'");
    expect(script).toContain("--email 'ops@example.com'");
    expect(script).toContain("--domain 'api.staging.example.com'");
    expect(certbot.dependsOn).toContain("staging-firewall-rules");
    expect(String(certbot.inputs.delete)).toContain("certbot delete");
    expect(only(plan, T.certificate)).toHaveLength(0);
    // Let's Encrypt's production directory is certbot's default: the command stays as it was.
    expect(script).not.toContain("--server");
  });

  test.each([
    ["letsencrypt-staging", "https://acme-staging-v02.api.letsencrypt.org/directory"],
    ["https://acme.internal.example/directory", "https://acme.internal.example/directory"],
  ])("proxy.tls.server %s: certbot asks %s", async (server, directory) => {
    const tls = { mode: "letsencrypt", email: "ops@example.com", server };
    const edited = await staging({ "proxy.tls": tls });
    const certbot = one(edited, T.command, "staging-web-1-certificate-certbot");
    expect(String(certbot.inputs.create)).toContain(`\\\n  --server '${directory}' \\\n`);
  });

  test("urls are https", () => {
    expect(plan.outputs.urls).toEqual(["https://api.staging.example.com/"]);
  });

  test("production on one droplet also sends HSTS", async () => {
    const production = await planStack(
      "production",
      withConfig(committedStack("production"), { "droplet.count": 1 }),
    );
    expect(site(production, "production-web-1")).toContain(
      'add_header Strict-Transport-Security "max-age=63072000" always;',
    );
    expect(
      String(one(production, T.command, "production-web-1-certificate-certbot").inputs.create),
    ).toMatch(/--domain 'example\.com' \\\n\s+--domain 'api\.example\.com'/);
  });
});

describe("TLS behind the load balancer (production: 2 droplets)", () => {
  let plan: PlanResult;
  beforeAll(async () => {
    plan = await planStack("production");
  });

  test("a Let's Encrypt certificate on the balancer for every host, HTTPS forwarded, HTTP redirected", () => {
    const [certificate] = only(plan, T.certificate);
    expect(certificate.inputs).toMatchObject({
      type: "lets_encrypt",
      domains: ["example.com", "api.example.com"],
    });
    const [balancer] = only(plan, T.loadBalancer);
    expect(balancer.inputs.redirectHttpToHttps).toBe(true);
    expect(balancer.inputs.forwardingRules).toEqual([
      {
        entryProtocol: "https",
        entryPort: 443,
        targetProtocol: "http",
        targetPort: 80,
        certificateName: certificate.inputs.name,
      },
      { entryProtocol: "http", entryPort: 80, targetProtocol: "http", targetPort: 80 },
    ]);
  });

  test("the droplets serve plain HTTP to the balancer, pass on its scheme, and send HSTS", () => {
    const text = site(plan, "production-web-2");
    // One server for the hosts on 80 (the balancer's HTTPS, forwarded) and 443: a client that
    // held a droplet's own address through a move behind the balancer is still served.
    expect(text).toMatch(
      /listen 443 ssl http2;\n(.*\n)*\s+listen 80;\n\s+listen \[::\]:80;\n\s+server_name example\.com api\.example\.com;/,
    );
    expect(text).not.toContain("return 301");
    expect(text).toContain("proxy_set_header X-Forwarded-Proto $dropstack_api_proto;");
    expect(text).toContain("Strict-Transport-Security");
    expect(names(plan, T.certbot)).toEqual([]);
    // No certbot behind the balancer: the placeholder is what that HTTPS shows.
    expect(names(plan, T.command).filter((n) => n.includes("tls-placeholder"))).toEqual([
      "production-web-1-nginx-tls-placeholder",
      "production-web-2-nginx-tls-placeholder",
    ]);
  });

  test("with proxy.tls off, the balancer forwards HTTP only and there is no certificate", async () => {
    const dev = await planStack("dev", withConfig(committedStack("dev"), { "droplet.count": 3 }));
    expect(only(dev, T.certificate)).toHaveLength(0);
    const [balancer] = only(dev, T.loadBalancer);
    expect(balancer.inputs.redirectHttpToHttps).toBe(false);
    expect(balancer.inputs.forwardingRules).toEqual([
      { entryProtocol: "http", entryPort: 80, targetProtocol: "http", targetPort: 80 },
    ]);
    expect(dev.outputs.urls).toEqual(["http://api.dev.example.com/"]);
  });
});

describe("the stack's own certificate (proxy.tls custom)", () => {
  const custom = (stack: string, edits: Record<string, unknown> = {}) =>
    planStack(
      stack,
      withConfig(committedStack(stack), { "proxy.tls": CUSTOM_TLS, ...edits }, PROXY_IS_SECRET),
    );
  const [leaf, intermediate] = certificateBlocks(CHAIN);

  test("on one droplet: installed as a secret before the site, which serves it; no certbot", async () => {
    const plan = await custom("staging");
    const install = one(plan, T.command, "staging-web-1-nginx-tls-certificate-install");
    expect(isSecretWrapper(install.inputs.stdin)).toBe(true);
    expect(installedText(install)).toBe(`${CHAIN.trimEnd()}\n${KEY}`);
    expect(one(plan, T.command, "staging-web-1-nginx-site-install").dependsOn).toContain(
      "staging-web-1-nginx-tls-certificate-install",
    );
    const text = site(plan);
    expect(text).toContain(`ssl_certificate ${TLS_CUSTOM_CERTIFICATE};`);
    expect(text).toContain(`ssl_certificate_key ${TLS_CUSTOM_CERTIFICATE};`);
    expect(names(plan, T.certbot)).toEqual([]);
    expect(only(plan, T.command).filter((r) => r.name.includes("tls-placeholder"))).toEqual([]);
    expect(only(plan, T.certificate)).toEqual([]);
    expect(plan.outputs.urls).toEqual(["https://api.staging.example.com/"]);
  });

  test("behind the balancer: a custom DigitalOcean certificate, leaf and chain apart, key secret", async () => {
    const plan = await custom("production");
    const [certificate] = only(plan, T.certificate);
    expect(certificate.inputs).toMatchObject({
      type: "custom",
      name: certificateName("dropstack-production", [leaf]),
      leafCertificate: leaf,
      certificateChain: intermediate,
    });
    expect(certificate.inputs.domains).toBeUndefined();
    expect(isSecretWrapper(certificate.inputs.privateKey)).toBe(true);
    expect(revealSecrets(certificate.inputs.privateKey)).toBe(KEY);
    const [balancer] = only(plan, T.loadBalancer);
    expect(balancer.inputs.forwardingRules).toContainEqual(
      expect.objectContaining({ entryProtocol: "https", certificateName: certificate.inputs.name }),
    );
    expect(names(plan, T.certbot)).toEqual([]);
    // The droplets serve it too (as on one droplet), for clients that held a droplet's address.
    expect(site(plan, "production-web-1")).toContain(`ssl_certificate ${TLS_CUSTOM_CERTIFICATE};`);
  });

  test("a new certificate gets a new name, so it is created before the old one goes", () => {
    const [, other] = certificateBlocks(EXPIRED_CHAIN);
    expect(certificateName("b", [leaf])).not.toBe(certificateName("b", [other]));
  });
});

describe("alerts", () => {
  test.each(["dev", "review-pr-42"])("%s creates none unless configured", async (stack) => {
    const plan = await planStack(stack);
    for (const type of [T.monitoring, T.monitorAlert, T.uptimeCheck, T.uptimeAlert]) {
      expect(only(plan, type)).toEqual([]);
    }
  });

  test("production: CPU, memory and disk on the droplets' tag; an uptime check per URL with down, latency and certificate alerts", async () => {
    const plan = await planStack("production");
    const metric = only(plan, T.monitorAlert).map((a) => [a.inputs.type, a.inputs.value]);
    expect(metric).toEqual([
      ["v1/insights/droplet/cpu", 80],
      ["v1/insights/droplet/memory_utilization_percent", 90],
      ["v1/insights/droplet/disk_utilization_percent", 85],
    ]);
    for (const alert of only(plan, T.monitorAlert)) {
      expect(alert.inputs).toMatchObject({
        compare: "GreaterThan",
        window: "5m",
        tags: ["dropstack-production"],
        alerts: { emails: ["ops@example.com"], slacks: [] },
      });
    }
    const checks = only(plan, T.uptimeCheck);
    expect(checks.map((c) => [c.inputs.target, c.inputs.type])).toEqual([
      ["https://example.com/health", "https"],
      ["https://api.example.com/health", "https"],
    ]);
    const alerts = only(plan, T.uptimeAlert);
    expect(
      alerts.map((a) => `${a.name} ${a.inputs.type} ${a.inputs.threshold ?? "-"}`).sort(),
    ).toEqual(
      [
        "production-monitoring-apex-down down -",
        "production-monitoring-apex-latency latency 1500",
        "production-monitoring-apex-certificate ssl_expiry 14",
        "production-monitoring-api-down down -",
        "production-monitoring-api-latency latency 1500",
        "production-monitoring-api-certificate ssl_expiry 14",
      ].sort(),
    );
    for (const alert of alerts) {
      const check = checks.find((c) => alert.name.startsWith(c.name.replace(/-uptime$/, "-")));
      expect(alert.inputs.checkId).toBe(check!.id);
    }
  });

  test("without TLS there is no certificate alert; a Slack webhook stays secret in the plan", async () => {
    const webhook = "https://hooks.slack.com/services/T000/B000/sekrit-webhook-path";
    const plan = await planStack(
      "dev",
      withConfig(
        committedStack("dev"),
        { alerts: { slackWebhook: webhook, slackChannel: "#ops", cpuPercent: 95 } },
        ["dropstack:alerts"],
      ),
    );
    expect(only(plan, T.uptimeAlert).map((a) => a.inputs.type)).toEqual(["down", "latency"]);
    expect(only(plan, T.uptimeCheck)[0].inputs).toMatchObject({
      target: "http://api.dev.example.com/health",
      type: "http",
    });
    expect(only(plan, T.monitorAlert)[0].inputs.value).toBe(95);
    const { planJson, planTree } = await import("../../tools/plan/planOutput");
    expect(JSON.stringify(planJson(plan))).not.toContain("sekrit");
    expect(planTree(plan)).not.toContain("sekrit");
  });
});

test("the balancer's certificate is named by its set of hosts: reordering them re-issues nothing", () => {
  const name = certificateName("dropstack-production", ["example.com", "api.example.com"]);
  expect(name).toMatch(/^dropstack-production-[0-9a-f]{8}$/);
  expect(certificateName("dropstack-production", ["api.example.com", "example.com"])).toBe(name);
  expect(certificateName("dropstack-production", ["example.com", "www.example.com"])).not.toBe(
    name,
  );
});
