/**
 * A review stack in the local cloud, derived from the committed staging stack as `review up`
 * derives it: one small droplet for `pr-<N>.review`, HTTPS with certbot's certificate from the
 * ACME server the derivation names (Let's Encrypt's staging directory, pebble locally), no alerts.
 * Brought up as the review workflow brings it up, from a machine outside the stack's
 * firewall.sshSourceAddresses (a CI runner), through the deploy's way in. Needs root.
 */
import { ADDRESSES } from "../../tools/localcloud/localPaths";
import { readState } from "../../tools/localcloud/localState";
import { local, runAs, servedCertificate } from "../helpers/localCloudHelpers";

jest.setTimeout(20 * 60 * 1000);

const STACK = "review-pr-42";
const HOST = "pr-42.review.example.com";

let up: ReturnType<typeof local>;

beforeAll(() => {
  if (process.getuid?.() !== 0) throw new Error("the local cloud tests need root");
  local("down", "--stack", STACK);
  up = local("up", "--stack", STACK, "--from-outside", "--json");
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

test("was deployed from outside firewall.sshSourceAddresses through the way in, closed after it", () => {
  const operator = ADDRESSES.outsideOperator;
  expect(up.stderr).toContain(`the operator (${operator}) deploys from outside`);
  expect(up.stderr).toContain(
    `opened SSH from ${operator}/32 to the droplets tagged dropstack-${STACK}`,
  );
  expect(up.stderr).toContain(`closed the way in for ${STACK} from ${operator}`);
  const state = readState(STACK)!;
  expect(state.outsideFirewalls).toEqual([]);
  // Every SSH step reached the droplet from there; now SSH from there is dropped again: curl
  // gives up (exit 28) never having connected, where a refusal would be exit 7.
  const probe = runAs(
    STACK,
    "operator",
    ...["curl", "-s", "-o", "/dev/null", "--connect-timeout", "3", "-m", "5"],
    ...["-w", "%{time_connect}", `telnet://${state.droplets[0].address}:22`],
  );
  expect({ status: probe.status, connected: probe.stdout }).toEqual({
    status: 28,
    connected: "0.000000",
  });
  // HTTPS is open to all as before.
  expect(runAs(STACK, "operator", "curl", "-sS", "-m", "10", `https://${HOST}/health`).stdout).toBe(
    '{"status":"ok"}',
  );
});

test("has no uptime checks: nobody is paged for a review stack", () => {
  expect(JSON.parse(local("status", "--stack", STACK, "--json").stdout).uptime).toEqual([]);
});
