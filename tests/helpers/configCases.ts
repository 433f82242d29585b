/**
 * Shared builders for the config/ tests (tests/unit/config.*.test.ts): parseStackConfig turns
 * Pulumi's config map (`dropstack:<key>` → string, objects and lists as JSON text) into a typed
 * StackConfig, or throws a ConfigError with one exact line per problem. These helpers build that
 * map from a small valid config plus dotted-path overrides, and run tables of `input → exact lines`.
 */
import * as pulumi from "@pulumi/pulumi";
import { ConfigError, parseStackConfig } from "../../config";
import { stackContainerLimits } from "../../config/containerLimits";
import * as rules from "../../config/rules";
import { setPath, toConfigMap } from "./configMaps";

/** An SSH key MD5 fingerprint, as `droplet.sshKeys` takes it. */
export const FINGERPRINT = "3b:16:bf:e4:8b:00:8b:b8:59:8c:a9:d3:f0:19:45:fa";
/** The first line of an OpenSSH private key: what makes `sshPrivateKey` look like one. */
export const KEY_HEADER = "-----BEGIN OPENSSH PRIVATE KEY-----";
/** A (fake) OpenSSH private key that `sshPrivateKey` accepts. */
export const PRIVATE_KEY = `${KEY_HEADER}\nb3BlbnNzaC1rZXktdjEAAAAABG5vbmUAAAAEbm9uZQ\n-----END OPENSSH PRIVATE KEY-----\n`;
/** The allowed regions as the `dropstack:region` error lists them. */
export const REGION_LIST =
  "ams3, atl1, blr1, fra1, lon1, nyc1, nyc2, nyc3, sfo2, sfo3, sgp1, syd1, tor1";

/** Dotted path (`region`, `app.port`, `firewall.sshSourceAddresses`) → value, or MISSING to remove it. */
export type Overrides = Record<string, unknown>;

/** The smallest valid config for `stack`, as the values Pulumi would hold (before JSON encoding). */
export function baseConfig(stack: string): Record<string, unknown> {
  return {
    region: "fra1",
    domain: "example.com",
    hosts: ["api"],
    droplet: { sshKeys: [FINGERPRINT] },
    app: { release: "v1.4.2", registry: "dropstack" },
    sshPrivateKey: PRIVATE_KEY,
    ...(stack === rules.PRODUCTION_STACK
      ? {
          firewall: { sshSourceAddresses: ["203.0.113.0/24"] },
          proxy: { tls: { mode: "letsencrypt", email: "ops@example.com" } },
        }
      : {}),
  };
}

/** A valid config map for `stack` with `overrides` applied; `extra` entries are added verbatim. */
export function configMap(
  overrides: Overrides = {},
  stack = "staging",
  extra: Record<string, string> = {},
): Record<string, string> {
  const values = structuredClone(baseConfig(stack));
  for (const [path, value] of Object.entries(overrides)) setPath(values, path.split("."), value);
  return { ...toConfigMap(values), ...extra };
}

/** How to parse: the stack (default staging), the keys Pulumi holds as secrets, verbatim extras. */
export interface ParseOptions {
  stack?: string;
  secretKeys?: string[];
  extra?: Record<string, string>;
}

/** Parses the base config for the stack with `overrides` applied. */
export function parse(
  overrides: Overrides = {},
  { stack = "staging", secretKeys = [], extra = {} }: ParseOptions = {},
) {
  return parseStackConfig(stack, configMap(overrides, stack, extra), secretKeys);
}

/** The ConfigError lines for a config that must be rejected. */
export function errorLines(overrides: Overrides = {}, options: ParseOptions = {}): string[] {
  try {
    parse(overrides, options);
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    return error.lines;
  }
  throw new Error("expected a ConfigError, but the config parsed");
}

/** One row of an `input → exact lines` table: a config that must be rejected with `lines`. */
export interface Case {
  name: string;
  overrides?: Overrides;
  stack?: string;
  secretKeys?: string[];
  extra?: Record<string, string>;
  lines: string[];
}

/** Registers one test per case, named after it, that expects exactly the case's error lines. */
export function testCases(cases: Case[]): void {
  test.each(cases)("$name", ({ overrides, stack, secretKeys, extra, lines }) => {
    expect(errorLines(overrides, { stack, secretKeys, extra })).toEqual(lines);
  });
}

/**
 * Registers a beforeAll that installs Pulumi's mock runtime. Call it at the top level of every
 * test file that parses configs or reads Outputs: pulumi.secret / isSecret need a runtime, and
 * the mock runtime is enough and never calls a provider.
 */
export function useMockRuntime(): void {
  beforeAll(async () => {
    await pulumi.runtime.setMocks(
      {
        newResource: (args) => ({ id: "1", state: args.inputs }),
        call: () => {
          throw new Error("no calls");
        },
      },
      "dropstack",
      "test",
      false,
    );
  });
}

/** The container limits a droplet of `size` gives when app.container is left to its defaults. */
export const dropletLimits = (size: string, processes: Record<string, unknown> = {}) =>
  stackContainerLimits({ droplet: { size }, app: { container: {}, processes } });
