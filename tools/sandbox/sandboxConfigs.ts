/**
 * The droplet's files moved to run on this machine (listeners on loopback, the droplet's
 * directories under the sandbox's root, the container command swapped), and the sandbox's own
 * main configs for nginx and supervisord around them.
 */
import { CONFIG_DIR, STATE_DIR } from "../../templates";
import { TOOLS } from "../shared/systemTools";

/** Where Debian's libnginx-mod-http-js puts the njs module that reads the live colour. */
export const NJS_MODULE = TOOLS["nginx njs module"].path;

/**
 * nginx on loopback: port 80 becomes `port` and 443 becomes `tlsPort`, without the IPv6 listeners
 * a droplet has. A listen left anywhere else is an error, so the sandbox never binds a public port.
 */
export function remapListen(site: string, port: number, tlsPort?: number): string {
  let remapped = site
    .replace(/^\s*listen \[::\]:80( default_server)?;\n/gm, "")
    .replace(/^(\s*)listen 80( default_server)?;$/gm, `$1listen 127.0.0.1:${port}$2;`);
  if (tlsPort !== undefined) {
    remapped = remapped
      .replace(/^\s*listen \[::\]:443 [^;\n]*;\n/gm, "")
      .replace(/^(\s*)listen 443( [^;\n]*);$/gm, `$1listen 127.0.0.1:${tlsPort}$2;`);
  }
  const stray = /^\s*listen (?!127\.0\.0\.1:)[^;\n]*;$/m.exec(remapped);
  if (stray) {
    throw new Error(
      `the planned nginx site has a listen the sandbox does not remap: ${stray[0].trim()}`,
    );
  }
  return remapped;
}

/** The droplet's own directories, moved under the sandbox's root. */
export function remapPaths(text: string, root: string): string {
  return text
    .split(`${CONFIG_DIR}/`)
    .join(`${root}${CONFIG_DIR}/`)
    .split(`${STATE_DIR}/`)
    .join(`${root}${STATE_DIR}/`);
}

/** The rendered program section with its command swapped for one that runs here, logs kept local. */
export function substituteProgram(section: string, command: string, logDir: string): string {
  const lines = section.split("\n");
  const at = lines.findIndex((line) => line.startsWith("command="));
  if (at < 0) throw new Error("the rendered supervisor program has no command= line");
  lines[at] = `command=${command.replace(/%/g, "%%")}`;
  return lines.join("\n").replace(/\/var\/log\/supervisor/g, logDir);
}

export function supervisordConf(runDir: string): string {
  return [
    "; supervisord for the dropstack sandbox: a unix socket in the scratch dir, nothing system-wide.",
    "[unix_http_server]",
    `file=${runDir}/supervisor.sock`,
    "chmod=0700",
    "[supervisord]",
    `pidfile=${runDir}/supervisord.pid`,
    `logfile=${runDir}/logs/supervisord.log`,
    `childlogdir=${runDir}/logs`,
    "[rpcinterface:supervisor]",
    "supervisor.rpcinterface_factory = supervisor.rpcinterface:make_main_rpcinterface",
    "[supervisorctl]",
    `serverurl=unix://${runDir}/supervisor.sock`,
    "[include]",
    `files=${runDir}/conf.d/*.conf`,
    "",
  ].join("\n");
}

/** The main config a droplet gets from Debian's nginx.conf, reduced to what the site needs. */
export function nginxMainConf(runDir: string, sitePath: string): string {
  const tmp = (name: string) => `${runDir}/nginx-tmp/${name}`;
  return [
    "# nginx main config for the dropstack sandbox; the site below is the rendered one, listen remapped.",
    `load_module ${NJS_MODULE};`,
    process.getuid?.() === 0 ? "user root;" : "",
    "worker_processes auto;",
    `pid ${runDir}/nginx.pid;`,
    `error_log ${runDir}/logs/nginx-error.log warn;`,
    "events { worker_connections 4096; }",
    "http {",
    `    access_log ${runDir}/logs/nginx-access.log;`,
    `    client_body_temp_path ${tmp("body")};`,
    `    proxy_temp_path ${tmp("proxy")};`,
    `    fastcgi_temp_path ${tmp("fastcgi")};`,
    `    uwsgi_temp_path ${tmp("uwsgi")};`,
    `    scgi_temp_path ${tmp("scgi")};`,
    `    include ${sitePath};`,
    "}",
    "",
  ].join("\n");
}
