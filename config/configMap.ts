/**
 * Pulumi's config map as a program sees it: `dropstack:<key>` → a string, where objects, lists,
 * numbers and booleans arrive as their JSON text. The one place that encodes and decodes it.
 */
import { NAMESPACE } from "./errors";

/** `key` → `dropstack:key`; a key already qualified (`digitalocean:token`) stays as it is. */
export function qualifiedKey(key: string): string {
  return key.includes(":") ? key : `${NAMESPACE}:${key}`;
}

/** A config value's text as the value it stands for: JSON where it parses, the text otherwise. */
export function decodeConfigValue(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}

/** A value as Pulumi passes it: strings as they are, everything else as JSON text. */
export function encodeConfigValue(value: unknown): string {
  return typeof value === "string" ? value : JSON.stringify(value);
}
