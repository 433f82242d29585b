/** Collecting a whole reply from node's http or https client, for the sandbox's probes. */
import type { ClientRequest, IncomingHttpHeaders, IncomingMessage } from "node:http";

export interface Reply {
  readonly status: number;
  readonly headers: IncomingHttpHeaders;
  readonly body: string;
}

/**
 * Sends the request `start` makes (with its `timeout` option set to `timeoutMs`) and resolves
 * with the whole reply, plus what `extra` reads from the response; no answer in time rejects.
 */
export function collectReply<Extra extends object = object>(
  start: (onResponse: (res: IncomingMessage) => void) => ClientRequest,
  timeoutMs: number,
  body?: Buffer | string,
  extra: (res: IncomingMessage) => Extra = () => ({}) as Extra,
): Promise<Reply & Extra> {
  return new Promise((resolve, reject) => {
    const req = start((res) => {
      const chunks: Buffer[] = [];
      const more = extra(res);
      res.on("data", (chunk: Buffer) => chunks.push(chunk));
      res.on("end", () =>
        resolve({
          status: res.statusCode ?? 0,
          headers: res.headers,
          body: Buffer.concat(chunks).toString("utf8"),
          ...more,
        }),
      );
    });
    req.on("timeout", () => req.destroy(new Error(`no answer within ${timeoutMs} ms`)));
    req.on("error", reject);
    req.end(body);
  });
}
