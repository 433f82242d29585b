/**
 * The bootstrap against apt held busy at first boot, as DigitalOcean's own agent install holds it
 * (the local cloud's `up --apt-busy`: apt's and dpkg's locks taken before cloud-init's runcmd, for
 * a minute). The current bootstrap waits and still finishes; version 1, which did not wait, fails
 * there, which is why version 2 exists. A droplet of version 2 (before host keys) is given the
 * program's host key once; a version 3 one boots with it, and every step checks it. Needs root.
 */
import { mkdtempSync, writeFileSync } from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { renderCloudInit } from "../../templates";
import { RESOURCE_TYPES as T } from "../../components/resourceTypes";
import { readState } from "../../tools/localcloud/localState";
import { stackFilePath } from "../../tools/plan/stackFiles";
import { local, onDroplet } from "../helpers/localCloudHelpers";

jest.setTimeout(20 * 60 * 1000);

const BUSY = "lc-apt-busy";
const OLD = "lc-apt-busy-v1";
const BEFORE_KEYS = "lc-bootstrap-v2";
const BUSY_SECONDS = 45;

beforeAll(() => {
  if (process.getuid?.() !== 0) throw new Error("the local cloud tests need root");
  for (const stack of [BUSY, OLD, BEFORE_KEYS]) local("down", "--stack", stack);
});

afterAll(() => {
  for (const stack of [BUSY, OLD, BEFORE_KEYS])
    expect(local("down", "--stack", stack).status).toBe(0);
});

test("the current bootstrap waits for apt held busy at first boot, and finishes", () => {
  const started = Date.now();
  const up = local(
    "up",
    ...["--stack", BUSY, "--config", stackFilePath("dev")],
    ...["--apt-busy", String(BUSY_SECONDS)],
  );
  expect(up.stderr).not.toContain("failed:");
  expect(up.status).toBe(0);
  expect(Date.now() - started).toBeGreaterThan(BUSY_SECONDS * 1000);
  // apt met the locks the stand-in held, and waited them out (or tried again).
  const log = onDroplet(BUSY, 1, "cat", "/var/log/cloud-init-output.log").stdout;
  expect(log).toMatch(/Could not get lock|Waiting for cache lock|failed \(try 1 of 12\)/);
  const holder = onDroplet(BUSY, 1, "journalctl", "-u", "apt-busy-at-first-boot", "-o", "cat");
  expect(holder.stdout).toContain(`holding the apt and dpkg locks for ${BUSY_SECONDS} s`);
  expect(holder.stdout).toContain("released the apt and dpkg locks");
  expect(onDroplet(BUSY, 1, "cat", "/var/lib/dropstack/bootstrap-version").stdout).toBe("3\n");
  expect(onDroplet(BUSY, 1, "systemctl", "is-active", "nginx", "supervisor").stdout).toBe(
    "active\nactive\n",
  );
  // It booted with the program's host key, the only one, given nothing over SSH: and the up,
  // whose every step checked that key (StrictHostKeyChecking=yes), passed.
  expect(up.stderr).not.toContain(`${BUSY}-web-1-host-key-install on`);
  expect(hostKeysOn(BUSY)).toEqual([publicKeyOf(BUSY)]);
  // The API's containers and nginx's workers may not ask the metadata service.
  const guard = onDroplet(BUSY, 1, "nft", "list", "table", "inet", "dropstack_metadata_guard");
  expect(guard.stdout).toContain("ip daddr 169.254.169.254 meta skuid { 33, 65534 } reject");
  expect(onDroplet(BUSY, 1, "systemctl", "is-enabled", "dropstack-metadata-guard").stdout).toBe(
    "enabled\n",
  );
});

/** The ed25519 public key the program made for the stack's first droplet: `type blob`. */
function publicKeyOf(stack: string): string {
  const key = readState(stack)!.applied!.find(
    (r) => r.type === T.hostKey && r.name === `${stack}-web-1-host-key`,
  )!;
  return String(key.outputs.publicKeyOpenssh).trim();
}

/** The host keys the droplet's sshd offers on the wire, of every type, as `type blob`. */
function hostKeysOn(stack: string): string[] {
  const offered = onDroplet(stack, 1, "ssh-keyscan", "-t", "rsa,ecdsa,ed25519", "127.0.0.1");
  return offered.stdout
    .trim()
    .split("\n")
    .filter((line) => !line.startsWith("#"))
    .map((line) => line.split(" ").slice(1, 3).join(" "));
}

test("a droplet of bootstrap version 2 (before host keys) is given the program's key once, then every step checks it", () => {
  const file = path.join(mkdtempSync(path.join(os.tmpdir(), "v2-")), "user-data.yaml");
  writeFileSync(file, renderCloudInit(2));
  const up = local(
    "up",
    ...["--stack", BEFORE_KEYS, "--config", stackFilePath("dev"), "--user-data", file],
  );
  expect(up.stderr).not.toContain("failed:");
  expect(up.status).toBe(0);
  expect(up.stderr).toContain(`${BEFORE_KEYS}-web-1-host-key-install on`);
  expect(hostKeysOn(BEFORE_KEYS)).toEqual([publicKeyOf(BEFORE_KEYS)]);
  // Brought to version 3 in place: the guard too.
  expect(onDroplet(BEFORE_KEYS, 1, "cat", "/var/lib/dropstack/bootstrap-version").stdout).toBe(
    "3\n",
  );
  expect(
    onDroplet(BEFORE_KEYS, 1, "systemctl", "is-active", "dropstack-metadata-guard").stdout,
  ).toBe("active\n");
  // The next up gives it nothing again: the key's install (its inputs unchanged) does not run.
  const again = local(
    "up",
    ...["--stack", BEFORE_KEYS, "--config", stackFilePath("dev"), "--user-data", file],
  );
  expect(again.status).toBe(0);
  expect(again.stderr).not.toContain(`${BEFORE_KEYS}-web-1-host-key-install on`);
});

test("bootstrap version 1, with apt busy the same way, fails the bootstrap", () => {
  const file = path.join(mkdtempSync(path.join(os.tmpdir(), "v1-")), "user-data.yaml");
  writeFileSync(file, renderCloudInit(1));
  const up = local(
    "up",
    ...["--stack", OLD, "--config", stackFilePath("dev")],
    ...["--apt-busy", String(BUSY_SECONDS), "--user-data", file],
  );
  expect(up.status).toBe(1);
  expect(up.stderr).toContain(`${OLD}-web-1-bootstrap`);
  expect(up.stderr).toContain("cloud-init-output.log");
  // Its apt-get lost to the lock, at once, and the rest of the bootstrap could not make up for it.
  const log = onDroplet(OLD, 1, "cat", "/var/log/cloud-init-output.log").stdout;
  expect(log).toMatch(/E: Could not get lock/);
});
