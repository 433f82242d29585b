/**
 * The local cloud, from the outside: `npm run local -- up` of the dev stack's config and of a
 * second config (SSH narrowed to one network, another port and release), both up at once, then
 * every assertion as a visitor, an operator or the droplet's console would see it; a bootstrap
 * that fails; and `down` leaving nothing behind. Needs root (CI has it) and some minutes cold.
 */
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { spawn, spawnSync } from "node:child_process";
import { parse, stringify } from "yaml";
import { stackFilePath } from "../../tools/plan/stackFiles";
import { ADDRESSES, stackDir } from "../../tools/localcloud/localPaths";
import { REGISTRY_STORAGE } from "../../tools/localcloud/registry";
import type { LocalState } from "../../tools/localcloud/localState";
import { CLI, PROJECT_DIR, TSX } from "../../tools/shared/projectPaths";
import { local, onDroplet as onStackDroplet, runAs } from "../helpers/localCloudHelpers";

jest.setTimeout(20 * 60 * 1000);

const DEV = "lc-dev";
const NARROW = "lc-narrow";
const BROKEN = "lc-broken";
const INTERRUPTED = "lc-interrupted";

const state = (stack: string): LocalState =>
  JSON.parse(readFileSync(path.join(stackDir(stack), "state.json"), "utf8"));
const onDroplet = (stack: string, ...argv: string[]) => onStackDroplet(stack, 1, ...argv);
/** A GET from the visitor's machine; curl's stdout, status and stderr. */
const visitorGet = (stack: string, url: string, ...options: string[]) =>
  runAs(stack, "visitor", "curl", "-sS", "-m", "10", ...options, url);
const ssh = (
  stack: string,
  as: "visitor" | "operator",
  target: string,
  command: string,
  ...options: string[]
) =>
  runAs(
    stack,
    as,
    "ssh",
    "-o",
    "BatchMode=yes",
    "-o",
    "ConnectTimeout=5",
    ...options,
    target,
    command,
  );

/** The dev stack's file with SSH narrowed to 203.0.113.0/24 (the operator's), port 9100, release v-narrow. */
function narrowStackFile(): string {
  const dev = parse(readFileSync(stackFilePath("dev"), "utf8"));
  dev.config["dropstack:firewall"] = { sshSourceAddresses: ["203.0.113.0/24"] };
  // ALLOCATE_ROUTE: the sample API's test-only route that holds memory (the containment test).
  Object.assign(dev.config["dropstack:app"], {
    port: 9100,
    release: "v-narrow",
    env: { ...dev.config["dropstack:app"].env, ALLOCATE_ROUTE: "true" },
  });
  dev.config["dropstack:hosts"] = ["api.narrow"];
  const file = path.join(mkdtempSync(path.join(os.tmpdir(), "stack-")), `Pulumi.${NARROW}.yaml`);
  writeFileSync(file, stringify(dev));
  return file;
}

function up(stack: string, ...args: string[]) {
  const run = local("up", "--stack", stack, "--json", ...args);
  if (run.status !== 0) throw new Error(`local up of ${stack} failed:\n${run.stderr}`);
  return JSON.parse(run.stdout);
}

let devStatus: {
  droplets: { reservedIp: string; address: string }[];
  urls: string[];
  dns: { server: string };
};
let narrowIp: string;

beforeAll(() => {
  if (process.getuid?.() !== 0) throw new Error("the local cloud tests need root");
  for (const stack of [DEV, NARROW, BROKEN, INTERRUPTED]) local("down", "--stack", stack);
  devStatus = up(DEV, "--config", stackFilePath("dev"));
  narrowIp = up(NARROW, "--config", narrowStackFile()).droplets[0].reservedIp;
});

afterAll(() => {
  for (const stack of [DEV, NARROW, BROKEN, INTERRUPTED]) local("down", "--stack", stack);
});

describe("up", () => {
  test("prints the stack as JSON: droplets with addresses, the DNS server and zone, the URLs", () => {
    expect(devStatus).toMatchObject({
      stack: DEV,
      droplets: [
        { name: `${DEV}-web-1`, address: expect.any(String), reservedIp: expect.any(String) },
      ],
      dns: { server: expect.stringMatching(/^\d+\.\d+\.\d+\.\d+:53$/), zone: "example.com" },
      urls: ["http://api.dev.example.com/"],
    });
    const status = JSON.parse(local("status", "--stack", DEV, "--json").stdout);
    expect(status.droplets).toEqual(devStatus.droplets);
  });

  test("a second up with no change does nothing and says so", () => {
    const again = local("up", "--stack", DEV, "--config", stackFilePath("dev"));
    expect(again.status).toBe(0);
    expect(again.stderr).toContain(`${DEV} is up with this config already: nothing to do`);
  });
});

describe("the droplet's bootstrap", () => {
  test("cloud-init finished cleanly", () => {
    const status = onDroplet(DEV, "cloud-init", "status", "--long");
    expect(status.stdout).toMatch(/^status: done$/m);
    expect(status.stdout).not.toMatch(/errors: \[.+\]/);
  });

  test("the deploy user logs in with the stack's key; root and passwords are refused", () => {
    const ip = devStatus.droplets[0].reservedIp;
    expect(ssh(DEV, "operator", `deploy@${ip}`, "id -un").stdout.trim()).toBe("deploy");
    const root = ssh(DEV, "operator", `root@${ip}`, "true");
    expect(root.status).toBe(255);
    expect(root.stderr).toContain("Permission denied");
    const password = ssh(DEV, "operator", `deploy@${ip}`, "true", "-o", "PubkeyAuthentication=no");
    expect(password.status).toBe(255);
    // The server offers public keys only: no password or keyboard-interactive prompt exists.
    expect(password.stderr).toMatch(/Permission denied \(publickey\)/);
  });
});

describe("as a visitor, through DNS, the reserved IP and the firewall", () => {
  test("/health and /version answer with the configured release", () => {
    const health = visitorGet(DEV, "http://api.dev.example.com/health");
    expect(JSON.parse(health.stdout)).toEqual({ status: "ok" });
    const version = visitorGet(DEV, "http://api.dev.example.com/version");
    expect(JSON.parse(version.stdout).release).toBe("v0.1.0");
    const narrow = visitorGet(NARROW, "http://api.narrow.example.com/version");
    expect(JSON.parse(narrow.stdout).release).toBe("v-narrow");
  });

  test("the name resolves to the reserved IP at the stack's DNS server", () => {
    const dig = runAs(DEV, "visitor", "kdig", "+short", "api.dev.example.com", "A");
    expect(dig.stdout.trim()).toBe(devStatus.droplets[0].reservedIp);
  });

  test("the app's ports are not reachable; SSH is closed to the visitor where it is narrowed", () => {
    const ip = devStatus.droplets[0].reservedIp;
    for (const port of [8080, 8081]) {
      const run = visitorGet(DEV, `http://${ip}:${port}/health`);
      expect(run.status).not.toBe(0);
    }
    const visitor = ssh(NARROW, "visitor", `deploy@${narrowIp}`, "true");
    expect(visitor.status).toBe(255);
    expect(visitor.stderr).toMatch(/timed out/);
  });

  test("an unknown Host gets no answer from the API", () => {
    const url = `http://${devStatus.droplets[0].reservedIp}/version`;
    const run = visitorGet(DEV, url, "-H", "Host: evil.example.org");
    expect(run.stdout).not.toContain("release");
  });
});

test("as the operator, SSH works where it is narrowed to the operator's network", () => {
  expect(ssh(NARROW, "operator", `deploy@${narrowIp}`, "hostname").stdout.trim()).toBe(
    `${NARROW}-web-1`,
  );
});

describe("on the droplet", () => {
  const inspect = (format: string) =>
    onDroplet(DEV, "docker", "inspect", "--format", format, "api-green").stdout.trim();

  test("the API is the container pulled by digest, under supervisor, bound to 127.0.0.1", () => {
    const pushed = state(DEV).images[0].repoDigest;
    expect(inspect("{{.Config.Image}}")).toBe(pushed);
    expect(onDroplet(DEV, "supervisorctl", "status", "api-green").stdout).toMatch(/RUNNING/);
    const listening = onDroplet(DEV, "ss", "-Hltn", "sport", "= :8081").stdout;
    expect(listening.trim().split(/\s+/)[3]).toBe("127.0.0.1:8081");
  });

  test("the droplet reaches apt through the proxy, and nothing else outside its stack", () => {
    const mirror = onDroplet(
      DEV,
      "sh",
      "-c",
      "apt-get -o Acquire::Retries=0 update -q >/dev/null && echo ok",
    );
    expect(mirror.stdout.trim()).toBe("ok");
    // Names outside the stack's zones do not resolve; addresses outside it are not routed.
    expect(onDroplet(DEV, "getent", "hosts", "deb.debian.org").status).not.toBe(0);
    const direct = onDroplet(
      DEV,
      "curl",
      "-sS",
      "-m",
      "5",
      "--noproxy",
      "*",
      "http://203.0.113.80/",
    );
    expect(direct.status).not.toBe(0);
  });

  test("the env files are mode 0600", () => {
    const modes = onDroplet(DEV, "sh", "-c", "stat -c '%a %n' /etc/dropstack/api*.env").stdout;
    for (const line of modes.trim().split("\n")) expect(line).toMatch(/^600 /);
    expect(modes).toContain("/etc/dropstack/api-green.env");
  });

  test("killing the container's process brings it back", async () => {
    const before = inspect("{{.State.Pid}}");
    expect(Number(before)).toBeGreaterThan(0);
    onDroplet(DEV, "kill", "-9", before);
    let after = before;
    let health = "";
    for (let i = 0; i < 60 && (after === before || !health.includes("ok")); i++) {
      await new Promise((resolve) => setTimeout(resolve, 1000));
      after = inspect("{{.State.Pid}}");
      health = visitorGet(DEV, "http://api.dev.example.com/health").stdout;
    }
    expect(after).not.toBe(before);
    expect(health).toContain("ok");
  });
});

describe("the API's container is contained (app.container, from s-1vcpu-1gb)", () => {
  const onNarrow = (...argv: string[]) => onDroplet(NARROW, ...argv);
  const inspect = (format: string) =>
    onNarrow("docker", "inspect", "--format", format, "api-green").stdout.trim();
  const visitorNarrow = (urlPath: string, ...options: string[]) =>
    visitorGet(NARROW, `http://api.narrow.example.com${urlPath}`, ...options);

  test("docker inspect shows every bound: no capabilities, no new privileges, read-only root, not root, memory, CPU, pids, no restart policy", () => {
    const hostConfig = JSON.parse(inspect("{{json .HostConfig}}"));
    expect(hostConfig).toMatchObject({
      CapDrop: ["ALL"],
      SecurityOpt: ["no-new-privileges"],
      ReadonlyRootfs: true,
      Tmpfs: { "/tmp": "rw,noexec,nosuid,nodev,size=64m" },
      Memory: 384 * 1024 * 1024,
      MemorySwap: 384 * 1024 * 1024,
      CpuPeriod: 100000,
      CpuQuota: 75000,
      PidsLimit: 256,
      RestartPolicy: { Name: "no" },
      AutoRemove: true,
    });
    expect(inspect("{{.Config.User}}")).toBe("10001:10001");
  });

  test("inside, the kernel holds it to them: its cgroup's memory, CPU and pids limits, no capabilities, uid 10001, / read-only and /tmp writable", () => {
    const inside = (script: string) => onNarrow("docker", "exec", "api-green", "sh", "-c", script);
    // The cgroup docker made for it (v1 here, v2 on a droplet's own kernel): what the OOM killer reads.
    expect(
      inside(
        "cat /sys/fs/cgroup/memory/memory.limit_in_bytes 2>/dev/null || cat /sys/fs/cgroup/memory.max",
      ).stdout.trim(),
    ).toBe(String(384 * 1024 * 1024));
    expect(
      inside(
        "cat /sys/fs/cgroup/cpu/cpu.cfs_quota_us 2>/dev/null || cut -d' ' -f1 /sys/fs/cgroup/cpu.max",
      ).stdout.trim(),
    ).toBe("75000");
    expect(
      inside(
        "cat /sys/fs/cgroup/pids/pids.max 2>/dev/null || cat /sys/fs/cgroup/pids.max",
      ).stdout.trim(),
    ).toBe("256");
    const status = inside("grep -E '^(Uid|CapEff|CapPrm|NoNewPrivs):' /proc/1/status").stdout;
    expect(status).toMatch(/^Uid:\s+10001\s/m);
    expect(status).toMatch(/^CapEff:\s+0{16}$/m);
    expect(status).toMatch(/^CapPrm:\s+0{16}$/m);
    expect(status).toMatch(/^NoNewPrivs:\s+1$/m);
    const write = inside("touch /app/written; echo $?; touch /tmp/written && echo tmp-ok");
    expect(write.stderr).toContain("Read-only file system");
    expect(write.stdout).toBe("1\ntmp-ok\n");
  });

  test("allocating past its memory kills only the container: nginx and sshd answer throughout, supervisor brings it back", async () => {
    const pid = (name: string) => onNarrow("pgrep", "-o", "-x", name).stdout.trim();
    const [nginx, sshd, supervisord] = ["nginx", "sshd", "supervisord"].map(pid);
    const container = inspect("{{.State.Pid}}");
    // 1 GiB in 16 MiB steps: the cgroup's OOM killer ends it at 384 MiB; nginx answers the request.
    const allocate = visitorNarrow(
      "/allocate?mb=1024",
      "-X",
      "POST",
      "-o",
      "/dev/null",
      "-w",
      "%{http_code}",
      "-m",
      "60",
    );
    expect(allocate.stdout).toBe("502");
    let back = "";
    for (let i = 0; i < 60 && !back.includes("ok"); i++) {
      // sshd and nginx answer while the API is down and as it comes back.
      expect(ssh(NARROW, "operator", `deploy@${narrowIp}`, "true").status).toBe(0);
      expect(visitorNarrow("/version", "-o", "/dev/null", "-w", "%{http_code}").stdout).toMatch(
        /^(200|502)$/,
      );
      await new Promise((resolve) => setTimeout(resolve, 1000));
      back = visitorNarrow("/health").stdout;
    }
    expect(back).toContain("ok");
    expect(inspect("{{.State.Pid}}")).not.toBe(container);
    // supervisord's verdict: the container's node was killed (SIGKILL, 137), not stopped.
    expect(
      onNarrow(
        "grep",
        "-c",
        "exited: api-green (exit status 137",
        "/var/log/supervisor/supervisord.log",
      ).stdout.trim(),
    ).toBe("1");
    // Nothing else was touched: the same nginx, sshd and supervisord processes.
    expect(["nginx", "sshd", "supervisord"].map(pid)).toEqual([nginx, sshd, supervisord]);
  });
});

test("a bootstrap that fails stops up at that step, naming the droplet and cloud-init's log; the way in is closed after it", () => {
  const userData = path.join(mkdtempSync(path.join(os.tmpdir(), "broken-")), "user-data.yaml");
  writeFileSync(
    userData,
    "#cloud-config\nruncmd:\n  - echo dropstack-test-breaks-the-bootstrap && false\n",
  );
  const started = Date.now();
  const run = local(
    "up",
    "--stack",
    BROKEN,
    "--config",
    stackFilePath("staging"),
    "--from-outside",
    "--user-data",
    userData,
  );
  expect(run.status).toBe(1);
  // Deployed from outside firewall.sshSourceAddresses: the way in, opened, is gone after the failure.
  expect(run.stderr).toContain(`opened SSH from ${ADDRESSES.outsideOperator}/32`);
  expect(run.stderr).toContain(`closed the way in for ${BROKEN} from ${ADDRESSES.outsideOperator}`);
  expect(state(BROKEN).outsideFirewalls).toEqual([]);
  // Its user data is not the program's (whose hash the provider would have kept), so to the program
  // it booted before host keys: its first SSH step is the key's install, which stops there.
  expect(run.stderr).toContain(`✗ ${BROKEN}-web-1-host-key-install:`);
  expect(run.stderr).toContain(`droplet ${BROKEN}-web-1`);
  expect(run.stderr).toContain("cloud-init-output.log");
  expect(run.stderr).toContain("dropstack-test-breaks-the-bootstrap");
  expect(Date.now() - started).toBeLessThan(5 * 60 * 1000);
});

test("Ctrl-C during up leaves a state that down removes", async () => {
  const child = spawn(
    TSX,
    // A fourth stack up at once: on an account that has asked DigitalOcean for more reserved IPs.
    [
      CLI,
      "local",
      "up",
      "--stack",
      INTERRUPTED,
      "--config",
      stackFilePath("dev"),
      "--reserved-ip-limit",
      "20",
    ],
    {
      cwd: PROJECT_DIR,
      stdio: ["ignore", "ignore", "pipe"],
    },
  );
  let stderr = "";
  child.stderr!.on("data", (chunk) => (stderr += chunk));
  const deadline = Date.now() + 120000;
  while (!stderr.includes("booting at") && Date.now() < deadline && child.exitCode === null) {
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  expect(stderr).toContain("booting at");
  child.kill("SIGINT");
  await new Promise((resolve) => child.on("exit", resolve));
  const left = state(INTERRUPTED);
  expect(left.complete).toBe(false);
  expect(left.droplets).toHaveLength(1);
  const again = local("up", "--stack", INTERRUPTED, "--config", stackFilePath("dev"));
  expect(again.status).toBe(1);
  expect(again.stderr).toContain(`npm run local -- down --stack ${INTERRUPTED} first`);
  expect(local("down", "--stack", INTERRUPTED).status).toBe(0);
  expect(existsSync(stackDir(INTERRUPTED))).toBe(false);
  expect(spawnSync("ip", ["netns", "list"], { encoding: "utf8" }).stdout).not.toContain(
    `dslc${left.index}-`,
  );
  expect(spawnSync("ps", ["-eo", "args"], { encoding: "utf8" }).stdout).not.toContain(
    `--machine=dslc${left.index}-`,
  );
});

test("down leaves nothing of the stack behind, and says so when there is nothing", () => {
  const before = state(NARROW);
  const down = local("down", "--stack", NARROW);
  expect(down.status).toBe(0);
  const netns = spawnSync("ip", ["netns", "list"], { encoding: "utf8" }).stdout;
  expect(netns).not.toContain(`dslc${before.index}-`);
  expect(spawnSync("ip", ["link", "show", `dslc${before.index}h`]).status).not.toBe(0);
  expect(readFileSync("/proc/mounts", "utf8")).not.toContain(stackDir(NARROW));
  const processes = spawnSync("ps", ["-eo", "args"], { encoding: "utf8" }).stdout;
  expect(processes).not.toContain(`--machine=dslc${before.index}-`);
  expect(processes).not.toContain(path.join(stackDir(NARROW), "dns"));
  expect(existsSync(stackDir(NARROW))).toBe(false);
  const htpasswd = readFileSync("/var/lib/dropstack-local/_shared/registry/htpasswd", "utf8");
  expect(htpasswd).not.toContain(`${NARROW}-`);
  const manifests = path.join(
    REGISTRY_STORAGE,
    "docker/registry/v2/repositories/dropstack/api/_manifests",
  );
  expect(existsSync(path.join(manifests, "tags", "v-narrow"))).toBe(false);
  expect(existsSync(path.join(manifests, "tags", "v0.1.0"))).toBe(true);
  // The same code builds the same image: its digest stays while lc-dev's tag names it.
  const [, digest] = before.images[0].repoDigest.split("@sha256:");
  const shared = state(DEV).images.some((i) => i.repoDigest === before.images[0].repoDigest);
  expect(existsSync(path.join(manifests, "revisions/sha256", digest))).toBe(shared);
  const again = local("down", "--stack", NARROW);
  expect(again.status).toBe(0);
  expect(again.stdout).toContain(`${NARROW} is not up in the local cloud: nothing to do`);
});
