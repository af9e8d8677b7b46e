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
 */
import { randomUUID } from "node:crypto";
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
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

export interface ArtifactService {
  /** ACTIONS_RESULTS_URL, and GITHUB_API_URL for the REST endpoints. */
  url: string;
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
}): Promise<ArtifactService> {
  const credential = new StorageSharedKeyCredential(AZURITE_ACCOUNT.name, AZURITE_ACCOUNT.key);
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
    return `${accountUrl}/${CONTAINER}/${encodeURIComponent(blobName)}?${query}`;
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
    if (body.workflow_run_backend_id && body.workflow_run_backend_id !== run.runBackendId) {
      throw new TwirpError(403, "permission_denied", "token is for another run");
    }
    sendJson(response, 200, await handler(body, run));
  }

  async function serveRest(request: IncomingMessage, response: ServerResponse, url: URL) {
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
      const name = url.searchParams.get("name");
      const page = Number(url.searchParams.get("page") ?? 1);
      const perPage = Number(url.searchParams.get("per_page") ?? 30);
      const matching = finalizedIn(run.runBackendId).filter((a) => !name || a.name === name);
      sendJson(response, 200, {
        total_count: matching.length,
        artifacts: matching.slice((page - 1) * perPage, page * perPage).map((a) => ({
          id: a.id,
          name: a.name,
          size_in_bytes: a.size,
          created_at: a.createdAt.toISOString(),
          expired: false,
          ...(a.digest ? { digest: a.digest } : {}),
        })),
      });
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
    close: stopListening,
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
