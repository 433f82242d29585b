/**
 * An `app.port` edit as `pulumi up` applies it to a droplet, in a real sandbox under load: the
 * program pushes the release script and the upstreams' default for the new port (the site, which
 * names no API port, stays); the release starts the idle colour on its new port, points both
 * colours' upstreams at their new ports with the live one's old port as a backup, reloads nginx
 * once, waits for the reload to take, and only then switches. The next release moves the other
 * colour without a reload. (Before, the site moved both colours at once and answered 502 until
 * the release had run.)
 */
import { copyFileSync, mkdtempSync, readFileSync } from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { Sandbox } from "../../tools/sandbox/sandbox";
import { liveColour } from "../../tools/sandbox/sandboxRelease";
import { upstreamsDefaultFile, upstreamsFile } from "../../templates";
import {
  cli,
  derivedStackFile,
  freePort,
  LOAD_CONNECTIONS,
  releaseUnderLoad,
  startDetached,
  stopDetached,
} from "../helpers/sandboxHelpers";

const STACK = "porttest";
const HOST = "api.porttest.example.com";
const APP = { release: "v1", healthTimeoutSeconds: 6, drainSeconds: 2 };

let sandbox: Sandbox;
let oldPort: number;
let newPort: number;
beforeAll(async () => {
  oldPort = await freePort();
  newPort = await freePort();
  sandbox = startDetached(
    STACK,
    derivedStackFile(STACK, { ...APP, port: oldPort }),
    await freePort(),
  );
}, 120000);
afterAll(() => stopDetached(STACK));

const upstreams = () => readFileSync(path.join(sandbox.root, upstreamsFile("api")), "utf8");
const serverOf = (colour: string) =>
  new RegExp(`server 127\\.0\\.0\\.1:(\\d+) max_fails=0; # dropstack ${colour}$`, "m").exec(
    upstreams(),
  )![1];

/** What `pulumi up` pushes for the new app.port: the release script and the upstreams' default. */
function pushReleaseScriptFor(port: number): void {
  const out = mkdtempSync(path.join(os.tmpdir(), "port-plan-"));
  const file = derivedStackFile(STACK, { ...APP, port });
  const plan = cli(["plan", "--stack", STACK, "--config", file, "--out", out]);
  if (plan.status !== 0) throw new Error(plan.stderr);
  copyFileSync(path.join(out, `${STACK}-web-1`, "bin", "api-release"), sandbox.releaseScript);
  copyFileSync(
    path.join(out, `${STACK}-web-1`, "nginx", "api-upstreams.default.conf"),
    path.join(sandbox.root, upstreamsDefaultFile("api")),
  );
}

async function released(release: string) {
  const { load, work } = await releaseUnderLoad(sandbox, HOST, { release });
  console.log(
    `app.port release ${release}: ${load.failed} failed (non-2xx ${load.non2xx}, errors ${load.errors}, timeouts ${load.timeouts}) of ${load.requests} in ${load.seconds.toFixed(1)} s`,
  );
  // A rare non-2xx seen once under CI's load (1 of 110,761, not again in six runs since): when it
  // comes, show what nginx answered and why, and the release's own output, to find its cause.
  if (load.non2xx > 0) console.log(nginxTrouble(), "\nrelease:\n", work.output);
  return { load, work };
}

/** nginx's answers other than 2xx and 499 (the load's own closing), and its error log. */
function nginxTrouble(): string {
  const logs = path.join(sandbox.runDir, "logs");
  const read = (file: string) => readFileSync(path.join(logs, file), "utf8").split("\n");
  const answers = read("nginx-access.log").filter((line) =>
    / "\w+ [^"]*" (?!2\d\d|499)\d{3} /.test(line),
  );
  return `nginx answered:\n${answers.slice(-20).join("\n")}\nnginx error log:\n${read("nginx-error.log").slice(-40).join("\n")}`;
}

test("one reload before the switch points both colours at their new ports, the live one's old port kept as a backup; no request fails", async () => {
  const live = liveColour(sandbox);
  const idle = live === "blue" ? "green" : "blue";
  const port = (colour: string, base: number) => String(colour === "blue" ? base : base + 1);
  expect(serverOf(live)).toBe(port(live, oldPort));
  pushReleaseScriptFor(newPort);
  const { load, work } = await released("v2");
  expect(work.code).toBe(0);
  expect(work.output).toContain("app.port changed; nginx reloaded once");
  expect(liveColour(sandbox)).toBe(idle);
  expect(serverOf("blue")).toBe(String(newPort));
  expect(serverOf("green")).toBe(String(newPort + 1));
  expect(upstreams()).toContain(
    `server 127.0.0.1:${port(live, oldPort)} backup; # dropstack ${live} until released again`,
  );
  expect(load.requests).toBeGreaterThan(1000);
  // No request is answered with an error or times out. The one reload can reset a client's
  // keepalive connection whose next request raced nginx closing it as the old workers shut down,
  // each connection once at most (measured: none in most runs, up to 9 of about 120,000 alone and
  // 32 beside a local-cloud up); a client that retries an idempotent request on a reset, as
  // browsers do, never sees it. More resets than connections would be something else.
  expect(load.non2xx).toBe(0);
  expect(load.timeouts).toBe(0);
  expect(load.errors).toBeLessThanOrEqual(LOAD_CONNECTIONS);
}, 120000);

test("the next release starts the other colour on its new port without a reload, 0 requests failing", async () => {
  const idle = liveColour(sandbox) === "blue" ? "green" : "blue";
  const { load, work } = await released("v3");
  expect(work.code).toBe(0);
  expect(work.output).not.toContain("nginx reloaded");
  expect(work.output).toContain(
    `starting ${idle} with v3 on 127.0.0.1:${idle === "blue" ? newPort : newPort + 1}`,
  );
  expect(liveColour(sandbox)).toBe(idle);
  expect(load.failed).toBe(0);
}, 120000);
