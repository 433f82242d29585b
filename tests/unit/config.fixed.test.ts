// Problems a review found in config/, now fixed: each case pins the behaviour that is right.
import { ConfigError, parseStackConfig } from "../../config";
import {
  Case,
  configMap,
  errorLines,
  parse,
  testCases,
  useMockRuntime,
} from "../helpers/configCases";
import { MISSING } from "../helpers/configMaps";

useMockRuntime();

const knownBad: Case[] = [
  // errors.ts replaces every message with "is required" when the value is absent, so the custom
  // messages of the cross-field rules are lost: the user is not told *why* it is required.
  {
    name: "no registry when building keeps the reason it is required",
    overrides: { "app.registry": MISSING },
    lines: [
      "dropstack:app.registry: is required to push the built image (or set app.image instead), got nothing",
    ],
  },
  {
    name: "production without a firewall section says that production requires it",
    stack: "production",
    overrides: { firewall: MISSING },
    lines: [
      "dropstack:firewall.sshSourceAddresses: is required in production (the CIDRs allowed to reach port 22), got nothing",
    ],
  },
  // rules.isAnywhere only matches the literal spellings 0.0.0.0/0 and ::/0, but isCidr accepts any
  // address with a /0 prefix, which admits every address all the same.
  {
    name: "production with 10.0.0.0/0",
    stack: "production",
    overrides: { "firewall.sshSourceAddresses": ["10.0.0.0/0"] },
    lines: [
      'dropstack:firewall.sshSourceAddresses[0]: must not open SSH to the whole internet in production, got "10.0.0.0/0"',
    ],
  },
  {
    name: "production with 0::/0",
    stack: "production",
    overrides: { "firewall.sshSourceAddresses": ["0::/0"] },
    lines: [
      'dropstack:firewall.sshSourceAddresses[0]: must not open SSH to the whole internet in production, got "0::/0"',
    ],
  },
  // A type error anywhere makes zod skip stackSchema's superRefine, so the production firewall
  // rule (and duplicate hosts, image/build, registry, env clashes) only show up on the next run.
  {
    name: "a type error does not hide the cross-field rules",
    stack: "production",
    overrides: { "droplet.count": "two", "firewall.sshSourceAddresses": [] },
    lines: [
      'dropstack:droplet.count: must be an integer from 1 to 20, got "two"',
      "dropstack:firewall.sshSourceAddresses: is required in production (the CIDRs allowed to reach port 22), got []",
    ],
  },
];

describe("fixed problems in config/", () => {
  testCases(knownBad);

  // schema.ts checks `name in c.app.env`, which also finds Object.prototype members, so a secretEnv
  // named constructor/toString/valueOf is reported as "also set in app.env" when env is empty.
  test("a secretEnv named like an Object.prototype member parses", () => {
    const c = parse({ "app.secretEnv": { constructor: "x", toString: "y" } });
    expect(Object.keys(c.app.secretEnv).sort()).toEqual(["constructor", "toString"]);
  });

  // formatPath prints map keys raw, so an env name containing a newline splits its error line.
  test("an env name with a newline does not split the error line", () => {
    const lines = errorLines({ "app.env": { "BAD\nNAME": "x" } });
    expect(lines).toHaveLength(1);
    expect(lines[0]).not.toMatch(/\n/);
  });

  // load.ts collects keys into a plain object, so `dropstack:__proto__` replaces its prototype:
  // the key is never reported and its fields are read as if they were top-level keys.
  test("a dropstack:__proto__ key is reported as unknown, not read as config", () => {
    const map = configMap();
    delete map["dropstack:region"];
    expect(() =>
      parseStackConfig("staging", { ...map, "dropstack:__proto__": '{"region":"fra1"}' }),
    ).toThrow(ConfigError);
  });
});
