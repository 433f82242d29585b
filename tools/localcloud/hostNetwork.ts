/**
 * The host's side of the local cloud: the shared services' address (apt proxy, registry) on the
 * host's loopback interface (these kernels may lack the dummy driver), which every stack's router
 * reaches over its own link.
 */
import { spawnSync } from "node:child_process";
import { runOrThrow } from "../shared/runCommand";
import { ADDRESSES } from "./localPaths";

const linkExists = (name: string, netns?: string) =>
  spawnSync("ip", [...(netns ? ["-n", netns] : []), "link", "show", name], { stdio: "ignore" })
    .status === 0;

/** `ip` in the host's namespace or in `netns`. */
export const ip = (args: string[], netns?: string) =>
  runOrThrow("ip", [...(netns ? ["-n", netns] : []), ...args]);

const hasServicesAddress = () =>
  ip(["-4", "-o", "addr", "show", "dev", "lo"]).includes(` ${ADDRESSES.services}/32 `);

export function ensureServicesAddress(): void {
  if (!hasServicesAddress()) ip(["addr", "add", `${ADDRESSES.services}/32`, "dev", "lo"]);
}

export function removeServicesAddress(): void {
  if (hasServicesAddress()) ip(["addr", "del", `${ADDRESSES.services}/32`, "dev", "lo"]);
}

export { linkExists };
