/**
 * The deploy's way in on the local cloud: the same `openDeployAccess`/`closeDeployAccess` as on
 * DigitalOcean, over the stack's state instead of DigitalOcean's API. Its firewall joins the
 * router's rules beside the program's (the union, as DigitalOcean applies several firewalls), for
 * the droplets carrying its tag, new ones included. What it cannot show: DigitalOcean's API itself
 * (tests/integration/digitalOceanFirewalls.test.ts checks the requests against a recording server), and
 * tags (the local cloud does not model whether one exists).
 */
import { withDeployAccess, type FirewallApi } from "../deployaccess/deployAccess";
import type { LocalState } from "./localState";
import { writeState } from "./localState";
import { firewallRules, reapplyRules } from "./networkStandIns";
import { nextSerial } from "./standInContext";

export function localFirewalls(state: LocalState): FirewallApi {
  const apply = () => {
    reapplyRules(state);
    writeState(state);
  };
  return {
    ensureTag: async () => undefined,
    firewalls: async () =>
      (state.outsideFirewalls ?? []).map(({ id, name, createdAt }) => ({ id, name, createdAt })),
    createFirewall: async (firewall) => {
      const id = `fw-outside-${nextSerial(state)}`;
      state.outsideFirewalls = [
        ...(state.outsideFirewalls ?? []),
        {
          id,
          createdAt: new Date().toISOString(),
          resource: firewall.name,
          name: firewall.name,
          tags: [firewall.tag],
          dropletIds: [],
          inbound: firewallRules(
            firewall.inbound.map((rule) => ({ protocol: "tcp", ...rule })),
            "sourceAddresses",
            () => undefined,
          ),
          outbound: firewallRules(firewall.outbound, "destinationAddresses", () => undefined),
        },
      ];
      apply();
      return { id };
    },
    deleteFirewall: async (id) => {
      state.outsideFirewalls = (state.outsideFirewalls ?? []).filter((f) => f.id !== id);
      apply();
    },
  };
}

/**
 * Runs `deploy` (an up, or down's deletes over SSH) as the operator deploys: from inside
 * `firewall.sshSourceAddresses`, as it is; from outside it, through the deploy's way in, opened
 * first and closed after whatever the outcome.
 */
export function deployingFrom<T>(
  state: LocalState,
  note: (line: string) => void,
  deploy: () => Promise<T>,
): Promise<T> {
  if (!state.operatorOutside) return deploy();
  note(
    `  the operator (${state.operatorAddress}) deploys from outside firewall.sshSourceAddresses`,
  );
  return withDeployAccess(localFirewalls(state), state.stack, state.operatorAddress, note, deploy);
}
