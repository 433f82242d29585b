/**
 * Building Pulumi config maps in tests, the one way: values as a user writes them, edited by dotted
 * path, then encoded as Pulumi passes them to the program (config/configMap.ts).
 */
import { decodeConfigValue, encodeConfigValue, qualifiedKey } from "../../config";

/** Marks a key (top-level or nested) to be left out of the config. */
export const MISSING = Symbol("missing");

type Obj = Record<string, unknown>;

/** Sets `path` in `target`, making parent objects; MISSING (or undefined) removes the key. */
export function setPath(target: Obj, path: readonly string[], value: unknown): void {
  const remove = value === MISSING || value === undefined;
  const [head, ...rest] = path;
  if (rest.length === 0) {
    if (remove) delete target[head];
    else target[head] = value;
    return;
  }
  if (target[head] === undefined) {
    if (remove) return;
    target[head] = {};
  }
  const child = target[head];
  if (child === null || typeof child !== "object" || Array.isArray(child)) {
    throw new Error(`test helper: ${path.join(".")} has a non-object parent`);
  }
  setPath(child as Obj, rest, value);
}

/** What Pulumi passes a program: `dropstack:<key>` → strings as they are, the rest as JSON. */
export function toConfigMap(values: Obj): Record<string, string> {
  return Object.fromEntries(
    Object.entries(values).map(([key, value]) => [qualifiedKey(key), encodeConfigValue(value)]),
  );
}

/** A config map with dotted-path edits (`app.port`, `droplet.count`) applied. */
export function editConfigMap(
  config: Record<string, string>,
  edits: Record<string, unknown>,
): Record<string, string> {
  const edited = { ...config };
  for (const [dotted, value] of Object.entries(edits)) {
    const [top, ...rest] = dotted.split(".");
    const key = qualifiedKey(top);
    const values: Obj = {
      [top]: edited[key] === undefined ? undefined : decodeConfigValue(edited[key]),
    };
    setPath(values, [top, ...rest], value);
    delete edited[key];
    Object.assign(edited, toConfigMap(values));
  }
  return edited;
}
