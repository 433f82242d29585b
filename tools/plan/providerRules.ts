/**
 * What an input change does to each resource type the program declares, by its provider's own
 * rules. DigitalOcean's Pulumi provider is bridged from the Terraform provider, so its `ForceNew`
 * fields are the ones that replace. Read in digitalocean/terraform-provider-digitalocean at
 * 401992a1e493a0e3cfc833197820867991fc011f (paths under digitalocean/):
 * - droplet/resource_droplet.go: ForceNew image, region, ssh_keys, user_data (stored as a hash),
 *   monitoring, vpc_uuid, droplet_agent, public_networking; `ipv6` true → false by CustomizeDiff.
 *   Update: a `size` change powers the droplet off (DropletActions.PowerOff), resizes it, powers
 *   it on; name, backups, tags, volume_ids update in place.
 * - domain/resource_record.go: ForceNew domain, type; name, value, ttl in place.
 * - reservedip/resource_reserved_ip.go: ForceNew region.
 * - reservedip/resource_reserved_ip_assignment.go: ForceNew droplet_id, ip_address: moving the
 *   address to another droplet replaces the assignment (unassigned, then assigned).
 * - firewall/resource_firewall.go: every field updates in place.
 * - loadbalancer/resource_loadbalancer.go: ForceNew region, vpc_uuid, type, network,
 *   network_stack, subnet_uuid; forwarding rules, health check, droplets and the rest in place.
 * - certificate/resource_certificate.go: every field ForceNew.
 * - tag/resource_tag.go: ForceNew name.
 * - uptime/, monitoring/resource_monitor_alert.go: in place.
 * - registry/resource_container_registry_docker_credentials.go: ForceNew registry_name.
 * - database/resource_database_cluster.go: ForceNew name, engine, private_network_uuid,
 *   project_id. Update: size, node_count, storage_size_mib resize it (Databases.Resize, then it
 *   waits for "online"); region migrates it (Databases.Migrate); version upgrades the major
 *   version in place (Databases.UpgradeMajorVersion); tags, maintenance window in place.
 * - database/resource_database_firewall.go: ForceNew cluster_id; the rules in place.
 * - database/resource_database_db.go, resource_database_user.go: ForceNew name, cluster_id.
 * The TLS provider's PrivateKey (hashicorp/terraform-provider-tls @b49f7040,
 *   internal/provider/resource_private_key.go): algorithm, rsa_bits, ecdsa_curve and
 *   openssh_comment RequiresReplace; Update and Delete do nothing outside the state.
 * pulumi-command's remote.Command and local.Command (v1.2.1, provider/pkg/provider/{remote,local}/
 * commandController.go; `triggers` is replaceOnChanges in common/inputs.go): a `triggers` change
 * replaces it; any other input change is an update, which runs `update` or, without one, `create`
 * again; `delete` runs when it is deleted (after its replacement is created). With no script for
 * the step nothing runs (remote: no SSH dial either).
 */
import { RESOURCE_TYPES as T } from "../../components/resourceTypes";

export interface ProviderRule {
  /** Inputs (Pulumi's names) whose change replaces the resource. */
  readonly replaces: readonly string[];
  /** What an update of one input does besides changing it. */
  readonly onUpdate?: Readonly<Record<string, readonly string[]>>;
  /** What any update does (a command runs again). */
  readonly onAnyUpdate?: readonly string[];
  readonly onCreate?: readonly string[];
  readonly onReplace?: readonly string[];
  readonly onDelete?: readonly string[];
}

const RULES: Readonly<Record<string, ProviderRule>> = {
  [T.droplet]: {
    replaces: [
      "image",
      "region",
      "sshKeys",
      "userData",
      "monitoring",
      "vpcUuid",
      "dropletAgent",
      "publicNetworking",
    ],
    onUpdate: {
      size: ["powers the droplet off to resize it, then on: it serves nothing meanwhile"],
    },
    onReplace: ["a new droplet boots from the user data; the old one is deleted after"],
  },
  [T.dnsRecord]: {
    replaces: ["domain", "type"],
    onReplace: [
      "the new name's record first, the old one's deleted last: clients of the old name fail from the site's change on",
    ],
  },
  [T.reservedIp]: { replaces: ["region"] },
  [T.ipAssignment]: {
    replaces: ["dropletId", "ipAddress"],
    onReplace: ["the address is unassigned, then assigned: unreachable between the two"],
  },
  [T.firewall]: { replaces: [] },
  [T.loadBalancer]: {
    replaces: ["region", "vpcUuid", "type", "network", "networkStack", "subnetUuid"],
    onReplace: ["a new balancer with a new address: DNS must move to it"],
  },
  [T.certificate]: {
    replaces: ["name", "type", "domains", "privateKey", "leafCertificate", "certificateChain"],
  },
  [T.tag]: { replaces: ["name"] },
  [T.hostKey]: { replaces: ["algorithm", "rsaBits", "ecdsaCurve", "opensshComment"] },
  [T.uptimeCheck]: { replaces: [] },
  [T.uptimeAlert]: { replaces: [] },
  [T.monitorAlert]: { replaces: [] },
  [T.registryCredentials]: { replaces: ["registryName"] },
  [T.databaseCluster]: {
    replaces: ["name", "engine", "privateNetworkUuid", "projectId"],
    onUpdate: {
      size: ["resizes the cluster, waiting until it is online again"],
      nodeCount: ["resizes the cluster, waiting until it is online again"],
      region: ["migrates the cluster to the new region, waiting until it is online again"],
      version: ["upgrades the cluster's major version in place"],
    },
    onReplace: [
      "a new, empty cluster with a new address and password; the old one and its data are deleted after",
    ],
    onDelete: ["deletes the cluster and its data"],
  },
  [T.databaseFirewall]: { replaces: ["clusterId"] },
  [T.databaseDb]: {
    replaces: ["name", "clusterId"],
    onReplace: ["a new, empty database; the old one and its tables are dropped after"],
    onDelete: ["drops the database and its tables"],
  },
  [T.databaseUser]: { replaces: ["name", "clusterId"] },
  [T.command]: {
    replaces: ["triggers"],
    onAnyUpdate: ["runs again over SSH"],
    onCreate: ["runs over SSH"],
    onReplace: ["runs again over SSH"],
  },
  [T.localCommand]: {
    replaces: ["triggers"],
    onAnyUpdate: ["runs again where pulumi up runs"],
    onCreate: ["runs where pulumi up runs"],
    onReplace: ["runs again where pulumi up runs"],
  },
  [T.image]: { replaces: [], onAnyUpdate: ["builds and pushes again"] },
};

/** A type the table does not know updates in place, as most inputs of most providers do. */
export function ruleFor(type: string): ProviderRule {
  return RULES[type] ?? { replaces: [] };
}

/** Of the `changed` inputs of a resource, those that replace it (ForceNew, replaceOnChanges). */
export function replacingInputs(
  type: string,
  changed: readonly string[],
  replaceOnChanges: readonly string[],
): string[] {
  const rule = ruleFor(type);
  return changed.filter((key) => rule.replaces.includes(key) || replaceOnChanges.includes(key));
}

/** The types the table covers: a test checks every type the program declares is among them. */
export const RULE_TYPES = Object.keys(RULES);
