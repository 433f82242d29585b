/**
 * The way in's calls on DigitalOcean's API (tools/deployaccess/digitalOceanFirewalls.ts), against
 * a loopback server that answers as the OpenAPI spec says and records every request: the token,
 * the paths, the bodies, the pages followed, a 404 on delete taken as done, and DigitalOcean's own
 * message when it refuses. What it cannot show: that DigitalOcean answers so (no account here).
 */
import * as http from "node:http";
import type { AddressInfo } from "node:net";
import { deployFirewall } from "../../tools/deployaccess/deployAccess";
import { DigitalOceanFirewalls } from "../../tools/deployaccess/digitalOceanFirewalls";

type Recorded = { method: string; url: string; auth?: string; body?: unknown };
type Reply = { status: number; body?: unknown };

let server: http.Server;
let base: string;
const requests: Recorded[] = [];
let answer: (request: Recorded) => Reply;

beforeAll(async () => {
  server = http.createServer((req, res) => {
    let text = "";
    req.on("data", (chunk) => (text += chunk));
    req.on("end", () => {
      const recorded = {
        method: req.method!,
        url: req.url!,
        auth: req.headers.authorization,
        ...(text ? { body: JSON.parse(text) } : {}),
      };
      requests.push(recorded);
      const reply = answer(recorded);
      res.writeHead(reply.status, { "Content-Type": "application/json" });
      res.end(reply.body === undefined ? "" : JSON.stringify(reply.body));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}/`;
});

afterAll(() => new Promise((resolve) => server.close(resolve)));
beforeEach(() => (requests.length = 0));

const api = () => new DigitalOceanFirewalls("dop_v1_test", base);

test("the tag is made only when DigitalOcean does not have it", async () => {
  answer = (r) =>
    r.method === "GET" ? { status: 404, body: { id: "not_found" } } : { status: 201 };
  await api().ensureTag("dropstack-staging");
  answer = () => ({ status: 200, body: { tag: { name: "dropstack-production" } } });
  await api().ensureTag("dropstack-production");
  expect(requests).toEqual([
    { method: "GET", url: "/v2/tags/dropstack-staging", auth: "Bearer dop_v1_test" },
    {
      method: "POST",
      url: "/v2/tags",
      auth: "Bearer dop_v1_test",
      body: { name: "dropstack-staging" },
    },
    { method: "GET", url: "/v2/tags/dropstack-production", auth: "Bearer dop_v1_test" },
  ]);
});

test("the firewall: SSH from the one address on the tag, the stack's outbound rules, its id back", async () => {
  answer = () => ({ status: 202, body: { firewall: { id: "fb6045f1", status: "waiting" } } });
  const created = await api().createFirewall(deployFirewall("staging", "192.0.2.7"));
  expect(created).toEqual({ id: "fb6045f1" });
  expect(requests[0].url).toBe("/v2/firewalls");
  expect(requests[0].body).toEqual({
    name: "deploy-access-staging-192-0-2-7-32",
    tags: ["dropstack-staging"],
    inbound_rules: [{ protocol: "tcp", ports: "22", sources: { addresses: ["192.0.2.7/32"] } }],
    outbound_rules: [
      { protocol: "tcp", ports: "1-65535", destinations: { addresses: ["0.0.0.0/0", "::/0"] } },
      { protocol: "udp", ports: "1-65535", destinations: { addresses: ["0.0.0.0/0", "::/0"] } },
      { protocol: "icmp", ports: "0", destinations: { addresses: ["0.0.0.0/0", "::/0"] } },
    ],
  });
});

test("on a stack's first deploy, 80 and 443 from anywhere too", async () => {
  answer = () => ({ status: 202, body: { firewall: { id: "fb6045f2" } } });
  await api().createFirewall(deployFirewall("staging", "192.0.2.7", false));
  expect((requests[0].body as { inbound_rules: unknown[] }).inbound_rules).toEqual([
    { protocol: "tcp", ports: "22", sources: { addresses: ["192.0.2.7/32"] } },
    { protocol: "tcp", ports: "80", sources: { addresses: ["0.0.0.0/0", "::/0"] } },
    { protocol: "tcp", ports: "443", sources: { addresses: ["0.0.0.0/0", "::/0"] } },
  ]);
});

test("the list follows DigitalOcean's pages to the last", async () => {
  answer = (r) =>
    r.url.endsWith("page=1")
      ? {
          status: 200,
          body: {
            firewalls: [{ id: "a", name: "staging-web", created_at: "2026-12-01T10:00:00Z" }],
            links: { pages: { next: "https://api.digitalocean.com/v2/firewalls?page=2" } },
          },
        }
      : {
          status: 200,
          body: {
            firewalls: [
              { id: "b", name: "dropstack-staging-deploy", created_at: "2026-12-02T10:00:00Z" },
            ],
            links: {},
          },
        };
  expect(await api().firewalls()).toEqual([
    { id: "a", name: "staging-web", createdAt: "2026-12-01T10:00:00Z" },
    { id: "b", name: "dropstack-staging-deploy", createdAt: "2026-12-02T10:00:00Z" },
  ]);
  expect(requests.map((r) => r.url)).toEqual([
    "/v2/firewalls?per_page=200&page=1",
    "/v2/firewalls?per_page=200&page=2",
  ]);
});

test("a delete of a firewall that is gone is done; a refusal names the call and DigitalOcean's reason", async () => {
  answer = () => ({
    status: 404,
    body: { id: "not_found", message: "The resource you were accessing could not be found." },
  });
  await api().deleteFirewall("fb6045f1");
  expect(requests[0]).toMatchObject({ method: "DELETE", url: "/v2/firewalls/fb6045f1" });
  answer = () => ({
    status: 401,
    body: { id: "unauthorized", message: "Unable to authenticate you" },
  });
  await expect(api().firewalls()).rejects.toThrow(
    "DigitalOcean's API refused GET /v2/firewalls?per_page=200&page=1: 401 Unable to authenticate you",
  );
});

test("an answer that is no JSON (a proxy's error page) still names the call and its status", async () => {
  server.removeAllListeners("request");
  server.on("request", (req, res) => {
    requests.push({ method: req.method!, url: req.url! });
    res.writeHead(502, { "Content-Type": "text/html" });
    res.end("<html><body>502 Bad Gateway</body></html>");
  });
  await expect(api().deleteFirewall("fb6045f1")).rejects.toThrow(
    "DigitalOcean's API refused DELETE /v2/firewalls/fb6045f1: 502 <html><body>502 Bad Gateway",
  );
});

test("without a token it says which variable to set", () => {
  expect(() => DigitalOceanFirewalls.fromEnvironment({})).toThrow(/DIGITALOCEAN_TOKEN is not set/);
});
