export * from "./paths";
export * from "./render";
export * from "./renderDnsMove";
