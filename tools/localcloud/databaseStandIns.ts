/**
 * The stand-ins of DigitalOcean's managed databases: a cluster is a real server on the stack's
 * network (databaseServers.ts), its database firewall the router's rules for its address, a
 * database and a user what the provider's API makes (`CREATE DATABASE`, `CREATE ROLE ... LOGIN`
 * with a generated password, no grants: as DigitalOcean's, the user owns nothing). Each saves the
 * state before it returns. Cluster resizes and version upgrades are recorded, not emulated.
 */
import { randomUUID } from "node:crypto";
import { RESOURCE_TYPES as T } from "../../components/resourceTypes";
import {
  createDatabase,
  createLoginUser,
  DATABASE_PORTS,
  DatabaseEngine,
  newPassword,
  psqlAdmin,
  sqlIdent as ident,
  STAND_IN_VERSIONS,
} from "../shared/databaseServer";
import {
  ClusterState,
  clusterOutputs,
  clusterServer,
  destroyCluster,
  startCluster,
} from "./databaseServers";
import type { Deleter, StandIn, Updater } from "./localMocks";
import { ADDRESSES } from "./localPaths";
import { writeState } from "./localState";
import { reapplyRules } from "./networkStandIns";
import type { StandInContext } from "./standInContext";
import { addClusterNetwork, removeNetns } from "./stackNetwork";

type Rules = { type: string; value: string }[];
const rulesOf = (inputs: Record<string, unknown>): Rules =>
  (Array.isArray(inputs.rules) ? (inputs.rules as Rules) : []).map((r) => ({
    type: String(r.type),
    value: String(r.value),
  }));

export function databaseStandIns(context: StandInContext) {
  const { state } = context;
  const save = () => writeState(state);
  /** The cluster a resource belongs to, if it is still there (a delete finds none). */
  const clusterIfAny = (id: unknown) => (state.clusters ?? []).find((c) => c.id === String(id));
  const clusterOf = (id: unknown) => {
    const cluster = clusterIfAny(id);
    if (!cluster) throw new Error(`no database cluster ${String(id)} in this stack`);
    return cluster;
  };
  const postgresOf = (id: unknown, what: string) => {
    const cluster = clusterOf(id);
    if (cluster.engine !== "pg")
      throw new Error(`a ${what} belongs on a pg cluster; ${cluster.name} is ${cluster.engine}`);
    return cluster;
  };
  const firewall = (cluster: ClusterState, rules: Rules | undefined) => {
    cluster.trusted = rules;
    save();
    reapplyRules(state);
    const who = rules ? rules.map((r) => `${r.type} ${r.value}`).join(", ") || "nothing" : "any";
    context.note(`  database firewall of ${cluster.name}: admits ${who}`);
  };

  const create: Record<string, StandIn> = {
    [T.databaseCluster]: async (inputs, resource) => {
      const started = Date.now();
      const engine = String(inputs.engine) as DatabaseEngine;
      if (!(engine in DATABASE_PORTS))
        throw new Error(`the local cloud has pg and valkey clusters only, not ${engine}`);
      // DigitalOcean refuses a second cluster of a name (a replacement made before the old one
      // goes, too): the stand-in's folder is the name's.
      if ((state.clusters ?? []).some((c) => c.name === String(inputs.name)))
        throw new Error(`a database cluster named ${String(inputs.name)} exists already`);
      state.clustersMade = (state.clustersMade ?? 0) + 1;
      const n = state.clustersMade;
      const cluster: ClusterState = {
        resource: resource.name,
        name: String(inputs.name),
        id: randomUUID(),
        engine,
        n,
        address: ADDRESSES.cluster(n),
        port: DATABASE_PORTS[engine],
        netns: addClusterNetwork(state.index, n),
        adminPassword: newPassword(),
      };
      state.clusters = [...(state.clusters ?? []), cluster];
      save();
      reapplyRules(state);
      context.note(
        `  database cluster ${cluster.name}: ${STAND_IN_VERSIONS[engine]} at ${cluster.address}:${cluster.port} ` +
          `stands in for ${engine} ${String(inputs.version)} (${String(inputs.size)}, ${String(inputs.nodeCount)} node(s))`,
      );
      await startCluster(state.stack, cluster);
      context.phase("database clusters", started);
      return { id: cluster.id, outputs: clusterOutputs(cluster) };
    },
    [T.databaseFirewall]: async (inputs) => {
      const cluster = clusterOf(inputs.clusterId);
      firewall(cluster, rulesOf(inputs));
      return { id: `${cluster.id}-firewall`, outputs: {} };
    },
    [T.databaseDb]: async (inputs) => {
      const cluster = postgresOf(inputs.clusterId, "database");
      createDatabase(clusterServer(state.stack, cluster), String(inputs.name));
      context.note(`  database ${String(inputs.name)} on ${cluster.name}`);
      // The provider's id (database/resource_database_db.go, makeDatabaseDbID).
      return { id: `${cluster.id}/database/${String(inputs.name)}`, outputs: {} };
    },
    [T.databaseUser]: async (inputs) => {
      const cluster = postgresOf(inputs.clusterId, "user");
      const password = createLoginUser(clusterServer(state.stack, cluster), String(inputs.name));
      context.note(`  database user ${String(inputs.name)} on ${cluster.name}`);
      return {
        id: `${cluster.id}/user/${String(inputs.name)}`,
        outputs: { password, role: "normal" },
      };
    },
  };

  const update: Record<string, Updater> = {
    // Resize, node count, major version, tags: DigitalOcean changes them in place; here the
    // server stays as it is and only says so.
    [T.databaseCluster]: async (inputs, _resource, previous) => {
      context.note(
        `  database cluster ${String(inputs.name)}: updated in place (a resize or upgrade is not emulated)`,
      );
      return { id: previous.id, outputs: previous.outputs };
    },
    [T.databaseFirewall]: async (inputs, _resource, previous) => {
      firewall(clusterOf(inputs.clusterId), rulesOf(inputs));
      return { id: previous.id, outputs: previous.outputs };
    },
  };

  const remove: Record<string, Deleter> = {
    [T.databaseCluster]: async (previous) => {
      const cluster = clusterIfAny(previous.id);
      if (!cluster) return;
      state.clusters = state.clusters!.filter((c) => c !== cluster);
      save();
      reapplyRules(state);
      await destroyCluster(state.stack, cluster);
      removeNetns(cluster.netns);
      context.note(`  database cluster ${cluster.name} destroyed`);
    },
    // Without trusted sources a cluster admits any address again, as DigitalOcean's.
    [T.databaseFirewall]: async (previous) => {
      const cluster = clusterIfAny(previous.inputs.clusterId);
      if (cluster) firewall(cluster, undefined);
    },
    [T.databaseDb]: async (previous) => {
      const cluster = clusterIfAny(previous.inputs.clusterId);
      if (!cluster) return;
      psqlAdmin(
        clusterServer(state.stack, cluster),
        `drop database if exists ${ident(String(previous.inputs.name))} with (force)`,
      );
    },
    [T.databaseUser]: async (previous) => {
      const cluster = clusterIfAny(previous.inputs.clusterId);
      if (!cluster) return;
      psqlAdmin(
        clusterServer(state.stack, cluster),
        `drop role if exists ${ident(String(previous.inputs.name))}`,
      );
    },
  };
  return { create, update, delete: remove };
}
