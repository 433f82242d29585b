/**
 * Reads config the way the Pulumi CLI hands it to the program: `Pulumi.yaml` project defaults,
 * overridden by `Pulumi.<stack>.yaml`. `secure:` values are decrypted for a passphrase stack given
 * its passphrase; without it (or with a KMS or Pulumi Cloud key) they become placeholders. Either
 * way they are secret everywhere.
 */
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { parse, stringify } from "yaml";
import {
  DEFAULT_REVIEW_TTL_DAYS,
  REVIEW_BASE_STACK,
  deriveReviewConfig,
  encodeConfigValue,
  qualifiedKey,
  reviewPullRequest,
  reviewStackName,
} from "../../config";
import { UserError } from "../shared/errors";
import { PROJECT, PROJECT_DIR } from "../shared/projectPaths";
import { SECRET_MASK } from "./mockSecrets";
import { Decrypter, configPassphrase, passphraseDecrypter } from "./passphraseSecrets";

/** Stands in for an encrypted SSH key: shaped like one, so validation passes, and masked. */
export const PLACEHOLDER_PRIVATE_KEY =
  "-----BEGIN OPENSSH PRIVATE KEY-----\n[placeholder: the offline plan never sees the real key]\n-----END OPENSSH PRIVATE KEY-----\n";

export interface StackConfigMap {
  /** `dropstack:key` → the string Pulumi passes (JSON text for objects, lists, numbers). */
  readonly config: Record<string, string>;
  /** Keys holding secrets. */
  readonly secretKeys: string[];
  /** What the plan filled in, for a note to the user. */
  readonly notes: string[];
}

const isSecure = (v: unknown): v is { secure: string } =>
  typeof v === "object" && v !== null && !Array.isArray(v) && "secure" in v;

/**
 * Replaces `secure:` values (at any depth) with their plain text when `decrypter` is given, else
 * with a placeholder; reports whether any was found.
 */
function withPlaceholders(
  key: string,
  value: unknown,
  decrypter?: Decrypter,
): { value: unknown; secret: boolean } {
  if (isSecure(value)) {
    const placeholder = key === `${PROJECT}:sshPrivateKey` ? PLACEHOLDER_PRIVATE_KEY : SECRET_MASK;
    return { value: decrypter ? decrypter.decrypt(value.secure) : placeholder, secret: true };
  }
  if (Array.isArray(value)) {
    const items = value.map((item) => withPlaceholders(key, item, decrypter));
    return { value: items.map((i) => i.value), secret: items.some((i) => i.secret) };
  }
  if (typeof value === "object" && value !== null) {
    const entries = Object.entries(value).map(
      ([k, v]) => [k, withPlaceholders(key, v, decrypter)] as const,
    );
    return {
      value: Object.fromEntries(entries.map(([k, v]) => [k, v.value])),
      secret: entries.some(([, v]) => v.secret),
    };
  }
  return { value, secret: false };
}

/** Project-level defaults from `Pulumi.yaml` (`key: {default: ...}` or a short `key: value`). */
export function projectDefaults(
  projectFile = path.join(PROJECT_DIR, "Pulumi.yaml"),
): Record<string, string> {
  const project = parse(readFileSync(projectFile, "utf8")) as { config?: Record<string, unknown> };
  const defaults: Record<string, string> = {};
  for (const [key, declared] of Object.entries(project.config ?? {})) {
    const isDeclaration =
      typeof declared === "object" &&
      declared !== null &&
      !Array.isArray(declared) &&
      ("type" in declared || "default" in declared || "description" in declared);
    const value = isDeclaration ? (declared as { default?: unknown }).default : declared;
    if (value !== undefined) defaults[qualifiedKey(key)] = encodeConfigValue(value);
  }
  return defaults;
}

export function stackFilePath(stack: string): string {
  return path.join(PROJECT_DIR, `Pulumi.${stack}.yaml`);
}

/**
 * Just the values a stack file sets, without project defaults: secure ones decrypted when the
 * stack uses a passphrase and the user gives it as to the Pulumi CLI, else as placeholders.
 */
export function readStackFileValues(stackFile: string): {
  config: Record<string, string>;
  secretKeys: string[];
  /** The secure values are their plain text (the passphrase was given). */
  decrypted: boolean;
} {
  if (!existsSync(stackFile)) throw new UserError(`no stack config file at ${stackFile}`);
  const parsed = (parse(readFileSync(stackFile, "utf8")) ?? {}) as {
    config?: Record<string, unknown>;
    encryptionsalt?: string;
  };
  const passphrase = configPassphrase();
  const decrypter =
    parsed.encryptionsalt !== undefined && passphrase !== undefined
      ? passphraseDecrypter(parsed.encryptionsalt, passphrase, path.basename(stackFile))
      : undefined;
  const config: Record<string, string> = {};
  const secretKeys: string[] = [];
  for (const [rawKey, rawValue] of Object.entries(parsed.config ?? {})) {
    const key = qualifiedKey(rawKey);
    const { value, secret } = withPlaceholders(key, rawValue, decrypter);
    config[key] = encodeConfigValue(value);
    if (secret) secretKeys.push(key);
  }
  return { config, secretKeys, decrypted: decrypter !== undefined };
}

/** The config a stack's program sees: project defaults, then the stack file on top. */
export function readStackConfig(stackFile: string, projectFile?: string): StackConfigMap {
  const values = readStackFileValues(stackFile);
  const config = { ...projectDefaults(projectFile), ...values.config };
  const secretKeys = [...values.secretKeys];
  const notes: string[] = [];
  const keyName = `${PROJECT}:sshPrivateKey`;
  if (!(keyName in config)) {
    config[keyName] = PLACEHOLDER_PRIVATE_KEY;
    secretKeys.push(keyName);
    notes.push(
      `${keyName} is not set in ${path.basename(stackFile)}: using a placeholder (pulumi up needs the real key)`,
    );
  }
  if (values.secretKeys.length > 0 && !values.decrypted) {
    notes.push(
      `secure values are not decrypted offline: they are shown as ${SECRET_MASK} (a passphrase stack's are, given PULUMI_CONFIG_PASSPHRASE)`,
    );
  }
  return { config, secretKeys, notes };
}

/**
 * The config of any stack by name: its stack file, or `--config <file>`; a `review-pr-<N>` stack
 * is derived from its base stack, with its own stack file (if any) on top.
 */
export function stackConfigFor(
  stack: string,
  configFile?: string,
  now = new Date(),
): StackConfigMap {
  if (configFile) return readStackConfig(configFile);
  const pr = reviewPullRequest(stack);
  if (pr === undefined) return readStackConfig(stackFilePath(stack));
  const base = readStackConfig(stackFilePath(REVIEW_BASE_STACK));
  const review = reviewStackConfig(pr, base.config, { now });
  return {
    config: review.config,
    secretKeys: [...new Set([...base.secretKeys, ...review.ownSecretKeys])],
    notes: [...base.notes, `${stack}: ${review.derivedFrom(REVIEW_BASE_STACK)}`],
  };
}

/** A review stack's config, derived from its base stack's, with its own stack file on top. */
export interface ReviewStackConfig {
  readonly config: Record<string, string>;
  /** `Pulumi.review-pr-<N>.yaml`, when it exists: its values override the derived ones. */
  readonly ownFile?: string;
  /** Keys the own stack file holds as secrets. */
  readonly ownSecretKeys: string[];
  /** The own file's secure values are placeholders (not decrypted: no passphrase given). */
  readonly ownPlaceholders: boolean;
  /** "config derived from <base> [with <own file> on top]", for the user. */
  readonly derivedFrom: (base: string) => string;
}

/**
 * The one derivation of `review-pr-<N>`'s config from its base stack's config map, for the offline
 * plan (the base from its stack file) and for `review up` (the base from the backend).
 */
export function reviewStackConfig(
  pr: number,
  base: Record<string, string>,
  options: { now: Date; ttlDays?: number },
): ReviewStackConfig {
  const ownFile = stackFilePath(reviewStackName(pr));
  const own = existsSync(ownFile) ? readStackFileValues(ownFile) : undefined;
  return {
    config: deriveReviewConfig(base, {
      pr,
      now: options.now,
      ttlDays: options.ttlDays ?? DEFAULT_REVIEW_TTL_DAYS,
      overrides: own?.config,
    }),
    ownFile: own && ownFile,
    ownSecretKeys: own?.secretKeys ?? [],
    ownPlaceholders: own !== undefined && own.secretKeys.length > 0 && !own.decrypted,
    derivedFrom: (baseStack) =>
      `config derived from ${baseStack}${own ? ` with ${path.basename(ownFile)} on top` : ""}`,
  };
}

export interface DerivedStackFile {
  readonly stack: string;
  /** Merged into dev's `dropstack:app`. */
  readonly app?: Record<string, unknown>;
  /** Merged into dev's `dropstack:droplet`. */
  readonly droplet?: Record<string, unknown>;
  /** Whole top-level keys to set (`dropstack:proxy`, ...). */
  readonly extra?: Record<string, unknown>;
}

/**
 * Writes a `Pulumi.<stack>.yaml` derived from the dev stack, with the one host `api.<stack>`, to
 * a fresh temporary directory: the tests and the bench run sandboxes of their own from these.
 */
export function writeDerivedStackFile(options: DerivedStackFile): string {
  const dev = parse(readFileSync(stackFilePath("dev"), "utf8"));
  dev.config[`${PROJECT}:hosts`] = [`api.${options.stack}`];
  Object.assign(dev.config[`${PROJECT}:app`], options.app);
  Object.assign(dev.config[`${PROJECT}:droplet`], options.droplet);
  Object.assign(dev.config, options.extra);
  const file = path.join(
    mkdtempSync(path.join(os.tmpdir(), "stack-")),
    `Pulumi.${options.stack}.yaml`,
  );
  writeFileSync(file, stringify(dev));
  return file;
}
