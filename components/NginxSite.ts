import * as command from "@pulumi/command";
import * as pulumi from "@pulumi/pulumi";
import {
  NGINX_DROPSTACK_DIR,
  NGINX_SITES_DIR,
  NginxSiteView,
  renderNginxColourModule,
  renderNginxSite,
  renderTlsPlaceholder,
} from "../templates";
import { Connection, RemoteFile } from "./RemoteFile";
import { RESOURCE_TYPES } from "./resourceTypes";

export interface NginxSiteArgs {
  /** SSH connection to the droplet, as the deploy user. */
  readonly connection: pulumi.Input<Connection>;
  /** What the site renders from: hosts, the app and its port, limits. */
  readonly site: Omit<NginxSiteView, "jsFile">;
}

/** The file name of the site on the droplet (and under `plan --out`). */
export const NGINX_SITE_FILE = "dropstack.conf";

/** Where the njs module that picks the live colour of `app` lives. */
export function colourModuleFile(app: string): string {
  return `${NGINX_DROPSTACK_DIR}/${app}-colour.js`;
}

/**
 * The reverse proxy in front of the API: the njs module that reads the live colour, then the site
 * itself; each pushed, checked with `nginx -t`, then reloaded. A site that serves HTTPS gets a
 * placeholder certificate first (see `CertbotCertificate` for the real one).
 */
export class NginxSite extends pulumi.ComponentResource {
  /** The rendered site, as it lands on the droplet. */
  public readonly config: string;
  public readonly file: RemoteFile;

  constructor(name: string, args: NginxSiteArgs, opts?: pulumi.ComponentResourceOptions) {
    super(RESOURCE_TYPES.nginxSite, name, {}, opts);
    const { app } = args.site;
    const jsFile = colourModuleFile(app);
    const colourModule = new RemoteFile(
      `${name}-colour-module`,
      {
        connection: args.connection,
        content: renderNginxColourModule(app),
        file: `nginx/${app}-colour.js`,
        target: jsFile,
        mode: "0644",
        check: "sudo nginx -t -q",
        apply: "sudo systemctl reload nginx",
      },
      { parent: this },
    );
    const before: pulumi.Resource[] = [colourModule.installed];
    if (args.site.tls) {
      before.push(
        new command.remote.Command(
          `${name}-tls-placeholder`,
          { connection: args.connection, create: renderTlsPlaceholder() },
          { parent: this },
        ),
      );
    }
    this.config = renderNginxSite({ ...args.site, jsFile });
    this.file = new RemoteFile(
      `${name}-site`,
      {
        connection: args.connection,
        content: this.config,
        file: `nginx/${NGINX_SITE_FILE}`,
        target: `${NGINX_SITES_DIR}/${NGINX_SITE_FILE}`,
        mode: "0644",
        check: "sudo nginx -t -q",
        apply: "sudo systemctl reload nginx",
        after: before,
      },
      { parent: this },
    );
    this.registerOutputs({ config: this.config });
  }
}
