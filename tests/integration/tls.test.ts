/**
 * HTTPS in the sandbox: a stack with proxy.tls letsencrypt on one droplet (staging) is served by
 * real nginx on loopback with a self-signed certificate for its hosts, and probed by real TLS
 * clients: what certbot's certificate and Let's Encrypt's challenge see on a droplet.
 */
import { X509Certificate } from "node:crypto";
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { AddressInfo, createServer as createNetServer } from "node:net";
import * as os from "node:os";
import * as path from "node:path";
import { createServer as createTlsServer } from "node:tls";
import { prepareSandbox, Sandbox } from "../../tools/sandbox/sandbox";
import { remapListen } from "../../tools/sandbox/sandboxConfigs";
import { defaultTlsPort, selfSignedCertificate } from "../../tools/sandbox/sandboxTls";
import { nginxPid, supervisordPid } from "../../tools/sandbox/sandboxProcesses";
import { isAlive } from "../../tools/shared/runCommand";
import { httpsRequest, request } from "../../tools/sandbox/sandboxRequests";
import { plannedFiles } from "../../tools/plan/planOutput";
import { stackConfigFor } from "../../tools/plan/stackFiles";
import { parseStackConfig } from "../../config";
import { renderNginxSite } from "../../templates";
import { planStack } from "../helpers/planHelpers";
import {
  derivedStackFile,
  freePort,
  stagingStackFile,
  startDetached,
  stopDetached,
  tlsHandshake,
  cli,
} from "../helpers/sandboxHelpers";

// staging's config under a name of its own: its own .sandbox/<stack>, never a developer's staging.
const STACK = "tlstest";
const HOST = "api.staging.example.com";
/** What a client must send to speak TLS 1.1 at all: OpenSSL 3 refuses it below security level 0. */
const TLS_1_1 = {
  minVersion: "TLSv1.1",
  maxVersion: "TLSv1.1",
  ciphers: "DEFAULT@SECLEVEL=0",
} as const;

describe("remapListen for a site that serves HTTPS", () => {
  const site = renderNginxSite({
    stack: "s",
    app: "api",
    serverNames: [HOST],
    clientMaxBodySize: "10m",
    readTimeoutSeconds: 30,
    jsFile: "/x.js",
    tls: true,
  });

  test("443 moves to the TLS port on loopback, 80 to the port, and the IPv6 listens go", () => {
    const listens = remapListen(site, 8000, 8363).match(/^\s*listen .*$/gm)!;
    expect(listens.map((line) => line.trim())).toEqual([
      "listen 127.0.0.1:8000 default_server;",
      "listen 127.0.0.1:8363 ssl default_server;",
      "listen 127.0.0.1:8000;",
      "listen 127.0.0.1:8363 ssl http2;",
    ]);
  });

  test("without a TLS port the site is refused rather than left on port 443", () => {
    expect(() => remapListen(site, 8000)).toThrow(
      "the planned nginx site has a listen the sandbox does not remap: listen 443 ssl default_server;",
    );
  });

  test("the default TLS port is port + 363, as 443 is to 80", () => {
    expect(defaultTlsPort(80)).toBe(443);
    expect(defaultTlsPort(8000)).toBe(8363);
  });
});

test("the self-signed certificate names every host in its subjectAltName", () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), "tls-cert-"));
  const [cert, key] = [path.join(dir, "cert.pem"), path.join(dir, "key.pem")];
  selfSignedCertificate(["example.com", HOST], cert, key);
  const x509 = new X509Certificate(readFileSync(cert));
  expect(x509.subjectAltName).toBe(`DNS:example.com, DNS:${HOST}`);
  expect(x509.checkHost(HOST)).toBe(HOST);
  expect(x509.checkHost("evil.example.org")).toBeUndefined();
  rmSync(dir, { recursive: true, force: true });
});

describe("a staging sandbox over HTTPS", () => {
  let sandbox: Sandbox;
  let tlsPort: number;
  beforeAll(async () => {
    const port = await freePort();
    tlsPort = await freePort();
    const file = stagingStackFile(STACK, await freePort());
    const started = startDetached(STACK, file, port, ["--tls-port", String(tlsPort)]);
    expect(started.tls?.port).toBe(tlsPort);
    expect(started.stdout).toContain(
      `--resolve ${HOST}:${tlsPort}:127.0.0.1 https://${HOST}:${tlsPort}/health`,
    );
    expect(started.stderr).toContain(
      `substituted: nginx serves HTTPS on 127.0.0.1:${tlsPort} instead of port 443 (and no IPv6)`,
    );
    sandbox = started;
  }, 120000);
  afterAll(() => {
    stopDetached(STACK);
    // Unset when the start failed: that failure is the one to read.
    if (sandbox) expect(isAlive(nginxPid(sandbox)) || isAlive(supervisordPid(sandbox))).toBe(false);
  });

  test("the health path answers 200 from the API over TLS 1.2 or 1.3, without HSTS outside production", async () => {
    const reply = await httpsRequest(sandbox, HOST, "/health");
    expect(reply.status).toBe(200);
    expect(reply.headers["x-release"]).toBe("v0.1.0");
    expect(["TLSv1.2", "TLSv1.3"]).toContain(reply.protocol);
    expect(reply.headers["strict-transport-security"]).toBeUndefined();
  });

  test("the API sees X-Forwarded-Proto https and the original Host", async () => {
    const reply = await httpsRequest(sandbox, HOST, "/echo", { method: "POST", body: "hello" });
    expect(reply.status).toBe(200);
    const echo = JSON.parse(reply.body);
    expect(echo).toMatchObject({ method: "POST", path: "/echo", bodyBytes: 5 });
    expect(echo.headers["x-forwarded-proto"]).toBe("https");
    expect(echo.headers.host).toBe(HOST);
  });

  test("a client limited to TLS 1.2 gets TLS 1.2, and HTTP/2 is offered with ALPN", async () => {
    const tls12 = await tlsHandshake(sandbox, { servername: HOST, maxVersion: "TLSv1.2" });
    expect(tls12.protocol).toBe("TLSv1.2");
    const h2 = await tlsHandshake(sandbox, { servername: HOST, ALPNProtocols: ["h2", "http/1.1"] });
    expect(h2.alpn).toBe("h2");
  });

  test("TLS 1.1 is refused by nginx (the same client completes TLS 1.1 elsewhere)", async () => {
    // Control: this client really offers TLS 1.1, so the refusal below comes from nginx, not from
    // the client's own OpenSSL defaults.
    const control = createTlsServer({
      cert: readFileSync(sandbox.tls!.certificate),
      key: readFileSync(sandbox.tls!.certificateKey),
      ...TLS_1_1,
    });
    control.on("secureConnection", (socket) => socket.end());
    await new Promise<void>((resolve) => control.listen(0, "127.0.0.1", resolve));
    try {
      const port = (control.address() as AddressInfo).port;
      const accepted = await tlsHandshake(
        { tls: { ...sandbox.tls!, port } },
        { servername: HOST, ...TLS_1_1 },
      );
      expect(accepted.protocol).toBe("TLSv1.1");
    } finally {
      control.close();
    }
    // An alert from nginx, not necessarily protocol_version: OpenSSL picks the version before SNI,
    // under the default server's ssl_protocols (nginx 1.22 still allows 1.1 there), so the host's
    // server refuses it afterwards (its ciphers are TLS 1.2+ only, and OpenSSL 3 allows TLS 1.1 at
    // security level 0 only). Allowing 1.1 in the template's ssl_protocols and ciphers fails this.
    await expect(tlsHandshake(sandbox, { servername: HOST, ...TLS_1_1 })).rejects.toMatchObject({
      code: expect.stringMatching(/^ERR_SSL_(SSLV3|TLSV1)_ALERT_/),
    });
  });

  test("an unknown server name, or none, is refused at the handshake", async () => {
    for (const servername of ["evil.example.org", undefined]) {
      await expect(tlsHandshake(sandbox, { servername })).rejects.toMatchObject({
        code: "ERR_SSL_TLSV1_UNRECOGNIZED_NAME",
      });
    }
    // The host itself still completes the handshake.
    expect((await tlsHandshake(sandbox, { servername: HOST })).protocol).toMatch(/^TLSv1\.[23]$/);
  });

  test("plain HTTP for the host redirects to https:// with the path and query", async () => {
    const reply = await request(sandbox, HOST, "/version?verbose=1");
    expect(reply.status).toBe(301);
    expect(reply.headers.location).toBe(`https://${HOST}/version?verbose=1`);
  });

  test("an ACME challenge in the webroot is served over plain HTTP, not redirected", async () => {
    const token = `token-${Date.now()}`;
    const challenges = path.join(sandbox.tls!.acmeRoot, ".well-known", "acme-challenge");
    writeFileSync(path.join(challenges, token), `${token}.key-authorization`);
    const reply = await request(sandbox, HOST, `/.well-known/acme-challenge/${token}`);
    expect(reply.status).toBe(200);
    expect(reply.headers["content-type"]).toBe("text/plain");
    expect(reply.body).toBe(`${token}.key-authorization`);
    const missing = await request(sandbox, HOST, "/.well-known/acme-challenge/no-such-token");
    expect(missing.status).toBe(404);
  });
});

test("an HTTP-only stack is prepared as before: no certificate, no HTTPS listener", async () => {
  const stack = "tlshttp";
  const input = stackConfigFor(stack, derivedStackFile(stack, {}));
  const plan = await planStack(stack, input);
  const sandbox = prepareSandbox({
    stack,
    config: parseStackConfig(stack, input.config, input.secretKeys),
    files: plannedFiles(plan),
    port: 8000,
    tlsPort: 8363,
    docker: false,
  });
  expect(sandbox.tls).toBeUndefined();
  expect(
    JSON.parse(readFileSync(path.join(sandbox.runDir, "sandbox.json"), "utf8")),
  ).not.toHaveProperty("tls");
  expect(existsSync(path.join(sandbox.runDir, "tls"))).toBe(false);
  const site = readFileSync(path.join(sandbox.runDir, "site.conf"), "utf8");
  expect(site).not.toMatch(/ssl|443/);
  expect(site.match(/^\s*listen .*$/gm)!.map((line) => line.trim())).toEqual([
    "listen 127.0.0.1:8000 default_server;",
    "listen 127.0.0.1:8000;",
  ]);
  expect(sandbox.substitutions).toHaveLength(3);
  expect(sandbox.substitutions.join("\n")).not.toMatch(/HTTPS|certificate|certbot/);
  rmSync(sandbox.dir, { recursive: true, force: true });
});

test("an HTTPS port already in use is a clear error naming it", async () => {
  const blocker = createNetServer();
  const tlsPort = await freePort();
  await new Promise<void>((resolve) => blocker.listen(tlsPort, "127.0.0.1", resolve));
  try {
    const stack = "tlsbusy";
    const run = cli([
      ...["start", "--stack", stack, "--detach"],
      ...["--config", stagingStackFile(stack, await freePort())],
      ...["--port", String(await freePort()), "--tls-port", String(tlsPort)],
    ]);
    expect(run.stderr.trim().split("\n").pop()).toBe(
      `start: port ${tlsPort} (the sandbox's HTTPS port, --tls-port) is already in use on 127.0.0.1`,
    );
    expect(run.status).toBe(1);
  } finally {
    blocker.close();
  }
}, 60000);
