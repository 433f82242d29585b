/**
 * What stands in for each DigitalOcean resource and each provider call the program makes, by type
 * token: droplets are machines booted from their own user data, reserved IPs and the firewall are
 * the router's rules, DNS records are zones Knot serves, registry logins and images are the local
 * registry's, and every remote.Command runs over SSH. Each saves the state before it returns.
 */
import * as path from "node:path";
import { RESOURCE_TYPES as T } from "../../components/resourceTypes";
import { PROJECT_DIR } from "../shared/projectPaths";
import { LOCAL_NODE_IMAGE, docker, dockerAsync } from "./buildEngine";
import {
  bootDroplet,
  cloudInitLogTail,
  dropletExec,
  dropletMachine,
  dropletRunning,
  REGISTRY_HOST,
} from "./dropletMachine";
import type { StandIn } from "./localMocks";
import { ADDRESSES, SHARED_DIR, names, stackDir } from "./localPaths";
import { writeState } from "./localState";
import { registryCa } from "./registry";
import { runRemote } from "./remoteCommand";
import { balancerRefresher, networkStandIns, reapplyRules } from "./networkStandIns";
import { strings, type StandInContext } from "./standInContext";

export type { StandInContext } from "./standInContext";
import { addDropletNetwork } from "./stackNetwork";

/** `"20m"`, `"90s"`, `"1h"` → milliseconds. */
export function parseTimeout(text: string | undefined): number | undefined {
  const match = /^(\d+)(s|m|h)$/.exec(text ?? "");
  if (!match) return undefined;
  return Number(match[1]) * { s: 1000, m: 60000, h: 3600000 }[match[2] as "s" | "m" | "h"];
}

export function standIns(context: StandInContext): Record<string, StandIn> {
  const { state } = context;
  const save = () => writeState(state);
  const refreshBalancers = balancerRefresher(context);
  const dropletFor = (host: string) =>
    state.droplets.find((d) => d.address === host) ??
    state.droplets.find((d) =>
      state.reservedIps.some((ip) => ip.address === host && ip.dropletId === d.id),
    );
  return {
    ...networkStandIns(context, refreshBalancers),
    [T.tag]: async (inputs) => ({ id: String(inputs.name), outputs: {} }),

    [T.droplet]: async (inputs, resource) => {
      const started = Date.now();
      if (inputs.image !== "debian-12-x64") {
        throw new Error(
          `the local cloud has the image debian-12-x64 only, not ${String(inputs.image)}`,
        );
      }
      const i = state.droplets.length + 1;
      const id = String(state.index * 100000 + i);
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
      bootDroplet({
        ...machine,
        userData: context.userDataOverride ?? String(inputs.userData),
        // DigitalOcean installs every key the droplet's sshKeys name; the local account holds one.
        authorizedKeys: strings(inputs.sshKeys).map(() => state.publicKey),
        instanceId: id,
        registryCa: registryCa(),
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

    [T.command]: async (inputs, resource) => {
      const started = Date.now();
      const connection = inputs.connection as { host: string; user?: string };
      const droplet = dropletFor(connection.host);
      const bootstrap = resource.name.endsWith("-bootstrap");
      context.note(`  ${resource.name} on ${droplet?.name ?? connection.host}`);
      const machine =
        droplet && dropletMachine(state.stack, droplet.name, droplet.machine, droplet.netns);
      try {
        const result = await runRemote(
          inputs.connection as never,
          {
            command: String(inputs.create ?? "true"),
            stdin: inputs.stdin === undefined ? undefined : String(inputs.stdin),
            environment: inputs.environment as Record<string, string> | undefined,
            timeoutMs: parseTimeout(resource.createTimeout),
          },
          {
            netns: names(state.index).operator,
            keyDir: path.join(stackDir(state.stack), "keys", "steps"),
            name: resource.name,
            // The local cloud knows when a droplet cannot come up: no use dialing on.
            stillWorthDialing: () => {
              if (!machine) return undefined;
              if (!dropletRunning(machine))
                return `droplet ${machine.name} is not running (console: ${path.join(machine.dir, "console.log")})`;
              const status = dropletExec(machine, ["cloud-init", "status"]).stdout ?? "";
              return /status: error/.test(status)
                ? `the bootstrap of droplet ${machine.name} failed before the deploy user could log in: cloud-init reports error; /var/log/cloud-init-output.log ends:\n${cloudInitLogTail(machine)}`
                : undefined;
            },
          },
        );
        context.phase(bootstrap ? "boot and cloud-init (bootstrap step)" : "remote steps", started);
        return { id: resource.name, outputs: { stdout: result.stdout, stderr: result.stderr } };
      } catch (error) {
        if (bootstrap && machine && !(error as Error).message.includes("cloud-init-output.log")) {
          throw new Error(
            `${(error as Error).message}\ndroplet ${machine.name}: /var/log/cloud-init-output.log ends:\n${cloudInitLogTail(machine)}`,
          );
        }
        throw error;
      }
    },
  };
}
