export const id = 765;
export const ids = [765];
export const modules = {

/***/ 58765:
/***/ ((__unused_webpack___webpack_module__, __webpack_exports__, __webpack_require__) => {

/* harmony export */ __webpack_require__.d(__webpack_exports__, {
/* harmony export */   createArtifactStore: () => (/* binding */ createArtifactStore)
/* harmony export */ });
/* unused harmony exports backupArtifactName, ArtifactSnapshotStore */
/* harmony import */ var node_crypto__WEBPACK_IMPORTED_MODULE_0__ = __webpack_require__(77598);
/* harmony import */ var node_fs__WEBPACK_IMPORTED_MODULE_1__ = __webpack_require__(73024);
/* harmony import */ var node_fs_promises__WEBPACK_IMPORTED_MODULE_2__ = __webpack_require__(51455);
/* harmony import */ var node_os__WEBPACK_IMPORTED_MODULE_3__ = __webpack_require__(48161);
/* harmony import */ var node_path__WEBPACK_IMPORTED_MODULE_4__ = __webpack_require__(76760);
/* harmony import */ var node_stream__WEBPACK_IMPORTED_MODULE_5__ = __webpack_require__(57075);
/* harmony import */ var node_stream_promises__WEBPACK_IMPORTED_MODULE_6__ = __webpack_require__(46466);
/* harmony import */ var _actions_artifact__WEBPACK_IMPORTED_MODULE_7__ = __webpack_require__(60990);
/* harmony import */ var _layout_js__WEBPACK_IMPORTED_MODULE_8__ = __webpack_require__(50721);
/**
 * The GitHub artifact backend (`artifact`), the default inside GitHub Actions.
 *
 * Each backup is two artifacts of the current workflow run, named after the same facts as
 * the folder layout of the other backends:
 *   `etcd-backup.<cluster>.<kind>.<timestamp>.<payloadName>`   the payload, one raw file
 *   `etcd-backup.<cluster>.<kind>.<timestamp>.manifest.json`   uploaded last
 * Both go up without a zip layer (`skipArchive`): the payload is already compressed and
 * encrypted, and a restore can fetch it as it is. Listing looks at manifest artifacts only,
 * so a backup whose manifest never arrived is not a backup.
 *
 * @actions/artifact uploads and downloads files, not streams: the payload is staged in a
 * private temporary folder (RUNNER_TEMP inside Actions) on its way, in constant memory, and
 * removed as soon as it has been sent or read.
 *
 * Reading another run's backups (a restore workflow reading what a scheduled backup stored)
 * goes through the REST API with a token that has `actions:read` (`findBy`).
 */









const NAME_PREFIX = "etcd-backup";
const MANIFESTS_DOWNLOADED_IN_PARALLEL = 4;
const KIND_ALTERNATIVES = _layout_js__WEBPACK_IMPORTED_MODULE_8__/* .BACKUP_KINDS */ .NJ.join("|");
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
    client;
    logger;
    retentionDays;
    otherRun;
    stagingRoot;
    constructor(options) {
        this.client = options.client ?? new _actions_artifact__WEBPACK_IMPORTED_MODULE_7__/* .DefaultArtifactClient */ .t9();
        this.logger = options.logger;
        this.retentionDays = checkRetentionDays(options.retentionDays);
        this.otherRun = options.otherRun ? checkOtherRun(options.otherRun) : undefined;
        this.stagingRoot = options.stagingDir ?? process.env.RUNNER_TEMP ?? (0,node_os__WEBPACK_IMPORTED_MODULE_3__.tmpdir)();
        this.description = this.otherRun
            ? `GitHub artifacts of run ${this.otherRun.workflowRunId} in ${this.otherRun.repositoryOwner}/${this.otherRun.repositoryName}`
            : "GitHub artifacts of this workflow run";
    }
    async putPayload(options, payload) {
        this.checkWritable();
        const location = locationOf((0,_layout_js__WEBPACK_IMPORTED_MODULE_8__/* .checkClusterName */ .YN)(options.cluster), (0,_layout_js__WEBPACK_IMPORTED_MODULE_8__/* .parseBackupKind */ .uS)(options.kind), ((0,_layout_js__WEBPACK_IMPORTED_MODULE_8__/* .parseTimestamp */ .EH)(options.timestamp), options.timestamp));
        const name = backupArtifactName(location, (0,_layout_js__WEBPACK_IMPORTED_MODULE_8__/* .checkPayloadName */ .KC)(options.payloadName));
        return this.withStagingFolder(async (folder) => {
            const file = node_path__WEBPACK_IMPORTED_MODULE_4__.join(folder, name);
            const staged = await stageStream(payload, file).catch((error) => {
                throw new Error(`Reading the backup payload for artifact ${name} failed before anything was uploaded: ${messageOf(error)}`, { cause: error });
            });
            await this.upload(name, file, staged);
            return { location, storedBytes: staged.bytes };
        });
    }
    async putManifest(location, manifest) {
        this.checkWritable();
        const name = backupArtifactName(location, _layout_js__WEBPACK_IMPORTED_MODULE_8__/* .MANIFEST_NAME */ .ir);
        await this.withStagingFolder(async (folder) => {
            const file = node_path__WEBPACK_IMPORTED_MODULE_4__.join(folder, name);
            await (0,node_fs_promises__WEBPACK_IMPORTED_MODULE_2__.writeFile)(file, manifest, { mode: 0o600 });
            await this.upload(name, file, { bytes: manifest.length, sha256: sha256Hex(manifest) });
        });
    }
    async list(filter = {}) {
        const manifests = (await this.allArtifacts())
            .map((artifact) => ({ artifact, parsed: parseArtifactName(artifact.name) }))
            .filter(({ parsed }) => parsed?.fileName === _layout_js__WEBPACK_IMPORTED_MODULE_8__/* .MANIFEST_NAME */ .ir)
            .map(({ artifact, parsed }) => ({ artifact, location: parsed.location }))
            .filter(({ location }) => (!filter.cluster || location.cluster === filter.cluster) &&
            (!filter.kind || location.kind === filter.kind));
        const backups = [];
        for (let start = 0; start < manifests.length; start += MANIFESTS_DOWNLOADED_IN_PARALLEL) {
            const batch = manifests.slice(start, start + MANIFESTS_DOWNLOADED_IN_PARALLEL);
            backups.push(...(await Promise.all(batch.map(async ({ artifact, location }) => ({
                location,
                manifest: await this.withStagingFolder(async (folder) => (0,node_fs_promises__WEBPACK_IMPORTED_MODULE_2__.readFile)(await this.download(artifact, folder))),
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
            await (0,node_fs_promises__WEBPACK_IMPORTED_MODULE_2__.rm)(folder, { recursive: true, force: true });
            throw error;
        }
    }
    async delete(location) {
        const prefix = backupArtifactName(location, "");
        const names = (await this.allArtifacts())
            .map((artifact) => artifact.name)
            .filter((name) => name.startsWith(prefix));
        // The manifest goes first, so a backup interrupted half-deleted is no longer listed.
        const manifestFirst = names.sort((a, b) => Number(b.endsWith(_layout_js__WEBPACK_IMPORTED_MODULE_8__/* .MANIFEST_NAME */ .ir)) - Number(a.endsWith(_layout_js__WEBPACK_IMPORTED_MODULE_8__/* .MANIFEST_NAME */ .ir)));
        for (const name of manifestFirst) {
            try {
                await this.client.deleteArtifact(name, this.findBy());
            }
            catch (error) {
                throw new Error(`Deleting artifact ${name} from the ${this.description} failed: ${messageOf(error)}`, { cause: error });
            }
        }
        this.logger.info(`Deleted ${names.length} artifact(s) of backup ${location.uri}`);
    }
    async upload(name, file, staged) {
        this.logger.info(`Uploading artifact ${name} (${staged.bytes} bytes)`);
        let uploaded;
        try {
            uploaded = await this.client.uploadArtifact(name, [file], node_path__WEBPACK_IMPORTED_MODULE_4__.dirname(file), {
                skipArchive: true,
                ...(this.retentionDays ? { retentionDays: this.retentionDays } : {}),
            });
        }
        catch (error) {
            throw new Error(`Uploading artifact ${name} to the ${this.description} failed: ${messageOf(error)}${runtimeHint()}`, { cause: error });
        }
        // The client hashes what it sent; a different digest means the bytes changed on the way.
        if (uploaded.digest && uploaded.digest.replace(/^sha256:/, "") !== staged.sha256) {
            throw new Error(`Artifact ${name} was uploaded with sha256 ${uploaded.digest}, but the staged file has ${staged.sha256}: the upload is not trustworthy; run the backup again.`);
        }
        this.logger.info(`Artifact ${name} stored (id ${uploaded.id ?? "unknown"})`);
    }
    /** Downloads one artifact into `folder` and checks it; returns the file's path. */
    async download(artifact, folder) {
        let digestMismatch;
        try {
            ({ digestMismatch } = await this.client.downloadArtifact(artifact.id, {
                path: folder,
                skipDecompress: true,
                ...(artifact.digest ? { expectedHash: normaliseDigest(artifact.digest) } : {}),
                ...this.findBy(),
            }));
        }
        catch (error) {
            throw new Error(`Downloading artifact ${artifact.name} from the ${this.description} failed: ${messageOf(error)}`, { cause: error });
        }
        const [fileName, ...others] = await (0,node_fs_promises__WEBPACK_IMPORTED_MODULE_2__.readdir)(folder);
        const file = node_path__WEBPACK_IMPORTED_MODULE_4__.join(folder, fileName ?? "");
        const bytes = fileName ? (await (0,node_fs_promises__WEBPACK_IMPORTED_MODULE_2__.stat)(file)).size : -1;
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
            const { artifacts } = await this.client.listArtifacts({ latest: true, ...this.findBy() });
            return artifacts;
        }
        catch (error) {
            throw new Error(`Listing the ${this.description} failed: ${messageOf(error)}${this.otherRun ? "; check that the token has actions:read on the repository and that the run id is right" : runtimeHint()}`, { cause: error });
        }
    }
    findBy() {
        return this.otherRun ? { findBy: this.otherRun } : {};
    }
    checkWritable() {
        if (this.otherRun) {
            throw new Error(`Backups are uploaded to the artifacts of the run that makes them, not to ${this.description}: drop the run id and token to store a new backup.`);
        }
    }
    newStagingFolder() {
        return (0,node_fs_promises__WEBPACK_IMPORTED_MODULE_2__.mkdtemp)(node_path__WEBPACK_IMPORTED_MODULE_4__.join(this.stagingRoot, "etcd-backup-artifact-"));
    }
    async withStagingFolder(work) {
        const folder = await this.newStagingFolder();
        try {
            return await work(folder);
        }
        finally {
            await (0,node_fs_promises__WEBPACK_IMPORTED_MODULE_2__.rm)(folder, { recursive: true, force: true });
        }
    }
}
/** Writes the stream to a new private file, counting and hashing what passes. */
async function stageStream(payload, file) {
    const hash = (0,node_crypto__WEBPACK_IMPORTED_MODULE_0__.createHash)("sha256");
    let bytes = 0;
    const meter = new node_stream__WEBPACK_IMPORTED_MODULE_5__.Transform({
        transform(chunk, _encoding, done) {
            bytes += chunk.length;
            hash.update(chunk);
            done(null, chunk);
        },
    });
    await (0,node_stream_promises__WEBPACK_IMPORTED_MODULE_6__.pipeline)(payload, meter, (0,node_fs__WEBPACK_IMPORTED_MODULE_1__.createWriteStream)(file, { flags: "wx", mode: 0o600 }));
    return { bytes, sha256: hash.digest("hex") };
}
/**
 * A stream of the staged file that removes its folder when the caller has read it or given
 * up on it; the removal is done before the stream reports `close`.
 */
function readThenRemove(file, folder) {
    const stream = (0,node_fs__WEBPACK_IMPORTED_MODULE_1__.createReadStream)(file);
    const destroyFile = stream._destroy.bind(stream);
    stream._destroy = (error, callback) => {
        destroyFile(error, (destroyError) => {
            void (0,node_fs_promises__WEBPACK_IMPORTED_MODULE_2__.rm)(folder, { recursive: true, force: true }).finally(() => callback(destroyError));
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
    return (0,node_crypto__WEBPACK_IMPORTED_MODULE_0__.createHash)("sha256").update(data).digest("hex");
}
function messageOf(error) {
    return error instanceof Error ? error.message : String(error);
}


/***/ })

};
