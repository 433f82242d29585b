"use strict";
/*
 * dropstack sample migration: what `app.migrate` runs (`node migrate.js`) from the new image,
 * once per release, before the new release starts. With DATABASE_URL set it connects as the app's
 * user and records the release in a table of its own (creating it the first time: on PostgreSQL 15
 * and later that takes the grant dropstack's first droplet gives the user); it says which release
 * it migrated for.
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
        await db.query(
          "create table if not exists dropstack_migrations (release text primary key, at timestamptz not null default now())",
        );
        await db.query(
          "insert into dropstack_migrations (release) values ($1) on conflict do nothing",
          [release],
        );
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
