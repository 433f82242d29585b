// app.env as `pulumi config set --path` stores it: what the program sees, and when it is secret.
import { parseStackConfig } from "../../config";
import { configMap, parse, useMockRuntime } from "../helpers/configCases";

useMockRuntime();

describe("app.env as the CLI stores it", () => {
  test("numbers and booleans set with --path become the strings the API sees", () => {
    const c = parse({ "app.env": { WORKERS: 4, DEBUG: true, NAME: "x" } });
    expect(c.app.env).toEqual({ WORKERS: "4", DEBUG: "true", NAME: "x" });
    expect(c.app.envIsSecret).toBe(false);
  });

  test("a secret dropstack:app key keeps app.env secret (its values may have been set with --secret)", () => {
    const c = parseStackConfig("staging", configMap(), ["dropstack:app"]);
    expect(c.app.envIsSecret).toBe(true);
  });
});
