export { ConfigError } from "./errors";
export { DEFAULT_BUILD_CONTEXT, ImageSource, StackConfig, fqdn, loadStackConfig, parseStackConfig } from "./load";
