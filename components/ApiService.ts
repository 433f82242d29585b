import * as pulumi from "@pulumi/pulumi";
import type { ContainerLimits } from "../config/containerLimits";
import {
  COLOURS,
  CONFIG_DIR,
  DOCKER_CONFIG,
  colourPort,
  renderDockerRun,
  renderEnvFile,
} from "../templates";
import { Release } from "./Release";
import { Connection, RemoteFile } from "./RemoteFile";
import { SupervisorProgram } from "./SupervisorProgram";
import { RESOURCE_TYPES } from "./resourceTypes";

export interface ApiServiceArgs {
  /** SSH connection to the droplet, as the deploy user (resolves once the bootstrap is done). */
  readonly connection: pulumi.Input<Connection>;
  /** The stack's name, written into the rendered files' headers. */
  readonly stack: string;
  /** Container and program name; the colours are `<app>-blue` and `<app>-green`. */
  readonly appName: string;
  /** Blue listens on this port and green on the next, both on 127.0.0.1 only. */
  readonly port: number;
  /** The release label, given to the API as RELEASE. */
  readonly release: string;
  /** Asked on the idle colour before a switch; it must answer 200. */
  readonly healthPath: string;
  /** How long the idle colour has to become healthy before the release fails. */
  readonly healthTimeoutSeconds: number;
  /** Seconds the old colour keeps serving in-flight requests after the switch. */
  readonly drainSeconds: number;
  /** Plain environment variables for the API (`app.env`). */
  readonly env: Record<string, string>;
  /** Keep the plain env file secret too (it may hold a value set with --secret). */
  readonly envIsSecret?: boolean;
  /** Secret variables, kept in their own 0600 file so the plain one stays reviewable. */
  readonly secretEnv: Record<string, pulumi.Output<string>>;
  /** Image reference, by digest when built here. */
  readonly image: pulumi.Input<string>;
  /** Docker config JSON for a private registry (a secret), if one is needed. */
  readonly registryCredentials?: pulumi.Input<string>;
  /** The nginx site's files: a release waits for them and runs again when one changes. */
  readonly siteFiles: RemoteFile[];
  /** Steps that must be done first: the previous droplet's release, in a fleet (see `Release`). */
  readonly after?: pulumi.Resource[];
  /** `app.migrate`, given to the fleet's first droplet only: it runs once per release. */
  readonly migrate?: { readonly command: string; readonly timeoutSeconds: number };
  /** The processes this droplet runs beside the API (`app.processes`). */
  readonly processes: readonly { readonly name: string; readonly command: string }[];
  /** What every container of the API runs under (`app.container`, from the droplet's size). */
  readonly limits: ContainerLimits;
}

/** The release's variables, after the user's own; each colour's file adds its own PORT. */
export function apiEnvironment(app: { env: Record<string, string>; release: string }) {
  return { ...app.env, RELEASE: app.release };
}

/**
 * The API as two supervisor programs, blue and green, each running its container in the
 * foreground, and the Release that moves traffic between them. Pushed files carry no PORT and no
 * image: the release script writes those per colour, so a release never edits a program.
 */
export class ApiService extends pulumi.ComponentResource {
  public readonly release: Release;

  constructor(name: string, args: ApiServiceArgs, opts?: pulumi.ComponentResourceOptions) {
    super(RESOURCE_TYPES.apiService, name, {}, opts);
    const app = args.appName;
    const file = (role: string, path: string, target: string, content: pulumi.Input<string>) =>
      new RemoteFile(
        `${name}-${role}`,
        {
          connection: args.connection,
          content,
          file: path,
          target,
          mode: "0600",
          check: "true",
          apply: "true",
        },
        { parent: this },
      );
    const envText = renderEnvFile(apiEnvironment(args));
    const files = [
      file(
        "env",
        `env/${app}.env`,
        `${CONFIG_DIR}/${app}.env`,
        args.envIsSecret ? pulumi.secret(envText) : envText,
      ),
    ];
    // Pushed even when empty, so removing the last secret removes it from the droplet too.
    const secretText = pulumi.secret(pulumi.all(args.secretEnv).apply(renderEnvFile));
    files.push(
      file("secret-env", `env/${app}.secret.env`, `${CONFIG_DIR}/${app}.secret.env`, secretText),
    );
    if (args.registryCredentials !== undefined) {
      files.push(
        file(
          "registry-login",
          "docker/config.json",
          DOCKER_CONFIG,
          pulumi.secret(args.registryCredentials),
        ),
      );
    }
    // A colour, or a process: its container in the foreground, reading the files a release writes
    // (so a release never edits the program itself).
    const container = (
      resource: string,
      program: string,
      run: { port?: number; commandFile?: string; startSeconds: number; removable?: boolean },
    ) =>
      new SupervisorProgram(
        resource,
        {
          connection: args.connection,
          program: {
            stack: args.stack,
            name: program,
            environment: { HOME: "/root" },
            autostart: false,
            startSeconds: run.startSeconds,
          },
          command: renderDockerRun({
            name: program,
            port: run.port,
            envFiles: [`${CONFIG_DIR}/${program}.env`, `${CONFIG_DIR}/${program}.secret.env`],
            imageFile: `${CONFIG_DIR}/${program}.image`,
            commandFile: run.commandFile,
            flagsFile: `${CONFIG_DIR}/${program}.flags`,
          }),
          appliedBy: "release",
          removable: run.removable,
        },
        { parent: this },
      );
    // The release script runs its own health gate: supervisord need only see a colour start.
    const programs = COLOURS.map((colour) =>
      container(`${name}-${colour}`, `${app}-${colour}`, {
        port: colourPort(args.port, colour),
        startSeconds: 1,
      }),
    );
    const processes = args.processes.map(({ name: process }) =>
      container(`${name}-process-${process}`, `${app}-${process}`, {
        commandFile: `${CONFIG_DIR}/${app}-${process}.command`,
        startSeconds: 3,
        removable: true,
      }),
    );
    this.release = new Release(
      `${name}-release`,
      {
        connection: args.connection,
        script: {
          stack: args.stack,
          app,
          appPort: args.port,
          healthPath: args.healthPath,
          healthTimeoutSeconds: args.healthTimeoutSeconds,
          drainSeconds: args.drainSeconds,
          migrate: args.migrate,
          processes: args.processes,
          limits: args.limits,
        },
        image: args.image,
        files: [
          ...files,
          ...[...programs, ...processes].map((program) => program.file),
          ...args.siteFiles,
        ],
        after: args.after,
      },
      { parent: this },
    );
    this.registerOutputs({ release: this.release.run.stdout });
  }
}
