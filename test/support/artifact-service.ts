/**
 * A small stand-in for GitHub's artifact services, in front of a real Azurite blob store:
 *
 * - the Twirp results service `github.actions.results.api.v1.ArtifactService`
 *   (CreateArtifact, FinalizeArtifact, ListArtifacts, GetSignedArtifactURL, DeleteArtifact)
 *   that @actions/artifact calls from inside a job, with ACTIONS_RUNTIME_TOKEN;
 * - the few REST endpoints it calls with a token to reach another run's artifacts
 *   (`findBy`): list a run's artifacts, download one (302 to a signed URL), delete one.
 *
 * Blobs go to Azurite through signed (SAS) URLs, exactly as they go to Azure from a runner;
 * only finalized artifacts are listed, as on GitHub. State lives in memory.
 *
 * Every request to the stand-in is recorded (`requests`), and with `recordBlobRequests` the
 * signed URLs lead through a recording proxy in front of Azurite, so a test can compare what
 * two clients send for the same work (test/storage/artifact-protocol.test.ts).
 */
import { randomUUID } from "node:crypto";
import {
  createServer,
  request as httpRequest,
  type IncomingHttpHeaders,
  type IncomingMessage,
  type Server,
  type ServerResponse,
} from "node:http";
import type { AddressInfo } from "node:net";
import {
  BlobSASPermissions,
  BlobServiceClient,
  generateBlobSASQueryParameters,
  StorageSharedKeyCredential,
} from "@azure/storage-blob";
import { AZURITE_ACCOUNT } from "./azurite.ts";

const SERVICE_PREFIX = "/twirp/github.actions.results.api.v1.ArtifactService/";
const CONTAINER = "actions-results";

interface StoredArtifact {
  id: number;
  runBackendId: string;
  jobBackendId: string;
  name: string;
  blobName: string;
  size: number;
  digest?: string;
  createdAt: Date;
  expiresAt?: string;
  finalized: boolean;
}

/** One workflow run as both faces of GitHub know it: backend ids inside, a number outside. */
export interface WorkflowRun {
  runBackendId: string;
  jobBackendId: string;
  workflowRunId: number;
  repositoryOwner: string;
  repositoryName: string;
  /** ACTIONS_RUNTIME_TOKEN for a job step of this run. */
  runtimeToken: string;
}

/** One request as it reached the stand-in or the blob store. */
export interface RecordedRequest {
  api: "twirp" | "rest" | "blob";
  method: string;
  /** The path without the query. */
  path: string;
  query: Record<string, string>;
  /** Lower-case names, as Node gives them. */
  headers: IncomingHttpHeaders;
  /** Twirp and REST: the parsed JSON body, if any. Blob: the byte count, and the text of XML bodies. */
  body?: unknown;
}

export interface ArtifactService {
  /** ACTIONS_RESULTS_URL, and GITHUB_API_URL for the REST endpoints. */
  url: string;
  /** Every request so far, oldest first (blob requests only with recordBlobRequests). */
  readonly requests: RecordedRequest[];
  /** Forgets the recorded requests. */
  clearRequests(): void;
  /** Makes a new workflow run with one job. */
  newRun(repository?: { owner: string; name: string }): WorkflowRun;
  /** The token the REST endpoints accept (a PAT or GITHUB_TOKEN with actions:read). */
  readonly restToken: string;
  /** What was created in a run, finalized or not, with what CreateArtifact was asked. */
  artifactsOf(run: WorkflowRun): Array<{ name: string; finalized: boolean; expiresAt?: string }>;
  /** Overwrites the stored bytes of a finalized artifact, as damage in storage would. */
  damageBlob(run: WorkflowRun, name: string, bytes: Buffer): Promise<void>;
  /** Stops accepting connections, as a service outage; state is kept. */
  goDown(): Promise<void>;
  /** Listens again on the same address after goDown. */
  comeBack(): Promise<void>;
  close(): Promise<void>;
}

export async function startArtifactService(options: {
  azuriteAccountUrl: string;
  /** Lead signed URLs through a proxy that records each blob request. */
  recordBlobRequests?: boolean;
}): Promise<ArtifactService> {
  const credential = new StorageSharedKeyCredential(AZURITE_ACCOUNT.name, AZURITE_ACCOUNT.key);
  const requests: RecordedRequest[] = [];
  const blobProxy = options.recordBlobRequests
    ? await startRecordingProxy(options.azuriteAccountUrl, requests)
    : undefined;
  // The signature covers the blob's path, not the host, so the proxy's address signs alike.
  const signedAccountUrl = blobProxy?.accountUrl ?? options.azuriteAccountUrl;
  const accountUrl = options.azuriteAccountUrl;
  const containerClient = () =>
    new BlobServiceClient(accountUrl, credential).getContainerClient(CONTAINER);
  await containerClient().createIfNotExists();

  const restToken = `ghp_${randomUUID().replace(/-/g, "")}`;
  const artifacts: StoredArtifact[] = [];
  const runs: WorkflowRun[] = [];
  let nextArtifactId = 1000;
  let nextRunId = 5000;

  function signedUrl(blobName: string, permissions: string, fileName?: string): string {
    const query = generateBlobSASQueryParameters(
      {
        containerName: CONTAINER,
        blobName,
        permissions: BlobSASPermissions.parse(permissions),
        expiresOn: new Date(Date.now() + 60 * 60 * 1000),
        ...(fileName ? { contentDisposition: `attachment; filename=${fileName}` } : {}),
      },
      credential,
    ).toString();
    return `${signedAccountUrl}/${CONTAINER}/${encodeURIComponent(blobName)}?${query}`;
  }

  function runOfToken(request: IncomingMessage): WorkflowRun | undefined {
    const token = /^Bearer (.+)$/.exec(request.headers.authorization ?? "")?.[1];
    return runs.find((run) => run.runtimeToken === token);
  }

  function finalizedIn(runBackendId: string): StoredArtifact[] {
    return artifacts.filter((a) => a.runBackendId === runBackendId && a.finalized);
  }

  const twirp: Record<string, (body: Record<string, string>, run: WorkflowRun) => unknown> = {
    CreateArtifact: (body, run) => {
      if (finalizedIn(run.runBackendId).some((a) => a.name === body.name)) {
        throw new TwirpError(409, "already_exists", `artifact ${body.name} already exists`);
      }
      const artifact: StoredArtifact = {
        id: nextArtifactId++,
        runBackendId: run.runBackendId,
        jobBackendId: run.jobBackendId,
        name: body.name!,
        blobName: `${run.runBackendId}/${body.name}`,
        size: 0,
        createdAt: new Date(),
        finalized: false,
        ...(body.expires_at ? { expiresAt: body.expires_at } : {}),
      };
      artifacts.push(artifact);
      return { ok: true, signed_upload_url: signedUrl(artifact.blobName, "cw") };
    },
    FinalizeArtifact: async (body, run) => {
      const artifact = artifacts.find(
        (a) => a.runBackendId === run.runBackendId && a.name === body.name && !a.finalized,
      );
      if (!artifact) throw new TwirpError(404, "not_found", `no artifact ${body.name} to finalize`);
      // Proto JSON leaves out zero values: no size means 0 bytes.
      const size = Number(body.size ?? 0);
      // The real service refuses a size that is not what reached the blob.
      const properties = await containerClient().getBlobClient(artifact.blobName).getProperties();
      if ((properties.contentLength ?? 0) !== size) {
        throw new TwirpError(
          400,
          "invalid_argument",
          `size ${size} does not match the ${properties.contentLength} bytes stored`,
        );
      }
      Object.assign(artifact, { finalized: true, size, digest: body.hash });
      return { ok: true, artifact_id: String(artifact.id) };
    },
    ListArtifacts: (body, run) => ({
      artifacts: finalizedIn(run.runBackendId)
        .filter((a) => !body.name_filter || a.name === body.name_filter)
        .filter((a) => !body.id_filter || String(a.id) === body.id_filter)
        .map((a) => ({
          workflow_run_backend_id: a.runBackendId,
          workflow_job_run_backend_id: a.jobBackendId,
          database_id: String(a.id),
          name: a.name,
          size: String(a.size),
          created_at: a.createdAt.toISOString(),
          ...(a.digest ? { digest: a.digest } : {}),
        })),
    }),
    GetSignedArtifactURL: (body, run) => {
      const artifact = finalizedIn(run.runBackendId).find((a) => a.name === body.name);
      if (!artifact) throw new TwirpError(404, "not_found", `artifact ${body.name} not found`);
      return { signed_url: signedUrl(artifact.blobName, "r", artifact.name) };
    },
    DeleteArtifact: async (body, run) => {
      const artifact = finalizedIn(run.runBackendId).find((a) => a.name === body.name);
      if (!artifact) throw new TwirpError(404, "not_found", `artifact ${body.name} not found`);
      await removeArtifact(artifact);
      return { ok: true, artifact_id: String(artifact.id) };
    },
  };

  async function removeArtifact(artifact: StoredArtifact): Promise<void> {
    await containerClient().getBlobClient(artifact.blobName).deleteIfExists();
    artifacts.splice(artifacts.indexOf(artifact), 1);
  }

  async function serveTwirp(request: IncomingMessage, response: ServerResponse, method: string) {
    const run = runOfToken(request);
    if (!run) throw new TwirpError(401, "unauthenticated", "runtime token not recognised");
    const handler = twirp[method];
    if (!handler) throw new TwirpError(404, "bad_route", `no method ${method}`);
    const body = JSON.parse((await readBody(request)) || "{}") as Record<string, string>;
    requests.push(recorded("twirp", request, body));
    if (body.workflow_run_backend_id && body.workflow_run_backend_id !== run.runBackendId) {
      throw new TwirpError(403, "permission_denied", "token is for another run");
    }
    sendJson(response, 200, await handler(body, run));
  }

  async function serveRest(request: IncomingMessage, response: ServerResponse, url: URL) {
    const text = await readBody(request);
    requests.push(recorded("rest", request, text ? (JSON.parse(text) as unknown) : undefined));
    const token = /^(?:token|Bearer) (.+)$/i.exec(request.headers.authorization ?? "")?.[1];
    if (token !== restToken) {
      sendJson(response, 401, { message: "Bad credentials" });
      return;
    }
    const listRoute = /^\/repos\/([^/]+)\/([^/]+)\/actions\/runs\/(\d+)\/artifacts$/.exec(
      url.pathname,
    );
    const artifactRoute = /^\/repos\/([^/]+)\/([^/]+)\/actions\/artifacts\/(\d+)(\/zip)?$/.exec(
      url.pathname,
    );
    const repositoryRoute = /^\/repos\/([^/]+)\/([^/]+)\/actions\/artifacts$/.exec(url.pathname);
    if (repositoryRoute && request.method === "GET") {
      // Every run's artifacts of the repository, newest first, as GitHub lists them.
      const [, owner, repo] = repositoryRoute;
      const backendIds = new Set(
        runs
          .filter((r) => r.repositoryOwner === owner && r.repositoryName === repo)
          .map((r) => r.runBackendId),
      );
      const matching = artifacts
        .filter((a) => a.finalized && backendIds.has(a.runBackendId))
        .sort((a, b) => b.id - a.id);
      sendArtifactPage(response, url, matching);
      return;
    }
    if (listRoute && request.method === "GET") {
      const [, owner, repo, runId] = listRoute;
      const run = runs.find(
        (r) =>
          r.repositoryOwner === owner &&
          r.repositoryName === repo &&
          r.workflowRunId === Number(runId),
      );
      if (!run) {
        sendJson(response, 404, { message: "Not Found" });
        return;
      }
      sendArtifactPage(response, url, finalizedIn(run.runBackendId));
      return;
    }
    if (artifactRoute) {
      const [, owner, repo, id, zip] = artifactRoute;
      const artifact = artifacts.find((a) => a.id === Number(id) && a.finalized);
      const run = runs.find((r) => r.runBackendId === artifact?.runBackendId);
      if (!artifact || run?.repositoryOwner !== owner || run?.repositoryName !== repo) {
        sendJson(response, 404, { message: "Not Found" });
        return;
      }
      if (request.method === "GET" && zip) {
        response.writeHead(302, { location: signedUrl(artifact.blobName, "r", artifact.name) });
        response.end();
        return;
      }
      if (request.method === "DELETE" && !zip) {
        await removeArtifact(artifact);
        response.writeHead(204);
        response.end();
        return;
      }
    }
    sendJson(response, 404, { message: "Not Found" });
  }

  /** One page of a REST listing, filtered by `name` (exact, as GitHub filters it). */
  function sendArtifactPage(response: ServerResponse, url: URL, listed: StoredArtifact[]) {
    const name = url.searchParams.get("name");
    const page = Number(url.searchParams.get("page") ?? 1);
    const perPage = Math.min(Number(url.searchParams.get("per_page") ?? 30), 100);
    const matching = listed.filter((a) => !name || a.name === name);
    sendJson(response, 200, {
      total_count: matching.length,
      artifacts: matching.slice((page - 1) * perPage, page * perPage).map((a) => {
        const run = runs.find((r) => r.runBackendId === a.runBackendId);
        return {
          id: a.id,
          name: a.name,
          size_in_bytes: a.size,
          created_at: a.createdAt.toISOString(),
          expired: false,
          ...(a.digest ? { digest: a.digest } : {}),
          workflow_run: { id: run?.workflowRunId },
        };
      }),
    });
  }

  const server = createServer((request, response) => {
    const url = new URL(request.url ?? "/", "http://127.0.0.1");
    const handling = url.pathname.startsWith(SERVICE_PREFIX)
      ? serveTwirp(request, response, url.pathname.slice(SERVICE_PREFIX.length))
      : serveRest(request, response, url);
    handling.catch((error: unknown) => {
      if (error instanceof TwirpError) {
        sendJson(response, error.status, { code: error.code, msg: error.message });
      } else {
        sendJson(response, 500, { code: "internal", msg: String(error) });
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const port = (server.address() as AddressInfo).port;
  const url = `http://127.0.0.1:${port}`;
  const stopListening = () =>
    new Promise<void>((resolve) => {
      if (!server.listening) return resolve();
      server.closeAllConnections();
      server.close(() => resolve());
    });

  return {
    url,
    requests,
    clearRequests: () => {
      requests.length = 0;
    },
    restToken,
    newRun(repository = { owner: "example-org", name: "etcd-backups" }) {
      const runBackendId = randomUUID();
      const jobBackendId = randomUUID();
      const run: WorkflowRun = {
        runBackendId,
        jobBackendId,
        workflowRunId: nextRunId++,
        repositoryOwner: repository.owner,
        repositoryName: repository.name,
        runtimeToken: runtimeTokenFor(runBackendId, jobBackendId),
      };
      runs.push(run);
      return run;
    },
    artifactsOf: (run) =>
      artifacts
        .filter((a) => a.runBackendId === run.runBackendId)
        .map((a) => ({
          name: a.name,
          finalized: a.finalized,
          ...(a.expiresAt ? { expiresAt: a.expiresAt } : {}),
        })),
    damageBlob: async (run, name, bytes) => {
      const artifact = finalizedIn(run.runBackendId).find((a) => a.name === name);
      if (!artifact) throw new Error(`no finalized artifact ${name} in run ${run.workflowRunId}`);
      await containerClient()
        .getBlockBlobClient(artifact.blobName)
        .upload(bytes, bytes.length, {
          blobHTTPHeaders: { blobContentType: "application/octet-stream" },
        });
    },
    goDown: stopListening,
    comeBack: () => new Promise<void>((resolve) => server.listen(port, "127.0.0.1", resolve)),
    close: async () => {
      await stopListening();
      await blobProxy?.close();
    },
  };
}

/**
 * An ACTIONS_RUNTIME_TOKEN as the runner hands it to a step: a JWT whose `scp` claim names
 * the run and job. @actions/artifact reads the claim and does not check the signature.
 */
function runtimeTokenFor(runBackendId: string, jobBackendId: string): string {
  const encode = (value: object) => Buffer.from(JSON.stringify(value)).toString("base64url");
  const claims = {
    scp: `Actions.GenericRead:00000000-0000-0000-0000-000000000000 Actions.Results:${runBackendId}:${jobBackendId}`,
    exp: Math.floor(Date.now() / 1000) + 3600,
  };
  return `${encode({ alg: "RS256", typ: "JWT" })}.${encode(claims)}.c2lnbmF0dXJl`;
}

class TwirpError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

function readBody(request: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    request.on("data", (chunk: Buffer) => chunks.push(chunk));
    request.on("end", () => resolve(Buffer.concat(chunks).toString()));
    request.on("error", reject);
  });
}

function sendJson(response: ServerResponse, status: number, body: unknown): void {
  if (response.headersSent) return;
  response.writeHead(status, { "content-type": "application/json" });
  response.end(JSON.stringify(body));
}

function recorded(
  api: RecordedRequest["api"],
  request: IncomingMessage,
  body: unknown,
): RecordedRequest {
  const url = new URL(request.url ?? "/", "http://127.0.0.1");
  return {
    api,
    method: request.method ?? "",
    path: decodeURIComponent(url.pathname),
    query: Object.fromEntries(url.searchParams),
    headers: { ...request.headers },
    ...(body !== undefined ? { body } : {}),
  };
}

/**
 * An HTTP proxy in front of Azurite that records each request (bodies are counted, not
 * kept, except XML such as a block list) and passes request and answer through unchanged.
 */
async function startRecordingProxy(
  azuriteAccountUrl: string,
  requests: RecordedRequest[],
): Promise<{ accountUrl: string; close: () => Promise<void> }> {
  const target = new URL(azuriteAccountUrl);
  const server: Server = createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on("data", (chunk: Buffer) => chunks.push(chunk));
    request.once("error", () => response.destroy());
    request.once("end", () => {
      const body = Buffer.concat(chunks);
      const isXml = /xml/.test(String(request.headers["content-type"] ?? ""));
      requests.push(
        recorded(
          "blob",
          request,
          isXml ? { bytes: body.length, text: body.toString() } : { bytes: body.length },
        ),
      );
      const forwarded = httpRequest(
        {
          host: target.hostname,
          port: target.port,
          method: request.method,
          path: request.url,
          headers: { ...request.headers, host: target.host },
        },
        (answer) => {
          response.writeHead(answer.statusCode ?? 502, answer.headers);
          answer.pipe(response);
        },
      );
      forwarded.once("error", () => response.destroy());
      forwarded.end(body);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    accountUrl: `http://127.0.0.1:${port}${target.pathname}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
