import * as command from "@pulumi/command";
import * as pulumi from "@pulumi/pulumi";
import {
  SYSTEMD_DIR,
  ReleaseScriptView,
  releaseScript,
  renderReleaseScript,
  renderResumeUnit,
} from "../templates";
import { Connection, RemoteFile } from "./RemoteFile";
import { RESOURCE_TYPES } from "./resourceTypes";

export interface ReleaseArgs {
  /** SSH connection to the droplet, as the deploy user. */
  readonly connection: pulumi.Input<Connection>;
  /** What the release script renders from: the app, its ports, health gate and drain. */
  readonly script: ReleaseScriptView;
  /** The image to make live, by digest where built here. */
  readonly image: pulumi.Input<string>;
  /**
   * Files the release reads (env files, the colours' programs, registry login, the nginx site).
   * The release runs after them, and again whenever one of them changes.
   */
  readonly files: RemoteFile[];
  /**
   * Steps that must be done first: the previous droplet's release, so a fleet rolls one droplet at
   * a time and a failed health gate stops the rollout with the rest still on the old release.
   */
  readonly after?: pulumi.Resource[];
}

/**
 * A blue/green release on one droplet: pushes the release script and a boot-time resume unit,
 * then runs the script whenever the image, the release or any file it reads changes. The script
 * starts the idle colour, waits until it is healthy, switches nginx to it and drains the old one;
 * if the health check fails it leaves everything as it was and `pulumi up` fails with its output.
 */
export class Release extends pulumi.ComponentResource {
  public readonly run: command.remote.Command;

  constructor(name: string, args: ReleaseArgs, opts?: pulumi.ComponentResourceOptions) {
    super(RESOURCE_TYPES.release, name, {}, opts);
    const { app } = args.script;
    const script = new RemoteFile(
      `${name}-script`,
      {
        connection: args.connection,
        content: renderReleaseScript(args.script),
        file: `bin/${app}-release`,
        target: releaseScript(app),
        mode: "0755",
        check: `sh -n ${releaseScript(app)}`,
        apply: "true",
      },
      { parent: this },
    );
    const unit = `dropstack-${app}-resume.service`;
    const resume = new RemoteFile(
      `${name}-resume-unit`,
      {
        connection: args.connection,
        content: renderResumeUnit(app),
        file: `systemd/${unit}`,
        target: `${SYSTEMD_DIR}/${unit}`,
        mode: "0644",
        check: "true",
        apply: `sudo systemctl daemon-reload && sudo systemctl enable ${unit}`,
        after: [script.installed],
      },
      { parent: this },
    );
    const files = [script, resume, ...args.files];
    this.run = new command.remote.Command(
      `${name}-run`,
      {
        connection: args.connection,
        create: pulumi.interpolate`sudo ${releaseScript(app)} '${args.image}'`,
        // Each file's content hash: a changed env file or program re-runs the release.
        triggers: [args.image, ...files.map((file) => file.installed.triggers)],
      },
      {
        parent: this,
        dependsOn: [...files.map((file) => file.installed), ...(args.after ?? [])],
      },
    );
    this.registerOutputs({ stdout: this.run.stdout });
  }
}
