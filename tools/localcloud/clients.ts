/**
 * The two clients "on the internet" of a stack: the visitor, outside every narrow
 * `firewall.sshSourceAddresses` list, and the operator, inside it and holding the stack's SSH key
 * (its ssh_config names the key, so `ssh deploy@<address>` works from it as from a laptop).
 */
import { mkdirSync, writeFileSync } from "node:fs";
import * as path from "node:path";
import { UserError } from "../shared/errors";
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

const ipv4Value = (address: string) =>
  address
    .split(".")
    .map(Number)
    .reduce((value, octet) => ((value << 8) | octet) >>> 0, 0);
const ipv4Mask = (bits: number) => (bits === 0 ? 0 : (~0 << (32 - bits)) >>> 0);

/** An address inside the first IPv4 CIDR of `sshSourceAddresses` (the network's tenth host). */
export function operatorAddress(sshSourceAddresses: readonly string[]): string {
  const cidr = sshSourceAddresses.find((c) => !c.includes(":") && !c.startsWith("0.0.0.0/"));
  if (!cidr) return `${ADDRESSES.visitor.replace(/\.\d+$/, "")}.201`;
  const [base, bits = "32"] = cidr.split("/");
  if (Number(bits) >= 31) return base;
  const host = ((ipv4Value(base) & ipv4Mask(Number(bits))) + 10) >>> 0;
  return [host >>> 24, (host >>> 16) & 255, (host >>> 8) & 255, host & 255].join(".");
}

/**
 * The operator of `up --from-outside`, as a CI runner: an address no IPv4 CIDR of
 * `sshSourceAddresses` admits. Refused for a stack whose list admits it (SSH open to all, the
 * default): there would be nothing to show.
 */
export function outsideOperatorAddress(stack: string, sshSourceAddresses: readonly string[]) {
  const address = ADDRESSES.outsideOperator;
  const admits = sshSourceAddresses.filter((cidr) => {
    if (cidr.includes(":")) return false;
    const [base, bits = "32"] = cidr.split("/");
    const mask = ipv4Mask(Number(bits));
    return (ipv4Value(base) & mask) === (ipv4Value(address) & mask);
  });
  if (admits.length > 0) {
    throw new UserError(
      `--from-outside places the operator at ${address}, outside firewall.sshSourceAddresses, but ${stack}'s list admits it (${admits.join(", ")}): give the stack a narrow list`,
    );
  }
  return address;
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
