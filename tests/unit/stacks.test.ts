/** The committed stacks, evaluated by the real program under the recording mocks. */
import {
  T,
  committedStack,
  installedText,
  one,
  only,
  planStack,
  withConfig,
} from "../helpers/planHelpers";
import { isSecretWrapper, revealSecrets } from "../../tools/plan/mockSecrets";

const STACKS = ["dev", "staging", "production"] as const;

describe.each(STACKS)("stack %s", (stack) => {
  let plan: Awaited<ReturnType<typeof planStack>>;
  // production runs two droplets behind a load balancer; dev and staging one with a reserved IP.
  const count = stack === "production" ? 2 : 1;
  const balanced = count > 1;
  beforeAll(async () => {
    plan = await planStack(stack);
  });

  test("declares the environment tree with every child under its component", () => {
    const names = plan.resources.map((r) => `${r.type} ${r.name} <- ${r.parent}`);
    expect(names).toEqual(
      expect.arrayContaining([
        `${T.environment} ${stack} <- null`,
        `${T.apiImage} ${stack}-image <- ${stack}`,
        `${T.webHost} ${stack}-web-1 <- ${stack}`,
        `${T.droplet} ${stack}-web-1-droplet <- ${stack}-web-1`,
        `${T.reservedIp} ${stack}-web-1-ip <- ${stack}-web-1`,
        `${T.ipAssignment} ${stack}-web-1-ip-assignment <- ${stack}-web-1`,
        ...(balanced ? [`${T.loadBalancer} ${stack}-lb-balancer <- ${stack}-lb`] : []),
        `${T.command} ${stack}-web-1-bootstrap <- ${stack}-web-1`,
        `${T.nginxSite} ${stack}-web-1-nginx <- ${stack}`,
        `${T.apiService} ${stack}-web-1-api <- ${stack}`,
        `${T.supervisorProgram} ${stack}-web-1-api-blue <- ${stack}-web-1-api`,
        `${T.supervisorProgram} ${stack}-web-1-api-green <- ${stack}-web-1-api`,
        `${T.release} ${stack}-web-1-api-release <- ${stack}-web-1-api`,
        `${T.firewallComponent} ${stack}-firewall <- ${stack}`,
        `${T.firewall} ${stack}-firewall-rules <- ${stack}-firewall`,
        `${T.dnsRecords} ${stack}-dns <- ${stack}`,
      ]),
    );
    // Only the Environment is a root: nothing escapes the tree.
    expect(plan.resources.filter((r) => r.parent === null).map((r) => r.name)).toEqual([stack]);
  });

  test("droplet.count droplets, tagged for the environment, bootstrapped by config-free cloud-init", () => {
    const droplets = only(plan, T.droplet);
    expect(droplets.map((d) => d.inputs.name)).toEqual(
      Array.from({ length: count }, (_, i) => `${stack}-web-${i + 1}`),
    );
    for (const droplet of droplets) {
      expect(droplet.inputs).toMatchObject({ image: "debian-12-x64", monitoring: true });
      expect(droplet.inputs.tags).toEqual(
        expect.arrayContaining([`dropstack-${stack}`, "dropstack"]),
      );
      // A secret: it holds the droplet's SSH host key.
      expect(isSecretWrapper(droplet.inputs.userData)).toBe(true);
      expect(revealSecrets(droplet.inputs.userData)).toMatch(/^#cloud-config\n/);
    }
  });

  test("firewall targets the environment tag: 80/443 from anywhere (or only the load balancer), 22 from the allowed CIDRs only", () => {
    const [firewall] = only(plan, T.firewall);
    expect(firewall.inputs.tags).toEqual([`dropstack-${stack}`]);
    const inbound = firewall.inputs.inboundRules as {
      portRange: string;
      sourceAddresses: string[];
    }[];
    expect(inbound.map((r) => r.portRange)).toEqual(["22", "80", "443"]);
    if (balanced) {
      const [balancer] = only(plan, T.loadBalancer);
      for (const web of inbound.slice(1)) {
        expect(web).toEqual({
          protocol: "tcp",
          portRange: web.portRange,
          sourceLoadBalancerUids: [balancer.id],
        });
      }
    } else {
      expect(inbound[1].sourceAddresses).toEqual(["0.0.0.0/0", "::/0"]);
    }
    const app = JSON.parse(committedStack(stack).config["dropstack:app"]);
    expect(inbound.map((r) => r.portRange)).not.toContain(String(app.port));
    if (stack === "production") {
      expect(inbound[0].sourceAddresses).toEqual(["203.0.113.0/24", "2001:db8::/32"]);
    }
  });

  test("one A record per host, pointing at the reserved IP or the load balancer", () => {
    const hosts = JSON.parse(committedStack(stack).config["dropstack:hosts"]) as string[];
    const records = only(plan, T.dnsRecord);
    const address = balanced
      ? only(plan, T.loadBalancer)[0].outputs.ip
      : only(plan, T.reservedIp)[0].outputs.ipAddress;
    expect(address).toMatch(/^\d+\.\d+\.\d+\.\d+$/);
    expect(records.map((r) => r.inputs.name)).toEqual(hosts);
    for (const record of records) {
      expect(record.inputs).toMatchObject({
        domain: "example.com",
        type: "A",
        ttl: 300,
        value: address,
      });
    }
  });

  test("the environment tag exists before the droplet and firewall use it", () => {
    const [tag] = only(plan, T.tag);
    expect(tag.inputs.name).toBe(`dropstack-${stack}`);
    expect(one(plan, T.droplet, `${stack}-web-1-droplet`).dependsOn).toContain(`${stack}-tag`);
    expect(one(plan, T.firewall, `${stack}-firewall-rules`).dependsOn).toContain(`${stack}-tag`);
  });

  test("the reserved IP moves to a droplet only once its nginx site and API are installed", () => {
    const assignment = one(plan, T.ipAssignment, `${stack}-web-1-ip-assignment`);
    expect(assignment.dependsOn).toEqual(
      expect.arrayContaining([
        `${stack}-web-1-nginx-site-install`,
        `${stack}-web-1-api-release-run`,
      ]),
    );
  });

  test("protect is on exactly for production's first droplet, its reserved IP and the DNS records (what a scale back to one droplet keeps)", () => {
    const protectedOnes = plan.resources.filter((r) => r.protect).map((r) => r.name);
    if (stack === "production") {
      expect(protectedOnes.sort()).toEqual(
        [
          "production-dns-apex",
          "production-dns-api",
          "production-web-1-droplet",
          "production-web-1-host-key",
          "production-web-1-ip",
        ].sort(),
      );
    } else {
      expect(protectedOnes).toEqual([]);
    }
  });

  test("nginx, both colours and the release are pushed after bootstrap; the release pins the image", () => {
    const site = installedText(one(plan, T.command, `${stack}-web-1-nginx-site-install`));
    expect(site).toContain("include /etc/nginx/dropstack/api-upstreams.conf;");
    const upstreams = installedText(one(plan, T.command, `${stack}-web-1-nginx-upstreams-install`));
    expect(upstreams).toContain("server 127.0.0.1:8080 max_fails=0; # dropstack blue");
    expect(upstreams).toContain("server 127.0.0.1:8081 max_fails=0; # dropstack green");
    // The site comes after the upstreams it includes.
    expect(one(plan, T.command, `${stack}-web-1-nginx-site-install`).dependsOn).toContain(
      `${stack}-web-1-nginx-upstreams-install`,
    );
    for (const [colour, port] of [
      ["blue", 8080],
      ["green", 8081],
    ] as const) {
      const program = installedText(
        one(plan, T.command, `${stack}-web-1-api-${colour}-conf-install`),
      );
      expect(program).toMatch(new RegExp(`^\\[program:api-${colour}\\]$`, "m"));
      expect(program).toContain(`-p 127.0.0.1:${port}:${port} `);
      expect(program).toMatch(/^autostart=false$/m);
    }
    const run = one(plan, T.command, `${stack}-web-1-api-release-run`);
    expect(String(run.inputs.create)).toMatch(
      /^sudo \/usr\/local\/lib\/dropstack\/api-release 'registry\.digitalocean\.com\/dropstack\/api@sha256:[0-9a-f]{64}'$/,
    );
    // All but the balancer rotation's, which run only on a resize (of a bootstrapped droplet).
    const remote = only(plan, T.command).filter(
      (r) =>
        r.name.startsWith(`${stack}-web-1-`) &&
        r.name !== `${stack}-web-1-bootstrap` &&
        // Before it: a droplet of an earlier bootstrap is given its host key first.
        r.name !== `${stack}-web-1-host-key-install` &&
        !r.name.endsWith("-rotation"),
    );
    expect(remote.length).toBeGreaterThanOrEqual(8);
    for (const r of remote) expect(r.dependsOn).toContain(`${stack}-web-1-bootstrap`);
  });
});

test("app.image is used as given: no build, no registry credentials", async () => {
  const image = "ghcr.io/acme/api:1.4.2";
  const plan = await planStack(
    "staging",
    withConfig(committedStack("staging"), {
      "app.image": image,
      "app.build": undefined,
      "app.registry": undefined,
    }),
  );
  expect(only(plan, T.image)).toHaveLength(0);
  expect(only(plan, T.registryCredentials)).toHaveLength(0);
  const run = one(plan, T.command, "staging-web-1-api-release-run");
  expect(run.inputs.create).toBe(`sudo /usr/local/lib/dropstack/api-release '${image}'`);
});

test("an invalid stack fails before any resource is declared", async () => {
  const input = withConfig(committedStack("staging"), { "app.port": 80, regoin: "x" });
  jest.resetModules();
  const { runPlan } = await import("../../tools/plan/runPlan");
  const { RecordingMocks } = await import("../../tools/plan/recordingMocks");
  const created = jest.spyOn(RecordingMocks.prototype, "newResource");
  await expect(runPlan("staging", input)).rejects.toThrow(
    /^invalid dropstack config:\ndropstack:app\.port: .*\ndropstack:regoin: unknown key/,
  );
  expect(created).not.toHaveBeenCalled();
});
