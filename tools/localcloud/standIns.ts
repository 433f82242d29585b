/**
 * What stands in for each DigitalOcean resource and each provider call the program makes, by type
 * token: droplets are machines booted from their own user data, reserved IPs and the firewall are
 * the router's rules, DNS records are zones Knot serves, registry logins and images are the local
 * registry's, and every remote.Command runs over SSH. Each saves the state before it returns.
 */
import * as path from "node:path";
import { RESOURCE_TYPES as T } from "../../components/resourceTypes";
import { PROJECT_DIR } from "../shared/projectPaths";
import { LOCAL_NODE_IMAGE, docker, dockerAsync } from "./buildEngine";
import {
  bootDroplet,
  cloudInitLogTail,
  dropletExec,
  dropletMachine,
  dropletRunning,
  REGISTRY_HOST,
} from "./dropletMachine";
import type { StandIn } from "./localMocks";
import { ADDRESSES, SHARED_DIR, names, stackDir } from "./localPaths";
import { LocalState, writeState } from "./localState";
import { registryCa } from "./registry";
import { runRemote } from "./remoteCommand";
import { addClient, addDropletNetwork } from "./stackNetwork";
import { BalancerSpec, serveBalancer } from "./loadBalancer";
import { issueBalancerCertificate } from "./balancerCertificate";
import { serveZones } from "./stackDns";
import { applyRouterRules, FirewallRule } from "./stackFirewall";

export interface StandInContext {
  readonly state: LocalState;
  readonly note: (line: string) => void;
  /** The stack's DNS zone (`domain`), in the account before anything is created. */
  readonly domain: string;
  /** A cloud-config to boot every droplet from instead of the program's (rehearsing a failure). */
  readonly userDataOverride?: string;
  /** Widens a phase's span (its first start to its last end) with a step that started then. */
  readonly phase: (name: string, startedAt: number) => void;
}

const strings = (value: unknown) => (Array.isArray(value) ? value.map(String) : []);

/** `"20m"`, `"90s"`, `"1h"` → milliseconds. */
export function parseTimeout(text: string | undefined): number | undefined {
  const match = /^(\d+)(s|m|h)$/.exec(text ?? "");
  if (!match) return undefined;
  return Number(match[1]) * { s: 1000, m: 60000, h: 3600000 }[match[2] as "s" | "m" | "h"];
}

/** The router's rules from the state: assignments, and each firewall's droplets by tag or id. */
export function reapplyRules(state: LocalState): void {
  const byId = new Map(state.droplets.map((d) => [d.id, d]));
  const reservedIps = Object.fromEntries(
    state.reservedIps
      .filter((ip) => ip.dropletId !== undefined && byId.has(ip.dropletId))
      .map((ip) => [ip.address, byId.get(ip.dropletId!)!.address]),
  );
  const firewalls = state.firewalls.map((f) => ({
    name: f.name,
    droplets: state.droplets
      .filter((d) => d.tags.some((t) => f.tags.includes(t)) || f.dropletIds.includes(d.id))
      .map((d) => d.address),
    inbound: f.inbound,
    outbound: f.outbound,
  }));
  applyRouterRules(state.index, { reservedIps, firewalls });
}

type RuleInput = {
  sourceLoadBalancerUids?: unknown;
  protocol?: string;
  portRange?: string;
  sourceAddresses?: unknown;
  destinationAddresses?: unknown;
};

const rules = (
  list: unknown,
  key: "sourceAddresses" | "destinationAddresses",
  balancerAddress: (uid: string) => string | undefined,
): FirewallRule[] =>
  (Array.isArray(list) ? (list as RuleInput[]) : []).map((rule) => ({
    protocol: rule.protocol ?? "tcp",
    portRange: rule.portRange,
    // A load balancer source admits the balancer's address, and only it.
    addresses: [
      ...strings(rule[key]),
      ...strings(rule.sourceLoadBalancerUids).flatMap((uid) => balancerAddress(uid) ?? []),
    ],
  }));

export function standIns(context: StandInContext): Record<string, StandIn> {
  const { state } = context;
  const save = () => writeState(state);
  const balancerAddress = (uid: string) => state.balancers.find((b) => b.id === uid)?.address;
  // Droplets join a balancer as they boot, side by side: one reconfiguration at a time.
  let balancing = Promise.resolve();
  const refreshBalancers = () =>
    (balancing = balancing.then(async () => {
      for (const b of state.balancers) {
        const droplets = state.droplets.filter((d) => d.tags.includes(b.tag)).map((d) => d.address);
        const i = b.inputs as Record<string, unknown>;
        const skipped = await serveBalancer(state.stack, state.index, b.name, {
          address: b.address,
          forwardingRules: (i.forwardingRules ?? []) as BalancerSpec["forwardingRules"],
          healthcheck: (i.healthcheck ?? {}) as BalancerSpec["healthcheck"],
          idleTimeoutSeconds: Number(i.httpIdleTimeoutSeconds ?? 60),
          redirectHttpToHttps: i.redirectHttpToHttps === true,
          certificates: Object.fromEntries((state.certificates ?? []).map((c) => [c.name, c.pem])),
          droplets,
        });
        for (const rule of skipped) context.note(`  load balancer ${b.name}: skipped ${rule}`);
      }
    }));
  const dropletFor = (host: string) =>
    state.droplets.find((d) => d.address === host) ??
    state.droplets.find((d) =>
      state.reservedIps.some((ip) => ip.address === host && ip.dropletId === d.id),
    );
  return {
    [T.tag]: async (inputs) => ({ id: String(inputs.name), outputs: {} }),

    [T.droplet]: async (inputs, resource) => {
      const started = Date.now();
      if (inputs.image !== "debian-12-x64") {
        throw new Error(
          `the local cloud has the image debian-12-x64 only, not ${String(inputs.image)}`,
        );
      }
      const i = state.droplets.length + 1;
      const id = String(state.index * 100000 + i);
      const netns = addDropletNetwork(state.index, i);
      const name = String(inputs.name);
      const machine = dropletMachine(state.stack, name, names(state.index).machine(i), netns);
      const address = ADDRESSES.droplet(i);
      state.droplets.push({
        resource: resource.name,
        name,
        id,
        index: i,
        address,
        netns,
        machine: machine.machine,
        tags: strings(inputs.tags),
      });
      save();
      context.note(`  droplet ${name}: booting at ${address} from its user data`);
      bootDroplet({
        ...machine,
        userData: context.userDataOverride ?? String(inputs.userData),
        // DigitalOcean installs every key the droplet's sshKeys name; the local account holds one.
        authorizedKeys: strings(inputs.sshKeys).map(() => state.publicKey),
        instanceId: id,
        registryCa: registryCa(),
      });
      reapplyRules(state);
      await refreshBalancers();
      context.phase("droplets created", started);
      return {
        id,
        outputs: {
          ipv4Address: address,
          ipv4AddressPrivate: address,
          status: "active",
          dropletUrn: `do:droplet:${id}`,
        },
      };
    },

    [T.certificate]: async (inputs, resource) => {
      const name = String(inputs.name);
      const domains = strings(inputs.domains);
      if (inputs.type !== "lets_encrypt") {
        throw new Error(
          `certificate ${name}: the local cloud issues lets_encrypt certificates only`,
        );
      }
      // The balancer's namespace exists before the balancer: certbot asks from there.
      addClient(state.index, "balancer", ADDRESSES.balancer);
      const zone = context.domain;
      context.note(
        `  certificate ${name}: DNS-01 from the local ACME server for ${domains.join(", ")}`,
      );
      const pem = await issueBalancerCertificate(state.stack, state.index, name, zone, domains);
      const id = `cert-${state.index}-${(state.certificates ?? []).length + 1}`;
      state.certificates.push({ resource: resource.name, name, id, domains, pem });
      save();
      return { id, outputs: { uuid: id, state: "verified", type: "lets_encrypt" } };
    },

    [T.loadBalancer]: async (inputs, resource) => {
      if (state.balancers.length > 0)
        throw new Error("the local cloud has one load balancer per stack");
      const address = ADDRESSES.balancer;
      addClient(state.index, "balancer", address);
      const id = `lb-${state.index}-1`;
      const name = String(inputs.name);
      state.balancers.push({
        resource: resource.name,
        name,
        id,
        address,
        tag: String(inputs.dropletTag),
        inputs,
      });
      save();
      await refreshBalancers();
      context.note(
        `  load balancer ${name} at ${address}, over the droplets tagged ${String(inputs.dropletTag)}`,
      );
      return { id, outputs: { ip: address, urn: `do:loadbalancer:${id}`, status: "active" } };
    },

    [T.reservedIp]: async (_inputs, resource) => {
      const address = ADDRESSES.reservedIp(state.reservedIps.length + 1);
      state.reservedIps.push({ resource: resource.name, address });
      save();
      return { id: address, outputs: { ipAddress: address } };
    },

    [T.ipAssignment]: async (inputs) => {
      const ip = state.reservedIps.find((r) => r.address === inputs.ipAddress);
      if (!ip) throw new Error(`no reserved IP ${String(inputs.ipAddress)} in this stack`);
      ip.dropletId = String(inputs.dropletId);
      save();
      reapplyRules(state);
      const droplet = state.droplets.find((d) => d.id === ip.dropletId);
      context.note(`  reserved IP ${ip.address} → ${droplet?.name ?? ip.dropletId}`);
      return { id: `${ip.address}-${ip.dropletId}`, outputs: {} };
    },

    [T.firewall]: async (inputs, resource) => {
      const name = String(inputs.name);
      state.firewalls.push({
        resource: resource.name,
        name,
        tags: strings(inputs.tags),
        dropletIds: strings(inputs.dropletIds),
        inbound: rules(inputs.inboundRules, "sourceAddresses", balancerAddress),
        outbound: rules(inputs.outboundRules, "destinationAddresses", balancerAddress),
      });
      save();
      reapplyRules(state);
      context.note(
        `  firewall ${name}: in front of every droplet tagged ${strings(inputs.tags).join(", ")}`,
      );
      return { id: `fw-${state.index}-${state.firewalls.length}`, outputs: {} };
    },

    [T.dnsRecord]: async (inputs, resource) => {
      const record = {
        resource: resource.name,
        domain: String(inputs.domain),
        type: String(inputs.type),
        name: String(inputs.name),
        value: String(inputs.value),
        ttl: Number(inputs.ttl ?? 1800),
      };
      state.dnsRecords.push(record);
      save();
      await serveZones(state.stack, state.index, state.dnsRecords, [record.domain]);
      const fqdn = record.name === "@" ? record.domain : `${record.name}.${record.domain}`;
      context.note(`  DNS ${fqdn} ${record.type} ${record.value}`);
      return { id: String(state.index * 1000 + state.dnsRecords.length), outputs: { fqdn } };
    },

    [T.registryCredentials]: async (inputs, resource) => {
      const kind = inputs.write === true ? "push" : "pull";
      const login = state.logins.find((l) => l.username === `${state.stack}-${kind}`);
      if (!login) throw new Error(`no ${kind} login was made for ${state.stack}`);
      return { id: resource.name, outputs: { dockerCredentials: login.dockerConfig } };
    },

    [T.image]: async (inputs) => {
      const started = Date.now();
      const imageName = String(inputs.imageName);
      const build = (inputs.build ?? {}) as { context?: string };
      const registry = (inputs.registry ?? {}) as {
        server?: string;
        username?: string;
        password?: string;
      };
      const context_ = path.resolve(PROJECT_DIR, build.context ?? ".");
      context.note(
        `  image ${imageName}: docker build ${path.relative(PROJECT_DIR, context_) || "."} (FROM ${LOCAL_NODE_IMAGE})`,
      );
      const built = await dockerAsync([
        "build",
        "--network",
        "host",
        "--build-arg",
        `NODE_IMAGE=${LOCAL_NODE_IMAGE}`,
        "-t",
        imageName,
        context_,
      ]);
      if (built.status !== 0)
        throw new Error(`docker build of ${imageName} failed:\n${built.stderr.slice(-3000)}`);
      const config = ["--config", path.join(SHARED_DIR, "docker", `cli-${state.stack}`)];
      docker(
        [
          ...config,
          "login",
          registry.server ?? REGISTRY_HOST,
          "--username",
          String(registry.username),
          "--password-stdin",
        ],
        String(registry.password),
      );
      const pushed = await dockerAsync([...config, "push", imageName]);
      if (pushed.status !== 0)
        throw new Error(`docker push of ${imageName} failed:\n${pushed.stderr.slice(-3000)}`);
      const repoDigest = docker([
        "image",
        "inspect",
        "--format",
        "{{index .RepoDigests 0}}",
        imageName,
      ]).trim();
      state.images.push({ repoDigest, tag: imageName });
      save();
      context.note(`  image pushed: ${repoDigest}`);
      context.phase("image build and push", started);
      return { id: repoDigest, outputs: { repoDigest, imageName } };
    },

    [T.command]: async (inputs, resource) => {
      const started = Date.now();
      const connection = inputs.connection as { host: string; user?: string };
      const droplet = dropletFor(connection.host);
      const bootstrap = resource.name.endsWith("-bootstrap");
      context.note(`  ${resource.name} on ${droplet?.name ?? connection.host}`);
      const machine =
        droplet && dropletMachine(state.stack, droplet.name, droplet.machine, droplet.netns);
      try {
        const result = await runRemote(
          inputs.connection as never,
          {
            command: String(inputs.create ?? "true"),
            stdin: inputs.stdin === undefined ? undefined : String(inputs.stdin),
            environment: inputs.environment as Record<string, string> | undefined,
            timeoutMs: parseTimeout(resource.createTimeout),
          },
          {
            netns: names(state.index).operator,
            keyDir: path.join(stackDir(state.stack), "keys", "steps"),
            name: resource.name,
            // The local cloud knows when a droplet cannot come up: no use dialing on.
            stillWorthDialing: () => {
              if (!machine) return undefined;
              if (!dropletRunning(machine))
                return `droplet ${machine.name} is not running (console: ${path.join(machine.dir, "console.log")})`;
              const status = dropletExec(machine, ["cloud-init", "status"]).stdout ?? "";
              return /status: error/.test(status)
                ? `the bootstrap of droplet ${machine.name} failed before the deploy user could log in: cloud-init reports error; /var/log/cloud-init-output.log ends:\n${cloudInitLogTail(machine)}`
                : undefined;
            },
          },
        );
        context.phase(bootstrap ? "boot and cloud-init (bootstrap step)" : "remote steps", started);
        return { id: resource.name, outputs: { stdout: result.stdout, stderr: result.stderr } };
      } catch (error) {
        if (bootstrap && machine && !(error as Error).message.includes("cloud-init-output.log")) {
          throw new Error(
            `${(error as Error).message}\ndroplet ${machine.name}: /var/log/cloud-init-output.log ends:\n${cloudInitLogTail(machine)}`,
          );
        }
        throw error;
      }
    },
  };
}
