import * as command from "@pulumi/command";
import * as pulumi from "@pulumi/pulumi";
import {
  NGINX_DROPSTACK_DIR,
  NGINX_SITES_DIR,
  NginxSiteView,
  TLS_CUSTOM_CERTIFICATE,
  renderNginxColourModule,
  renderNginxSite,
  renderNginxUpstreams,
  upstreamsDefaultFile,
  upstreamsFile,
  renderTlsPlaceholder,
} from "../templates";
import { Connection, RemoteFile } from "./RemoteFile";
import { RESOURCE_TYPES } from "./resourceTypes";

export interface NginxSiteArgs {
  /** SSH connection to the droplet, as the deploy user. */
  readonly connection: pulumi.Input<Connection>;
  /** What the site renders from: hosts, the app, limits. */
  readonly site: Omit<NginxSiteView, "jsFile" | "customCertificate">;
  /** app.port, for the upstreams a droplet starts with (the site itself names no API port). */
  readonly appPort: number;
  /**
   * With `site.tls`: the stack's own certificate chain and key in one PEM (a secret), installed
   * before the site; absent, a placeholder stands in until certbot's.
   */
  readonly customCertificate?: pulumi.Input<string>;
  /** Steps the site itself waits for (its module, upstreams and certificate come first anyway). */
  readonly after?: pulumi.Resource[];
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
 * placeholder certificate first (see `CertbotCertificate` for the real one), or the stack's own.
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
    // The upstreams the site includes, for app.port as configured: the live file is made from it
    // once; from then on the release script moves each colour's port as it starts that colour, so
    // an app.port edit never points the site at a port nothing listens on yet.
    const live = upstreamsFile(app);
    const upstreams = new RemoteFile(
      `${name}-upstreams`,
      {
        connection: args.connection,
        content: renderNginxUpstreams({ stack: args.site.stack, app, appPort: args.appPort }),
        file: `nginx/${app}-upstreams.default.conf`,
        target: upstreamsDefaultFile(app),
        mode: "0644",
        check: "true",
        apply: `sudo test -f ${live} || sudo cp -p ${upstreamsDefaultFile(app)} ${live}`,
      },
      { parent: this },
    );
    const before: pulumi.Resource[] = [colourModule.installed, upstreams.installed];
    const custom = args.site.tls && args.customCertificate !== undefined;
    if (custom) {
      const certificate = new RemoteFile(
        `${name}-tls-certificate`,
        {
          connection: args.connection,
          content: pulumi.secret(args.customCertificate!),
          file: "tls/custom.pem",
          target: TLS_CUSTOM_CERTIFICATE,
          mode: "0600",
          check: `sudo openssl x509 -noout -in ${TLS_CUSTOM_CERTIFICATE} && sudo openssl pkey -noout -in ${TLS_CUSTOM_CERTIFICATE}`,
          // A renewed certificate takes effect at once; before the site uses it, this changes nothing.
          apply: "sudo nginx -t -q && sudo systemctl reload nginx",
        },
        { parent: this },
      );
      before.push(certificate.installed);
    } else if (args.site.tls) {
      before.push(
        new command.remote.Command(
          `${name}-tls-placeholder`,
          { connection: args.connection, create: renderTlsPlaceholder() },
          { parent: this },
        ),
      );
    }
    this.config = renderNginxSite({ ...args.site, customCertificate: custom, jsFile });
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
        after: [...before, ...(args.after ?? [])],
      },
      { parent: this },
    );
    this.registerOutputs({ config: this.config });
  }
}
