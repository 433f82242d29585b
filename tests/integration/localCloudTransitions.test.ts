/**
 * Config edits as transitions in the local cloud, each applied with `local up` while a visitor
 * keeps a steady load on the stack (wrk from the visitor's namespace, through the stack's DNS and
 * HTTPS with pebble's certificate): committed staging, then release forward and back, env,
 * clientMaxBodySize, app.port, a host added and removed, the droplet's size (tools/bench/
 * transitions.ts), then the domain. Each must take exactly the steps its `plan --diff` predicted, leave everything
 * else as it was (the droplet is never replaced), fail no request, and do what the edit says; the
 * resize of one droplet (DigitalOcean does it powered off) and the domain (the old names stop being
 * served) are said by the plan first and their cost measured.
 * Needs root (CI has it).
 */
import { readFileSync } from "node:fs";
import * as path from "node:path";
import {
  STAGING_EDITS,
  STAGING_HOST as HOST,
  transitionUnderLoad,
  writeEditedStaging,
} from "../../tools/bench/transitions";
import { curlProbe } from "../../tools/localcloud/clients";
import { ADDRESSES, stackDir } from "../../tools/localcloud/localPaths";
import type { LocalState } from "../../tools/localcloud/localState";
import {
  expectNoFailedRequest,
  local,
  onDroplet,
  runAs,
  servedCertificate,
  stepSummary,
  visitorStatus,
} from "../helpers/localCloudHelpers";

jest.setTimeout(30 * 60 * 1000);

const STACK = "lc-edit";
const state = (): LocalState =>
  JSON.parse(readFileSync(path.join(stackDir(STACK), "state.json"), "utf8"));
const version = () =>
  JSON.parse(runAs(STACK, "visitor", "curl", "-sS", "-m", "10", `https://${HOST}/version`).stdout);
/** The status of a 15 MB POST (over the committed 10m limit, under 20m). */
const bigPost = () =>
  runAs(
    STACK,
    "visitor",
    "sh",
    "-c",
    `head -c 15000000 /dev/zero | curl -s -o /dev/null -w '%{http_code}' -m 30 --data-binary @- https://${HOST}/echo`,
  ).stdout;

/** What each edit must have done, besides its steps and its load. */
const CHECKS: Record<string, () => void> = {
  "app.release forward": () => expect(version()).toEqual({ release: "v0.2.0" }),
  "app.release back (a rollback)": () => expect(version()).toEqual({ release: "v0.1.0" }),
  "app.env": () =>
    expect(onDroplet(STACK, 1, "cat", "/etc/dropstack/api.env").stdout).toContain(
      "LOG_LEVEL=debug",
    ),
  "proxy.clientMaxBodySize": () => expect(bigPost()).toBe("200"),
  // The live colour on its new port (8090 blue, 8091 green), nothing on the old ones.
  "app.port": () => {
    const listening = onDroplet(STACK, 1, "ss", "-ltnH").stdout;
    expect(listening).toMatch(/127\.0\.0\.1:809[01]\b/);
    expect(listening).not.toMatch(/:808[01]\b/);
  },
  "hosts: one added": () =>
    expect(visitorStatus(STACK, "https://www.staging.example.com/health")).toBe("200"),
  // Back after the power cycle with everything it enables at boot: nginx, supervisor, the API.
  "droplet.size": () => expect(visitorStatus(STACK, `https://${HOST}/health`)).toBe("200"),
  // The stack's DNS server answers with the new TTL.
  "dnsTtl 300 → 30": () => {
    const answer = runAs(
      STACK,
      "visitor",
      "kdig",
      `@${ADDRESSES.dns}`,
      "+noall",
      "+answer",
      HOST,
    ).stdout;
    expect(answer).toMatch(
      new RegExp(`^${HOST.replace(/\./g, "\\.")}\\.\\s+30\\s+IN\\s+A\\s`, "m"),
    );
  },
  // Three droplets behind the balancer: DNS names its address, and it answers over HTTPS; the
  // droplet's own address no longer answers 443 from the internet.
  "droplet.count 1 → 3": () => {
    const balancer = state().balancers[0];
    expect(state().droplets).toHaveLength(3);
    expect(state().dnsRecords.find((r) => r.name === "api.staging")?.value).toBe(balancer.address);
    expect(visitorStatus(STACK, `https://${HOST}/health`)).toBe("200");
    const reservedIp = state().reservedIps[0].address;
    expect(
      runAs(
        STACK,
        "visitor",
        ...curlProbe(`https://${HOST}/health`, "%{http_code}", 3),
        "--resolve",
        `${HOST}:443:${reservedIp}`,
      ).stdout,
    ).toBe("000");
  },
  // Back in the rotation, all three, each after its power cycle.
  "droplet.size behind the balancer": () => {
    expect(visitorStatus(STACK, `https://${HOST}/health`)).toBe("200");
    for (const n of [1, 2, 3]) {
      expect(onDroplet(STACK, n, "test", "-e", "/var/lib/dropstack/out-of-rotation").status).toBe(
        1,
      );
    }
  },
  // Back on one droplet: DNS at its reserved IP, certbot's certificate (verified), no balancer.
  "droplet.count 3 → 1": () => {
    expect(state().droplets.map((d) => d.name)).toEqual([`${STACK}-web-1`]);
    expect(state().balancers).toEqual([]);
    const reservedIp = state().reservedIps.find((ip) => ip.dropletId === dropletId)!.address;
    expect(state().dnsRecords.find((r) => r.name === "api.staging")?.value).toBe(reservedIp);
    expect(visitorStatus(STACK, `https://${HOST}/health`)).toBe("200");
    expect(visitorStatus(STACK, `http://${HOST}/health`)).toBe("301");
  },
  // The new name over verified HTTPS (certbot's certificate for it), the old one no more.
  domain: () => {
    expect(visitorStatus(STACK, "https://api.staging.example.net/health")).toBe("200");
    expect(servedCertificate(STACK, "api.staging.example.net")).toContain(
      "DNS:api.staging.example.net",
    );
    expect(visitorStatus(STACK, `https://${HOST}/health`)).toBe("000");
    expect(state().dnsRecords.map((r) => r.domain)).toEqual(["example.net"]);
  },
  "hosts: one removed": () => {
    expect(visitorStatus(STACK, "https://www.staging.example.com/health")).toBe("000");
    expect(visitorStatus(STACK, `https://${HOST}/health`)).toBe("200");
  },
};

let dropletId: string;
/** The pid of the droplet's systemd-nspawn: another one means it was powered off and on. */
const nspawnPid = (droplet: string) =>
  readFileSync(path.join(stackDir(STACK), "droplets", droplet, "nspawn.pid"), "utf8").trim();

beforeAll(() => {
  if (process.getuid?.() !== 0) throw new Error("the local cloud tests need root");
  local("down", "--stack", STACK);
  const up = local("up", "--stack", STACK, "--config", writeEditedStaging(STACK, {}));
  if (up.status !== 0) throw new Error(`local up of ${STACK} failed:\n${up.stderr}`);
  dropletId = state().droplets[0].id;
});

afterAll(() => {
  local("down", "--stack", STACK);
});

test("the same config again takes no step", () => {
  const again = local("up", "--stack", STACK, "--config", writeEditedStaging(STACK, {}));
  expect(again.status).toBe(0);
  expect(again.stderr).toContain("is up with this config already: nothing to do");
});

test("every edit is covered by a check", () => {
  expect(Object.keys(CHECKS).sort()).toEqual(STAGING_EDITS.map((e) => e.name).sort());
});

test("a body over the committed clientMaxBodySize is refused before its edit", () => {
  expect(bigPost()).toBe("413");
});

describe.each(STAGING_EDITS.map((e) => [e.name, e] as const))("%s", (name, edit) => {
  test("under load: the predicted steps, nothing else touched, no failed request", async () => {
    const bootedAs = state().droplets.map((d) => nspawnPid(d.name));
    const run = await transitionUnderLoad(STACK, writeEditedStaging(STACK, edit.edits), {
      followsDns: edit.followsDns,
    });
    if (run.status !== 0) throw new Error(`${name}: local up failed:\n${run.stderr}`);
    const after = state();
    const { predicted, taken, seconds } = after.lastTransition!;
    expect(stepSummary(taken)).toEqual(stepSummary(predicted));
    expect(taken.length).toBeGreaterThan(0);
    expect(run.stderr).toContain("steps taken, as the plan predicted");
    // No script ran that no step names, and the droplet is the one first booted, never powered
    // off (but by a resize).
    const stepNames = new Set(taken.map((s) => s.key.slice(s.key.lastIndexOf("::") + 2)));
    const ran = [...run.stderr.matchAll(/^ {2}(\S+) on \S+$/gm)].map((m) => m[1]);
    expect(ran.length > 0).toBe(!edit.runsNoRemoteScript);
    for (const script of ran) expect(stepNames).toContain(script);
    // The first droplet stays (a count change adds others); a resize power-cycles every one.
    expect(after.droplets[0].id).toBe(dropletId);
    for (const [i, droplet] of after.droplets.slice(0, bootedAs.length).entries()) {
      if (edit.powersOff) expect(nspawnPid(droplet.name)).not.toBe(bootedAs[i]);
      else expect(nspawnPid(droplet.name)).toBe(bootedAs[i]);
    }
    const { load } = run;
    console.log(
      `${name}: ${taken.length} steps in ${seconds.toFixed(1)} s; under load ${load.requests} requests, non-2xx ${load.non2xx}, socket errors ${JSON.stringify(load.socketErrors)}, p99 ${load.p99Ms} ms`,
    );
    if (edit.paid) {
      // Said before any step, and paid: the one droplet serves nothing while it is off; the site
      // no longer serves the old domain's names.
      expect(run.stderr).toMatch(edit.paid);
      expect(
        load.non2xx + Object.values(load.socketErrors).reduce((a, b) => a + b),
      ).toBeGreaterThan(0);
      CHECKS[name]();
      return;
    }
    expectNoFailedRequest(load);
    CHECKS[name]();
  });
});
