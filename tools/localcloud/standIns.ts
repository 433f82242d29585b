/**
 * What stands in for each DigitalOcean resource and each provider call the program makes, by type
 * token: droplets are machines booted from their own user data, reserved IPs and the firewall are
 * the router's rules, DNS records are zones Knot serves, registry logins and images are the local
 * registry's, every remote.Command runs over SSH and every local.Command in the operator's
 * namespace, database clusters are real PostgreSQL and Redis servers on the stack's network. Each
 * saves the state before it returns.
 * What they do when a resource changes or goes is in standInChanges.ts and resourceDeletes.ts.
 */
import * as path from "node:path";
import { RESOURCE_TYPES as T } from "../../components/resourceTypes";
import { userDataHash } from "../../templates";
import { PROJECT_DIR } from "../shared/projectPaths";
import { LOCAL_NODE_IMAGE, docker, dockerAsync } from "./buildEngine";
import { bootDroplet, dropletMachine, REGISTRY_HOST } from "./dropletMachine";
import type { StandIn, StandIns } from "./localMocks";
import { commandRunner } from "./commandStandIn";
import { databaseStandIns } from "./databaseStandIns";
import { makeHostKey } from "./hostKeyStandIn";
import { localCommandStandIns } from "./localCommandStandIn";
import { resourceDeletes } from "./resourceDeletes";
import { standInChanges } from "./standInChanges";
import { ADDRESSES, SHARED_DIR, names } from "./localPaths";
import { writeState } from "./localState";
import { registryCa } from "./registry";
import {
  balancerRefresher,
  balancerUpdate,
  networkStandIns,
  reapplyRules,
} from "./networkStandIns";
import { strings, type StandInContext } from "./standInContext";
import { addDropletNetwork } from "./stackNetwork";

export type { StandInContext } from "./standInContext";

export function standIns(context: StandInContext): StandIns {
  const { state } = context;
  const save = () => writeState(state);
  const refreshBalancers = balancerRefresher(context);
  const runCommand = commandRunner(context);
  const localCommands = localCommandStandIns(context);
  const databases = databaseStandIns(context);
  const create: Record<string, StandIn> = {
    ...networkStandIns(context, refreshBalancers),
    ...databases.create,
    ...localCommands.create,
    [T.tag]: async (inputs) => ({ id: String(inputs.name), outputs: {} }),
    [T.hostKey]: async (inputs, resource) => makeHostKey(inputs, resource.name),

    [T.droplet]: async (inputs, resource) => {
      const started = Date.now();
      if (inputs.image !== "debian-12-x64") {
        throw new Error(
          `the local cloud has the image debian-12-x64 only, not ${String(inputs.image)}`,
        );
      }
      state.dropletsMade = (state.dropletsMade ?? state.droplets.length) + 1;
      const i = state.dropletsMade;
      // Nine digits, as DigitalOcean's: a state tokenizes it, and a short one would match inside text.
      const id = String(430000000 + state.index * 1000 + i);
      const netns = addDropletNetwork(state.index, i);
      const name = String(inputs.name);
      const machine = dropletMachine(state.stack, name, names(state.index).machine(i), netns);
      const address = ADDRESSES.droplet(i);
      state.droplets.push({
        resource: resource.name,
        name,
        id,
        index: i,
        address,
        netns,
        machine: machine.machine,
        tags: strings(inputs.tags),
      });
      save();
      context.note(`  droplet ${name}: booting at ${address} from its user data`);
      const userData = context.userDataOverride ?? String(inputs.userData);
      await bootDroplet({
        ...machine,
        userData,
        // DigitalOcean installs every key the droplet's sshKeys name; the local account holds one.
        authorizedKeys: strings(inputs.sshKeys).map(() => state.publicKey),
        instanceId: id,
        registryCa: registryCa(),
        aptBusySeconds: context.aptBusySeconds,
      });
      reapplyRules(state);
      await refreshBalancers();
      context.phase("droplets created", started);
      return {
        id,
        outputs: {
          ipv4Address: address,
          ipv4AddressPrivate: address,
          status: "active",
          dropletUrn: `do:droplet:${id}`,
          // What it booted with, as the provider keeps it (a SHA-1 of it, in a real stack's state):
          // the program tells a droplet booted with its host key by it.
          userData: userDataHash(userData),
        },
      };
    },

    [T.registryCredentials]: async (inputs, resource) => {
      const kind = inputs.write === true ? "push" : "pull";
      const login = state.logins.find((l) => l.username === `${state.stack}-${kind}`);
      if (!login) throw new Error(`no ${kind} login was made for ${state.stack}`);
      return { id: resource.name, outputs: { dockerCredentials: login.dockerConfig } };
    },

    [T.image]: async (inputs) => {
      const started = Date.now();
      const imageName = String(inputs.imageName);
      const build = (inputs.build ?? {}) as { context?: string };
      const registry = (inputs.registry ?? {}) as {
        server?: string;
        username?: string;
        password?: string;
      };
      const context_ = path.resolve(PROJECT_DIR, build.context ?? ".");
      context.note(
        `  image ${imageName}: docker build ${path.relative(PROJECT_DIR, context_) || "."} (FROM ${LOCAL_NODE_IMAGE})`,
      );
      const built = await dockerAsync([
        "build",
        "--network",
        "host",
        "--build-arg",
        `NODE_IMAGE=${LOCAL_NODE_IMAGE}`,
        "-t",
        imageName,
        context_,
      ]);
      if (built.status !== 0)
        throw new Error(`docker build of ${imageName} failed:\n${built.stderr.slice(-3000)}`);
      const config = ["--config", path.join(SHARED_DIR, "docker", `cli-${state.stack}`)];
      docker(
        [
          ...config,
          "login",
          registry.server ?? REGISTRY_HOST,
          "--username",
          String(registry.username),
          "--password-stdin",
        ],
        String(registry.password),
      );
      const pushed = await dockerAsync([...config, "push", imageName]);
      if (pushed.status !== 0)
        throw new Error(`docker push of ${imageName} failed:\n${pushed.stderr.slice(-3000)}`);
      const repoDigest = docker([
        "image",
        "inspect",
        "--format",
        "{{index .RepoDigests 0}}",
        imageName,
      ]).trim();
      state.images.push({ repoDigest, tag: imageName });
      save();
      context.note(`  image pushed: ${repoDigest}`);
      context.phase("image build and push", started);
      return { id: repoDigest, outputs: { repoDigest, imageName } };
    },

    [T.command]: (inputs, resource) =>
      runCommand(inputs.create, inputs, resource.name, resource.createTimeout),
  };
  const changes = standInChanges(context, create, runCommand);
  return {
    ...changes,
    create,
    update: {
      ...changes.update,
      ...localCommands.update,
      ...databases.update,
      [T.loadBalancer]: balancerUpdate(context, refreshBalancers),
    },
    delete: {
      ...changes.delete,
      ...localCommands.delete,
      ...databases.delete,
      ...resourceDeletes(context, refreshBalancers),
    },
  };
}
