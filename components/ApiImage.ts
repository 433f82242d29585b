import * as digitalocean from "@pulumi/digitalocean";
import * as docker from "@pulumi/docker";
import * as pulumi from "@pulumi/pulumi";
import type { ImageSource } from "../config";
import { RESOURCE_TYPES } from "./resourceTypes";

export const DO_REGISTRY_SERVER = "registry.digitalocean.com";

export interface ApiImageArgs {
  /** A given image reference, or a build context pushed to a DigitalOcean registry. */
  readonly source: ImageSource;
  /** Repository name in the registry. */
  readonly appName: string;
  /** Tag for a built image; the droplets still pull it by digest. */
  readonly release: string;
}

/** Registry user and password from a Docker config JSON such as DigitalOcean hands out. */
export function registryLogin(
  dockerConfigJson: string,
  server: string,
): { username: string; password: string } {
  const auth = JSON.parse(dockerConfigJson)?.auths?.[server]?.auth;
  if (typeof auth !== "string") throw new Error(`registry credentials hold no login for ${server}`);
  const decoded = Buffer.from(auth, "base64").toString("utf8");
  const colon = decoded.indexOf(":");
  return { username: decoded.slice(0, colon), password: decoded.slice(colon + 1) };
}

/**
 * The API's container image. With `app.build`, built and pushed to the DigitalOcean registry and
 * referenced by digest; with `app.image`, used as given. The registry itself is shared and only
 * referenced, never created here.
 */
export class ApiImage extends pulumi.ComponentResource {
  /** What droplets run: `repository@sha256:...` for a build, the given reference otherwise. */
  public readonly imageRef: pulumi.Output<string>;
  /** Read-only Docker config JSON for droplets to pull with (a secret), when a registry is used. */
  public readonly pullCredentials?: pulumi.Output<string>;

  constructor(name: string, args: ApiImageArgs, opts?: pulumi.ComponentResourceOptions) {
    super(RESOURCE_TYPES.apiImage, name, {}, opts);
    const { registry } = args.source;
    // Droplets pull from the registry (built images, or a pinned one from it) read-only.
    if (registry !== undefined) {
      const pull = new digitalocean.ContainerRegistryDockerCredentials(
        `${name}-pull-credentials`,
        { registryName: registry, write: false },
        { parent: this },
      );
      this.pullCredentials = pulumi.secret(pull.dockerCredentials);
    }
    if (args.source.kind === "image") {
      this.imageRef = pulumi.output(args.source.image);
    } else {
      const push = new digitalocean.ContainerRegistryDockerCredentials(
        `${name}-push-credentials`,
        { registryName: args.source.registry, write: true },
        { parent: this },
      );
      const login = push.dockerCredentials.apply((json) => registryLogin(json, DO_REGISTRY_SERVER));
      const image = new docker.Image(
        `${name}-image`,
        {
          imageName: `${DO_REGISTRY_SERVER}/${args.source.registry}/${args.appName}:${args.release}`,
          build: { context: args.source.context, platform: "linux/amd64" },
          registry: {
            server: DO_REGISTRY_SERVER,
            username: login.apply((l) => l.username),
            password: pulumi.secret(login.apply((l) => l.password)),
          },
        },
        { parent: this },
      );
      this.imageRef = image.repoDigest;
    }
    this.registerOutputs({ imageRef: this.imageRef });
  }
}
