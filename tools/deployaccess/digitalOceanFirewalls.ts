/**
 * The way in's calls on DigitalOcean's API (v2), with the token `pulumi up` uses. Shapes from
 * DigitalOcean's OpenAPI spec (digitalocean/openapi @7c1300c4, specification/resources/firewalls
 * and tags): a firewall is created with 202 and `{firewall: {id, ...}}`, deleted with 204, listed
 * 200 at most per page with `links.pages.next`; a tag is read with 200 or 404.
 */
import { UserError } from "../shared/errors";
import type { DeployFirewall, FirewallApi, ListedFirewall } from "./deployAccess";

/** DigitalOcean's API, or another at DIGITALOCEAN_API_URL (as the provider reads it). */
const DEFAULT_API = "https://api.digitalocean.com";

type Json = Record<string, unknown>;

/** One call's limit: DigitalOcean answers these in well under a second. */
const CALL_TIMEOUT_MS = 30_000;

export class DigitalOceanFirewalls implements FirewallApi {
  private readonly base: string;

  constructor(
    private readonly token: string,
    base = process.env.DIGITALOCEAN_API_URL ?? DEFAULT_API,
  ) {
    this.base = base.replace(/\/$/, "");
  }

  /** From DIGITALOCEAN_TOKEN (or DIGITALOCEAN_ACCESS_TOKEN), as the DigitalOcean provider. */
  static fromEnvironment(env = process.env): DigitalOceanFirewalls {
    const token = env.DIGITALOCEAN_TOKEN ?? env.DIGITALOCEAN_ACCESS_TOKEN;
    if (!token) {
      throw new UserError(
        "DIGITALOCEAN_TOKEN is not set: the way in is a DigitalOcean firewall, made with the token pulumi up uses",
      );
    }
    return new DigitalOceanFirewalls(token);
  }

  /** One call; resolves to its status and JSON body (none for 204), throws DigitalOcean's message. */
  private async call(
    method: string,
    path: string,
    body?: Json,
    allowed: number[] = [],
  ): Promise<{ status: number; json: Json }> {
    const response = await fetch(`${this.base}${path}`, {
      method,
      headers: {
        Authorization: `Bearer ${this.token}`,
        ...(body ? { "Content-Type": "application/json" } : {}),
      },
      body: body && JSON.stringify(body),
      signal: AbortSignal.timeout(CALL_TIMEOUT_MS),
    });
    const text = await response.text();
    // A proxy's HTML error page is no JSON: its status and first words say enough.
    let json: Json = {};
    try {
      json = text ? (JSON.parse(text) as Json) : {};
    } catch {
      if (response.ok)
        throw new UserError(`DigitalOcean's API answered ${method} ${path} with no JSON`);
    }
    if (!response.ok && !allowed.includes(response.status)) {
      const message = typeof json.message === "string" ? json.message : text.slice(0, 200);
      throw new UserError(
        `DigitalOcean's API refused ${method} ${path}: ${response.status} ${message}`,
      );
    }
    return { status: response.status, json };
  }

  async ensureTag(tag: string): Promise<void> {
    const { status } = await this.call(
      "GET",
      `/v2/tags/${encodeURIComponent(tag)}`,
      undefined,
      [404],
    );
    if (status === 404) await this.call("POST", "/v2/tags", { name: tag });
  }

  async firewalls(): Promise<ListedFirewall[]> {
    const all: ListedFirewall[] = [];
    for (let page = 1; ; page++) {
      const { json } = await this.call("GET", `/v2/firewalls?per_page=200&page=${page}`);
      for (const f of (json.firewalls ?? []) as Json[]) {
        all.push({ id: String(f.id), name: String(f.name), createdAt: String(f.created_at) });
      }
      const links = json.links as { pages?: { next?: string } } | undefined;
      if (!links?.pages?.next) return all;
    }
  }

  async createFirewall(firewall: DeployFirewall): Promise<{ id: string }> {
    const { json } = await this.call("POST", "/v2/firewalls", {
      name: firewall.name,
      tags: [firewall.tag],
      inbound_rules: firewall.inbound.map((rule) => ({
        protocol: "tcp",
        ports: rule.portRange,
        sources: { addresses: rule.sourceAddresses },
      })),
      // ICMP has no ports: "0", DigitalOcean's "every port" (what it reports for ICMP rules).
      outbound_rules: firewall.outbound.map((rule) => ({
        protocol: rule.protocol,
        ports: rule.portRange ?? "0",
        destinations: { addresses: rule.destinationAddresses },
      })),
    });
    return { id: String((json.firewall as Json).id) };
  }

  async deleteFirewall(id: string): Promise<void> {
    await this.call("DELETE", `/v2/firewalls/${encodeURIComponent(id)}`, undefined, [404]);
  }
}
