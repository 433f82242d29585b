/**
 * DigitalOcean list prices, in USD per month, as published on the date below. The one place
 * prices live: update the date with them. Droplets are billed hourly at monthly / 672 h (a
 * 28-day cap), so a day costs monthly / 28.
 */
export const PRICES = {
  date: "2025-05-07",
  /** Where the droplet, backup and reserved IP prices come from. */
  source:
    "https://docs.digitalocean.com/products/droplets/details/pricing/ and digitalocean.com/pricing",
  /** Where each of the other rows comes from, keyed by the row's name. */
  sources: {
    reservedIpUnassigned:
      "https://docs.digitalocean.com/products/networking/reserved-ips/details/pricing/",
    loadBalancerNode:
      "https://docs.digitalocean.com/products/networking/load-balancers/details/pricing/",
    uptimeCheck: "https://docs.digitalocean.com/products/uptime/details/pricing/",
    certificate: "https://docs.digitalocean.com/products/networking/load-balancers/reference/api/",
    alert:
      "https://docs.digitalocean.com/products/monitoring/details/pricing/ and https://docs.digitalocean.com/products/uptime/details/pricing/",
    registryTiers: "https://docs.digitalocean.com/products/container-registry/details/pricing/",
    databaseNodes:
      "https://docs.digitalocean.com/products/databases/postgresql/details/pricing/ (and caching's)",
  },
  /** Basic and dedicated droplet plans by size slug. */
  droplets: {
    "s-1vcpu-512mb-10gb": 4,
    "s-1vcpu-1gb": 6,
    "s-1vcpu-2gb": 12,
    "s-2vcpu-2gb": 18,
    "s-2vcpu-4gb": 24,
    "s-4vcpu-8gb": 48,
    "s-8vcpu-16gb": 96,
  } as Record<string, number>,
  /** Weekly backups add this share of the droplet's price. */
  backupsShare: 0.2,
  /** A reserved IP is free while assigned to a droplet (dropstack always assigns it). */
  reservedIpAssigned: 0,
  /**
   * What a reserved IP costs while assigned to nothing. Unused: dropstack assigns every reserved
   * IP it creates; kept so the table is complete if that ever changes.
   */
  reservedIpUnassigned: 5,
  /** One node of a regional load balancer (its `sizeUnit` counts the nodes). */
  loadBalancerNode: 12,
  /** One uptime check; the alerts on it are free. */
  uptimeCheck: 1,
  /** Certificates (Let's Encrypt or uploaded) are free. */
  certificate: 0,
  /** Monitoring and uptime alerts are free. */
  alert: 0,
  /**
   * A single-node managed database cluster (PostgreSQL or the Redis-compatible cache) by size
   * slug. Only single nodes: a cluster with standby nodes has no price here (its line says so and
   * the total is a lower bound) rather than a guess at what standbys cost.
   */
  databaseNodes: {
    "db-s-1vcpu-1gb": 15,
    "db-s-1vcpu-2gb": 30,
    "db-s-2vcpu-4gb": 60,
    "db-s-4vcpu-8gb": 120,
  } as Record<string, number>,
  /** Container registry subscription by tier slug; one per account, shared by every stack. */
  registryTiers: {
    starter: 0,
    basic: 5,
    professional: 20,
  } as Record<string, number>,
  /** Hours a month is billed for at most (28 days). */
  billedHoursPerMonth: 672,
} as const;
