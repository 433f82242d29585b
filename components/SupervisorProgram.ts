import * as pulumi from "@pulumi/pulumi";
import {
  SUPERVISOR_DIR,
  SupervisorProgramView,
  renderProcessRemove,
  renderSupervisorProgram,
} from "../templates";
import { Connection, RemoteFile } from "./RemoteFile";
import { RESOURCE_TYPES } from "./resourceTypes";

export interface SupervisorProgramArgs {
  /** SSH connection to the droplet, as the deploy user. */
  readonly connection: pulumi.Input<Connection>;
  /** What the `[program:...]` section renders from, less the command. */
  readonly program: Omit<SupervisorProgramView, "command">;
  /** The command, which may come from other resources (an image digest). */
  readonly command: pulumi.Input<string>;
  /**
   * "release": the release script applies the program (`supervisorctl update`) only while it is
   * idle, because `update` stops a changed program and an autostart=false one stays stopped.
   */
  readonly appliedBy?: "supervisor" | "release";
  /** Stops and removes the program when it leaves the program (a process of `app.processes`). */
  readonly removable?: boolean;
}

/**
 * A supervisord program: rendered, pushed, `supervisorctl reread` as the check (a bad file is
 * rolled back), then `supervisorctl update <name>`, which (re)starts it only if it changed.
 */
export class SupervisorProgram extends pulumi.ComponentResource {
  /** The rendered `[program:...]` section, as it lands on the droplet. */
  public readonly config: pulumi.Output<string>;
  public readonly file: RemoteFile;

  constructor(name: string, args: SupervisorProgramArgs, opts?: pulumi.ComponentResourceOptions) {
    super(RESOURCE_TYPES.supervisorProgram, name, {}, opts);
    const programName = args.program.name;
    this.config = pulumi
      .output(args.command)
      .apply((command) => renderSupervisorProgram({ ...args.program, command }));
    this.file = new RemoteFile(
      `${name}-conf`,
      {
        connection: args.connection,
        content: this.config,
        file: `supervisor/${programName}.conf`,
        target: `${SUPERVISOR_DIR}/${programName}.conf`,
        mode: "0644",
        check: "sudo supervisorctl reread",
        apply: args.appliedBy === "release" ? "true" : `sudo supervisorctl update ${programName}`,
        ...(args.removable && { remove: renderProcessRemove(programName) }),
      },
      { parent: this },
    );
    this.registerOutputs({ config: this.config });
  }
}
