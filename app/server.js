"use strict";
/*
 * dropstack sample REST API — the container that dropstack deploys behind nginx.
 * Node built-ins, and the clients of its backing services (backing.js) only when they are set.
 *
 * Environment variables (all optional):
 *   PORT                 TCP port to listen on. Integer 1..65535, default 8080.
 *                        Anything else -> one line on stderr and exit 1.
 *   BIND_ADDRESS         Address to bind, default 0.0.0.0 (inside a container the
 *                        published port only reaches 0.0.0.0; the local sandbox
 *                        sets 127.0.0.1).
 *   RELEASE              Release identifier reported by /version, in every log
 *                        line and in the x-release response header. Default "unknown".
 *   SHUTDOWN_TIMEOUT_MS  After SIGTERM/SIGINT, in-flight requests get this long to
 *                        finish before the process is forced to exit (code 1).
 *                        Default 10000.
 *   STARTUP_DELAY_MS     Wait this long before listening (simulates a slow release).
 *                        Default 0.
 *   HEALTH_STATUS        Status code GET /health answers with (simulates a broken
 *                        release, e.g. 503). Default 200.
 *   ECHO_DELAY_MS        Test-only: /echo waits this long before answering, so tests
 *                        can have a request in flight during shutdown. Default 0.
 *   ALLOCATE_ROUTE       Test-only: "true" adds POST /allocate?mb=N, which holds N MiB
 *                        more (touched, never freed), so tests can push the container
 *                        past its memory limit. Never set it on a stack visitors reach.
 *
 *   DATABASE_URL, REDIS_URL
 *                       Backing services (backing.js): GET /ready reaches each one set.
 *
 * Routes: GET /health, GET /ready, GET /version, GET|POST /echo (and POST /allocate with
 * ALLOCATE_ROUTE); everything else is a 404.
 * Every response is JSON and carries x-release. One JSON log line per request on stdout.
 */
const http = require("node:http");
const { readiness } = require("./backing");

// nginx keeps idle upstream connections for 60 s by default (keepalive_timeout).
// The app must hold sockets open longer than that, otherwise nginx may reuse a
// socket the app has just closed and the client gets a 502.
const KEEP_ALIVE_TIMEOUT_MS = 65_000;
// headersTimeout must exceed keepAliveTimeout, or Node can kill a reused socket
// while the next request's headers are still arriving.
const HEADERS_TIMEOUT_MS = 66_000;

/** Parse a non-negative integer env var; returns an error string when invalid. */
function intEnv(env, name, def, min, max) {
  const raw = env[name];
  if (raw === undefined || raw === "") return { value: def };
  if (!/^\d+$/.test(raw.trim()))
    return { error: `${name} must be an integer ${min}..${max}, got "${raw}"` };
  const value = Number(raw.trim());
  if (value < min || value > max)
    return { error: `${name} must be an integer ${min}..${max}, got "${raw}"` };
  return { value };
}

/** Read and validate all configuration from the environment. Throws on bad input. */
function loadConfig(env = process.env) {
  const fields = {
    port: intEnv(env, "PORT", 8080, 1, 65535),
    shutdownTimeoutMs: intEnv(env, "SHUTDOWN_TIMEOUT_MS", 10_000, 0, 2_147_483_647),
    startupDelayMs: intEnv(env, "STARTUP_DELAY_MS", 0, 0, 2_147_483_647),
    healthStatus: intEnv(env, "HEALTH_STATUS", 200, 100, 599),
    echoDelayMs: intEnv(env, "ECHO_DELAY_MS", 0, 0, 2_147_483_647),
  };
  const config = {
    bindAddress: env.BIND_ADDRESS || "0.0.0.0",
    release: env.RELEASE || "unknown",
    allocateRoute: env.ALLOCATE_ROUTE === "true",
  };
  for (const [key, r] of Object.entries(fields)) {
    if (r.error) throw new Error(r.error);
    config[key] = r.value;
  }
  return config;
}

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

function sendJson(res, status, body, release) {
  const payload = JSON.stringify(body);
  res.writeHead(status, {
    "content-type": "application/json; charset=utf-8",
    "content-length": Buffer.byteLength(payload),
    "x-release": release,
  });
  res.end(payload);
}

/** Count the request body without buffering it (also drains it so keep-alive works). */
function countBody(req) {
  return new Promise((resolve, reject) => {
    let bytes = 0;
    req.on("data", (chunk) => (bytes += chunk.length));
    req.on("end", () => resolve(bytes));
    req.on("error", reject);
  });
}

/**
 * Build the HTTP server (not yet listening). Options are the output of loadConfig;
 * `log` receives one object per request and defaults to a JSON line on stdout.
 */
function createServer(options = {}) {
  const release = options.release || "unknown";
  const healthStatus = options.healthStatus || 200;
  const echoDelayMs = options.echoDelayMs || 0;
  const log = options.log || ((obj) => process.stdout.write(JSON.stringify(obj) + "\n"));
  const held = []; // what POST /allocate holds on to

  /** N MiB more, 16 MiB at a time with a turn of the event loop between: pages written, kept. */
  async function allocate(mb) {
    for (let left = mb; left > 0; left -= 16) {
      held.push(Buffer.allocUnsafe(Math.min(16, left) * 1024 * 1024).fill(1));
      await sleep(1);
    }
    return held.reduce((sum, b) => sum + b.length, 0) / (1024 * 1024);
  }

  async function route(req, res, path) {
    if (req.method === "GET" && path === "/health") {
      await countBody(req);
      return sendJson(
        res,
        healthStatus,
        { status: healthStatus === 200 ? "ok" : "unhealthy" },
        release,
      );
    }
    // Readiness, apart from liveness (/health, the release's gate): the backing services answer.
    if (req.method === "GET" && path === "/ready") {
      await countBody(req);
      const { ready, services } = await readiness();
      return sendJson(
        res,
        ready ? 200 : 503,
        { status: ready ? "ready" : "not ready", services },
        release,
      );
    }
    if (req.method === "GET" && path === "/version") {
      await countBody(req);
      return sendJson(res, 200, { release }, release);
    }
    if ((req.method === "GET" || req.method === "POST") && path === "/echo") {
      const bodyBytes = await countBody(req);
      if (echoDelayMs > 0) await sleep(echoDelayMs);
      return sendJson(
        res,
        200,
        {
          method: req.method,
          path,
          headers: req.headers, // Node lower-cases header names
          bodyBytes,
          remoteAddress: req.socket.remoteAddress,
          release,
        },
        release,
      );
    }
    if (options.allocateRoute && req.method === "POST" && path === "/allocate") {
      await countBody(req);
      const mb = Number(new URL(req.url, "http://x").searchParams.get("mb"));
      if (!Number.isInteger(mb) || mb < 1 || mb > 65536)
        return sendJson(res, 400, { error: "mb must be an integer from 1 to 65536" }, release);
      return sendJson(res, 200, { heldMiB: await allocate(mb) }, release);
    }
    req.resume(); // discard any body so the socket can be reused
    return sendJson(res, 404, { error: "not_found", path }, release);
  }

  const server = http.createServer((req, res) => {
    const started = process.hrtime.bigint();
    const time = new Date().toISOString();
    const path = (req.url || "/").split("?")[0];
    // While draining for shutdown, tell keep-alive clients (nginx) not to reuse the socket.
    if (server.shuttingDown) res.setHeader("connection", "close");
    // A request in flight when shutdown began leaves an idle socket once answered;
    // close it, or server.close() would wait for keepAliveTimeout.
    res.once("finish", () => {
      if (server.shuttingDown) setImmediate(() => server.closeIdleConnections());
    });
    // 'close' fires for completed and aborted responses alike: exactly one line each.
    // An unfinished response means the client went away; log nginx's 499 for that.
    res.once("close", () => {
      const ms = Number(process.hrtime.bigint() - started) / 1e6;
      const status = res.writableFinished ? res.statusCode : 499;
      log({ time, method: req.method, path, status, ms: Math.round(ms * 1000) / 1000, release });
    });
    route(req, res, path).catch((err) => {
      process.stderr.write(
        `request error ${req.method} ${path}: ${err && err.stack ? err.stack : err}\n`,
      );
      if (res.headersSent) return res.destroy();
      sendJson(res, 500, { error: "internal_error" }, release);
    });
  });
  server.keepAliveTimeout = KEEP_ALIVE_TIMEOUT_MS;
  server.headersTimeout = HEADERS_TIMEOUT_MS;
  server.shuttingDown = false;
  return server;
}

function main() {
  let config;
  try {
    config = loadConfig();
  } catch (err) {
    process.stderr.write(`dropstack-sample-api: ${err.message}\n`);
    process.exit(1);
  }
  const { release } = config;
  const logEvent = (obj) =>
    process.stdout.write(
      JSON.stringify({ time: new Date().toISOString(), ...obj, release }) + "\n",
    );
  const server = createServer(config);

  // Explicit handlers matter: as PID 1 in a container, Node gets no default SIGTERM action.
  function shutdown(signal) {
    if (server.shuttingDown) return;
    server.shuttingDown = true;
    if (!server.listening) {
      logEvent({ event: "shutdown", signal, note: "not listening yet" });
      process.exit(0);
    }
    // Stop accepting; the callback runs once every connection has closed. Idle
    // keep-alive sockets would hold it open until keepAliveTimeout, so drop them now;
    // busy ones are dropped as their response finishes (see createServer). Log after
    // close() so "shutdown" in the log means "no longer accepting".
    server.close(() => process.exit(0));
    server.closeIdleConnections();
    logEvent({ event: "shutdown", signal, timeoutMs: config.shutdownTimeoutMs });
    setTimeout(() => {
      process.stderr.write(
        `dropstack-sample-api: shutdown timed out after ${config.shutdownTimeoutMs} ms, forcing exit\n`,
      );
      process.exit(1);
    }, config.shutdownTimeoutMs).unref();
  }
  process.on("SIGTERM", () => shutdown("SIGTERM"));
  process.on("SIGINT", () => shutdown("SIGINT"));

  server.on("error", (err) => {
    process.stderr.write(
      `dropstack-sample-api: cannot listen on ${config.bindAddress}:${config.port}: ${err.message}\n`,
    );
    process.exit(1);
  });
  setTimeout(() => {
    if (server.shuttingDown) return;
    server.listen(config.port, config.bindAddress, () => {
      const addr = server.address();
      logEvent({ event: "listening", address: addr.address, port: addr.port });
    });
  }, config.startupDelayMs);
}

module.exports = { createServer, loadConfig, KEEP_ALIVE_TIMEOUT_MS, HEADERS_TIMEOUT_MS };

if (require.main === module) main();
