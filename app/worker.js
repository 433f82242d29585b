"use strict";
/*
 * dropstack sample worker: what `app.processes` runs beside the API (`node worker.js`), from the
 * same image, with the same environment but no port. It does a unit of work every interval and
 * logs it with its release, so a release that restarts it on the new image shows in its log.
 * On SIGTERM it finishes the unit in hand and exits 0 (supervisor's graceful stop).
 *
 * Environment variables (all optional):
 *   RELEASE             Release identifier, in every log line. Default "unknown".
 *   WORKER_INTERVAL_MS  Time between units of work. Default 1000.
 */
const release = process.env.RELEASE || "unknown";
const interval = Number(process.env.WORKER_INTERVAL_MS || 1000);
let done = 0;
let stopping = false;

const log = (message) => console.log(JSON.stringify({ worker: true, release, message, done }));

log("started");
const timer = setInterval(() => {
  done += 1;
  log("did a unit of work");
}, interval);

for (const signal of ["SIGTERM", "SIGINT"]) {
  process.on(signal, () => {
    if (stopping) return;
    stopping = true;
    clearInterval(timer);
    log(`stopping on ${signal}`);
    process.exit(0);
  });
}
