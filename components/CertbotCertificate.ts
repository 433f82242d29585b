import * as command from "@pulumi/command";
import * as pulumi from "@pulumi/pulumi";
import {
  TLS_CERTIFICATE,
  TLS_CERTIFICATE_KEY,
  TLS_CERT_NAME,
  TLS_DEPLOY_HOOK,
  renderCertbot,
  renderTlsDeployHook,
  renderTlsPlaceholder,
} from "../templates";
import { Connection, RemoteFile } from "./RemoteFile";
import { RESOURCE_TYPES } from "./resourceTypes";

export interface CertbotCertificateArgs {
  /** SSH connection to the droplet, as the deploy user. */
  readonly connection: pulumi.Input<Connection>;
  /** Every FQDN the certificate covers; a change re-issues it under the same name. */
  readonly domains: string[];
  /** Let's Encrypt account address. */
  readonly email: string;
  /**
   * The ACME directory URL; absent, certbot's default (Let's Encrypt's production), so stacks that
   * never set `proxy.tls.server` keep the very command they ran before.
   */
  readonly acmeServer?: string;
  /**
   * Steps that must be done first: the DNS records and the address assignment (Let's Encrypt fetches the
   * challenge from the host names), and the nginx site that serves the challenge path.
   */
  readonly after: pulumi.Resource[];
}

/**
 * A Let's Encrypt certificate on a single droplet, by certbot's webroot method (certbot is installed
 * on first use). certbot's own timer
 * renews it; the deploy hook links it for nginx and reloads nginx after every issue and renewal.
 * Removing the component (for instance on moving behind a load balancer) deletes the certificate,
 * so no renewal keeps failing on a droplet that no longer answers the challenge.
 */
export class CertbotCertificate extends pulumi.ComponentResource {
  public readonly obtained: command.remote.Command;

  constructor(name: string, args: CertbotCertificateArgs, opts?: pulumi.ComponentResourceOptions) {
    super(RESOURCE_TYPES.certbot, name, {}, opts);
    const hook = new RemoteFile(
      `${name}-deploy-hook`,
      {
        connection: args.connection,
        content: renderTlsDeployHook(),
        file: "tls/deploy-hook",
        target: TLS_DEPLOY_HOOK,
        mode: "0755",
        check: `sh -n ${TLS_DEPLOY_HOOK}`,
        apply: "true",
      },
      { parent: this },
    );
    // Any input change (the hosts, the email, a replaced droplet) re-runs it; nothing else does.
    this.obtained = new command.remote.Command(
      `${name}-certbot`,
      {
        connection: args.connection,
        create: renderCertbot({
          domains: args.domains,
          email: args.email,
          server: args.acmeServer,
        }),
        // nginx's links to it give way to a placeholder: a site behind the balancer still serves
        // HTTPS (for clients that held the droplet's address through the move) and passes nginx -t.
        delete:
          `sudo certbot delete --non-interactive --cert-name ${TLS_CERT_NAME} || true\n` +
          `sudo rm -f ${TLS_CERTIFICATE} ${TLS_CERTIFICATE_KEY}\n` +
          renderTlsPlaceholder(),
      },
      {
        parent: this,
        dependsOn: [...args.after, hook.installed],
        customTimeouts: { create: "10m" },
      },
    );
    this.registerOutputs({ obtained: this.obtained.stdout });
  }
}
