export const id = 34;
export const ids = [34];
export const modules = {

/***/ 5034:
/***/ ((__unused_webpack___webpack_module__, __webpack_exports__, __webpack_require__) => {


// EXPORTS
__webpack_require__.d(__webpack_exports__, {
  createArtifactStore: () => (/* binding */ createArtifactStore)
});

// UNUSED EXPORTS: ArtifactSnapshotStore, backupArtifactName, restoreRecordArtifactName

// EXTERNAL MODULE: external "node:fs"
var external_node_fs_ = __webpack_require__(3024);
// EXTERNAL MODULE: external "node:fs/promises"
var promises_ = __webpack_require__(1455);
// EXTERNAL MODULE: external "node:path"
var external_node_path_ = __webpack_require__(6760);
// EXTERNAL MODULE: external "node:stream/promises"
var external_node_stream_promises_ = __webpack_require__(6466);
// EXTERNAL MODULE: ./.build/compile/src/core/errors.js
var errors = __webpack_require__(1222);
// EXTERNAL MODULE: ./.build/compile/src/core/crypto/hash.js
var hash = __webpack_require__(8959);
// EXTERNAL MODULE: ./.build/compile/src/core/version.js + 1 modules
var version = __webpack_require__(6743);
// EXTERNAL MODULE: ./.build/compile/src/core/storage/backend-kit.js + 1 modules
var backend_kit = __webpack_require__(2119);
// EXTERNAL MODULE: external "node:http"
var external_node_http_ = __webpack_require__(7067);
// EXTERNAL MODULE: external "node:https"
var external_node_https_ = __webpack_require__(4708);
;// CONCATENATED MODULE: ./.build/compile/src/core/storage/http-request.js
/**
 * One HTTP(S) request with a small answer, over node:http. The artifact backend's calls go
 * through it rather than fetch: loading fetch (undici) alone takes ~14 MiB of memory, a
 * tenth of the bound a backup or restore keeps to (test/storage/large.test.ts).
 */


/** Sends the request and reads the whole answer; rejects on network errors only. */
function httpRequest(url, options) {
    const target = typeof url === "string" ? new URL(url) : url;
    const client = target.protocol === "https:" ? external_node_https_ : external_node_http_;
    const body = typeof options.body === "string" ? Buffer.from(options.body) : options.body;
    const headers = {
        ...options.headers,
        ...(body ? { "Content-Length": String(body.length) } : {}),
    };
    const idleTimeoutMs = options.idleTimeoutMs ?? 120_000;
    return new Promise((resolve, reject) => {
        const request = client.request(target, { method: options.method, headers }, (response) => {
            const chunks = [];
            response.on("data", (chunk) => chunks.push(chunk));
            response.once("error", reject);
            response.once("end", () => resolve({
                status: response.statusCode ?? 0,
                headers: response.headers,
                text: Buffer.concat(chunks).toString("utf8"),
            }));
        });
        request.once("error", reject);
        request.setTimeout(idleTimeoutMs, () => request.destroy(new Error(`no progress for ${idleTimeoutMs / 1000} s`)));
        request.end(body);
    });
}

;// CONCATENATED MODULE: ./.build/compile/src/core/storage/artifact-api.js
/**
 * The two GitHub APIs artifacts are reached through, spoken as @actions/artifact speaks
 * them (test/storage/artifact-protocol.test.ts compares the requests):
 * - the results service (Twirp, with the job's ACTIONS_RUNTIME_TOKEN) for this run's
 *   artifacts: create, finalize, list, sign a download, delete;
 * - the REST API (a token with `actions:read`, and `actions:write` to delete) for another
 *   run's artifacts, or every run's of a repository.
 * Plain HTTP through http-request.ts rather than @actions/artifact: its code (with Octokit
 * and the Azure SDK) weighs ~30 MiB in memory, a quarter of the bound a backup keeps to.
 */



const SERVICE = "github.actions.results.api.v1.ArtifactService";
/** Who is calling, in every request to GitHub and the blob store (as @actions/artifact names itself). */
const ARTIFACT_USER_AGENT = `${version/* TOOL_NAME */.l}/${version/* TOOL_VERSION */.w}`;
// As @actions/artifact's Twirp client: these statuses, 5 attempts, 3 s growing 1.5 times.
const TWIRP_RETRIED_STATUSES = new Set([429, 500, 502, 503, 504]);
const TWIRP_RETRIES = { attempts: 5, delayMs: (attempt) => 3000 * 1.5 ** (attempt - 1) };
const REST_RETRIES = { attempts: 3, delayMs: (attempt) => 2000 * attempt };
const PAGE_SIZE = 100;
// @actions/artifact's default cap (ACTIONS_ARTIFACT_MAX_ARTIFACT_COUNT), a guard against rate limits.
const MAX_LISTED = 1000;
/** The results service's Twirp API, as @actions/artifact calls it (JSON, proto field names). */
class ResultsService {
    /** The run and job this token belongs to, as every call names them. */
    ids;
    token;
    origin;
    constructor(runtime) {
        if (!runtime)
            throw new Error("ACTIONS_RUNTIME_TOKEN or ACTIONS_RESULTS_URL is not set.");
        this.token = runtime.runtimeToken;
        this.origin = new URL(runtime.resultsUrl).origin;
        const { runBackendId, jobBackendId } = backendIdsFromToken(runtime.runtimeToken);
        this.ids = { workflow_run_backend_id: runBackendId, workflow_job_run_backend_id: jobBackendId };
    }
    /** One call, tried again on the answers @actions/artifact tries again. */
    call(method, body) {
        const url = `${this.origin}/twirp/${SERVICE}/${method}`;
        const retryable = (error) => TWIRP_RETRIED_STATUSES.has((0,backend_kit/* statusOf */.c2)(error) ?? 0);
        return (0,backend_kit/* withRetries */.LH)({ ...TWIRP_RETRIES, retryable }, async () => {
            const answer = await httpRequest(url, {
                method: "POST",
                headers: {
                    "Content-Type": "application/json",
                    "User-Agent": ARTIFACT_USER_AGENT,
                    Authorization: `Bearer ${this.token}`,
                },
                body: JSON.stringify(body),
            }).catch((error) => {
                throw new Error(`${method} at ${this.origin} failed: ${(0,backend_kit/* networkErrorMessage */.qu)(error)}`, {
                    cause: error,
                });
            });
            if (answer.status >= 200 && answer.status < 300) {
                return JSON.parse(answer.text);
            }
            throw new backend_kit/* HttpStatusError */.F9(`${method} at ${this.origin} failed with HTTP ${answer.status}: ${answer.text.slice(0, 300)}`, answer.status);
        });
    }
}
/** The REST API under /repos/<owner>/<name>, with a token. */
class RepositoryApi {
    access;
    apiUrl;
    constructor(apiUrl, access) {
        this.apiUrl = apiUrl.replace(/\/+$/, "");
        this.access = access;
    }
    /** One call, tried again on 429 and 5xx answers; resolves with the parsed JSON answer. */
    async call(method, route) {
        const answer = await this.send(method, route);
        if (answer.status >= 200 && answer.status < 300) {
            return answer.text ? JSON.parse(answer.text) : undefined;
        }
        throw this.refusal(method, route, answer);
    }
    /** The address a 302 answer sends to (a download's signed blob URL). */
    async redirect(route) {
        const answer = await this.send("GET", route);
        const location = answer.headers.location;
        if (answer.status !== 302 || !location) {
            throw new Error(`The GitHub API answered GET ${route} with HTTP ${answer.status}, not a redirect to the artifact.`);
        }
        return location;
    }
    send(method, route) {
        const url = `${this.apiUrl}/repos/${encodeURIComponent(this.access.repositoryOwner)}/${encodeURIComponent(this.access.repositoryName)}${route}`;
        return (0,backend_kit/* withRetries */.LH)({ ...REST_RETRIES, retryable: backend_kit/* isBusyAnswer */._$ }, async () => {
            const answer = await httpRequest(url, {
                method,
                // As Octokit sends them for @actions/artifact.
                headers: {
                    Authorization: `token ${this.access.token}`,
                    Accept: "application/vnd.github.v3+json",
                    "User-Agent": ARTIFACT_USER_AGENT,
                },
            }).catch((error) => {
                throw new Error(`${method} ${this.apiUrl}${route} failed: ${(0,backend_kit/* networkErrorMessage */.qu)(error)}`, {
                    cause: error,
                });
            });
            if (answer.status === 429 || answer.status >= 500) {
                throw this.refusal(method, route, answer);
            }
            return answer;
        });
    }
    refusal(method, route, answer) {
        let message = answer.text.slice(0, 300);
        try {
            message = String(JSON.parse(answer.text).message ?? message);
        }
        catch {
            // Not JSON: the text as it came.
        }
        return new backend_kit/* HttpStatusError */.F9(`The GitHub API answered ${method} ${route} with HTTP ${answer.status}: ${message}`, answer.status);
    }
}
/** The artifacts of the source; of several with one name, only the newest. */
async function listArtifacts(source) {
    if (source instanceof ResultsService)
        return newestOfEachName(await listOfThisRun(source));
    return newestOfEachName(await listThroughRest(source));
}
/** Deletes the newest artifact called `name`, found by name first as @actions/artifact does. */
async function deleteArtifact(name, source) {
    if (source instanceof ResultsService) {
        const listed = await source.call("ListArtifacts", { ...source.ids, name_filter: name });
        const [newest] = (listed.artifacts ?? []).sort((a, b) => Number(b.database_id) - Number(a.database_id));
        if (!newest)
            throw new Error(`No artifact named ${name} in this workflow run.`);
        await source.call("DeleteArtifact", {
            workflow_run_backend_id: newest.workflow_run_backend_id,
            workflow_job_run_backend_id: newest.workflow_job_run_backend_id,
            name: newest.name,
        });
        return;
    }
    const [artifact] = await artifactsNamed(source, name);
    if (!artifact) {
        throw new Error(`No artifact named ${name} in ${describeAccess(source.access)}.`);
    }
    await source.call("DELETE", `/actions/artifacts/${artifact.id}`);
}
/**
 * The artifacts called `name`, newest first: in one run as @actions/artifact's
 * `getArtifact(name, { findBy })` asks (one page, which a name fills with one or two), or
 * in every run of the repository, page by page.
 */
async function artifactsNamed(api, name) {
    const runId = api.access.workflowRunId;
    const query = `name=${encodeURIComponent(name)}`;
    const listed = runId === undefined
        ? await listPages(api, `/actions/artifacts?${query}`)
        : artifactsOfPage(await api.call("GET", `/actions/runs/${runId}/artifacts?${query}`));
    return listed.sort((a, b) => b.id - a.id);
}
function describeAccess(access) {
    const repository = `${access.repositoryOwner}/${access.repositoryName}`;
    return access.workflowRunId === undefined
        ? `every run of ${repository}`
        : `run ${access.workflowRunId} in ${repository}`;
}
async function listOfThisRun(results) {
    const listed = await results.call("ListArtifacts", { ...results.ids });
    return (listed.artifacts ?? []).map((artifact) => ({
        id: Number(artifact.database_id),
        name: String(artifact.name),
        size: Number(artifact.size ?? 0),
        ...(typeof artifact.digest === "string" ? { digest: artifact.digest } : {}),
    }));
}
function listThroughRest(api) {
    const runId = api.access.workflowRunId;
    return listPages(api, runId === undefined ? "/actions/artifacts" : `/actions/runs/${runId}/artifacts`);
}
/** Every page of a REST artifact listing, up to MAX_LISTED artifacts. */
async function listPages(api, route) {
    const artifacts = [];
    const separator = route.includes("?") ? "&" : "?";
    for (let page = 1; artifacts.length < MAX_LISTED; page++) {
        const answer = await api.call("GET", `${route}${separator}per_page=${PAGE_SIZE}&page=${page}`);
        const batch = (answer?.artifacts ?? []).length;
        artifacts.push(...artifactsOfPage(answer));
        if (batch < PAGE_SIZE)
            break;
    }
    return artifacts;
}
/** The artifacts of one REST answer; an expired one is still listed, but its bytes are gone. */
function artifactsOfPage(answer) {
    const listed = answer?.artifacts;
    return (listed ?? [])
        .filter((artifact) => artifact.expired !== true)
        .map((artifact) => ({
        id: Number(artifact.id),
        name: String(artifact.name),
        size: Number(artifact.size_in_bytes ?? 0),
        ...(typeof artifact.digest === "string" ? { digest: artifact.digest } : {}),
    }));
}
/** Of the artifacts that share a name (uploaded again), the newest, as `latest: true` keeps. */
function newestOfEachName(artifacts) {
    const newest = new Map();
    for (const artifact of artifacts) {
        const kept = newest.get(artifact.name);
        if (!kept || artifact.id > kept.id)
            newest.set(artifact.name, artifact);
    }
    return [...newest.values()];
}
/** The run and job ids in the runtime token's `Actions.Results:<run>:<job>` scope. */
function backendIdsFromToken(token) {
    let scopes = "";
    try {
        const payload = token.split(".")[1] ?? "";
        scopes = String(JSON.parse(Buffer.from(payload, "base64url").toString("utf8")).scp ??
            "");
    }
    catch {
        // Reported below with what was expected.
    }
    for (const scope of scopes.split(" ")) {
        const [name, runBackendId, jobBackendId, ...rest] = scope.split(":");
        if (name === "Actions.Results" && runBackendId && jobBackendId && rest.length === 0) {
            return { runBackendId, jobBackendId };
        }
    }
    throw new Error("ACTIONS_RUNTIME_TOKEN is not a runtime token of a job: expected a JWT whose scp claim has Actions.Results:<run id>:<job id>.");
}

// EXTERNAL MODULE: ./.build/compile/src/core/storage/memory-pacer.js
var memory_pacer = __webpack_require__(526);
;// CONCATENATED MODULE: ./.build/compile/src/core/storage/artifact-download.js
/**
 * Downloads one raw (unzipped) artifact into a file, as @actions/artifact's
 * `downloadArtifact(id, { skipDecompress: true, findBy? })` does: the signed blob address
 * comes from the results service (this run: ListArtifacts, then GetSignedArtifactURL) or
 * from the REST API's redirect (another run, with a token that has `actions:read`).
 *
 * The blob's bytes pass through the memory pacer on their way to the file, so spent socket
 * buffers are freed as they go rather than whenever V8 happens to collect.
 */








// As @actions/artifact: five attempts, five seconds apart.
const BLOB_READ_RETRIES = { attempts: 5, delayMs: () => 5000 };
/** Writes the artifact into `download.file`; resolves with its size and sha256 (hex). */
async function downloadArtifactFile(source, download) {
    const signedUrl = source instanceof RepositoryApi
        ? await source.redirect(`/actions/artifacts/${download.id}/zip`)
        : await signedUrlInThisRun(source, download.id);
    return (0,backend_kit/* withRetries */.LH)(BLOB_READ_RETRIES, () => fetchInto(signedUrl, download.file)).catch((error) => {
        throw new Error(`The blob of artifact ${download.name} could not be read after ${BLOB_READ_RETRIES.attempts} attempts: ${(0,backend_kit/* networkErrorMessage */.qu)(error)}`, { cause: error });
    });
}
async function signedUrlInThisRun(results, id) {
    const listed = await results.call("ListArtifacts", { ...results.ids, id_filter: String(id) });
    const [artifact] = (listed.artifacts ?? []);
    if (!artifact)
        throw new Error(`No artifact with id ${id} in this workflow run.`);
    const signed = await results.call("GetSignedArtifactURL", {
        workflow_run_backend_id: artifact.workflow_run_backend_id,
        workflow_job_run_backend_id: artifact.workflow_job_run_backend_id,
        name: artifact.name,
    });
    if (typeof signed.signed_url !== "string") {
        throw new Error(`GetSignedArtifactURL gave no address for artifact ${artifact.name}.`);
    }
    return signed.signed_url;
}
/** GETs the blob into a new file through the memory pacer, counting and hashing it. */
async function fetchInto(url, file) {
    const response = await get(url);
    if (response.statusCode !== 200) {
        response.resume();
        throw new Error(`blob storage answered HTTP ${response.statusCode}`);
    }
    const meter = new hash/* HashingStream */.$K();
    await (0,external_node_stream_promises_.pipeline)(response, (0,memory_pacer/* createMemoryPacer */.zl)(), meter, (0,external_node_fs_.createWriteStream)(file, { mode: 0o600 }));
    return meter.digest();
}
function get(url) {
    const client = new URL(url).protocol === "https:" ? external_node_https_ : external_node_http_;
    return new Promise((resolve, reject) => {
        const request = client.get(url, { headers: { "User-Agent": ARTIFACT_USER_AGENT } }, resolve);
        request.once("error", reject);
        // A blob store that stops sending for a minute is broken, not slow.
        request.setTimeout(60_000, () => request.destroy(new Error("no data for 60 s")));
    });
}

// EXTERNAL MODULE: external "node:crypto"
var external_node_crypto_ = __webpack_require__(7598);
// EXTERNAL MODULE: ./.build/compile/src/core/storage/part-uploader.js
var part_uploader = __webpack_require__(2341);
;// CONCATENATED MODULE: ./.build/compile/src/core/storage/artifact-upload.js
/**
 * Uploads one file as an artifact of the current workflow run without a zip layer, as
 * @actions/artifact's `uploadArtifact(name, [file], dir, { skipArchive: true })` does: the
 * same results-service calls (CreateArtifact with the file's name and MIME type,
 * FinalizeArtifact with its size and sha256) and the same blob, so @actions/artifact lists,
 * downloads and deletes it as one of its own.
 *
 * The blob goes up in blocks read from the file into a few reused buffers (part-uploader.ts),
 * each staged as it is (Put Block), then the block list is committed (Put Block List): memory
 * stays flat whatever the file's size, which @azure/storage-blob's uploadStream, with fresh
 * buffers for every block, does not.
 */






// The artifact version @actions/artifact 6.x creates; it tells the service how to serve it.
const ARTIFACT_VERSION = 7;
const DEFAULT_BLOCK_SIZE = 4 * 1024 * 1024;
const DEFAULT_BLOCKS_IN_FLIGHT = 3;
// The Blob service version @azure/storage-blob 12.32 (inside @actions/artifact 6.2) speaks.
const BLOB_API_VERSION = "2026-04-06";
// A network failure or a 5xx is worth another try: the block is still in its buffer.
const BLOB_RETRIES = {
    attempts: 3,
    delayMs: (attempt) => 2000 * attempt,
    retryable: (error) => ((0,backend_kit/* statusOf */.c2)(error) ?? 500) >= 500,
};
async function uploadArtifactFile(results, upload) {
    const contentType = mimeTypeOf(upload.name);
    const expiresAt = expiryOf(upload.retentionDays, upload.maxRetentionDays);
    const created = await results.call("CreateArtifact", {
        ...results.ids,
        name: upload.name,
        mime_type: contentType,
        version: ARTIFACT_VERSION,
        ...(expiresAt ? { expires_at: expiresAt } : {}),
    });
    const signedUrl = created.signed_upload_url;
    if (created.ok !== true || typeof signedUrl !== "string") {
        throw new Error(`CreateArtifact answered without an upload address: ${JSON.stringify(created)}`);
    }
    const sent = await uploadBlob(new SignedBlockBlob(signedUrl, contentType), upload);
    const finalized = await results.call("FinalizeArtifact", {
        ...results.ids,
        name: upload.name,
        size: String(sent.bytes),
        hash: `sha256:${sent.sha256}`,
    });
    if (finalized.ok !== true) {
        throw new Error(`FinalizeArtifact did not confirm the artifact: ${JSON.stringify(finalized)}`);
    }
    return { id: Number(finalized.artifact_id), ...sent };
}
/** Sends the file in blocks and commits them, as @azure/storage-blob's uploadStream does (even for one block). */
async function uploadBlob(blob, upload) {
    // Parts are handed over in the file's order, so hashing them as they go hashes the file.
    const hash = (0,external_node_crypto_.createHash)("sha256");
    const blockIds = [];
    const sendPart = (part) => {
        hash.update(part.data);
        const blockId = blockIdOf(blockIds.length);
        blockIds.push(blockId);
        return blob.putBlock(blockId, part.data);
    };
    const { bytes } = await (0,part_uploader/* uploadFileInParts */.F)(upload.file, {
        partSizeBytes: upload.blockSizeBytes ?? DEFAULT_BLOCK_SIZE,
        partsInFlight: upload.blocksInFlight ?? DEFAULT_BLOCKS_IN_FLIGHT,
        sendPart,
    });
    await blob.putBlockList(blockIds);
    return { bytes, sha256: hash.digest("hex") };
}
/**
 * The two Blob service requests an upload needs, on a signed (SAS) address: Put Block for
 * each block, then Put Block List, with the headers @azure/storage-blob sends. Plain HTTP
 * rather than that SDK, whose code alone weighs ~15 MiB in memory; each body is sent as
 * the Buffer it is.
 */
class SignedBlockBlob {
    url;
    contentType;
    constructor(signedUrl, contentType) {
        this.url = signedUrl;
        this.contentType = contentType;
    }
    putBlock(blockId, data) {
        return this.put(`comp=block&blockid=${encodeURIComponent(blockId)}`, data, {
            "Content-Type": "application/octet-stream",
        });
    }
    putBlockList(blockIds) {
        const latest = blockIds.map((id) => `<Latest>${id}</Latest>`).join("");
        const body = `<?xml version="1.0" encoding="UTF-8" standalone="yes"?><BlockList>${latest}</BlockList>`;
        return this.put("comp=blocklist", Buffer.from(body), {
            "Content-Type": "application/xml",
            "x-ms-blob-content-type": this.contentType,
        });
    }
    /** One PUT, tried again after a network error or a 5xx answer (the body is still here). */
    put(query, body, headers) {
        const url = new URL(this.url);
        if (query)
            url.search = `${url.search}&${query}`;
        return (0,backend_kit/* withRetries */.LH)(BLOB_RETRIES, () => putOnce(url, body, {
            ...headers,
            Accept: "application/xml",
            "x-ms-version": BLOB_API_VERSION,
            "User-Agent": ARTIFACT_USER_AGENT,
            // Names the attempt in Azure's logs, should support ever need to trace one.
            "x-ms-client-request-id": (0,external_node_crypto_.randomUUID)(),
        }));
    }
}
async function putOnce(url, body, headers) {
    const answer = await httpRequest(url, { method: "PUT", headers, body });
    if (answer.status >= 200 && answer.status < 300)
        return;
    const code = answer.headers["x-ms-error-code"] ?? "";
    throw new backend_kit/* HttpStatusError */.F9(`blob storage answered HTTP ${answer.status} ${code}: ${answer.text.slice(0, 300)}`.trim(), answer.status);
}
/** Block ids must all have the same length: the block's index, zero-padded, in base64. */
function blockIdOf(index) {
    return Buffer.from(`block-${String(index).padStart(6, "0")}`).toString("base64");
}
/** RFC 3339 expiry, capped by the repository's maximum as @actions/artifact caps it. */
function expiryOf(retentionDays, maximum) {
    if (!retentionDays)
        return undefined;
    const days = maximum === undefined ? retentionDays : Math.min(retentionDays, maximum);
    const expiry = new Date();
    expiry.setDate(expiry.getDate() + days);
    return expiry.toISOString();
}
/** The MIME type @actions/artifact gives a file of this name (its table, for our extensions). */
function mimeTypeOf(name) {
    const types = {
        ".json": "application/json",
        ".gz": "application/gzip",
        ".zip": "application/zip",
        ".txt": "text/plain",
    };
    return types[external_node_path_.extname(name).toLowerCase()] ?? "application/octet-stream";
}

// EXTERNAL MODULE: ./.build/compile/src/core/storage/layout.js
var layout = __webpack_require__(721);
;// CONCATENATED MODULE: ./.build/compile/src/core/storage/artifact.js
/**
 * The GitHub artifact backend (`artifact`), the default inside GitHub Actions.
 *
 * Each backup is two artifacts of the current workflow run, named after the same facts as
 * the folder layout of the other backends:
 *   `etcd-backup.<cluster>.<kind>.<timestamp>.<payloadName>`   the payload, one raw file
 *   `etcd-backup.<cluster>.<kind>.<timestamp>.manifest.json`   uploaded last
 * Both go up without a zip layer (as `skipArchive` does): the payload is already compressed and
 * encrypted, and a restore can fetch it as it is. Listing looks at manifest artifacts only,
 * so a backup whose manifest never arrived is not a backup.
 *
 * The payload is staged in a private temporary folder (RUNNER_TEMP inside Actions) on its
 * way, in constant memory, and removed as soon as it has been sent or read: a source that
 * breaks leaves no artifact behind. Uploads go through artifact-upload.ts (the same protocol
 * as @actions/artifact, with a blob upload in constant memory), downloads through
 * artifact-download.ts, listing and deletes through artifact-api.ts: the protocol
 * @actions/artifact speaks, without its ~30 MiB of code in memory.
 *
 * Reading another run's backups (a restore workflow reading what a scheduled backup stored)
 * goes through the REST API with a token that has `actions:read` (`otherRun`); without a
 * run id, through every run of the repository, so `latest` finds the newest backup
 * whichever run stored it (a payload is then looked up by its artifact name).
 */











const NAME_PREFIX = "etcd-backup.";
const MANIFESTS_DOWNLOADED_IN_PARALLEL = 4;
function createArtifactStore(options) {
    return new ArtifactSnapshotStore(options);
}
/** The artifact name of one file of a backup. */
function backupArtifactName(location, fileName) {
    return `${NAME_PREFIX}${location.cluster}.${location.kind}.${location.timestamp}.${fileName}`;
}
class ArtifactSnapshotStore {
    description;
    logger;
    retentionDays;
    context;
    rest;
    stagingRoot;
    constructor(options) {
        this.logger = options.logger;
        this.context = options.context;
        this.retentionDays = checkRetentionDays(options.retentionDays);
        this.rest = options.otherRun
            ? new RepositoryApi(options.context.githubApiUrl, checkOtherRun(options.otherRun))
            : undefined;
        this.stagingRoot = options.stagingDir ?? options.context.tempDir;
        this.description = this.rest
            ? `GitHub artifacts of ${describeAccess(this.rest.access)}`
            : "GitHub artifacts of this workflow run";
    }
    async putPayload(options, payload) {
        this.checkWritable();
        const { cluster, kind, timestamp, payloadName } = (0,layout/* checkPutOptions */.uJ)(options);
        const location = locationOf(cluster, kind, timestamp);
        const name = backupArtifactName(location, payloadName);
        return this.withStagingFolder(async (folder) => {
            const file = external_node_path_.join(folder, name);
            const staged = await stageStream(payload, file).catch((error) => {
                throw new Error(`Reading the backup payload for artifact ${name} failed before anything was uploaded: ${(0,errors/* errorMessage */.gJ)(error)}`, { cause: error });
            });
            await this.upload(name, file, staged);
            return { location, storedBytes: staged.bytes };
        });
    }
    async putManifest(location, manifest) {
        this.checkWritable();
        const name = backupArtifactName(location, layout/* MANIFEST_NAME */.ir);
        await this.withStagingFolder(async (folder) => {
            const file = external_node_path_.join(folder, name);
            await (0,promises_.writeFile)(file, manifest, { mode: 0o600 });
            await this.upload(name, file, { bytes: manifest.length, sha256: (0,hash/* sha256Hex */.fg)(manifest) });
        });
    }
    async list(filter = {}) {
        const found = (await this.allArtifacts()).flatMap((artifact) => {
            const parsed = parseArtifactName(artifact.name);
            return parsed?.fileName === layout/* MANIFEST_NAME */.ir ? [{ artifact, location: parsed.location }] : [];
        });
        return (0,backend_kit/* readListedBackups */.tp)(found, filter, MANIFESTS_DOWNLOADED_IN_PARALLEL, ({ artifact }) => this.withStagingFolder(async (folder) => (0,promises_.readFile)(await this.download(artifact, folder))));
    }
    async getPayload(location, payloadName) {
        const name = backupArtifactName(location, payloadName);
        const artifact = await this.artifactNamed(name);
        if (!artifact) {
            throw new Error(`Backup payload artifact ${name} is not among the ${this.description}: it may have expired or been deleted; list the backups to find one that exists.`);
        }
        const folder = await this.newStagingFolder();
        try {
            return readThenRemove(await this.download(artifact, folder), folder);
        }
        catch (error) {
            await (0,promises_.rm)(folder, { recursive: true, force: true });
            throw error;
        }
    }
    async delete(location) {
        const prefix = backupArtifactName(location, "");
        const names = (await this.allArtifacts())
            .map((artifact) => artifact.name)
            .filter((name) => name.startsWith(prefix));
        await (0,backend_kit/* deleteManifestFirst */.vu)(names, (name) => name.endsWith(layout/* MANIFEST_NAME */.ir), async (name) => deleteArtifact(name, this.source()), (name, error) => new Error(`Deleting artifact ${name} from the ${this.description} failed: ${(0,errors/* errorMessage */.gJ)(error)}`, { cause: error }));
        this.logger.info(`Deleted ${names.length} artifact(s) of backup ${location.uri}`);
    }
    /**
     * A restore record is an artifact of the run that restored,
     * `etcd-backup.<cluster>.restores.<timestamp>.json`: written to this run's artifacts even
     * when the backups were read from other runs', and never listed as a backup.
     */
    async putRestoreRecord(cluster, timestamp, record) {
        const name = restoreRecordArtifactName(cluster, timestamp);
        await this.withStagingFolder(async (folder) => {
            const file = external_node_path_.join(folder, name);
            await (0,promises_.writeFile)(file, record, { mode: 0o600 });
            await this.upload(name, file, { bytes: record.length, sha256: (0,hash/* sha256Hex */.fg)(record) });
        });
        return `artifact/${cluster}/${layout/* RESTORES_FOLDER */.fK}/${timestamp}.json`;
    }
    async listRestoreRecords(cluster) {
        const prefix = `${NAME_PREFIX}${(0,layout/* checkClusterName */.YN)(cluster)}.${layout/* RESTORES_FOLDER */.fK}.`;
        const found = (await this.allArtifacts()).filter((artifact) => artifact.name.startsWith(prefix) &&
            artifact.name.endsWith(".json") &&
            (0,layout/* isTimestamp */.Fx)(artifact.name.slice(prefix.length, -".json".length)));
        const records = [];
        for (const artifact of found) {
            const timestamp = artifact.name.slice(prefix.length, -".json".length);
            const record = await this.withStagingFolder(async (folder) => (0,promises_.readFile)(await this.download(artifact, folder)));
            records.push({
                cluster,
                timestamp,
                uri: `artifact/${cluster}/${layout/* RESTORES_FOLDER */.fK}/${timestamp}.json`,
                record,
            });
        }
        return records.sort((a, b) => b.timestamp.localeCompare(a.timestamp));
    }
    async upload(name, file, staged) {
        this.logger.info(`Uploading artifact ${name} (${staged.bytes} bytes)`);
        let uploaded;
        try {
            uploaded = await uploadArtifactFile(new ResultsService(this.context.artifactRuntime), {
                name,
                file,
                ...(this.retentionDays ? { retentionDays: this.retentionDays } : {}),
                ...(this.context.maxArtifactRetentionDays !== undefined
                    ? { maxRetentionDays: this.context.maxArtifactRetentionDays }
                    : {}),
            });
        }
        catch (error) {
            throw new Error(`Uploading artifact ${name} to the ${this.description} failed: ${(0,errors/* errorMessage */.gJ)(error)}${this.runtimeHint()}`, { cause: error });
        }
        // The upload hashes what it read back from the staged file: a different digest means the
        // bytes changed on disk between staging and sending.
        if (uploaded.bytes !== staged.bytes || uploaded.sha256 !== staged.sha256) {
            throw new Error(`Artifact ${name} was uploaded as ${uploaded.bytes} bytes with sha256 ${uploaded.sha256}, but the staged file had ${staged.bytes} bytes with ${staged.sha256}: the upload is not trustworthy; run the backup again.`);
        }
        this.logger.info(`Artifact ${name} stored (id ${uploaded.id})`);
    }
    /** Downloads one artifact into `folder` and checks it; returns the file's path. */
    async download(artifact, folder) {
        let received;
        try {
            received = await downloadArtifactFile(this.source(), {
                id: artifact.id,
                name: artifact.name,
                file: external_node_path_.join(folder, external_node_path_.basename(artifact.name)),
            });
        }
        catch (error) {
            throw new Error(`Downloading artifact ${artifact.name} from the ${this.description} failed: ${(0,errors/* errorMessage */.gJ)(error)}`, { cause: error });
        }
        const digestMismatch = artifact.digest !== undefined &&
            normaliseDigest(artifact.digest) !== normaliseDigest(received.sha256);
        const [fileName, ...others] = await (0,promises_.readdir)(folder);
        const file = external_node_path_.join(folder, fileName ?? "");
        const bytes = fileName ? (await (0,promises_.stat)(file)).size : -1;
        if (!fileName || others.length > 0 || bytes !== artifact.size) {
            throw new Error(`Artifact ${artifact.name} arrived incomplete: ${Math.max(bytes, 0)} of ${artifact.size} bytes; run the restore again, and if it repeats, pick another backup.`);
        }
        if (digestMismatch) {
            throw new Error(`Artifact ${artifact.name} does not match the sha256 GitHub recorded when it was uploaded (${artifact.digest}): it was corrupted on the way; run the restore again.`);
        }
        return file;
    }
    async allArtifacts() {
        return this.listing(() => listArtifacts(this.source()));
    }
    /**
     * The newest artifact called `name`. Across a repository's runs it is looked up by name
     * (one short listing) rather than by listing every artifact of the repository.
     */
    async artifactNamed(name) {
        if (this.rest && this.rest.access.workflowRunId === undefined) {
            const rest = this.rest;
            return (await this.listing(() => artifactsNamed(rest, name)))[0];
        }
        return (await this.allArtifacts()).find((candidate) => candidate.name === name);
    }
    async listing(list) {
        try {
            return await list();
        }
        catch (error) {
            throw new Error(`Listing the ${this.description} failed: ${(0,errors/* errorMessage */.gJ)(error)}${this.rest ? "; check that the token has actions:read on the repository and that the run id is right" : this.runtimeHint()}`, { cause: error });
        }
    }
    /** This run's results service, or the REST API for another run or the repository. */
    source() {
        return this.rest ?? new ResultsService(this.context.artifactRuntime);
    }
    /** Outside a job step the runtime variables are missing; say so instead of a JWT error. */
    runtimeHint() {
        if (this.context.artifactRuntime)
            return "";
        return " (ACTIONS_RUNTIME_TOKEN and ACTIONS_RESULTS_URL are not set: GitHub artifacts work only inside a GitHub Actions job; use a file:// or s3:// destination elsewhere)";
    }
    checkWritable() {
        if (this.rest) {
            throw new Error(`Backups are uploaded to the artifacts of the run that makes them, not to ${this.description}: drop the run id and token to store a new backup.`);
        }
    }
    newStagingFolder() {
        return (0,promises_.mkdtemp)(external_node_path_.join(this.stagingRoot, "etcd-backup-artifact-"));
    }
    async withStagingFolder(work) {
        const folder = await this.newStagingFolder();
        try {
            return await work(folder);
        }
        finally {
            await (0,promises_.rm)(folder, { recursive: true, force: true });
        }
    }
}
/** The artifact name of a restore record (not a backup: its "kind" is no backup kind). */
function restoreRecordArtifactName(cluster, timestamp) {
    (0,layout/* checkClusterName */.YN)(cluster);
    (0,layout/* parseTimestamp */.EH)(timestamp);
    return `${NAME_PREFIX}${cluster}.${layout/* RESTORES_FOLDER */.fK}.${timestamp}.json`;
}
/** Writes the stream to a new private file, counting and hashing what passes. */
async function stageStream(payload, file) {
    const meter = new hash/* HashingStream */.$K();
    await (0,external_node_stream_promises_.pipeline)(payload, meter, (0,external_node_fs_.createWriteStream)(file, { flags: "wx", mode: 0o600 }));
    return meter.digest();
}
/**
 * A stream of the staged file that removes its folder when the caller has read it or given
 * up on it; the removal is done before the stream reports `close`.
 */
function readThenRemove(file, folder) {
    const stream = (0,external_node_fs_.createReadStream)(file);
    const destroyFile = stream._destroy.bind(stream);
    stream._destroy = (error, callback) => {
        destroyFile(error, (destroyError) => {
            void (0,promises_.rm)(folder, { recursive: true, force: true }).finally(() => callback(destroyError));
        });
    };
    return stream;
}
/** `etcd-backup.<cluster>.<kind>.<timestamp>.<file>`: cluster names have no dots, so the fields split cleanly. */
function parseArtifactName(name) {
    if (!name.startsWith(NAME_PREFIX))
        return undefined;
    const [cluster, kind, timestamp, ...file] = name.slice(NAME_PREFIX.length).split(".");
    const place = (0,backend_kit/* backupPlaceOf */.dF)(cluster, kind, timestamp);
    if (!place || file.length === 0)
        return undefined;
    return {
        location: locationOf(place.cluster, place.kind, place.timestamp),
        fileName: file.join("."),
    };
}
function locationOf(cluster, kind, timestamp) {
    return { cluster, kind, timestamp, uri: `artifact/${cluster}/${kind}/${timestamp}` };
}
function checkRetentionDays(days) {
    if (days === undefined)
        return undefined;
    if (!Number.isInteger(days) || days < 1 || days > 90) {
        throw new Error(`Artifact retention of ${days} days is not valid: expected a whole number of days from 1 to 90.`);
    }
    return days;
}
function checkOtherRun(run) {
    if (run.workflowRunId !== undefined &&
        (!Number.isInteger(run.workflowRunId) || run.workflowRunId <= 0)) {
        throw new Error(`Workflow run id "${run.workflowRunId}" is not valid: expected the number in the run's URL, .../actions/runs/<id>.`);
    }
    if (!run.repositoryOwner || !run.repositoryName) {
        throw new Error(`Repository "${run.repositoryOwner}/${run.repositoryName}" is not valid: expected owner/name of the repository whose run made the backup.`);
    }
    if (!run.token) {
        throw new Error(`Reading the artifacts of ${describeAccess(run)} needs a token with actions:read on it; none was given.`);
    }
    return run;
}
/** The REST API gives digests with the `sha256:` prefix, the results service without. */
function normaliseDigest(digest) {
    return digest.startsWith("sha256:") ? digest : `sha256:${digest}`;
}


/***/ }),

/***/ 2341:
/***/ ((__unused_webpack___webpack_module__, __webpack_exports__, __webpack_require__) => {

/* harmony export */ __webpack_require__.d(__webpack_exports__, {
/* harmony export */   F: () => (/* binding */ uploadFileInParts),
/* harmony export */   x9: () => (/* binding */ uploadInParts)
/* harmony export */ });
/* unused harmony export PartBufferPool */
/* harmony import */ var node_fs_promises__WEBPACK_IMPORTED_MODULE_0__ = __webpack_require__(1455);
/**
 * Cuts a stream or a file into parts of one fixed size and hands each to `sendPart`, through
 * a small set of part buffers reused for the whole upload: at most `partsInFlight` parts
 * are being sent at once. The S3 multipart upload sends a stream (one more buffer fills
 * while parts are sent); the artifact block upload sends a staged file (each buffer is read
 * straight from the file when it is free).
 *
 * The buffers are reused because they live outside V8's heap: freshly allocated ones for
 * every part are freed only when a collection happens to run, and memory grows with the
 * payload's size (test/storage/large.test.ts bounds the peak).
 */

/**
 * The parts on their way: a pool of buffers, the promises of the parts being sent, and the
 * first failure. A part's buffer goes back to the pool once its send settles successfully.
 */
class PartQueue {
    pool;
    sending = new Set();
    failure;
    options;
    onFailure;
    parts = 0;
    bytes = 0;
    constructor(options, buffers, onFailure) {
        this.options = options;
        this.pool = new PartBufferPool(options.partSizeBytes, buffers);
        this.onFailure = onFailure;
    }
    /** A free buffer, once one is; throws the first failure instead. */
    async takeBuffer() {
        for (;;) {
            this.throwIfFailed();
            const buffer = this.pool.take();
            if (buffer)
                return buffer;
            await Promise.race(this.sending);
        }
    }
    /** Sends `length` bytes of `buffer` as the next part, once fewer than partsInFlight are on their way. */
    async send(buffer, length, last) {
        while (!this.failure && this.sending.size >= this.options.partsInFlight) {
            await Promise.race(this.sending);
        }
        this.throwIfFailed();
        this.parts += 1;
        this.bytes += length;
        const part = { number: this.parts, data: buffer.subarray(0, length), last };
        const sent = this.options
            .sendPart(part)
            .then(() => this.pool.release(buffer), (error) => {
            if (this.failure)
                return;
            this.failure = { error };
            this.onFailure(error);
        })
            .finally(() => this.sending.delete(sent));
        this.sending.add(sent);
    }
    /** Waits for every part; throws the first failure. */
    async finish() {
        await Promise.all(this.sending);
        this.throwIfFailed();
        return { bytes: this.bytes, parts: this.parts };
    }
    /** After a failure: waits until no part is still arriving, so the caller can clean up. */
    async settle() {
        await Promise.allSettled(this.sending);
    }
    throwIfFailed() {
        if (this.failure)
            throw this.failure.error;
    }
}
/**
 * Reads `source` to its end and sends it in parts; resolves with the bytes and parts sent.
 * On the first failure (the source's or a part's) it stops reading, waits for the parts
 * already on their way to settle, and rejects with that failure, so the caller can then
 * clean up knowing no part is still arriving.
 */
async function uploadInParts(source, options) {
    const { partSizeBytes } = options;
    // One buffer fills while partsInFlight are sent. A failed part stops a source that is
    // waiting for its next chunk, rather than wait on it.
    const queue = new PartQueue(options, options.partsInFlight + 1, (error) => source.destroy(error));
    let filling;
    let filled = 0;
    try {
        for await (const received of source) {
            const chunk = typeof received === "string" ? Buffer.from(received) : received;
            for (let offset = 0; offset < chunk.length;) {
                queue.throwIfFailed();
                // A full part goes only once more data arrives, so the last part is known as such.
                if (filling && filled === partSizeBytes) {
                    await queue.send(filling, filled, false);
                    filling = undefined;
                }
                if (!filling) {
                    filling = await queue.takeBuffer();
                    filled = 0;
                }
                const copied = chunk.copy(filling, filled, offset, offset + partSizeBytes - filled);
                filled += copied;
                offset += copied;
            }
        }
        await queue.send(filling ?? Buffer.alloc(0), filled, true);
        return await queue.finish();
    }
    catch (error) {
        await queue.settle();
        throw error;
    }
}
/**
 * Sends a file in parts, each read from the file straight into a free buffer; the file's
 * size when the upload starts fixes the parts. Same settling as uploadInParts.
 */
async function uploadFileInParts(path, options) {
    const file = await (0,node_fs_promises__WEBPACK_IMPORTED_MODULE_0__.open)(path, "r");
    let queue;
    try {
        const { size } = await file.stat();
        // A small file (a manifest) needs no buffer of a whole part.
        const partSizeBytes = Math.min(options.partSizeBytes, Math.max(size, 1));
        queue = new PartQueue({ ...options, partSizeBytes }, options.partsInFlight, () => undefined);
        let position = 0;
        do {
            const buffer = await queue.takeBuffer();
            const length = Math.min(partSizeBytes, size - position);
            await readExactly(file, buffer, length, position);
            position += length;
            await queue.send(buffer, length, position >= size);
        } while (position < size);
        return await queue.finish();
    }
    catch (error) {
        await queue?.settle();
        throw error;
    }
    finally {
        await file.close();
    }
}
/** Reads exactly `length` bytes at `position` into the start of `buffer`. */
async function readExactly(file, buffer, length, position) {
    let filled = 0;
    while (filled < length) {
        const { bytesRead } = await file.read(buffer, filled, length - filled, position + filled);
        if (bytesRead === 0) {
            throw new Error(`The file ended at ${position + filled} bytes, before the ${position + length} it had when the upload started.`);
        }
        filled += bytesRead;
    }
}
/** Up to `limit` buffers of one size, allocated when first needed and then reused. */
class PartBufferPool {
    free = [];
    size;
    limit;
    allocated = 0;
    constructor(size, limit) {
        this.size = size;
        this.limit = limit;
    }
    take() {
        const reused = this.free.pop();
        if (reused)
            return reused;
        if (this.allocated >= this.limit)
            return undefined;
        this.allocated += 1;
        // Outside Node's shared pool: each part buffer is its own allocation, freed with the pool.
        return Buffer.allocUnsafeSlow(this.size);
    }
    release(buffer) {
        this.free.push(buffer);
    }
}


/***/ })

};
