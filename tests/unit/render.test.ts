/**
 * The renderers, called directly without mocks: snapshots for review, plus exact assertions on the
 * directives that matter, so a snapshot update cannot quietly hide a regression.
 */
import { createHash } from "node:crypto";
import { parse } from "yaml";
import {
  renderCertbot,
  BOOTSTRAP_VERSIONS,
  BootstrapVersion,
  bootedWithHostKey,
  renderBootstrapUpgrade,
  renderCloudInit,
  renderHostKeyInstall,
  renderDockerRun,
  renderTlsDeployHook,
  renderEnvFile,
  renderInstallFile,
  renderNginxColourModule,
  renderReleaseScript,
  renderNginxSite,
  renderNginxUpstreams,
  renderSupervisorProgram,
} from "../../templates";
import { inventedHostKey } from "../../tools/plan/inventedHostKey";
import { dropletLimits } from "../helpers/configCases";

/** The offline plan's made-up host key of `name`, as renderCloudInit takes one: the same each run. */
function madeUpHostKey(name: string) {
  const invented = inventedHostKey(name, (value) => value);
  return {
    publicKey: String(invented.publicKeyOpenssh),
    privateKey: String((invented.privateKeyOpenssh as { value: string }).value),
  };
}

/** A host key for the versions that take one. */
const HOST_KEY = madeUpHostKey("example");

const site = {
  stack: "staging",
  app: "api",
  jsFile: "/etc/nginx/dropstack/api-colour.js",
  serverNames: ["api.staging.example.com", "example.com"],
  clientMaxBodySize: "10m",
  readTimeoutSeconds: 30,
};

describe("nginx site with TLS (certbot on the droplet)", () => {
  const conf = renderNginxSite({ ...site, tls: true, hsts: true });
  test("snapshot", () => expect(conf).toMatchSnapshot());
  test("443 for the hosts with TLS 1.2/1.3 only, the certificate nginx's deploy hook links", () => {
    expect(conf).toMatch(
      /listen 443 ssl http2;\n\s+listen \[::\]:443 ssl http2;\n[^}]*ssl_certificate \/etc\/dropstack\/tls\/fullchain\.pem;\n\s+ssl_certificate_key \/etc\/dropstack\/tls\/privkey\.pem;\n\s+ssl_protocols TLSv1\.2 TLSv1\.3;[^}]*server_name api\.staging\.example\.com example\.com;/,
    );
    expect(conf).not.toMatch(/TLSv1(\.1)? /);
    expect(conf).toContain('add_header Strict-Transport-Security "max-age=63072000" always;');
  });
  test("port 80 answers ACME challenges from the webroot and redirects everything else", () => {
    expect(conf).toMatch(
      /listen 80;\n[^}]*server_name api\.staging\.example\.com example\.com;\n\s+server_tokens off;\n\n\s+location \^~ \/\.well-known\/acme-challenge\/ \{\n\s+root \/var\/www\/dropstack-acme;/,
    );
    expect(conf).toContain("return 301 https://$host$request_uri;");
  });
  test("other names are refused at the handshake; no plain-HTTP proxying to the API", () => {
    expect(conf).toMatch(/listen 443 ssl default_server;[^}]*ssl_reject_handshake on;/);
    // The only server that proxies to the API is the TLS one.
    const proxying = conf
      .split(/\nserver \{/)
      .filter((block) => block.includes("location / {\n        proxy_pass"));
    expect(proxying).toHaveLength(1);
    expect(proxying[0]).toContain("listen 443 ssl http2;");
  });
  test("HSTS only where asked (production)", () => {
    expect(renderNginxSite({ ...site, tls: true })).not.toContain("Strict-Transport-Security");
    expect(renderNginxSite(site)).not.toContain("Strict-Transport-Security");
  });
});

describe("nginx site behind the load balancer", () => {
  const conf = renderNginxSite({ ...site, loadBalancer: { healthPath: "/healthz" } });
  test("the default server answers the balancer's health check by address, and nothing else", () => {
    expect(conf).toMatch(
      /listen 80 default_server;[^]*?location = \/healthz \{\n[^]*?\s+proxy_pass http:\/\/api_\$dropstack_api_colour;[^]*?location \/ \{\n\s+return 444;/,
    );
    expect(conf).not.toContain("ssl");
  });
  test("out of the balancer's rotation (a resize), the health check fails and nothing else does", () => {
    expect(conf).toMatch(
      /location = \/healthz \{\n(\s+#.*\n)*\s+if \(-f \/var\/lib\/dropstack\/out-of-rotation\) \{\n\s+return 503;\n\s+\}/,
    );
    expect(conf).toMatch(
      /location = \/dropstack\/balancer-health \{\n(\s+#.*\n)*\s+if \(-f \/var\/lib\/dropstack\/out-of-rotation\) \{\n\s+return 503;\n\s+\}/,
    );
    // The two health locations, nothing else.
    expect(conf.match(/out-of-rotation/g)).toHaveLength(2);
  });
  test("a health path with a query still matches (nginx locations never include the query)", () => {
    const withQuery = renderNginxSite({ ...site, loadBalancer: { healthPath: "/healthz?deep=1" } });
    expect(withQuery).toContain("location = /healthz {");
    // The balancer's own path asks the app with the query.
    expect(withQuery).toContain("proxy_pass http://api_$dropstack_api_colour/healthz?deep=1;");
  });
  test("a healthPath that is the balancer's own path is one location, not two", () => {
    const same = renderNginxSite({
      ...site,
      loadBalancer: { healthPath: "/dropstack/balancer-health" },
    });
    expect(same.match(/location = \/dropstack\/balancer-health \{/g)).toHaveLength(1);
  });
  test("X-Forwarded-Proto passes on the balancer's scheme", () => {
    expect(conf).toMatch(/map \$http_x_forwarded_proto \$dropstack_api_proto \{/);
    expect(conf).toContain("proxy_set_header X-Forwarded-Proto $dropstack_api_proto;");
    expect(renderNginxSite(site)).toContain("proxy_set_header X-Forwarded-Proto $scheme;");
  });
  test("the client's address comes from the balancer's X-Forwarded-For (only it reaches port 80)", () => {
    expect(conf).toMatch(
      /set_real_ip_from 0\.0\.0\.0\/0;\nset_real_ip_from ::\/0;\nreal_ip_header X-Forwarded-For;/,
    );
    expect(renderNginxSite(site)).not.toContain("set_real_ip_from");
  });
});

describe("certbot", () => {
  const script = renderCertbot({ domains: ["example.com", "api.example.com"], email: "o@x.io" });
  test("webroot for every host, non-interactive, renewals reload nginx through the deploy hook", () => {
    expect(script).toContain(
      "sudo certbot certonly --non-interactive --agree-tos --email 'o@x.io' \\\n  --webroot --webroot-path '/var/www/dropstack-acme' --cert-name 'dropstack' \\\n  --keep-until-expiring --deploy-hook '/usr/local/lib/dropstack/tls-deploy-hook' \\\n  --domain 'example.com' \\\n  --domain 'api.example.com'\n",
    );
    const hook = renderTlsDeployHook();
    expect(hook).toContain("ln -sfn \"$lineage/fullchain.pem\" '/etc/dropstack/tls/fullchain.pem'");
    expect(hook).toMatch(/nginx -t -q\nsystemctl reload nginx\n$/);
  });
  test("certbot is installed on first use, never by the bootstrap", () => {
    expect(script).toMatch(
      /if ! command -v certbot >\/dev\/null; then\n\s+sudo DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=600 install -y -q certbot\n/,
    );
    for (const version of BOOTSTRAP_VERSIONS) {
      expect(renderCloudInit(version, HOST_KEY)).not.toContain("certbot");
    }
  });
});

describe("nginx site", () => {
  const conf = renderNginxSite(site);
  test("snapshot", () => expect(conf).toMatchSnapshot());
  test("one upstream per colour on loopback, blue on app.port and green on the next, with keepalive", () => {
    const upstreams = renderNginxUpstreams({ stack: "staging", app: "api", appPort: 8080 });
    for (const [colour, port] of [
      ["blue", 8080],
      ["green", 8081],
    ]) {
      expect(upstreams).toMatch(
        new RegExp(
          `upstream api_${colour} \\{\\n\\s+server 127\\.0\\.0\\.1:${port} max_fails=0; # dropstack ${colour}\\n\\s+keepalive 32;\\n\\s+keepalive_requests 100000;`,
        ),
      );
    }
    // The site includes them and names no port of the API: an app.port edit leaves it as it is.
    expect(conf).toContain("include /etc/nginx/dropstack/api-upstreams.conf;");
    expect(conf).not.toMatch(/127\.0\.0\.1:\d/);
    expect(conf).toContain("proxy_http_version 1.1;");
    expect(conf).toContain('proxy_set_header Connection "";');
  });
  test("the live colour comes from njs per request: no reload, client keepalive raised", () => {
    expect(conf).toContain("js_import dropstack_api from /etc/nginx/dropstack/api-colour.js;");
    expect(conf).toContain("js_set $dropstack_api_colour dropstack_api.colour;");
    expect(conf).toContain("proxy_pass http://api_$dropstack_api_colour;");
    expect(conf).toMatch(/server_name api\.staging[^}]*keepalive_requests 100000;/);
  });
  test("an app name with dashes makes valid nginx names", () => {
    const dashed = renderNginxSite({ ...site, app: "my-api" });
    expect(renderNginxUpstreams({ stack: "s", app: "my-api", appPort: 8080 })).toContain(
      "upstream my_api_blue {",
    );
    expect(dashed).toContain("proxy_pass http://my_api_$dropstack_my_api_colour;");
  });
  test("server_name lists every FQDN; a default server refuses other Hosts", () => {
    expect(conf).toContain("server_name api.staging.example.com example.com;");
    expect(conf).toMatch(/listen 80 default_server;\n[^}]*server_name _;[^}]*return 444;/);
  });
  test("forwarding headers, limits, timeouts, no version banner", () => {
    for (const directive of [
      "proxy_set_header Host $host;",
      "proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;",
      "proxy_set_header X-Forwarded-Proto $scheme;",
      "proxy_set_header X-Forwarded-Host $host;",
      "client_max_body_size 10m;",
      "proxy_read_timeout 30s;",
      "proxy_send_timeout 30s;",
    ]) {
      expect(conf).toContain(directive);
    }
    expect(conf.match(/server_tokens off;/g)).toHaveLength(2);
  });
  test("502 and 504 answer JSON", () => {
    expect(conf).toContain("error_page 502 /_dropstack/502.json;");
    expect(conf).toContain("error_page 504 /_dropstack/504.json;");
    const bodies = [...conf.matchAll(/return (50[24]) '(.*)\\n';/g)].map((m) => [
      m[1],
      JSON.parse(m[2]).status,
    ]);
    expect(bodies).toEqual([
      ["502", 502],
      ["504", 504],
    ]);
  });
  test("listens on 80 over IPv4 and IPv6, as a droplet does", () => {
    expect(conf).toContain("    listen 80 default_server;\n    listen [::]:80 default_server;\n");
  });
});

describe("supervisor program", () => {
  const conf = renderSupervisorProgram({
    stack: "staging",
    name: "api",
    command: renderDockerRun({
      name: "api",
      port: 8080,
      envFiles: ["/etc/dropstack/api.env"],
      imageFile: "/etc/dropstack/api-blue.image",
      flagsFile: "/etc/dropstack/api-blue.flags",
    }),
    environment: { HOME: "/root", PCT: "100%", QUOTE: 'say "hi"' },
  });
  test("snapshot", () => expect(conf).toMatchSnapshot());
  test("restart policy, TERM stop, rotated logs", () => {
    for (const line of [
      "[program:api]",
      "autorestart=true",
      "startsecs=5",
      "stopsignal=TERM",
      "stopwaitsecs=30",
      "stdout_logfile_maxbytes=10MB",
      "stdout_logfile_backups=5",
      "stderr_logfile=/var/log/supervisor/api.err.log",
    ]) {
      expect(conf.split("\n")).toContain(line);
    }
  });
  test("environment is quoted, and % is escaped for supervisord's expansion", () => {
    expect(conf).toContain('environment=HOME="/root",PCT="100%%",QUOTE="say \\"hi\\""');
  });
  test("the container runs in the foreground, on loopback only, its image and bounds read from files", () => {
    expect(conf).toContain(
      `command=/bin/sh -c 'docker rm -f api >/dev/null 2>&1; flags=$(cat /etc/dropstack/api-blue.flags) || exit 1; exec docker run --rm --name api $flags -p 127.0.0.1:8080:8080 --env-file /etc/dropstack/api.env "$(cat /etc/dropstack/api-blue.image)"'`,
    );
  });
});

/** Each released bootstrap's hash: a released version never changes (a new one is a new file). */
const RELEASED_BOOTSTRAPS: Record<BootstrapVersion, string> = {
  1: "72530bcaf0c87415818894462589ea7faf8aa0ff5b2a5f3b76cdf7d75497bc07",
  2: "b4d347929e455647bc215d44c84df174e9051ba43ae7f3c2b6fef85481a22a56",
  3: "9bb881b78ae51db35e03b512e981aebd891189cab8324bb08e6bccef966f4f06",
};

describe.each(BOOTSTRAP_VERSIONS)("cloud-init bootstrap version %i", (version) => {
  const userData = renderCloudInit(version, HOST_KEY);
  const doc = parse(userData);
  test("snapshot", () => expect(userData).toMatchSnapshot());
  test("is byte-identical to the released bootstrap (droplets booted with it keep it)", () => {
    // The program ignores a change of a droplet's user data, so a changed version would boot new
    // droplets differently from the ones it claims to be, and no upgrade step would know: a change
    // is a new version (templates/renderBootstrap.ts), never an edit of a released one.
    expect(createHash("sha256").update(userData).digest("hex")).toBe(RELEASED_BOOTSTRAPS[version]);
  });
  test("gives the deploy user its keys first, then installs the engine, nginx and supervisor", () => {
    expect(userData.startsWith("#cloud-config\n")).toBe(true);
    const runcmd: string[] = doc.runcmd;
    const keys = runcmd.findIndex((c) => c.includes("/home/deploy/.ssh/authorized_keys"));
    const install = runcmd.findIndex((c) => /apt-get(-retried)? -y install /.test(c));
    expect(keys).toBeGreaterThanOrEqual(0);
    expect(install).toBeGreaterThan(keys);
    for (const pkg of [
      "docker.io",
      "nginx-light",
      "libnginx-mod-http-js",
      "supervisor",
      "curl",
      "unattended-upgrades",
    ]) {
      expect(runcmd[install].split(" ")).toContain(pkg);
    }
    expect(runcmd).toContain("systemctl enable --now docker nginx supervisor unattended-upgrades");
  });
  test("fails unless its services run at the end (the last line's status is cloud-init's)", () => {
    const last = (doc.runcmd as string[]).at(-1)!;
    if (version === 1)
      expect(last).toBe("systemctl enable --now docker nginx supervisor unattended-upgrades");
    else if (version === 2)
      expect(last).toMatch(/^systemctl is-active --quiet docker nginx supervisor && echo 2 > /);
    else
      expect(last).toMatch(
        /^systemctl is-active --quiet docker nginx supervisor dropstack-metadata-guard && echo 3 > /,
      );
  });
  test("a non-root deploy user; root login and passwords off", () => {
    expect(doc.users).toEqual([
      expect.objectContaining({
        name: "deploy",
        lock_passwd: true,
        sudo: "ALL=(ALL) NOPASSWD:ALL",
      }),
    ]);
    expect(doc.ssh_pwauth).toBe(false);
    const sshd = doc.write_files.find((f: { path: string }) =>
      f.path.startsWith("/etc/ssh/sshd_config.d/"),
    );
    expect(sshd.content).toMatch(/^PermitRootLogin no$/m);
    expect(sshd.content).toMatch(/^PasswordAuthentication no$/m);
  });
  test("mentions no port, host name, image or release", () => {
    const directives = userData
      .split("\n")
      .filter((line) => !line.trim().startsWith("#"))
      .join("\n")
      // Its own names: the host key's sshd file and the metadata service's guard (version 3 on).
      .replaceAll(/dropstack-(host-key|metadata-guard)\b/g, "");
    expect(directives).not.toMatch(
      /\b(8080|example\.com|registry|release|RELEASE|api|dropstack-\w+)\b/,
    );
  });
});

describe("bootstrap version 3: the program's SSH host key", () => {
  const userData = renderCloudInit(3, HOST_KEY);
  const doc = parse(userData);
  test("is not made without one", () => {
    expect(() => renderCloudInit(3)).toThrow(
      "bootstrap version 3 takes the droplet's SSH host key",
    );
  });
  test("boots with that key alone: the image's keys deleted, no other made, sshd offers it only", () => {
    expect(doc.ssh_keys).toEqual({
      ed25519_private: HOST_KEY.privateKey,
      ed25519_public: HOST_KEY.publicKey.trim(),
    });
    expect(doc.ssh_deletekeys).toBe(true);
    // Only the type it is given (cloud-init makes a type only where its key file is missing;
    // its schema wants one at least).
    expect(doc.ssh_genkeytypes).toEqual(["ed25519"]);
    const conf = doc.write_files.find(
      (f: { path: string }) => f.path === "/etc/ssh/sshd_config.d/61-dropstack-host-key.conf",
    );
    expect(conf.content).toMatch(/^HostKey \/etc\/ssh\/ssh_host_ed25519_key$/m);
    expect(conf.content.match(/^HostKey /gm)).toHaveLength(1);
  });
  test("neither the API's containers nor nginx's workers ask the metadata service (it hands out the user data), at every boot", () => {
    const guard = doc.write_files.find(
      (f: { path: string }) => f.path === "/etc/dropstack/metadata-guard.nft",
    );
    expect(guard.content).toContain("ip daddr 169.254.169.254 meta skuid { 33, 65534 } reject");
    expect(guard.content).toMatch(/hook forward[^}]*ip daddr 169\.254\.169\.254 reject/);
    const unit = doc.write_files.find((f: { path: string }) =>
      f.path.endsWith("/dropstack-metadata-guard.service"),
    );
    expect(unit.content).toContain("ExecStart=/usr/sbin/nft -f /etc/dropstack/metadata-guard.nft");
    expect(unit.content).toContain("WantedBy=multi-user.target");
    const runcmd: string[] = doc.runcmd;
    const guarded = runcmd.indexOf("systemctl enable --now dropstack-metadata-guard");
    expect(guarded).toBeGreaterThan(
      runcmd.findIndex((c) => c.includes(" install ") && c.includes("nftables")),
    );
    expect(guarded).toBeLessThan(
      runcmd.indexOf("systemctl enable --now docker nginx supervisor unattended-upgrades"),
    );
  });
  test("the upgrade of an earlier droplet adds the guard, never the key (that has its own step)", () => {
    const upgrade = renderBootstrapUpgrade();
    expect(upgrade).toContain("ip daddr 169.254.169.254 meta skuid { 33, 65534 } reject");
    expect(upgrade).toContain("sudo systemctl restart dropstack-metadata-guard");
    expect(upgrade).not.toContain("OPENSSH PRIVATE KEY");
  });
  test("the key for an earlier droplet comes on stdin, checked before sshd reloads with it", () => {
    const install = renderHostKeyInstall();
    expect(install).toContain('cat >"$key"');
    // sshd's config checked before anything changes, and again before the reload.
    const installed = install.indexOf("sudo install -m 0600 -o root -g root");
    expect(install.indexOf("sudo sshd -t")).toBeLessThan(installed);
    const check = install.lastIndexOf("sudo sshd -t");
    expect(check).toBeGreaterThan(installed);
    expect(install.indexOf("sudo systemctl reload ssh")).toBeGreaterThan(check);
  });
  test("a droplet booted with the key is told from one booted earlier, by the hash the provider kept", () => {
    const sha1 = createHash("sha1").update(userData).digest("hex");
    expect(bootedWithHostKey(sha1, HOST_KEY)).toBe(true);
    // The provider keeps the hash, never the text.
    expect(bootedWithHostKey(userData, HOST_KEY)).toBe(false);
    expect(
      bootedWithHostKey(createHash("sha1").update(renderCloudInit(2)).digest("hex"), HOST_KEY),
    ).toBe(false);
    expect(bootedWithHostKey(sha1, madeUpHostKey("another"))).toBe(false);
    expect(bootedWithHostKey(undefined, HOST_KEY)).toBe(false);
  });
});

test("env file: one literal NAME=value per line", () => {
  expect(renderEnvFile({ A: "1", B: "x y=z" })).toBe("A=1\nB=x y=z\n");
  expect(renderEnvFile({})).toBe("");
});

describe("install script", () => {
  const script = renderInstallFile({
    file: "nginx/dropstack.conf",
    target: "/etc/nginx/sites-enabled/dropstack.conf",
    mode: "0644",
    check: "sudo nginx -t -q",
    apply: "sudo systemctl reload nginx",
  });
  test("snapshot", () => expect(script).toMatchSnapshot());
  test("checks before applying and keeps the previous file outside nginx's include dir", () => {
    const check = script.indexOf("if ! ( sudo nginx -t -q )");
    const apply = script.indexOf("sudo systemctl reload nginx");
    expect(check).toBeGreaterThan(
      script.indexOf('sudo install -m 0644 -o root -g root "$staged" "$target"'),
    );
    expect(apply).toBeGreaterThan(check);
    expect(script).toContain("previous='/var/lib/dropstack/previous/nginx.dropstack.conf'");
    expect(script.split("\n")[0]).toBe(
      "# dropstack file nginx/dropstack.conf -> /etc/nginx/sites-enabled/dropstack.conf",
    );
    expect(script).toContain('sudo tee "$staged" >/dev/null');
    expect(script).toContain('sudo mv "$previous" "$target"');
    expect(script).toMatch(/^set -eu$/m);
  });
});

describe("release script", () => {
  const script = renderReleaseScript({
    stack: "staging",
    app: "api",
    appPort: 8080,
    healthPath: "/health",
    healthTimeoutSeconds: 60,
    drainSeconds: 5,
    limits: dropletLimits("s-1vcpu-1gb"),
  });
  test("snapshot", () => expect(script).toMatchSnapshot());
  test("colours on app.port and the next port; health gate and drain from config", () => {
    expect(script).toContain(
      'port_of() { if [ "$1" = blue ]; then echo 8080; else echo 8081; fi; }',
    );
    expect(script).toMatch(/^health_path='\/health'$/m);
    expect(script).toMatch(/^health_timeout=60$/m);
    expect(script).toMatch(/^drain_seconds=5$/m);
    expect(script).toMatch(/^colour_file="\$root\/var\/lib\/dropstack\/api\.live"$/m);
  });
  test("takes a lock, switches by atomic rename, reloads nginx only to move a colour's port", () => {
    expect(script).toContain("flock -w 600 9 || fail");
    expect(script).toContain('mv -f "$colour_file.next" "$colour_file"');
    // The one reload: in sync_upstreams (app.port changed), after the idle colour is healthy, before the switch.
    expect(script.match(/systemctl reload nginx/g)).toHaveLength(1);
    // Each colour's new port, never marked down, and a backup only while it runs on its old one.
    expect(script).toContain("max_fails=0; # dropstack $colour");
    expect(script).toContain(
      'backup="server 127.0.0.1:$old_port backup; # dropstack $colour until released again"',
    );
    const [healthy, pointed, switched] = [
      'start_healthy "$idle"\n',
      "sync_upstreams\n",
      'mv -f "$colour_file.next"',
    ].map((text) => script.lastIndexOf(text));
    expect(healthy).toBeGreaterThan(0);
    expect(pointed).toBeGreaterThan(healthy);
    expect(switched).toBeGreaterThan(pointed);
  });
  test("a failed health gate stops the idle colour and exits non-zero before any switch", () => {
    const gate = script.indexOf('start_healthy "$idle"');
    const failure = script.slice(script.indexOf("start_healthy() {"), script.indexOf("record() {"));
    expect(failure).toMatch(/ctl stop "\$app-\$1"[\s\S]*fail "\$1 did not answer/);
    expect(script.indexOf('mv -f "$colour_file.next"')).toBeGreaterThan(gate);
  });
});

test("the njs module reads the live colour and falls back to blue", () => {
  const module = renderNginxColourModule("api");
  expect(module).toContain("fs.readFileSync('/var/lib/dropstack/api.live', 'utf8').trim()");
  expect(module).toMatch(/return 'blue';\n}/);
  expect(module).toContain("export default { colour };");
});
