/** What the local cloud's tests share: the CLI, a client's or a droplet's command, waiting. */
import { setTimeout as sleep } from "node:timers/promises";
import { curlProbe } from "../../tools/localcloud/clients";
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
