/**
 * Config edits as the local cloud applies them under load, shared by the transition suite
 * (tests/integration/localCloudTransitions.test.ts) and `npm run bench -- --transitions`: the
 * edits users make to staging, in order, each a `local up` (a process of its own: the program
 * registers once per process) while wrk from the visitor's namespace keeps a steady load.
 */
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { parse, stringify } from "yaml";
import { readState } from "../localcloud/localState";
import { LoadFigures, startVisitorLoad } from "../localcloud/visitorLoad";
import { stackFilePath } from "../plan/stackFiles";
import { CLI, PROJECT, TSX } from "../shared/projectPaths";
import { runAsync } from "../shared/runCommand";

/** One edit: dotted paths (`app.release`) from the committed staging file, the earlier ones kept. */
export interface StagingEdit {
  readonly name: string;
  readonly edits: Readonly<Record<string, unknown>>;
  /**
   * DigitalOcean powers the droplets off for it. `alone`: one droplet, so requests fail meanwhile
   * (the plan says so first); `in halves`: behind the balancer, each out of its rotation meanwhile.
   */
  readonly powersOff?: "alone" | "in halves";
  /**
   * What the plan says before any step of an edit that fails requests with no way around it in
   * one `up` (the README's "Changing a stack safely" has the runbook): the cost is measured.
   */
  readonly paid?: RegExp;
  /** Runs no script over SSH (only DigitalOcean's API and where `pulumi up` runs). */
  readonly runsNoRemoteScript?: boolean;
  /**
   * The load follows DNS, as a client honouring the TTL does (wrk anew every 5 s), where the edit
   * moves DNS: a client that never resolves again is turned away once the old TTL has passed.
   */
  readonly followsDns?: boolean;
}

const kept = { "app.env": { LOG_LEVEL: "debug" } };
const keptToo = { ...kept, "proxy.clientMaxBodySize": "20m" };
const keptAll = { ...keptToo, "app.port": 8090 };
const resized = { ...keptAll, "droplet.size": "s-2vcpu-4gb", dnsTtl: 30 };

/** The edits in the order they are applied, each from the state the one before left. */
export const STAGING_EDITS: readonly StagingEdit[] = [
  { name: "app.release forward", edits: { "app.release": "v0.2.0" } },
  { name: "app.release back (a rollback)", edits: {} },
  { name: "app.env", edits: kept },
  { name: "proxy.clientMaxBodySize", edits: keptToo },
  { name: "app.port", edits: keptAll },
  { name: "hosts: one added", edits: { ...keptAll, hosts: ["api.staging", "www.staging"] } },
  { name: "hosts: one removed", edits: keptAll },
  {
    name: "droplet.size",
    edits: { ...keptAll, "droplet.size": "s-2vcpu-4gb" },
    powersOff: "alone",
    paid: /powers the droplet off to resize it/,
    // Then a release: the containers' limits are a share of the new size (app.container).
  },
  // The runbook's step before a move: resolvers follow it within 30 s instead of 300.
  { name: "dnsTtl 300 → 30", edits: resized, runsNoRemoteScript: true },
  { name: "droplet.count 1 → 3", edits: { ...resized, "droplet.count": 3 }, followsDns: true },
  {
    name: "droplet.size behind the balancer",
    edits: { ...resized, "droplet.count": 3, "droplet.size": "s-4vcpu-8gb" },
    powersOff: "in halves",
  },
  {
    name: "droplet.count 3 → 1",
    edits: { ...resized, "droplet.size": "s-4vcpu-8gb" },
    followsDns: true,
  },
  // The load asks the old name, which the site stops serving (the new one is asked after).
  {
    name: "domain",
    edits: { ...resized, "droplet.size": "s-4vcpu-8gb", domain: "example.net" },
    paid: /clients of the old name fail from the site's change on/,
  },
];

/** The host the load asks, which every edit but `domain` keeps. */
export const STAGING_HOST = "api.staging.example.com";

/** The host staging serves after `edit`. */
export const stagingHostAfter = (edit: StagingEdit) =>
  `api.staging.${String(edit.edits.domain ?? "example.com")}`;

/** Writes staging's file with `edits` for `stack` into a fresh directory; its path. */
export const writeEditedStaging = (stack: string, edits: Readonly<Record<string, unknown>>) =>
  writeEditedStack("staging", stack, edits);

/** Writes the committed `base` stack's file with `edits` for `stack` into a fresh directory. */
export function writeEditedStack(
  base: string,
  stack: string,
  edits: Readonly<Record<string, unknown>>,
) {
  const file = parse(readFileSync(stackFilePath(base), "utf8"));
  for (const [dotted, value] of Object.entries(edits)) {
    const [section, ...rest] = dotted.split(".");
    const key = `${PROJECT}:${section}`;
    if (rest.length === 0) file.config[key] = value;
    else file.config[key] = { ...file.config[key], [rest.join(".")]: value };
  }
  const out = path.join(mkdtempSync(path.join(os.tmpdir(), "edit-")), `Pulumi.${stack}.yaml`);
  writeFileSync(out, stringify(file));
  return out;
}

export interface TransitionRun {
  readonly status: number;
  readonly stderr: string;
  readonly load: LoadFigures;
}

/** `local up` of `configFile` while wrk asks `url` from the visitor (from 2 s before to the end). */
export async function transitionUnderLoad(
  stack: string,
  configFile: string,
  options: { url?: string; followsDns?: boolean } = {},
): Promise<TransitionRun> {
  if (!readState(stack)?.complete) throw new Error(`${stack} is not up in the local cloud`);
  const load = startVisitorLoad(stack, options.url ?? `https://${STAGING_HOST}/health`, {
    connections: 20,
    resolveEverySeconds: options.followsDns ? 5 : undefined,
  });
  let up;
  try {
    await sleep(2000);
    up = await runAsync(TSX, [CLI, "local", "up", "--stack", stack, "--config", configFile]);
  } finally {
    await load.stop().catch(() => undefined);
  }
  return { status: up.status, stderr: up.stderr, load: await load.done };
}
