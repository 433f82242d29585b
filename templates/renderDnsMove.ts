/**
 * The scripts that order a DNS move (components/DnsRecords.ts): they run where `pulumi up` runs
 * (pulumi-command's local.Command), with the addresses, known only once created, as environment.
 */
import { renderTemplate } from "./render";

export interface WaitForAddressView {
  /** What is asked, e.g. `https://api.example.com/health`: its host is resolved to `$ADDRESS`. */
  readonly url: string;
  /** Answers in a row that count as ready: behind a balancer, more than one per droplet. */
  readonly successes: number;
  readonly intervalSeconds: number;
  /** Tries before giving up (and failing the `up` with DNS where it was). */
  readonly maxTries: number;
}

/** Waits until `$ADDRESS` answers `url` `successes` times in a row. */
export function renderWaitForAddress(view: WaitForAddressView): string {
  const url = new URL(view.url);
  const port = url.port || (url.protocol === "https:" ? "443" : "80");
  return renderTemplate("wait-for-address.sh.mustache", { ...view, host: url.hostname, port });
}

/** Prints `$ADDRESSES $TTL`; on a run after the addresses changed, first waits the old TTL. */
export function renderDnsDrain(): string {
  return renderTemplate("dns-drain.sh.mustache", {});
}
