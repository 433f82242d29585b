export * from "./paths";
export * from "./render";
export * from "./renderDnsMove";
export * from "./renderRotation";
