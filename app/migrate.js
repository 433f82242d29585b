"use strict";
/*
 * dropstack sample migration: what `app.migrate` runs (`node migrate.js`) from the new image,
 * once per release, before the new release starts. It applies no schema (on PostgreSQL 15 and
 * later the app's user may not create in schema public until granted: see the README); with
 * DATABASE_URL set it connects as the app's user, proving the new image reaches the database, and
 * says which release it migrates for.
 *
 * Environment variables (all optional):
 *   RELEASE           The release it migrates for, printed.
 *   MIGRATE_FAIL      Test-only: "1" makes it fail (exit 1), as a broken migration would.
 *   MIGRATE_DELAY_MS  Test-only: it takes this long first (a slow migration). Default 0.
 */
const { withDatabase } = require("./backing");

const release = process.env.RELEASE || "unknown";
const delay = Number(process.env.MIGRATE_DELAY_MS || 0);

async function migrate() {
  if (process.env.MIGRATE_FAIL === "1") throw new Error("MIGRATE_FAIL=1");
  const as = process.env.DATABASE_URL
    ? await withDatabase(process.env.DATABASE_URL, async (db) => {
        const { rows } = await db.query("select current_user as user");
        return ` as ${rows[0].user}`;
      })
    : "";
  console.log(`migrated for ${release}${as}`);
}

setTimeout(() => {
  migrate().catch((err) => {
    console.error(`migration for ${release} failed: ${err.message}`);
    process.exit(1);
  });
}, delay);
