/**
 * How secrets look to Pulumi's mock runtime: a secret input arrives wrapped in an object keyed by
 * Pulumi's secret signature, with the plain value inside.
 */
import { SECRET_MASK } from "../../config";

/** What a secret looks like in everything the plan prints or writes. */
export { SECRET_MASK };
export const SECRET_SIGNATURE_KEY = "4dabf18193072939515e22adb298388d";
export const SECRET_SIGNATURE = "1b47061264138c4ac30d75fd1eb44270";

export function isSecretWrapper(value: unknown): value is { value: unknown } {
  return (
    typeof value === "object" &&
    value !== null &&
    (value as Record<string, unknown>)[SECRET_SIGNATURE_KEY] === SECRET_SIGNATURE
  );
}

/** `value` as a secret, the way the mock runtime carries one (a mock's output marked secret). */
export function secretWrapper<T>(value: T): { value: T } {
  return { [SECRET_SIGNATURE_KEY]: SECRET_SIGNATURE, value } as { value: T };
}

/** Deep copy with every secret replaced by `replace(plain)` (default: the mask). */
export function mapSecrets(
  value: unknown,
  replace: (plain: unknown) => unknown = () => SECRET_MASK,
): unknown {
  if (isSecretWrapper(value)) return replace(value.value);
  if (Array.isArray(value)) return value.map((item) => mapSecrets(item, replace));
  if (
    value !== null &&
    typeof value === "object" &&
    Object.getPrototypeOf(value) === Object.prototype
  ) {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, mapSecrets(v, replace)]));
  }
  return value;
}

/** Deep copy with secrets unwrapped to their plain values: for tests that inspect them. */
export function revealSecrets(value: unknown): unknown {
  return mapSecrets(value, (plain) => revealSecrets(plain));
}

export function containsSecret(value: unknown): boolean {
  if (isSecretWrapper(value)) return true;
  if (Array.isArray(value)) return value.some(containsSecret);
  if (value !== null && typeof value === "object") return Object.values(value).some(containsSecret);
  return false;
}
