"use strict";
/*
 * dropstack sample migration: what `app.migrate` runs (`node migrate.js`) from the new image,
 * once per release, before the new release starts. It applies nothing yet; it says which release
 * it migrates for and exits.
 *
 * Environment variables (all optional):
 *   RELEASE           The release it migrates for, printed.
 *   MIGRATE_FAIL      Test-only: "1" makes it fail (exit 1), as a broken migration would.
 *   MIGRATE_DELAY_MS  Test-only: it takes this long first (a slow migration). Default 0.
 */
const release = process.env.RELEASE || "unknown";
const delay = Number(process.env.MIGRATE_DELAY_MS || 0);

setTimeout(() => {
  if (process.env.MIGRATE_FAIL === "1") {
    console.error(`migration for ${release} failed: MIGRATE_FAIL=1`);
    process.exit(1);
  }
  console.log(`migrated for ${release}`);
}, delay);
