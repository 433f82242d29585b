/**
 * The deploy's way in (tools/deployaccess): one firewall per stack admitting SSH from one address
 * on the environment's tag, with the stack firewall's outbound rules; replaced if a dead run left
 * it, closed after the deploy whatever its outcome, reaped when forgotten.
 */
import { outboundRules } from "../../components/Firewall";
import {
  DeployFirewall,
  FirewallApi,
  ListedFirewall,
  closeDeployAccess,
  deployFirewall,
  openDeployAccess,
  reapDeployAccess,
  withDeployAccess,
} from "../../tools/deployaccess/deployAccess";

/** DigitalOcean's firewalls and tags, in memory, with every call in order. */
function memoryApi(existing: ListedFirewall[] = []) {
  const firewalls = [...existing];
  const created: DeployFirewall[] = [];
  const calls: string[] = [];
  let serial = 0;
  const api: FirewallApi = {
    ensureTag: async (tag) => void calls.push(`tag ${tag}`),
    firewalls: async () => (calls.push("list"), [...firewalls]),
    createFirewall: async (firewall) => {
      const id = `fw-new-${++serial}`;
      calls.push(`create ${firewall.name}`);
      created.push(firewall);
      firewalls.push({ id, name: firewall.name, createdAt: new Date().toISOString() });
      return { id };
    },
    deleteFirewall: async (id) => {
      calls.push(`delete ${id}`);
      firewalls.splice(
        firewalls.findIndex((f) => f.id === id),
        1,
      );
    },
  };
  return { api, firewalls, created, calls };
}

const notes: string[] = [];
const note = (line: string) => void notes.push(line);
beforeEach(() => (notes.length = 0));

test("the way in admits port 22 from that one address, on the environment's tag, and lets the droplets out", () => {
  expect(deployFirewall("staging", "192.0.2.7")).toEqual({
    name: "deploy-access-staging-192-0-2-7-32",
    tag: "dropstack-staging",
    sshSource: "192.0.2.7/32",
    inbound: [{ portRange: "22", sourceAddresses: ["192.0.2.7/32"] }],
    outbound: outboundRules(),
  });
  expect(deployFirewall("review-pr-4", "2001:db8::7")).toMatchObject({
    name: "deploy-access-review-pr-4-2001-db8-7-128",
    sshSource: "2001:db8::7/128",
  });
  // Never a name of the program's own firewalls (dropstack-<stack>), whatever the stack's name.
  expect(deployFirewall("x-deploy", "192.0.2.7").name).not.toMatch(/^dropstack-/);
});

test.each(["0.0.0.0/0", "192.0.2.0/24", "runner", ""])(
  "refuses %p: one host's address, never a range",
  (address) => {
    expect(() => deployFirewall("production", address)).toThrow(
      /--address must be one IPv4 or IPv6 address/,
    );
  },
);

const STAGING = { id: "fw-staging", name: "dropstack-staging", createdAt: "2026-01-01T00:00:00Z" };
const WAY_IN = "deploy-access-staging-192-0-2-7-32";

test("open makes the tag, then the firewall; close deletes it", async () => {
  const { api, firewalls, created, calls } = memoryApi([STAGING]);
  await openDeployAccess(api, "staging", "192.0.2.7", note);
  expect(calls).toEqual(["list", "tag dropstack-staging", `create ${WAY_IN}`]);
  expect(created[0].inbound).toEqual([{ portRange: "22", sourceAddresses: ["192.0.2.7/32"] }]);
  expect(notes.join("\n")).toContain(
    "opened SSH from 192.0.2.7/32 to the droplets tagged dropstack-staging",
  );
  expect(await closeDeployAccess(api, "staging", "192.0.2.7", note)).toBe(1);
  expect(firewalls).toEqual([STAGING]);
  expect(await closeDeployAccess(api, "staging", "192.0.2.7", note)).toBe(0);
  expect(notes.at(-1)).toContain("nothing to close");
});

test("on a stack's first deploy (no firewall of its own yet) it admits 80 and 443 too, as no firewall did", async () => {
  const { api, created } = memoryApi();
  await openDeployAccess(api, "staging", "192.0.2.7", note);
  expect(created[0].inbound).toEqual([
    { portRange: "22", sourceAddresses: ["192.0.2.7/32"] },
    { portRange: "80", sourceAddresses: ["0.0.0.0/0", "::/0"] },
    { portRange: "443", sourceAddresses: ["0.0.0.0/0", "::/0"] },
  ]);
  expect(notes.at(-1)).toContain("and 80, 443 from anywhere until the stack's own firewall exists");
});

test("open replaces a way in a dead run from the same address left; close leaves other addresses' and stacks'", async () => {
  const old = { id: "fw-old", name: WAY_IN, createdAt: "2026-01-01T00:00:00Z" };
  const laptop = { id: "fw-laptop", name: "deploy-access-staging-198-51-100-9-32", createdAt: "" };
  const other = { id: "fw-prod", name: "deploy-access-production-192-0-2-7-32", createdAt: "" };
  const { api, firewalls } = memoryApi([STAGING, old, laptop, other]);
  await openDeployAccess(api, "staging", "192.0.2.7", note);
  expect(firewalls.map((f) => f.id)).toEqual(["fw-staging", "fw-laptop", "fw-prod", "fw-new-1"]);
  expect(notes[0]).toContain("replaced a way in an earlier run from 192.0.2.7 left open");
  await closeDeployAccess(api, "staging", "192.0.2.7", note);
  expect(firewalls.map((f) => f.id)).toEqual(["fw-staging", "fw-laptop", "fw-prod"]);
});

test("the deploy runs with the way in open, and it is closed after a failed deploy too", async () => {
  const { api, firewalls } = memoryApi();
  const seen = await withDeployAccess(api, "staging", "192.0.2.7", note, async () =>
    firewalls.map((f) => f.name),
  );
  expect(seen).toEqual([WAY_IN]);
  expect(firewalls).toEqual([]);
  await expect(
    withDeployAccess(api, "staging", "192.0.2.7", note, async () => {
      throw new Error("the up failed");
    }),
  ).rejects.toThrow("the up failed");
  expect(firewalls).toEqual([]);
});

test("a close that fails after a failed deploy is reported, and the deploy's own failure is what is thrown", async () => {
  const { api } = memoryApi();
  api.deleteFirewall = async () => {
    throw new Error("503 Service Unavailable");
  };
  await expect(
    withDeployAccess(api, "staging", "192.0.2.7", note, async () => {
      throw new Error("the up failed");
    }),
  ).rejects.toThrow("the up failed");
  expect(notes.at(-1)).toBe(
    "could not close the way in for staging: 503 Service Unavailable (reap removes it)",
  );
});

test("reap deletes ways in left open too long, of any stack, and nothing else", async () => {
  const now = new Date("2026-12-02T12:00:00Z");
  const { api, firewalls } = memoryApi([
    { id: "a", name: "deploy-access-review-pr-9-192-0-2-7-32", createdAt: "2026-12-02T09:00:00Z" },
    { id: "b", name: WAY_IN, createdAt: "2026-12-02T11:30:00Z" },
    { id: "c", name: "dropstack-staging", createdAt: "2026-01-01T00:00:00Z" },
  ]);
  expect(await reapDeployAccess(api, 120, now, note)).toEqual([
    "deploy-access-review-pr-9-192-0-2-7-32",
  ]);
  expect(firewalls.map((f) => f.id)).toEqual(["b", "c"]);
});
