/**
 * `npm run local -- up`: the stack's recorded plan run for real. The shared services come up once
 * (apt proxy, base image, registry, build engine), then the stack's own network and DNS, then the
 * program itself under the local engine, each resource created by its stand-in in the program's
 * own order. The state is saved after every step, so an interrupted `up` leaves what `down` removes.
 */
import { createHash } from "node:crypto";
import { execFileSync } from "node:child_process";
import { existsSync, mkdirSync, readFileSync } from "node:fs";
import * as path from "node:path";
import { SECRET_MASK, decodeConfigValue, encodeConfigValue, parseStackConfig } from "../../config";
import { StackConfigMap, stackConfigFor } from "../plan/stackFiles";
import { UserError } from "../shared/errors";
import { PROJECT } from "../shared/projectPaths";
import { ACME_DIRECTORY, startAcmeServer, trustInNetns } from "./acmeServer";
import { APT_PROXY_URL, hostDebianMirror, startAptProxy } from "./aptProxy";
import { ensureBaseImage } from "./baseImage";
import { ensureNodeImage, startBuildEngine } from "./buildEngine";
import { ensureServicesAddress } from "./hostNetwork";
import { LocalAccount, refuseWhatTheAccountWould } from "./localAccount";
import { LocalCloudMocks, LocalEngineEvents } from "./localMocks";
import { applyLocally, predictTransition, stepNote } from "./localTransition";
import { localCaPem } from "./localCa";
import { ADDRESSES, names, stackDir } from "./localPaths";
import { freeIndex, LocalState, readState, writeState } from "./localState";
import { localStatus, LocalStatus } from "./localStatus";
import { ensureLogins } from "./registry";
import { requireLocalCloud } from "./requireLocalCloud";
import { operatorAddress, outsideOperatorAddress, prepareClients } from "./clients";
import { deployingFrom } from "./localDeployAccess";
import { standIns } from "./standIns";
import { serveZones } from "./stackDns";
import { addClient, createStackNetwork } from "./stackNetwork";
import { applyRouterRules } from "./stackFirewall";

export interface UpOptions {
  readonly stack: string;
  readonly configFile?: string;
  /** Boot the droplets from this cloud-config instead of the program's (to rehearse a failure). */
  readonly userDataFile?: string;
  /**
   * First up only: the operator's machine outside `firewall.sshSourceAddresses`, as a CI runner;
   * every up of the stack then opens the deploy's way in for it, and closes it after.
   */
  readonly fromOutside?: boolean;
  /** Every new droplet's apt busy this many seconds from its boot (DigitalOcean's agent install). */
  readonly aptBusySeconds?: number;
  /** The local account's limits (by default DigitalOcean's, and ops@example.com verified). */
  readonly account?: LocalAccount;
}

type Out = { note(line: string): void };

const hashOf = (config: Record<string, string>) =>
  createHash("sha256")
    .update(JSON.stringify(Object.entries(config).sort()))
    .digest("hex");

/** The stack's SSH key pair, made once: DigitalOcean's copy of every key its sshKeys name. */
function stackKey(stack: string): { keyFile: string; publicKey: string } {
  const keyFile = path.join(stackDir(stack), "keys", "id_ed25519");
  if (!existsSync(keyFile)) {
    mkdirSync(path.dirname(keyFile), { recursive: true, mode: 0o700 });
    execFileSync("ssh-keygen", [
      "-q",
      "-t",
      "ed25519",
      "-N",
      "",
      "-C",
      `dropstack-local ${stack}`,
      "-f",
      keyFile,
    ]);
  }
  return { keyFile, publicKey: readFileSync(`${keyFile}.pub`, "utf8").trim() };
}

/** Brings `stack` up; resolves to its status. A second `up` with the same config does nothing. */
export async function localUp(options: UpOptions, out: Out): Promise<LocalStatus> {
  const { stack } = options;
  requireLocalCloud(out.note);
  const input = stackConfigFor(stack, options.configFile && path.resolve(options.configFile));
  // Where the config came from, and what is a placeholder; not the SSH key's: the local cloud
  // gives every stack a key of its own.
  for (const note of input.notes.filter((n) => !n.startsWith(`${PROJECT}:sshPrivateKey`))) {
    out.note(note);
  }
  const configHash = hashOf(input.config);
  const previous = readState(stack);
  if (previous?.complete && previous.configHash === configHash) {
    out.note(`${stack} is up with this config already: nothing to do`);
    return localStatus(stack);
  }
  // A stack whose last transition failed goes on from what it applied, as `pulumi up` does; only
  // a first up that never finished must go first.
  if (previous && !previous.complete && previous.configHash === undefined) {
    throw new UserError(
      `the first up of ${stack} did not finish: npm run local -- down --stack ${stack} first`,
    );
  }
  if (previous && options.fromOutside && !previous.operatorOutside) {
    throw new UserError(
      `--from-outside places the operator at ${stack}'s first up; ${stack} is up with its operator inside firewall.sshSourceAddresses: npm run local -- down --stack ${stack} first`,
    );
  }
  // Refused before anything is made for the stack, its key included.
  // The local key put in below changes nothing the local cloud reads from this config.
  const config = parseStackConfig(stack, input.config, input.secretKeys);
  const rawTls = (
    decodeConfigValue(input.config[`${PROJECT}:proxy`] ?? "{}") as {
      tls?: { privateKey?: unknown };
    }
  ).tls;
  if (config.proxy.tls.mode === "custom" && rawTls?.privateKey === SECRET_MASK) {
    throw new UserError(
      "dropstack:proxy.tls.privateKey is a secure value the local cloud cannot decrypt: give the stack's passphrase as PULUMI_CONFIG_PASSPHRASE (it decrypts passphrase stacks only)",
    );
  }
  refuseWhatTheAccountWould(stack, config, input.config, options.account);
  const key = stackKey(stack);
  // The placeholder key of the offline plan becomes the stack's real one, and certbot asks the
  // local ACME server instead of Let's Encrypt.
  const keyed = {
    ...input,
    config: {
      ...input.config,
      "dropstack:sshPrivateKey": readFileSync(key.keyFile, "utf8"),
    } as Record<string, string>,
  };
  const certbot = config.proxy.tls.mode === "letsencrypt" && config.droplet.count === 1;
  if (certbot) {
    const proxy = { ...config.proxy, tls: { ...config.proxy.tls, server: ACME_DIRECTORY } };
    keyed.config["dropstack:proxy"] = encodeConfigValue(proxy);
  }
  if (previous) {
    return deployingFrom(previous, out.note, () =>
      transition(previous, keyed, configHash, config.domain, out),
    );
  }
  const ssh = config.firewall.sshSourceAddresses;
  const state: LocalState = {
    stack,
    index: freeIndex(),
    ...key,
    operatorAddress: options.fromOutside
      ? outsideOperatorAddress(stack, ssh)
      : operatorAddress(ssh),
    operatorOutside: options.fromOutside,
    visitorAddress: ADDRESSES.visitor,
    complete: false,
    droplets: [],
    reservedIps: [],
    firewalls: [],
    dnsRecords: [],
    logins: [],
    images: [],
    balancers: [],
    certificates: [],
    uptimeChecks: [],
    uptimeAlerts: [],
    skipped: [],
    urls: [],
    phases: {},
  };
  writeState(state);
  const phase = (name: string, startedAt: number) => {
    const span = state.phases[name] ?? { start: startedAt, end: startedAt };
    state.phases[name] = {
      start: Math.min(span.start, startedAt),
      end: Math.max(span.end, Date.now()),
    };
  };
  let started = Date.now();
  out.note("shared services: apt proxy, base image, registry, build engine");
  ensureServicesAddress();
  await startAptProxy();
  const mirror = hostDebianMirror().replace(/\/$/, "");
  ensureBaseImage(mirror, out.note);
  state.logins.push(...(await ensureLogins(stack)));
  await startBuildEngine();
  await ensureNodeImage(mirror, out.note);
  phase("shared services", started);
  writeState(state);
  started = Date.now();
  out.note(
    `network of ${stack}: router, DNS at ${ADDRESSES.dns}, visitor ${state.visitorAddress}, operator ${state.operatorAddress}`,
  );
  createStackNetwork(state.index);
  prepareClients(state);
  addClient(state.index, "acme", ADDRESSES.acme);
  applyRouterRules(state.index, { reservedIps: {}, firewalls: [] });
  await serveZones(stack, state.index, [], [config.domain]);
  const pebbleRoot = await startAcmeServer(stack, state.index);
  for (const client of ["visitor", "operator"] as const) {
    trustInNetns(names(state.index)[client], [localCaPem(), pebbleRoot]);
  }
  if (certbot)
    out.note(`  certbot on the droplets asks the local ACME server (pebble), ${ACME_DIRECTORY}`);
  phase("stack network", started);
  out.note(`running the program of ${stack} (apt in the droplets goes through ${APT_PROXY_URL})`);
  const userDataOverride = options.userDataFile && readFileSync(options.userDataFile, "utf8");
  const mocks = new LocalCloudMocks(
    standIns({
      state,
      note: out.note,
      userDataOverride,
      aptBusySeconds: options.aptBusySeconds,
      phase,
      domain: config.domain,
    }),
    engineEvents(state, out),
  );
  try {
    const plan = await deployingFrom(state, out.note, () => applyLocally(state, keyed, mocks, out));
    state.urls = Array.isArray(plan.outputs.urls) ? plan.outputs.urls.map(String) : [];
  } catch (error) {
    // applyLocally saved what was applied before it failed.
    throw new UserError(
      `up of ${stack} failed: ${(error as Error).message}\n(npm run local -- down --stack ${stack} removes what it made)`,
    );
  }
  state.complete = true;
  state.configHash = configHash;
  writeState(state);
  return localStatus(stack);
}

/** What the engine reports: skipped types, the failure, and each step of a transition. */
function engineEvents(state: LocalState, out: Out): LocalEngineEvents {
  return {
    skipped: (r) => {
      state.skipped.push({ type: r.type, name: r.name });
      out.note(
        `  skipped ${r.type.split(":").pop()} ${r.name}: not emulated by the local cloud yet`,
      );
    },
    failed: (r, error) => out.note(`  ✗ ${r.name}: ${error.message.split("\n")[0]}`),
    step: (step) => out.note(stepNote(step)),
  };
}

/** `up` of a stack that is up with another config: only the steps between the two. */
async function transition(
  state: LocalState,
  keyed: StackConfigMap,
  configHash: string,
  domain: string,
  out: Out,
): Promise<LocalStatus> {
  const phase = () => undefined;
  const stands = standIns({ state, note: out.note, phase, domain });
  const predicted = predictTransition(state, keyed, stands, out);
  if (predicted.steps.length > 0) {
    state.complete = false;
    state.skipped = [];
    writeState(state);
    const mocks = new LocalCloudMocks(stands, engineEvents(state, out), state.applied);
    try {
      const plan = await applyLocally(state, keyed, mocks, out, predicted);
      state.urls = Array.isArray(plan.outputs.urls) ? plan.outputs.urls.map(String) : [];
    } catch (error) {
      // applyLocally saved what was applied before it failed.
      throw new UserError(
        `the transition of ${state.stack} failed: ${(error as Error).message}\n(the steps before it were applied; npm run local -- down --stack ${state.stack} removes the stack)`,
      );
    }
  }
  state.complete = true;
  state.configHash = configHash;
  writeState(state);
  return localStatus(state.stack);
}
