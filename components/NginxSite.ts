import * as pulumi from "@pulumi/pulumi";
import { NGINX_SITES_DIR, NginxSiteView, renderNginxSite } from "../templates";
import { Connection, RemoteFile } from "./RemoteFile";

export interface NginxSiteArgs {
  readonly connection: pulumi.Input<Connection>;
  /** What the site renders from: hosts, upstream port, limits. */
  readonly site: NginxSiteView;
}

/** The file name of the site on the droplet (and under `plan --out`). */
export const NGINX_SITE_FILE = "dropstack.conf";

/** The reverse proxy in front of the API: rendered, pushed, `nginx -t`, then reloaded. */
export class NginxSite extends pulumi.ComponentResource {
  /** The rendered site, as it lands on the droplet. */
  public readonly config: string;
  public readonly file: RemoteFile;

  constructor(name: string, args: NginxSiteArgs, opts?: pulumi.ComponentResourceOptions) {
    super("dropstack:proxy:NginxSite", name, {}, opts);
    this.config = renderNginxSite(args.site);
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
      },
      { parent: this },
    );
    this.registerOutputs({ config: this.config });
  }
}
