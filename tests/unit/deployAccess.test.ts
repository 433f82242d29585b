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
    name: "dropstack-staging-deploy",
    tag: "dropstack-staging",
    sshSource: "192.0.2.7/32",
    outbound: outboundRules(),
  });
  expect(deployFirewall("review-pr-4", "2001:db8::7").sshSource).toBe("2001:db8::7/128");
});

test.each(["0.0.0.0/0", "192.0.2.0/24", "runner", ""])(
  "refuses %p: one host's address, never a range",
  (address) => {
    expect(() => deployFirewall("production", address)).toThrow(
      /--address must be one IPv4 or IPv6 address/,
    );
  },
);

test("open makes the tag, then the firewall; close deletes it", async () => {
  const { api, firewalls, calls } = memoryApi();
  await openDeployAccess(api, "staging", "192.0.2.7", note);
  expect(calls).toEqual(["list", "tag dropstack-staging", "create dropstack-staging-deploy"]);
  expect(notes.join("\n")).toContain(
    "opened SSH from 192.0.2.7/32 to the droplets tagged dropstack-staging",
  );
  expect(await closeDeployAccess(api, "staging", note)).toBe(1);
  expect(firewalls).toEqual([]);
  expect(await closeDeployAccess(api, "staging", note)).toBe(0);
  expect(notes.at(-1)).toContain("nothing to close");
});

test("open replaces a way in a dead run left, and leaves other stacks' alone", async () => {
  const old = { id: "fw-old", name: "dropstack-staging-deploy", createdAt: "2026-01-01T00:00:00Z" };
  const other = { id: "fw-prod", name: "dropstack-production-deploy", createdAt: old.createdAt };
  const { api, firewalls } = memoryApi([old, other]);
  await openDeployAccess(api, "staging", "192.0.2.8", note);
  expect(firewalls.map((f) => f.id)).toEqual(["fw-prod", "fw-new-1"]);
  expect(notes[0]).toContain("replaced a way in an earlier run of staging left open");
});

test("the deploy runs with the way in open, and it is closed after a failed deploy too", async () => {
  const { api, firewalls } = memoryApi();
  const seen = await withDeployAccess(api, "staging", "192.0.2.7", note, async () =>
    firewalls.map((f) => f.name),
  );
  expect(seen).toEqual(["dropstack-staging-deploy"]);
  expect(firewalls).toEqual([]);
  await expect(
    withDeployAccess(api, "staging", "192.0.2.7", note, async () => {
      throw new Error("the up failed");
    }),
  ).rejects.toThrow("the up failed");
  expect(firewalls).toEqual([]);
});

test("reap deletes ways in left open too long, of any stack, and nothing else", async () => {
  const now = new Date("2026-12-02T12:00:00Z");
  const { api, firewalls } = memoryApi([
    { id: "a", name: "dropstack-review-pr-9-deploy", createdAt: "2026-12-02T09:00:00Z" },
    { id: "b", name: "dropstack-staging-deploy", createdAt: "2026-12-02T11:30:00Z" },
    { id: "c", name: "staging-web", createdAt: "2026-01-01T00:00:00Z" },
  ]);
  expect(await reapDeployAccess(api, 120, now, note)).toEqual(["dropstack-review-pr-9-deploy"]);
  expect(firewalls.map((f) => f.id)).toEqual(["b", "c"]);
});
