/**
 * `npm run local -- down`: everything of one stack, gone: every Command's `delete` run, then its
 * droplets (powered off, disks unmounted and removed), database clusters, DNS server and zones, namespaces with their
 * nftables table, registry logins and the images only it pushed. When no stack is left, the shared services stop too
 * (their caches stay, so the next `up` is fast).
 */
import { existsSync, readdirSync, rmSync } from "node:fs";
import * as path from "node:path";
import { docker } from "./buildEngine";
import { buildEngineDaemon } from "./buildEngine";
import { aptProxyDaemon } from "./aptProxy";
import { stopDaemon } from "../shared/daemons";
import { stopClusters } from "./databaseServers";
import { destroyDroplet, dropletMachine } from "./dropletMachine";
import { removeServicesAddress } from "./hostNetwork";
import { names, stackDir } from "./localPaths";
import { knownStacks, LocalState, readState } from "./localState";
import { commandRunner } from "./commandStandIn";
import { RESOURCE_TYPES as T } from "../../components/resourceTypes";
import { standInChanges } from "./standInChanges";
import {
  collectGarbage,
  deleteImage,
  deleteTag,
  registryDaemon,
  removeRegistryLogins,
  startRegistry,
} from "./registry";
import { requireLocalCloud } from "./requireLocalCloud";
import { stopDns } from "./stackDns";
import { stopAcmeServer } from "./acmeServer";
import { deployingFrom } from "./localDeployAccess";
import { stopBalancers } from "./loadBalancer";
import { removeBalancerCertificates } from "./balancerCertificate";
import { stopUptimeChecks } from "./uptimeChecker";
import { destroyStackNetwork } from "./stackNetwork";

/**
 * The `delete` of every Command that has one, last applied first, as `pulumi destroy` runs them
 * before the droplets go (certbot's gives back its certificate). One that fails is reported and
 * the teardown goes on: the droplet goes anyway.
 */
async function runDeleteCommands(state: LocalState, note: (line: string) => void) {
  const context = { state, note, domain: "", phase: () => undefined };
  const deleteCommand = standInChanges(context, {}, commandRunner(context)).delete[T.command];
  const withDelete = (state.applied ?? []).filter(
    (r) => r.type === T.command && r.inputs.delete !== undefined,
  );
  if (withDelete.length === 0) return;
  // Over SSH from the operator's machine, as `pulumi destroy` runs them: through the way in too.
  await deployingFrom(state, note, async () => {
    for (const command of withDelete.reverse()) {
      // A droplet that is up but will not answer does not hold `down` for the step's own dial
      // budget (a hundred tries of 30 s): a few short tries.
      const connection = {
        ...(command.inputs.connection as object),
        dialErrorLimit: 3,
        perDialTimeout: 10,
      };
      try {
        await deleteCommand({ ...command, inputs: { ...command.inputs, connection } });
      } catch (error) {
        note(
          `  ✗ delete of ${command.name} failed (${(error as Error).message.split("\n")[0]}); going on`,
        );
      }
    }
  });
}

/** Removes the stack; resolves to what it removed (empty when the stack was not up). */
export async function localDown(stack: string, note: (line: string) => void): Promise<string[]> {
  requireLocalCloud(note);
  const state = readState(stack);
  const dir = stackDir(stack);
  if (!state && !existsSync(dir)) return [];
  const removed: string[] = [];
  if (state?.applied) await runDeleteCommands(state, note);
  const dropletsDir = path.join(dir, "droplets");
  const onDisk = existsSync(dropletsDir) ? readdirSync(dropletsDir) : [];
  for (const name of new Set([...(state?.droplets.map((d) => d.name) ?? []), ...onDisk])) {
    const known = state?.droplets.find((d) => d.name === name);
    const index = state?.index ?? 0;
    const machine = dropletMachine(
      stack,
      name,
      known?.machine ?? "",
      known?.netns ?? names(index).droplet(0),
    );
    note(`  powering off droplet ${name}`);
    if (await destroyDroplet(machine)) removed.push(`droplet ${name}`);
  }
  if (state) {
    if (await stopDns(stack, state.index)) removed.push("its DNS server");
    if (await stopAcmeServer(stack, state.index)) removed.push("its ACME server");
    removeBalancerCertificates(stack);
    if (await stopUptimeChecks(stack, state.index)) removed.push("its uptime checker");
    const clusters = state.clusters ?? [];
    if (await stopClusters(stack, clusters)) {
      removed.push(...clusters.map((c) => `database cluster ${c.name}`));
    }
    const balancers = state.balancers ?? [];
    if (
      await stopBalancers(
        stack,
        state.index,
        balancers.map((b) => b.name),
      )
    ) {
      removed.push(...balancers.map((b) => `load balancer ${b.name}`));
    }
    removed.push(...destroyStackNetwork(state.index));
    const others = knownStacks()
      .filter((s) => s !== stack)
      .map((s) => readState(s));
    const push = state.logins.find((l) => l.username === `${stack}-push`);
    // The stack's tags go; an image (digest) goes when no other stack's tag still names it.
    const usedByOthers = (test: (i: { repoDigest: string; tag: string }) => boolean) =>
      others.some((o) => o?.images.some(test));
    for (const image of state.images) {
      if (!usedByOthers((i) => i.tag === image.tag)) {
        if (deleteTag(image.tag)) removed.push(`tag ${image.tag}`);
        try {
          docker(["image", "rm", image.tag]);
        } catch {
          // Already gone from the build engine.
        }
      }
      if (push && !usedByOthers((i) => i.repoDigest === image.repoDigest)) {
        if (await deleteImage(image.repoDigest, push.dockerConfig)) {
          removed.push(`image ${image.repoDigest}`);
        }
      }
    }
    removeRegistryLogins(stack);
  }
  rmSync(dir, { recursive: true, force: true });
  if (knownStacks().length === 0) {
    note("  no stack is left: stopping the shared services (their caches stay)");
    if (await stopDaemon(registryDaemon.pidFile)) {
      // A failed collection only leaves blobs in the cache: the other services must stop anyway.
      try {
        collectGarbage();
      } catch (error) {
        note(`  registry garbage collection failed (its blobs stay): ${(error as Error).message}`);
      }
    }
    await stopDaemon(buildEngineDaemon.pidFile, 20000);
    await stopDaemon(aptProxyDaemon.pidFile);
    removeServicesAddress();
  } else if (state) {
    // The registry reads its logins when it starts.
    await stopDaemon(registryDaemon.pidFile);
    await startRegistry();
  }
  return removed;
}
