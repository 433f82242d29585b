/**
 * DigitalOcean list prices, in USD per month, as published on the date below. The one place
 * prices live: update the date with them. Droplets are billed hourly at monthly / 672 h (a
 * 28-day cap), so a day costs monthly / 28.
 */
export const PRICES = {
  date: "2025-05-07",
  source:
    "https://docs.digitalocean.com/products/droplets/details/pricing/ and digitalocean.com/pricing",
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
  /** Hours a month is billed for at most (28 days). */
  billedHoursPerMonth: 672,
} as const;
