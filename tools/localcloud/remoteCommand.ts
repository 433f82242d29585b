/**
 * `remote.Command`'s create, run as pulumi-command 1.x runs it: one SSH session to
 * `connection.host` as `connection.user` with `connection.privateKey`, the command string as the
 * session's exec request (no wrapper: sshd hands it to the user's shell), `stdin` on its stdin,
 * from the operator's machine (the stack's operator namespace). As the provider does
 * (provider/pkg/provider/remote/connection.go, `dialWithRetry`): every failed dial, refused or
 * unauthenticated alike, is retried up to `dialErrorLimit` times (default 10, so 11 attempts),
 * waiting 100 ms × 1.5ⁿ capped at 5 s between them, each connect bounded by `perDialTimeout`
 * (default 15 s); `customTimeouts.create` bounds the dialing only, never the running command. A
 * non-zero exit fails the step with the command's output (remote/commandOutputs.go, `run`).
 * With `connection.hostKey` (an authorized_keys line) the host must present that key, of that
 * type only (connection.go: ssh.FixedHostKey, HostKeyAlgorithms its type); a mismatch fails the
 * dial and is retried as any other; without one the host's key is not checked.
 */
import { chmodSync, mkdirSync, writeFileSync } from "node:fs";
import * as path from "node:path";
import { runAsync } from "../shared/runCommand";
import { setTimeout as sleep } from "node:timers/promises";

export interface Connection {
  readonly host: string;
  readonly user?: string;
  readonly port?: number;
  readonly privateKey?: string;
  readonly hostKey?: string;
  readonly dialErrorLimit?: number;
  readonly perDialTimeout?: number;
}

export interface RemoteRun {
  readonly command: string;
  readonly stdin?: string;
  readonly environment?: Record<string, string>;
  /** Milliseconds dialing may take (customTimeouts.create); undefined: no limit, as the provider. */
  readonly timeoutMs?: number;
}

export class RemoteCommandError extends Error {}

/** ssh exits 255 when it could not connect or log in; anything else is the command's own. */
const SSH_FAILED = 255;

/**
 * Runs `run` on `connection.host`; resolves to stdout and stderr. `stillWorthDialing` is asked
 * between failed dials: the local cloud knows when a droplet's bootstrap has failed and stops
 * dialing at once with its reason, where a real run would dial on to its limit.
 */
export async function runRemote(
  connection: Connection,
  run: RemoteRun,
  options: {
    /** The namespace the SSH client runs in (the operator's). */
    netns: string;
    keyDir: string;
    name: string;
    stillWorthDialing?: () => string | undefined;
  },
): Promise<{ stdout: string; stderr: string }> {
  mkdirSync(options.keyDir, { recursive: true, mode: 0o700 });
  const keyFile = path.join(options.keyDir, `${options.name}.key`);
  writeFileSync(keyFile, connection.privateKey ?? "", { mode: 0o600 });
  chmodSync(keyFile, 0o600);
  const dialTimeout = connection.perDialTimeout ?? 15;
  const dialLimit = connection.dialErrorLimit ?? 10;
  // The provider sends `environment` with Setenv, which Debian's sshd (AcceptEnv LANG LC_*)
  // refuses, and then does not run the command at all: so it fails here too.
  const names = Object.keys(run.environment ?? {});
  if (names.length > 0) {
    throw new RemoteCommandError(
      `${options.name}: could not set environment variable "${names[0]}" (the droplet's sshd accepts no such variable; set it in the command instead)`,
    );
  }
  const port = connection.port ?? 22;
  const args = [
    "netns",
    "exec",
    options.netns,
    "ssh",
    "-i",
    keyFile,
    "-p",
    String(port),
    ...hostKeyOptions(connection.host, port, connection.hostKey, keyFile),
    "-o",
    "LogLevel=ERROR",
    "-o",
    "BatchMode=yes",
    "-o",
    "IdentitiesOnly=yes",
    "-o",
    `ConnectTimeout=${dialTimeout}`,
    `${connection.user ?? "root"}@${connection.host}`,
    run.command,
  ];
  const deadline = run.timeoutMs === undefined ? Infinity : Date.now() + run.timeoutMs;
  let lastError = "";
  let wait = 100;
  let tries = 0;
  for (; dialLimit < 0 || tries <= dialLimit; tries++) {
    if (Date.now() >= deadline) break;
    const result = await runAsync("ip", args, { input: run.stdin ?? "" });
    if (result.status !== SSH_FAILED) {
      if (result.status === 0) return { stdout: result.stdout, stderr: result.stderr };
      const output = `${result.stdout}${result.stderr}`.trim();
      throw new RemoteCommandError(
        `${options.name}: Process exited with status ${result.status} on ${connection.host}:\n${output}`,
      );
    }
    lastError = result.stderr.trim();
    const reason = options.stillWorthDialing?.();
    if (reason) throw new RemoteCommandError(`${options.name}: ${reason}`);
    await sleep(Math.min(wait, Math.max(0, deadline - Date.now())));
    wait = Math.min(wait * 1.5, 5000);
  }
  throw new RemoteCommandError(
    `${options.name}: could not connect to ${connection.user ?? "root"}@${connection.host} after ${tries} dials (last: ${lastError || "no answer"})`,
  );
}

/** ssh's options to check `hostKey` as the provider does, or to check nothing without one. */
function hostKeyOptions(
  host: string,
  port: number,
  hostKey: string | undefined,
  keyFile: string,
): string[] {
  if (!hostKey) return ["-o", "StrictHostKeyChecking=no", "-o", "UserKnownHostsFile=/dev/null"];
  const [type, blob] = hostKey.trim().split(/\s+/);
  const knownHosts = `${keyFile}.known_hosts`;
  const name = port === 22 ? host : `[${host}]:${port}`;
  writeFileSync(knownHosts, `${name} ${type} ${blob}\n`, { mode: 0o600 });
  return [
    "-o",
    "StrictHostKeyChecking=yes",
    "-o",
    `UserKnownHostsFile=${knownHosts}`,
    "-o",
    `HostKeyAlgorithms=${type}`,
  ];
}
