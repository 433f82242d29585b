/** What the local cloud's tests share: the CLI, a client's or a droplet's command, waiting. */
import { cli } from "./sandboxHelpers";

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

/** The HTTP status a visitor gets for `url` (`000`: no answer). */
export const visitorStatus = (stack: string, url: string) =>
  runAs(stack, "visitor", "curl", "-s", "-o", "/dev/null", "-w", "%{http_code}", "-m", "5", url)
    .stdout;

export const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Waits until `check` holds, polling each second, up to `seconds`; its last answer. */
export async function eventually(check: () => boolean, seconds: number): Promise<boolean> {
  for (let i = 0; i < seconds; i++) {
    if (check()) return true;
    await sleep(1000);
  }
  return check();
}
