export const id = 34;
export const ids = [34];
export const modules = {

/***/ 5034:
/***/ ((__unused_webpack___webpack_module__, __webpack_exports__, __webpack_require__) => {


// EXPORTS
__webpack_require__.d(__webpack_exports__, {
  createArtifactStore: () => (/* binding */ createArtifactStore)
});

// UNUSED EXPORTS: ArtifactSnapshotStore, backupArtifactName

// EXTERNAL MODULE: external "node:crypto"
var external_node_crypto_ = __webpack_require__(7598);
// EXTERNAL MODULE: external "node:fs"
var external_node_fs_ = __webpack_require__(3024);
// EXTERNAL MODULE: external "node:fs/promises"
var promises_ = __webpack_require__(1455);
// EXTERNAL MODULE: external "node:os"
var external_node_os_ = __webpack_require__(8161);
// EXTERNAL MODULE: external "node:path"
var external_node_path_ = __webpack_require__(6760);
// EXTERNAL MODULE: external "node:stream/promises"
var external_node_stream_promises_ = __webpack_require__(6466);
// EXTERNAL MODULE: ./.build/compile/src/core/crypto/hash.js
var hash = __webpack_require__(8959);
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
 * The difference is the blob upload. @actions/artifact streams the file through
 * @azure/storage-blob's uploadStream with 8 MiB buffers, five at once, plus 8 MiB stream
 * buffers, all fresh for each block: a 1 GB backup peaked at 215-250 MiB. Here each block
 * is read from the file straight into one of a few reused buffers and staged as it is
 * (Put Block), then the block list is committed (Put Block List).
 */





const SERVICE = "github.actions.results.api.v1.ArtifactService";
// The artifact version @actions/artifact 6.x creates; it tells the service how to serve it.
const ARTIFACT_VERSION = 7;
const DEFAULT_BLOCK_SIZE = 4 * 1024 * 1024;
const DEFAULT_BLOCKS_IN_FLIGHT = 3;
const TWIRP_ATTEMPTS = 5;
const TWIRP_FIRST_RETRY_MS = 3000;
const RETRIED_STATUSES = new Set([429, 500, 502, 503, 504]);
// A Blob service version every Azure storage account and Azurite serve.
const BLOB_API_VERSION = "2023-11-03";
const BLOB_ATTEMPTS = 3;
const BLOB_RETRY_MS = 2000;
async function uploadArtifactFile(upload) {
    const results = new ResultsService();
    const { runBackendId, jobBackendId } = backendIdsFromToken(results.token);
    const ids = { workflow_run_backend_id: runBackendId, workflow_job_run_backend_id: jobBackendId };
    const contentType = mimeTypeOf(upload.name);
    const expiresAt = expiryOf(upload.retentionDays);
    const created = await results.call("CreateArtifact", {
        ...ids,
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
        ...ids,
        name: upload.name,
        size: String(sent.bytes),
        hash: `sha256:${sent.sha256}`,
    });
    if (finalized.ok !== true) {
        throw new Error(`FinalizeArtifact did not confirm the artifact: ${JSON.stringify(finalized)}`);
    }
    return { id: Number(finalized.artifact_id), ...sent };
}
/** Sends the file in blocks through reused buffers; a file of one block goes up in one request. */
async function uploadBlob(blob, upload) {
    const blockSize = upload.blockSizeBytes ?? DEFAULT_BLOCK_SIZE;
    const pool = new part_uploader/* PartBufferPool */.S(blockSize, upload.blocksInFlight ?? DEFAULT_BLOCKS_IN_FLIGHT);
    const hash = (0,external_node_crypto_.createHash)("sha256");
    const file = await (0,promises_.open)(upload.file, "r");
    const sending = new Set();
    let failure;
    const blockIds = [];
    let bytes = 0;
    try {
        const { size } = await file.stat();
        if (size <= blockSize) {
            const data = await readBlock(file, Buffer.allocUnsafe(size), size, 0);
            hash.update(data);
            await blob.putBlob(data);
            return { bytes: size, sha256: hash.digest("hex") };
        }
        while (bytes < size) {
            let buffer = pool.take();
            while (!buffer && !failure) {
                await Promise.race(sending);
                buffer = pool.take();
            }
            if (failure)
                throw failure.error;
            const data = await readBlock(file, buffer, Math.min(blockSize, size - bytes), bytes);
            hash.update(data);
            bytes += data.length;
            const blockId = blockIdOf(blockIds.length);
            blockIds.push(blockId);
            const staged = blob
                .putBlock(blockId, data)
                .then(() => pool.release(buffer), (error) => {
                failure ??= { error };
            })
                .finally(() => sending.delete(staged));
            sending.add(staged);
        }
        await Promise.all(sending);
        if (failure)
            throw failure.error;
        await blob.putBlockList(blockIds);
        return { bytes, sha256: hash.digest("hex") };
    }
    finally {
        await Promise.allSettled(sending);
        await file.close();
    }
}
/** Reads exactly `length` bytes at `position` into the start of `buffer`. */
async function readBlock(file, buffer, length, position) {
    let filled = 0;
    while (filled < length) {
        const { bytesRead } = await file.read(buffer, filled, length - filled, position + filled);
        if (bytesRead === 0) {
            throw new Error(`The staged file ended at ${position + filled} bytes, before the ${position + length} it had when the upload started.`);
        }
        filled += bytesRead;
    }
    return buffer.subarray(0, length);
}
/**
 * The three Blob service requests an upload needs, on a signed (SAS) address: Put Blob for
 * a small file, Put Block and Put Block List for a big one. Plain HTTP rather than
 * @azure/storage-blob, whose code alone weighs ~15 MiB in memory; each body is sent as the
 * Buffer it is.
 */
class SignedBlockBlob {
    url;
    contentType;
    constructor(signedUrl, contentType) {
        this.url = signedUrl;
        this.contentType = contentType;
    }
    putBlob(data) {
        return this.put("", data, {
            "x-ms-blob-type": "BlockBlob",
            "x-ms-blob-content-type": this.contentType,
        });
    }
    putBlock(blockId, data) {
        return this.put(`comp=block&blockid=${encodeURIComponent(blockId)}`, data, {});
    }
    putBlockList(blockIds) {
        const latest = blockIds.map((id) => `<Latest>${id}</Latest>`).join("");
        const body = `<?xml version="1.0" encoding="utf-8"?><BlockList>${latest}</BlockList>`;
        return this.put("comp=blocklist", Buffer.from(body), {
            "Content-Type": "application/xml",
            "x-ms-blob-content-type": this.contentType,
        });
    }
    /** One PUT, tried again after a network error or a 5xx answer (the body is still here). */
    async put(query, body, headers) {
        const url = new URL(this.url);
        if (query)
            url.search = `${url.search}&${query}`;
        for (let attempt = 1;; attempt++) {
            try {
                await putOnce(url, body, { ...headers, "x-ms-version": BLOB_API_VERSION });
                return;
            }
            catch (error) {
                const status = error.status;
                if (attempt === BLOB_ATTEMPTS || (status !== undefined && status < 500))
                    throw error;
                await new Promise((resolve) => setTimeout(resolve, BLOB_RETRY_MS * attempt));
            }
        }
    }
}
async function putOnce(url, body, headers) {
    const { status, headers: answerHeaders, text, } = await httpRequest(url, {
        method: "PUT",
        headers,
        body,
    });
    if (status >= 200 && status < 300)
        return;
    const code = answerHeaders["x-ms-error-code"] ?? "";
    throw Object.assign(new Error(`blob storage answered HTTP ${status} ${code}: ${text.slice(0, 300)}`.trim()), { status });
}
/** Block ids must all have the same length: the block's index, zero-padded, in base64. */
function blockIdOf(index) {
    return Buffer.from(`block-${String(index).padStart(6, "0")}`).toString("base64");
}
/** The results service's Twirp API, as @actions/artifact calls it (JSON, proto field names). */
class ResultsService {
    token;
    origin;
    constructor() {
        const token = process.env.ACTIONS_RUNTIME_TOKEN;
        const resultsUrl = process.env.ACTIONS_RESULTS_URL;
        if (!token || !resultsUrl) {
            throw new Error("ACTIONS_RUNTIME_TOKEN or ACTIONS_RESULTS_URL is not set.");
        }
        this.token = token;
        this.origin = new URL(resultsUrl).origin;
    }
    /** One call, retried on 429 and 5xx answers as @actions/artifact retries them. */
    async call(method, body) {
        const url = `${this.origin}/twirp/${SERVICE}/${method}`;
        for (let attempt = 1;; attempt++) {
            const answer = await httpRequest(url, {
                method: "POST",
                headers: { "Content-Type": "application/json", Authorization: `Bearer ${this.token}` },
                body: JSON.stringify(body),
            }).catch((error) => {
                throw new Error(`${method} at ${this.origin} failed: ${messageOf(error)}`, {
                    cause: error,
                });
            });
            if (answer.status >= 200 && answer.status < 300) {
                return JSON.parse(answer.text);
            }
            const failure = `${method} at ${this.origin} failed with HTTP ${answer.status}: ${answer.text.slice(0, 300)}`;
            if (!RETRIED_STATUSES.has(answer.status) || attempt === TWIRP_ATTEMPTS) {
                throw new Error(failure);
            }
            await new Promise((resolve) => setTimeout(resolve, TWIRP_FIRST_RETRY_MS * 1.5 ** (attempt - 1)));
        }
    }
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
/** RFC 3339 expiry, capped by the repository's maximum (GITHUB_RETENTION_DAYS) as @actions/artifact caps it. */
function expiryOf(retentionDays) {
    if (!retentionDays)
        return undefined;
    const maximum = Number.parseInt(process.env.GITHUB_RETENTION_DAYS ?? "", 10);
    const days = Number.isNaN(maximum) ? retentionDays : Math.min(retentionDays, maximum);
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
function messageOf(error) {
    const code = error?.code;
    const message = error instanceof Error ? error.message : String(error);
    return code && !message.includes(code) ? `${message} (${code})` : message;
}

;// CONCATENATED MODULE: ./.build/compile/src/core/storage/artifact-api.js
/**
 * Listing and deleting artifacts, as @actions/artifact's `listArtifacts({ latest: true })`
 * and `deleteArtifact(name)` do: through the results service (ACTIONS_RUNTIME_TOKEN) for
 * the current run, through the REST API with a token (`actions:read`, and `actions:write`
 * to delete) for another run. Spoken directly rather than through @actions/artifact, whose
 * code (with Octokit and the Azure SDK) weighs ~30 MiB in memory, a quarter of the bound a
 * backup or restore keeps to (test/storage/large.test.ts).
 */


const PAGE_SIZE = 100;
// @actions/artifact's default cap (ACTIONS_ARTIFACT_MAX_ARTIFACT_COUNT), a guard against rate limits.
const MAX_LISTED = 1000;
const API_ATTEMPTS = 3;
const API_RETRY_MS = 2000;
/** The artifacts of this run or of `run`; of several with one name, only the newest. */
async function listArtifacts(run) {
    return newestOfEachName(run ? await listOfRun(run) : await listOfThisRun());
}
/** Deletes the (newest) artifact called `name` from this run or from `run`. */
async function deleteArtifact(name, run) {
    if (!run) {
        const results = new ResultsService();
        const { runBackendId, jobBackendId } = backendIdsFromToken(results.token);
        await results.call("DeleteArtifact", {
            workflow_run_backend_id: runBackendId,
            workflow_job_run_backend_id: jobBackendId,
            name,
        });
        return;
    }
    const artifact = (await listArtifacts(run)).find((candidate) => candidate.name === name);
    if (!artifact) {
        throw new Error(`No artifact named ${name} in run ${run.workflowRunId}.`);
    }
    await restCall(run, "DELETE", `/actions/artifacts/${artifact.id}`);
}
async function listOfThisRun() {
    const results = new ResultsService();
    const { runBackendId, jobBackendId } = backendIdsFromToken(results.token);
    const listed = await results.call("ListArtifacts", {
        workflow_run_backend_id: runBackendId,
        workflow_job_run_backend_id: jobBackendId,
    });
    return (listed.artifacts ?? []).map((artifact) => ({
        id: Number(artifact.database_id),
        name: String(artifact.name),
        size: Number(artifact.size ?? 0),
        ...(typeof artifact.digest === "string" ? { digest: artifact.digest } : {}),
    }));
}
async function listOfRun(run) {
    const artifacts = [];
    for (let page = 1; artifacts.length < MAX_LISTED; page++) {
        const answer = (await restCall(run, "GET", `/actions/runs/${run.workflowRunId}/artifacts?per_page=${PAGE_SIZE}&page=${page}`));
        const batch = answer.artifacts ?? [];
        for (const artifact of batch) {
            artifacts.push({
                id: Number(artifact.id),
                name: String(artifact.name),
                size: Number(artifact.size_in_bytes ?? 0),
                ...(typeof artifact.digest === "string" ? { digest: artifact.digest } : {}),
            });
        }
        if (batch.length < PAGE_SIZE)
            break;
    }
    return artifacts;
}
/** One REST call under /repos/<owner>/<name>, tried again on 429 and 5xx answers. */
async function restCall(run, method, route) {
    const api = (process.env.GITHUB_API_URL ?? "https://api.github.com").replace(/\/+$/, "");
    const url = `${api}/repos/${encodeURIComponent(run.repositoryOwner)}/${encodeURIComponent(run.repositoryName)}${route}`;
    for (let attempt = 1;; attempt++) {
        const answer = await httpRequest(url, {
            method,
            headers: {
                Authorization: `Bearer ${run.token}`,
                Accept: "application/vnd.github+json",
                "User-Agent": "etcd-backup-actions",
            },
        }).catch((error) => {
            throw new Error(`${method} ${api}${route} failed: ${error.message}`, {
                cause: error,
            });
        });
        const { status, text } = answer;
        if (status >= 200 && status < 300)
            return text ? JSON.parse(text) : undefined;
        if (!(status === 429 || status >= 500) || attempt === API_ATTEMPTS) {
            let message = text.slice(0, 300);
            try {
                message = String(JSON.parse(text).message ?? message);
            }
            catch {
                // Not JSON: the text as it came.
            }
            throw new Error(`The GitHub API answered ${method} ${route} with HTTP ${status}: ${message}`);
        }
        await new Promise((resolve) => setTimeout(resolve, API_RETRY_MS * attempt));
    }
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

// EXTERNAL MODULE: ./.build/compile/src/core/storage/memory-pacer.js + 2 modules
var memory_pacer = __webpack_require__(2620);
;// CONCATENATED MODULE: ./.build/compile/src/core/storage/artifact-download.js
/**
 * Downloads one raw (unzipped) artifact into a file, as @actions/artifact's
 * `downloadArtifact(id, { skipDecompress: true, findBy? })` does: the signed blob address
 * comes from the results service (this run: ListArtifacts, then GetSignedArtifactURL) or
 * from the REST API's redirect (another run, with a token that has `actions:read`).
 *
 * The difference is memory: the blob's bytes pass through the memory pacer on their way to
 * the file. @actions/artifact pipes the response straight into the file, and the spent
 * socket buffers piled up until V8 happened to collect them: a 1 GB restore peaked 40 MiB
 * above its upload.
 */








const ATTEMPTS = 5;
const RETRY_DELAY_MS = 5000;
/** Writes the artifact into `download.file`; resolves with its size and sha256 (hex). */
async function downloadArtifactFile(download) {
    const signedUrl = download.findBy
        ? await redirectOf(download.id, download.findBy)
        : await signedUrlInThisRun(download.id);
    for (let attempt = 1;; attempt++) {
        try {
            return await fetchInto(signedUrl, download.file);
        }
        catch (error) {
            if (attempt === ATTEMPTS) {
                throw new Error(`The blob of artifact ${download.name} could not be read after ${ATTEMPTS} attempts: ${artifact_download_messageOf(error)}`, { cause: error });
            }
            await new Promise((resolve) => setTimeout(resolve, RETRY_DELAY_MS));
        }
    }
}
async function signedUrlInThisRun(id) {
    const results = new ResultsService();
    const { runBackendId, jobBackendId } = backendIdsFromToken(results.token);
    const listed = await results.call("ListArtifacts", {
        workflow_run_backend_id: runBackendId,
        workflow_job_run_backend_id: jobBackendId,
        id_filter: String(id),
    });
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
/** The REST API answers a download with a redirect to the signed blob address. */
async function redirectOf(id, run) {
    const api = (process.env.GITHUB_API_URL ?? "https://api.github.com").replace(/\/+$/, "");
    const url = `${api}/repos/${encodeURIComponent(run.repositoryOwner)}/${encodeURIComponent(run.repositoryName)}/actions/artifacts/${id}/zip`;
    const answer = await httpRequest(url, {
        method: "GET",
        headers: {
            Authorization: `Bearer ${run.token}`,
            Accept: "application/vnd.github+json",
            "User-Agent": "etcd-backup-actions",
        },
    });
    const location = answer.headers.location;
    if (answer.status !== 302 || !location) {
        throw new Error(`The GitHub API answered the download of artifact ${id} with HTTP ${answer.status}, not a redirect to the artifact.`);
    }
    return location;
}
/** GETs the blob into a new file through the memory pacer, counting and hashing it. */
async function fetchInto(url, file) {
    const response = await get(url);
    if (response.statusCode !== 200) {
        response.resume();
        throw new Error(`blob storage answered HTTP ${response.statusCode}`);
    }
    const meter = new hash/* HashingStream */.$K();
    await (0,external_node_stream_promises_.pipeline)(response, (0,memory_pacer/* createMemoryPacer */.z)(), meter, (0,external_node_fs_.createWriteStream)(file, { mode: 0o600 }));
    return meter.digest();
}
function get(url) {
    const client = new URL(url).protocol === "https:" ? external_node_https_ : external_node_http_;
    return new Promise((resolve, reject) => {
        const request = client.get(url, resolve);
        request.once("error", reject);
        // A blob store that stops sending for a minute is broken, not slow.
        request.setTimeout(60_000, () => request.destroy(new Error("no data for 60 s")));
    });
}
function artifact_download_messageOf(error) {
    const code = error?.code;
    const message = error instanceof Error ? error.message : String(error);
    return code && !message.includes(code) ? `${message} (${code})` : message;
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
 * goes through the REST API with a token that has `actions:read` (`otherRun`).
 */











const NAME_PREFIX = "etcd-backup";
const MANIFESTS_DOWNLOADED_IN_PARALLEL = 4;
const KIND_ALTERNATIVES = layout/* BACKUP_KINDS */.NJ.join("|");
// Cluster names are DNS labels (no dots), so the first dot-separated fields are unambiguous.
const ARTIFACT_NAME = new RegExp(`^${NAME_PREFIX}\\.([a-z0-9-]+)\\.(${KIND_ALTERNATIVES})\\.(\\d{8}T\\d{6}Z)\\.(.+)$`);
function createArtifactStore(options) {
    return new ArtifactSnapshotStore(options);
}
/** The artifact name of one file of a backup. */
function backupArtifactName(location, fileName) {
    return `${NAME_PREFIX}.${location.cluster}.${location.kind}.${location.timestamp}.${fileName}`;
}
class ArtifactSnapshotStore {
    description;
    logger;
    retentionDays;
    otherRun;
    stagingRoot;
    constructor(options) {
        this.logger = options.logger;
        this.retentionDays = checkRetentionDays(options.retentionDays);
        this.otherRun = options.otherRun ? checkOtherRun(options.otherRun) : undefined;
        this.stagingRoot = options.stagingDir ?? process.env.RUNNER_TEMP ?? (0,external_node_os_.tmpdir)();
        this.description = this.otherRun
            ? `GitHub artifacts of run ${this.otherRun.workflowRunId} in ${this.otherRun.repositoryOwner}/${this.otherRun.repositoryName}`
            : "GitHub artifacts of this workflow run";
    }
    async putPayload(options, payload) {
        this.checkWritable();
        const location = locationOf((0,layout/* checkClusterName */.YN)(options.cluster), (0,layout/* parseBackupKind */.uS)(options.kind), ((0,layout/* parseTimestamp */.EH)(options.timestamp), options.timestamp));
        const name = backupArtifactName(location, (0,layout/* checkPayloadName */.KC)(options.payloadName));
        return this.withStagingFolder(async (folder) => {
            const file = external_node_path_.join(folder, name);
            const staged = await stageStream(payload, file).catch((error) => {
                throw new Error(`Reading the backup payload for artifact ${name} failed before anything was uploaded: ${artifact_messageOf(error)}`, { cause: error });
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
            await this.upload(name, file, { bytes: manifest.length, sha256: sha256Hex(manifest) });
        });
    }
    async list(filter = {}) {
        const manifests = (await this.allArtifacts())
            .map((artifact) => ({ artifact, parsed: parseArtifactName(artifact.name) }))
            .filter(({ parsed }) => parsed?.fileName === layout/* MANIFEST_NAME */.ir)
            .map(({ artifact, parsed }) => ({ artifact, location: parsed.location }))
            .filter(({ location }) => (!filter.cluster || location.cluster === filter.cluster) &&
            (!filter.kind || location.kind === filter.kind));
        const backups = [];
        for (let start = 0; start < manifests.length; start += MANIFESTS_DOWNLOADED_IN_PARALLEL) {
            const batch = manifests.slice(start, start + MANIFESTS_DOWNLOADED_IN_PARALLEL);
            backups.push(...(await Promise.all(batch.map(async ({ artifact, location }) => ({
                location,
                manifest: await this.withStagingFolder(async (folder) => (0,promises_.readFile)(await this.download(artifact, folder))),
            })))));
        }
        return backups.sort((a, b) => compareNewestFirst(a.location, b.location));
    }
    async getPayload(location, payloadName) {
        const name = backupArtifactName(location, payloadName);
        const artifact = (await this.allArtifacts()).find((candidate) => candidate.name === name);
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
        // The manifest goes first, so a backup interrupted half-deleted is no longer listed.
        const manifestFirst = names.sort((a, b) => Number(b.endsWith(layout/* MANIFEST_NAME */.ir)) - Number(a.endsWith(layout/* MANIFEST_NAME */.ir)));
        for (const name of manifestFirst) {
            try {
                await deleteArtifact(name, this.otherRun);
            }
            catch (error) {
                throw new Error(`Deleting artifact ${name} from the ${this.description} failed: ${artifact_messageOf(error)}`, { cause: error });
            }
        }
        this.logger.info(`Deleted ${names.length} artifact(s) of backup ${location.uri}`);
    }
    async upload(name, file, staged) {
        this.logger.info(`Uploading artifact ${name} (${staged.bytes} bytes)`);
        let uploaded;
        try {
            uploaded = await uploadArtifactFile({
                name,
                file,
                ...(this.retentionDays ? { retentionDays: this.retentionDays } : {}),
            });
        }
        catch (error) {
            throw new Error(`Uploading artifact ${name} to the ${this.description} failed: ${artifact_messageOf(error)}${runtimeHint()}`, { cause: error });
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
            received = await downloadArtifactFile({
                id: artifact.id,
                name: artifact.name,
                file: external_node_path_.join(folder, external_node_path_.basename(artifact.name)),
                ...(this.otherRun ? { findBy: this.otherRun } : {}),
            });
        }
        catch (error) {
            throw new Error(`Downloading artifact ${artifact.name} from the ${this.description} failed: ${artifact_messageOf(error)}`, { cause: error });
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
        try {
            return await listArtifacts(this.otherRun);
        }
        catch (error) {
            throw new Error(`Listing the ${this.description} failed: ${artifact_messageOf(error)}${this.otherRun ? "; check that the token has actions:read on the repository and that the run id is right" : runtimeHint()}`, { cause: error });
        }
    }
    checkWritable() {
        if (this.otherRun) {
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
function parseArtifactName(name) {
    const match = ARTIFACT_NAME.exec(name);
    if (!match)
        return undefined;
    const [, cluster, kind, timestamp, fileName] = match;
    return { location: locationOf(cluster, kind, timestamp), fileName: fileName };
}
function locationOf(cluster, kind, timestamp) {
    return { cluster, kind, timestamp, uri: `artifact/${cluster}/${kind}/${timestamp}` };
}
function compareNewestFirst(a, b) {
    return (b.timestamp.localeCompare(a.timestamp) ||
        a.cluster.localeCompare(b.cluster) ||
        a.kind.localeCompare(b.kind));
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
    if (!Number.isInteger(run.workflowRunId) || run.workflowRunId <= 0) {
        throw new Error(`Workflow run id "${run.workflowRunId}" is not valid: expected the number in the run's URL, .../actions/runs/<id>.`);
    }
    if (!run.repositoryOwner || !run.repositoryName) {
        throw new Error(`Repository "${run.repositoryOwner}/${run.repositoryName}" is not valid: expected owner/name of the repository whose run made the backup.`);
    }
    if (!run.token) {
        throw new Error(`Reading the artifacts of run ${run.workflowRunId} needs a token with actions:read on ${run.repositoryOwner}/${run.repositoryName}; none was given.`);
    }
    return run;
}
/** The REST API gives digests with the `sha256:` prefix, the results service without. */
function normaliseDigest(digest) {
    return digest.startsWith("sha256:") ? digest : `sha256:${digest}`;
}
/** Outside a job step the runtime variables are missing; say so instead of a JWT error. */
function runtimeHint() {
    if (process.env.ACTIONS_RUNTIME_TOKEN && process.env.ACTIONS_RESULTS_URL)
        return "";
    return " (ACTIONS_RUNTIME_TOKEN and ACTIONS_RESULTS_URL are not set: GitHub artifacts work only inside a GitHub Actions job; use a file:// or s3:// destination elsewhere)";
}
function sha256Hex(data) {
    return (0,external_node_crypto_.createHash)("sha256").update(data).digest("hex");
}
function artifact_messageOf(error) {
    return error instanceof Error ? error.message : String(error);
}


/***/ }),

/***/ 2341:
/***/ ((__unused_webpack___webpack_module__, __webpack_exports__, __webpack_require__) => {

/* harmony export */ __webpack_require__.d(__webpack_exports__, {
/* harmony export */   S: () => (/* binding */ PartBufferPool),
/* harmony export */   x: () => (/* binding */ uploadInParts)
/* harmony export */ });
/**
 * Reads `source` to its end and sends it in parts; resolves with the bytes and parts sent.
 * On the first failure (the source's or a part's) it stops reading, waits for the parts
 * already on their way to settle, and rejects with that failure, so the caller can then
 * clean up knowing no part is still arriving.
 */
async function uploadInParts(source, options) {
    const { partSizeBytes, partsInFlight, sendPart } = options;
    const pool = new PartBufferPool(partSizeBytes, partsInFlight + 1);
    const sending = new Set();
    let failure;
    let parts = 0;
    let bytes = 0;
    const dispatch = (buffer, length, last) => {
        parts += 1;
        const part = { number: parts, data: buffer.subarray(0, length), last };
        const sent = sendPart(part)
            .then(() => pool.release(buffer), (error) => {
            failure ??= { error };
            // Stop a source that is waiting for its next chunk, rather than wait on it.
            source.destroy(failure.error);
        })
            .finally(() => sending.delete(sent));
        sending.add(sent);
    };
    /** Waits until fewer than `partsInFlight` parts are on their way; throws the first failure. */
    const roomToSend = async () => {
        while (!failure && sending.size >= partsInFlight)
            await Promise.race(sending);
        if (failure)
            throw failure.error;
    };
    let filling;
    let filled = 0;
    try {
        for await (const received of source) {
            const chunk = typeof received === "string" ? Buffer.from(received) : received;
            for (let offset = 0; offset < chunk.length;) {
                if (failure)
                    throw failure.error;
                // A full part goes only once more data arrives, so the last part is known as such.
                if (filling && filled === partSizeBytes) {
                    await roomToSend();
                    dispatch(filling, filled, false);
                    filling = undefined;
                }
                if (!filling) {
                    // At most partsInFlight buffers are being sent, so one of the pool's is free.
                    filling = pool.take();
                    filled = 0;
                }
                const copied = chunk.copy(filling, filled, offset, offset + partSizeBytes - filled);
                filled += copied;
                offset += copied;
                bytes += copied;
            }
        }
        await roomToSend();
        dispatch(filling ?? Buffer.alloc(0), filled, true);
        await Promise.all(sending);
        if (failure)
            throw failure.error;
    }
    catch (error) {
        await Promise.allSettled(sending);
        throw error;
    }
    return { bytes, parts };
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
