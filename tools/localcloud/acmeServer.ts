/**
 * Let's Encrypt, locally: pebble (Let's Encrypt's own ACME test server, Debian's package) on a host
 * of the stack's internet, resolving names through the stack's DNS, so certbot on a droplet gets a
 * real certificate through the HTTP-01 challenge its own nginx serves, validated from outside the
 * droplet's firewall as Let's Encrypt validates it. The local cloud points `proxy.tls.server` at it;
 * its endpoint's certificate comes from the local CA, its issuing root from pebble itself.
 */
import { copyFileSync, existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import * as path from "node:path";
import { runOrThrow } from "../shared/runCommand";
import { Daemon, startDaemon, stopDaemon, waitReady } from "../shared/daemons";
import { issueCertificate, localCaPem } from "./localCa";
import { ADDRESSES, names, stackDir } from "./localPaths";

/** The ACME server's name (served by the stack's DNS) and ports: directory and management. */
export const ACME_HOST = "acme.localcloud.test";
const ACME_PORT = 14000;
const MANAGEMENT_PORT = 15000;
export const ACME_DIRECTORY = `https://${ACME_HOST}:${ACME_PORT}/dir`;

const acmeDir = (stack: string) => path.join(stackDir(stack), "acme");

const daemon = (stack: string, index: number): Daemon => ({
  what: `the ACME server of ${stack} (pebble)`,
  command: "ip",
  args: [
    "netns",
    "exec",
    names(index).acme,
    "pebble",
    "-config",
    path.join(acmeDir(stack), "pebble.json"),
    "-dnsserver",
    `${ADDRESSES.dns}:53`,
  ],
  pidFile: path.join(acmeDir(stack), "pebble.pid"),
  logFile: path.join(acmeDir(stack), "pebble.log"),
  env: {
    ...process.env,
    // No random wait before each validation, and no nonces refused on purpose: pebble's tests of
    // client robustness, not of the deploy.
    PEBBLE_VA_NOSLEEP: "1",
    PEBBLE_WFE_NONCEREJECT: "0",
  },
});

/** pebble's issuing root, as its management endpoint serves it (a new one at every start). */
function pebbleRoot(stack: string, index: number): string {
  return runOrThrow("ip", [
    "netns",
    "exec",
    names(index).router,
    "curl",
    "-sf",
    "--cacert",
    path.join(acmeDir(stack), "ca.pem"),
    "--resolve",
    `${ACME_HOST}:${MANAGEMENT_PORT}:${ADDRESSES.acme}`,
    `https://${ACME_HOST}:${MANAGEMENT_PORT}/roots/0`,
  ]);
}

/** Starts pebble for the stack (its namespace must exist); resolves to pebble's root (PEM). */
export async function startAcmeServer(stack: string, index: number): Promise<string> {
  const dir = acmeDir(stack);
  mkdirSync(dir, { recursive: true });
  const { cert, key } = issueCertificate(dir, ACME_HOST, [`IP:${ADDRESSES.acme}`]);
  writeFileSync(path.join(dir, "ca.pem"), localCaPem());
  writeFileSync(
    path.join(dir, "pebble.json"),
    JSON.stringify({
      pebble: {
        listenAddress: `${ADDRESSES.acme}:${ACME_PORT}`,
        managementListenAddress: `${ADDRESSES.acme}:${MANAGEMENT_PORT}`,
        certificate: cert,
        privateKey: key,
        httpPort: 80,
        tlsPort: 443,
        ocspResponderURL: "",
        externalAccountBindingRequired: false,
      },
    }),
  );
  const pebble = daemon(stack, index);
  startDaemon(pebble);
  let root = "";
  await waitReady(pebble, () => {
    try {
      root = pebbleRoot(stack, index);
      return root.includes("BEGIN CERTIFICATE");
    } catch {
      return false;
    }
  });
  writeFileSync(path.join(dir, "root.pem"), root);
  return root;
}

export async function stopAcmeServer(stack: string, index: number): Promise<boolean> {
  const stopped = await stopDaemon(daemon(stack, index).pidFile);
  rmSync(acmeDir(stack), { recursive: true, force: true });
  return stopped;
}

/**
 * Trust for a client namespace: `ip netns exec` binds /etc/netns/<ns>/ssl over /etc/ssl, so the
 * namespace's bundle is this machine's plus the local CA and pebble's root.
 */
export function trustInNetns(netns: string, extraPems: string[]): void {
  const ssl = path.join("/etc/netns", netns, "ssl");
  mkdirSync(path.join(ssl, "certs"), { recursive: true });
  const hostBundle = "/etc/ssl/certs/ca-certificates.crt";
  const bundle = [
    existsSync(hostBundle) ? readFileSync(hostBundle, "utf8") : "",
    ...extraPems,
  ].join("\n");
  writeFileSync(path.join(ssl, "certs", "ca-certificates.crt"), bundle);
  if (existsSync("/etc/ssl/openssl.cnf"))
    copyFileSync("/etc/ssl/openssl.cnf", path.join(ssl, "openssl.cnf"));
}
