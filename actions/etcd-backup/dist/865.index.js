export const id = 865;
export const ids = [865];
export const modules = {

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


/***/ }),

/***/ 3865:
/***/ ((__unused_webpack___webpack_module__, __webpack_exports__, __webpack_require__) => {

/* harmony export */ __webpack_require__.d(__webpack_exports__, {
/* harmony export */   createS3Store: () => (/* binding */ createS3Store)
/* harmony export */ });
/* unused harmony export S3SnapshotStore */
/* harmony import */ var _aws_sdk_client_s3__WEBPACK_IMPORTED_MODULE_4__ = __webpack_require__(3711);
/* harmony import */ var _errors_js__WEBPACK_IMPORTED_MODULE_0__ = __webpack_require__(1222);
/* harmony import */ var _backend_kit_js__WEBPACK_IMPORTED_MODULE_1__ = __webpack_require__(2119);
/* harmony import */ var _layout_js__WEBPACK_IMPORTED_MODULE_2__ = __webpack_require__(721);
/* harmony import */ var _part_uploader_js__WEBPACK_IMPORTED_MODULE_3__ = __webpack_require__(2341);





// 5 MiB parts (the S3 minimum), 2 in flight and 1 filling: 15 MiB held, and 10,000 parts
// still cover a 50 GB payload (etcd's own limit is 8 GB). Larger parts only hold more memory.
const DEFAULT_PART_SIZE = 5 * 1024 * 1024;
const DEFAULT_QUEUE_SIZE = 2;
const MIN_PART_SIZE = 5 * 1024 * 1024;
const MANIFEST_READS_IN_PARALLEL = 8;
function createS3Store(options) {
    return new S3SnapshotStore(options);
}
class S3SnapshotStore {
    description;
    bucket;
    prefix;
    endpointName;
    client;
    logger;
    partSize;
    queueSize;
    constructor(options) {
        const { bucket, prefix } = (0,_layout_js__WEBPACK_IMPORTED_MODULE_2__/* .parseS3Location */ .TL)(options.url);
        this.bucket = bucket;
        this.prefix = prefix;
        this.logger = options.logger;
        this.partSize = checkPartSize(options.partSizeBytes ?? DEFAULT_PART_SIZE);
        this.queueSize = checkQueueSize(options.queueSize ?? DEFAULT_QUEUE_SIZE);
        const region = options.region || options.defaultRegion || "us-east-1";
        this.endpointName = options.endpoint ?? `AWS S3 (${region})`;
        this.description = `s3://${bucket}${prefix ? `/${prefix}` : ""} at ${this.endpointName}`;
        this.client = new _aws_sdk_client_s3__WEBPACK_IMPORTED_MODULE_4__/* .S3Client */ .YxF(clientConfig(options, region));
    }
    async putPayload(options, payload) {
        (0,_layout_js__WEBPACK_IMPORTED_MODULE_2__/* .checkPutOptions */ .uJ)(options);
        const location = this.locationOf(options.cluster, options.kind, options.timestamp);
        const key = this.keyOf(location, options.payloadName);
        this.logger.info(`Uploading ${options.payloadName} to ${this.uriOf(key)}`);
        const upload = new MultipartUpload(this.client, this.bucket, key);
        let storedBytes;
        try {
            ({ bytes: storedBytes } = await (0,_part_uploader_js__WEBPACK_IMPORTED_MODULE_3__/* .uploadInParts */ .x9)(payload, {
                partSizeBytes: this.partSize,
                partsInFlight: this.queueSize,
                sendPart: (part) => upload.send(part),
            }));
            await upload.complete();
        }
        catch (error) {
            payload.destroy();
            // No partial object or orphaned parts may stay in the bucket (uploadInParts has
            // waited for the parts in flight, so none arrives after the abort).
            await upload.abort();
            throw this.failure(`upload of the payload to ${this.uriOf(key)}`, error);
        }
        this.logger.info(`Stored ${storedBytes} bytes at ${this.uriOf(key)}`);
        return { location, storedBytes };
    }
    async putManifest(location, manifest) {
        const key = this.keyOf(location, _layout_js__WEBPACK_IMPORTED_MODULE_2__/* .MANIFEST_NAME */ .ir);
        try {
            await this.client.send(new _aws_sdk_client_s3__WEBPACK_IMPORTED_MODULE_4__/* .PutObjectCommand */ .wKZ({
                Bucket: this.bucket,
                Key: key,
                Body: manifest,
                ContentType: "application/json",
            }));
        }
        catch (error) {
            throw this.failure(`writing the manifest ${this.uriOf(key)}`, error);
        }
    }
    async list(filter = {}) {
        const manifestKeys = (await this.keysUnder(this.listPrefix(filter))).filter((key) => key.endsWith(`/${_layout_js__WEBPACK_IMPORTED_MODULE_2__/* .MANIFEST_NAME */ .ir}`));
        const found = manifestKeys.flatMap((key) => {
            const location = this.locationFromManifestKey(key);
            return location ? [{ location }] : [];
        });
        return (0,_backend_kit_js__WEBPACK_IMPORTED_MODULE_1__/* .readListedBackups */ .tp)(found, filter, MANIFEST_READS_IN_PARALLEL, ({ location }) => this.readManifest(location));
    }
    async getPayload(location, payloadName) {
        const key = this.keyOf(location, payloadName);
        try {
            const response = await this.client.send(new _aws_sdk_client_s3__WEBPACK_IMPORTED_MODULE_4__/* .GetObjectCommand */ .jLs({ Bucket: this.bucket, Key: key }));
            return response.Body;
        }
        catch (error) {
            if (errorName(error) === "NoSuchKey") {
                throw new Error(`Backup payload ${this.uriOf(key)} does not exist at ${this.endpointName}: list the backups to find one that does.`, { cause: error });
            }
            throw this.failure(`download of ${this.uriOf(key)}`, error);
        }
    }
    async delete(location) {
        const folder = `${this.folderOf(location)}/`;
        const keys = await this.keysUnder(folder);
        // A payload left behind by an interrupted delete is removed by the next one.
        await (0,_backend_kit_js__WEBPACK_IMPORTED_MODULE_1__/* .deleteManifestFirst */ .vu)(keys, (key) => key.endsWith(`/${_layout_js__WEBPACK_IMPORTED_MODULE_2__/* .MANIFEST_NAME */ .ir}`), async (key) => {
            await this.client.send(new _aws_sdk_client_s3__WEBPACK_IMPORTED_MODULE_4__/* .DeleteObjectCommand */ .k4j({ Bucket: this.bucket, Key: key }));
        }, (key, error) => this.failure(`deleting ${this.uriOf(key)}`, error));
        this.logger.info(`Deleted ${keys.length} object(s) of backup ${location.uri}`);
    }
    /** One small object, `<prefix>/<cluster>/restores/<timestamp>.json`, beside the backups. */
    async putRestoreRecord(cluster, timestamp, record) {
        const key = [this.prefix, (0,_layout_js__WEBPACK_IMPORTED_MODULE_2__/* .restoreRecordPath */ .t7)(cluster, timestamp)].filter(Boolean).join("/");
        try {
            await this.client.send(new _aws_sdk_client_s3__WEBPACK_IMPORTED_MODULE_4__/* .PutObjectCommand */ .wKZ({
                Bucket: this.bucket,
                Key: key,
                Body: record,
                ContentType: "application/json",
            }));
        }
        catch (error) {
            throw this.failure(`writing the restore record ${this.uriOf(key)}`, error);
        }
        return this.uriOf(key);
    }
    async listRestoreRecords(cluster) {
        const folder = [this.prefix, (0,_layout_js__WEBPACK_IMPORTED_MODULE_2__/* .checkClusterName */ .YN)(cluster), _layout_js__WEBPACK_IMPORTED_MODULE_2__/* .RESTORES_FOLDER */ .fK]
            .filter(Boolean)
            .join("/");
        const records = [];
        for (const key of await this.keysUnder(`${folder}/`)) {
            const timestamp = key.slice(folder.length + 1).replace(/\.json$/, "");
            if (!(0,_layout_js__WEBPACK_IMPORTED_MODULE_2__/* .isTimestamp */ .Fx)(timestamp) || !key.endsWith(".json"))
                continue;
            try {
                const response = await this.client.send(new _aws_sdk_client_s3__WEBPACK_IMPORTED_MODULE_4__/* .GetObjectCommand */ .jLs({ Bucket: this.bucket, Key: key }));
                const record = Buffer.from(await response.Body.transformToByteArray());
                records.push({ cluster, timestamp, uri: this.uriOf(key), record });
            }
            catch (error) {
                throw this.failure(`reading the restore record ${this.uriOf(key)}`, error);
            }
        }
        return records.sort((a, b) => b.timestamp.localeCompare(a.timestamp));
    }
    async readManifest(location) {
        const key = this.keyOf(location, _layout_js__WEBPACK_IMPORTED_MODULE_2__/* .MANIFEST_NAME */ .ir);
        try {
            const response = await this.client.send(new _aws_sdk_client_s3__WEBPACK_IMPORTED_MODULE_4__/* .GetObjectCommand */ .jLs({ Bucket: this.bucket, Key: key }));
            return Buffer.from(await response.Body.transformToByteArray());
        }
        catch (error) {
            // Deleted between listing and reading (retention running elsewhere): not a backup.
            if (errorName(error) === "NoSuchKey")
                return undefined;
            throw this.failure(`reading the manifest ${this.uriOf(key)}`, error);
        }
    }
    async keysUnder(prefix) {
        const keys = [];
        let continuationToken;
        do {
            try {
                const page = await this.client.send(new _aws_sdk_client_s3__WEBPACK_IMPORTED_MODULE_4__/* .ListObjectsV2Command */ .u6x({
                    Bucket: this.bucket,
                    Prefix: prefix,
                    ContinuationToken: continuationToken,
                }));
                for (const object of page.Contents ?? [])
                    if (object.Key)
                        keys.push(object.Key);
                continuationToken = page.IsTruncated ? page.NextContinuationToken : undefined;
            }
            catch (error) {
                throw this.failure(`listing ${this.uriOf(prefix)}`, error);
            }
        } while (continuationToken);
        return keys;
    }
    listPrefix(filter) {
        const segments = [this.prefix];
        if (filter.cluster) {
            segments.push(filter.cluster);
            if (filter.kind)
                segments.push(filter.kind);
        }
        const joined = segments.filter(Boolean).join("/");
        return joined ? `${joined}/` : "";
    }
    locationFromManifestKey(key) {
        const relative = this.prefix ? key.slice(this.prefix.length + 1) : key;
        const [cluster, kind, timestamp, name, ...rest] = relative.split("/");
        const place = (0,_backend_kit_js__WEBPACK_IMPORTED_MODULE_1__/* .backupPlaceOf */ .dF)(cluster, kind, timestamp);
        if (rest.length > 0 || name !== _layout_js__WEBPACK_IMPORTED_MODULE_2__/* .MANIFEST_NAME */ .ir || !place)
            return undefined;
        return this.locationOf(place.cluster, place.kind, place.timestamp);
    }
    locationOf(cluster, kind, timestamp) {
        const location = { cluster, kind, timestamp, uri: "" };
        location.uri = this.uriOf(this.folderOf(location));
        return location;
    }
    folderOf(location) {
        return [this.prefix, location.cluster, location.kind, location.timestamp]
            .filter(Boolean)
            .join("/");
    }
    keyOf(location, name) {
        return `${this.folderOf(location)}/${name}`;
    }
    uriOf(key) {
        return `s3://${this.bucket}/${key}`;
    }
    /** One sentence an operator can act on, for each way S3 says no. */
    failure(action, error) {
        const name = errorName(error);
        const status = error?.$metadata
            ?.httpStatusCode;
        const networkCode = networkErrorCode(error);
        let message;
        if (name === "CredentialsProviderError") {
            message = `No S3 credentials were found for bucket "${this.bucket}" at ${this.endpointName} during the ${action}: set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY (or give the access key inputs), or run where an AWS profile or role provides them.`;
        }
        else if (name === "NoSuchBucket") {
            message = `S3 bucket "${this.bucket}" does not exist at ${this.endpointName}: create it, or correct the destination s3://${this.bucket}/${this.prefix}.`;
        }
        else if (name === "InvalidAccessKeyId" ||
            name === "SignatureDoesNotMatch" ||
            name === "AccessDenied" ||
            name === "InvalidToken" ||
            name === "ExpiredToken" ||
            status === 403) {
            message = `${this.endpointName} refused the credentials for bucket "${this.bucket}" during the ${action} (${name}): check the access key and secret (AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY or the inputs) and the bucket policy.`;
        }
        else if (networkCode) {
            message = `Cannot reach the S3 endpoint ${this.endpointName} for bucket "${this.bucket}" during the ${action} (${networkCode}): check the endpoint address and that the service is up and reachable from this runner.`;
        }
        else {
            message = `S3 ${action} at ${this.endpointName} failed: ${(0,_errors_js__WEBPACK_IMPORTED_MODULE_0__/* .errorMessage */ .gJ)(error)}`;
        }
        return new Error(message, { cause: error });
    }
}
function clientConfig(options, region) {
    return {
        region,
        ...(options.endpoint ? { endpoint: options.endpoint } : {}),
        forcePathStyle: options.forcePathStyle ?? Boolean(options.endpoint),
        ...(options.credentials ? { credentials: options.credentials } : {}),
        // Checksums only where S3 demands them: the streaming checksum trailers the SDK sends
        // by default are not understood by many S3-compatible services, and the pipeline
        // hashes every byte itself anyway.
        requestChecksumCalculation: "WHEN_REQUIRED",
        responseChecksumValidation: "WHEN_REQUIRED",
        // Fail fast on an endpoint that does not answer rather than hang the job,
        // and a connection that goes silent (120 s without a byte) counts as broken.
        requestHandler: { connectionTimeout: 10_000, requestTimeout: 120_000 },
        maxAttempts: 3,
    };
}
function checkPartSize(bytes) {
    if (!Number.isInteger(bytes) || bytes < MIN_PART_SIZE) {
        throw new Error(`S3 part size ${bytes} is not valid: expected a whole number of bytes of at least ${MIN_PART_SIZE} (5 MiB, the S3 minimum).`);
    }
    return bytes;
}
function checkQueueSize(parts) {
    if (!Number.isInteger(parts) || parts < 1 || parts > 64) {
        throw new Error(`S3 upload queue size ${parts} is not valid: expected a whole number of parts from 1 to 64.`);
    }
    return parts;
}
/**
 * One object's upload, part by part: a payload that fits in one part goes up as a plain
 * PutObject; a bigger one as a multipart upload, started with its first part. Each part
 * is sent as the Buffer it is, with its exact length, so the SDK neither copies nor
 * re-buffers it.
 */
class MultipartUpload {
    client;
    bucket;
    key;
    uploadId;
    etags = [];
    constructor(client, bucket, key) {
        this.client = client;
        this.bucket = bucket;
        this.key = key;
    }
    async send(part) {
        const { Bucket, Key } = { Bucket: this.bucket, Key: this.key };
        const body = { Body: part.data, ContentLength: part.data.length };
        if (part.number === 1 && part.last) {
            await this.client.send(new _aws_sdk_client_s3__WEBPACK_IMPORTED_MODULE_4__/* .PutObjectCommand */ .wKZ({ Bucket, Key, ...body }));
            return;
        }
        this.uploadId ??= this.client
            .send(new _aws_sdk_client_s3__WEBPACK_IMPORTED_MODULE_4__/* .CreateMultipartUploadCommand */ .nG4({ Bucket, Key }))
            .then(({ UploadId }) => {
            if (!UploadId)
                throw new Error(`S3 started no multipart upload for ${Key}: no UploadId.`);
            return UploadId;
        });
        const UploadId = await this.uploadId;
        const { ETag } = await this.client.send(new _aws_sdk_client_s3__WEBPACK_IMPORTED_MODULE_4__/* .UploadPartCommand */ .iVK({ Bucket, Key, UploadId, PartNumber: part.number, ...body }));
        if (!ETag)
            throw new Error(`S3 returned no ETag for part ${part.number} of ${Key}.`);
        this.etags[part.number - 1] = ETag;
    }
    async complete() {
        if (!this.uploadId)
            return;
        await this.client.send(new _aws_sdk_client_s3__WEBPACK_IMPORTED_MODULE_4__/* .CompleteMultipartUploadCommand */ .Gym({
            Bucket: this.bucket,
            Key: this.key,
            UploadId: await this.uploadId,
            MultipartUpload: {
                Parts: this.etags.map((ETag, index) => ({ ETag, PartNumber: index + 1 })),
            },
        }));
    }
    /** Best effort: the failure that led here is the one to report. */
    async abort() {
        const UploadId = await this.uploadId?.catch(() => undefined);
        if (!UploadId)
            return;
        await this.client
            .send(new _aws_sdk_client_s3__WEBPACK_IMPORTED_MODULE_4__/* .AbortMultipartUploadCommand */ .tfP({ Bucket: this.bucket, Key: this.key, UploadId }))
            .catch(() => undefined);
    }
}
function errorName(error) {
    return error?.name ?? "";
}
/** ECONNREFUSED and friends, wherever the SDK or Node tucked the code. */
function networkErrorCode(error) {
    const candidates = [error, error?.cause];
    for (const aggregate of candidates) {
        const nested = aggregate?.errors;
        if (Array.isArray(nested))
            candidates.push(...nested);
    }
    for (const candidate of candidates) {
        const code = candidate?.code;
        if (typeof code === "string" &&
            /^(ECONNREFUSED|ECONNRESET|ENOTFOUND|EAI_AGAIN|ETIMEDOUT|EHOSTUNREACH|ENETUNREACH|EPIPE)$/.test(code)) {
            return code;
        }
        const name = errorName(candidate);
        if (name === "TimeoutError")
            return "timed out";
    }
    return undefined;
}


/***/ })

};
