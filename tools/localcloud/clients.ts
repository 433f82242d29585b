/**
 * The two clients "on the internet" of a stack: the visitor, outside every narrow
 * `firewall.sshSourceAddresses` list, and the operator, inside it and holding the stack's SSH key
 * (its ssh_config names the key, so `ssh deploy@<address>` works from it as from a laptop).
 */
import { mkdirSync, writeFileSync } from "node:fs";
import * as path from "node:path";
import { ADDRESSES } from "./localPaths";
import type { LocalState } from "./localState";
import { addClient } from "./stackNetwork";

/**
 * curl's argv that prints only what `format` asks of the answer (default: the HTTP status, `000`
 * for no answer), giving up after `seconds`: how the bench and the tests probe from a client.
 */
export function curlProbe(url: string, format = "%{http_code}", seconds = 5): string[] {
  return ["curl", "-s", "-o", "/dev/null", "-w", format, "-m", String(seconds), url];
}

/** An address inside the first IPv4 CIDR of `sshSourceAddresses` (the network's tenth host). */
export function operatorAddress(sshSourceAddresses: readonly string[]): string {
  const cidr = sshSourceAddresses.find((c) => !c.includes(":") && !c.startsWith("0.0.0.0/"));
  if (!cidr) return `${ADDRESSES.visitor.replace(/\.\d+$/, "")}.201`;
  const [base, bits = "32"] = cidr.split("/");
  if (Number(bits) >= 31) return base;
  const octets = base.split(".").map(Number);
  const value = ((octets[0] << 24) | (octets[1] << 16) | (octets[2] << 8) | octets[3]) >>> 0;
  const mask = Number(bits) === 0 ? 0 : (~0 << (32 - Number(bits))) >>> 0;
  const host = ((value & mask) + 10) >>> 0;
  return [host >>> 24, (host >>> 16) & 255, (host >>> 8) & 255, host & 255].join(".");
}

/** Makes both clients' namespaces; the operator's ssh uses the stack's key. */
export function prepareClients(state: LocalState): void {
  addClient(state.index, "visitor", state.visitorAddress);
  const operator = addClient(state.index, "operator", state.operatorAddress);
  // `ip netns exec` binds /etc/netns/<ns>/ssh over /etc/ssh, for this client only.
  const ssh = path.join("/etc/netns", operator, "ssh");
  mkdirSync(ssh, { recursive: true });
  writeFileSync(
    path.join(ssh, "ssh_config"),
    [
      "# dropstack local cloud: the operator's machine, holding the stack's key.",
      "Host *",
      `    IdentityFile ${state.keyFile}`,
      "    IdentitiesOnly yes",
      "    StrictHostKeyChecking no",
      "    UserKnownHostsFile /dev/null",
      "    LogLevel ERROR",
      "",
    ].join("\n"),
  );
}
