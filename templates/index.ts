export * from "./paths";
export * from "./render";
