/**
 * The wait for a droplet's SSH port (templates/wait-for-ssh.sh.mustache), run for real as
 * local.Command runs it: it passes once something answers, and otherwise fails within its time
 * with the cause it saw: refused (sshd not running) or dropped (a firewall: this machine is not in
 * firewall.sshSourceAddresses). The drop is an nftables rule in a network namespace of its own, as
 * DigitalOcean's cloud firewall drops. Needs root (CI has it).
 */
import { spawnSync } from "node:child_process";
import * as net from "node:net";
import type { AddressInfo } from "node:net";
import { renderWaitForSsh } from "../../templates";
import { runAsync } from "../../tools/shared/runCommand";

jest.setTimeout(120_000);

const NS = "dropstack-ssh-wait";
const HOST_SIDE = "10.249.7.1";
const DROPLET_SIDE = "10.249.7.2";
const sh = (command: string) => {
  const run = spawnSync("sh", ["-c", command], { encoding: "utf8" });
  if (run.status !== 0) throw new Error(`${command}: ${run.stderr}`);
};

async function waitForSsh(address: string, port: number, seconds: number) {
  const started = Date.now();
  const script = renderWaitForSsh({ droplet: "staging-web-1", port, seconds });
  const run = await runAsync("sh", ["-c", script], { env: { ...process.env, ADDRESS: address } });
  return { ...run, seconds: (Date.now() - started) / 1000 };
}

beforeAll(() => {
  if (process.getuid?.() !== 0) throw new Error("this test needs root (a network namespace)");
  spawnSync("ip", ["netns", "del", NS]);
  sh(
    [
      `ip netns add ${NS}`,
      `ip link add dssh0 type veth peer name dssh1 netns ${NS}`,
      `ip addr add ${HOST_SIDE}/30 dev dssh0`,
      "ip link set dssh0 up",
      `ip -n ${NS} addr add ${DROPLET_SIDE}/30 dev dssh1`,
      `ip -n ${NS} link set dssh1 up`,
    ].join(" && "),
  );
});

afterAll(() => {
  spawnSync("ip", ["netns", "del", NS]);
});

test("passes as soon as the port answers", async () => {
  // An SSH server sends its banner first; a connection is all that is asked.
  const server = net.createServer((socket) => socket.end("SSH-2.0-OpenSSH_9.2\r\n"));
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  try {
    const { port } = server.address() as AddressInfo;
    const run = await waitForSsh("127.0.0.1", port, 30);
    expect(run.status).toBe(0);
    expect(run.stdout).toBe(`127.0.0.1 answers on port ${port}\n`);
    expect(run.seconds).toBeLessThan(10);
  } finally {
    server.close();
  }
});

test("refused until its time is up: names the droplet and its sshd", async () => {
  const run = await waitForSsh(DROPLET_SIDE, 22, 6);
  expect(run.status).toBe(1);
  expect(run.stderr).toContain(
    `staging-web-1 at ${DROPLET_SIDE} refuses SSH on port 22 after 6 s: its sshd is not running`,
  );
  expect(run.seconds).toBeLessThan(20);
});

test("dropped, as a cloud firewall drops: names the droplet, the address and the firewall", async () => {
  sh(
    `ip netns exec ${NS} nft 'add table inet f; add chain inet f in { type filter hook input priority 0; policy accept; }; add rule inet f in tcp dport 22 drop'`,
  );
  const run = await waitForSsh(DROPLET_SIDE, 22, 6);
  expect(run.status).toBe(1);
  expect(run.stderr).toContain(
    `staging-web-1 at ${DROPLET_SIDE}: nothing answered on port 22 for 6 s (dropped, not refused)`,
  );
  expect(run.stderr).toContain("firewall.sshSourceAddresses");
  // Each try waits 5 s for an answer; the time is checked after each.
  expect(run.seconds).toBeGreaterThanOrEqual(6);
  expect(run.seconds).toBeLessThan(25);
});

test("curl's own failure ends the wait at once, with its exit code", async () => {
  // A name curl cannot resolve (exit 6): waiting would not mend it, nor is it the firewall.
  const run = await waitForSsh("no-such-droplet.invalid", 22, 60);
  expect(run.status).toBe(1);
  expect(run.stderr).toContain("staging-web-1 at no-such-droplet.invalid: curl failed (exit 6)");
  expect(run.stderr).not.toContain("firewall");
  expect(run.seconds).toBeLessThan(15);
});
