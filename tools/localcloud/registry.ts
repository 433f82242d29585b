/**
 * `registry.digitalocean.com`, locally: Debian's docker-registry (distribution 2.8) on the shared
 * services' address, port 443, with a certificate for that very name from a local CA (trusted in
 * the droplets and by the build engine) and htpasswd logins, one per credentials resource the
 * program declares. Image references stay exactly as the program writes them.
 */
import { randomBytes } from "node:crypto";
import { request } from "node:https";
import {
  appendFileSync,
  existsSync,
  mkdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from "node:fs";
import * as path from "node:path";
import { runOrThrow } from "../shared/runCommand";
import { portAnswers } from "./aptProxy";
import { Daemon, startDaemon, stopDaemon, waitReady } from "../shared/daemons";
import { REGISTRY_HOST } from "./dropletMachine";
import { issueCertificate, localCaPem } from "./localCa";
import { ADDRESSES, CACHE_DIR, SHARED_DIR } from "./localPaths";

const dir = path.join(SHARED_DIR, "registry");
const HTPASSWD = path.join(dir, "htpasswd");
/** The registry's storage: on the cache, so images outlive the registry process. */
export const REGISTRY_STORAGE = path.join(CACHE_DIR, "registry");

export const registryDaemon: Daemon = {
  what: "the registry (docker-registry)",
  command: "/usr/bin/docker-registry",
  args: ["serve", path.join(dir, "config.yml")],
  pidFile: path.join(dir, "registry.pid"),
  logFile: path.join(dir, "registry.log"),
};

/** Starts the registry once, on the shared services' address (which must exist). */
export async function startRegistry(): Promise<void> {
  mkdirSync(dir, { recursive: true });
  issueCertificate(dir, REGISTRY_HOST, [`IP:${ADDRESSES.services}`]);
  if (!existsSync(HTPASSWD)) writeFileSync(HTPASSWD, "");
  writeFileSync(
    path.join(dir, "config.yml"),
    [
      "version: 0.1",
      "log: {level: warn}",
      "storage:",
      `  filesystem: {rootdirectory: ${REGISTRY_STORAGE}}`,
      "  delete: {enabled: true}",
      "http:",
      `  addr: ${ADDRESSES.services}:443`,
      `  tls: {certificate: ${path.join(dir, "cert.pem")}, key: ${path.join(dir, "key.pem")}}`,
      "auth:",
      `  htpasswd: {realm: dropstack-local, path: ${HTPASSWD}}`,
      "",
    ].join("\n"),
  );
  startDaemon(registryDaemon);
  await waitReady(registryDaemon, () => portAnswers(ADDRESSES.services, 443));
}

export const registryCa = localCaPem;

/**
 * A login for the registry, as `ContainerRegistryDockerCredentials` hands one out: a Docker config
 * JSON. (docker-registry's htpasswd logins cannot be read-only: a pull login could push here.)
 */
function registryLogin(user: string): { username: string; dockerConfig: string } {
  const password = randomBytes(18).toString("base64url");
  const entry = runOrThrow("htpasswd", ["-nbB", user, password]).trim();
  appendFileSync(HTPASSWD, `${entry}\n`);
  const auth = Buffer.from(`${user}:${password}`).toString("base64");
  return { username: user, dockerConfig: JSON.stringify({ auths: { [REGISTRY_HOST]: { auth } } }) };
}

/**
 * The stack's two logins (`<stack>-push`, `<stack>-pull`), made before the program runs: the
 * registry reads its htpasswd file when it starts, so it is started (again) after they are added.
 */
export async function ensureLogins(
  stack: string,
): Promise<{ resource: string; username: string; dockerConfig: string }[]> {
  mkdirSync(dir, { recursive: true });
  removeRegistryLogins(stack);
  const logins = ["push", "pull"].map((kind) => ({
    resource: kind,
    ...registryLogin(`${stack}-${kind}`),
  }));
  await stopDaemon(registryDaemon.pidFile);
  await startRegistry();
  return logins;
}

/** Removes the stack's two logins from the registry's htpasswd file. */
export function removeRegistryLogins(stack: string): void {
  if (!existsSync(HTPASSWD)) return;
  const users = [`${stack}-push:`, `${stack}-pull:`];
  const kept = readFileSync(HTPASSWD, "utf8")
    .split("\n")
    .filter((line) => line && !users.some((user) => line.startsWith(user)));
  writeFileSync(HTPASSWD, kept.length ? `${kept.join("\n")}\n` : "");
}

/**
 * Deletes an image's manifest from the registry (its blobs go at the next garbage collection,
 * which runs when the registry stops); `login` is a Docker config JSON with push rights.
 */
export async function deleteImage(repoDigest: string, dockerConfig: string): Promise<boolean> {
  const [repository, digest] = repoDigest.replace(`${REGISTRY_HOST}/`, "").split("@");
  const auth = (JSON.parse(dockerConfig) as { auths: Record<string, { auth: string }> }).auths[
    REGISTRY_HOST
  ].auth;
  return new Promise((resolve) => {
    const req = request(
      {
        host: ADDRESSES.services,
        port: 443,
        servername: REGISTRY_HOST,
        ca: registryCa(),
        method: "DELETE",
        path: `/v2/${repository}/manifests/${digest}`,
        headers: { Authorization: `Basic ${auth}` },
        timeout: 5000,
      },
      (res) => {
        res.resume();
        resolve(res.statusCode === 202 || res.statusCode === 404);
      },
    );
    req.on("error", () => resolve(false));
    req.end();
  });
}

/** With the registry stopped: removes the blobs no manifest references any more. */
export function collectGarbage(): void {
  // Nothing was ever pushed (a stack whose up failed before its image): distribution 2.8's
  // garbage-collect fails on a store without repositories ("failed to mark: Path not found").
  if (!existsSync(path.join(REGISTRY_STORAGE, "docker/registry/v2/repositories"))) return;
  runOrThrow("/usr/bin/docker-registry", [
    "garbage-collect",
    "--delete-untagged",
    path.join(dir, "config.yml"),
  ]);
}

/**
 * Removes a tag (`registry.digitalocean.com/<repository>:<tag>`) from the registry's storage:
 * distribution 2.8's API deletes manifests by digest only, which would take every other tag of the
 * same image with it.
 */
export function deleteTag(reference: string): boolean {
  const [repository, tag] = reference.replace(`${REGISTRY_HOST}/`, "").split(/:(?=[^/:]+$)/);
  const tagDir = path.join(
    REGISTRY_STORAGE,
    "docker/registry/v2/repositories",
    repository,
    "_manifests/tags",
    tag,
  );
  if (!existsSync(tagDir)) return false;
  rmSync(tagDir, { recursive: true, force: true });
  return true;
}
