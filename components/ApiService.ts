import * as pulumi from "@pulumi/pulumi";
import { CONFIG_DIR, DOCKER_CONFIG, renderDockerRun, renderEnvFile } from "../templates";
import { Connection, RemoteFile } from "./RemoteFile";
import { SupervisorProgram } from "./SupervisorProgram";

export interface ApiServiceArgs {
  readonly connection: pulumi.Input<Connection>;
  readonly stack: string;
  /** Program and container name. */
  readonly appName: string;
  /** Port the API listens on, published on 127.0.0.1 only. */
  readonly port: number;
  readonly release: string;
  readonly env: Record<string, string>;
  /** Keep the plain env file secret too (it may hold a value set with --secret). */
  readonly envIsSecret?: boolean;
  /** Secret variables, kept in their own 0600 file so the plain one stays reviewable. */
  readonly secretEnv: Record<string, pulumi.Output<string>>;
  /** Image reference, by digest when built here. */
  readonly image: pulumi.Input<string>;
  /** Docker config JSON for a private registry (a secret), if one is needed. */
  readonly registryCredentials?: pulumi.Input<string>;
}

/** The variables dropstack sets for the API, after the user's own. */
export function apiEnvironment(
  args: Pick<ApiServiceArgs, "env" | "port" | "release">,
): Record<string, string> {
  return { ...args.env, PORT: String(args.port), RELEASE: args.release };
}

/**
 * The API as a supervisor program running its container in the foreground. Its env files are
 * installed first; a changed env file restarts the program if it already exists.
 */
export class ApiService extends pulumi.ComponentResource {
  public readonly program: SupervisorProgram;

  constructor(name: string, args: ApiServiceArgs, opts?: pulumi.ComponentResourceOptions) {
    super("dropstack:app:ApiService", name, {}, opts);
    const app = args.appName;
    const restartIfRunning = `if sudo supervisorctl avail | grep -q '^${app} '; then sudo supervisorctl restart ${app}; fi`;
    const envFile = (role: string, fileName: string, content: pulumi.Input<string>) =>
      new RemoteFile(
        `${name}-${role}`,
        {
          connection: args.connection,
          content,
          file: `env/${fileName}`,
          target: `${CONFIG_DIR}/${fileName}`,
          mode: "0600",
          check: "true",
          apply: restartIfRunning,
        },
        { parent: this },
      );
    const envText = renderEnvFile(apiEnvironment(args));
    const files = [
      envFile("env", `${app}.env`, args.envIsSecret ? pulumi.secret(envText) : envText),
    ];
    const envFiles = [`${CONFIG_DIR}/${app}.env`];
    const secretNames = Object.keys(args.secretEnv);
    if (secretNames.length > 0) {
      const secretContent = pulumi.secret(pulumi.all(args.secretEnv).apply(renderEnvFile));
      files.push(envFile("secret-env", `${app}.secret.env`, secretContent));
      envFiles.push(`${CONFIG_DIR}/${app}.secret.env`);
    }
    if (args.registryCredentials !== undefined) {
      files.push(
        new RemoteFile(
          `${name}-registry-login`,
          {
            connection: args.connection,
            content: pulumi.secret(args.registryCredentials),
            file: "docker/config.json",
            target: DOCKER_CONFIG,
            mode: "0600",
            check: "true",
            apply: "true",
          },
          { parent: this },
        ),
      );
    }
    this.program = new SupervisorProgram(
      `${name}-program`,
      {
        connection: args.connection,
        program: { stack: args.stack, name: app, environment: { HOME: "/root" } },
        // Through the installs' output, the program's own steps wait for every file it reads.
        command: pulumi
          .all([args.image, ...files.map((file) => file.installed.stdout)])
          .apply(([image]) => renderDockerRun({ name: app, port: args.port, envFiles, image })),
      },
      { parent: this },
    );
    this.registerOutputs({});
  }
}
