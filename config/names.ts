/** How a host of the zone is named: in DNS, and inside resource names. */

/** The fully qualified name of a host: `@` is the zone's apex. */
export function fqdn(host: string, domain: string): string {
  return host === "@" ? domain : `${host}.${domain}`;
}

/** A resource-name-safe form of a host: `@` → `apex`, dots → dashes. */
export function hostSlug(host: string): string {
  return host === "@" ? "apex" : host.replace(/\./g, "-");
}
