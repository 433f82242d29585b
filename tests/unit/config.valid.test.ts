// Config that parses: parseStackConfig fills in every default, turns stored strings into numbers and
// booleans, and hands secrets back as secret Outputs.
import * as pulumi from "@pulumi/pulumi";
import { SECRET_MASK, parseStackConfig } from "../../config";
import { promiseOf } from "../../tools/plan/runPlan";
import { configMap, FINGERPRINT, parse, PRIVATE_KEY, useMockRuntime } from "../helpers/configCases";
import { MISSING } from "../helpers/configMaps";
import { CHAIN, CUSTOM_TLS, KEY, PROXY_IS_SECRET } from "../helpers/tlsFixtures";

useMockRuntime();

describe("valid configs", () => {
  test("a minimal staging config gets every default", () => {
    const { sshPrivateKey, app, ...rest } = parse();
    const { secretEnv, ...plainApp } = app;
    expect(rest).toEqual({
      stack: "staging",
      production: false,
      region: "fra1",
      domain: "example.com",
      hosts: ["api"],
      dnsTtl: 300,
      droplet: {
        size: "s-1vcpu-1gb",
        image: "debian-12-x64",
        count: 1,
        sshKeys: [FINGERPRINT],
        backups: false,
        monitoring: true,
        reservedIp: true,
      },
      proxy: {
        clientMaxBodySize: "10m",
        readTimeoutSeconds: 60,
        tls: { mode: "off", server: "letsencrypt" },
      },
      firewall: { sshSourceAddresses: ["0.0.0.0/0", "::/0"] },
      loadBalancer: { sizeUnit: 1 },
      alerts: undefined,
      protect: false,
      services: [],
      tags: [],
    });
    expect(plainApp).toEqual({
      container: {},
      envIsSecret: false,
      name: "api",
      port: 8080,
      healthPath: "/health",
      healthTimeoutSeconds: 60,
      drainSeconds: 5,
      migrateTimeoutSeconds: 600,
      processes: {},
      env: {},
      release: "v1.4.2",
      source: { kind: "build", context: "./app", registry: "dropstack" },
    });
    expect(secretEnv).toEqual({});
    expect(pulumi.Output.isInstance(sshPrivateKey)).toBe(true);
  });

  test("proxy.tls.server: letsencrypt by default, Let's Encrypt's staging for review stacks", () => {
    const tls = { mode: "letsencrypt", email: "ops@example.com" };
    expect(parse({ "proxy.tls": tls }).proxy.tls.server).toBe("letsencrypt");
    expect(parse({ "proxy.tls": tls }, { stack: "review-pr-7" }).proxy.tls.server).toBe(
      "letsencrypt-staging",
    );
    const chosen = { ...tls, server: "letsencrypt" };
    expect(parse({ "proxy.tls": chosen }, { stack: "review-pr-7" }).proxy.tls.server).toBe(
      "letsencrypt",
    );
    const url = { ...tls, server: "https://acme.internal.example/directory" };
    expect(parse({ "proxy.tls": url }).proxy.tls.server).toBe(url.server);
  });

  test("proxy.tls custom: the certificate as given, its key a secret Output; production takes it", async () => {
    const options = { secretKeys: PROXY_IS_SECRET };
    const { tls } = parse({ "proxy.tls": CUSTOM_TLS }, options).proxy;
    expect(tls.certificate).toBe(CHAIN);
    expect(pulumi.Output.isInstance(tls.privateKey)).toBe(true);
    expect(await promiseOf(tls.privateKey!)).toBe(KEY);
    expect(await pulumi.isSecret(tls.privateKey!)).toBe(true);
    expect(() =>
      parse({ "proxy.tls": CUSTOM_TLS }, { ...options, stack: "production" }),
    ).not.toThrow();
    // The offline plan's placeholder for a key it cannot decrypt is not checked against the chain.
    const offline = { ...CUSTOM_TLS, privateKey: SECRET_MASK };
    expect(parse({ "proxy.tls": offline }, options).proxy.tls.certificate).toBe(CHAIN);
  });

  test("production is protected and keeps its SSH source addresses", () => {
    const c = parse({}, { stack: "production" });
    expect(c.production).toBe(true);
    expect(c.protect).toBe(true);
    expect(c.firewall.sshSourceAddresses).toEqual(["203.0.113.0/24"]);
  });

  test("production takes a wider SSH list once firewall.sshExposureLimit is raised to cover it", () => {
    const wide = { "firewall.sshSourceAddresses": ["10.0.0.0/13", "10.8.0.0/13"] };
    expect(() => parse(wide, { stack: "production" })).toThrow(/admits 1,048,576 IPv4 addresses/);
    const raised = parse(
      {
        firewall: {
          ...{ sshSourceAddresses: wide["firewall.sshSourceAddresses"] },
          sshExposureLimit: { ipv4: "/12" },
        },
      },
      { stack: "production" },
    );
    expect(raised.firewall.sshSourceAddresses).toEqual(["10.0.0.0/13", "10.8.0.0/13"]);
  });

  test.each(["dev", "staging", "pr-42"])(
    "stack %s is not protected and leaves SSH open by default",
    (stack) => {
      const c = parse({}, { stack });
      expect(c.production).toBe(false);
      expect(c.protect).toBe(false);
      expect(c.firewall.sshSourceAddresses).toEqual(["0.0.0.0/0", "::/0"]);
    },
  );

  test("a non-production stack may narrow SSH, and an empty list falls back to open", () => {
    expect(
      parse({ "firewall.sshSourceAddresses": ["203.0.113.7/32"] }).firewall.sshSourceAddresses,
    ).toEqual(["203.0.113.7/32"]);
    expect(parse({ "firewall.sshSourceAddresses": [] }).firewall.sshSourceAddresses).toEqual([
      "0.0.0.0/0",
      "::/0",
    ]);
  });

  test("protect can be overridden either way", () => {
    expect(parse({ protect: false }, { stack: "production" }).protect).toBe(false);
    expect(parse({ protect: "false" }, { stack: "production" }).protect).toBe(false);
    expect(parse({ protect: "true" }).protect).toBe(true);
  });

  test("app.image gives an image source and needs no registry", () => {
    const c = parse({ "app.registry": MISSING, "app.image": "ghcr.io/acme/api:1.4.2" });
    expect(c.app.source).toEqual({ kind: "image", image: "ghcr.io/acme/api:1.4.2" });
  });

  test.each([
    "nginx:1.27",
    "localhost:5000/api:1",
    `ghcr.io/acme/api@sha256:${"a".repeat(64)}`,
    `registry.digitalocean.com/dropstack/api:v1.4.2@sha256:${"0123456789abcdef".repeat(4)}`,
  ])("image reference %s is accepted", (image) => {
    expect(parse({ "app.image": image }).app.source).toEqual({
      kind: "image",
      image,
      registry: "dropstack",
    });
  });

  test("app.build sets the build context", () => {
    expect(parse({ "app.build": "./services/api" }).app.source).toEqual({
      kind: "build",
      context: "./services/api",
      registry: "dropstack",
    });
  });

  test("numbers and booleans stored as strings (pulumi config set --path) are accepted", () => {
    const c = parse({
      dnsTtl: "600",
      protect: "true",
      "droplet.count": "3",
      "droplet.backups": "true",
      "droplet.monitoring": "false",
      "app.port": "8080",
      "proxy.readTimeoutSeconds": "30",
    });
    expect(c.dnsTtl).toBe(600);
    expect(c.protect).toBe(true);
    expect(c.droplet).toMatchObject({ count: 3, backups: true, monitoring: false });
    expect(c.app.port).toBe(8080);
    expect(c.proxy).toEqual({
      clientMaxBodySize: "10m",
      readTimeoutSeconds: 30,
      tls: { mode: "off", server: "letsencrypt" },
    });
  });

  test("every setting can be given explicitly", () => {
    const c = parse(
      {
        region: "nyc3",
        domain: "acme.co.uk",
        hosts: ["@", "api", "www.eu"],
        dnsTtl: 3600,
        droplet: {
          size: "s-2vcpu-4gb",
          image: "ubuntu-24-04-x64",
          count: 2,
          sshKeys: [FINGERPRINT, "12345"],
          backups: true,
          monitoring: true,
          reservedIp: false,
        },
        "app.name": "billing",
        "app.port": 3000,
        "app.healthPath": "/healthz?full=1",
        "app.env": { LOG_LEVEL: "warn", EMPTY: "" },
        "app.release": "2024.06.01+build.7",
        proxy: {
          clientMaxBodySize: "512k",
          readTimeoutSeconds: 120,
          tls: { mode: "letsencrypt", email: "certs@acme.co.uk" },
        },
        "firewall.sshSourceAddresses": ["203.0.113.0/24", "2001:db8::/32", "198.51.100.7"],
        loadBalancer: { sizeUnit: 3 },
        tags: ["team-api", "env:prod", "cost_center"],
      },
      { stack: "production" },
    );
    expect(c.region).toBe("nyc3");
    expect(c.domain).toBe("acme.co.uk");
    expect(c.hosts).toEqual(["@", "api", "www.eu"]);
    expect(c.dnsTtl).toBe(3600);
    expect(c.droplet).toEqual({
      size: "s-2vcpu-4gb",
      image: "ubuntu-24-04-x64",
      count: 2,
      sshKeys: [FINGERPRINT, "12345"],
      backups: true,
      monitoring: true,
      reservedIp: false,
    });
    expect(c.app).toMatchObject({
      name: "billing",
      port: 3000,
      healthPath: "/healthz?full=1",
      env: { LOG_LEVEL: "warn", EMPTY: "" },
      release: "2024.06.01+build.7",
    });
    expect(c.proxy).toEqual({
      clientMaxBodySize: "512k",
      readTimeoutSeconds: 120,
      tls: { mode: "letsencrypt", email: "certs@acme.co.uk", server: "letsencrypt" },
    });
    expect(c.loadBalancer).toEqual({ sizeUnit: 3 });
    expect(c.firewall.sshSourceAddresses).toEqual([
      "203.0.113.0/24",
      "2001:db8::/32",
      "198.51.100.7",
    ]);
    expect(c.tags).toEqual(["team-api", "env:prod", "cost_center"]);
  });

  test("alerts get their defaults; a Slack webhook makes where they go a secret", async () => {
    const byEmail = parse({ alerts: { emails: ["ops@example.com"] } }).alerts!;
    expect(byEmail).toMatchObject({
      cpuPercent: 80,
      memoryPercent: 90,
      diskPercent: 85,
      window: "5m",
      latencyMs: 2000,
      certificateDays: 14,
    });
    expect(await promiseOf(byEmail.notify)).toEqual({ emails: ["ops@example.com"], slacks: [] });
    expect(await pulumi.isSecret(byEmail.notify)).toBe(false);
    const url = "https://hooks.slack.com/services/T0/B0/XYZ";
    const bySlack = parse(
      { alerts: { slackWebhook: url, slackChannel: "#ops" } },
      { secretKeys: ["dropstack:alerts"] },
    ).alerts!;
    expect(await promiseOf(bySlack.notify)).toEqual({
      emails: [],
      slacks: [{ channel: "#ops", url }],
    });
    expect(await pulumi.isSecret(bySlack.notify)).toBe(true);
  });

  test("keys of other namespaces are ignored", () => {
    const c = parseStackConfig("staging", {
      ...configMap(),
      "digitalocean:token": "x",
      "aws:region": "us-east-1",
    });
    expect(c.region).toBe("fra1");
  });

  test("secretEnv values and the SSH private key come back as secret Outputs", async () => {
    const c = parse({
      "app.env": { LOG_LEVEL: "info" },
      "app.secretEnv": { DB_PASSWORD: "hunter2", API_TOKEN: "t0k3n" },
    });
    expect(c.app.env).toEqual({ LOG_LEVEL: "info" });
    expect(Object.keys(c.app.secretEnv).sort()).toEqual(["API_TOKEN", "DB_PASSWORD"]);
    for (const output of Object.values(c.app.secretEnv)) {
      expect(pulumi.Output.isInstance(output)).toBe(true);
      await expect(pulumi.isSecret(output)).resolves.toBe(true);
    }
    await expect(promiseOf(c.app.secretEnv.DB_PASSWORD)).resolves.toBe("hunter2");
    await expect(promiseOf(c.app.secretEnv.API_TOKEN)).resolves.toBe("t0k3n");
    await expect(pulumi.isSecret(c.sshPrivateKey)).resolves.toBe(true);
    await expect(promiseOf(c.sshPrivateKey)).resolves.toBe(PRIVATE_KEY);
  });
});
