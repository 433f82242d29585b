/**
 * The sample app's build context: every file the Dockerfile copies exists and is let through by
 * .dockerignore (an allow-list: `*`, then `!<file>` per file). A file added to COPY but not to the
 * allow-list fails only at `docker build`, on the user's machine or in the local cloud.
 */
import { existsSync, readFileSync } from "node:fs";
import * as path from "node:path";

const APP = path.join(__dirname, "..", "..", "app");

test("each file the Dockerfile copies is in the build context", () => {
  const copies = readFileSync(path.join(APP, "Dockerfile"), "utf8")
    .split("\n")
    .filter((line) => line.startsWith("COPY "))
    .flatMap((line) =>
      line
        .split(/\s+/)
        .slice(1, -1)
        .filter((word) => !word.startsWith("--")),
    );
  const rules = readFileSync(path.join(APP, ".dockerignore"), "utf8")
    .split("\n")
    .filter((line) => line.trim() !== "" && !line.startsWith("#"));
  // Only the allow-list's own shape is understood here; anything else must be read by hand.
  expect(rules[0]).toBe("*");
  for (const rule of rules.slice(1)) expect(rule).toMatch(/^![\w.-]+$/);
  const allowed = rules.slice(1).map((rule) => rule.slice(1));
  expect(copies.length).toBeGreaterThan(0);
  for (const file of copies) {
    expect(`${file}: ${existsSync(path.join(APP, file))}`).toBe(`${file}: true`);
    expect(allowed).toContain(file);
  }
});
