// Config that is rejected, for the infrastructure sections: required keys, region, domain, hosts
// and DNS, the droplet, the proxy and TLS, the firewall, the load balancer, alerts, tags and protect.
// Each case is an input and the exact ConfigError lines it must produce. The app section, unknown
// keys, wrong shapes, several errors at once and secrets are in config.invalid.appAndErrors.test.ts.
import { Case, REGION_LIST, testCases, useMockRuntime } from "../helpers/configCases";
import { MISSING } from "../helpers/configMaps";
import {
  CHAIN,
  CUSTOM_TLS,
  EXPIRED_CHAIN,
  OTHER_KEY,
  PROXY_IS_SECRET,
} from "../helpers/tlsFixtures";

/** How an error line shows a long value: its JSON, cut to 80 characters. */
const shown = (value: string) => `${JSON.stringify(value).slice(0, 77)}...`;

useMockRuntime();

const invalid: Case[] = [
  // Missing required keys.
  {
    name: "missing region",
    overrides: { region: MISSING },
    lines: ["dropstack:region: is required, got nothing"],
  },
  {
    name: "missing domain",
    overrides: { domain: MISSING },
    lines: ["dropstack:domain: is required, got nothing"],
  },
  {
    name: "missing hosts",
    overrides: { hosts: MISSING },
    lines: ["dropstack:hosts: is required, got nothing"],
  },
  {
    name: "missing droplet",
    overrides: { droplet: MISSING },
    lines: ["dropstack:droplet: is required, got nothing"],
  },
  {
    name: "missing droplet.sshKeys",
    overrides: { "droplet.sshKeys": MISSING },
    lines: ["dropstack:droplet.sshKeys: is required, got nothing"],
  },
  {
    name: "missing app",
    overrides: { app: MISSING },
    lines: ["dropstack:app: is required, got nothing"],
  },
  {
    name: "missing app.release",
    overrides: { "app.release": MISSING },
    lines: ["dropstack:app.release: is required, got nothing"],
  },
  {
    name: "missing sshPrivateKey",
    overrides: { sshPrivateKey: MISSING },
    lines: ["dropstack:sshPrivateKey: is required, got nothing"],
  },
  {
    name: "every required key missing",
    overrides: {
      region: MISSING,
      domain: MISSING,
      hosts: MISSING,
      droplet: MISSING,
      app: MISSING,
      sshPrivateKey: MISSING,
    },
    lines: [
      "dropstack:region: is required, got nothing",
      "dropstack:domain: is required, got nothing",
      "dropstack:hosts: is required, got nothing",
      "dropstack:droplet: is required, got nothing",
      "dropstack:app: is required, got nothing",
      "dropstack:sshPrivateKey: is required, got nothing",
    ],
  },
  // Region, domain, hosts, DNS.
  {
    name: "region not in the allow-list",
    overrides: { region: "nyc4" },
    lines: [`dropstack:region: must be one of ${REGION_LIST}, got "nyc4"`],
  },
  {
    name: "region in upper case",
    overrides: { region: "FRA1" },
    lines: [`dropstack:region: must be one of ${REGION_LIST}, got "FRA1"`],
  },
  {
    name: "domain without a TLD",
    overrides: { domain: "example" },
    lines: ['dropstack:domain: must be a DNS zone such as example.com, got "example"'],
  },
  {
    name: "domain with a scheme",
    overrides: { domain: "https://example.com" },
    lines: ['dropstack:domain: must be a DNS zone such as example.com, got "https://example.com"'],
  },
  {
    name: "bad host name",
    overrides: { hosts: ["api", "bad_host"] },
    lines: [
      'dropstack:hosts[1]: must be @ or a host name relative to the zone, such as api, got "bad_host"',
    ],
  },
  {
    name: "duplicate host",
    overrides: { hosts: ["api", "api"] },
    lines: ['dropstack:hosts[1]: duplicates hosts[0], got "api"'],
  },
  {
    name: "duplicate apex",
    overrides: { hosts: ["@", "www", "@"] },
    lines: ['dropstack:hosts[2]: duplicates hosts[0], got "@"'],
  },
  {
    name: "empty hosts",
    overrides: { hosts: [] },
    lines: ["dropstack:hosts: must list at least one host, got []"],
  },
  {
    name: "hosts not a list",
    overrides: { hosts: "api" },
    lines: ['dropstack:hosts: must be a list of hosts, got "api"'],
  },
  {
    name: "dnsTtl too low",
    overrides: { dnsTtl: 10 },
    lines: ["dropstack:dnsTtl: must be an integer from 30 to 86400, got 10"],
  },
  // Droplet.
  {
    name: "droplet.count 0",
    overrides: { "droplet.count": 0 },
    lines: ["dropstack:droplet.count: must be an integer from 1 to 20, got 0"],
  },
  {
    name: "droplet.count 21",
    overrides: { "droplet.count": 21 },
    lines: ["dropstack:droplet.count: must be an integer from 1 to 20, got 21"],
  },
  {
    name: "droplet.count 1.5",
    overrides: { "droplet.count": 1.5 },
    lines: ["dropstack:droplet.count: must be an integer from 1 to 20, got 1.5"],
  },
  {
    name: 'droplet.count "1.5"',
    overrides: { "droplet.count": "1.5" },
    lines: ['dropstack:droplet.count: must be an integer from 1 to 20, got "1.5"'],
  },
  {
    name: "bad droplet size slug",
    overrides: { "droplet.size": "large" },
    lines: [
      'dropstack:droplet.size: must be a DigitalOcean size slug such as s-1vcpu-1gb, got "large"',
    ],
  },
  {
    name: "bad sshKeys entry",
    overrides: { "droplet.sshKeys": ["my-laptop"] },
    lines: [
      'dropstack:droplet.sshKeys[0]: must be an SSH key MD5 fingerprint or numeric id, got "my-laptop"',
    ],
  },
  {
    name: "empty sshKeys",
    overrides: { "droplet.sshKeys": [] },
    lines: [
      "dropstack:droplet.sshKeys: must list at least one SSH key (fingerprint or id) so the deploy steps can log in, got []",
    ],
  },
  {
    name: "droplet.backups not a boolean",
    overrides: { "droplet.backups": "yes" },
    lines: ['dropstack:droplet.backups: must be true or false, got "yes"'],
  },
  // Proxy.
  {
    name: 'proxy.clientMaxBodySize "10 MB"',
    overrides: { "proxy.clientMaxBodySize": "10 MB" },
    lines: [
      'dropstack:proxy.clientMaxBodySize: must be an nginx size such as 10m, 512k or 1g, got "10 MB"',
    ],
  },
  {
    name: "proxy.readTimeoutSeconds 0",
    overrides: { "proxy.readTimeoutSeconds": 0 },
    lines: ["dropstack:proxy.readTimeoutSeconds: must be an integer from 1 to 3600, got 0"],
  },
  {
    // Rules over several keys read the raw value; Number() of this one threw a TypeError (found
    // by the property test in config.properties.test.ts).
    name: "proxy.readTimeoutSeconds an object that cannot become a number",
    overrides: { "proxy.readTimeoutSeconds": [{ toString: 0 }], "droplet.count": [{ valueOf: 1 }] },
    lines: [
      'dropstack:droplet.count: must be an integer from 1 to 20, got [{"valueOf":1}]',
      'dropstack:proxy.readTimeoutSeconds: must be an integer from 1 to 3600, got [{"toString":0}]',
    ],
  },
  // Firewall.
  {
    name: "invalid CIDR",
    overrides: { "firewall.sshSourceAddresses": ["10.0.0.0/33"] },
    lines: [
      'dropstack:firewall.sshSourceAddresses[0]: must be an IPv4 or IPv6 CIDR, got "10.0.0.0/33"',
    ],
  },
  {
    name: "CIDR that is not an address",
    overrides: { "firewall.sshSourceAddresses": ["203.0.113.0/24", "office"] },
    lines: ['dropstack:firewall.sshSourceAddresses[1]: must be an IPv4 or IPv6 CIDR, got "office"'],
  },
  {
    name: "production with an empty sshSourceAddresses",
    stack: "production",
    overrides: { "firewall.sshSourceAddresses": [] },
    lines: [
      "dropstack:firewall.sshSourceAddresses: is required in production (the CIDRs allowed to reach port 22), got []",
    ],
  },
  {
    name: "production with 0.0.0.0/0",
    stack: "production",
    overrides: { "firewall.sshSourceAddresses": ["0.0.0.0/0"] },
    lines: [
      'dropstack:firewall.sshSourceAddresses[0]: must not open SSH to the whole internet in production, got "0.0.0.0/0"',
    ],
  },
  {
    name: "production with ::/0",
    stack: "production",
    overrides: { "firewall.sshSourceAddresses": ["203.0.113.0/24", "::/0"] },
    lines: [
      'dropstack:firewall.sshSourceAddresses[1]: must not open SSH to the whole internet in production, got "::/0"',
    ],
  },
  {
    name: "production with the IPv4 internet in two halves",
    stack: "production",
    overrides: { "firewall.sshSourceAddresses": ["0.0.0.0/1", "128.0.0.0/1"] },
    lines: [
      `dropstack:firewall.sshSourceAddresses: admits 4,294,967,296 IPv4 addresses (a /0's worth) in total, more than production's limit of 65,536 IPv4 addresses (a /16's worth): narrow the list, or raise firewall.sshExposureLimit.ipv4 if that is meant, got ["0.0.0.0/1","128.0.0.0/1"]`,
    ],
  },
  {
    name: "production with more IPv6 than its limit, and a raised IPv4 limit that is not a prefix",
    stack: "production",
    overrides: {
      firewall: {
        sshSourceAddresses: ["2001:db8::/31", "203.0.113.0/24"],
        sshExposureLimit: { ipv4: "/0" },
      },
    },
    lines: [
      `dropstack:firewall.sshExposureLimit.ipv4: must be a prefix length from /1 to /32 such as /16 (production's SSH sources may admit that block's worth of ipv4 addresses in total), got "/0"`,
      `dropstack:firewall.sshSourceAddresses: admits 2^97 IPv6 addresses (a /31's worth) in total, more than production's limit of 2^96 IPv6 addresses (a /32's worth): narrow the list, or raise firewall.sshExposureLimit.ipv6 if that is meant, got ["2001:db8::/31","203.0.113.0/24"]`,
    ],
  },
  // TLS, the load balancer, alerts.
  {
    name: "proxy.tls mode unknown",
    overrides: { "proxy.tls": { mode: "on" } },
    lines: ['dropstack:proxy.tls.mode: must be off, letsencrypt or custom, got "on"'],
  },
  {
    name: "letsencrypt without an email",
    overrides: { "proxy.tls": { mode: "letsencrypt" } },
    lines: ["dropstack:proxy.tls.email: is required with proxy.tls.mode letsencrypt, got nothing"],
  },
  {
    name: "letsencrypt with a bad email",
    overrides: { "proxy.tls": { mode: "letsencrypt", email: "ops at example.com" } },
    lines: ['dropstack:proxy.tls.email: must be an email address, got "ops at example.com"'],
  },
  {
    name: "an email with tls off",
    overrides: { "proxy.tls": { mode: "off", email: "ops@example.com" } },
    lines: [
      'dropstack:proxy.tls.email: is only used with proxy.tls.mode letsencrypt, got "ops@example.com"',
    ],
  },
  {
    name: "unknown tls key suggests the closest",
    overrides: { "proxy.tls": { mode: "letsencrypt", emial: "ops@example.com" } },
    lines: [
      'dropstack:proxy.tls.emial: unknown key (did you mean proxy.tls.email?), got "ops@example.com"',
      "dropstack:proxy.tls.email: is required with proxy.tls.mode letsencrypt, got nothing",
    ],
  },
  // proxy.tls.mode custom: the stack's own certificate and its key, checked before any resource.
  // The key is set with --secret, so Pulumi holds all of dropstack:proxy as a secret: every value
  // under it is masked in these lines.
  {
    name: "custom without a certificate or a key",
    overrides: { "proxy.tls": { mode: "custom" } },
    secretKeys: PROXY_IS_SECRET,
    lines: [
      "dropstack:proxy.tls.certificate: is required with proxy.tls.mode custom, got nothing",
      "dropstack:proxy.tls.privateKey: is required with proxy.tls.mode custom, got nothing",
    ],
  },
  {
    name: "custom with a key not set with --secret",
    overrides: { "proxy.tls": CUSTOM_TLS },
    lines: [
      "dropstack:proxy.tls.privateKey: must be set with --secret (pulumi config set --secret --path dropstack:proxy.tls.privateKey < key.pem), got [secret]",
    ],
  },
  {
    name: "custom with text that is no certificate, and a key that is no key",
    overrides: { "proxy.tls": { mode: "custom", certificate: "hello", privateKey: "s3cret" } },
    secretKeys: PROXY_IS_SECRET,
    lines: [
      `dropstack:proxy.tls.certificate: must be PEM certificates: the server's own first, then its chain, got [secret]`,
      "dropstack:proxy.tls.privateKey: must be an unencrypted PEM private key, got [secret]",
    ],
  },
  {
    name: "custom with the key of another certificate",
    overrides: { "proxy.tls": { ...CUSTOM_TLS, privateKey: OTHER_KEY } },
    secretKeys: PROXY_IS_SECRET,
    lines: [
      "dropstack:proxy.tls.privateKey: does not belong to proxy.tls.certificate (the first certificate in it), got [secret]",
    ],
  },
  {
    name: "custom with a certificate that does not cover a host",
    overrides: { hosts: ["api", "api.eu"], "proxy.tls": CUSTOM_TLS },
    secretKeys: PROXY_IS_SECRET,
    lines: [
      "dropstack:proxy.tls.certificate: does not cover api.eu.example.com (it names example.com, *.example.com, *.staging.example.com), got [secret]",
    ],
  },
  {
    name: "custom with an expired certificate",
    overrides: { "proxy.tls": { ...CUSTOM_TLS, certificate: EXPIRED_CHAIN } },
    secretKeys: PROXY_IS_SECRET,
    lines: ["dropstack:proxy.tls.certificate: expired on 2021-01-01, got [secret]"],
  },
  {
    name: "a certificate with letsencrypt, an email with custom",
    overrides: {
      "proxy.tls": { mode: "letsencrypt", email: "ops@example.com", certificate: CHAIN },
    },
    lines: [
      `dropstack:proxy.tls.certificate: is only used with proxy.tls.mode custom, got ${shown(CHAIN)}`,
    ],
  },
  {
    name: "an email with custom",
    overrides: { "proxy.tls": { ...CUSTOM_TLS, email: "ops@example.com" } },
    secretKeys: PROXY_IS_SECRET,
    lines: [
      "dropstack:proxy.tls.email: is only used with proxy.tls.mode letsencrypt, got [secret]",
    ],
  },
  // proxy.tls.server: a name or an https:// ACME directory, only with letsencrypt, one droplet.
  ...(
    [
      ["an unknown server name", "letsencrypt-prod"],
      ["a plain-HTTP directory", "http://acme.example.com/directory"],
      ["a URL without a host", "https://"],
      ["a directory URL with a quote", "https://acme.example.com/dir'ectory"],
      ["a directory URL with a space", "https://acme.example.com/a directory"],
    ] as const
  ).map(([name, server]) => ({
    name: `proxy.tls.server: ${name}`,
    overrides: { "proxy.tls": { mode: "letsencrypt", email: "ops@example.com", server } },
    lines: [
      `dropstack:proxy.tls.server: must be letsencrypt, letsencrypt-staging or an https:// ACME directory URL, got ${JSON.stringify(server)}`,
    ],
  })),
  {
    name: "proxy.tls.server as a number",
    overrides: { "proxy.tls": { mode: "letsencrypt", email: "ops@example.com", server: 443 } },
    lines: [
      "dropstack:proxy.tls.server: must be letsencrypt, letsencrypt-staging or an https:// ACME directory URL, got 443",
    ],
  },
  {
    name: "proxy.tls.server with tls off",
    overrides: { "proxy.tls": { mode: "off", server: "letsencrypt-staging" } },
    lines: [
      'dropstack:proxy.tls.server: is only used with proxy.tls.mode letsencrypt, got "letsencrypt-staging"',
    ],
  },
  {
    name: "proxy.tls.server other than letsencrypt behind a load balancer",
    overrides: {
      "droplet.count": 2,
      "proxy.tls": { mode: "letsencrypt", email: "ops@example.com", server: "letsencrypt-staging" },
    },
    lines: [
      "dropstack:proxy.tls.server: must be letsencrypt with droplet.count > 1 (DigitalOcean issues the load balancer's certificate from Let's Encrypt), got \"letsencrypt-staging\"",
    ],
  },
  {
    name: "production without TLS",
    stack: "production",
    overrides: { "proxy.tls": { mode: "off" } },
    lines: [
      'dropstack:proxy.tls.mode: must be letsencrypt or custom in production (every public endpoint serves HTTPS), got "off"',
    ],
  },
  {
    name: "load balancer of 0 nodes",
    overrides: { "loadBalancer.sizeUnit": 0 },
    lines: ["dropstack:loadBalancer.sizeUnit: must be an integer from 1 to 100, got 0"],
  },
  {
    name: "alerts with nowhere to send them",
    overrides: { alerts: { cpuPercent: 90 } },
    lines: [
      "dropstack:alerts.emails: must list at least one address (or set alerts.slackWebhook), got nothing",
    ],
  },
  {
    name: "alerts with a bad email and a threshold over 100",
    overrides: { alerts: { emails: ["ops@example.com", "nobody"], diskPercent: 120 } },
    lines: [
      'dropstack:alerts.emails[1]: must be an email address, got "nobody"',
      "dropstack:alerts.diskPercent: must be an integer from 1 to 100, got 120",
    ],
  },
  {
    name: "alerts window not one DigitalOcean accepts",
    overrides: { alerts: { emails: ["ops@example.com"], window: "15m" } },
    lines: ['dropstack:alerts.window: must be one of 5m, 10m, 30m, 1h, got "15m"'],
  },
  {
    name: "a Slack webhook without a channel, and not https (its value is never printed)",
    overrides: { alerts: { slackWebhook: "http://hooks.slack.com/services/T0/B0/XYZ" } },
    secretKeys: ["dropstack:alerts"],
    lines: [
      "dropstack:alerts.slackWebhook: must be an https:// Slack incoming-webhook URL, got [secret]",
      "dropstack:alerts.slackChannel: is required with alerts.slackWebhook, got nothing",
    ],
  },
  {
    name: "an email that would break out of certbot's quoting",
    overrides: { "proxy.tls": { mode: "letsencrypt", email: "o'brien@example.com" } },
    lines: [`dropstack:proxy.tls.email: must be an email address, got "o'brien@example.com"`],
  },
  {
    name: "a read timeout the load balancer cannot keep",
    overrides: { "droplet.count": 3, "proxy.readTimeoutSeconds": 900 },
    lines: [
      "dropstack:proxy.readTimeoutSeconds: must be at most 600 with droplet.count > 1 (the load balancer's longest idle timeout), got 900",
    ],
  },
  {
    name: "a Slack webhook set in plain text",
    overrides: {
      alerts: { slackWebhook: "https://hooks.slack.com/services/T0/B0/XYZ", slackChannel: "#ops" },
    },
    lines: [
      "dropstack:alerts.slackWebhook: must be set with --secret (pulumi config set --secret --path dropstack:alerts.slackWebhook …), got [secret]",
    ],
  },
  {
    name: "alerts without the metrics agent",
    overrides: { alerts: { emails: ["ops@example.com"] }, "droplet.monitoring": false },
    lines: [
      "dropstack:droplet.monitoring: must be true when alerts are set (CPU, memory and disk alerts need the metrics agent), got false",
    ],
  },
  // Tags, protect.
  {
    name: "tag with a space",
    overrides: { tags: ["team-api", "team api"] },
    lines: [
      'dropstack:tags[1]: must be a DigitalOcean tag (letters, digits, : - _), got "team api"',
    ],
  },
  {
    name: "a tag another stack's firewalls admit by",
    overrides: { tags: ["dropstack-production"] },
    lines: [
      'dropstack:tags[0]: must not start with dropstack (dropstack sets its own tags), got "dropstack-production"',
    ],
  },
  {
    name: "protect not a boolean",
    overrides: { protect: "yes" },
    lines: ['dropstack:protect: must be true or false, got "yes"'],
  },
];

describe("invalid configs", () => {
  test("the table covers at least 30 configs", () => {
    expect(invalid.length).toBeGreaterThanOrEqual(30);
  });

  testCases(invalid);
});
