/** What every stand-in is given: the stack's state and how to report; and what they share. */
import type { LocalState } from "./localState";

export interface StandInContext {
  readonly state: LocalState;
  readonly note: (line: string) => void;
  /** The stack's DNS zone (`domain`), in the account before anything is created. */
  readonly domain: string;
  /** A cloud-config to boot every droplet from instead of the program's (rehearsing a failure). */
  readonly userDataOverride?: string;
  /** Seconds each new droplet's apt is busy from boot, as DigitalOcean's agent install keeps it. */
  readonly aptBusySeconds?: number;
  /** Widens a phase's span (its first start to its last end) with a step that started then. */
  readonly phase: (name: string, startedAt: number) => void;
}

/** A list input as strings (tags, ids, addresses); anything else as none. */
export const strings = (value: unknown): string[] =>
  Array.isArray(value) ? value.map(String) : [];

/** A number no earlier id of the stack's stand-ins had. */
export function nextSerial(state: LocalState): number {
  state.serial = (state.serial ?? 0) + 1;
  return state.serial;
}
