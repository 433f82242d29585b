/**
 * HTTPS in the sandbox, for a stack whose site terminates TLS itself (proxy.tls letsencrypt on one
 * droplet): a self-signed certificate for the stack's hosts stands in for certbot's, and nginx
 * listens on a loopback port instead of 443. `httpsRequest` (sandboxRequests.ts) asks it.
 */
import { spawnSync } from "node:child_process";
import { chmodSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import * as path from "node:path";
import {
  ACME_ROOT,
  TLS_CERTIFICATE,
  TLS_CERTIFICATE_KEY,
  TLS_CUSTOM_CERTIFICATE,
} from "../../templates";
import { PROJECT_DIR } from "../shared/projectPaths";
import { requireTools } from "../shared/systemTools";

/** How the sandbox serves a TLS stack's HTTPS on loopback. */
export interface SandboxTls {
  /** nginx's HTTPS listener on 127.0.0.1, instead of port 443. */
  readonly port: number;
  /** The self-signed certificate (PEM) for every host; clients trust it as their only CA. */
  readonly certificate: string;
  readonly certificateKey: string;
  /** The same certificate and key in one file, where a stack's own certificate (mode custom) is. */
  readonly combined: string;
  /** certbot's webroot: `.well-known/acme-challenge/<token>` under it is served on plain HTTP. */
  readonly acmeRoot: string;
}

/** The sandbox's HTTPS port unless one is given: as 443 is to 80. */
export const defaultTlsPort = (port: number) => port + 363;

/** A site that terminates TLS itself, as the template renders it for proxy.tls on one droplet. */
export const servesHttps = (site: string) => /^\s*listen 443 ssl\b/m.test(site);

/**
 * A self-signed certificate whose subjectAltName lists every host. P-256, like the ECDSA key
 * certbot 2 asks Let's Encrypt for by default; valid for 30 days, and made again at every start.
 */
export function selfSignedCertificate(hosts: string[], certificate: string, key: string): void {
  const san = hosts.map((host) => `DNS:${host}`).join(",");
  // The CN is not what clients check (the subjectAltName is), and a long host would not fit in it.
  const args = ["req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1"];
  args.push("-nodes", "-days", "30", "-subj", "/CN=dropstack sandbox");
  args.push("-addext", `subjectAltName=${san}`, "-keyout", key, "-out", certificate);
  const run = spawnSync(requireTools(["openssl"], { install: true }).openssl, args, {
    encoding: "utf8",
  });
  if (run.status !== 0) {
    throw new Error(`openssl could not make the sandbox's certificate: ${run.stderr.trim()}`);
  }
  chmodSync(key, 0o600);
}

/** HTTPS for a TLS stack: the certificate and certbot's webroot under `runDir`, said in `notes`. */
export function prepareTls(
  runDir: string,
  hosts: string[],
  port: number,
  notes: string[],
): SandboxTls {
  if (!Number.isInteger(port) || port < 1 || port > 65535) {
    throw new Error(
      `the sandbox's HTTPS port would be ${port}: choose a lower --port or a --tls-port`,
    );
  }
  const tlsDir = path.join(runDir, "tls");
  const acmeRoot = path.join(runDir, "acme");
  mkdirSync(tlsDir, { recursive: true, mode: 0o700 });
  mkdirSync(path.join(acmeRoot, ".well-known", "acme-challenge"), { recursive: true });
  const tls = {
    port,
    certificate: path.join(tlsDir, "fullchain.pem"),
    certificateKey: path.join(tlsDir, "privkey.pem"),
    combined: path.join(tlsDir, "custom.pem"),
    acmeRoot,
  };
  selfSignedCertificate(hosts, tls.certificate, tls.certificateKey);
  writeFileSync(
    tls.combined,
    `${readFileSync(tls.certificate, "utf8")}${readFileSync(tls.certificateKey, "utf8")}`,
    { mode: 0o600 },
  );
  const relative = (file: string) => path.relative(PROJECT_DIR, file);
  notes.push(
    `nginx serves HTTPS on 127.0.0.1:${port} instead of port 443 (and no IPv6)`,
    `the certificate is self-signed for ${hosts.join(", ")} (${relative(tls.certificate)}) instead of certbot's at ${TLS_CERTIFICATE} (or the stack's own at ${TLS_CUSTOM_CERTIFICATE}); clients must trust it as their CA`,
    `certbot's webroot ${ACME_ROOT} is ${relative(acmeRoot)}/; certbot does not run, nothing is issued or renewed`,
  );
  return tls;
}

/** The planned site's certificate and webroot paths, pointed at the sandbox's. */
export function remapTlsPaths(site: string, tls: SandboxTls): string {
  return site
    .split(TLS_CERTIFICATE)
    .join(tls.certificate)
    .split(TLS_CERTIFICATE_KEY)
    .join(tls.certificateKey)
    .split(TLS_CUSTOM_CERTIFICATE)
    .join(tls.combined)
    .split(ACME_ROOT)
    .join(tls.acmeRoot);
}
