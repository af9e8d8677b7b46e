/**
 * One HTTP(S) request with a small answer, over node:http. The artifact backend's calls go
 * through it rather than fetch: loading fetch (undici) alone takes ~14 MiB of memory, a
 * tenth of the bound a backup or restore keeps to (test/storage/large.test.ts).
 */
import http from "node:http";
import https from "node:https";

export interface HttpAnswer {
  status: number;
  headers: http.IncomingHttpHeaders;
  /** The answer's body as text (answers here are JSON or XML of a few KiB). */
  text: string;
}

export interface HttpRequestOptions {
  method: string;
  headers?: Record<string, string>;
  /** Sent as it is, with its exact length. */
  body?: Buffer | string;
  /** A request with no progress for this long is abandoned; default 120 s. */
  idleTimeoutMs?: number;
}

/** Sends the request and reads the whole answer; rejects on network errors only. */
export function httpRequest(url: string | URL, options: HttpRequestOptions): Promise<HttpAnswer> {
  const target = typeof url === "string" ? new URL(url) : url;
  const client = target.protocol === "https:" ? https : http;
  const body = typeof options.body === "string" ? Buffer.from(options.body) : options.body;
  const headers = {
    ...options.headers,
    ...(body ? { "Content-Length": String(body.length) } : {}),
  };
  const idleTimeoutMs = options.idleTimeoutMs ?? 120_000;
  return new Promise((resolve, reject) => {
    const request = client.request(target, { method: options.method, headers }, (response) => {
      const chunks: Buffer[] = [];
      response.on("data", (chunk: Buffer) => chunks.push(chunk));
      response.once("error", reject);
      response.once("end", () =>
        resolve({
          status: response.statusCode ?? 0,
          headers: response.headers,
          text: Buffer.concat(chunks).toString("utf8"),
        }),
      );
    });
    request.once("error", reject);
    request.setTimeout(idleTimeoutMs, () =>
      request.destroy(new Error(`no progress for ${idleTimeoutMs / 1000} s`)),
    );
    request.end(body);
  });
}
