"use strict";
/*
 * dropstack sample worker: what `app.processes` runs beside the API (`node worker.js`), from the
 * same image, with the same environment but no port. It does a unit of work every interval and
 * logs it with its release, so a release that restarts it on the new image shows in its log.
 * On SIGTERM it finishes the unit in hand and exits 0 (supervisor's graceful stop). With
 * REDIS_URL set, each unit increments a counter in the cache, which the API's /ready reports: proof
 * the worker runs and reaches the cache.
 *
 * Environment variables (all optional):
 *   RELEASE             Release identifier, in every log line. Default "unknown".
 *   WORKER_INTERVAL_MS  Time between units of work. Default 1000.
 */
const { WORKER_UNITS_KEY, cacheClient } = require("./backing");

const release = process.env.RELEASE || "unknown";
const interval = Number(process.env.WORKER_INTERVAL_MS || 1000);
let done = 0;
let stopping = false;

const log = (message) => console.log(JSON.stringify({ worker: true, release, message, done }));
const cache = process.env.REDIS_URL ? cacheClient(process.env.REDIS_URL) : undefined;
cache?.on("error", () => undefined); // each unit's own failure is logged

async function unitOfWork() {
  if (cache) await cache.incr(WORKER_UNITS_KEY);
  done += 1;
  log("did a unit of work");
}

log("started");
let inHand = Promise.resolve();
const timer = setInterval(() => {
  inHand = unitOfWork().catch((err) => log(`unit failed: ${err.message}`));
}, interval);

for (const signal of ["SIGTERM", "SIGINT"]) {
  process.on(signal, () => {
    if (stopping) return;
    stopping = true;
    clearInterval(timer);
    log(`stopping on ${signal}`);
    // The unit in hand is finished (its increment counted), then the connection closed.
    inHand
      .then(() => cache?.quit())
      .catch(() => undefined)
      .finally(() => process.exit(0));
  });
}
