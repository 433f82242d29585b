/**
 * The one list of resource type tokens: the program's own components, and the provider resources
 * they declare that the tools look at (cost, policy, the plan's output, the mocks, the tests).
 * A unit test holds the provider tokens against the SDKs' own, so a typo cannot hide here.
 */
export const RESOURCE_TYPES = {
  // The program's components (their URNs carry these: renaming one replaces real resources).
  environment: "dropstack:index:Environment",
  webHost: "dropstack:host:WebHost",
  remoteFile: "dropstack:remote:RemoteFile",
  nginxSite: "dropstack:proxy:NginxSite",
  supervisorProgram: "dropstack:process:SupervisorProgram",
  apiService: "dropstack:app:ApiService",
  release: "dropstack:app:Release",
  apiImage: "dropstack:app:ApiImage",
  dnsRecords: "dropstack:dns:DnsRecords",
  firewallComponent: "dropstack:network:Firewall",
  loadBalancerComponent: "dropstack:network:LoadBalancer",
  certbot: "dropstack:tls:CertbotCertificate",
  monitoring: "dropstack:monitoring:Monitoring",
  backingService: "dropstack:data:BackingService",
  schemaGrant: "dropstack:data:SchemaGrant",
  // DigitalOcean.
  droplet: "digitalocean:index/droplet:Droplet",
  tag: "digitalocean:index/tag:Tag",
  reservedIp: "digitalocean:index/reservedIp:ReservedIp",
  ipAssignment: "digitalocean:index/reservedIpAssignment:ReservedIpAssignment",
  firewall: "digitalocean:index/firewall:Firewall",
  dnsRecord: "digitalocean:index/dnsRecord:DnsRecord",
  loadBalancer: "digitalocean:index/loadBalancer:LoadBalancer",
  certificate: "digitalocean:index/certificate:Certificate",
  monitorAlert: "digitalocean:index/monitorAlert:MonitorAlert",
  uptimeCheck: "digitalocean:index/uptimeCheck:UptimeCheck",
  uptimeAlert: "digitalocean:index/uptimeAlert:UptimeAlert",
  databaseCluster: "digitalocean:index/databaseCluster:DatabaseCluster",
  databaseFirewall: "digitalocean:index/databaseFirewall:DatabaseFirewall",
  databaseDb: "digitalocean:index/databaseDb:DatabaseDb",
  databaseUser: "digitalocean:index/databaseUser:DatabaseUser",
  containerRegistry: "digitalocean:index/containerRegistry:ContainerRegistry",
  registryCredentials:
    "digitalocean:index/containerRegistryDockerCredentials:ContainerRegistryDockerCredentials",
  // Things a review stack only references, never creates.
  domain: "digitalocean:index/domain:Domain",
  sshKey: "digitalocean:index/sshKey:SshKey",
  // The TLS provider: each droplet's SSH host key.
  hostKey: "tls:index/privateKey:PrivateKey",
  // Docker and the command provider.
  image: "docker:index/image:Image",
  command: "command:remote:Command",
  localCommand: "command:local:Command",
} as const;

export type ResourceTypeName = keyof typeof RESOURCE_TYPES;

/** The provider functions (invokes) the program calls: the mocks answer these. */
export const PROVIDER_FUNCTIONS = {
  getDroplets: "digitalocean:index/getDroplets:getDroplets",
  getDatabaseCluster: "digitalocean:index/getDatabaseCluster:getDatabaseCluster",
} as const;
