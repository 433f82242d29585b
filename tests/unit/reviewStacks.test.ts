/** `npm run review` logic against a recording fake of the Automation API backend. */
import {
  ConfigValues,
  ReviewBackend,
  parseTtlDays,
  reviewDestroy,
  reviewList,
  reviewReap,
  reviewUp,
} from "../../tools/review/reviewStacks";
import { configJson } from "../../tools/review/reviewWorkspace";
import { rmSync, writeFileSync } from "node:fs";
import { stringify } from "yaml";
import { reviewStackName } from "../../config";
import { newPassphraseSalt } from "../../tools/plan/passphraseSecrets";
import { stackFilePath } from "../../tools/plan/stackFiles";

const NOW = new Date("2026-11-23T10:00:00Z");

/** Records every call; stacks hold their config and outputs like a tiny Pulumi backend. */
class FakeBackend implements ReviewBackend {
  readonly calls: string[] = [];
  readonly stacks = new Map<string, { config: ConfigValues; outputs: Record<string, unknown> }>();

  async listStacks() {
    return [...this.stacks.keys()];
  }
  async getConfig(stack: string) {
    this.calls.push(`getConfig ${stack}`);
    const found = this.stacks.get(stack);
    if (!found) throw new Error(`no stack ${stack}`);
    return found.config;
  }
  async up(stack: string, config: ConfigValues, onOutput: (text: string) => void) {
    this.calls.push(`up ${stack}`);
    onOutput("Updating (streamed)\n");
    const tags = JSON.parse(config["dropstack:tags"].value);
    const hosts = JSON.parse(config["dropstack:hosts"].value).map(
      (h: string) => `${h}.example.com`,
    );
    const outputs = { tags, urls: hosts.map((h: string) => `http://${h}/`) };
    this.stacks.set(stack, { config, outputs });
    return outputs;
  }
  async destroyAndRemove(stack: string, _onOutput?: (text: string) => void) {
    this.calls.push(`destroyAndRemove ${stack}`);
    this.stacks.delete(stack);
  }
  async outputs(stack: string) {
    return this.stacks.get(stack)?.outputs ?? {};
  }
}

function withStaging(): FakeBackend {
  const backend = new FakeBackend();
  backend.stacks.set("staging", {
    config: {
      "dropstack:domain": { value: "example.com" },
      "dropstack:hosts": { value: '["api.staging"]' },
      "dropstack:droplet": { value: '{"size":"s-2vcpu-4gb","sshKeys":["1"],"backups":true}' },
      "dropstack:sshPrivateKey": { value: "-----BEGIN OPENSSH PRIVATE KEY-----\nk", secret: true },
    },
    outputs: { tags: ["dropstack-staging"] },
  });
  return backend;
}

test("up derives review-pr-<N> from the base, keeps secrets secret, streams output, prints the URL", async () => {
  const backend = withStaging();
  const lines: string[] = [];
  const urls = await reviewUp(backend, {
    pr: 42,
    from: "staging",
    ttlDays: 3,
    now: NOW,
    log: (l) => lines.push(l),
  });
  expect(urls).toEqual(["http://pr-42.review.example.com/"]);
  expect(backend.calls).toEqual(["getConfig staging", "up review-pr-42"]);
  const config = backend.stacks.get("review-pr-42")!.config;
  expect(JSON.parse(config["dropstack:droplet"].value)).toMatchObject({
    size: "s-1vcpu-512mb-10gb",
    count: 1,
    backups: false,
  });
  expect(JSON.parse(config["dropstack:tags"].value)).toEqual([
    "review",
    "pr-42",
    "expires-20261126",
  ]);
  expect(config["dropstack:protect"].value).toBe("false");
  expect(config["dropstack:sshPrivateKey"]).toEqual({
    value: "-----BEGIN OPENSSH PRIVATE KEY-----\nk",
    secret: true,
  });
  expect(lines).toContain("Updating (streamed)");
  expect(lines[lines.length - 1]).toBe("review-pr-42 is up: http://pr-42.review.example.com/");
});

describe("a committed Pulumi.review-pr-<N>.yaml with secure values", () => {
  const PR = 987654;
  const file = stackFilePath(reviewStackName(PR));
  const salt = newPassphraseSalt("review passphrase");
  const saved = process.env.PULUMI_CONFIG_PASSPHRASE;
  beforeAll(() => {
    writeFileSync(
      file,
      stringify({
        encryptionsalt: salt.encryptionSalt,
        config: { "dropstack:app": { secretEnv: { TOKEN: { secure: salt.encrypt("t0k") } } } },
      }),
    );
  });
  afterAll(() => rmSync(file, { force: true }));
  afterEach(() => {
    if (saved === undefined) delete process.env.PULUMI_CONFIG_PASSPHRASE;
    else process.env.PULUMI_CONFIG_PASSPHRASE = saved;
  });
  const up = (backend: FakeBackend) =>
    reviewUp(backend, { pr: PR, from: "staging", now: NOW, log: () => undefined });

  test("is refused without its passphrase: a placeholder would become the real value", async () => {
    delete process.env.PULUMI_CONFIG_PASSPHRASE;
    const backend = withStaging();
    await expect(up(backend)).rejects.toThrow(
      `Pulumi.review-pr-${PR}.yaml holds secure values that cannot be decrypted here: give its passphrase as PULUMI_CONFIG_PASSPHRASE, or set them on the base stack`,
    );
    expect(backend.calls).toEqual(["getConfig staging"]);
  });

  test("with it, sends the real values, as secrets", async () => {
    process.env.PULUMI_CONFIG_PASSPHRASE = "review passphrase";
    const backend = withStaging();
    await up(backend);
    const app = backend.stacks.get(reviewStackName(PR))!.config["dropstack:app"];
    expect(app.secret).toBe(true);
    expect(JSON.parse(app.value).secretEnv).toEqual({ TOKEN: "t0k" });
  });
});

test("destroy destroys and removes only that stack; a missing one is not an error", async () => {
  const backend = withStaging();
  await reviewUp(backend, { pr: 7, from: "staging", now: NOW, log: () => undefined });
  await reviewDestroy(backend, { pr: 7, now: NOW, log: () => undefined });
  expect(backend.calls).toContain("destroyAndRemove review-pr-7");
  expect([...backend.stacks.keys()]).toEqual(["staging"]);
  const lines: string[] = [];
  await reviewDestroy(backend, { pr: 8, now: NOW, log: (l) => lines.push(l) });
  expect(lines).toEqual(["review-pr-8 does not exist: nothing to destroy"]);
});

test("list shows review stacks with their expiry; reap destroys only the expired ones", async () => {
  const backend = withStaging();
  await reviewUp(backend, {
    pr: 1,
    from: "staging",
    ttlDays: 1,
    now: new Date("2026-11-20T10:00:00Z"),
    log: () => undefined,
  });
  await reviewUp(backend, { pr: 2, from: "staging", ttlDays: 3, now: NOW, log: () => undefined });
  const rows = await reviewList(backend, { now: NOW });
  expect(rows.map((r) => [r.stack, r.expires?.toISOString().slice(0, 10), r.expired])).toEqual([
    ["review-pr-1", "2026-11-21", true],
    ["review-pr-2", "2026-11-26", false],
  ]);
  const reaped = await reviewReap(backend, { now: NOW, log: () => undefined });
  expect(reaped).toEqual(["review-pr-1"]);
  expect([...backend.stacks.keys()].sort()).toEqual(["review-pr-2", "staging"]);
});

test("from outside the firewall, each destroy runs inside the way in (opened for it, closed after)", async () => {
  const backend = withStaging();
  for (const pr of [1, 2]) {
    const now = new Date("2026-11-01T00:00:00Z");
    await reviewUp(backend, { pr, from: "staging", ttlDays: 1, now, log: () => undefined });
  }
  const reaching = async (stack: string, destroy: () => Promise<void>) => {
    backend.calls.push(`open ${stack}`);
    await destroy();
    backend.calls.push(`close ${stack}`);
  };
  backend.calls.length = 0;
  await reviewReap(backend, { now: NOW, log: () => undefined, reaching });
  expect(backend.calls.filter((c) => !c.startsWith("list") && !c.startsWith("outputs"))).toEqual([
    "open review-pr-1",
    "destroyAndRemove review-pr-1",
    "close review-pr-1",
    "open review-pr-2",
    "destroyAndRemove review-pr-2",
    "close review-pr-2",
  ]);
});

test("reap goes on past a stack that fails, then reports it", async () => {
  const backend = withStaging();
  for (const pr of [1, 2]) {
    await reviewUp(backend, {
      pr,
      from: "staging",
      ttlDays: 1,
      now: new Date("2026-11-01T00:00:00Z"),
      log: () => undefined,
    });
  }
  const destroy = backend.destroyAndRemove.bind(backend);
  backend.destroyAndRemove = async (stack: string) => {
    if (stack === "review-pr-1") throw new Error("the stack is locked by another update");
    return destroy(stack);
  };
  const lines: string[] = [];
  await expect(reviewReap(backend, { now: NOW, log: (l) => lines.push(l) })).rejects.toThrow(
    "could not reap review-pr-1",
  );
  expect([...backend.stacks.keys()].sort()).toEqual(["review-pr-1", "staging"]);
  expect(lines).toContain(
    "review-pr-1: could not be reaped: the stack is locked by another update",
  );
});

test("the Automation API gets lists and objects as objectValue, so typed keys stay arrays", () => {
  const json = JSON.parse(
    configJson({
      "dropstack:hosts": { value: '["pr-1.review"]' },
      "dropstack:domain": { value: "example.com" },
      "dropstack:sshPrivateKey": { value: "k", secret: true },
    }),
  );
  expect(json).toEqual({
    "dropstack:hosts": { value: '["pr-1.review"]', secret: false, objectValue: ["pr-1.review"] },
    "dropstack:domain": { value: "example.com", secret: false },
    "dropstack:sshPrivateKey": { value: "k", secret: true },
  });
});

test("ttl: days or hours", () => {
  expect(parseTtlDays("3d")).toBe(3);
  expect(parseTtlDays("72h")).toBe(3);
  expect(parseTtlDays("5")).toBe(5);
  expect(() => parseTtlDays("soon")).toThrow("--ttl must look like 3d or 72h, got soon");
});
