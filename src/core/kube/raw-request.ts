/**
 * A REST call that keeps the object exactly as the API server sent it: client-node's typed
 * models drop fields they do not know, which must not happen to an object we re-create.
 */
import { request } from "node:https";
import type { KubeConfig } from "@kubernetes/client-node";
import { CancelledError } from "../errors.ts";
import { describeApiError } from "./errors.ts";

export interface RawResponse {
  code: number;
  /** The parsed JSON body (a Status on errors), or the text when it is not JSON. */
  body: unknown;
}

/** How long one call may take: the API server answers these in milliseconds. */
const REQUEST_TIMEOUT_MS = 60_000;

/** `error.code` and `error.body` as client-node's ApiException has them, for describeApiError. */
export class RawApiError extends Error {
  constructor(
    readonly code: number,
    readonly body: unknown,
  ) {
    super(`HTTP ${code}`);
  }
}

/** One JSON request; a transport failure rejects, every HTTP answer resolves. */
export async function rawRequest(
  config: KubeConfig,
  method: "GET" | "POST" | "DELETE",
  path: string,
  body?: unknown,
  signal?: AbortSignal,
): Promise<RawResponse> {
  const server = config.getCurrentCluster()?.server;
  if (!server) throw new Error("kubeconfig has no current cluster");
  const options: Parameters<typeof request>[1] & { headers: Record<string, string> } = {
    method,
    headers: { Accept: "application/json" },
  };
  await config.applyToHTTPSOptions(options);
  const payload = body === undefined ? undefined : Buffer.from(JSON.stringify(body));
  if (payload) {
    options.headers["Content-Type"] = "application/json";
    options.headers["Content-Length"] = String(payload.length);
  }
  const url = new URL(server.replace(/\/$/, "") + path);
  return new Promise<RawResponse>((resolve, reject) => {
    const call = request(url, { ...options, timeout: REQUEST_TIMEOUT_MS }, (response) => {
      const chunks: Buffer[] = [];
      response.on("data", (chunk: Buffer) => chunks.push(chunk));
      response.on("error", reject);
      response.on("end", () => {
        const text = Buffer.concat(chunks).toString("utf8");
        let parsed: unknown = text;
        try {
          parsed = JSON.parse(text);
        } catch {
          // Not JSON (a proxy's error page): kept as text for the message.
        }
        resolve({ code: response.statusCode ?? 0, body: parsed });
      });
    });
    call.on("timeout", () =>
      call.destroy(new Error(`no answer within ${REQUEST_TIMEOUT_MS / 1000} s`)),
    );
    call.on("error", reject);
    const onAbort = () => call.destroy(new CancelledError(`${method} ${path} was cancelled.`));
    signal?.addEventListener("abort", onAbort, { once: true });
    call.on("close", () => signal?.removeEventListener("abort", onAbort));
    call.end(payload);
  });
}

/**
 * rawRequest whose failures (the transport's and every HTTP error answer) are one error naming
 * the object and the action, except the answers the caller handles itself (`allowed`: 404 for
 * "there is none", 409 for "already there").
 */
export async function rawRequestOrThrow(
  config: KubeConfig,
  request: {
    method: "GET" | "POST" | "DELETE";
    path: string;
    body?: unknown;
    signal?: AbortSignal;
  },
  what: string,
  action: string,
  allowed: readonly number[],
): Promise<RawResponse> {
  let response;
  try {
    response = await rawRequest(config, request.method, request.path, request.body, request.signal);
  } catch (error) {
    throw new Error(describeApiError(error, what, action), { cause: error });
  }
  if (response.code < 300 || allowed.includes(response.code)) return response;
  const error = new RawApiError(response.code, response.body);
  throw new Error(describeApiError(error, what, action), { cause: error });
}
