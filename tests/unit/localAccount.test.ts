/** The local account's rules: DigitalOcean's reserved-IP limit and its verified alert emails. */
import { accountProblems, DEFAULT_LOCAL_ACCOUNT } from "../../tools/localcloud/localAccount";

const droplet = (count: number, reservedIp = true) => ({
  droplet: { count, reservedIp } as never,
});

test("by default the account holds three reserved IPs and has ops@example.com verified", () => {
  expect(DEFAULT_LOCAL_ACCOUNT).toEqual({
    reservedIpLimit: 3,
    verifiedEmails: ["ops@example.com"],
  });
});

test("a stack takes one reserved IP whatever its count; within the limit with the others', none refused", () => {
  expect(accountProblems(droplet(1), [], DEFAULT_LOCAL_ACCOUNT, { staging: 1, dev: 1 })).toEqual(
    [],
  );
  expect(accountProblems(droplet(20), [], DEFAULT_LOCAL_ACCOUNT, { staging: 1, dev: 1 })).toEqual(
    [],
  );
});

test("over the limit with the others' reserved IPs: refused, naming the key, the holders and the way out", () => {
  expect(
    accountProblems(droplet(2), [], DEFAULT_LOCAL_ACCOUNT, { staging: 1, dev: 1, production: 1 }),
  ).toEqual([
    "dropstack:droplet.reservedIp: the stack takes 1 reserved IP and the account's other stacks hold 3 (staging 1, dev 1, production 1): more than the account's limit of 3 (DigitalOcean's default is 3; ask its support for more, or set droplet.reservedIp false)",
  ]);
  // A stack without one (a review stack) fits a full account.
  expect(
    accountProblems(droplet(1, false), [], DEFAULT_LOCAL_ACCOUNT, { a: 1, b: 1, c: 1 }),
  ).toEqual([]);
  expect(
    accountProblems(droplet(1), [], { ...DEFAULT_LOCAL_ACCOUNT, reservedIpLimit: 0 }, {}),
  ).toHaveLength(1);
  // A stack that holds its reserved IP already creates none: over the limit or not, not refused.
  expect(accountProblems(droplet(1), [], DEFAULT_LOCAL_ACCOUNT, { a: 2, b: 2 }, 1)).toEqual([]);
});

test("an alert email not verified on the account is refused by its key; case does not matter", () => {
  const account = { reservedIpLimit: 3, verifiedEmails: ["ops@example.com", "Dev@Example.com"] };
  expect(accountProblems(droplet(1), ["OPS@example.com", "dev@example.com"], account, {})).toEqual(
    [],
  );
  const [problem, ...rest] = accountProblems(
    droplet(1),
    ["ops@example.com", "oncall@example.org"],
    account,
    {},
  );
  expect(rest).toEqual([]);
  expect(problem).toMatch(
    /^dropstack:alerts\.emails\[1\]: oncall@example\.org is not verified on the DigitalOcean account \(verified here: ops@example\.com, Dev@Example\.com\), and DigitalOcean refuses an uptime alert to it \("invalid email"\): verify it .*alerts\.slackChannel/,
  );
});
