/**
 * What the stand-ins do when a droplet, a reserved IP or its assignment, the load balancer or its
 * certificate is deleted (`droplet.count` N → 1), as DigitalOcean does: the balancer stops
 * sending to a droplet before it goes, a reserved IP's traffic stops with its assignment.
 * `down` removes everything at once instead (localDown.ts).
 */
import { RESOURCE_TYPES as T } from "../../components/resourceTypes";
import { destroyDroplet, dropletMachine } from "./dropletMachine";
import type { Deleter } from "./localMocks";
import { writeState } from "./localState";
import { stopBalancers } from "./loadBalancer";
import { reapplyRules } from "./networkStandIns";
import type { StandInContext } from "./standInContext";
import { removeNetns } from "./stackNetwork";

export function resourceDeletes(
  context: StandInContext,
  refreshBalancers: () => Promise<void>,
): Record<string, Deleter> {
  const { state } = context;
  const save = () => writeState(state);
  return {
    [T.droplet]: async (previous) => {
      const droplet = state.droplets.find((d) => d.id === previous.id);
      if (!droplet) return;
      state.droplets = state.droplets.filter((d) => d !== droplet);
      for (const ip of state.reservedIps) if (ip.dropletId === droplet.id) delete ip.dropletId;
      save();
      // Out of the balancer and the router's rules first, then powered off and gone.
      reapplyRules(state);
      await refreshBalancers();
      context.note(`  droplet ${droplet.name}: powered off and destroyed`);
      await destroyDroplet(
        dropletMachine(state.stack, droplet.name, droplet.machine, droplet.netns),
      );
      removeNetns(droplet.netns);
    },
    [T.ipAssignment]: async (previous) => {
      const ip = state.reservedIps.find((r) => r.address === previous.inputs.ipAddress);
      if (ip) delete ip.dropletId;
      save();
      reapplyRules(state);
    },
    [T.reservedIp]: async (previous) => {
      state.reservedIps = state.reservedIps.filter((ip) => ip.address !== previous.id);
      save();
      reapplyRules(state);
    },
    [T.loadBalancer]: async (previous) => {
      const balancer = state.balancers.find((b) => b.id === previous.id);
      if (!balancer) return;
      state.balancers = state.balancers.filter((b) => b !== balancer);
      save();
      await stopBalancers(state.stack, state.index, [balancer.name]);
      context.note(`  load balancer ${balancer.name} deleted`);
    },
    // The TLS provider's delete only forgets the key (resource_private_key.go).
    [T.hostKey]: async () => undefined,
    [T.certificate]: async (previous) => {
      state.certificates = state.certificates.filter((c) => c.id !== previous.id);
      save();
    },
  };
}
