/**
 * Secrets of a stack that uses Pulumi's passphrase secrets provider (`pulumi stack init
 * --secrets-provider passphrase`, the default with a self-managed backend), decrypted as the CLI
 * decrypts them, so the offline plan and the local cloud see the real values when the user gives
 * the same passphrase (PULUMI_CONFIG_PASSPHRASE or PULUMI_CONFIG_PASSPHRASE_FILE).
 *
 * The format, from pulumi/pulumi: `sdk/go/common/resource/config/crypt.go` (symmetricCrypter:
 * AES-256-GCM, a value is `v1:<base64 nonce>:<base64 ciphertext and tag>`; the key is PBKDF2-SHA256
 * of the passphrase, 1,000,000 iterations, 32 bytes) and `pkg/secrets/passphrase/manager.go`
 * (`encryptionsalt: v1:<base64 salt>:<"pulumi" encrypted with the key>`, which proves the
 * passphrase). Stacks on Pulumi Cloud or a KMS provider have no `encryptionsalt`: their values stay
 * placeholders.
 */
import { createCipheriv, createDecipheriv, pbkdf2Sync, randomBytes } from "node:crypto";
import { readFileSync } from "node:fs";
import { UserError } from "../shared/errors";

const ITERATIONS = 1_000_000;
const KEY_BYTES = 32;
const NONCE_BYTES = 12;
const TAG_BYTES = 16;
/** What the salt's check value decrypts to when the passphrase is right. */
const CHECK = "pulumi";

export interface Decrypter {
  decrypt(ciphertext: string): string;
}

/** The passphrase the Pulumi CLI would use, from the same variables; undefined when neither is set. */
export function configPassphrase(env: NodeJS.ProcessEnv = process.env): string | undefined {
  if (env.PULUMI_CONFIG_PASSPHRASE !== undefined) return env.PULUMI_CONFIG_PASSPHRASE;
  const file = env.PULUMI_CONFIG_PASSPHRASE_FILE;
  return file ? readFileSync(file, "utf8").replace(/\r?\n$/, "") : undefined;
}

function keyOf(passphrase: string, salt: Buffer): Buffer {
  return pbkdf2Sync(passphrase, salt, ITERATIONS, KEY_BYTES, "sha256");
}

function decryptWith(key: Buffer, value: string): string {
  const [version, nonce, sealed, ...rest] = value.split(":");
  if (version !== "v1" || nonce === undefined || sealed === undefined || rest.length > 0) {
    throw new Error("not a v1 passphrase-encrypted value");
  }
  const bytes = Buffer.from(sealed, "base64");
  const decipher = createDecipheriv("aes-256-gcm", key, Buffer.from(nonce, "base64"));
  decipher.setAuthTag(bytes.subarray(bytes.length - TAG_BYTES));
  return Buffer.concat([
    decipher.update(bytes.subarray(0, bytes.length - TAG_BYTES)),
    decipher.final(),
  ]).toString("utf8");
}

function encryptWith(key: Buffer, plaintext: string): string {
  const nonce = randomBytes(NONCE_BYTES);
  const cipher = createCipheriv("aes-256-gcm", key, nonce);
  const sealed = Buffer.concat([
    cipher.update(plaintext, "utf8"),
    cipher.final(),
    cipher.getAuthTag(),
  ]);
  return `v1:${nonce.toString("base64")}:${sealed.toString("base64")}`;
}

/**
 * A decrypter for a stack file's `encryptionsalt`; throws a UserError naming `file` when the
 * passphrase is wrong, as `pulumi up` refuses it.
 */
export function passphraseDecrypter(
  encryptionSalt: string,
  passphrase: string,
  file: string,
): Decrypter {
  const [version, salt] = encryptionSalt.split(":", 2);
  const check = encryptionSalt.split(":").slice(2).join(":");
  if (version !== "v1" || !salt || !check) {
    throw new UserError(`${file}: encryptionsalt is not a v1 passphrase salt`);
  }
  const key = keyOf(passphrase, Buffer.from(salt, "base64"));
  let checked: string | undefined;
  try {
    checked = decryptWith(key, check);
  } catch {
    checked = undefined;
  }
  if (checked !== CHECK) {
    throw new UserError(
      `${file}: incorrect passphrase (PULUMI_CONFIG_PASSPHRASE or PULUMI_CONFIG_PASSPHRASE_FILE)`,
    );
  }
  return {
    decrypt(ciphertext) {
      try {
        return decryptWith(key, ciphertext);
      } catch {
        throw new UserError(`${file}: a secure value does not decrypt with this passphrase`);
      }
    },
  };
}

/**
 * A new `encryptionsalt` and an encrypter for it, as `pulumi stack init` with a passphrase makes
 * them: for tests and rehearsals that write a stack file with real secrets.
 */
export function newPassphraseSalt(passphrase: string): {
  encryptionSalt: string;
  encrypt: (plaintext: string) => string;
} {
  const salt = randomBytes(8);
  const key = keyOf(passphrase, salt);
  return {
    encryptionSalt: `v1:${salt.toString("base64")}:${encryptWith(key, CHECK)}`,
    encrypt: (plaintext) => encryptWith(key, plaintext),
  };
}
