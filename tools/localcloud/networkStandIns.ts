/**
 * The stand-ins of DigitalOcean's network resources: reserved IPs, their assignments and the
 * firewall (the router's rules), DNS records (Knot's zones), the load balancer (HAProxy) and its
 * certificate (pebble through DNS-01), uptime checks and their alerts (a checker in the visitor's
 * namespace). Each saves the state before it returns.
 */
import { RESOURCE_TYPES as T } from "../../components/resourceTypes";
import { certificateNames } from "../../config/certificate";
import { issueBalancerCertificate, loadCustomCertificate } from "./balancerCertificate";
import { BalancerSpec, serveBalancer } from "./loadBalancer";
import type { StandIn, Updater } from "./localMocks";
import { ADDRESSES } from "./localPaths";
import { LocalState, writeState } from "./localState";
import { nextSerial, strings, type StandInContext } from "./standInContext";
import { recordFqdn, serveZones } from "./stackDns";
import { applyRouterRules, FirewallRule, type RouterRules } from "./stackFirewall";
import { addClient } from "./stackNetwork";
import { PROBE_SECONDS, serveUptimeChecks } from "./uptimeChecker";

/**
 * The router's rules from the state: assignments, and each firewall's droplets by tag or id, the
 * program's and those made outside it (the deploy's way in) alike.
 */
export function routerRulesOf(state: LocalState): RouterRules {
  const byId = new Map(state.droplets.map((d) => [d.id, d]));
  const reservedIps = Object.fromEntries(
    state.reservedIps
      .filter((ip) => ip.dropletId !== undefined && byId.has(ip.dropletId))
      .map((ip) => [ip.address, byId.get(ip.dropletId!)!.address]),
  );
  const firewalls = [...state.firewalls, ...(state.outsideFirewalls ?? [])].map((f) => ({
    name: f.name,
    droplets: state.droplets
      .filter((d) => d.tags.some((t) => f.tags.includes(t)) || f.dropletIds.includes(d.id))
      .map((d) => d.address),
    inbound: f.inbound,
    outbound: f.outbound,
  }));
  // A database firewall's rules by tag, droplet id or address, as DigitalOcean's trusted sources.
  const databases = (state.clusters ?? []).map((c) => ({
    address: c.address,
    port: c.port,
    clients: c.trusted?.flatMap((rule) => {
      if (rule.type === "ip_addr") return [rule.value];
      return state.droplets
        .filter((d) => (rule.type === "tag" ? d.tags.includes(rule.value) : d.id === rule.value))
        .map((d) => d.address);
    }),
  }));
  return { reservedIps, firewalls, databases };
}

export function reapplyRules(state: LocalState): void {
  applyRouterRules(state.index, routerRulesOf(state));
}

type RuleInput = {
  sourceLoadBalancerUids?: unknown;
  protocol?: string;
  portRange?: string;
  sourceAddresses?: unknown;
  destinationAddresses?: unknown;
};

/** A Firewall resource's rule inputs as the router's rules (a balancer source: its address). */
export const firewallRules = (
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

/** The droplets a balancer's inputs name: by id, or every one carrying its tag. */
export const balancedDroplets = (state: LocalState, inputs: Record<string, unknown>) =>
  state.droplets.filter((d) =>
    inputs.dropletTag === undefined
      ? strings(inputs.dropletIds).includes(d.id)
      : d.tags.includes(String(inputs.dropletTag)),
  );

/**
 * Reconfigures every balancer of the stack for the droplets its inputs name (side by side: one
 * reconfiguration runs at a time), reloading HAProxy gracefully as DigitalOcean's keep serving.
 */
export function balancerRefresher(context: StandInContext): () => Promise<void> {
  const { state } = context;
  let balancing = Promise.resolve();
  return () =>
    (balancing = balancing.then(async () => {
      for (const b of state.balancers) {
        const i = b.inputs;
        const droplets = balancedDroplets(state, i).map((d) => d.address);
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
}

/**
 * A balancer's update (its droplets, rules or health check) in place, under its id and address:
 * HAProxy reloads gracefully, so connections it holds are served to their end.
 */
export function balancerUpdate(
  context: StandInContext,
  refreshBalancers: () => Promise<void>,
): Updater {
  return async (inputs, _resource, previous) => {
    const balancer = context.state.balancers.find((b) => b.id === previous.id);
    if (!balancer) throw new Error(`no load balancer ${previous.id} in this stack`);
    balancer.inputs = inputs;
    writeState(context.state);
    await refreshBalancers();
    const over = balancedDroplets(context.state, inputs).map((d) => d.name);
    context.note(`  load balancer ${balancer.name}: now over ${over.join(", ")}`);
    return { id: previous.id, outputs: previous.outputs };
  };
}

export function networkStandIns(
  context: StandInContext,
  refreshBalancers: () => Promise<void>,
): Record<string, StandIn> {
  const { state } = context;
  const save = () => writeState(state);
  const balancerAddress = (uid: string) => state.balancers.find((b) => b.id === uid)?.address;
  return {
    [T.certificate]: async (inputs, resource) => {
      const name = String(inputs.name);
      const id = `cert-${state.index}-${(state.certificates ?? []).length + 1}`;
      if (inputs.type === "custom") {
        const leafCertificate = String(inputs.leafCertificate);
        // DigitalOcean reads the names from the certificate itself.
        const names = certificateNames(leafCertificate);
        context.note(`  certificate ${name}: custom, as given, for ${names.join(", ")}`);
        const pem = loadCustomCertificate(state.stack, name, {
          leafCertificate,
          certificateChain:
            inputs.certificateChain === undefined ? undefined : String(inputs.certificateChain),
          privateKey: String(inputs.privateKey),
        });
        state.certificates.push({ resource: resource.name, name, id, domains: names, pem });
        save();
        return { id, outputs: { uuid: id, state: "verified", type: "custom", domains: names } };
      }
      const domains = strings(inputs.domains);
      if (inputs.type !== "lets_encrypt") {
        throw new Error(
          `certificate ${name}: type ${String(inputs.type)} is not one DigitalOcean has`,
        );
      }
      // The balancer's namespace exists before the balancer: certbot asks from there.
      addClient(state.index, "balancer", ADDRESSES.balancer);
      const zone = context.domain;
      context.note(
        `  certificate ${name}: DNS-01 from the local ACME server for ${domains.join(", ")}`,
      );
      const pem = await issueBalancerCertificate(state.stack, state.index, name, zone, domains);
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
        inputs,
      });
      save();
      await refreshBalancers();
      context.note(
        `  load balancer ${name} at ${address}, over ${balancedDroplets(state, inputs)
          .map((d) => d.name)
          .join(", ")}`,
      );
      return { id, outputs: { ip: address, urn: `do:loadbalancer:${id}`, status: "active" } };
    },

    [T.reservedIp]: async (_inputs, resource) => {
      // The first address no reserved IP of the stack holds (a deleted one's is free again).
      let n = 1;
      while (state.reservedIps.some((ip) => ip.address === ADDRESSES.reservedIp(n))) n++;
      const address = ADDRESSES.reservedIp(n);
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
        inbound: firewallRules(inputs.inboundRules, "sourceAddresses", balancerAddress),
        outbound: firewallRules(inputs.outboundRules, "destinationAddresses", balancerAddress),
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
        id: String(state.index * 100000 + nextSerial(state)),
        domain: String(inputs.domain),
        type: String(inputs.type),
        name: String(inputs.name),
        value: String(inputs.value),
        ttl: Number(inputs.ttl ?? 1800),
      };
      state.dnsRecords.push(record);
      save();
      await serveZones(state.stack, state.index, state.dnsRecords, [record.domain]);
      const fqdn = recordFqdn(record);
      context.note(`  DNS ${fqdn} ${record.type} ${record.value}`);
      return { id: record.id, outputs: { fqdn } };
    },

    [T.uptimeCheck]: async (inputs) => {
      const check = {
        id: `check-${state.index}-${nextSerial(state)}`,
        name: String(inputs.name),
        target: String(inputs.target),
      };
      if (inputs.enabled !== false) state.uptimeChecks.push(check);
      save();
      await serveUptimeChecks(state.stack, state.index, state.uptimeChecks);
      context.note(
        `  uptime check ${check.name}: ${check.target} from the visitor, every ${PROBE_SECONDS} s`,
      );
      return { id: check.id, outputs: {} };
    },

    [T.uptimeAlert]: async (inputs, resource) => {
      const id = `${resource.name}-${nextSerial(state)}`;
      state.uptimeAlerts.push({
        id,
        checkId: String(inputs.checkId),
        name: String(inputs.name),
        type: String(inputs.type),
        period: String(inputs.period ?? "2m"),
        threshold: inputs.threshold === undefined ? undefined : Number(inputs.threshold),
      });
      save();
      return { id, outputs: {} };
    },
  };
}
