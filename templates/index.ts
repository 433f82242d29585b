export * from "./paths";
export * from "./render";
export * from "./renderBootstrap";
export * from "./renderDnsMove";
export * from "./renderRotation";
