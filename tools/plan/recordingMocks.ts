/**
 * The one recording mock runtime, shared by the offline plan and the tests. It records every
 * resource with its inputs, parent and `protect`, and invents realistic computed values (numeric
 * droplet ids, TEST-NET addresses, image digests) that it remembers, so the plan can show them as
 * "(known after apply)". Of the provider functions, the droplet lookup answers from the droplets
 * it is given (none: a new stack); any other call fails loudly.
 */
import { createHash } from "node:crypto";
import type * as pulumi from "@pulumi/pulumi";
import { PROVIDER_FUNCTIONS, RESOURCE_TYPES as T } from "../../components/resourceTypes";
import { ExistingDroplet, lookUpDroplets } from "./existingDroplets";
import { inventedHostKey } from "./inventedHostKey";
import { revealSecrets, secretWrapper } from "./mockSecrets";
import { userDataHash } from "../../templates";

export interface RecordedResource {
  readonly type: string;
  readonly name: string;
  /** The parent's name, or null for top-level resources. */
  parent: string | null;
  readonly custom: boolean;
  readonly inputs: Record<string, unknown>;
  /** Inputs plus what the mock computed, as a provider would return them. */
  outputs: Record<string, unknown>;
  /** The provider id the mock gave a custom resource. */
  id?: string;
  protect: boolean;
  /** Names of explicit `dependsOn` resources. */
  dependsOn: string[];
  /** `customTimeouts.create` as the program set it (`"20m"`), if it did. */
  createTimeout?: string;
  /** The resource options the engine's steps follow (see tools/plan/transition.ts). */
  options?: ResourceOptions;
}

/** The options that change what `pulumi up` does with a resource on an edit. */
export interface ResourceOptions {
  readonly deleteBeforeReplace: boolean;
  readonly replaceOnChanges: string[];
  readonly ignoreChanges: string[];
  /** Names the resource had before (`aliases`): a match is the same resource, not a new one. */
  readonly aliases: string[];
}

type AliasMessage = { getUrn?(): string; getSpec?(): { getName?(): string } | undefined };

type MonitorRequest = {
  getType(): string;
  getName(): string;
  getParent(): string;
  getProtect(): boolean;
  getDependenciesList(): string[];
  getCustomtimeouts(): { getCreate(): string } | undefined;
  getDeletebeforereplace(): boolean;
  getReplaceonchangesList(): string[];
  getIgnorechangesList(): string[];
  getAliasesList(): AliasMessage[];
};
type Monitor = {
  registerResource(req: MonitorRequest, callback: (err: unknown, res: unknown) => void): void;
};

/** The resource name at the end of a URN. */
export const nameOfUrn = (urn: string) => urn.slice(urn.lastIndexOf("::") + 2);
const digest = (text: string) => createHash("sha256").update(text).digest("hex");

export class RecordingMocks implements pulumi.runtime.Mocks {
  readonly resources: RecordedResource[] = [];
  /** Values the mock made up for outputs a real provider computes. */
  readonly computed = new Set<string>();
  /** Which resource (`<type>::<name>`) made up each of them, and for which output. */
  readonly producers = new Map<string, { key: string; field: string }>();
  /** The resource whose outputs are being made up. */
  private producing = { key: "", field: "" };
  /**
   * Rejects with the first resource that failed to be created (a mock that does real work can
   * fail): whoever awaits the program's outputs races this, since those then never resolve.
   */
  readonly failure: Promise<never>;
  private rejectFailure!: (error: Error) => void;
  private counter = 0;
  private readonly byKey = new Map<string, RecordedResource>();
  private readonly pending = new Map<
    string,
    Pick<RecordedResource, "parent" | "protect" | "dependsOn" | "createTimeout" | "options">
  >();

  /** `existingDroplets`: what DigitalOcean has before this run, for the program's lookup. */
  constructor(private readonly existingDroplets: readonly ExistingDroplet[] = []) {
    this.failure = new Promise<never>((_, reject) => (this.rejectFailure = reject));
    // Nobody need listen unless something fails.
    this.failure.catch(() => undefined);
  }

  /** Records the first failure; later ones are consequences of it, or reported with it. */
  protected fail(error: Error): void {
    this.rejectFailure(error);
  }

  /** Wraps the mock monitor so parent, protect and dependsOn (not given to newResource) are seen. */
  attach(monitor: unknown): void {
    const target = monitor as Monitor;
    const register = target.registerResource.bind(target);
    target.registerResource = (req, callback) => {
      const extra = {
        parent: req.getParent() ? nameOfUrn(req.getParent()) : null,
        protect: req.getProtect(),
        dependsOn: req.getDependenciesList().map(nameOfUrn),
        createTimeout: req.getCustomtimeouts()?.getCreate() || undefined,
        options: {
          deleteBeforeReplace: req.getDeletebeforereplace(),
          replaceOnChanges: req.getReplaceonchangesList(),
          ignoreChanges: req.getIgnorechangesList(),
          aliases: req
            .getAliasesList()
            .map((a) => (a.getUrn?.() ? nameOfUrn(a.getUrn()!) : a.getSpec?.()?.getName?.()))
            .filter((n): n is string => Boolean(n)),
        },
      };
      const key = `${req.getType()}::${req.getName()}`;
      const recorded = this.byKey.get(key);
      if (recorded) Object.assign(recorded, extra);
      else this.pending.set(key, extra);
      register(req, callback);
    };
  }

  /** The resource as registered so far (parent, protect, dependsOn, timeouts), recorded. */
  protected record(args: pulumi.runtime.MockResourceArgs): RecordedResource {
    const key = `${args.type}::${args.name}`;
    const recorded: RecordedResource = {
      type: args.type,
      name: args.name,
      custom: args.custom ?? true,
      inputs: args.inputs,
      outputs: args.inputs,
      parent: null,
      protect: false,
      dependsOn: [],
      ...this.pending.get(key),
    };
    this.resources.push(recorded);
    this.byKey.set(key, recorded);
    return recorded;
  }

  newResource(
    args: pulumi.runtime.MockResourceArgs,
  ):
    | { id: string | undefined; state: Record<string, unknown> }
    | Promise<{ id: string | undefined; state: Record<string, unknown> }> {
    const recorded = this.record(args);
    if (!args.custom) return { id: undefined, state: args.inputs };
    return this.inventOutputs(recorded);
  }

  /** Made-up ids go on past `id` (one a run before this one made up): none is made up twice. */
  protected inventAfter(id: string): void {
    const n = Number(id) - 410000000;
    if (Number.isInteger(n) && n > this.counter) this.counter = n;
  }

  /** Realistic made-up values for what a provider computes (ids, addresses, digests). */
  protected inventOutputs(recorded: RecordedResource): {
    id: string;
    state: Record<string, unknown>;
  } {
    const n = ++this.counter;
    this.producing = { key: `${recorded.type}::${recorded.name}`, field: "id" };
    const id = this.remember(String(410000000 + n), "id");
    recorded.id = id;
    recorded.outputs = {
      ...recorded.inputs,
      ...this.computedState(recorded.type, recorded.name, recorded.inputs, n),
    };
    return { id, state: recorded.outputs };
  }

  call(args: pulumi.runtime.MockCallArgs): Record<string, unknown> {
    if (args.token === PROVIDER_FUNCTIONS.getDroplets) {
      const filters = args.inputs.filters as Parameters<typeof lookUpDroplets>[1];
      return { droplets: lookUpDroplets(this.existingDroplets, filters) };
    }
    if (args.token === PROVIDER_FUNCTIONS.getDatabaseCluster) {
      // A review stack's base cluster, as DigitalOcean describes it (read at preview: known).
      const name = String(args.inputs.name);
      const host = `private-${name}.db.ondigitalocean.com`;
      return {
        id: `cluster-${digest(name).slice(0, 8)}`,
        name,
        privateHost: host,
        port: 25060,
        privateUri: `rediss://default:${digest(name).slice(0, 16)}@${host}:25061`,
        user: "doadmin",
        password: `doadmin-${digest(name).slice(0, 16)}`,
      };
    }
    throw new Error(
      `unexpected provider call ${args.token}: stub it in tools/plan/recordingMocks.ts`,
    );
  }

  /** The recorded resource of this type and name. */
  find(type: string, name: string): RecordedResource | undefined {
    return this.byKey.get(`${type}::${name}`);
  }

  ofType(type: string): RecordedResource[] {
    return this.resources.filter((r) => r.type === type);
  }

  private remember(value: string, field?: string): string {
    this.computed.add(value);
    this.producers.set(value, { key: this.producing.key, field: field ?? "computed" });
    return value;
  }

  /**
   * A value a provider computed for `key`'s `field` (the local cloud's real ones), so a state of
   * this run tokenizes it as a plan's. The first field to give a value names it (a local droplet's
   * private address is its public one).
   */
  protected produced(value: string, key: string, field: string): void {
    if (value === "" || this.producers.has(value)) return;
    this.computed.add(value);
    this.producers.set(value, { key, field });
  }

  private computedState(
    type: string,
    name: string,
    inputs: Record<string, unknown>,
    n: number,
  ): Record<string, unknown> {
    switch (type) {
      case T.droplet:
        return {
          ipv4Address: this.remember(`203.0.113.${n}`, "ipv4Address"),
          ipv4AddressPrivate: this.remember(`10.110.0.${n}`, "ipv4AddressPrivate"),
          dropletUrn: this.remember(`do:droplet:${410000000 + n}`, "dropletUrn"),
          status: "active",
          // What the provider keeps of the user data it booted with: its hash.
          userData: userDataHash(String(revealSecrets(inputs.userData))),
        };
      case T.reservedIp:
        return { ipAddress: this.remember(`198.51.100.${n}`, "ipAddress") };
      case T.loadBalancer:
        return {
          ip: this.remember(`192.0.2.${n}`, "ip"),
          urn: this.remember(`do:loadbalancer:${n}`, "urn"),
        };
      case T.dnsRecord: {
        const host = inputs.name === "@" ? "" : `${inputs.name}.`;
        return { fqdn: `${host}${inputs.domain}` };
      }
      case T.registryCredentials: {
        const auth = Buffer.from(
          this.remember(`token-${digest(name).slice(0, 24)}`) +
            ":" +
            this.remember(`token-${digest(name).slice(24, 48)}`),
        ).toString("base64");
        // The whole JSON too: a droplet's pull login takes it as it is.
        return {
          dockerCredentials: this.remember(
            JSON.stringify({ auths: { "registry.digitalocean.com": { auth } } }),
            "dockerCredentials",
          ),
        };
      }
      case T.image: {
        const imageName = String(inputs.imageName);
        const repository = imageName.replace(/:[^/:]+$/, "");
        return {
          repoDigest: `${repository}@sha256:${this.remember(digest(imageName), "repoDigest")}`,
        };
      }
      case T.databaseCluster: {
        const host = this.remember(`private-${inputs.name}.db.ondigitalocean.com`, "privateHost");
        const password = this.remember(`doadmin-${digest(name).slice(0, 16)}`, "password");
        const port = inputs.engine === "valkey" ? 25061 : 25060;
        const scheme = inputs.engine === "valkey" ? "rediss://default" : "postgresql://doadmin";
        return {
          privateHost: host,
          port,
          user: inputs.engine === "valkey" ? "default" : "doadmin",
          password: secretWrapper(password),
          privateUri: secretWrapper(
            this.remember(`${scheme}:${password}@${host}:${port}`, "privateUri"),
          ),
        };
      }
      case T.databaseUser:
        return {
          password: secretWrapper(this.remember(`pw-${digest(name).slice(0, 16)}`, "password")),
        };
      case T.hostKey:
        return inventedHostKey(name, (value, field) => this.remember(value, field));
      case T.command:
      case T.localCommand:
        return { stdout: "", stderr: "" };
      default:
        return {};
    }
  }
}
