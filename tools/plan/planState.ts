/**
 * What was last applied, per resource, in one shape for both sources a transition starts from:
 * a plan of the old config (the offline plan under the recording mocks), or a real stack's
 * `pulumi stack export` JSON. Values a provider computed (ids, addresses, digests) are replaced by
 * tokens naming their producer (`«Droplet::staging-web-1.ipv4Address»`), so two states compare by
 * what a value *is*, not by the number a mock or DigitalOcean gave it.
 */
import { registryLogin } from "../../components/ApiImage";
import { contentHash } from "../../components/RemoteFile";
import { RESOURCE_TYPES as T } from "../../components/resourceTypes";
import type { PlanResult } from "./runPlan";
import { createHash } from "node:crypto";
import {
  isSecretWrapper,
  mapSecrets,
  revealSecrets,
  SECRET_SIGNATURE,
  SECRET_SIGNATURE_KEY,
} from "./mockSecrets";
import { Decrypter, passphraseDecrypter } from "./passphraseSecrets";
import { nameOfUrn, type ResourceOptions } from "./recordingMocks";
import { UserError } from "../shared/errors";

export interface StateResource {
  /** `<type>::<name>`: unique in this program (every name carries its parent's). */
  readonly key: string;
  readonly type: string;
  readonly name: string;
  readonly custom: boolean;
  /** Inputs with computed values tokenized and secrets as digests (never their values). */
  readonly inputs: Record<string, unknown>;
  /** Input keys that were secret (their values are masked when printed). */
  readonly secretInputs: string[];
  readonly protect: boolean;
  /** Keys of the resources it depends on. */
  readonly dependencies: string[];
  readonly options: ResourceOptions;
}

export interface PlanState {
  readonly resources: StateResource[];
  /** What the state could not tell (encrypted secrets, for one), for a note to the user. */
  readonly notes: string[];
}

export const NO_OPTIONS: ResourceOptions = {
  deleteBeforeReplace: false,
  replaceOnChanges: [],
  ignoreChanges: [],
  aliases: [],
};

/** A token that stands for what `key`'s `field` output is. */
export const outputToken = (key: string, field: string) => `«${key}.${field}»`;
/** The key of the resource whose output `text` holds a token of, if any. */
export const TOKEN = /«([^«»]+?)\.([A-Za-z0-9_]+)»/g;

const keyOf = (type: string, name: string) => `${type}::${name}`;

/** Deep copy with every occurrence (also inside strings) of a computed value replaced. */
function tokenize(value: unknown, tokens: [string, string][]): unknown {
  if (typeof value === "number") {
    return tokens.find(([plain]) => plain === String(value))?.[1] ?? value;
  }
  if (typeof value === "string") {
    let text = value;
    for (const [plain, token] of tokens)
      if (text.includes(plain)) text = text.split(plain).join(token);
    return text;
  }
  if (Array.isArray(value)) return value.map((item) => tokenize(item, tokens));
  if (value !== null && typeof value === "object") {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, tokenize(v, tokens)]));
  }
  return value;
}

/**
 * A value a state keeps as a digest (`kind`: a secret, a hash the program took of a file): the
 * digest of its text with computed values tokenized first, so it compares as the rest does; with
 * the tokens it holds, so what it takes from is still seen. Unsalted, so two states compare: it
 * hides a strong secret, not a guessable one.
 */
function digestOf(kind: string, plain: unknown, tokens: [string, string][]): string {
  const text = JSON.stringify(tokenize(plain, tokens)) ?? "null";
  const digest = createHash("sha256").update(`dropstack-state\0${text}`).digest("hex").slice(0, 32);
  const taken = [...new Set(text.match(TOKEN) ?? [])];
  return `[${kind} sha256:${digest}${taken.length > 0 ? ` taking ${taken.join(" ")}` : ""}]`;
}

const hiddenSecret = (plain: unknown, tokens: [string, string][]) =>
  digestOf("secret", plain, tokens);

/**
 * A file's content hash (a RemoteFile's `triggers`, and the release's) over computed values is
 * DigitalOcean's value in one state and a made-up one in the other: it is kept as a digest of the
 * file with those values tokenized, so it changes exactly when the file does.
 */
function withContentHashes(
  tokens: Map<string, string>,
  stdins: readonly unknown[],
): [string, string][] {
  const ordered = byLength(tokens);
  for (const stdin of stdins) {
    if (typeof stdin === "string") {
      tokens.set(contentHash(stdin), digestOf("hash of a file", stdin, ordered));
    }
  }
  return byLength(tokens);
}

/** Longest first, so one value inside another (203.0.113.1 in 203.0.113.10) is never split. */
const byLength = (tokens: Map<string, string>) =>
  [...tokens.entries()].sort(([a], [b]) => b.length - a.length);

function secretKeysOf(inputs: Record<string, unknown>): string[] {
  return Object.entries(inputs)
    .filter(([, v]) => isSecretWrapper(v) || isEncrypted(v))
    .map(([k]) => k);
}

/** The state a plan describes: what `pulumi up` of its config would leave. */
export function stateOfPlan(plan: PlanResult): PlanState {
  const tokens = new Map<string, string>();
  for (const [value, producer] of plan.mocks.producers) {
    tokens.set(value, outputToken(producer.key, producer.field));
  }
  const ordered = withContentHashes(
    tokens,
    plan.resources.filter((r) => r.type === T.command).map((r) => revealSecrets(r.inputs.stdin)),
  );
  const byName = new Map(plan.resources.map((r) => [r.name, keyOf(r.type, r.name)]));
  return {
    notes: [],
    resources: plan.resources.map((r) => ({
      key: keyOf(r.type, r.name),
      type: r.type,
      name: r.name,
      custom: r.custom,
      inputs: tokenize(
        mapSecrets(r.inputs, (plain) => hiddenSecret(revealSecrets(plain), ordered)),
        ordered,
      ) as Record<string, unknown>,
      secretInputs: secretKeysOf(r.inputs),
      protect: r.protect,
      dependencies: r.dependsOn.flatMap((name) => byName.get(name) ?? []),
      options: r.options ?? NO_OPTIONS,
    })),
  };
}

interface ExportedResource {
  urn: string;
  type: string;
  custom?: boolean;
  id?: string;
  inputs?: Record<string, unknown>;
  outputs?: Record<string, unknown>;
  protect?: boolean;
  dependencies?: string[];
  deleteBeforeReplace?: boolean;
  aliases?: string[];
}

interface StackExport {
  deployment?: {
    resources?: ExportedResource[];
    secrets_providers?: { type?: string; state?: { salt?: string } };
  };
}

/** Whether `value` holds, anywhere, a secret of an export that is still encrypted. */
export const holdsEncrypted = (value: unknown): boolean =>
  JSON.stringify(value ?? null).includes('"ciphertext"');

function isEncrypted(value: unknown): value is { ciphertext: string } {
  return (
    typeof value === "object" &&
    value !== null &&
    (value as Record<string, unknown>)[SECRET_SIGNATURE_KEY] === SECRET_SIGNATURE &&
    typeof (value as Record<string, unknown>).ciphertext === "string"
  );
}

/**
 * Secrets of the export decrypted (a passphrase stack, given its passphrase) and hidden as a
 * state keeps them (`hide`), or left encrypted.
 */
function revealExported(
  value: unknown,
  decrypter: Decrypter | undefined,
  hide: (plain: unknown) => unknown,
): unknown {
  if (isEncrypted(value)) {
    return decrypter ? hide(JSON.parse(decrypter.decrypt(value.ciphertext))) : value;
  }
  if (isSecretWrapper(value)) return hide(revealExported(value.value, decrypter, (v) => v));
  if (Array.isArray(value)) return value.map((item) => revealExported(item, decrypter, hide));
  if (value !== null && typeof value === "object") {
    return Object.fromEntries(
      Object.entries(value).map(([k, v]) => [k, revealExported(v, decrypter, hide)]),
    );
  }
  return value;
}

/**
 * Outputs DigitalOcean computes that other resources of the program take (what the recording
 * mocks invent for a plan): tokenized in an export, and in the local cloud's state, so they
 * compare with a plan's.
 */
export const COMPUTED_OUTPUTS: Readonly<Record<string, readonly string[]>> = {
  [T.droplet]: ["ipv4Address", "ipv4AddressPrivate", "dropletUrn"],
  [T.reservedIp]: ["ipAddress"],
  [T.loadBalancer]: ["ip", "loadBalancerUrn"],
  [T.image]: ["repoDigest"],
  [T.registryCredentials]: ["dockerCredentials"],
  // The private key too, which the step giving it over takes (a decrypted export's is real).
  [T.hostKey]: ["publicKeyOpenssh", "privateKeyOpenssh"],
};

/**
 * The user and password inside a Docker config a registry handed out (what the recording mocks
 * make up as `computed`); none when it is not one.
 */
function registryLoginValues(dockerConfig: string): string[] {
  try {
    const server = Object.keys(JSON.parse(dockerConfig).auths ?? {})[0] ?? "";
    const { username, password } = registryLogin(dockerConfig, server);
    return [username, password].filter(Boolean);
  } catch {
    return [];
  }
}

/** A digest is the part after `@sha256:`, as a plan makes it up. */
const computedPart = (value: string) => {
  const at = value.indexOf("@sha256:");
  if (at >= 0) return value.slice(at + 8);
  // An OpenSSH public key line: its blob.
  const key = /^ssh-[\w-]+ (\S+)\s*$/.exec(value);
  return key ? key[1] : value;
};

/**
 * The values DigitalOcean computed for a resource of `type` that others take, each with the
 * output it stands for, as the recording mocks make them up: its COMPUTED_OUTPUTS (a digest's
 * hex alone, a public key's blob) and the login inside registry credentials (`computed`). For an
 * export and for the local cloud's state alike.
 */
export function computedValues(
  type: string,
  outputs: Record<string, unknown>,
): { value: string; field: string }[] {
  const values: { value: string; field: string }[] = [];
  for (const field of COMPUTED_OUTPUTS[type] ?? []) {
    // A secret output (a private key) as its plain value: what the inputs taking it hold.
    const output = outputs[field];
    const value = isSecretWrapper(output) ? output.value : output;
    if (typeof value === "string" && value !== "")
      values.push({ value: computedPart(value), field });
  }
  const credentials = outputs.dockerCredentials;
  if (type === T.registryCredentials && typeof credentials === "string") {
    for (const value of registryLoginValues(credentials)) values.push({ value, field: "computed" });
  }
  return values;
}

/**
 * The state of a real stack from `pulumi stack export`. Secrets of a passphrase stack are
 * decrypted given its passphrase; otherwise they stay encrypted and compare as unchanged (a note
 * says so): the export alone cannot tell whether a secret input changed.
 */
export function stateOfExport(json: string, file: string, passphrase?: string): PlanState {
  let parsed: StackExport;
  try {
    parsed = JSON.parse(json) as StackExport;
  } catch {
    throw new UserError(`${file}: not JSON (expected the output of pulumi stack export)`);
  }
  const resources = parsed.deployment?.resources;
  if (!Array.isArray(resources)) {
    throw new UserError(
      `${file}: no deployment.resources (expected the output of pulumi stack export)`,
    );
  }
  const provider = parsed.deployment?.secrets_providers;
  const decrypter =
    provider?.type === "passphrase" && provider.state?.salt && passphrase !== undefined
      ? passphraseDecrypter(provider.state.salt, passphrase, file)
      : undefined;
  // Pulumi's own resources (the stack, providers) are not the program's.
  const own = resources.filter(
    (r) => r.type !== "pulumi:pulumi:Stack" && !r.type.startsWith("pulumi:providers:"),
  );
  const byUrn = new Map(own.map((r) => [r.urn, keyOf(r.type, nameOfUrn(r.urn))]));
  const tokens = new Map<string, string>();
  for (const r of own) {
    const key = byUrn.get(r.urn)!;
    const inputs = Object.values(r.inputs ?? {});
    // An id that is also an input (a tag's or a certificate's is its name) stands for nothing new.
    if (r.custom && r.id && !inputs.includes(r.id)) tokens.set(r.id, outputToken(key, "id"));
    // Outputs decrypted where they can be (registry credentials are secret).
    const outputs = revealExported(r.outputs ?? {}, decrypter, (v) => v) as Record<string, unknown>;
    for (const { value, field } of computedValues(r.type, outputs)) {
      tokens.set(value, outputToken(key, field));
    }
  }
  const ordered = withContentHashes(
    tokens,
    own
      .filter((r) => r.type === T.command)
      .map((r) => revealExported(r.inputs?.stdin, decrypter, (v) => v)),
  );
  const encrypted = own.some((r) => holdsEncrypted(r.inputs));
  return {
    notes:
      encrypted && !decrypter
        ? [
            `${file}: its secrets are encrypted, so secret inputs compare as unchanged (a passphrase stack's are compared given PULUMI_CONFIG_PASSPHRASE)`,
          ]
        : [],
    resources: own.map((r) => {
      const inputs = r.inputs ?? {};
      return {
        key: byUrn.get(r.urn)!,
        type: r.type,
        name: nameOfUrn(r.urn),
        custom: r.custom ?? false,
        inputs: tokenize(
          revealExported(inputs, decrypter, (plain) => hiddenSecret(plain, ordered)),
          ordered,
        ) as Record<string, unknown>,
        secretInputs: secretKeysOf(inputs),
        protect: r.protect ?? false,
        dependencies: (r.dependencies ?? []).flatMap((urn) => byUrn.get(urn) ?? []),
        options: { ...NO_OPTIONS, deleteBeforeReplace: r.deleteBeforeReplace ?? false },
      };
    }),
  };
}
