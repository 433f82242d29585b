export { ConfigError, SECRET_MASK } from "./errors";
export { decodeConfigValue, encodeConfigValue, qualifiedKey } from "./configMap";
export { DEFAULT_BUILD_CONTEXT, loadStackConfig, parseStackConfig } from "./load";
export { fqdn, hostSlug } from "./names";
export type { Alerts, ImageSource, Notify, Service, StackConfig } from "./load";
export {
  DEFAULT_REVIEW_TTL_DAYS,
  REVIEW_BASE_STACK,
  deriveReviewConfig,
  expiryOf,
  expiryTag,
  reviewPullRequest,
  reviewStackName,
} from "./review";
