/**
 * The local cloud's own certificate authority, for the stand-ins that serve TLS under a real name
 * (the registry as registry.digitalocean.com, the ACME server): made once, trusted in the droplets,
 * the build engine and the clients, and nowhere on the host.
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import * as path from "node:path";
import { runOrThrow } from "../shared/runCommand";
import { SHARED_DIR } from "./localPaths";

const dir = path.join(SHARED_DIR, "ca");
export const LOCAL_CA = path.join(dir, "ca.pem");
const CA_KEY = path.join(dir, "ca.key");
const EC = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes"];

const openssl = (args: string[]) => runOrThrow("openssl", args);

export function ensureLocalCa(): void {
  if (existsSync(LOCAL_CA)) return;
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  openssl(
    ["req", "-x509", ...EC, "-days", "3650", "-subj", "/CN=dropstack local cloud CA"].concat([
      "-keyout",
      CA_KEY,
      "-out",
      LOCAL_CA,
    ]),
  );
}

export const localCaPem = () => readFileSync(LOCAL_CA, "utf8");

/**
 * A certificate for `name` (and `altNames`, as `DNS:x` / `IP:y`) signed by the local CA, written
 * to `<into>/cert.pem` and `key.pem` once.
 */
export function issueCertificate(
  into: string,
  name: string,
  altNames: string[],
): { cert: string; key: string } {
  ensureLocalCa();
  const cert = path.join(into, "cert.pem");
  const key = path.join(into, "key.pem");
  if (existsSync(cert)) return { cert, key };
  mkdirSync(into, { recursive: true });
  const csr = path.join(into, "cert.csr");
  const ext = path.join(into, "cert.ext");
  writeFileSync(ext, `subjectAltName=${[`DNS:${name}`, ...altNames].join(",")}\n`);
  openssl(["req", ...EC, "-subj", `/CN=${name}`, "-keyout", key, "-out", csr]);
  openssl([
    "x509",
    "-req",
    "-in",
    csr,
    "-CA",
    LOCAL_CA,
    "-CAkey",
    CA_KEY,
    "-CAcreateserial",
    "-days",
    "825",
    "-extfile",
    ext,
    "-out",
    cert,
  ]);
  return { cert, key };
}
