import { createHash } from "node:crypto";
import * as command from "@pulumi/command";
import * as pulumi from "@pulumi/pulumi";
import { renderInstallFile, renderRemoveGuard } from "../templates";
import { RESOURCE_TYPES } from "./resourceTypes";

export type Connection = command.types.input.remote.ConnectionArgs;

export interface RemoteFileArgs {
  /** SSH connection to the droplet, as the deploy user. */
  readonly connection: pulumi.Input<Connection>;
  /** The file's text; a secret stays a secret in state and in the plan. */
  readonly content: pulumi.Input<string>;
  /** `<kind>/<file>`, e.g. `nginx/dropstack.conf`: how the plan and the staging area name it. */
  readonly file: string;
  /** Absolute path where the file is installed. */
  readonly target: string;
  /** Octal mode of the installed file. */
  readonly mode: string;
  /** Must succeed with the new file in place, or the previous file is restored. */
  readonly check: string;
  /** Puts the checked file into effect. */
  readonly apply: string;
  /** Steps that must be done first (a component's dependsOn does not reach its children). */
  readonly after?: pulumi.Input<pulumi.Resource>[];
  /**
   * Run when the file leaves the program (not when a changed file replaces it): most files stay,
   * harmless, until their droplet goes.
   */
  readonly remove?: string;
}

/**
 * One file on a droplet, sent on stdin of one SSH command that installs it as root, checks it and
 * applies it. stdin may be unknown at preview and may be secret, and every run rewrites the file,
 * so a replaced droplet or a retried failure gets it again. Re-run when the content hash changes.
 */
export class RemoteFile extends pulumi.ComponentResource {
  /** Finishes once the file is installed and applied. */
  public readonly installed: command.remote.Command;

  constructor(name: string, args: RemoteFileArgs, opts?: pulumi.ComponentResourceOptions) {
    super(RESOURCE_TYPES.remoteFile, name, {}, opts);
    const hash = pulumi.output(args.content).apply(contentHash);
    const remove = args.remove;
    this.installed = new command.remote.Command(
      `${name}-install`,
      {
        connection: args.connection,
        create: renderInstallFile({
          file: args.file,
          target: args.target,
          mode: args.mode,
          check: args.check,
          apply: args.apply,
        }),
        stdin: args.content,
        ...(remove !== undefined && {
          delete: hash.apply((h) => renderRemoveGuard(args.target, h) + remove),
        }),
        triggers: [hash],
      },
      { parent: this, dependsOn: args.after },
    );
    this.registerOutputs({ installed: this.installed.stdout });
  }
}

export function contentHash(text: string): string {
  return createHash("sha256").update(text).digest("hex");
}
