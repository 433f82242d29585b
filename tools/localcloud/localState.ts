/**
 * What the local cloud has made for a stack, written after every change so that an interrupted
 * `up` (Ctrl-C, a failed step) leaves a state `down` can remove, and `status` can describe.
 */
import {
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  renameSync,
  writeFileSync,
} from "node:fs";
import * as path from "node:path";
import type { PlanState } from "../plan/planState";
import type { ClusterState } from "./databaseServers";
import type { AppliedResource, TakenStep } from "./localMocks";
import type { DnsRecordSpec } from "./stackDns";
import type { FirewallRule } from "./stackFirewall";
import type { UptimeAlertSpec, UptimeCheckSpec } from "./uptimeChecker";
import { STATE_ROOT, stackDir } from "./localPaths";

export interface DropletState {
  /** The Pulumi resource's name, e.g. `dev-web-1-droplet`. */
  readonly resource: string;
  /** The droplet's `name` (its hostname). */
  readonly name: string;
  readonly id: string;
  readonly index: number;
  readonly address: string;
  readonly netns: string;
  readonly machine: string;
  readonly tags: string[];
}

export interface FirewallState {
  readonly resource: string;
  readonly name: string;
  readonly tags: string[];
  readonly dropletIds: string[];
  readonly inbound: FirewallRule[];
  readonly outbound: FirewallRule[];
}

export interface LocalState {
  readonly stack: string;
  /** Numbers the stack's namespaces and host link (two stacks never share one). */
  readonly index: number;
  /** The stack's SSH key: DigitalOcean's copy of every key `droplet.sshKeys` names. */
  readonly keyFile: string;
  readonly publicKey: string;
  readonly operatorAddress: string;
  readonly visitorAddress: string;
  /** Hash of the config the last complete `up` ran with. */
  configHash?: string;
  complete: boolean;
  droplets: DropletState[];
  /** Droplets made so far, deleted ones included: a new one never takes a gone one's number. */
  dropletsMade?: number;
  /** Reserved IP resource name → its address, and the droplet id it is assigned to. */
  reservedIps: { resource: string; address: string; dropletId?: string }[];
  firewalls: FirewallState[];
  /** Firewalls made outside the program, as on DigitalOcean: the deploy's way in while it is open. */
  outsideFirewalls?: (FirewallState & { readonly id: string; readonly createdAt: string })[];
  /**
   * The operator's machine is outside `firewall.sshSourceAddresses` (`up --from-outside`): every
   * `up` opens the deploy's way in for it first and closes it after, as the deploy workflows do.
   */
  operatorOutside?: boolean;
  dnsRecords: (DnsRecordSpec & { resource: string; id?: string })[];
  /** Registry logins the credentials resources handed out (usernames start with the stack). */
  logins: { resource: string; username: string; dockerConfig: string }[];
  /** Load balancers: their address and the inputs their configuration is rendered from. */
  balancers: {
    resource: string;
    name: string;
    id: string;
    address: string;
    inputs: Record<string, unknown>;
  }[];
  /** Certificates issued for the balancer: the PEM (chain and key) HAProxy binds. */
  certificates: { resource: string; name: string; id: string; domains: string[]; pem: string }[];
  /** Managed database clusters: real servers on the stack's network (databaseServers.ts). */
  clusters?: ClusterState[];
  /** Clusters made so far, deleted ones included: a new one never takes a gone one's address. */
  clustersMade?: number;
  /** Uptime checks and their alerts, probed from the visitor's namespace. */
  uptimeChecks: UptimeCheckSpec[];
  uptimeAlerts: UptimeAlertSpec[];
  /** Images this stack pushed, as `repository@sha256:…` (with the tag it pushed them under). */
  images: { repoDigest: string; tag: string }[];
  /** Resources the local cloud does not emulate, listed, never dropped silently. */
  skipped: { type: string; name: string }[];
  urls: string[];
  /** What the last complete `up` applied, per custom resource: what the next one diffs against. */
  applied?: AppliedResource[];
  /** The same as a plan's state (computed values tokenized): what `plan --diff` starts from. */
  plannedState?: PlanState;
  /** The last transition: the steps the plan predicted and the ones the local cloud took. */
  lastTransition?: { predicted: TakenStep[]; taken: TakenStep[]; seconds: number };
  /** Numbers the ids the stand-ins give, so an id is never given twice. */
  serial?: number;
  /** Each phase of the last `up`: its first step's start and its last step's end (ms epoch). */
  phases: Record<string, { start: number; end: number }>;
}

const stateFile = (stack: string) => path.join(stackDir(stack), "state.json");

export function readState(stack: string): LocalState | undefined {
  const file = stateFile(stack);
  return existsSync(file) ? (JSON.parse(readFileSync(file, "utf8")) as LocalState) : undefined;
}

export function writeState(state: LocalState): void {
  const file = stateFile(state.stack);
  mkdirSync(path.dirname(file), { recursive: true, mode: 0o700 });
  writeFileSync(`${file}.next`, `${JSON.stringify(state, null, 2)}\n`, { mode: 0o600 });
  renameSync(`${file}.next`, file);
}

/** Every stack with a state folder (up, or interrupted). */
export function knownStacks(): string[] {
  if (!existsSync(STATE_ROOT)) return [];
  return readdirSync(STATE_ROOT).filter(
    (name) => !name.startsWith("_") && existsSync(stateFile(name)),
  );
}

/** The lowest stack index no other stack holds. */
export function freeIndex(): number {
  const taken = new Set(knownStacks().map((stack) => readState(stack)?.index));
  for (let index = 1; index < 250; index++) if (!taken.has(index)) return index;
  throw new Error("the local cloud holds 249 stacks already: `npm run local -- down` some");
}
