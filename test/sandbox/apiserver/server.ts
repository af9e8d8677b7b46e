/**
 * The sandbox's Kubernetes API server: HTTPS with the sandbox's certificate, bearer-token
 * authentication, health and version endpoints, discovery, OpenAPI, the REST verbs on the
 * registry's resources, WATCH, and exec over WebSocket. It knows nothing of processes: pods
 * are objects in the ObjectStore, and exec goes through the PodExecutor seam.
 */
import { timingSafeEqual } from "node:crypto";
import { readFile } from "node:fs/promises";
import type { IncomingMessage, ServerResponse } from "node:http";
import { createServer, type Server } from "node:https";
import type { AddressInfo } from "node:net";
import type { Duplex } from "node:stream";
import type { PodExecutor } from "../exec.ts";
import type { ObjectStore } from "../store.ts";
import {
  AGGREGATED_DISCOVERY_TYPE,
  aggregatedDiscovery,
  legacyApiVersions,
  legacyGroupList,
  legacyResourceList,
  wantsAggregatedDiscovery,
} from "./discovery.ts";
import { ExecEndpoint, parseExecQuery, type ExecProtocol } from "./exec.ts";
import { openApiDocumentFor, openApiRoot } from "./openapi.ts";
import {
  createObject,
  deleteObject,
  getObject,
  listObjects,
  patchObject,
  readScale,
  replaceObject,
  updateScale,
  type RestRequest,
} from "./rest.ts";
import { parseResourcePath, type ResourceRoute } from "./routes.ts";
import { ApiError, badRequest, failureStatus, notFound, toApiError } from "./status.ts";
import { isWatchRequest, serveWatch } from "./watch.ts";

export interface ApiServerOptions {
  store: ObjectStore;
  executor: PodExecutor;
  /** The bearer token every client must present. */
  token: string;
  /** PEM files of the serving certificate; clients trust it through the kubeconfig's CA. */
  tls: { certPath: string; keyPath: string };
  host?: string;
  /** 0 (the default) picks a free port. */
  port?: number;
  /** Called with one line per request; set SANDBOX_APISERVER_LOG=1 to print them to stderr. */
  onRequest?: (line: string) => void;
  /**
   * The exec subprotocols served, in order of preference; all by default. Without
   * `v5.channel.k8s.io` it behaves as an API server before Kubernetes 1.30.
   */
  execProtocols?: readonly ExecProtocol[];
}

export interface RunningApiServer {
  /** https://127.0.0.1:<port> */
  url: string;
  port: number;
  /**
   * As a stopped kube-apiserver: the listener closes (new connections are refused) and every
   * open connection, watch and exec session is dropped. The objects stay in the store.
   */
  stopServing(): void;
  /** Listens again on the same address and port. */
  resumeServing(): Promise<void>;
  /** Whether the listener is open. */
  serving(): boolean;
  close(): Promise<void>;
}

const MAX_BODY_BYTES = 3 * 1024 * 1024;
const HEALTH_PATHS = new Set(["/healthz", "/livez", "/readyz"]);
export const SANDBOX_VERSION = {
  major: "1",
  minor: "32",
  gitVersion: "v1.32.4-sandbox",
  gitCommit: "0000000000000000000000000000000000000000",
  gitTreeState: "clean",
  buildDate: "2026-01-01T00:00:00Z",
  goVersion: "go1.23.8",
  compiler: "gc",
  platform: "linux/amd64",
};

type Authentication = "valid" | "anonymous" | "invalid";

function authenticate(request: IncomingMessage, token: Buffer): Authentication {
  const header = request.headers.authorization;
  if (!header) return "anonymous";
  const match = /^Bearer\s+(.+)$/i.exec(header.trim());
  if (!match) return "invalid";
  const presented = Buffer.from(match[1] ?? "");
  return presented.length === token.length && timingSafeEqual(presented, token)
    ? "valid"
    : "invalid";
}

function sendJson(
  response: ServerResponse,
  code: number,
  body: unknown,
  contentType = "application/json",
): void {
  const text = JSON.stringify(body);
  response.writeHead(code, {
    "Content-Type": contentType,
    "Content-Length": Buffer.byteLength(text),
    "Cache-Control": "no-cache, private",
  });
  response.end(text);
}

function sendError(response: ServerResponse, error: ApiError): void {
  sendJson(response, error.code, error.toStatus());
}

async function readBody(request: IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of request as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > MAX_BODY_BYTES)
      throw new ApiError(
        413,
        "BadRequest",
        `the request body is larger than ${MAX_BODY_BYTES} bytes`,
      );
    chunks.push(chunk);
  }
  return Buffer.concat(chunks);
}

const unauthorized = () => new ApiError(401, "Unauthorized", "Unauthorized");

export async function startApiServer(options: ApiServerOptions): Promise<RunningApiServer> {
  const [key, cert] = await Promise.all([
    readFile(options.tls.keyPath),
    readFile(options.tls.certPath),
  ]);
  if (!options.token)
    throw new Error("startApiServer needs a non-empty bearer token: options.token is empty");
  const token = Buffer.from(options.token);
  const host = options.host ?? "127.0.0.1";
  const log =
    options.onRequest ??
    (process.env.SANDBOX_APISERVER_LOG
      ? (line: string) => process.stderr.write(`apiserver: ${line}\n`)
      : undefined);
  const exec = new ExecEndpoint(options.executor, options.execProtocols);
  const server: Server = createServer({ key, cert });
  let serverAddress = "";

  server.on("request", (request: IncomingMessage, response: ServerResponse) => {
    const started = Date.now();
    response.once("finish", () =>
      log?.(`${request.method} ${request.url} ${response.statusCode} ${Date.now() - started}ms`),
    );
    handleRequest(request, response).catch((error: unknown) => {
      if (response.headersSent) {
        response.destroy();
        return;
      }
      sendError(response, toApiError(error));
    });
  });

  server.on("upgrade", (request: IncomingMessage, socket: Duplex, head: Buffer) => {
    // After an upgrade the socket is ours: a reset by the client must not be an uncaught error.
    socket.on("error", () => socket.destroy());
    log?.(
      `${request.method} ${request.url} upgrade ${String(request.headers["sec-websocket-protocol"] ?? "")}`,
    );
    try {
      upgradeExec(request, socket, head);
    } catch (error) {
      refuseUpgrade(socket, toApiError(error));
    }
  });

  async function handleRequest(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const url = new URL(request.url ?? "/", "https://sandbox");
    const authentication = authenticate(request, token);
    // As on a real cluster, health checks are open to anonymous callers; a wrong token is not.
    if (HEALTH_PATHS.has(url.pathname) && authentication !== "invalid") {
      response.writeHead(200, { "Content-Type": "text/plain; charset=utf-8" });
      response.end("ok");
      return;
    }
    if (authentication !== "valid") throw unauthorized();
    const accept = request.headers.accept ?? "";

    if (url.pathname === "/version") return sendJson(response, 200, SANDBOX_VERSION);
    if (url.pathname === "/api" || url.pathname === "/apis") {
      if (wantsAggregatedDiscovery(accept)) {
        return sendJson(
          response,
          200,
          aggregatedDiscovery(url.pathname),
          AGGREGATED_DISCOVERY_TYPE,
        );
      }
      return sendJson(
        response,
        200,
        url.pathname === "/api" ? legacyApiVersions(serverAddress) : legacyGroupList(),
      );
    }
    const groupVersion = /^\/(?:api\/(v1)|apis\/([^/]+)\/([^/]+))\/?$/.exec(url.pathname);
    if (groupVersion) {
      const resources = groupVersion[1]
        ? legacyResourceList("", "v1")
        : legacyResourceList(groupVersion[2] ?? "", groupVersion[3] ?? "");
      if (!resources)
        throw new ApiError(
          404,
          "NotFound",
          `the server could not find the requested resource ${url.pathname}`,
        );
      return sendJson(response, 200, resources);
    }
    const group = /^\/apis\/([^/]+)\/?$/.exec(url.pathname);
    if (group) {
      const found = legacyGroupList().groups.find((candidate) => candidate.name === group[1]);
      if (!found)
        throw new ApiError(
          404,
          "NotFound",
          `the server could not find the requested resource ${url.pathname}`,
        );
      return sendJson(response, 200, { kind: "APIGroup", apiVersion: "v1", ...found });
    }
    if (url.pathname === "/openapi/v3") return sendJson(response, 200, openApiRoot());
    if (url.pathname.startsWith("/openapi/v3/")) {
      const document = openApiDocumentFor(url.pathname);
      if (!document)
        throw new ApiError(404, "NotFound", `no OpenAPI v3 document at ${url.pathname}`);
      return sendJson(response, 200, document);
    }

    const route = parseResourcePath(url.pathname);
    if (!route)
      throw new ApiError(
        404,
        "NotFound",
        `the server could not find the requested resource ${url.pathname}`,
      );
    const method = request.method ?? "GET";
    const rest: RestRequest = {
      route,
      query: url.searchParams,
      accept,
      contentType: request.headers["content-type"] ?? "",
      body: method === "GET" ? Buffer.alloc(0) : await readBody(request),
    };
    if (method === "GET" && !route.subresource && isWatchRequest(url.searchParams)) {
      return serveWatch(options.store, rest, response);
    }
    const { code, body } = dispatch(method, route, rest);
    sendJson(response, code, body);
  }

  function dispatch(
    method: string,
    route: ResourceRoute,
    rest: RestRequest,
  ): { code: number; body: unknown } {
    const store = options.store;
    const ok = (body: unknown) => ({ code: 200, body });
    const notAllowed = () =>
      new ApiError(
        405,
        "MethodNotAllowed",
        `the server does not allow this method on the requested resource (${method} ${route.type.plural}${route.subresource ? "/" + route.subresource : ""})`,
      );
    const subresource = route.subresource;
    if (subresource && !route.type.subresources.some((sub) => sub.name === subresource)) {
      throw new ApiError(
        404,
        "NotFound",
        `the server could not find the requested resource (${route.type.plural}/${subresource})`,
      );
    }
    if (subresource === "exec") throw badRequest("Upgrade request required");
    if (subresource === "scale") {
      if (method === "GET") return ok(readScale(store, rest));
      if (method === "PUT" || method === "PATCH") return ok(updateScale(store, rest, method));
      throw notAllowed();
    }
    switch (method) {
      case "GET":
        return ok(route.name ? getObject(store, rest) : listObjects(store, rest));
      case "POST": {
        if (subresource) throw notAllowed();
        const created = createObject(store, rest);
        return { code: created.code, body: created.object };
      }
      case "PUT":
        return ok(replaceObject(store, rest));
      case "PATCH":
        return ok(patchObject(store, rest));
      case "DELETE":
        return ok(deleteObject(store, rest));
      default:
        throw notAllowed();
    }
  }

  /** Checks an exec upgrade as the API server does before handing the socket over. */
  function upgradeExec(request: IncomingMessage, socket: Duplex, head: Buffer): void {
    if (authenticate(request, token) !== "valid") throw unauthorized();
    const url = new URL(request.url ?? "/", "https://sandbox");
    const route = parseResourcePath(url.pathname);
    if (
      !route ||
      route.type.key !== "pods" ||
      route.subresource !== "exec" ||
      !route.name ||
      !route.namespace
    ) {
      throw new ApiError(
        404,
        "NotFound",
        `the server could not find the requested resource ${url.pathname}: only pods/exec upgrades to a WebSocket`,
      );
    }
    if (!options.store.get("pods", route.namespace, route.name))
      throw notFound(route.type, route.name);
    const execOptions = parseExecQuery(url.searchParams);
    if (typeof execOptions === "string") throw badRequest(execOptions);
    const offered = String(request.headers["sec-websocket-protocol"] ?? "")
      .split(",")
      .map((protocol) => protocol.trim());
    if (!offered.some((protocol) => (exec.protocols as readonly string[]).includes(protocol))) {
      throw badRequest(
        `none of the offered WebSocket subprotocols (${offered.join(", ") || "none"}) is one of ${exec.protocols.join(", ")}`,
      );
    }
    exec.upgrade(
      request,
      socket,
      head,
      { namespace: route.namespace, pod: route.name },
      execOptions,
    );
  }

  const listen = (port: number) =>
    new Promise<void>((resolve, reject) => {
      server.once("error", reject);
      server.listen(port, host, () => {
        server.off("error", reject);
        resolve();
      });
    });
  await listen(options.port ?? 0);
  const port = (server.address() as AddressInfo).port;
  serverAddress = `${urlHost(host)}:${port}`;
  let closed = false;
  return {
    url: `https://${serverAddress}`,
    port,
    stopServing: () => {
      if (server.listening) server.close();
      server.closeAllConnections();
      exec.dropAll();
    },
    resumeServing: async () => {
      if (closed || server.listening) return;
      await listen(port);
    },
    serving: () => server.listening,
    close: () =>
      new Promise<void>((resolve) => {
        closed = true;
        exec.closeAll();
        // Already stopped serving: close() reports "not running"; nothing is left to wait for.
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

/** The host clients dial: a wildcard listen address is reached on loopback; IPv6 in brackets. */
function urlHost(host: string): string {
  const dialled = host === "0.0.0.0" ? "127.0.0.1" : host === "::" ? "::1" : host;
  return dialled.includes(":") ? `[${dialled}]` : dialled;
}

/** Answers a refused upgrade with a plain HTTP Status response, as before any WebSocket exists. */
function refuseUpgrade(socket: Duplex, error: ApiError): void {
  const body = JSON.stringify(
    failureStatus(error.code, error.reason, error.message, error.details),
  );
  const reason =
    { 400: "Bad Request", 401: "Unauthorized", 404: "Not Found" }[error.code as 400 | 401 | 404] ??
    "Error";
  socket.end(
    `HTTP/1.1 ${error.code} ${reason}\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`,
  );
}
