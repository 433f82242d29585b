export { ConfigError } from "./errors";
export { DEFAULT_BUILD_CONTEXT, fqdn, loadStackConfig, parseStackConfig } from "./load";
export type { ImageSource, StackConfig } from "./load";
