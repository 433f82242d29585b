/**
 * The committed staging stack in the local cloud: certbot on the droplet gets its certificate from
 * the local ACME server (pebble) through the HTTP-01 challenge its own nginx serves, resolved by
 * the stack's DNS and validated from outside the firewall; a visitor then gets HTTPS with it.
 * Needs root (CI has it).
 */
import { stackFilePath } from "../../tools/plan/stackFiles";
import {
  eventually,
  local,
  onDroplet,
  runAs,
  servedCertificate,
  visitorStatus,
} from "../helpers/localCloudHelpers";

jest.setTimeout(20 * 60 * 1000);

const STACK = "lc-staging";
const HOST = "api.staging.example.com";
const visitor = (...argv: string[]) => runAs(STACK, "visitor", ...argv);
/** A TLS handshake from the visitor, with openssl's own words for what happened. */
const handshake = (...options: string[]) =>
  visitor(
    "sh",
    "-c",
    `openssl s_client ${options.join(" ")} -connect ${HOST}:443 -servername ${HOST} </dev/null 2>&1`,
  );

beforeAll(() => {
  if (process.getuid?.() !== 0) throw new Error("the local cloud tests need root");
  local("down", "--stack", STACK);
  const up = local("up", "--stack", STACK, "--config", stackFilePath("staging"));
  if (up.status !== 0) throw new Error(`local up of ${STACK} failed:\n${up.stderr}`);
});

afterAll(() => {
  const down = local("down", "--stack", STACK);
  expect(down.stdout).toContain("its ACME server");
});

test("/health over HTTPS with the certificate pebble issued for the stack's host", () => {
  const health = visitor("curl", "-sS", "-m", "10", `https://${HOST}/health`);
  expect(health.stderr).toBe("");
  expect(JSON.parse(health.stdout)).toEqual({ status: "ok" });
  const certificate = servedCertificate(STACK, HOST);
  expect(certificate).toMatch(/^issuer=CN = Pebble Intermediate CA/m);
  expect(certificate).toMatch(/DNS:api\.staging\.example\.com$/m);
});

test("TLS 1.1 is refused by the droplet's nginx (the client would speak it)", () => {
  const old = handshake("-tls1_1", "-cipher", "DEFAULT@SECLEVEL=0").stdout;
  expect(old).toMatch(/alert protocol version/);
  expect(handshake("-tls1_2").stdout).toMatch(/Protocol\s*: TLSv1\.2/);
});

test("port 80 redirects to HTTPS, except the ACME challenge path", () => {
  expect(visitorStatus(STACK, `http://${HOST}/version`, "%{http_code} %{redirect_url}")).toBe(
    `301 https://${HOST}/version`,
  );
  expect(visitorStatus(STACK, `http://${HOST}/.well-known/acme-challenge/none`)).toBe("404");
});

test("no HSTS outside production", () => {
  const headers = visitor(
    "curl",
    "-sS",
    "-D",
    "-",
    "-o",
    "/dev/null",
    "-m",
    "10",
    `https://${HOST}/health`,
  ).stdout;
  expect(headers).toMatch(/^HTTP\/2 200/m);
  expect(headers.toLowerCase()).not.toContain("strict-transport-security");
});

test("the uptime check probes the host from the visitor: up, down while nginx is stopped, up again", async () => {
  const uptime = () => JSON.parse(local("status", "--stack", STACK, "--json").stdout).uptime[0];
  const until = (check: () => boolean) => eventually(check, 40);
  expect(await until(() => uptime().probes > 0)).toBe(true);
  expect(uptime().target).toBe(`https://${HOST}/health`);
  expect(uptime().last).toMatchObject({ up: true, status: 200 });
  expect(uptime().last.latencyMs).toBeGreaterThanOrEqual(0);
  const exec = (...argv: string[]) => onDroplet(STACK, 1, ...argv);
  exec("systemctl", "stop", "nginx");
  expect(await until(() => uptime().last.up === false)).toBe(true);
  exec("systemctl", "start", "nginx");
  expect(await until(() => uptime().last.up === true)).toBe(true);
});
