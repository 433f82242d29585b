/**
 * The bootstrap against apt held busy at first boot, as DigitalOcean's own agent install holds it
 * (the local cloud's `up --apt-busy`: apt's and dpkg's locks taken before cloud-init's runcmd, for
 * a minute). The current bootstrap waits and still finishes; version 1, which did not wait, fails
 * there, which is why version 2 exists. Needs root.
 */
import { mkdtempSync, writeFileSync } from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { renderCloudInit } from "../../templates";
import { stackFilePath } from "../../tools/plan/stackFiles";
import { local, onDroplet } from "../helpers/localCloudHelpers";

jest.setTimeout(20 * 60 * 1000);

const BUSY = "lc-apt-busy";
const OLD = "lc-apt-busy-v1";
const BUSY_SECONDS = 45;

beforeAll(() => {
  if (process.getuid?.() !== 0) throw new Error("the local cloud tests need root");
  for (const stack of [BUSY, OLD]) local("down", "--stack", stack);
});

afterAll(() => {
  for (const stack of [BUSY, OLD]) expect(local("down", "--stack", stack).status).toBe(0);
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
  expect(onDroplet(BUSY, 1, "cat", "/var/lib/dropstack/bootstrap-version").stdout).toBe("2\n");
  expect(onDroplet(BUSY, 1, "systemctl", "is-active", "nginx", "supervisor").stdout).toBe(
    "active\nactive\n",
  );
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
