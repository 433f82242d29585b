/** The rendered shell scripts, run for real: shellcheck on each, and the TLS placeholder in a temp dir. */
import { spawnSync } from "node:child_process";
import {
  lstatSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  statSync,
  symlinkSync,
  writeFileSync,
} from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import {
  renderCertbot,
  renderInstallFile,
  renderReleaseScript,
  renderTlsDeployHook,
  renderTlsPlaceholder,
  renderWaitForBootstrap,
} from "../../templates";
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
  const scripts = {
    "release.sh": renderReleaseScript({
      stack: "s",
      app: "api",
      appPort: 8080,
      healthPath: "/health",
      healthTimeoutSeconds: 60,
      drainSeconds: 5,
    }),
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
  };
  for (const [name, text] of Object.entries(scripts)) {
    const run = spawnSync(shellcheck, ["--shell=sh", "-"], { input: text, encoding: "utf8" });
    expect(`${name}: ${run.stdout}`).toBe(`${name}: `);
    expect(run.status).toBe(0);
  }
});
