/**
 * Requests to a sandbox's nginx as a client makes them: plain HTTP with a Host header, or HTTPS
 * with SNI that trusts only the sandbox's certificate. Scripts, the bench and the tests ask these.
 */
import { readFileSync } from "node:fs";
import { request as httpRequest } from "node:http";
import { request as httpsRequestRaw } from "node:https";
import type { TLSSocket } from "node:tls";
import { Reply, collectReply } from "../shared/httpReply";
import type { Sandbox } from "./sandbox";

export type { Reply } from "../shared/httpReply";

/** One HTTP request to the sandbox's nginx with the given Host header. */
export function request(
  sandbox: Pick<Sandbox, "port">,
  host: string,
  urlPath: string,
  options: { method?: string; body?: Buffer | string; timeoutMs?: number; port?: number } = {},
): Promise<Reply> {
  const timeoutMs = options.timeoutMs ?? 5000;
  return collectReply(
    (onResponse) =>
      httpRequest(
        {
          host: "127.0.0.1",
          port: options.port ?? sandbox.port,
          path: urlPath,
          method: options.method ?? "GET",
          headers: { Host: host, Connection: "close" },
          timeout: timeoutMs,
        },
        onResponse,
      ),
    timeoutMs,
    options.body,
  );
}

export type HttpsReply = Reply & {
  /** The TLS version negotiated, such as `TLSv1.3`. */
  readonly protocol: string | null;
};

/**
 * One HTTPS request to a TLS sandbox's nginx for `host` (SNI and Host header), trusting only the
 * sandbox's certificate: a wrong certificate or name fails as it would for any client.
 */
export function httpsRequest(
  sandbox: Pick<Sandbox, "stack" | "tls">,
  host: string,
  urlPath: string,
  options: { method?: string; body?: Buffer | string; timeoutMs?: number } = {},
): Promise<HttpsReply> {
  const tls = sandbox.tls;
  if (!tls) return Promise.reject(new Error(`the ${sandbox.stack} sandbox does not serve HTTPS`));
  const timeoutMs = options.timeoutMs ?? 5000;
  return collectReply(
    (onResponse) =>
      httpsRequestRaw(
        {
          host: "127.0.0.1",
          port: tls.port,
          servername: host,
          ca: readFileSync(tls.certificate),
          path: urlPath,
          method: options.method ?? "GET",
          headers: { Host: host, Connection: "close" },
          timeout: timeoutMs,
          agent: false,
        },
        onResponse,
      ),
    timeoutMs,
    options.body,
    (res) => ({ protocol: (res.socket as TLSSocket).getProtocol() }),
  );
}

/** GET `urlPath` for `host` as clients reach the site: over HTTPS when the stack serves it. */
export function probe(
  sandbox: Sandbox,
  host: string,
  urlPath: string,
  timeoutMs: number,
): Promise<Reply> {
  return sandbox.tls
    ? httpsRequest(sandbox, host, urlPath, { timeoutMs })
    : request(sandbox, host, urlPath, { timeoutMs });
}
