/**
 * A made-up SSH host key for the offline plan, in the TLS provider's output formats: a public key
 * line that parses as an ed25519 key (any 32 bytes do) and a private key that only looks like one.
 * Derived from the resource's name, so a plan is the same each run; the private key is a secret,
 * as the provider marks it. The local cloud makes real ones (ssh-keygen).
 */
import { createHash } from "node:crypto";
import { secretWrapper } from "./mockSecrets";

/** SSH's wire string: a 4-byte length, then the bytes. */
function sshString(bytes: Buffer): Buffer {
  const length = Buffer.alloc(4);
  length.writeUInt32BE(bytes.length);
  return Buffer.concat([length, bytes]);
}

/** `ssh-ed25519 <base64>`, as OpenSSH writes a public key of these 32 bytes. */
function ed25519PublicKeyLine(key: Buffer): string {
  const blob = Buffer.concat([sshString(Buffer.from("ssh-ed25519")), sshString(key)]);
  return `ssh-ed25519 ${blob.toString("base64")}`;
}

export function inventedHostKey(
  name: string,
  remember: (value: string, field: string) => string,
): Record<string, unknown> {
  const seed = createHash("sha256").update(`host key ${name}`).digest();
  const body = createHash("sha512").update(seed).digest("base64");
  const [type, blob] = ed25519PublicKeyLine(seed).split(" ");
  return {
    // The key's blob is what the provider computed (a state tokenizes it); the newline is the
    // provider's (x/crypto's MarshalAuthorizedKey).
    publicKeyOpenssh: `${type} ${remember(blob, "publicKeyOpenssh")}\n`,
    privateKeyOpenssh: secretWrapper(
      remember(
        `-----BEGIN OPENSSH PRIVATE KEY-----\n${body}\n-----END OPENSSH PRIVATE KEY-----\n`,
        "privateKeyOpenssh",
      ),
    ),
  };
}
