/**
 * A review stack in the local cloud, derived from the committed staging stack as `review up`
 * derives it: one small droplet for `pr-<N>.review`, HTTPS with certbot's certificate from the
 * ACME server the derivation names (Let's Encrypt's staging directory, pebble locally), no alerts.
 * Needs root.
 */
import { local, runAs, servedCertificate } from "../helpers/localCloudHelpers";

jest.setTimeout(20 * 60 * 1000);

const STACK = "review-pr-42";
const HOST = "pr-42.review.example.com";

let up: ReturnType<typeof local>;

beforeAll(() => {
  if (process.getuid?.() !== 0) throw new Error("the local cloud tests need root");
  local("down", "--stack", STACK);
  up = local("up", "--stack", STACK, "--json");
  if (up.status !== 0) throw new Error(`local up of ${STACK} failed:\n${up.stderr}`);
});

afterAll(() => {
  expect(local("down", "--stack", STACK).status).toBe(0);
});

test("is derived from staging and serves its own host over HTTPS, with a certificate for it", () => {
  expect(up.stderr).toContain("config derived from staging");
  expect(JSON.parse(up.stdout).urls).toEqual([`https://${HOST}/`]);
  const health = runAs(STACK, "visitor", "curl", "-sS", "-m", "10", `https://${HOST}/health`);
  expect(health.stderr).toBe("");
  expect(JSON.parse(health.stdout)).toEqual({ status: "ok" });
  const certificate = servedCertificate(STACK, HOST);
  expect(certificate).toMatch(/^issuer=CN = Pebble Intermediate CA/m);
  expect(certificate).toMatch(/DNS:pr-42\.review\.example\.com$/m);
});

test("has no uptime checks: nobody is paged for a review stack", () => {
  expect(JSON.parse(local("status", "--stack", STACK, "--json").stdout).uptime).toEqual([]);
});
