/**
 * DigitalOcean's load balancer, locally: HAProxy (Debian's) in a namespace of its own at the
 * balancer's public address, its configuration rendered from the LoadBalancer resource's inputs:
 * each HTTP forwarding rule (entry and target port), the health check (protocol, port, path,
 * interval, timeout, thresholds) deciding which droplets carrying the tag get traffic, the idle
 * timeout, and X-Forwarded-For/-Proto as DigitalOcean sets them. Rules that need a certificate
 * (HTTPS entry) are not emulated yet and are said so; the balancer keeps serving its HTTP rules.
 */
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import * as path from "node:path";
import { Daemon, daemonPid, startDaemon, stopDaemon, waitReady } from "../shared/daemons";
import { names, stackDir } from "./localPaths";
import { runOrThrow } from "../shared/runCommand";

export interface BalancerSpec {
  readonly address: string;
  readonly forwardingRules: readonly {
    entryProtocol: string;
    entryPort: number;
    targetProtocol: string;
    targetPort: number;
    certificateName?: string;
  }[];
  readonly healthcheck: {
    protocol?: string;
    port?: number;
    path?: string;
    checkIntervalSeconds?: number;
    responseTimeoutSeconds?: number;
    healthyThreshold?: number;
    unhealthyThreshold?: number;
  };
  readonly idleTimeoutSeconds: number;
  /** `redirectHttpToHttps`: port 80 answers with a redirect where an HTTPS rule exists. */
  readonly redirectHttpToHttps?: boolean;
  /** Certificate name → the PEM (chain and key) an HTTPS rule's `certificateName` names. */
  readonly certificates?: Readonly<Record<string, string>>;
  /** The addresses of the droplets the balancer's inputs name. */
  readonly droplets: readonly string[];
}

/** haproxy.cfg for a balancer; HTTP forwarding rules only. Pure. */
export function renderBalancer(spec: BalancerSpec): { config: string; skippedRules: string[] } {
  const check = spec.healthcheck;
  const skippedRules: string[] = [];
  const lines = [
    "# dropstack local cloud: a DigitalOcean load balancer, from the LoadBalancer resource's inputs.",
    "global",
    "  log stderr format short local0 notice",
    "defaults",
    "  mode http",
    "  log global",
    "  option dontlognull",
    "  timeout connect 5s",
    `  timeout client ${spec.idleTimeoutSeconds}s`,
    `  timeout server ${spec.idleTimeoutSeconds}s`,
    `  timeout http-keep-alive ${spec.idleTimeoutSeconds}s`,
  ];
  const https = spec.forwardingRules.some(
    (r) => r.entryProtocol === "https" && spec.certificates?.[r.certificateName ?? ""],
  );
  for (const rule of spec.forwardingRules) {
    const pem =
      rule.entryProtocol === "https" ? spec.certificates?.[rule.certificateName ?? ""] : undefined;
    if (rule.targetProtocol !== "http" || (rule.entryProtocol !== "http" && pem === undefined)) {
      skippedRules.push(
        `${rule.entryProtocol} ${rule.entryPort} → ${rule.targetProtocol} ${rule.targetPort} (its certificate is not there)`,
      );
      continue;
    }
    const id = `${rule.entryPort}_${rule.targetPort}`;
    lines.push(`frontend entry_${id}`);
    if (pem) {
      // TLS 1.2 and up, as DigitalOcean's balancers by default.
      lines.push(`  bind ${spec.address}:${rule.entryPort} ssl crt ${pem} ssl-min-ver TLSv1.2`);
    } else {
      lines.push(`  bind ${spec.address}:${rule.entryPort}`);
      if (https && spec.redirectHttpToHttps) {
        lines.push("  http-request redirect scheme https code 301");
        continue;
      }
    }
    lines.push(
      "  option forwardfor",
      `  http-request set-header X-Forwarded-Proto ${pem ? "https" : "http"}`,
      `  default_backend droplets_${id}`,
      `backend droplets_${id}`,
      "  balance roundrobin",
    );
    if ((check.protocol ?? "http") === "http") {
      lines.push(`  option httpchk GET ${check.path ?? "/"}`, "  http-check expect status 200");
    }
    lines.push(
      `  timeout check ${check.responseTimeoutSeconds ?? 5}s`,
      `  default-server check port ${check.port ?? rule.targetPort} inter ${check.checkIntervalSeconds ?? 10}s rise ${check.healthyThreshold ?? 3} fall ${check.unhealthyThreshold ?? 3}`,
      ...spec.droplets.map(
        (address, n) => `  server droplet${n + 1} ${address}:${rule.targetPort}`,
      ),
    );
  }
  return { config: `${lines.join("\n")}\n`, skippedRules };
}

const lbDir = (stack: string, name: string) => path.join(stackDir(stack), "balancers", name);

const daemon = (stack: string, index: number, name: string): Daemon => ({
  what: `load balancer ${name} of ${stack} (haproxy)`,
  command: "ip",
  args: [
    "netns",
    "exec",
    names(index).balancer,
    "haproxy",
    // Master-worker: SIGUSR2 reloads, the new worker taking over the listening sockets while the
    // old one serves the connections it holds to their end (DigitalOcean's balancer changes
    // without dropping any).
    "-W",
    "-db",
    "-f",
    path.join(lbDir(stack, name), "haproxy.cfg"),
  ],
  pidFile: path.join(lbDir(stack, name), "haproxy.pid"),
  logFile: path.join(lbDir(stack, name), "haproxy.log"),
});

/** How many configurations the master has loaded (it logs each). */
const loadings = (logFile: string) =>
  existsSync(logFile) ? readFileSync(logFile, "utf8").split("Loading success.").length - 1 : 0;

/**
 * Writes the balancer's config and starts it, or reloads it gracefully; returns the rules it
 * could not emulate. After a reload HAProxy counts every server up until its checks fail (as at
 * a start): the program adds a droplet only once it is released, so none is still booting.
 */
export async function serveBalancer(
  stack: string,
  index: number,
  name: string,
  spec: BalancerSpec,
): Promise<string[]> {
  const dir = lbDir(stack, name);
  mkdirSync(dir, { recursive: true });
  const { config, skippedRules } = renderBalancer(spec);
  writeFileSync(path.join(dir, "haproxy.cfg"), config);
  runOrThrow("haproxy", ["-c", "-q", "-f", path.join(dir, "haproxy.cfg")]);
  const balancer = daemon(stack, index, name);
  const running = daemonPid(balancer.pidFile);
  if (running !== undefined) {
    const before = loadings(balancer.logFile);
    process.kill(running, "SIGUSR2");
    await waitReady(balancer, () => loadings(balancer.logFile) > before);
    return skippedRules;
  }
  startDaemon(balancer);
  const listening = spec.forwardingRules.some((r) => r.entryProtocol === "http");
  await waitReady(balancer, () => {
    if (!listening) return true;
    const sockets = runOrThrow("ip", ["netns", "exec", names(index).balancer, "ss", "-Hltn"]);
    return sockets.includes(`${spec.address}:`);
  });
  return skippedRules;
}

export async function stopBalancers(
  stack: string,
  index: number,
  balancers: readonly string[],
): Promise<number> {
  let stopped = 0;
  for (const name of balancers) if (await stopDaemon(daemon(stack, index, name).pidFile)) stopped++;
  rmSync(path.join(stackDir(stack), "balancers"), { recursive: true, force: true });
  return stopped;
}
