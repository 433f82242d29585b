import * as command from "@pulumi/command";
import * as pulumi from "@pulumi/pulumi";
import { renderSchemaGrant } from "../templates";
import type { Connection } from "./RemoteFile";
import { RESOURCE_TYPES } from "./resourceTypes";

/** What the grant connects with (the cluster's admin) and whom it lets create. */
export interface SchemaGrantTarget {
  readonly host: pulumi.Input<string>;
  readonly port: pulumi.Input<number>;
  /** The cluster's admin user and password: a secret. */
  readonly adminUser: pulumi.Input<string>;
  readonly adminPassword: pulumi.Input<string>;
  readonly database: pulumi.Input<string>;
  readonly user: pulumi.Input<string>;
}

export interface SchemaGrantArgs {
  /** SSH connection to the first droplet (the database firewall admits droplets only). */
  readonly connection: pulumi.Input<Connection>;
  /** The database, its user, and the cluster's admin who grants. */
  readonly target: SchemaGrantTarget;
  /** The droplet's bootstrap upgrade: it installs the apt-get wrapper the grant may use. */
  readonly after: pulumi.Resource[];
}

/**
 * `GRANT USAGE, CREATE ON SCHEMA public` to the app's user on its database, run once from the
 * first droplet over SSH before its first release migrates: PostgreSQL 15 and later let only the
 * database's owner create there, and DigitalOcean's API makes the database doadmin's. The admin's
 * credentials go on stdin, a secret. Run again when the database or the user is a new one
 * (pulumi-command replaces a Command whose triggers change: remote/command.js, replaceOnChanges
 * ["triggers[*]"]); nothing to undo on delete: the grant goes with the user or the database.
 */
export class SchemaGrant extends pulumi.ComponentResource {
  public readonly granted: command.remote.Command;

  constructor(name: string, args: SchemaGrantArgs, opts?: pulumi.ComponentResourceOptions) {
    super(RESOURCE_TYPES.schemaGrant, name, {}, opts);
    const t = args.target;
    this.granted = new command.remote.Command(
      `${name}-run`,
      {
        connection: args.connection,
        create: renderSchemaGrant(),
        stdin: pulumi.secret(
          pulumi.interpolate`${t.host}\n${t.port}\n${t.adminUser}\n${t.adminPassword}\n${t.database}\n${t.user}\n`,
        ),
        triggers: [t.database, t.user],
      },
      { parent: this, dependsOn: args.after },
    );
    this.registerOutputs({ granted: this.granted.stdout });
  }
}
