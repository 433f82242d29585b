/**
 * DigitalOcean's Certificate, locally. `lets_encrypt`: issued by the stack's ACME server (pebble)
 * for its domains through the DNS-01 challenge, as DigitalOcean issues it for a domain whose DNS it
 * hosts: certbot (Debian's) asks from the balancer's namespace, and its hooks put the challenge's
 * TXT record into the stack's zone with knotc, then take it out again. `custom`: loaded as given.
 */
import { mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import * as path from "node:path";
import { runAsync } from "../shared/runCommand";
import { ACME_DIRECTORY } from "./acmeServer";
import { LOCAL_CA } from "./localCa";
import { names, stackDir } from "./localPaths";
import { knotConfFile } from "./stackDns";

const certDir = (stack: string, name: string) => path.join(stackDir(stack), "certificates", name);

/** The hook certbot runs per domain: one knotc transaction on `zone`. Pure. */
export function renderChallengeHook(conf: string, zone: string, action: "set" | "unset"): string {
  const owner = '"_acme-challenge.$CERTBOT_DOMAIN."';
  const change =
    action === "set"
      ? `zone-set ${zone} ${owner} 30 TXT "\\"$CERTBOT_VALIDATION\\""`
      : `zone-unset ${zone} ${owner} TXT`;
  return [
    "#!/bin/sh",
    "# dropstack local cloud: the DNS-01 challenge's TXT record in the stack's zone.",
    "set -eu",
    `knotc -c '${conf}' zone-begin ${zone}`,
    `knotc -c '${conf}' ${change} || { knotc -c '${conf}' zone-abort ${zone}; exit 1; }`,
    `knotc -c '${conf}' zone-commit ${zone}`,
    "",
  ].join("\n");
}

/**
 * Issues the certificate; resolves to the path of one PEM holding the chain and the key (the form
 * HAProxy binds), or fails with certbot's own words.
 */
export async function issueBalancerCertificate(
  stack: string,
  index: number,
  name: string,
  zone: string,
  domains: readonly string[],
): Promise<string> {
  const dir = certDir(stack, name);
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const conf = knotConfFile(stack);
  const hooks = { auth: path.join(dir, "auth-hook"), cleanup: path.join(dir, "cleanup-hook") };
  writeFileSync(hooks.auth, renderChallengeHook(conf, zone, "set"), { mode: 0o755 });
  writeFileSync(hooks.cleanup, renderChallengeHook(conf, zone, "unset"), { mode: 0o755 });
  const run = await runAsync(
    "ip",
    [
      "netns",
      "exec",
      names(index).balancer,
      "certbot",
      "certonly",
      "--non-interactive",
      "--agree-tos",
      "--register-unsafely-without-email",
      "--server",
      ACME_DIRECTORY,
      "--manual",
      "--preferred-challenges",
      "dns",
      "--manual-auth-hook",
      hooks.auth,
      "--manual-cleanup-hook",
      hooks.cleanup,
      "--config-dir",
      path.join(dir, "config"),
      "--work-dir",
      path.join(dir, "work"),
      "--logs-dir",
      path.join(dir, "logs"),
      "--cert-name",
      name,
      ...domains.flatMap((domain) => ["--domain", domain]),
    ],
    { env: { ...process.env, REQUESTS_CA_BUNDLE: LOCAL_CA } },
  );
  if (run.status !== 0) {
    throw new Error(
      `certificate ${name} was not issued:\n${(run.stderr || run.stdout).trim().slice(-2000)}`,
    );
  }
  const live = path.join(dir, "config", "live", name);
  return writeHaproxyPem(
    dir,
    ["fullchain.pem", "privkey.pem"].map((file) => readFileSync(path.join(live, file), "utf8")),
  );
}

/** The one PEM HAProxy binds, the chain then the key, 0600 in `dir`; its path. */
function writeHaproxyPem(dir: string, parts: string[]): string {
  const pem = path.join(dir, "haproxy.pem");
  const text = parts
    .map((part) => (part === "" || part.endsWith("\n") ? part : `${part}\n`))
    .join("");
  writeFileSync(pem, text, { mode: 0o600 });
  return pem;
}

/**
 * DigitalOcean's `custom` Certificate, locally: loaded as given (leaf, chain, key) into the PEM
 * HAProxy binds; resolves to its path.
 */
export function loadCustomCertificate(
  stack: string,
  name: string,
  parts: { leafCertificate: string; certificateChain?: string; privateKey: string },
): string {
  const dir = certDir(stack, name);
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  return writeHaproxyPem(dir, [
    parts.leafCertificate,
    parts.certificateChain ?? "",
    parts.privateKey,
  ]);
}

export function removeBalancerCertificates(stack: string): void {
  rmSync(path.join(stackDir(stack), "certificates"), { recursive: true, force: true });
}
