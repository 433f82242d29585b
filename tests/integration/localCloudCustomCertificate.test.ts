/**
 * A stack's own certificate (proxy.tls.mode custom) in the local cloud, from a stack file whose key
 * is a secure value under a passphrase, decrypted as the Pulumi CLI decrypts it: on one droplet
 * nginx serves it, behind the balancer DigitalOcean's `custom` Certificate (HAProxy here) serves it
 * as given, chain included, so a visitor that trusts only the test root verifies it. Needs root.
 */
import { X509Certificate } from "node:crypto";
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { parse, stringify } from "yaml";
import { stackDir } from "../../tools/localcloud/localPaths";
import { newPassphraseSalt } from "../../tools/plan/passphraseSecrets";
import { stackFilePath } from "../../tools/plan/stackFiles";
import { eventually, local, runAs, servedCertificate } from "../helpers/localCloudHelpers";
import { cli } from "../helpers/sandboxHelpers";
import { CHAIN, KEY, ROOT_FILE } from "../helpers/tlsFixtures";

jest.setTimeout(20 * 60 * 1000);

const PASSPHRASE = "rehearsal passphrase";
const HOST = "api.staging.example.com";
const salt = newPassphraseSalt(PASSPHRASE);

/** Staging's stack file with the certificate, its key encrypted as `pulumi config set --secret`. */
function customStackFile(count: number): string {
  const doc = parse(readFileSync(stackFilePath("staging"), "utf8"));
  doc.encryptionsalt = salt.encryptionSalt;
  doc.config["dropstack:proxy"].tls = {
    mode: "custom",
    certificate: CHAIN,
    privateKey: { secure: salt.encrypt(KEY) },
  };
  doc.config["dropstack:droplet"].count = count;
  const file = path.join(mkdtempSync(path.join(os.tmpdir(), "custom-")), "Pulumi.custom.yaml");
  writeFileSync(file, stringify(doc));
  return file;
}

/** `npm run local` with the passphrase given, or (undefined) with none in the environment. */
function localWith(passphrase: string | undefined, ...args: string[]) {
  const env = { ...process.env, PULUMI_CONFIG_PASSPHRASE: passphrase };
  if (passphrase === undefined) delete env.PULUMI_CONFIG_PASSPHRASE;
  return cli(["local", ...args], { env, timeoutMs: 20 * 60 * 1000 });
}

const fingerprint = new X509Certificate(CHAIN).fingerprint256.replace(/:/g, "");

beforeAll(() => {
  if (process.getuid?.() !== 0) throw new Error("the local cloud tests need root");
});

test("without the passphrase, up refuses before it creates anything, naming the key", () => {
  const up = localWith(
    undefined,
    "up",
    "--stack",
    "lc-custom-nokey",
    "--config",
    customStackFile(1),
  );
  expect(up.status).toBe(1);
  expect(up.stderr).toContain(
    "dropstack:proxy.tls.privateKey is a secure value the local cloud cannot decrypt",
  );
  expect(existsSync(stackDir("lc-custom-nokey"))).toBe(false);
});

describe.each([
  ["one droplet: nginx serves it", "lc-custom", 1],
  ["two droplets: the balancer serves it", "lc-custom-lb", 2],
])("%s", (_, stack, count) => {
  beforeAll(() => {
    local("down", "--stack", stack);
    const up = localWith(PASSPHRASE, "up", "--stack", stack, "--config", customStackFile(count));
    if (up.status !== 0) throw new Error(`local up of ${stack} failed:\n${up.stderr}`);
  });

  afterAll(() => {
    expect(local("down", "--stack", stack).status).toBe(0);
  });

  test("a visitor that trusts only the test root gets /health over HTTPS with that certificate", async () => {
    const health = () =>
      runAs(
        stack,
        "visitor",
        "curl",
        "-sS",
        "-m",
        "10",
        "--cacert",
        ROOT_FILE,
        `https://${HOST}/health`,
      );
    // Behind the balancer a droplet takes traffic once three health checks have passed.
    expect(await eventually(() => health().stdout.includes('"ok"'), 90)).toBe(true);
    expect(health().stderr).toBe("");
    const served = servedCertificate(stack, HOST);
    expect(served).toMatch(/^issuer=CN = dropstack test intermediate CA$/m);
    expect(served.replace(/:/g, "")).toContain(`Fingerprint=${fingerprint}`);
  });
});
