// dropstack: one environment per stack. This file only wires config to components.
import { loadStackConfig } from "./config";
import { Environment } from "./components/Environment";

const config = loadStackConfig();
const environment = new Environment(config.stack, config);

export const urls = environment.urls;
/** The stable public address: the droplet's reserved IP, or the load balancer's address. */
export const ipAddress = environment.ipAddresses[0];
export const ipAddresses = environment.ipAddresses;
export const hosts = environment.hosts;
export const release = environment.release;
/** The droplets' tags; `npm run review -- list|reap` reads a review stack's expiry here. */
export const tags = environment.tags;
