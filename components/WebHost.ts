import * as command from "@pulumi/command";
import * as digitalocean from "@pulumi/digitalocean";
import * as pulumi from "@pulumi/pulumi";
import * as tls from "@pulumi/tls";
import {
  BOOTSTRAP_VERSION,
  bootedWithHostKey,
  DEPLOY_USER,
  renderBootstrapUpgrade,
  renderCloudInit,
  renderHostKeyInstall,
  renderLeaveRotation,
  renderRejoinRotation,
  renderWaitForBootstrap,
  renderWaitForSsh,
} from "../templates";
import { Connection } from "./RemoteFile";
import { RESOURCE_TYPES } from "./resourceTypes";

/** How long a new droplet has to answer on port 22: a booting droplet's sshd answers well within it. */
const SSH_ANSWER_SECONDS = 300;
/** A host for a connection that is never dialed (RFC 6761: `.invalid` never resolves). */
const UNDIALED_HOST = "no-droplet-yet.invalid";

export interface WebHostArgs {
  /** The droplet's name in DigitalOcean, e.g. `staging-web-1`. */
  readonly dropletName: string;
  /** DigitalOcean region slug, e.g. `fra1`. */
  readonly region: pulumi.Input<string>;
  /** Droplet size slug, e.g. `s-1vcpu-1gb`. */
  readonly size: pulumi.Input<string>;
  /** Droplet image slug, e.g. `debian-12-x64`. */
  readonly image: pulumi.Input<string>;
  /** SSH key fingerprints or ids; changing them replaces the droplet. */
  readonly sshKeys: pulumi.Input<string>[];
  /** DigitalOcean's weekly backups. */
  readonly backups: boolean;
  /** DigitalOcean's metrics agent (the CPU, memory and disk alerts need it). */
  readonly monitoring: boolean;
  /** DigitalOcean tags; the firewall targets the environment tag among them. */
  readonly tags: pulumi.Input<string>[];
  /** Pulumi `protect` on the droplet and its reserved IP. */
  readonly protect: boolean;
  /**
   * A reserved IP in front of the droplet: an address that outlives the droplet's replacement (the
   * records never move) and is there when the stack scales 1 → N → 1. Only the first droplet of a
   * stack that asks for one takes it: DigitalOcean allows an account three by default.
   */
  readonly reservedIp: boolean;
  /** Private key matching one of `sshKeys`, for the deploy steps. */
  readonly sshPrivateKey: pulumi.Input<string>;
  /**
   * Behind a balancer: a resize (DigitalOcean powers the droplet off) takes the droplet out of the
   * balancer's rotation first and back after, once `after` (other droplets' `rejoined`) is done.
   */
  readonly rotation?: {
    readonly healthPath: string;
    readonly leaveSeconds: number;
    readonly rejoinSeconds: number;
    readonly after: pulumi.Resource[];
    /** The stack's environment tag, which the droplet carries: its lookup asks for both. */
    readonly environmentTag: string;
  };
}

/**
 * A droplet bootstrapped by cloud-init, with a reserved IP that survives droplet replacement when
 * it is the stack's first. `ready` finishes when the bootstrap has; every remote step depends on
 * it. Behind a load balancer DNS points at the balancer; the first droplet keeps its reserved IP,
 * so scaling 1 → 3 → 1 deletes nothing of the first droplet's (its protected IP included).
 */
export class WebHost extends pulumi.ComponentResource {
  public readonly droplet: digitalocean.Droplet;
  public readonly reservedIp?: digitalocean.ReservedIp;
  /**
   * The droplet's SSH host key, made by the program: the droplet boots with it (its user data, a
   * secret) and every SSH step checks it, the first included.
   */
  public readonly hostKey: tls.PrivateKey;
  /** The public address the records point at alone: the reserved IP, else the droplet's own. */
  public readonly ipAddress: pulumi.Output<string>;
  /**
   * SSH connection for remote steps, as the deploy user. It resolves only after the bootstrap has
   * finished, so every step that uses it waits for cloud-init without having to remember to.
   */
  public readonly connection: pulumi.Output<Connection>;
  public readonly ready: command.remote.Command;
  /** The bootstrap's upgrade to the current version: what a step needing its tools waits for. */
  public readonly upgraded: command.remote.Command;
  /** With `rotation`: done once a resized droplet is back in the balancer's rotation. */
  public readonly rejoined?: command.remote.Command;

  private readonly name: string;

  constructor(name: string, args: WebHostArgs, opts?: pulumi.ComponentResourceOptions) {
    super(RESOURCE_TYPES.webHost, name, {}, opts);
    this.name = name;
    if (args.reservedIp) {
      this.reservedIp = new digitalocean.ReservedIp(
        `${name}-ip`,
        { region: args.region },
        { parent: this, protect: args.protect },
      );
    }
    this.hostKey = new tls.PrivateKey(
      `${name}-host-key`,
      { algorithm: "ED25519" },
      // Kept as long as the droplet: a new key would not be the one it booted with, and would
      // be sent again over a connection that checks none.
      { parent: this, protect: args.protect },
    );
    const hostKey = pulumi
      .all([this.hostKey.privateKeyOpenssh, this.hostKey.publicKeyOpenssh])
      .apply(([privateKey, publicKey]) => ({ privateKey, publicKey }));
    const userData = pulumi.secret(hostKey.apply((key) => renderCloudInit(BOOTSTRAP_VERSION, key)));
    const rotation = args.rotation;
    // Behind the balancer a resize (a hard power-off) must first take the droplet out of the
    // rotation, over SSH, before the droplet changes: so by the address DigitalOcean has for it
    // now, looked up as the program starts (an invoke reads before `up` changes anything, in
    // `pulumi preview` too). It runs only when the droplet exists at another size; otherwise it
    // has no script and pulumi-command neither dials nor runs anything
    // (provider/pkg/provider/remote/commandController.go, Update: `update`, else `create`, else
    // nothing): a first `up`, and the `up` after a resize (its update then runs nothing).
    const resizing = rotation && this.resizingNow(args, rotation.environmentTag);
    const left =
      rotation &&
      resizing &&
      new command.remote.Command(
        `${name}-leave-rotation`,
        this.leaveRotation(args, resizing, rotation.leaveSeconds),
        { parent: this, dependsOn: rotation.after },
      );
    this.droplet = new digitalocean.Droplet(
      `${name}-droplet`,
      {
        name: args.dropletName,
        region: args.region,
        size: args.size,
        image: args.image,
        sshKeys: args.sshKeys,
        backups: args.backups,
        monitoring: args.monitoring,
        tags: args.tags,
        userData,
        gracefulShutdown: true,
      },
      {
        parent: this,
        protect: args.protect,
        dependsOn: left ? [left] : [],
        // A new bootstrap version is for new droplets: user_data is ForceNew
        // (terraform-provider-digitalocean @401992a1, digitalocean/droplet/resource_droplet.go),
        // so a change of it would replace every droplet, protected ones refused. Ignored, the
        // engine keeps the droplet's own (pulumi/pulumi#2657: "replaces the values of input
        // properties in the goal state with old inputs"), a replacement for another cause
        // included; `<name>-bootstrap-upgrade` brings an existing droplet to the new version.
        ignoreChanges: ["userData"],
      },
    );
    this.ipAddress = this.reservedIp ? this.reservedIp.ipAddress : this.droplet.ipv4Address;
    // The remote steps keep dialing for most of an hour (a new droplet refuses the deploy user for
    // a minute or two): first, from where `pulumi up` runs, something must answer on port 22 within
    // minutes, or the up fails naming the droplet and the firewall. It runs again for a new address
    // (a local.Command's update runs `create` again: pulumi-command v1.2.1,
    // provider/pkg/provider/local/commandController.go).
    const reachable = new command.local.Command(
      `${name}-ssh-reachable`,
      {
        create: renderWaitForSsh({
          droplet: args.dropletName,
          port: 22,
          seconds: SSH_ANSWER_SECONDS,
        }),
        environment: { ADDRESS: this.droplet.ipv4Address },
      },
      { parent: this },
    );
    // A droplet bootstrapped before the host key (an earlier version: ignoreChanges keeps a
    // droplet's own user data, a replacement's too) gets it once over SSH, on stdin, before any
    // step checks it. What DigitalOcean's provider kept of the user data says which it booted with.
    // Not a secret, though made from one: the script it picks is none.
    const bootedWithKey = pulumi.unsecret(
      pulumi
        .all([this.droplet.userData, hostKey])
        .apply(([kept, key]) => bootedWithHostKey(kept, key)),
    );
    const keyGiven = new command.remote.Command(
      `${name}-host-key-install`,
      {
        connection: this.deployConnection(this.droplet.ipv4Address, args.sshPrivateKey),
        // Undefined is sent as no `create`: pulumi-command then neither dials nor runs anything.
        create: bootedWithKey.apply((booted) =>
          booted ? undefined : renderHostKeyInstall(),
        ) as pulumi.Output<string>,
        stdin: pulumi.secret(this.hostKey.privateKeyOpenssh),
      },
      { parent: this, dependsOn: [reachable] },
    );
    const pinned = this.deployConnection(
      this.droplet.ipv4Address,
      args.sshPrivateKey,
      this.hostKey.publicKeyOpenssh,
    );
    // Resolves once the key is there: every step through it checks the key the droplet has.
    const connection = pulumi.all([pinned, keyGiven.stdout]).apply(([checked]) => checked);
    this.ready = new command.remote.Command(
      `${name}-bootstrap`,
      { connection, create: renderWaitForBootstrap() },
      { parent: this, customTimeouts: { create: "20m" }, dependsOn: [reachable] },
    );
    // Idempotent, so on a new droplet (booted with this version) it changes nothing; on one of an
    // earlier version, it makes the new version's changes over SSH; replaced (so run again) when
    // the version is. Beside the other steps, not before them: none needs what it changes, and
    // through `connection` a bump would show every step as changing in `pulumi preview`.
    this.upgraded = new command.remote.Command(
      `${name}-bootstrap-upgrade`,
      { connection, create: renderBootstrapUpgrade(), triggers: [BOOTSTRAP_VERSION] },
      { parent: this, dependsOn: [this.ready] },
    );
    this.connection = pulumi.all([connection, this.ready.stdout]).apply(([ready]) => ready);
    if (rotation && resizing) {
      const { healthPath, rejoinSeconds } = rotation;
      this.rejoined = new command.remote.Command(
        `${name}-rejoin-rotation`,
        {
          // The droplet's own outputs: this runs after its resize.
          connection,
          // With a script only when the leave has one: a droplet replaced (a new address) or an
          // `up` that resizes nothing runs nothing here.
          update: pulumi
            .all([resizing, this.droplet.size])
            .apply(([droplet, size]) =>
              droplet ? renderRejoinRotation(size, healthPath, rejoinSeconds) : undefined,
            ) as pulumi.Output<string>,
        },
        { parent: this },
      );
    }
    this.registerOutputs({ ipAddress: this.ipAddress, dropletId: this.droplet.id });
  }

  /**
   * The droplet as DigitalOcean has it now, when it is there at another size than `args.size`: a
   * resize is coming. Looked up by name and the environment tag (the data source matches a list
   * such as tags when any of its values does: terraform-provider-digitalocean,
   * internal/datalist/filter.go).
   */
  private resizingNow(
    args: WebHostArgs,
    environmentTag: string,
  ): pulumi.Output<{ ipv4Address: string } | undefined> {
    const droplets = digitalocean.getDropletsOutput(
      {
        filters: [
          { key: "name", values: [args.dropletName] },
          { key: "tags", values: [environmentTag] },
        ],
      },
      { parent: this },
    ).droplets;
    return pulumi
      .all([droplets, args.size])
      .apply(([found, size]) => (found[0] && found[0].size !== size ? found[0] : undefined));
  }

  /**
   * The leave's connection and script: for a resize only. Otherwise an address nothing dials and
   * no script (the `up` after a resize updates it to that, running nothing).
   */
  private leaveRotation(
    args: WebHostArgs,
    resizing: pulumi.Output<{ ipv4Address: string } | undefined>,
    seconds: number,
  ): command.remote.CommandArgs {
    return {
      // Checks no host key: it runs before the droplet's update, so before a droplet of an earlier
      // bootstrap has been given the program's key (which needs the droplet's state after it),
      // and it sends nothing secret: someone on the path could only keep the droplet in the
      // balancer's rotation through its resize.
      connection: this.deployConnection(
        resizing.apply((droplet) => droplet?.ipv4Address ?? UNDIALED_HOST),
        args.sshPrivateKey,
      ),
      // Undefined is sent as no `update` at all.
      update: pulumi
        .all([resizing, args.size])
        .apply(([droplet, size]) =>
          droplet ? renderLeaveRotation(size, seconds) : undefined,
        ) as pulumi.Output<string>,
    };
  }

  /**
   * SSH as the deploy user to `host`, checking `hostKey` when given (pulumi-command ignores the
   * host's key without one). A new droplet refuses the deploy user until cloud-init has given it
   * the keys (the first thing its runcmd does, a minute or two after boot), and a resized one until
   * sshd is back: keep dialing for several minutes.
   */
  private deployConnection(
    host: pulumi.Output<string>,
    privateKey: pulumi.Input<string>,
    hostKey?: pulumi.Output<string>,
  ): pulumi.Output<Connection> {
    return pulumi.secret(
      pulumi.all([host, privateKey, hostKey]).apply(([address, key, expected]) => ({
        host: address,
        user: DEPLOY_USER,
        privateKey: key,
        // An authorized_keys line (ssh.ParseAuthorizedKey: pulumi-command v1.2.1,
        // provider/pkg/provider/remote/connection.go), which also limits the host key algorithms
        // offered to its type.
        ...(expected && { hostKey: expected }),
        dialErrorLimit: 100,
        perDialTimeout: 30,
      })),
    );
  }

  /**
   * Points the reserved IP at this droplet once `serving` (its nginx site and API) is in place, so a
   * replacement droplet takes traffic only when it can answer. Called by the owner after it has
   * declared those, which need this host's connection first.
   */
  assignReservedIp(serving: pulumi.Resource[]): digitalocean.ReservedIpAssignment | undefined {
    if (!this.reservedIp) return undefined;
    return new digitalocean.ReservedIpAssignment(
      `${this.name}-ip-assignment`,
      { ipAddress: this.reservedIp.ipAddress, dropletId: this.droplet.id.apply(Number) },
      { parent: this, dependsOn: serving },
    );
  }
}
