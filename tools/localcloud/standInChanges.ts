/**
 * What the stand-ins do when a resource that is up changes or goes, as the providers do: a DNS
 * record, a firewall, an uptime check and its alerts change in place (Knot's zone, the router's
 * rules, the checker); a droplet's resize powers it off and on; a Command runs its `update` (or
 * `create`) again, and its `delete` when it goes; an image is built and pushed again. Types with neither here are refused by the transition
 * before any step (see localTransition.ts), never half-applied.
 */
import { RESOURCE_TYPES as T } from "../../components/resourceTypes";
import type { CommandRunner } from "./commandStandIn";
import { changedInputs, type StandIn, type StandIns, type Updater } from "./localMocks";
import { dropletMachine, powerCycleDroplet } from "./dropletMachine";
import { writeState } from "./localState";
import { reapplyRules } from "./networkStandIns";
import { strings, type StandInContext } from "./standInContext";
import { recordFqdn, serveZones } from "./stackDns";
import { serveUptimeChecks } from "./uptimeChecker";

/** The stand-in of `type` again: its create does what an update must (it holds no state). */
const again =
  (create: Readonly<Record<string, StandIn>>, type: string): Updater =>
  (inputs, resource) =>
    create[type](inputs, resource);

/** What a droplet's updater changes: a container has no size, so a resize is a power cycle. */
const DROPLET_UPDATABLE = ["size", "tags", "backups"];

export function standInChanges(
  context: StandInContext,
  create: Readonly<Record<string, StandIn>>,
  runCommand: CommandRunner,
): Omit<StandIns, "create"> {
  const { state } = context;
  const save = () => writeState(state);
  // The stack's own zone stays served with no record left in it; serveZones adds every record's.
  const rezone = () => serveZones(state.stack, state.index, state.dnsRecords, [context.domain]);
  /** Drops the state's entry of a resource (by its id), then makes it anew with the new inputs. */
  const remade =
    (drop: (previousId: string) => void): Updater =>
    (inputs, resource, previous) => {
      drop(previous.id);
      return create[resource.type](inputs, resource);
    };
  const dropRecord = (id: string) => {
    state.dnsRecords = state.dnsRecords.filter((r) => r.id !== id);
  };
  const dropCheck = (id: string) => {
    state.uptimeChecks = state.uptimeChecks.filter((c) => c.id !== id);
    state.uptimeAlerts = state.uptimeAlerts.filter((a) => a.checkId !== id);
  };
  return {
    updatable: { [T.droplet]: DROPLET_UPDATABLE },
    update: {
      [T.command]: (inputs, resource) =>
        runCommand(inputs.update ?? inputs.create, inputs, resource.name, resource.createTimeout),
      [T.droplet]: async (inputs, _resource, previous) => {
        const droplet = state.droplets.find((d) => d.id === previous.id);
        if (!droplet) throw new Error(`no droplet ${previous.id} in this stack`);
        const changed = changedInputs(previous.inputs, inputs, []);
        const other = changed.filter((key) => !DROPLET_UPDATABLE.includes(key));
        if (other.length > 0) {
          throw new Error(`the local cloud cannot update a droplet's ${other.join(", ")} yet`);
        }
        if (changed.includes("tags")) {
          Object.assign(droplet, { tags: strings(inputs.tags) });
          save();
          reapplyRules(state);
        }
        if (changed.includes("size")) {
          // DigitalOcean powers the droplet off, resizes it, powers it on (providerRules.ts). A
          // container has no size: the power cycle is what is rehearsed, and what costs requests.
          context.note(
            `  droplet ${droplet.name}: powered off to resize (${String(previous.inputs.size)} → ${String(inputs.size)}), then on`,
          );
          const started = Date.now();
          await powerCycleDroplet(
            dropletMachine(state.stack, droplet.name, droplet.machine, droplet.netns),
          );
          context.note(
            `  droplet ${droplet.name}: up again after ${((Date.now() - started) / 1000).toFixed(1)} s`,
          );
        }
        return { id: previous.id, outputs: previous.outputs };
      },
      [T.image]: again(create, T.image),
      [T.registryCredentials]: again(create, T.registryCredentials),
      [T.tag]: again(create, T.tag),
      [T.dnsRecord]: async (inputs, _resource, previous) => {
        // Name, value and ttl change in place, under the record's id (domain and type replace it).
        const record = state.dnsRecords.find((r) => r.id === previous.id);
        if (!record) throw new Error(`no DNS record ${previous.id} in this stack`);
        Object.assign(record, {
          name: String(inputs.name),
          value: String(inputs.value),
          ttl: Number(inputs.ttl ?? 1800),
        });
        save();
        await rezone();
        const fqdn = recordFqdn(record);
        context.note(`  DNS ${fqdn} ${record.type} ${record.value} (updated)`);
        return { id: previous.id, outputs: { fqdn } };
      },
      [T.firewall]: remade(() => {
        // One firewall per stack: its rules are made anew.
        state.firewalls = [];
      }),
      [T.uptimeCheck]: async (inputs, resource, previous) => {
        // Alerts keep pointing at the check: only the check itself is remade, under its id.
        state.uptimeChecks = state.uptimeChecks.filter((c) => c.id !== previous.id);
        const check = { id: previous.id, name: String(inputs.name), target: String(inputs.target) };
        if (inputs.enabled !== false) state.uptimeChecks.push(check);
        save();
        await serveUptimeChecks(state.stack, state.index, state.uptimeChecks);
        context.note(`  uptime check ${check.name}: now ${check.target}`);
        return { id: previous.id, outputs: previous.outputs };
      },
      [T.uptimeAlert]: remade((id) => {
        state.uptimeAlerts = state.uptimeAlerts.filter((a) => a.id !== id);
      }),
    },
    delete: {
      [T.command]: async (previous) => {
        if (previous.inputs.delete === undefined) return;
        context.note(`  delete of ${previous.name}:`);
        await runCommand(previous.inputs.delete, previous.inputs, previous.name);
      },
      [T.image]: async () => undefined,
      [T.registryCredentials]: async () => undefined,
      [T.tag]: async () => undefined,
      [T.dnsRecord]: async (previous) => {
        dropRecord(previous.id);
        save();
        await rezone();
        context.note(`  DNS record of ${previous.name} deleted`);
      },
      [T.firewall]: async () => {
        state.firewalls = [];
        save();
        reapplyRules(state);
      },
      [T.uptimeCheck]: async (previous) => {
        dropCheck(previous.id);
        save();
        await serveUptimeChecks(state.stack, state.index, state.uptimeChecks);
      },
      [T.uptimeAlert]: async (previous) => {
        state.uptimeAlerts = state.uptimeAlerts.filter((a) => a.id !== previous.id);
        save();
      },
    },
  };
}
