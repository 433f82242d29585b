/**
 * A stack's own certificate (proxy.tls.mode custom), read with node:crypto so that a wrong file
 * fails before any resource is declared: the chain's order, the key that belongs to it, the names
 * it covers and its dates. Pure.
 */
import { X509Certificate, createPrivateKey } from "node:crypto";

const PEM_CERTIFICATE = /-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g;

/** The PEM blocks of every certificate in `pem`, in order: the server's own first. */
export function certificateBlocks(pem: string): string[] {
  return [...pem.matchAll(PEM_CERTIFICATE)].map((m) => `${m[0]}\n`);
}

function parsed(pem: string): X509Certificate | undefined {
  const [leaf] = certificateBlocks(pem);
  try {
    return leaf === undefined ? undefined : new X509Certificate(leaf);
  } catch {
    return undefined;
  }
}

export const isPemCertificate = (pem: string): boolean => parsed(pem) !== undefined;

export function isPemPrivateKey(pem: string): boolean {
  try {
    return createPrivateKey(pem).type === "private";
  } catch {
    return false;
  }
}

/** The DNS names the server's certificate carries (subjectAltName). */
export function certificateNames(pem: string): string[] {
  const names = parsed(pem)?.subjectAltName ?? "";
  return names
    .split(", ")
    .filter((n) => n.startsWith("DNS:"))
    .map((n) => n.slice("DNS:".length));
}

export interface CertificateProblem {
  readonly key: "certificate" | "privateKey";
  readonly message: string;
}

/**
 * What is wrong with a well-formed certificate and key for `hosts` at `now`: the key belongs to
 * another certificate, a host it does not cover, its dates. `privateKey` undefined: not checked
 * (the offline plan holds a placeholder for a secure value it cannot decrypt).
 */
export function certificateProblems(
  certificate: string,
  privateKey: string | undefined,
  hosts: readonly string[],
  now: Date,
): CertificateProblem[] {
  const leaf = parsed(certificate);
  if (!leaf) return [];
  const problems: CertificateProblem[] = [];
  if (privateKey !== undefined && isPemPrivateKey(privateKey)) {
    if (!leaf.checkPrivateKey(createPrivateKey(privateKey))) {
      problems.push({
        key: "privateKey",
        message: "does not belong to proxy.tls.certificate (the first certificate in it)",
      });
    }
  }
  const names = certificateNames(certificate);
  for (const host of hosts) {
    if (leaf.checkHost(host, { subject: "never" }) === undefined) {
      problems.push({
        key: "certificate",
        message: `does not cover ${host} (it names ${names.join(", ") || "no DNS name"})`,
      });
    }
  }
  const day = (date: Date) => date.toISOString().slice(0, 10);
  if (new Date(leaf.validTo) < now) {
    problems.push({ key: "certificate", message: `expired on ${day(new Date(leaf.validTo))}` });
  } else if (new Date(leaf.validFrom) > now) {
    problems.push({
      key: "certificate",
      message: `is not valid before ${day(new Date(leaf.validFrom))}`,
    });
  }
  return problems;
}
