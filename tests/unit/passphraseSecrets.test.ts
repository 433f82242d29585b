/** Secrets of a passphrase stack, decrypted offline as the Pulumi CLI decrypts them. */
import { mkdtempSync, writeFileSync } from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { stringify } from "yaml";
import { UserError } from "../../tools/shared/errors";
import {
  configPassphrase,
  newPassphraseSalt,
  passphraseDecrypter,
} from "../../tools/plan/passphraseSecrets";
import { SECRET_MASK } from "../../tools/plan/mockSecrets";
import { readStackConfig } from "../../tools/plan/stackFiles";

jest.setTimeout(30000);

const PASSPHRASE = "correct horse battery staple";
const salt = newPassphraseSalt(PASSPHRASE);

test("a value encrypted under a salt decrypts with its passphrase", () => {
  const decrypter = passphraseDecrypter(salt.encryptionSalt, PASSPHRASE, "Pulumi.x.yaml");
  for (const plain of ["", "s3cret", "-----BEGIN PRIVATE KEY-----\nä\n"]) {
    expect(decrypter.decrypt(salt.encrypt(plain))).toBe(plain);
  }
});

test("salts and values have the shape `pulumi config set --secret` writes", () => {
  // From a stack file the CLI wrote: an 8-byte salt, a 12-byte nonce, "pulumi" sealed with its
  // 16-byte tag (22 bytes), and a value's ciphertext as long as its text plus the tag.
  expect("v1:GEHe83S30O0=:v1:s8vb7cVFSz64pUmv:Ff5AbbcbTSim8cBwDCQCwraGHEQQ/A==").toMatch(
    /^v1:[A-Za-z0-9+/]{11}=:v1:[A-Za-z0-9+/]{16}:[A-Za-z0-9+/]{30}==$/,
  );
  expect(salt.encryptionSalt).toMatch(
    /^v1:[A-Za-z0-9+/]{11}=:v1:[A-Za-z0-9+/]{16}:[A-Za-z0-9+/]{30}==$/,
  );
  const [, nonce, sealed] = salt.encrypt("opensesame").split(":");
  expect(Buffer.from(nonce, "base64")).toHaveLength(12);
  expect(Buffer.from(sealed, "base64")).toHaveLength("opensesame".length + 16);
});

test("a wrong passphrase is refused, naming the file; a tampered value too", () => {
  expect(() => passphraseDecrypter(salt.encryptionSalt, "wrong", "Pulumi.x.yaml")).toThrow(
    new UserError(
      "Pulumi.x.yaml: incorrect passphrase (PULUMI_CONFIG_PASSPHRASE or PULUMI_CONFIG_PASSPHRASE_FILE)",
    ),
  );
  const decrypter = passphraseDecrypter(salt.encryptionSalt, PASSPHRASE, "Pulumi.x.yaml");
  const [version, nonce, sealed] = salt.encrypt("s3cret").split(":");
  const flipped = Buffer.from(sealed, "base64");
  flipped[0] ^= 1;
  expect(() => decrypter.decrypt(`${version}:${nonce}:${flipped.toString("base64")}`)).toThrow(
    "Pulumi.x.yaml: a secure value does not decrypt with this passphrase",
  );
});

test("the passphrase comes from the CLI's own variables; an empty one counts", () => {
  expect(configPassphrase({})).toBeUndefined();
  expect(configPassphrase({ PULUMI_CONFIG_PASSPHRASE: "" })).toBe("");
  const file = path.join(mkdtempSync(path.join(os.tmpdir(), "passphrase-")), "phrase");
  writeFileSync(file, `${PASSPHRASE}\n`);
  expect(configPassphrase({ PULUMI_CONFIG_PASSPHRASE_FILE: file })).toBe(PASSPHRASE);
});

describe("a stack file with secure values", () => {
  const file = path.join(mkdtempSync(path.join(os.tmpdir(), "stack-")), "Pulumi.x.yaml");
  writeFileSync(
    file,
    stringify({
      encryptionsalt: salt.encryptionSalt,
      config: {
        "dropstack:app": { release: "v1", secretEnv: { TOKEN: { secure: salt.encrypt("t0k") } } },
      },
    }),
  );
  const saved = process.env.PULUMI_CONFIG_PASSPHRASE;
  afterEach(() => {
    if (saved === undefined) delete process.env.PULUMI_CONFIG_PASSPHRASE;
    else process.env.PULUMI_CONFIG_PASSPHRASE = saved;
  });

  test("is decrypted given the passphrase, and its keys stay secret", () => {
    process.env.PULUMI_CONFIG_PASSPHRASE = PASSPHRASE;
    const read = readStackConfig(file);
    expect(JSON.parse(read.config["dropstack:app"]).secretEnv.TOKEN).toBe("t0k");
    expect(read.secretKeys).toContain("dropstack:app");
    expect(read.notes.join("\n")).not.toContain("not decrypted");
  });

  test("shows placeholders without it, and says how to decrypt", () => {
    delete process.env.PULUMI_CONFIG_PASSPHRASE;
    const read = readStackConfig(file);
    expect(JSON.parse(read.config["dropstack:app"]).secretEnv.TOKEN).toBe(SECRET_MASK);
    expect(read.notes.join("\n")).toContain("given PULUMI_CONFIG_PASSPHRASE");
  });
});
