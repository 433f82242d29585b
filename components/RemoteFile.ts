import { createHash } from "node:crypto";
import * as command from "@pulumi/command";
import * as pulumi from "@pulumi/pulumi";
import { STAGING_DIR, renderInstallFile } from "../templates";

export type Connection = command.types.input.remote.ConnectionArgs;

export interface RemoteFileArgs {
  /** SSH connection to the droplet, as the deploy user. */
  readonly connection: pulumi.Input<Connection>;
  /** The file's text; a secret stays a secret in state and in the plan. */
  readonly content: pulumi.Input<string>;
  /** `<kind>.<file>` under the staging directory, e.g. `nginx.dropstack.conf`. */
  readonly stagedName: string;
  /** Absolute path where the file is installed. */
  readonly target: string;
  /** Octal mode of the installed file. */
  readonly mode: string;
  /** Must succeed with the new file in place, or the previous file is restored. */
  readonly check: string;
  /** Puts the checked file into effect. */
  readonly apply: string;
}

/**
 * One file on a droplet: copied to the staging directory, installed by root, checked, applied.
 * Both steps are replaced, and so re-run, only when the content's hash changes.
 */
export class RemoteFile extends pulumi.ComponentResource {
  /** Finishes once the file is installed and applied. */
  public readonly installed: command.remote.Command;

  constructor(name: string, args: RemoteFileArgs, opts?: pulumi.ComponentResourceOptions) {
    super("dropstack:remote:RemoteFile", name, {}, opts);
    const hash = pulumi.output(args.content).apply(contentHash);
    const staged = `${STAGING_DIR}/${args.stagedName}`;
    const copy = new command.remote.CopyToRemote(
      `${name}-copy`,
      {
        connection: args.connection,
        source: pulumi.output(args.content).apply((text) => new pulumi.asset.StringAsset(text)),
        remotePath: staged,
        triggers: [hash],
      },
      { parent: this },
    );
    this.installed = new command.remote.Command(
      `${name}-install`,
      {
        connection: args.connection,
        create: renderInstallFile({
          staged,
          target: args.target,
          mode: args.mode,
          check: args.check,
          apply: args.apply,
        }),
        triggers: [hash],
      },
      { parent: this, dependsOn: [copy] },
    );
    this.registerOutputs({ installed: this.installed.stdout });
  }
}

export function contentHash(text: string): string {
  return createHash("sha256").update(text).digest("hex");
}
