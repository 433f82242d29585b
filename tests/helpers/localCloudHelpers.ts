/** What the local cloud's tests share: the CLI, a client's or a droplet's command, waiting. */
import { setTimeout as sleep } from "node:timers/promises";
import { curlProbe } from "../../tools/localcloud/clients";
import type { LoadFigures } from "../../tools/localcloud/visitorLoad";
import { cli } from "./sandboxHelpers";

export { sleep };

/** `npm run local -- <args>`, with time for a cold `up`. */
export const local = (...args: string[]) => cli(["local", ...args], { timeoutMs: 20 * 60 * 1000 });

/** A command from the stack's visitor (or operator) namespace. */
export const runAs = (stack: string, as: "visitor" | "operator", ...argv: string[]) =>
  local("run", "--stack", stack, "--as", as, "--", ...argv);

/** A root command on the stack's droplet `<stack>-web-<n>`. */
export const onDroplet = (stack: string, n: number, ...argv: string[]) =>
  local("exec", "--stack", stack, "--droplet", `${stack}-web-${n}`, "--", ...argv);

/** How many requests for `path` droplet `n`'s nginx has logged. */
export const servedBy = (stack: string, n: number, urlPath = "/echo") =>
  Number(
    onDroplet(
      stack,
      n,
      "sh",
      "-c",
      `grep -c 'GET ${urlPath}' /var/log/nginx/access.log || true`,
    ).stdout.trim(),
  );

/** What a visitor learns of `url`'s answer: its HTTP status (`000`: none), or `format`. */
export const visitorStatus = (stack: string, url: string, format?: string) =>
  runAs(stack, "visitor", ...curlProbe(url, format)).stdout;

/** The issuer and names of the certificate `host` presents to a visitor on 443. */
export const servedCertificate = (stack: string, host: string) =>
  runAs(
    stack,
    "visitor",
    "sh",
    "-c",
    `openssl s_client -connect ${host}:443 -servername ${host} </dev/null 2>/dev/null | openssl x509 -noout -issuer -fingerprint -sha256 -ext subjectAltName`,
  ).stdout;

/** Waits until `check` holds, polling each second, up to `seconds`; its last answer. */
export async function eventually(check: () => boolean, seconds: number): Promise<boolean> {
  for (let i = 0; i < seconds; i++) {
    if (check()) return true;
    await sleep(1000);
  }
  return check();
}

/** A transition's steps as sorted `action key` lines, to compare the taken with the predicted. */
export const stepSummary = (steps: readonly { action: string; key: string }[]) =>
  steps.map((s) => `${s.action} ${s.key}`).sort();

/**
 * No answer but 2xx, none refused, none unanswered. An nginx or HAProxy reload closes idle
 * keepalive connections, and a request sent on one as it closes is reset (wrk's read errors):
 * clients retry those (see "Changing a stack safely" in the README). At most 1 in 1,000.
 */
export function expectNoFailedRequest(load: LoadFigures): void {
  expect(load.non2xx).toBe(0);
  expect(load.socketErrors.connect).toBe(0);
  expect(load.socketErrors.timeout).toBe(0);
  expect(load.socketErrors.read + load.socketErrors.write).toBeLessThanOrEqual(
    load.requests / 1000,
  );
  expect(load.requests).toBeGreaterThan(1000);
}
