/**
 * The TLS provider's PrivateKey, for a droplet's SSH host key: a real ed25519 key made by
 * OpenSSH's ssh-keygen, in the provider's output formats (the private key in OpenSSH's format, a
 * secret as the provider marks it; the public key's authorized_keys line with its newline). Its
 * delete only forgets it, as the provider's does.
 */
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import type { Created } from "./localMocks";
import { secretWrapper } from "../plan/mockSecrets";
import { runOrThrow } from "../shared/runCommand";

export function makeHostKey(inputs: Record<string, unknown>, name: string): Created {
  if (inputs.algorithm !== "ED25519") {
    throw new Error(`the local cloud makes ED25519 keys only, not ${String(inputs.algorithm)}`);
  }
  const dir = mkdtempSync(path.join(os.tmpdir(), "dropstack-host-key-"));
  try {
    const file = path.join(dir, "key");
    runOrThrow("ssh-keygen", ["-q", "-t", "ed25519", "-N", "", "-C", "", "-f", file]);
    const publicKey = readFileSync(`${file}.pub`, "utf8").trim().split(" ").slice(0, 2).join(" ");
    return {
      id: name,
      outputs: {
        privateKeyOpenssh: secretWrapper(readFileSync(file, "utf8")),
        publicKeyOpenssh: `${publicKey}\n`,
      },
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
