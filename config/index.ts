export { ConfigError } from "./errors";
export { DEFAULT_BUILD_CONTEXT, fqdn, loadStackConfig, parseStackConfig } from "./load";
export type { Alerts, ImageSource, Notify, StackConfig } from "./load";
export {
  DEFAULT_REVIEW_TTL_DAYS,
  REVIEW_BASE_STACK,
  deriveReviewConfig,
  expiryOf,
  expiryTag,
  reviewPullRequest,
  reviewStackName,
} from "./review";
