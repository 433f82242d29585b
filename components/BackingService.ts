import * as digitalocean from "@pulumi/digitalocean";
import * as pulumi from "@pulumi/pulumi";
import type { Service } from "../config";
import { REVIEW_BASE_STACK, REVIEW_TAG } from "../config/review";
import { SERVICE_ENGINES, clusterNameOf } from "../config/rules";
import { RESOURCE_TYPES } from "./resourceTypes";
import type { SchemaGrantTarget } from "./SchemaGrant";

export interface BackingServiceArgs {
  /** The stack's name: a created cluster is `<stack>-<service>`. */
  readonly stack: string;
  /** What to create or attach to, from `services.<name>`. */
  readonly service: Service;
  /** The stack's region: the cluster's, so droplets reach it over the region's private network. */
  readonly region: string;
  /** The app's name: its database and user on a cluster of its own. */
  readonly appName: string;
  /**
   * The droplet tags the cluster's firewall admits: the stack's first (the cluster carries it
   * too), then review droplets' on a review base.
   */
  readonly clientTags: pulumi.Input<string>[];
  /** Production: `pulumi up` refuses to delete the cluster, its firewall, database or user. */
  readonly protect: boolean;
}

/** The name of the database and user a stack gets: the app's, or with the stack's on a shared cluster. */
export const databaseNameOf = (appName: string, stack: string, shared: boolean) =>
  shared ? `${appName}_${stack}`.replace(/-/g, "_") : appName.replace(/-/g, "_");

/** The API's PostgreSQL URL: TLS required, every part that may hold `@ : / %` encoded. */
export function postgresUrl(p: {
  user: string;
  password: string;
  host: string;
  port: number;
  database: string;
}): string {
  const e = encodeURIComponent;
  return `postgresql://${e(p.user)}:${e(p.password)}@${p.host}:${p.port}/${e(p.database)}?sslmode=require`;
}

/** What the program reads of a cluster, created or looked up. */
interface ClusterView {
  readonly id: pulumi.Output<string>;
  readonly privateHost: pulumi.Output<string>;
  readonly port: pulumi.Output<number>;
  readonly privateUri: pulumi.Output<string>;
  /** The cluster's admin (doadmin) and password: what the schema grant connects as. */
  readonly user: pulumi.Output<string>;
  readonly password: pulumi.Output<string>;
}

/**
 * A backing service the API reaches over the region's private network: a DigitalOcean managed
 * database cluster with a firewall admitting only the stack's droplets (or, with `cluster`, an
 * existing cluster looked up by name), and on PostgreSQL a database and user of the app's own.
 * `url` is the connection string, a secret, for the API's secret env file.
 */
export class BackingService extends pulumi.ComponentResource {
  /** `postgresql://…?sslmode=require` or `rediss://…`: a secret. */
  public readonly url: pulumi.Output<string>;
  /** PostgreSQL: what the first droplet grants its user (components/SchemaGrant.ts). */
  public readonly grant?: SchemaGrantTarget;

  constructor(name: string, args: BackingServiceArgs, opts?: pulumi.ComponentResourceOptions) {
    super(RESOURCE_TYPES.backingService, name, {}, opts);
    // protect on a cluster it attaches to too: deleting the database drops the stack's data.
    const { service, protect } = args;
    const cluster =
      service.cluster === undefined ? this.cluster(name, args) : this.lookUp(service.cluster);
    if (service.engine === "redis-compatible") {
      // DigitalOcean's Valkey has one user, its admin (the API's user management is not offered
      // for it): the API gets the cluster's own private URI, rediss:// (TLS).
      this.url = pulumi.secret(cluster.privateUri);
    } else {
      const dbName = databaseNameOf(args.appName, args.stack, service.cluster !== undefined);
      const user = new digitalocean.DatabaseUser(
        `${name}-user`,
        { clusterId: cluster.id, name: dbName },
        { parent: this, protect },
      );
      // After the user, so deleted before it: the user's tables and its grant live in the
      // database, and PostgreSQL refuses to drop a role that still owns or holds anything.
      const database = new digitalocean.DatabaseDb(
        `${name}-database`,
        { clusterId: cluster.id, name: dbName },
        { parent: this, protect, dependsOn: [user] },
      );
      this.grant = {
        host: cluster.privateHost,
        port: cluster.port,
        adminUser: cluster.user,
        adminPassword: pulumi.secret(cluster.password),
        database: database.name,
        user: user.name,
      };
      this.url = pulumi.secret(
        pulumi
          .all([user.name, user.password, cluster.privateHost, cluster.port, database.name])
          .apply(([user, password, host, port, database]) =>
            postgresUrl({ user, password, host, port, database }),
          ),
      );
    }
    this.registerOutputs({ url: this.url });
  }

  /** A cluster of the stack's own, in its region, closed to all but the client tags. */
  private cluster(name: string, args: BackingServiceArgs): ClusterView {
    const create = args.service.create!;
    // Its own name: the plan's tools know a resource by name, and the component has this one.
    const cluster = new digitalocean.DatabaseCluster(
      `${name}-cluster`,
      {
        name: clusterNameOf(args.stack, args.service.name),
        engine: SERVICE_ENGINES[args.service.engine],
        version: create.version,
        size: create.size,
        nodeCount: create.nodes,
        region: args.region,
        tags: [args.clientTags[0]],
      },
      { parent: this, protect: args.protect },
    );
    // Without trusted sources a managed database accepts any address that knows its password.
    new digitalocean.DatabaseFirewall(
      `${name}-firewall`,
      {
        clusterId: cluster.id,
        rules: args.clientTags.map((value) => ({ type: "tag", value })),
      },
      { parent: this, protect: args.protect },
    );
    return cluster;
  }

  /** An existing cluster (a review stack's base's): referenced, never created or deleted. */
  private lookUp(clusterName: string): ClusterView {
    const found = digitalocean.getDatabaseClusterOutput({ name: clusterName }, { parent: this });
    return {
      id: found.id,
      privateHost: found.privateHost,
      port: found.port,
      privateUri: pulumi.secret(found.privateUri),
      user: found.user,
      password: pulumi.secret(found.password),
    };
  }
}

/** What the stack's services give the rest of it. */
export interface BackingServices {
  /** Each connection string under its variable, for the API's secret env file. */
  readonly env: Record<string, pulumi.Output<string>>;
  /** What the first droplet grants on each PostgreSQL service (components/SchemaGrant.ts). */
  readonly grants: { service: string; target: SchemaGrantTarget }[];
}

/**
 * The stack's backing services, children of `parent`. The review base's clusters also admit
 * review droplets, which get a database of their own on them (config/review.ts).
 */
export function backingServices(
  parent: pulumi.Resource,
  name: string,
  args: Omit<BackingServiceArgs, "service" | "clientTags"> & {
    readonly services: readonly Service[];
    /** The stack's droplet tag: the one every cluster's firewall admits. */
    readonly tag: digitalocean.Tag;
  },
): BackingServices {
  const clientTags: pulumi.Input<string>[] = [args.tag.name];
  if (args.stack === REVIEW_BASE_STACK && args.services.some((s) => !s.cluster)) {
    // The firewall's rule may only name a tag that exists, before any review droplet has it.
    // Kept when staging goes (retainOnDelete): deleting a tag untags every review droplet.
    const reviewTag = new digitalocean.Tag(
      `${name}-review-tag`,
      { name: REVIEW_TAG },
      { parent, retainOnDelete: true },
    );
    clientTags.push(reviewTag.name);
  }
  const backings = args.services.map((service) => ({
    service,
    backing: new BackingService(
      `${name}-${service.name}`,
      {
        stack: args.stack,
        service,
        region: args.region,
        appName: args.appName,
        clientTags,
        protect: args.protect,
      },
      { parent },
    ),
  }));
  return {
    env: Object.fromEntries(backings.map((b) => [b.service.envName, b.backing.url])),
    grants: backings.flatMap(({ service, backing }) =>
      backing.grant ? [{ service: service.name, target: backing.grant }] : [],
    ),
  };
}
