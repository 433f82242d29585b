/** The rendered shell scripts, run for real: shellcheck on each, and the TLS placeholder in a temp dir. */
import { spawnSync } from "node:child_process";
import { createHash } from "node:crypto";
import {
  existsSync,
  lstatSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  statSync,
  symlinkSync,
  writeFileSync,
} from "node:fs";
import * as http from "node:http";
import type { AddressInfo } from "node:net";
import * as os from "node:os";
import * as path from "node:path";
import {
  renderAptRetry,
  renderBootstrapUpgrade,
  renderHostKeyInstall,
  renderCertbot,
  renderDnsDrain,
  containerFlags,
  renderDockerRun,
  renderInstallFile,
  renderLeaveRotation,
  renderProcessRemove,
  quotedWords,
  renderRejoinRotation,
  renderReleaseScript,
  renderRemoveGuard,
  renderSchemaGrant,
  renderTlsDeployHook,
  renderTlsPlaceholder,
  renderWaitForAddress,
  renderWaitForBootstrap,
  renderWaitForSsh,
} from "../../templates";
import { runAsync } from "../../tools/shared/runCommand";
import { dropletLimits } from "../helpers/configCases";
import { requireTools } from "../../tools/shared/systemTools";

test("the placeholder makes a certificate once, keeps it, and replaces links left dangling", () => {
  // Run for real, with the droplet's paths moved into a temp dir and sudo as a pass-through.
  const dir = mkdtempSync(path.join(os.tmpdir(), "placeholder-"));
  mkdirSync(path.join(dir, "bin"));
  writeFileSync(path.join(dir, "bin", "sudo"), '#!/bin/sh\nexec "$@"\n', { mode: 0o755 });
  const script = renderTlsPlaceholder()
    .split("/etc/dropstack/tls")
    .join(path.join(dir, "tls"))
    .split("/var/www/dropstack-acme")
    .join(path.join(dir, "acme"));
  const run = () =>
    spawnSync("sh", ["-c", script], {
      encoding: "utf8",
      env: { ...process.env, PATH: `${path.join(dir, "bin")}:${process.env.PATH}` },
    });
  const cert = path.join(dir, "tls", "fullchain.pem");
  const key = path.join(dir, "tls", "privkey.pem");
  expect(run().status).toBe(0);
  const first = readFileSync(cert, "utf8");
  expect(first).toMatch(/^-----BEGIN CERTIFICATE-----/);
  expect(statSync(key).mode & 0o777).toBe(0o600);
  expect(run().status).toBe(0);
  expect(readFileSync(cert, "utf8")).toBe(first);
  // As `certbot delete` leaves nginx's links to /etc/letsencrypt/live/… when TLS is turned off.
  for (const file of [cert, key]) {
    rmSync(file);
    symlinkSync(path.join(dir, "gone", path.basename(file)), file);
  }
  const again = run();
  expect(again.stderr).not.toMatch(/Can't open/);
  expect(again.status).toBe(0);
  expect(lstatSync(cert).isSymbolicLink()).toBe(false);
  expect(readFileSync(cert, "utf8")).toMatch(/^-----BEGIN CERTIFICATE-----/);
  expect(readFileSync(cert, "utf8")).not.toBe(first);
});

test("every rendered shell script passes shellcheck", () => {
  const shellcheck = requireTools(["shellcheck"]).shellcheck;
  const release = {
    stack: "s",
    app: "api",
    appPort: 8080,
    healthPath: "/health",
    healthTimeoutSeconds: 60,
    drainSeconds: 5,
    limits: dropletLimits("s-1vcpu-1gb"),
  };
  const scripts = {
    "release.sh": renderReleaseScript(release),
    "release-with-processes.sh": renderReleaseScript({
      ...release,
      migrate: { command: "node migrate.js --label 'a b'", timeoutSeconds: 600 },
      processes: [{ name: "worker", command: "node worker.js" }],
    }),
    "process-remove.sh":
      renderRemoveGuard("/etc/x.conf", "ab12") + renderProcessRemove("api-worker"),
    "schema-grant.sh": renderSchemaGrant(),
    "install-file.sh": renderInstallFile({
      file: "nginx/x.conf",
      target: "/etc/nginx/x.conf",
      mode: "0644",
      check: "sudo nginx -t -q",
      apply: "sudo systemctl reload nginx",
    }),
    "wait-for-bootstrap.sh": renderWaitForBootstrap(),
    "tls-placeholder.sh": renderTlsPlaceholder(),
    "certbot.sh": renderCertbot({ domains: ["example.com", "api.example.com"], email: "o@x.io" }),
    "tls-deploy-hook.sh": renderTlsDeployHook(),
    "wait-for-address.sh": renderWaitForAddress({
      url: "https://api.example.com/health?deep=1",
      successes: 7,
      intervalSeconds: 2,
      maxTries: 300,
    }),
    "dns-drain.sh": renderDnsDrain(),
    "wait-for-ssh.sh": renderWaitForSsh({ droplet: "staging-web-1", port: 22, seconds: 300 }),
    "leave-rotation.sh": renderLeaveRotation("s-2vcpu-4gb", 35),
    "rejoin-rotation.sh": renderRejoinRotation("s-2vcpu-4gb", "/health?deep=1", 35),
    "apt-get-retried": renderAptRetry(),
    "bootstrap-upgrade.sh": renderBootstrapUpgrade(),
    "host-key-install.sh": renderHostKeyInstall(),
  };
  for (const [name, text] of Object.entries(scripts)) {
    const run = spawnSync(shellcheck, ["--shell=sh", "-"], { input: text, encoding: "utf8" });
    expect(`${name}: ${run.stdout}`).toBe(`${name}: `);
    expect(run.status).toBe(0);
  }
});

test("a process's command runs the image from its file with the words as written, through eval", () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), "process-command-"));
  try {
    mkdirSync(path.join(dir, "bin"));
    // A stand-in docker that prints its arguments one per line (`rm` is the command's first step).
    writeFileSync(
      path.join(dir, "bin", "docker"),
      `#!/bin/sh\n[ "$1" = rm ] && exit 0\nprintf '%s\\n' "$@"\n`,
      { mode: 0o755 },
    );
    writeFileSync(path.join(dir, "image"), "registry.example/api@sha256:abc\n");
    writeFileSync(
      path.join(dir, "command"),
      quotedWords(`node worker.js --label 'a b $HOME' "it's"`),
    );
    const flags = containerFlags(dropletLimits("s-1vcpu-1gb"));
    writeFileSync(path.join(dir, "flags"), `${flags}\n`);
    const command = renderDockerRun({
      name: "api-worker",
      envFiles: ["/etc/e.env"],
      imageFile: path.join(dir, "image"),
      commandFile: path.join(dir, "command"),
      flagsFile: path.join(dir, "flags"),
    });
    // supervisord splits `command=` with shlex, as python3 does here, then execs the words.
    const split = spawnSync(
      "python3",
      ["-c", "import shlex,sys,json; print(json.dumps(shlex.split(sys.argv[1])))", command],
      { encoding: "utf8" },
    );
    const words = JSON.parse(split.stdout) as string[];
    const runIt = () =>
      spawnSync(words[0], words.slice(1), {
        encoding: "utf8",
        env: { PATH: `${path.join(dir, "bin")}:/usr/bin:/bin`, HOME: "/nowhere" },
      });
    const run = runIt();
    expect(run.stderr).toBe("");
    expect(run.stdout.split("\n").slice(0, -1)).toEqual([
      "run",
      "--rm",
      "--name",
      "api-worker",
      ...flags.split(" "),
      "--env-file",
      "/etc/e.env",
      "registry.example/api@sha256:abc",
      "node",
      "worker.js",
      "--label",
      "a b $HOME",
      "it's",
    ]);
    // Without its bounds it does not run at all (never unbounded).
    rmSync(path.join(dir, "flags"));
    const unbounded = runIt();
    expect(unbounded.status).toBe(1);
    expect(unbounded.stdout).toBe("");
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test("a removable file's delete step runs only while the target holds what its step installed", () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), "remove-guard-"));
  try {
    mkdirSync(path.join(dir, "bin"));
    writeFileSync(path.join(dir, "bin", "sudo"), `#!/bin/sh\nexec "$@"\n`, { mode: 0o755 });
    const target = path.join(dir, "program.conf");
    const hash = createHash("sha256").update("mine\n").digest("hex");
    const remove = () =>
      spawnSync("sh", ["-c", `${renderRemoveGuard(target, hash)}echo removed`], {
        encoding: "utf8",
        env: { PATH: `${path.join(dir, "bin")}:/usr/bin:/bin` },
      });
    writeFileSync(target, "mine\n");
    expect(remove().stdout).toBe("removed\n");
    writeFileSync(target, "a newer version\n");
    expect(remove().stdout).toBe(
      `dropstack: ${target} was replaced by a newer version; nothing to remove\n`,
    );
    rmSync(target);
    expect(remove().stdout).toBe("removed\n");
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

/** `sh -c script` with `env` added, as local.Command runs it; its status, output and seconds. */
function runLocal(script: string, env: Record<string, string>) {
  const started = Date.now();
  const run = spawnSync("sh", ["-c", script], {
    encoding: "utf8",
    env: { ...process.env, ...env },
  });
  return { ...run, seconds: (Date.now() - started) / 1000 };
}

test("the DNS drain waits the old TTL only when the addresses moved, and remembers the new ones", () => {
  const script = renderDnsDrain();
  const created = runLocal(script, { ADDRESSES: "192.0.2.10", TTL: "2" });
  expect(created.status).toBe(0);
  expect(created.stdout).toBe("192.0.2.10 2\n");
  expect(created.seconds).toBeLessThan(1);
  // pulumi-command hands the last stdout back, without its final newline.
  const ttlOnly = runLocal(script, {
    ADDRESSES: "192.0.2.10",
    TTL: "1",
    PULUMI_COMMAND_STDOUT: "192.0.2.10 2",
  });
  expect(ttlOnly.stdout).toBe("192.0.2.10 1\n");
  expect(ttlOnly.seconds).toBeLessThan(1);
  const moved = runLocal(script, {
    ADDRESSES: "198.51.100.7",
    TTL: "30",
    PULUMI_COMMAND_STDOUT: "192.0.2.10 2",
  });
  expect(moved.status).toBe(0);
  expect(moved.stderr).toContain("DNS moved from 192.0.2.10 to 198.51.100.7; waiting 2 s");
  expect(moved.seconds).toBeGreaterThanOrEqual(2);
  expect(moved.stdout).toBe("198.51.100.7 30\n");
});

test("the wait for an address asks it by name until it answers several times in a row", async () => {
  // A real server on loopback that fails its first three answers: the count starts again.
  let asked = 0;
  const hosts: string[] = [];
  const server = http.createServer((request, response) => {
    asked += 1;
    hosts.push(String(request.headers.host));
    response.writeHead(asked <= 3 ? 503 : 200).end();
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const port = (server.address() as AddressInfo).port;
  const script = (maxTries: number) =>
    renderWaitForAddress({
      url: `http://api.example.com:${port}/health`,
      successes: 4,
      intervalSeconds: 0,
      maxTries,
    });
  try {
    const run = await runAsync("sh", ["-c", script(20)], {
      env: { ...process.env, ADDRESS: "127.0.0.1" },
    });
    expect(run.stderr).toBe("");
    expect(run.status).toBe(0);
    expect(asked).toBe(7);
    expect(new Set(hosts)).toEqual(new Set([`api.example.com:${port}`]));
    asked = 0;
    const gaveUp = await runAsync("sh", ["-c", script(3)], {
      env: { ...process.env, ADDRESS: "127.0.0.1" },
    });
    expect(gaveUp.status).toBe(1);
    expect(gaveUp.stderr).toContain(
      "did not answer 4 times in a row in 3 tries (last answer: 503, 000 for none); DNS was left where it was",
    );
  } finally {
    server.close();
  }
});

/** A temp dir whose bin/ holds `sudo` as a pass-through, `sleep` as nothing, and `files`. */
function fakeDroplet(files: Record<string, string>) {
  const dir = mkdtempSync(path.join(os.tmpdir(), "droplet-"));
  mkdirSync(path.join(dir, "bin"));
  const bins = { sudo: 'exec "$@"', sleep: "exit 0", ...files };
  for (const [name, body] of Object.entries(bins)) {
    writeFileSync(path.join(dir, "bin", name), `#!/bin/sh\n${body}\n`, { mode: 0o755 });
  }
  const env = { ...process.env, PATH: `${path.join(dir, "bin")}:${process.env.PATH}` };
  return { dir, env };
}

test("apt-get is tried again up to twelve times, with its arguments, and fails after the twelfth", () => {
  // An apt-get that loses the lock twice (as to DigitalOcean's agent install), then wins.
  const { dir, env } = fakeDroplet({
    "apt-get": [
      'echo "$*" >> "$CALLS"',
      'n=$(wc -l < "$CALLS")',
      '[ "$n" -gt 2 ] || { echo "E: Could not get lock /var/lib/dpkg/lock-frontend" >&2; exit 100; }',
    ].join("\n"),
  });
  const once = spawnSync("sh", ["-c", renderAptRetry(), "apt", "-y", "install", "nginx-light"], {
    encoding: "utf8",
    env: { ...env, CALLS: path.join(dir, "calls") },
  });
  expect(once.status).toBe(0);
  expect(readFileSync(path.join(dir, "calls"), "utf8")).toBe("-y install nginx-light\n".repeat(3));
  expect(once.stderr).toContain("dropstack: apt-get -y install nginx-light failed (try 2 of 12)");
  const never = fakeDroplet({ "apt-get": "exit 100" });
  const run = spawnSync("sh", ["-c", renderAptRetry(), "apt", "update"], {
    encoding: "utf8",
    env: never.env,
  });
  expect(run.status).toBe(1);
  expect(run.stderr).toContain("dropstack: apt-get update failed 12 times");
  expect(run.stderr.match(/again in 15 s/g)).toHaveLength(11);
  rmSync(dir, { recursive: true, force: true });
  rmSync(never.dir, { recursive: true, force: true });
});

test("the bootstrap upgrade brings a version 1 droplet to the current version once, then leaves it", () => {
  // apt-get and systemctl only say what they were asked.
  const record = (name: string) => `echo "${name} $*" >> "$CALLS"`;
  const { dir, env: droplet } = fakeDroplet({
    "apt-get": record("apt-get"),
    systemctl: record("systemctl"),
  });
  const env = { ...droplet, CALLS: path.join(dir, "calls") };
  // The droplet's paths moved into the temp dir.
  const moved = (text: string) =>
    text
      .split("/etc/apt/apt.conf.d")
      .join(path.join(dir, "apt"))
      .split("/usr/local/sbin")
      .join(path.join(dir, "sbin"))
      .split("/var/lib/dropstack")
      .join(path.join(dir, "state"))
      .split("/etc/dropstack")
      .join(path.join(dir, "config"))
      .split("/etc/systemd/system")
      .join(path.join(dir, "units"));
  const script = moved(renderBootstrapUpgrade());
  for (const made of ["sbin", "config", "units"]) mkdirSync(path.join(dir, made));
  const first = spawnSync("sh", ["-c", script], { encoding: "utf8", env });
  expect(first.stderr).toBe("");
  expect(first.status).toBe(0);
  expect(first.stdout).toBe("dropstack: bootstrap version 1 → 3, in place\n");
  // Version 3: the metadata service's guard, installed and (re)started.
  expect(readFileSync(path.join(dir, "config", "metadata-guard.nft"), "utf8")).toContain(
    "ip daddr 169.254.169.254 meta skuid { 33, 65534 } reject",
  );
  expect(
    readFileSync(path.join(dir, "units", "dropstack-metadata-guard.service"), "utf8"),
  ).toContain(`ExecStart=/usr/sbin/nft -f ${path.join(dir, "config", "metadata-guard.nft")}`);
  expect(readFileSync(env.CALLS, "utf8").split("\n")).toEqual([
    "apt-get update",
    "apt-get -y install nftables",
    "systemctl daemon-reload",
    "systemctl enable dropstack-metadata-guard",
    "systemctl restart dropstack-metadata-guard",
    "",
  ]);
  expect(readFileSync(path.join(dir, "apt", "80dropstack"), "utf8")).toContain(
    'DPkg::Lock::Timeout "300";',
  );
  const helper = path.join(dir, "sbin", "apt-get-retried");
  expect(readFileSync(helper, "utf8")).toBe(`${moved(renderAptRetry())}\n`);
  expect(statSync(helper).mode & 0o777).toBe(0o755);
  expect(readFileSync(path.join(dir, "state", "bootstrap-version"), "utf8")).toBe("3\n");
  const again = spawnSync("sh", ["-c", script], { encoding: "utf8", env });
  expect(again.status).toBe(0);
  expect(again.stdout).toBe("dropstack: bootstrap version 3 already\n");
  // A version file with something else in it counts as version 1: upgraded again, harmlessly.
  writeFileSync(path.join(dir, "state", "bootstrap-version"), "junk\n");
  const junk = spawnSync("sh", ["-c", script], { encoding: "utf8", env });
  expect({ status: junk.status, stdout: junk.stdout, stderr: junk.stderr }).toEqual({
    status: 0,
    stdout: "dropstack: bootstrap version 1 → 3, in place\n",
    stderr: "",
  });
  rmSync(dir, { recursive: true, force: true });
});

test("the host key's install takes a key on stdin, checks sshd's config, then reloads it; refuses anything else", () => {
  const record = (name: string) => `echo "${name} $*" >> "$CALLS"`;
  const { dir, env: droplet } = fakeDroplet({
    sshd: record("sshd"),
    systemctl: record("systemctl"),
  });
  const env = { ...droplet, CALLS: path.join(dir, "calls") };
  mkdirSync(path.join(dir, "ssh", "sshd_config.d"), { recursive: true });
  // The droplet's /etc/ssh moved into the temp dir; ownership is root's on a droplet.
  const script = renderHostKeyInstall()
    .split("/etc/ssh")
    .join(path.join(dir, "ssh"))
    .split("-o root -g root ")
    .join("");
  const keyFile = path.join(dir, "made");
  spawnSync("ssh-keygen", ["-q", "-t", "ed25519", "-N", "", "-C", "", "-f", keyFile]);
  const key = readFileSync(keyFile, "utf8");
  const run = spawnSync("sh", ["-c", script], { encoding: "utf8", env, input: key });
  expect(run.stderr).toBe("");
  expect(run.status).toBe(0);
  const installed = path.join(dir, "ssh", "ssh_host_ed25519_key");
  expect(readFileSync(installed, "utf8")).toBe(key);
  expect(statSync(installed).mode & 0o777).toBe(0o600);
  const typeAndBlob = (file: string) => readFileSync(file, "utf8").trim().split(/\s+/).slice(0, 2);
  expect(typeAndBlob(`${installed}.pub`)).toEqual(typeAndBlob(`${keyFile}.pub`));
  expect(
    readFileSync(path.join(dir, "ssh", "sshd_config.d", "61-dropstack-host-key.conf"), "utf8"),
  ).toMatch(new RegExp(`^HostKey ${installed}$`, "m"));
  expect(readFileSync(env.CALLS, "utf8")).toBe("sshd -t\nsshd -t\nsystemctl reload ssh\n");
  // Not a key: nothing installed, nothing reloaded.
  rmSync(env.CALLS);
  rmSync(installed);
  const junk = spawnSync("sh", ["-c", script], { encoding: "utf8", env, input: "junk\n" });
  expect(junk.status).toBe(1);
  expect(junk.stderr).toContain("dropstack: the host key on stdin is not an OpenSSH private key");
  expect(existsSync(installed)).toBe(false);
  expect(existsSync(env.CALLS)).toBe(false);
  rmSync(dir, { recursive: true, force: true });
});
