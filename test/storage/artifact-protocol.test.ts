/**
 * Request by request, our artifact client speaks as the official @actions/artifact client
 * does. The interop test shows the two read each other's artifacts through our stand-in;
 * but a stand-in can accept what GitHub's service refuses. So both clients do the same
 * work here (upload, list, download, delete; in this run and through the REST API), every
 * request each sends is recorded (the stand-in and a proxy in front of Azurite record
 * them), and the two records must be equal once the values that must differ are
 * normalised: run and job ids, artifact ids, block ids, timestamps, signatures, tokens,
 * request ids and user agents.
 *
 * When a new @actions/artifact changes a request (a header, a body field, an extra call),
 * this test fails and shows the difference.
 *
 * Deliberate differences, normalised below and nowhere else:
 * - block size: @azure/storage-blob stages 8 MiB blocks, we stage 4 MiB blocks (memory);
 *   consecutive Put Block requests are compared as one, by their headers and total bytes;
 * - the repository-wide listing has no counterpart in the official client; it is compared
 *   with the official lookup by name in one run (same headers and `name` filter).
 */
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runContextFromEnvironment } from "../../src/core/run-context.ts";
import {
  artifactsNamed,
  deleteArtifact,
  listArtifacts,
  RepositoryApi,
  ResultsService,
} from "../../src/core/storage/artifact-api.ts";
import { downloadArtifactFile } from "../../src/core/storage/artifact-download.ts";
import { uploadArtifactFile } from "../../src/core/storage/artifact-upload.ts";
import {
  startArtifactService,
  type ArtifactService,
  type RecordedRequest,
  type WorkflowRun,
} from "../support/artifact-service.ts";
import { startAzurite, type AzuriteBlob } from "../support/azurite.ts";

const MANIFEST_NAME = "etcd-backup.uc1.user-etcd.20261127T120000Z.manifest.json";
const PAYLOAD_NAME = "etcd-backup.uc1.user-etcd.20261127T120000Z.snapshot.db.zst.age";
// More than two of our blocks and more than one of the official client's.
const PAYLOAD_BYTES = 9 * 1024 * 1024 + 5;

let azurite: AzuriteBlob;
let service: ArtifactService;
let work: string;
let manifestFile: string;
let payloadFile: string;
const savedEnvironment = { ...process.env };

beforeAll(async () => {
  azurite = await startAzurite();
  service = await startArtifactService({
    azuriteAccountUrl: azurite.accountUrl,
    recordBlobRequests: true,
  });
  work = await mkdtemp(path.join(tmpdir(), "artifact-protocol-"));
  manifestFile = path.join(work, MANIFEST_NAME);
  payloadFile = path.join(work, PAYLOAD_NAME);
  await writeFile(manifestFile, '{"cluster":"uc1"}\n');
  await writeFile(payloadFile, Buffer.alloc(PAYLOAD_BYTES, 0x5a));
  process.env.ACTIONS_RESULTS_URL = `${service.url}/`;
  // @actions/github fixes its API base URL when first imported: set it before that.
  process.env.GITHUB_API_URL = service.url;
  delete process.env.GITHUB_SERVER_URL;
  delete process.env.GITHUB_RETENTION_DAYS;
});

afterAll(async () => {
  process.env = savedEnvironment;
  await service?.close();
  await azurite?.stop();
  if (work) await rm(work, { recursive: true, force: true });
});

/** A new run, entered as the runner would set up its job step. */
function enterNewRun(repository?: { owner: string; name: string }): WorkflowRun {
  const run = service.newRun(repository);
  process.env.ACTIONS_RUNTIME_TOKEN = run.runtimeToken;
  return run;
}

function findBy(run: WorkflowRun) {
  return {
    token: service.restToken,
    workflowRunId: run.workflowRunId,
    repositoryOwner: run.repositoryOwner,
    repositoryName: run.repositoryName,
  };
}

async function officialClient() {
  const { DefaultArtifactClient } = await import("@actions/artifact");
  return new DefaultArtifactClient();
}

function ourResultsService(): ResultsService {
  return new ResultsService(runContextFromEnvironment(process.env).artifactRuntime);
}

/** The requests `work` makes, from a clean record. */
async function recordRequests(work: () => Promise<unknown>): Promise<RecordedRequest[]> {
  service.clearRequests();
  await work();
  return structuredClone(service.requests);
}

const downloadFolder = () => mkdtemp(path.join(work, "download-"));

// Headers the HTTP stacks add on their own (undici's fetch, Node's http), saying nothing
// about the protocol; content-length is compared through the bodies.
const TRANSPORT_HEADERS = new Set([
  "host",
  "connection",
  "content-length",
  "transfer-encoding",
  "accept-encoding",
  "accept-language",
  "sec-fetch-mode",
]);

/** One request with the values that must differ replaced by what they stand for. */
interface NormalisedRequest {
  api: string;
  method: string;
  path: string;
  query: Record<string, string>;
  headers: Record<string, string>;
  body?: unknown;
}

function normalise(requests: RecordedRequest[], runs: WorkflowRun[]): NormalisedRequest[] {
  const ids = new Map<string, string>();
  for (const [index, run] of runs.entries()) {
    ids.set(run.runBackendId, `<run ${index}>`);
    ids.set(run.jobBackendId, `<job ${index}>`);
    ids.set(String(run.workflowRunId), `<run number ${index}>`);
  }
  const text = (value: string) => {
    let result = value;
    for (const [id, placeholder] of ids) result = result.split(id).join(placeholder);
    return result.replace(/\/actions\/artifacts\/\d+/, "/actions/artifacts/<artifact id>");
  };
  const normalised = requests.map((request): NormalisedRequest => {
    const headers: Record<string, string> = {};
    for (const [name, value] of Object.entries(request.headers)) {
      if (TRANSPORT_HEADERS.has(name) || value === undefined) continue;
      headers[name] = normaliseHeader(name, String(value));
    }
    const query: Record<string, string> = {};
    for (const [name, value] of Object.entries(request.query)) {
      // The signature and its expiry: the service's, different at every signing.
      if (name === "sig" || name === "se") query[name] = "<signature>";
      else if (name === "blockid") query[name] = "<block id>";
      else query[name] = text(value);
    }
    return {
      api: request.api,
      method: request.method,
      path: text(request.path),
      query,
      headers,
      ...(request.body !== undefined ? { body: normaliseBody(request.body, text) } : {}),
    };
  });
  return mergeBlockUploads(normalised);
}

function normaliseHeader(name: string, value: string): string {
  if (name === "user-agent") return "<user agent>";
  if (name === "x-ms-client-request-id") return "<request id>";
  if (name === "authorization") return value.replace(/^(\S+) .+$/, "$1 <token>");
  return value;
}

function normaliseBody(body: unknown, text: (value: string) => string): unknown {
  if (typeof body !== "object" || body === null) return body;
  const record = body as Record<string, unknown>;
  if (typeof record.text === "string") {
    // A block list: the same blocks, once each, whatever their ids.
    return { xml: record.text.replace(/<Latest>[^<]+<\/Latest>/g, "<Latest>…</Latest>") };
  }
  if ("bytes" in record) return record;
  const fields: Record<string, unknown> = {};
  for (const [name, value] of Object.entries(record)) {
    if (name === "expires_at") fields[name] = "<time>";
    else if (name === "id_filter") fields[name] = "<artifact id>";
    else fields[name] = typeof value === "string" ? text(value) : value;
  }
  return fields;
}

/**
 * Consecutive Put Block requests as one: block sizes differ by design (see the top). The
 * block list's own repeated entries were folded the same way by normaliseBody.
 */
function mergeBlockUploads(requests: NormalisedRequest[]): NormalisedRequest[] {
  const merged: NormalisedRequest[] = [];
  for (const request of requests) {
    const previous = merged.at(-1);
    const isBlock = request.api === "blob" && request.query.comp === "block";
    if (isBlock && previous?.api === "blob" && previous.query.comp === "block") {
      expect(request.headers).toEqual(previous.headers);
      const bytes = (request.body as { bytes: number }).bytes;
      previous.body = { bytes: (previous.body as { bytes: number }).bytes + bytes };
      continue;
    }
    merged.push(request);
  }
  for (const request of merged) {
    if (request.body && typeof request.body === "object" && "xml" in request.body) {
      const xml = (request.body as { xml: string }).xml;
      request.body = { xml: xml.replace(/(<Latest>…<\/Latest>)+/, "<Latest>…</Latest>+") };
    }
  }
  return merged;
}

/** Every block staged is in the committed list, in a list of the same length. */
function expectBlockListCommitsStagedBlocks(requests: RecordedRequest[]): void {
  const staged = requests
    .filter((request) => request.api === "blob" && request.query.comp === "block")
    .map((request) => request.query.blockid);
  const committed = requests
    .filter((request) => request.api === "blob" && request.query.comp === "blocklist")
    .flatMap((request) =>
      [
        ...String((request.body as { text?: string }).text).matchAll(/<Latest>([^<]+)<\/Latest>/g),
      ].map((match) => match[1]),
    );
  expect(committed.length).toBeGreaterThan(0);
  expect([...committed].sort()).toEqual([...staged].sort());
}

type OfficialClient = Awaited<ReturnType<typeof officialClient>>;

/**
 * Runs the same work with each client, each on a run of its own that `prepare` sets up,
 * and gives both records normalised. The work deletes what `prepare` made: checked.
 */
async function recordBothClients(scenario: {
  prepare: () => Promise<WorkflowRun>;
  official: (client: OfficialClient, run: WorkflowRun) => Promise<void>;
  ours: (run: WorkflowRun) => Promise<void>;
}): Promise<{ official: NormalisedRequest[]; ours: NormalisedRequest[] }> {
  const client = await officialClient();
  const normalisedRecords: NormalisedRequest[][] = [];
  for (const work of [(run: WorkflowRun) => scenario.official(client, run), scenario.ours]) {
    const run = await scenario.prepare();
    const requests = await recordRequests(() => work(run));
    expect(service.artifactsOf(run)).toEqual([]);
    normalisedRecords.push(normalise(requests, [run]));
  }
  return { official: normalisedRecords[0]!, ours: normalisedRecords[1]! };
}

/** Our download of a listed artifact into a new folder. */
async function downloadIn(
  source: ResultsService | RepositoryApi,
  artifact: { id: number; name: string },
): Promise<void> {
  await downloadArtifactFile(source, {
    id: artifact.id,
    name: artifact.name,
    file: path.join(await downloadFolder(), artifact.name),
  });
}

describe("the artifact protocol: our requests are the official @actions/artifact client's", () => {
  it("uploads a small and a multi-block file with the same requests (skipArchive)", async () => {
    const officialRun = enterNewRun();
    const client = await officialClient();
    const official = await recordRequests(async () => {
      await client.uploadArtifact(MANIFEST_NAME, [manifestFile], work, { skipArchive: true });
      await client.uploadArtifact(PAYLOAD_NAME, [payloadFile], work, {
        skipArchive: true,
        retentionDays: 5,
      });
    });
    const ourRun = enterNewRun();
    const results = ourResultsService();
    const ours = await recordRequests(async () => {
      await uploadArtifactFile(results, { name: MANIFEST_NAME, file: manifestFile });
      await uploadArtifactFile(results, {
        name: PAYLOAD_NAME,
        file: payloadFile,
        retentionDays: 5,
      });
    });

    expectBlockListCommitsStagedBlocks(official);
    expectBlockListCommitsStagedBlocks(ours);
    const expected = normalise(official, [officialRun]);
    // The record holds the whole exchange: two creates, blocks, lists and finalizes.
    expect(expected.map((request) => `${request.api} ${request.method}`)).toEqual([
      "twirp POST",
      "blob PUT",
      "blob PUT",
      "twirp POST",
      "twirp POST",
      "blob PUT",
      "blob PUT",
      "twirp POST",
    ]);
    expect(normalise(ours, [ourRun])).toEqual(expected);
  });

  it("lists, downloads and deletes this run's artifacts with the same requests", async () => {
    const { official, ours } = await recordBothClients({
      prepare: async () => {
        const run = enterNewRun();
        await uploadArtifactFile(ourResultsService(), { name: MANIFEST_NAME, file: manifestFile });
        return run;
      },
      official: async (client) => {
        const { artifacts } = await client.listArtifacts({ latest: true });
        await client.downloadArtifact(artifacts[0]!.id, { path: await downloadFolder() });
        await client.deleteArtifact(MANIFEST_NAME);
      },
      ours: async () => {
        const results = ourResultsService();
        const [listed] = await listArtifacts(results);
        await downloadIn(results, listed!);
        await deleteArtifact(MANIFEST_NAME, results);
      },
    });
    expect(official.map((request) => `${request.api} ${request.method} ${request.path}`)).toEqual([
      "twirp POST /twirp/github.actions.results.api.v1.ArtifactService/ListArtifacts",
      "twirp POST /twirp/github.actions.results.api.v1.ArtifactService/ListArtifacts",
      "twirp POST /twirp/github.actions.results.api.v1.ArtifactService/GetSignedArtifactURL",
      `blob GET /devstoreaccount1/actions-results/<run 0>/${MANIFEST_NAME}`,
      "twirp POST /twirp/github.actions.results.api.v1.ArtifactService/ListArtifacts",
      "twirp POST /twirp/github.actions.results.api.v1.ArtifactService/DeleteArtifact",
    ]);
    expect(ours).toEqual(official);
  });

  it("lists, finds, downloads and deletes another run's artifacts through the REST API with the same requests", async () => {
    const { official, ours } = await recordBothClients({
      prepare: async () => {
        const backupRun = enterNewRun();
        await uploadArtifactFile(ourResultsService(), { name: PAYLOAD_NAME, file: payloadFile });
        enterNewRun(); // the restore: another run, with a token for the REST API
        return backupRun;
      },
      official: async (client, backupRun) => {
        const where = { findBy: findBy(backupRun) };
        await client.listArtifacts({ ...where, latest: true });
        const { artifact } = await client.getArtifact(PAYLOAD_NAME, where);
        await client.downloadArtifact(artifact.id, { ...where, path: await downloadFolder() });
        await client.deleteArtifact(PAYLOAD_NAME, where);
      },
      ours: async (backupRun) => {
        const api = new RepositoryApi(service.url, findBy(backupRun));
        await listArtifacts(api);
        const [artifact] = await artifactsNamed(api, PAYLOAD_NAME);
        await downloadIn(api, artifact!);
        await deleteArtifact(PAYLOAD_NAME, api);
      },
    });
    expect(official.map((request) => `${request.api} ${request.method} ${request.path}`)).toEqual([
      "rest GET /repos/example-org/etcd-backups/actions/runs/<run number 0>/artifacts",
      "rest GET /repos/example-org/etcd-backups/actions/runs/<run number 0>/artifacts",
      "rest GET /repos/example-org/etcd-backups/actions/artifacts/<artifact id>/zip",
      `blob GET /devstoreaccount1/actions-results/<run 0>/${PAYLOAD_NAME}`,
      "rest GET /repos/example-org/etcd-backups/actions/runs/<run number 0>/artifacts",
      "rest DELETE /repos/example-org/etcd-backups/actions/artifacts/<artifact id>",
    ]);
    expect(ours).toEqual(official);
  });

  it("lists a repository's artifacts by name as the official client looks one up by name, every run, page by page", async () => {
    const repository = { owner: "example-org", name: "etcd-history" };
    // 101 earlier runs with an artifact of this name: more than one page of 100.
    const earlierRuns: WorkflowRun[] = [];
    for (let index = 0; index < 101; index++) {
      earlierRuns.push(enterNewRun(repository));
      await uploadArtifactFile(ourResultsService(), { name: MANIFEST_NAME, file: manifestFile });
    }
    // The same name in another repository is not this repository's.
    enterNewRun({ owner: "example-org", name: "elsewhere" });
    await uploadArtifactFile(ourResultsService(), { name: MANIFEST_NAME, file: manifestFile });

    const lastRun = earlierRuns.at(-1)!;
    const official = await officialClient();
    const officialRequests = await recordRequests(() =>
      official.getArtifact(MANIFEST_NAME, { findBy: findBy(lastRun) }),
    );
    const api = new RepositoryApi(service.url, {
      token: service.restToken,
      repositoryOwner: repository.owner,
      repositoryName: repository.name,
    });
    let found: Awaited<ReturnType<typeof artifactsNamed>> = [];
    const ourRequests = await recordRequests(async () => {
      found = await artifactsNamed(api, MANIFEST_NAME);
    });

    expect(found).toHaveLength(101);
    const ids = found.map((artifact) => artifact.id);
    expect(ids).toEqual([...ids].sort((a, b) => b - a));
    expect(new Set(ids).size).toBe(101);

    const [lookup] = normalise(officialRequests, [lastRun]);
    const pages = normalise(ourRequests, []);
    expect(pages.map((request) => [request.path, request.query])).toEqual([
      [
        `/repos/${repository.owner}/${repository.name}/actions/artifacts`,
        { name: MANIFEST_NAME, per_page: "100", page: "1" },
      ],
      [
        `/repos/${repository.owner}/${repository.name}/actions/artifacts`,
        { name: MANIFEST_NAME, per_page: "100", page: "2" },
      ],
    ]);
    for (const page of pages) {
      expect({ api: page.api, method: page.method, headers: page.headers }).toEqual({
        api: lookup!.api,
        method: lookup!.method,
        headers: lookup!.headers,
      });
      expect(page.query.name).toBe(lookup!.query.name);
    }
  });
});
