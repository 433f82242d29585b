/**
 * What the program renders, checked by the real programs a droplet runs (Debian's nginx-light,
 * supervisor and cloud-init; `.ci/run` installs them). A missing tool fails with a clear message.
 */
import { execFileSync, spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { colourModuleFile } from "../../components/NginxSite";
import { plannedFiles } from "../../tools/plan/planOutput";
import { nginxMainConf } from "../../tools/sandbox/sandboxConfigs";
import { selfSignedCertificate } from "../../tools/sandbox/sandboxTls";
import { ToolName, requireTools } from "../../tools/shared/systemTools";
import {
  ACME_ROOT,
  TLS_CERTIFICATE,
  TLS_CERTIFICATE_KEY,
  TLS_CUSTOM_CERTIFICATE,
  upstreamsFile,
} from "../../templates";
import { committedStack, planStack, withConfig } from "../helpers/planHelpers";
import { CHAIN, CUSTOM_TLS, KEY, PROXY_IS_SECRET } from "../helpers/tlsFixtures";

/** The tool's path; a missing tool fails the test with the command that installs it. */
const tool = (name: ToolName) => requireTools([name])[name];

/** What each case's site must be, so a case cannot quietly stop covering HTTPS. */
interface Shape {
  /** nginx terminates TLS: certbot's certificate on 443, port 80 (alone) only for ACME and redirects. */
  readonly tls: boolean;
  readonly hsts: boolean;
  /** The default server answers the load balancer's health check. */
  readonly loadBalancer: boolean;
  /** With tls: the stack's own certificate (chain and key in one file) instead of certbot's. */
  readonly custom?: boolean;
}
const HTTP: Shape = { tls: false, hsts: false, loadBalancer: false };
const HTTPS: Shape = { tls: true, hsts: false, loadBalancer: false };

const CASES: [string, string, Record<string, unknown>, Shape][] = [
  ["dev", "dev", {}, HTTP],
  [
    "dev behind a load balancer, plain HTTP",
    "dev",
    { "droplet.count": 2 },
    { ...HTTP, loadBalancer: true },
  ],
  ["staging", "staging", {}, HTTPS],
  [
    "production behind its load balancer",
    "production",
    {},
    { ...HTTPS, hsts: true, loadBalancer: true },
  ],
  [
    "production over HTTPS on one droplet",
    "production",
    { "droplet.count": 1 },
    { ...HTTPS, hsts: true },
  ],
  ["several hosts with the apex", "staging", { hosts: ["@", "api", "www.eu"] }, HTTPS],
  [
    "custom port and large bodies",
    "staging",
    { "app.port": 31337, "proxy.clientMaxBodySize": "2g", "proxy.readTimeoutSeconds": 3600 },
    HTTPS,
  ],
  ["staging over plain HTTP", "staging", { "proxy.tls": { mode: "off" } }, HTTP],
  [
    "staging with its own certificate",
    "staging",
    { "proxy.tls": CUSTOM_TLS },
    { ...HTTPS, custom: true },
  ],
];

describe.each(CASES)("%s", (_, stack, edits, shape) => {
  let dir: string;
  let droplet: string;
  beforeAll(async () => {
    const plan = await planStack(stack, withConfig(committedStack(stack), edits, PROXY_IS_SECRET));
    dir = mkdtempSync(path.join(os.tmpdir(), "validators-"));
    for (const file of plannedFiles(plan)) {
      mkdirSync(path.dirname(path.join(dir, file.path)), { recursive: true });
      writeFileSync(path.join(dir, file.path), file.content);
    }
    droplet = path.join(dir, `${stack}-web-1`);
  });

  test("the site has the shape the case is about", () => {
    const site = readFileSync(path.join(droplet, "nginx", "dropstack.conf"), "utf8");
    expect(/^\s*listen 443 ssl http2;$/m.test(site)).toBe(shape.tls);
    expect(site.includes("ssl_reject_handshake on;")).toBe(shape.tls);
    const served = shape.custom ? TLS_CUSTOM_CERTIFICATE : TLS_CERTIFICATE;
    expect(site.includes(`ssl_certificate ${served};`)).toBe(shape.tls);
    // Alone it redirects plain HTTP; behind the balancer plain HTTP is how its HTTPS arrives (the
    // droplet's own 443 serves clients that held its address through a move behind it).
    const redirects = shape.tls && !shape.loadBalancer;
    expect(site.includes(`root ${ACME_ROOT};`)).toBe(redirects);
    expect(site.includes("return 301 https://$host$request_uri;")).toBe(redirects);
    expect(site.includes("add_header Strict-Transport-Security")).toBe(shape.hsts);
    expect(/^\s*location = \/health \{$/m.test(site)).toBe(shape.loadBalancer);
    if (!shape.tls) expect(site).not.toMatch(/^\s*(listen \S*443|ssl_)/m);
  });

  test("nginx -t accepts the site and its njs module", () => {
    const nginx = tool("nginx");
    tool("nginx njs module");
    const prefix = path.join(dir, "nginx-prefix");
    for (const sub of ["logs", "nginx-tmp", "tls", "acme"])
      mkdirSync(path.join(prefix, sub), { recursive: true });
    // The droplet's main config loads njs (Debian's modules-enabled) and includes the site; the
    // site's module path is pointed at the planned file, its certificate (a placeholder, then
    // certbot's, on a droplet) at a self-signed one made here, and certbot's webroot at a dir here.
    const certificate = path.join(prefix, "tls", "fullchain.pem");
    const certificateKey = path.join(prefix, "tls", "privkey.pem");
    selfSignedCertificate(["dropstack.example.com"], certificate, certificateKey);
    // The stack's own certificate, as the droplet gets it: the chain, then the key, in one file.
    const custom = path.join(prefix, "tls", "custom.pem");
    writeFileSync(custom, `${CHAIN.trimEnd()}\n${KEY}`, { mode: 0o600 });
    const site = readFileSync(path.join(droplet, "nginx", "dropstack.conf"), "utf8")
      .split(colourModuleFile("api"))
      .join(path.join(droplet, "nginx", "api-colour.js"))
      .split(TLS_CERTIFICATE)
      .join(certificate)
      .split(TLS_CERTIFICATE_KEY)
      .join(certificateKey)
      .split(TLS_CUSTOM_CERTIFICATE)
      .join(custom)
      .split(upstreamsFile("api"))
      .join(path.join(droplet, "nginx", "api-upstreams.default.conf"))
      .split(ACME_ROOT)
      .join(path.join(prefix, "acme"));
    writeFileSync(path.join(prefix, "site.conf"), site);
    const main = path.join(prefix, "nginx.conf");
    writeFileSync(main, nginxMainConf(prefix, path.join(prefix, "site.conf")));
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

  test("supervisord loads both colours' program sections", () => {
    const supervisord = tool("supervisord");
    const supervisorctl = tool("supervisorctl");
    const home = path.join(dir, "supervisor");
    mkdirSync(path.join(home, "conf.d"), { recursive: true });
    // The same sections, logs in the scratch dir; they do not autostart, as on a droplet.
    for (const colour of ["blue", "green"]) {
      const section = readFileSync(path.join(droplet, "supervisor", `api-${colour}.conf`), "utf8");
      expect(section).toMatch(/^autostart=false$/m);
      writeFileSync(
        path.join(home, "conf.d", `api-${colour}.conf`),
        section.replace(/\/var\/log\/supervisor/g, home),
      );
    }
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
      expect(avail).toMatch(/^api-blue\s+in use\s+manual/m);
      expect(avail).toMatch(/^api-green\s+in use\s+manual/m);
    } finally {
      spawnSync(supervisorctl, ["-c", conf, "shutdown"]);
    }
  });
});
