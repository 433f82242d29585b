/**
 * What the program renders, checked by the real programs a droplet runs (Debian's nginx-light,
 * supervisor and cloud-init; `.ci/run` installs them). A missing tool fails with a clear message.
 */
import { execFileSync, spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { plannedFiles } from "../scripts/lib/planOutput";
import { ToolName, requireTools } from "../scripts/lib/systemTools";
import { committedStack, planStack, withConfig } from "./planHelpers";

/** The tool's path; a missing tool fails the test with the command that installs it. */
const tool = (name: ToolName) => requireTools([name])[name];

const CASES: [string, string, Record<string, unknown>][] = [
  ["dev", "dev", {}],
  ["staging", "staging", {}],
  ["production", "production", {}],
  ["several hosts with the apex", "staging", { hosts: ["@", "api", "www.eu"] }],
  [
    "custom port and large bodies",
    "staging",
    { "app.port": 31337, proxy: { clientMaxBodySize: "2g", readTimeoutSeconds: 3600 } },
  ],
];

describe.each(CASES)("%s", (_, stack, edits) => {
  let dir: string;
  let droplet: string;
  beforeAll(async () => {
    const plan = await planStack(stack, withConfig(committedStack(stack), edits));
    dir = mkdtempSync(path.join(os.tmpdir(), "validators-"));
    for (const file of plannedFiles(plan)) {
      mkdirSync(path.dirname(path.join(dir, file.path)), { recursive: true });
      writeFileSync(path.join(dir, file.path), file.content);
    }
    droplet = path.join(dir, `${stack}-web-1`);
  });

  test("nginx -t accepts the site", () => {
    const nginx = tool("nginx");
    const prefix = path.join(dir, "nginx-prefix");
    mkdirSync(path.join(prefix, "logs"), { recursive: true });
    const main = path.join(prefix, "nginx.conf");
    writeFileSync(
      main,
      `pid ${prefix}/nginx.pid;\nerror_log ${prefix}/logs/error.log;\nevents {}\nhttp {\n  access_log off;\n` +
        `  client_body_temp_path ${prefix}/body;\n  proxy_temp_path ${prefix}/proxy;\n` +
        `  include ${droplet}/nginx/dropstack.conf;\n}\n`,
    );
    const run = spawnSync(nginx, ["-t", "-q", "-p", prefix, "-c", main], { encoding: "utf8" });
    expect(run.stderr).toBe("");
    expect(run.status).toBe(0);
  });

  test("cloud-init schema accepts the user data", () => {
    const cloudInit = tool("cloud-init");
    const run = spawnSync(
      cloudInit,
      ["schema", "--config-file", path.join(droplet, "cloud-init.yaml")],
      { encoding: "utf8" },
    );
    expect(run.stdout + run.stderr).toContain("Valid cloud-config");
    expect(run.status).toBe(0);
  });

  test("supervisord loads the program section", () => {
    const supervisord = tool("supervisord");
    const supervisorctl = tool("supervisorctl");
    const home = path.join(dir, "supervisor");
    mkdirSync(path.join(home, "conf.d"), { recursive: true });
    // Same section, logs in the scratch dir and not started: only its parsing is under test here.
    const section = readFileSync(path.join(droplet, "supervisor", "api.conf"), "utf8")
      .replace(/\/var\/log\/supervisor/g, home)
      .replace("autostart=true", "autostart=false");
    writeFileSync(path.join(home, "conf.d", "api.conf"), section);
    const conf = path.join(home, "supervisord.conf");
    writeFileSync(
      conf,
      `[unix_http_server]\nfile=${home}/s.sock\n[supervisord]\npidfile=${home}/pid\nlogfile=${home}/log\n` +
        `[rpcinterface:supervisor]\nsupervisor.rpcinterface_factory = supervisor.rpcinterface:make_main_rpcinterface\n` +
        `[supervisorctl]\nserverurl=unix://${home}/s.sock\n[include]\nfiles=${home}/conf.d/*.conf\n`,
    );
    execFileSync(supervisord, ["-c", conf]);
    try {
      const avail = execFileSync(supervisorctl, ["-c", conf, "avail"], { encoding: "utf8" });
      expect(avail).toMatch(/^api\s+in use\s+manual/m);
    } finally {
      spawnSync(supervisorctl, ["-c", conf, "shutdown"]);
    }
  });
});
