/**
 * Secrets stay in their own files: every file the program puts on a droplet is read with its
 * secrets revealed, and each secret value may be only in a file made to hold it (the secret env
 * file, the registry login, the custom TLS key), installed 0600 and sent as a Pulumi secret. A
 * change that merged app.secretEnv into the plain env file, or a secret into a supervisor
 * program, an nginx site or a release script, fails here; so does one reaching `plan --out`.
 */
import { mkdtempSync, readdirSync, readFileSync } from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { INSTALL_FILE_HEADER } from "../../templates";
import { isSecretWrapper } from "../../tools/plan/mockSecrets";
import { writePlannedFiles } from "../../tools/plan/planOutput";
import type { PlanResult } from "../../tools/plan/runPlan";
import { T, committedStack, only, planStack, withConfig } from "../helpers/planHelpers";
import { CUSTOM_TLS, KEY, PROXY_IS_SECRET } from "../helpers/tlsFixtures";

const API_TOKEN = "api-token-5e1f0c9a";
const SIGNING_KEY = "signing-key-77b2d4e1";
/** The files made to hold secrets, by their path under the droplet (`plan --out`'s). */
const SECRET_FILES = [
  /^env\/[a-z0-9-]+\.secret\.env$/,
  /^docker\/config\.json$/,
  /^tls\/custom\.pem$/,
];

interface DropletFile {
  readonly name: string;
  readonly file: string;
  readonly content: string;
  readonly sentAsSecret: boolean;
  readonly mode: string | undefined;
}

/** Every file an install step puts on a droplet, its content as the droplet gets it. */
function dropletFiles(plan: PlanResult): DropletFile[] {
  return only(plan, T.command).flatMap((install) => {
    const create = String(install.inputs.create);
    const header = INSTALL_FILE_HEADER.exec(create);
    if (!header) return [];
    const stdin = install.inputs.stdin;
    return [
      {
        name: install.name,
        file: header[1],
        content: String(isSecretWrapper(stdin) ? stdin.value : stdin),
        sentAsSecret: isSecretWrapper(stdin),
        mode: /install -m (\d{4}) /.exec(create)?.[1],
      },
    ];
  });
}

/** The database user's password the mocks made (it is in DATABASE_URL). */
function databasePassword(plan: PlanResult): string {
  const user = only(plan, T.databaseUser)[0];
  const password = user.outputs.password;
  return String(isSecretWrapper(password) ? password.value : password);
}

/** The pull login's auth (user:token, base64) the mocks' registry handed out. */
function registryAuth(plan: PlanResult): string {
  const login = [...plan.mocks.computed].find((v) => v.startsWith('{"auths":'))!;
  return Object.values(JSON.parse(login).auths as Record<string, { auth: string }>)[0].auth;
}

/** The private key's base64 body lines, each distinctive. */
const keyLines = (pem: string) =>
  pem.split("\n").filter((l) => l.length > 40 && !l.startsWith("-"));

let plan: PlanResult;
let secrets: Record<string, string>;
let files: DropletFile[];

beforeAll(async () => {
  plan = await planStack(
    "staging",
    withConfig(
      committedStack("staging"),
      {
        "app.env": { LOG_LEVEL: "info" },
        "app.secretEnv": { API_TOKEN, SIGNING_KEY },
        services: { db: { engine: "postgres" } },
        "proxy.tls": CUSTOM_TLS,
      },
      ["dropstack:app", ...PROXY_IS_SECRET],
    ),
  );
  secrets = {
    "app.secretEnv.API_TOKEN": API_TOKEN,
    "app.secretEnv.SIGNING_KEY": SIGNING_KEY,
    "the database user's password": databasePassword(plan),
    "the registry login": registryAuth(plan),
    "proxy.tls.privateKey": keyLines(KEY)[0],
  };
  files = dropletFiles(plan);
});

test("the plan holds every secret and puts each one on the droplet (so the checks below can fail)", () => {
  for (const [what, value] of Object.entries(secrets)) {
    // Distinctive enough that finding one in a file is no accident.
    expect([what, typeof value === "string" && value.length >= 16]).toEqual([what, true]);
    expect([what, files.some((f) => f.content.includes(value))]).toEqual([what, true]);
  }
});

test("app.secretEnv is in the secret env file only, the rest of app.env in the plain one", () => {
  const holding = (value: string) =>
    files.filter((f) => f.content.includes(value)).map((f) => f.file);
  expect(holding(`API_TOKEN=${API_TOKEN}`)).toEqual(["env/api.secret.env"]);
  expect(holding(`SIGNING_KEY=${SIGNING_KEY}`)).toEqual(["env/api.secret.env"]);
  expect(holding("LOG_LEVEL=info")).toEqual(["env/api.env"]);
  expect(holding("DATABASE_URL=")).toEqual(["env/api.secret.env"]);
});

test("every secret is only in a file made for secrets, installed 0600 and sent as a Pulumi secret", () => {
  const misplaced = files.flatMap((f) =>
    Object.entries(secrets)
      .filter(([, value]) => f.content.includes(value))
      .filter(
        () => !SECRET_FILES.some((p) => p.test(f.file)) || f.mode !== "0600" || !f.sentAsSecret,
      )
      .map(
        ([what]) => `${what} in ${f.file} (mode ${f.mode}, sent as a secret: ${f.sentAsSecret})`,
      ),
  );
  expect(misplaced).toEqual([]);
  // Each secret file is itself 0600 and a secret, whatever it holds today.
  for (const f of files.filter((file) => SECRET_FILES.some((p) => p.test(file.file))))
    expect([f.file, f.mode, f.sentAsSecret]).toEqual([f.file, "0600", true]);
});

test("no file `plan --out` writes holds a secret", () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), "plan-out-"));
  const count = writePlannedFiles(plan, dir);
  const written = readdirSync(dir, { recursive: true, withFileTypes: true }).filter((e) =>
    e.isFile(),
  );
  expect(written).toHaveLength(count);
  for (const entry of written) {
    const text = readFileSync(path.join(entry.parentPath, entry.name), "utf8");
    for (const [what, value] of Object.entries(secrets))
      expect([entry.name, what, text.includes(value)]).toEqual([entry.name, what, false]);
  }
});
