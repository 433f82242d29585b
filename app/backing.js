"use strict";
/*
 * The sample app's backing services, reached through the connection strings dropstack puts in the
 * API's secret env file: DATABASE_URL (PostgreSQL) and REDIS_URL (Redis-compatible), each
 * optional. The clients (pg, ioredis) load only when their URL is set, so the API runs without
 * them, and without node_modules, when the stack declares no services.
 *
 * TLS: DigitalOcean's URLs say `sslmode=require` and `rediss://`: encrypted, with the server's
 * certificate not checked against a CA (libpq's meaning of require; DigitalOcean signs with a CA
 * of the cluster's own, which the program does not hand the droplet yet). pg 8 would read require
 * as verify-full and refuse that CA, so the URL asks for libpq's meaning explicitly.
 */

/** The cache key the sample worker increments once per unit of work; /ready reports it. */
const WORKER_UNITS_KEY = "dropstack:worker:units";
const TIMEOUT_MS = 3000;

/** A PostgreSQL URL with libpq's `sslmode` semantics (pg-connection-string's uselibpqcompat). */
function libpqUrl(url) {
  const parsed = new URL(url);
  if (parsed.searchParams.has("sslmode") && !parsed.searchParams.has("uselibpqcompat"))
    parsed.searchParams.set("uselibpqcompat", "true");
  return parsed.toString();
}

/** Runs `use(client)` on a fresh PostgreSQL connection, closed afterwards. */
async function withDatabase(url, use) {
  const { Client } = require("pg");
  const client = new Client({
    connectionString: libpqUrl(url),
    connectionTimeoutMillis: TIMEOUT_MS,
    query_timeout: TIMEOUT_MS,
  });
  await client.connect();
  try {
    return await use(client);
  } finally {
    await client.end().catch(() => undefined);
  }
}

/** A Redis-compatible client that fails fast instead of queueing while the server is away. */
function cacheClient(url) {
  const Redis = require("ioredis");
  return new Redis(url, {
    connectTimeout: TIMEOUT_MS,
    commandTimeout: TIMEOUT_MS,
    maxRetriesPerRequest: 1,
    ...(url.startsWith("rediss:") && { tls: { rejectUnauthorized: false } }),
  });
}

/** Runs `use(client)` on a fresh cache connection, closed afterwards. */
async function withCache(url, use) {
  const client = cacheClient(url);
  client.on("error", () => undefined); // the command's own rejection reports it
  try {
    return await use(client);
  } finally {
    client.disconnect();
  }
}

const failure = (err) => ({ ok: false, error: String((err && err.message) || err) });

/** How long one check's answer serves /ready: requests in that time open no connection. */
const READY_CACHE_MS = 1000;
let lastCheck = { at: 0, answer: undefined };

/**
 * What /ready answers: each configured service reached (database: who we are; cache: the worker's
 * count of units), `ready` only when every one answered. One check at a time, its answer reused
 * for a second: a flood of /ready cannot use up the cluster's connections.
 */
function readiness(env = process.env) {
  if (Date.now() - lastCheck.at >= READY_CACHE_MS || lastCheck.answer === undefined)
    lastCheck = { at: Date.now(), answer: check(env) };
  return lastCheck.answer;
}

async function check(env) {
  const services = {};
  if (env.DATABASE_URL) {
    services.database = await withDatabase(env.DATABASE_URL, async (db) => {
      const { rows } = await db.query("select current_user as user, current_database() as db");
      return { ok: true, user: rows[0].user, database: rows[0].db };
    }).catch(failure);
  }
  if (env.REDIS_URL) {
    services.cache = await withCache(env.REDIS_URL, async (cache) => {
      await cache.ping();
      return { ok: true, workerUnits: Number((await cache.get(WORKER_UNITS_KEY)) || 0) };
    }).catch(failure);
  }
  return { ready: Object.values(services).every((s) => s.ok), services };
}

module.exports = { WORKER_UNITS_KEY, cacheClient, libpqUrl, readiness, withDatabase };
