export const id = 75;
export const ids = [75];
export const modules = {

/***/ 98552:
/***/ ((__unused_webpack___webpack_module__, __webpack_exports__, __webpack_require__) => {

/* harmony export */ __webpack_require__.d(__webpack_exports__, {
/* harmony export */   O: () => (/* binding */ streamFileIntoPod)
/* harmony export */ });
/* unused harmony export receiveFileCommand */
/* harmony import */ var node_stream__WEBPACK_IMPORTED_MODULE_0__ = __webpack_require__(57075);
/* harmony import */ var _errors_js__WEBPACK_IMPORTED_MODULE_1__ = __webpack_require__(51222);
/* harmony import */ var _format_js__WEBPACK_IMPORTED_MODULE_4__ = __webpack_require__(44714);
/* harmony import */ var _exec_js__WEBPACK_IMPORTED_MODULE_2__ = __webpack_require__(87770);
/* harmony import */ var _pod_target_js__WEBPACK_IMPORTED_MODULE_3__ = __webpack_require__(70216);
/**
 * Streaming a file into a pod through exec stdin, for restores (the snapshot into a utility
 * pod): the pod reads exactly the expected number of bytes into `<path>.part` (it never
 * waits for an end of input, which the v4 exec protocol cannot send), checks the sha256
 * there, and renames the file into place only when it matches. Whatever goes wrong,
 * `<path>.part` is removed (by the pod's script, else by a clean-up exec); when the pod is
 * gone and that cannot run, the error says so, and a rerun removes the stale file first.
 */





/** Exit codes of the in-pod script, each one failure the caller turns into a sentence. */
const EXIT = {
    shortInput: 10,
    shaMismatch: 11,
    writeFailed: 12,
    hashFailed: 13,
    noHasher: 127,
};
/**
 * `sh -c` script; arguments: the path, the byte count, the expected sha256. openssl first
 * (SHA-NI, ~4x faster than coreutils), else sha256sum; the check for either comes before any
 * byte is read. `head -c` stops at the byte count, so no end of input is needed.
 */
const RECEIVE_SCRIPT = `path=$1 bytes=$2 want=$3
part="$path.part"
if command -v openssl >/dev/null 2>&1; then hash() { openssl dgst -sha256 -r "$1"; }
elif command -v sha256sum >/dev/null 2>&1; then hash() { sha256sum "$1"; }
else echo "neither openssl nor sha256sum found" >&2; exit ${EXIT.noHasher}; fi
trap 'rm -f "$part"; exit 143' HUP INT TERM
rm -f "$part"
head -c "$bytes" > "$part" || { rm -f "$part"; exit ${EXIT.writeFailed}; }
set -- $(wc -c < "$part")
if [ "\${1:-0}" -ne "$bytes" ]; then rm -f "$part"; echo "\${1:-0}" >&2; exit ${EXIT.shortInput}; fi
sum=$(hash "$part") || { rm -f "$part"; exit ${EXIT.hashFailed}; }
sum=\${sum%% *}
if [ "$sum" != "$want" ]; then rm -f "$part"; echo "$sum" >&2; exit ${EXIT.shaMismatch}; fi
mv -f "$part" "$path" || { rm -f "$part"; exit ${EXIT.writeFailed}; }`;
/** The receiving script's argv. */
function receiveFileCommand(path, expected) {
    return ["sh", "-c", RECEIVE_SCRIPT, "sh", path, String(expected.bytes), expected.sha256];
}
/** How long the clean-up after a failure may take; it runs even after a cancel. */
const CLEANUP_TIMEOUT_MS = 60_000;
/**
 * Streams `source` into `path` in the pod: exactly `expected.bytes` bytes, checked against
 * `expected.sha256` in the pod before the file gets its name. Resolves once the file is in
 * place; rejects with one sentence (wrong size, wrong sha256, pod gone, cancelled, ...) after
 * removing `<path>.part`. The source is consumed (and destroyed on failure).
 */
async function streamFileIntoPod(config, target, path, source, expected, options = {}) {
    checkArguments(path, expected);
    const where = (0,_pod_target_js__WEBPACK_IMPORTED_MODULE_3__/* .describePodTarget */ .C)(target);
    const sized = new ExactLength(expected.bytes);
    // Only the source's own errors count as the source's: once the exec has ended, the
    // source is destroyed on purpose.
    let execEnded = false;
    let sourceError;
    source.on("error", (error) => {
        if (!execEnded)
            sourceError ??= error;
        sized.destroy(error);
    });
    // The exec reads `sized` only while it runs; its errors are reported through sourceError
    // and lengthError below, so one that comes after the exec ended must not go unhandled.
    sized.on("error", () => undefined);
    source.pipe(sized);
    let result;
    let execError;
    try {
        result = await (0,_exec_js__WEBPACK_IMPORTED_MODULE_2__/* .execInPod */ .YE)(config, {
            ...target,
            command: receiveFileCommand(path, expected),
            stdin: sized,
            stdinEndsItself: true,
            signal: options.signal,
        });
    }
    catch (error) {
        execError = error;
    }
    execEnded = true;
    sourceError = sized.lengthError ?? sourceError;
    if (result?.exitCode === 0)
        return;
    source.destroy();
    const failure = describeFailure({ where, path, expected, result, execError, sourceError });
    const leftover = await removePartFile(config, target, path);
    throw leftover ? new Error(`${failure.message} ${leftover}`, { cause: failure }) : failure;
}
function checkArguments(path, expected) {
    if (!path.startsWith("/") || /[\n\0]/.test(path) || path.endsWith("/")) {
        throw new _errors_js__WEBPACK_IMPORTED_MODULE_1__/* .ConfigurationError */ .j1("path", `expected an absolute file path in the pod, got "${path}"`);
    }
    if (!Number.isSafeInteger(expected.bytes) || expected.bytes < 0) {
        throw new _errors_js__WEBPACK_IMPORTED_MODULE_1__/* .ConfigurationError */ .j1("bytes", `expected a whole number of bytes, 0 or more, got ${String(expected.bytes)}`);
    }
    if (!/^[0-9a-f]{64}$/.test(expected.sha256)) {
        throw new _errors_js__WEBPACK_IMPORTED_MODULE_1__/* .ConfigurationError */ .j1("sha256", "expected 64 lowercase hexadecimal digits");
    }
}
/** One sentence for what went wrong, the root cause first: the source, then cancel, then the pod. */
function describeFailure(outcome) {
    const { where, path, expected, result, execError, sourceError } = outcome;
    if (sourceError instanceof InputLengthError)
        return sourceError.withTarget(where, path);
    if (execError instanceof _errors_js__WEBPACK_IMPORTED_MODULE_1__/* .CancelledError */ .cc) {
        return new _errors_js__WEBPACK_IMPORTED_MODULE_1__/* .CancelledError */ .cc(`streaming ${path} into ${where} was cancelled.`, {
            cause: execError,
        });
    }
    if (sourceError && !result) {
        return new Error(`reading the file to stream into ${where} (${path}) failed: ${(0,_errors_js__WEBPACK_IMPORTED_MODULE_1__/* .errorMessage */ .gJ)(sourceError)}`, { cause: sourceError });
    }
    if (!result) {
        return new Error(`streaming ${path} into ${where} broke off (${(0,_errors_js__WEBPACK_IMPORTED_MODULE_1__/* .errorMessage */ .gJ)(execError)}); check that the pod is still running.`, { cause: execError });
    }
    const said = result.stderr.trim().split("\n").slice(-3).join(" | ");
    switch (result.exitCode) {
        case EXIT.shaMismatch:
            return new Error(`the ${(0,_format_js__WEBPACK_IMPORTED_MODULE_4__/* .formatBytes */ .z)(expected.bytes)} streamed into ${where} at ${path} have sha256 ${said}, expected ${expected.sha256}: the source or the transfer is corrupt; nothing was put in place.`);
        case EXIT.shortInput:
            return new Error(`${where} received only ${said} of the ${expected.bytes} bytes of ${path}: the stream ended early; nothing was put in place.`);
        case EXIT.noHasher:
            return new Error(`the image of ${where} has neither openssl nor sha256sum, so ${path} cannot be checked in the pod; use an image that has one of them.`);
        case EXIT.writeFailed:
            return new Error(`cannot write ${path} in ${where}${said ? `: ${said}` : ""}; check the folder exists and has room for ${(0,_format_js__WEBPACK_IMPORTED_MODULE_4__/* .formatBytes */ .z)(expected.bytes)}.`);
        default:
            if (result.exitCode > 128) {
                return new Error(`receiving ${path} in ${where} was killed (signal ${result.exitCode - 128}) before it finished: the pod or its container stopped; check that the pod is still running.`);
            }
            return new Error(`receiving ${path} in ${where} exited with code ${result.exitCode}${said ? `: ${said}` : ""}.`);
    }
}
/** Removes `<path>.part`; returns what to tell the operator when that failed, else undefined. */
async function removePartFile(config, target, path) {
    try {
        const result = await (0,_exec_js__WEBPACK_IMPORTED_MODULE_2__/* .execInPod */ .YE)(config, {
            ...target,
            command: ["rm", "-f", `${path}.part`],
            signal: AbortSignal.timeout(CLEANUP_TIMEOUT_MS),
        });
        if (result.exitCode === 0)
            return undefined;
        return `Removing ${path}.part failed too (${result.stderr.trim()}); a rerun removes it first.`;
    }
    catch (error) {
        return `${path}.part could not be removed (${(0,_errors_js__WEBPACK_IMPORTED_MODULE_1__/* .errorMessage */ .gJ)(error)}); a rerun removes it first.`;
    }
}
/** The source was shorter or longer than the expected byte count. */
class InputLengthError extends Error {
    received;
    expected;
    constructor(received, expected) {
        super(`the source gave ${received} bytes, expected exactly ${expected}`);
        this.received = received;
        this.expected = expected;
    }
    withTarget(where, path) {
        const what = this.received < this.expected
            ? `the source of ${path} ended after ${this.received} of the expected ${this.expected} bytes`
            : `the source of ${path} is longer than the expected ${this.expected} bytes`;
        return new Error(`${what}; nothing was put in place in ${where}.`, { cause: this });
    }
}
/**
 * Passes exactly `expected` bytes, holding the last chunk back until the source has ended:
 * so the pod can only ever receive all the bytes when the source had exactly that many, and
 * a source that is too long or too short fails before the pod could put anything in place.
 */
class ExactLength extends node_stream__WEBPACK_IMPORTED_MODULE_0__.Transform {
    expected;
    received = 0;
    held;
    /** Set when the source was too short or too long. */
    lengthError;
    constructor(expected) {
        super();
        this.expected = expected;
    }
    _transform(chunk, _encoding, done) {
        this.received += chunk.length;
        if (this.received > this.expected) {
            this.lengthError = new InputLengthError(this.received, this.expected);
            done(this.lengthError);
            return;
        }
        if (this.held)
            this.push(this.held);
        this.held = chunk;
        done();
    }
    _flush(done) {
        if (this.received !== this.expected) {
            this.lengthError = new InputLengthError(this.received, this.expected);
            done(this.lengthError);
            return;
        }
        if (this.held)
            this.push(this.held);
        done();
    }
}


/***/ }),

/***/ 40075:
/***/ ((__unused_webpack___webpack_module__, __webpack_exports__, __webpack_require__) => {

/* harmony export */ __webpack_require__.d(__webpack_exports__, {
/* harmony export */   runRestoreDrill: () => (/* binding */ runRestoreDrill)
/* harmony export */ });
/* unused harmony exports drillMemoryBytes, restoreDrillPlan */
/* harmony import */ var node_crypto__WEBPACK_IMPORTED_MODULE_0__ = __webpack_require__(77598);
/* harmony import */ var node_fs__WEBPACK_IMPORTED_MODULE_1__ = __webpack_require__(73024);
/* harmony import */ var node_fs_promises__WEBPACK_IMPORTED_MODULE_2__ = __webpack_require__(51455);
/* harmony import */ var node_os__WEBPACK_IMPORTED_MODULE_3__ = __webpack_require__(48161);
/* harmony import */ var node_path__WEBPACK_IMPORTED_MODULE_4__ = __webpack_require__(76760);
/* harmony import */ var _core_kube_client_js__WEBPACK_IMPORTED_MODULE_5__ = __webpack_require__(42830);
/* harmony import */ var _core_audit_drill_summary_js__WEBPACK_IMPORTED_MODULE_19__ = __webpack_require__(56229);
/* harmony import */ var _core_crypto_hash_js__WEBPACK_IMPORTED_MODULE_6__ = __webpack_require__(38959);
/* harmony import */ var _core_errors_js__WEBPACK_IMPORTED_MODULE_7__ = __webpack_require__(51222);
/* harmony import */ var _core_etcd_backup_version_js__WEBPACK_IMPORTED_MODULE_21__ = __webpack_require__(52225);
/* harmony import */ var _core_etcd_etcdctl_js__WEBPACK_IMPORTED_MODULE_23__ = __webpack_require__(6299);
/* harmony import */ var _core_etcd_members_js__WEBPACK_IMPORTED_MODULE_8__ = __webpack_require__(29027);
/* harmony import */ var _core_etcd_restore_scripts_js__WEBPACK_IMPORTED_MODULE_9__ = __webpack_require__(74383);
/* harmony import */ var _core_format_js__WEBPACK_IMPORTED_MODULE_20__ = __webpack_require__(44714);
/* harmony import */ var _core_kube_errors_js__WEBPACK_IMPORTED_MODULE_22__ = __webpack_require__(43604);
/* harmony import */ var _core_kube_exec_js__WEBPACK_IMPORTED_MODULE_10__ = __webpack_require__(87770);
/* harmony import */ var _core_kube_pod_status_js__WEBPACK_IMPORTED_MODULE_24__ = __webpack_require__(4331);
/* harmony import */ var _core_kube_pods_js__WEBPACK_IMPORTED_MODULE_11__ = __webpack_require__(51839);
/* harmony import */ var _core_kube_stream_into_pod_js__WEBPACK_IMPORTED_MODULE_12__ = __webpack_require__(98552);
/* harmony import */ var _core_kube_wait_js__WEBPACK_IMPORTED_MODULE_13__ = __webpack_require__(13058);
/* harmony import */ var _core_snapshot_kubernetes_js__WEBPACK_IMPORTED_MODULE_14__ = __webpack_require__(12140);
/* harmony import */ var _core_snapshot_index_js__WEBPACK_IMPORTED_MODULE_15__ = __webpack_require__(51205);
/* harmony import */ var _core_storage_pipeline_js__WEBPACK_IMPORTED_MODULE_16__ = __webpack_require__(86473);
/* harmony import */ var _etcd_backup_js__WEBPACK_IMPORTED_MODULE_17__ = __webpack_require__(4248);
/* harmony import */ var _plan_js__WEBPACK_IMPORTED_MODULE_18__ = __webpack_require__(49513);
/**
 * The restore drill: proves a cluster's newest backup restores, without touching the live
 * cluster. Per cluster: the backup found, verified and decrypted; a drill pod on the node of
 * one of the cluster's own etcd members (the same trust domain as the data), with the
 * cluster's own etcd image and a memory-backed emptyDir (the plaintext never lands on a
 * node's disk); the snapshot streamed in (sha256 checked in the pod), `snapshot restore`d
 * under a throwaway name, etcd started on it on the pod's loopback only; then the revision,
 * the key count, the keys of every resource and a sample of values checked against the
 * manifest and the snapshot reader's listing of the same bytes. The pod is deleted whatever
 * happened (on cancel too: it is registered as a clean-up).
 */

























/** The loopback ports of the drill's etcd, away from a member's 2379/2380 on purpose. */
const CLIENT_URL = "http://127.0.0.1:32379";
const PEER_URL = "http://127.0.0.1:32380";
/** The memory volume's mount path in the drill pod. */
const DRILL_DIR = "/drill";
const CONTAINER = "drill";
/** Values checked per resource. */
const SAMPLES_PER_RESOURCE = 3;
/** The control-plane taints (today's and the one before 1.24) a drill pod tolerates. */
const CONTROL_PLANE_TAINTS = [
    "node-role.kubernetes.io/control-plane",
    "node-role.kubernetes.io/master",
];
/** What etcd itself needs beside its data in memory: its process, index and buffers. */
const DRILL_ETCD_PROCESS_BYTES = 256 * 1024 * 1024;
/**
 * The drill pod's memory request and limit: the memory volume (twice the snapshot and the
 * WAL) and etcd's process, whose key index grows with the data (counted as the snapshot's
 * size again, half the volume less the WAL).
 */
function drillMemoryBytes(volumeBytes) {
    const snapshotBytes = Math.max(0, (volumeBytes - _core_etcd_restore_scripts_js__WEBPACK_IMPORTED_MODULE_9__/* .RESTORE_HEADROOM_BYTES */ .Zf) / 2);
    return volumeBytes + snapshotBytes + DRILL_ETCD_PROCESS_BYTES;
}
const memoryQuantity = (bytes) => `${Math.ceil(bytes / 1024 / 1024)}Mi`;
/** The container waits for the restored data, then becomes the drill's etcd. */
const WAIT_THEN_ETCD = `marker=$1; shift
while [ ! -e "$marker" ]; do sleep 1; done
exec "$@"`;
/** Whether the image has etcd, and what the drill volume is mounted as. Argument: the folder. */
const DRILL_PROBE = `if command -v etcd >/dev/null 2>&1; then echo "etcd=yes"; else echo "etcd=no"; fi
fs=none
while read -r device mount type rest; do [ "$mount" = "$1" ] && fs=$type; done < /proc/mounts
echo "drill.fs=$fs"`;
/** Restores the streamed snapshot, then removes it (half the memory). Arguments: snapshot, argv. */
const RESTORE_THEN_REMOVE = `snapshot=$1; shift
ETCDCTL_API=3 "$@" >&2 || exit $?
rm -f "$snapshot"`;
/** One `etcdctl get -w json` per key given, one line each. Arguments: revision, keys. */
const GET_VALUES = `rev=$1; shift
for key in "$@"; do
  ETCDCTL_API=3 etcdctl --endpoints=${CLIENT_URL} get "$key" --rev="$rev" -w json || exit $?
  echo
done`;
/** The drill of one cluster, declared once. */
function restoreDrillPlan(cluster) {
    const pod = `etcd-drill-${cluster}-XXXXXX`;
    const exec = `kubectl exec ${pod} --`;
    return new _plan_js__WEBPACK_IMPORTED_MODULE_18__/* .Plan */ .cw(`restore drill of ${cluster}`, [
        {
            name: "findBackup",
            purpose: "the newest backup of the cluster (or the one given): its manifest, its age within the limit, the identity able to open it",
            effect: "reads",
        },
        {
            name: "fetchSnapshot",
            purpose: "download once, decrypt and decompress on the runner into a private work folder, the stored and the plain sha256 checked against the manifest: a damaged backup fails here, before any pod",
            effect: "reads",
        },
        {
            name: "readSnapshot",
            purpose: "the snapshot reader on the runner's copy: revision, keys per resource, a sha256 of every value",
            runbook: "etcd-backup-actions snapshot ls snapshot.db",
            effect: "reads",
        },
        {
            name: "findMember",
            purpose: "one of the cluster's own etcd members: its node (the drill runs in the same trust domain as the data) and its etcd image, of the backup's etcd major.minor as a restore requires",
            runbook: "kubectl get pods -o wide (the etcd members)",
            effect: "reads",
        },
        {
            name: "createDrillPod",
            purpose: "a pod on that node with the cluster's etcd image and a memory-backed emptyDir sized from the snapshot: no PVC, nothing on the node's disk",
            runbook: `kubectl apply -f ${pod}.yaml`,
            effect: "changes",
        },
        {
            name: "probeImage",
            purpose: "the image has etcd, etcdctl (or etcdutl) and a sha256 tool, and the drill volume is a tmpfs",
            runbook: `${exec} sh -c 'command -v etcd etcdctl; grep ${DRILL_DIR} /proc/mounts'`,
            effect: "reads",
        },
        {
            name: "streamSnapshot",
            purpose: "the runner's checked copy streamed into the pod through exec stdin (size and sha256 checked in the pod), then removed from the runner",
            runbook: `kubectl cp snapshot.db ${pod}:${DRILL_DIR}/snapshot.db`,
            effect: "changes",
        },
        {
            name: "restoreSnapshot",
            purpose: "snapshot restore with a throwaway member name and token into the memory volume",
            runbook: `${exec} etcdctl snapshot restore ${DRILL_DIR}/snapshot.db --name=drill --data-dir=${DRILL_DIR}/data ...`,
            effect: "changes",
        },
        {
            name: "startEtcd",
            purpose: `start etcd on the restored data, listening on the pod's loopback only (${CLIENT_URL})`,
            runbook: `${exec} etcd --data-dir=${DRILL_DIR}/data --listen-client-urls=${CLIENT_URL} ...`,
            effect: "changes",
        },
        {
            name: "checkContents",
            purpose: "revision and key count as the manifest says; every resource's key count as the snapshot reader lists; a sample of each resource's values equal to the reader's and decodable; endpoint status db size as the snapshot's",
            runbook: `${exec} etcdctl endpoint status; etcdctl get "" --prefix --keys-only; etcdctl get KEY`,
            effect: "reads",
        },
        {
            name: "deleteDrillPod",
            purpose: "delete the drill pod (its memory volume with it) and the runner's copy",
            runbook: `kubectl delete pod ${pod}`,
            effect: "changes",
            onlyWhen: "whenever the pod was made, whatever happened",
        },
    ]);
}
/** Drills every cluster asked for; a failure in one does not stop the others. */
async function runRestoreDrill(options) {
    const profiles = await (0,_etcd_backup_js__WEBPACK_IMPORTED_MODULE_17__.resolveClusters)(options.config, options.clusters);
    if (options.backup && profiles.length !== 1) {
        throw new _core_errors_js__WEBPACK_IMPORTED_MODULE_7__/* .ConfigurationError */ .j1("backup", `names one backup, but ${profiles.length} clusters are to be drilled (${profiles.map((profile) => profile.cluster).join(", ")}); give one cluster with a backup URI, or latest.`);
    }
    const results = [];
    for (const profile of profiles) {
        options.signal?.throwIfAborted();
        results.push(await options.logger.group(`Restore drill of ${profile.cluster}`, () => new ClusterDrill(options, profile).run()));
    }
    options.signal?.throwIfAborted();
    return results;
}
class ClusterDrill {
    options;
    profile;
    logger;
    started = Date.now();
    result;
    podName;
    namespace;
    token = `drill-${(0,node_crypto__WEBPACK_IMPORTED_MODULE_0__.randomBytes)(6).toString("hex")}`;
    constructor(options, profile) {
        this.options = options;
        this.profile = profile;
        this.logger = options.logger;
        this.namespace = options.namespace ?? profile.namespace;
        this.podName = `etcd-drill-${profile.cluster.slice(0, 24).replace(/-+$/, "")}-${(0,node_crypto__WEBPACK_IMPORTED_MODULE_0__.randomBytes)(3).toString("hex")}`;
        this.result = {
            cluster: profile.cluster,
            backup: "",
            result: "failed",
            durationMs: 0,
            steps: [],
        };
    }
    async run() {
        const plan = restoreDrillPlan(this.profile.cluster);
        plan.print(this.logger);
        const run = await _plan_js__WEBPACK_IMPORTED_MODULE_18__/* .PlanRun */ .zq.start(plan, { logger: this.logger });
        this.result.steps = run.log;
        let podMade = false;
        let workDir;
        const forget = [];
        try {
            const source = await run.run("findBackup", () => this.findBackup(), (found) => `${found.backup.location.uri}, ${(0,_core_audit_drill_summary_js__WEBPACK_IMPORTED_MODULE_19__/* .formatAge */ .nV)(this.result.ageSeconds ?? 0)} old, revision ${found.revision}, ${found.keyCount} keys, ${(0,_core_format_js__WEBPACK_IMPORTED_MODULE_20__/* .formatBytes */ .z)(found.backup.manifest.payload.plaintext.bytes)}`);
            workDir = await (0,node_fs_promises__WEBPACK_IMPORTED_MODULE_2__.mkdtemp)((0,node_path__WEBPACK_IMPORTED_MODULE_4__.join)(this.options.workDir ?? (0,node_os__WEBPACK_IMPORTED_MODULE_3__.tmpdir)(), "etcd-backup-drill-"));
            const folder = workDir;
            forget.push(this.options.cleanups?.register({ kind: "runner-path", path: folder }) ?? (() => undefined));
            const copy = (0,node_path__WEBPACK_IMPORTED_MODULE_4__.join)(folder, "snapshot.db");
            const fetchStarted = Date.now();
            await run.run("fetchSnapshot", () => this.fetchSnapshot(source.backup, copy), () => `${(0,_core_format_js__WEBPACK_IMPORTED_MODULE_20__/* .formatBytes */ .z)(source.backup.manifest.payload.plaintext.bytes)}, stored and plain sha256 as the manifest records`);
            const read = await run.run("readSnapshot", async () => ({
                status: (0,_core_snapshot_index_js__WEBPACK_IMPORTED_MODULE_15__/* .readSnapshotStatus */ .ZR)(copy),
                listing: (0,_core_snapshot_index_js__WEBPACK_IMPORTED_MODULE_15__/* .listSnapshotKeys */ .VE)(copy, { digest: true }),
            }), ({ listing }) => `revision ${listing.revision}, ${listing.keys.length} keys in ${listing.resources.length} resource(s)`);
            const member = await run.run("findMember", async () => {
                const found = await this.findMember();
                // Refused as the restore refuses it: a drill passes only what a restore accepts.
                (0,_core_etcd_backup_version_js__WEBPACK_IMPORTED_MODULE_21__/* .checkBackupEtcdVersion */ .ls)({
                    uri: source.backup.location.uri,
                    etcdVersion: source.backup.manifest.etcd?.version,
                }, this.options.utilityImage ?? found.image, "the drill runs");
                return found;
            }, (found) => `${found.member.pod} on ${found.member.node}, image ${found.image}`);
            const image = this.options.utilityImage ?? member.image;
            this.result.node = member.member.node;
            this.result.image = image;
            const volumeBytes = 2 * source.backup.manifest.payload.plaintext.bytes + _core_etcd_restore_scripts_js__WEBPACK_IMPORTED_MODULE_9__/* .RESTORE_HEADROOM_BYTES */ .Zf;
            await run.run("createDrillPod", async () => {
                podMade = true;
                forget.push(this.options.cleanups?.register({
                    kind: "pod",
                    namespace: this.namespace,
                    name: this.podName,
                }, () => this.deletePod()) ?? (() => undefined));
                await this.createPod(member.member.node, image, volumeBytes);
            }, () => `${this.namespace}/${this.podName} on ${member.member.node}, memory volume of ${(0,_core_format_js__WEBPACK_IMPORTED_MODULE_20__/* .formatBytes */ .z)(volumeBytes)}`);
            const facts = await run.run("probeImage", () => this.probeImage(image), describeFacts);
            await run.run("streamSnapshot", () => this.streamSnapshot(source.backup, copy), () => `${(0,_core_format_js__WEBPACK_IMPORTED_MODULE_20__/* .formatBytes */ .z)(source.backup.manifest.payload.plaintext.bytes)}, sha256 checked in the pod, the runner's copy removed`);
            // The copy has served: plaintext on the runner's disk no longer than needed.
            await (0,node_fs_promises__WEBPACK_IMPORTED_MODULE_2__.rm)(folder, { recursive: true, force: true });
            await run.run("restoreSnapshot", () => this.restoreSnapshot(facts), () => `restored as member ${this.token} into ${DRILL_DIR}/data, the snapshot file removed`);
            this.result.restoreMs = Date.now() - fetchStarted;
            const startAt = Date.now();
            await run.run("startEtcd", () => this.startEtcd(), () => `etcd answers on ${CLIENT_URL} in the pod`);
            this.result.startMs = Date.now() - startAt;
            const summary = await run.run("checkContents", () => this.checkContents(source, read.status, read.listing), (text) => text);
            this.logger.info(`The drill of ${this.profile.cluster} passed: ${summary}.`);
            this.result.result = "passed";
        }
        catch (error) {
            this.result.error = (0,_core_errors_js__WEBPACK_IMPORTED_MODULE_7__/* .errorMessage */ .gJ)(error);
            run.fail(error);
        }
        finally {
            if (workDir)
                await (0,node_fs_promises__WEBPACK_IMPORTED_MODULE_2__.rm)(workDir, { recursive: true, force: true }).catch(() => undefined);
            if (podMade) {
                await run
                    .run("deleteDrillPod", () => this.deletePod(), () => `${this.namespace}/${this.podName} deleted`)
                    .catch((error) => {
                    const problem = `the drill pod ${this.namespace}/${this.podName} could not be deleted (${(0,_core_errors_js__WEBPACK_IMPORTED_MODULE_7__/* .errorMessage */ .gJ)(error)}); its memory holds a plaintext snapshot: delete it with kubectl delete pod -n ${this.namespace} ${this.podName}.`;
                    this.logger.warning(problem);
                    this.result.result = "failed";
                    this.result.error = this.result.error ? `${this.result.error}; ${problem}` : problem;
                });
            }
            else if (!run.failed) {
                run.skip("deleteDrillPod", "no pod was made");
            }
            for (const done of forget)
                done();
            run.finish();
            this.result.durationMs = Date.now() - this.started;
        }
        return this.result;
    }
    // ------------------------------------------------------------------ reading
    async findBackup() {
        const { options, profile } = this;
        const kind = profile.kind === "admin" ? "admin-etcd" : "user-etcd";
        const backup = options.backup ?? (await (0,_core_storage_pipeline_js__WEBPACK_IMPORTED_MODULE_16__/* .findNewestBackup */ .wq)(options.store, { cluster: profile.cluster, kind }));
        this.result.backup = backup.location.uri;
        if (backup.manifest.cluster !== profile.cluster || backup.manifest.kind !== kind) {
            throw new _core_errors_js__WEBPACK_IMPORTED_MODULE_7__/* .ConfigurationError */ .j1("backup", `${backup.location.uri} is a ${backup.manifest.kind} backup of ${backup.manifest.cluster}, not a ${kind} backup of ${profile.cluster}.`);
        }
        const now = (options.now?.() ?? new Date()).getTime();
        const ageMs = Math.max(0, now - Date.parse(backup.manifest.createdAt));
        this.result.ageSeconds = Math.round(ageMs / 1000);
        if (options.failIfOlderThanMs !== undefined && ageMs > options.failIfOlderThanMs) {
            throw new Error(`the ${options.backup ? "" : "newest "}backup of ${profile.cluster}, ${backup.location.uri}, is ${(0,_core_audit_drill_summary_js__WEBPACK_IMPORTED_MODULE_19__/* .formatAge */ .nV)(ageMs / 1000)} old, older than the ${(0,_core_audit_drill_summary_js__WEBPACK_IMPORTED_MODULE_19__/* .formatAge */ .nV)(options.failIfOlderThanMs / 1000)} allowed: check that the backup schedule still runs and succeeds.`);
        }
        const revision = backup.manifest.etcd?.revision;
        const keyCount = backup.manifest.etcd?.keyCount;
        if (revision === undefined || keyCount === undefined) {
            throw new Error(`the manifest of ${backup.location.uri} records no etcd revision or key count, so a drill has nothing to prove the restored data against; take a new backup with this tool.`);
        }
        this.result.revision = revision;
        this.result.keys = keyCount;
        (0,_core_storage_pipeline_js__WEBPACK_IMPORTED_MODULE_16__/* .checkIdentities */ .xS)(backup, options.identities);
        return { backup, revision, keyCount };
    }
    /** A Ready member (any, when none is Ready): its node and its etcd image. */
    async findMember() {
        const members = await (0,_core_etcd_members_js__WEBPACK_IMPORTED_MODULE_8__/* .findMembers */ .h8)(this.options.config, this.profile);
        const member = members.find((candidate) => candidate.ready && candidate.node) ??
            members.find((candidate) => candidate.node);
        if (!member) {
            throw new Error(`no etcd member of ${this.profile.cluster} runs on a node (${members.map((candidate) => `${candidate.pod}: ${candidate.phase}`).join(", ")}): the drill goes on a member's node.`);
        }
        const core = this.options.config.makeApiClient(_core_kube_client_js__WEBPACK_IMPORTED_MODULE_5__.CoreV1Api);
        const pod = await core
            .readNamespacedPod({ name: member.pod, namespace: this.profile.namespace })
            .catch((error) => {
            throw new Error((0,_core_kube_errors_js__WEBPACK_IMPORTED_MODULE_22__/* .describeApiError */ .g)(error, `pod ${this.profile.namespace}/${member.pod}`), {
                cause: error,
            });
        });
        const container = pod.spec?.containers.find((candidate) => candidate.name === this.profile.container) ??
            pod.spec?.containers[0];
        if (!container?.image) {
            throw new Error(`the member ${this.profile.namespace}/${member.pod} has no ${this.profile.container} container with an image.`);
        }
        return { member, image: container.image };
    }
    // ------------------------------------------------------------------ the drill pod
    async createPod(node, image, volumeBytes) {
        await (0,_core_kube_pods_js__WEBPACK_IMPORTED_MODULE_11__/* .createPodAndWait */ .S)(this.options.config, this.podManifest(node, image, volumeBytes), this.waits()).catch((error) => {
            throw new Error(`the drill pod ${this.namespace}/${this.podName} with image ${image} did not start on ${node}: ${(0,_core_errors_js__WEBPACK_IMPORTED_MODULE_7__/* .errorMessage */ .gJ)(error)}`, { cause: error });
        });
    }
    podManifest(node, image, volumeBytes) {
        return {
            apiVersion: "v1",
            kind: "Pod",
            metadata: {
                name: this.podName,
                namespace: this.namespace,
                labels: {
                    "app.kubernetes.io/managed-by": "etcd-backup-actions",
                    "etcd-backup-actions/role": "restore-drill",
                    "etcd-backup-actions/cluster": this.profile.cluster,
                },
            },
            spec: {
                restartPolicy: "Never",
                terminationGracePeriodSeconds: 0,
                automountServiceAccountToken: false,
                enableServiceLinks: false,
                nodeSelector: { "kubernetes.io/hostname": node },
                // The node is chosen by name: a control-plane node's taint must not keep the pod off
                // it, but any other NoSchedule taint (a node cordoned for maintenance) still does.
                tolerations: CONTROL_PLANE_TAINTS.map((key) => ({
                    key,
                    operator: "Exists",
                    effect: "NoSchedule",
                })),
                containers: [
                    {
                        name: CONTAINER,
                        image,
                        command: [
                            "/bin/sh",
                            "-c",
                            WAIT_THEN_ETCD,
                            "sh",
                            `${DRILL_DIR}/start`,
                            ...this.etcdArgv(volumeBytes),
                        ],
                        volumeMounts: [{ name: "drill", mountPath: DRILL_DIR }],
                        // The memory volume counts against the pod's memory: requested whole, so the
                        // scheduler and the kubelet know of it, with room for etcd beside it.
                        resources: {
                            requests: { memory: memoryQuantity(drillMemoryBytes(volumeBytes)) },
                            limits: { memory: memoryQuantity(drillMemoryBytes(volumeBytes)) },
                        },
                    },
                ],
                volumes: [
                    {
                        name: "drill",
                        emptyDir: { medium: "Memory", sizeLimit: memoryQuantity(volumeBytes) },
                    },
                ],
            },
        };
    }
    /** A throwaway single-member etcd on the pod's loopback; no other member could ever reach it. */
    etcdArgv(volumeBytes) {
        return [
            "etcd",
            `--name=${this.token}`,
            `--data-dir=${DRILL_DIR}/data`,
            `--listen-client-urls=${CLIENT_URL}`,
            `--advertise-client-urls=${CLIENT_URL}`,
            `--listen-peer-urls=${PEER_URL}`,
            `--initial-advertise-peer-urls=${PEER_URL}`,
            `--initial-cluster=${this.token}=${PEER_URL}`,
            `--initial-cluster-token=${this.token}`,
            // Never below the snapshot: a restored store over its quota would only raise an alarm.
            `--quota-backend-bytes=${Math.max(2 * 1024 ** 3, volumeBytes)}`,
        ];
    }
    async probeImage(image) {
        const { stdout } = await this.exec((0,_core_etcd_restore_scripts_js__WEBPACK_IMPORTED_MODULE_9__/* .shellCommand */ .q$)(`${_core_etcd_restore_scripts_js__WEBPACK_IMPORTED_MODULE_9__/* .PROBE_SCRIPT */ .JW}\n${DRILL_PROBE}`, DRILL_DIR));
        const facts = (0,_core_etcd_restore_scripts_js__WEBPACK_IMPORTED_MODULE_9__/* .parseProbe */ .u5)(stdout);
        const missing = [
            ...(facts.tools.etcd === false || !/^etcd=yes$/m.test(stdout) ? ["etcd"] : []),
            ...(facts.tools.etcdctl ? [] : ["etcdctl"]),
            ...(facts.tools.sha256sum || facts.tools.openssl ? [] : ["sha256sum or openssl"]),
        ];
        if (missing.length) {
            throw new Error(`the image ${image} lacks ${missing.join(", ")}: the drill needs the cluster's etcd image (or give utility-image an etcd image of the same version).`);
        }
        const fs = /^drill\.fs=(.*)$/m.exec(stdout)?.[1]?.trim();
        if (fs !== "tmpfs") {
            throw new Error(`the drill volume ${DRILL_DIR} in ${this.namespace}/${this.podName} is ${fs ?? "unknown"}, not a memory-backed tmpfs: the plaintext snapshot would land on the node's disk, so nothing was streamed.`);
        }
        const imageVersion = (0,_core_etcd_backup_version_js__WEBPACK_IMPORTED_MODULE_21__/* .etcdVersionOfImage */ .HD)(image);
        if (facts.version && imageVersion && facts.version !== imageVersion) {
            this.logger.info(`The image is tagged etcd ${imageVersion}; its ${facts.restoreTool} reports ${facts.version}.`);
        }
        return facts;
    }
    /**
     * The one download: decrypted and decompressed into the runner's private copy, both sha256
     * checked, so a damaged backup fails before any pod is made, and the pod gets the copy.
     */
    async fetchSnapshot(backup, copy) {
        await (0,_core_storage_pipeline_js__WEBPACK_IMPORTED_MODULE_16__/* .restoreBackupToFile */ .u2)(this.options.store, backup, copy, {
            identities: this.options.identities,
            logger: this.logger,
        }).catch((error) => {
            throw error instanceof _core_storage_pipeline_js__WEBPACK_IMPORTED_MODULE_16__/* .BackupIntegrityError */ .wR
                ? new _core_storage_pipeline_js__WEBPACK_IMPORTED_MODULE_16__/* .BackupIntegrityError */ .wR(`the backup ${backup.location.uri} does not verify: ${(0,_core_errors_js__WEBPACK_IMPORTED_MODULE_7__/* .errorMessage */ .gJ)(error)}`, { cause: error })
                : error;
        });
    }
    /** The runner's checked copy into the pod; the pod checks size and sha256 before naming it. */
    async streamSnapshot(backup, copy) {
        const plaintext = backup.manifest.payload.plaintext;
        await (0,_core_kube_stream_into_pod_js__WEBPACK_IMPORTED_MODULE_12__/* .streamFileIntoPod */ .O)(this.options.config, this.target(), `${DRILL_DIR}/snapshot.db`, (0,node_fs__WEBPACK_IMPORTED_MODULE_1__.createReadStream)(copy), { bytes: plaintext.bytes, sha256: plaintext.sha256 }, this.options.signal ? { signal: this.options.signal } : {});
    }
    async restoreSnapshot(facts) {
        const snapshot = `${DRILL_DIR}/snapshot.db`;
        const argv = (0,_core_etcd_etcdctl_js__WEBPACK_IMPORTED_MODULE_23__/* .snapshotRestore */ .$H)(facts.restoreTool, snapshot, {
            member: {
                name: this.token,
                initialCluster: `${this.token}=${PEER_URL}`,
                initialClusterToken: this.token,
                peerUrls: [PEER_URL],
            },
            dataDir: `${DRILL_DIR}/data`,
        });
        await this.exec((0,_core_etcd_restore_scripts_js__WEBPACK_IMPORTED_MODULE_9__/* .shellCommand */ .q$)(RESTORE_THEN_REMOVE, snapshot, ...argv));
    }
    /** Lets the container become etcd, then waits until it answers (or ends, saying why). */
    async startEtcd() {
        await this.exec(["touch", `${DRILL_DIR}/start`]);
        const core = this.options.config.makeApiClient(_core_kube_client_js__WEBPACK_IMPORTED_MODULE_5__.CoreV1Api);
        await (0,_core_kube_wait_js__WEBPACK_IMPORTED_MODULE_13__/* .waitUntil */ .a)(`etcd in ${this.namespace}/${this.podName} to answer`, async () => {
            const pod = await core.readNamespacedPod({ name: this.podName, namespace: this.namespace });
            const state = pod.status?.containerStatuses?.[0]?.state;
            if (state?.terminated || ["Failed", "Succeeded"].includes(pod.status?.phase ?? "")) {
                throw new Error(`etcd ended in the drill pod ${this.namespace}/${this.podName} before it answered (${state?.terminated ? `exit ${state.terminated.exitCode}${state.terminated.reason ? `, ${state.terminated.reason}` : ""}` : (0,_core_kube_pod_status_js__WEBPACK_IMPORTED_MODULE_24__/* .podProblemReasons */ .Ow)(pod)}): the restored data does not start; see kubectl logs -n ${this.namespace} ${this.podName} while it exists.`);
            }
            const health = await (0,_core_kube_exec_js__WEBPACK_IMPORTED_MODULE_10__/* .execInPod */ .YE)(this.options.config, {
                ...this.target(),
                command: this.etcdctl("endpoint", "health"),
            });
            return health.exitCode === 0
                ? { done: true, value: undefined }
                : { done: false, waitingFor: health.stderr.trim().split("\n").pop() ?? "no answer yet" };
        }, this.waits());
    }
    // ------------------------------------------------------------------ proof
    async checkContents(source, status, listing) {
        const { revision, keyCount, backup } = source;
        const uri = backup.location.uri;
        if (listing.revision !== revision || listing.keys.length !== keyCount) {
            throw new Error(`the snapshot of ${uri} holds revision ${listing.revision} and ${listing.keys.length} keys, but its manifest says revision ${revision} and ${keyCount} keys: the manifest does not describe this payload.`);
        }
        const endpoint = (0,_core_etcd_etcdctl_js__WEBPACK_IMPORTED_MODULE_23__/* .parseEndpointStatus */ .Nf)((await this.exec(this.etcdctl("endpoint", "status", "-w", "json"))).stdout);
        this.result.dbSize = endpoint.dbSize;
        if (endpoint.revision < revision) {
            throw new Error(`the restored etcd is at revision ${endpoint.revision}, below the manifest's ${revision}: it does not hold the backup's data.`);
        }
        // Counted at the backup's revision: a lease that expires after the start may delete keys.
        const listed = JSON.parse((await this.exec(this.etcdctl("get", "", "--prefix", "--keys-only", `--rev=${revision}`, "-w", "json"))).stdout);
        const etcdKeys = (listed.kvs ?? []).map((kv) => Buffer.from(kv.key, "base64").toString("utf8"));
        const etcdCount = Number(listed.count ?? 0);
        if (etcdCount !== keyCount) {
            throw new Error(`the restored etcd holds ${etcdCount} keys at revision ${revision}, but the manifest of ${uri} says ${keyCount}.`);
        }
        const byResource = countResources(etcdKeys);
        const differences = listing.resources
            .map((resource) => ({
            resource: resource.resource,
            reader: resource.count,
            etcd: byResource.get(resource.resource) ?? 0,
        }))
            .concat([...byResource]
            .filter(([resource]) => !listing.resources.some((listed) => listed.resource === resource))
            .map(([resource, etcd]) => ({ resource, reader: 0, etcd })))
            .filter((entry) => entry.reader !== entry.etcd);
        if (differences.length) {
            throw new Error(`the restored etcd and the snapshot reader disagree on ${differences.map((entry) => `${entry.resource}: etcd ${entry.etcd}, reader ${entry.reader}`).join("; ")}.`);
        }
        const sampled = await this.checkSamples(listing, revision);
        if (endpoint.dbSize < status.totalSize) {
            throw new Error(`the restored etcd reports a database of ${(0,_core_format_js__WEBPACK_IMPORTED_MODULE_20__/* .formatBytes */ .z)(endpoint.dbSize)}, smaller than the snapshot's ${(0,_core_format_js__WEBPACK_IMPORTED_MODULE_20__/* .formatBytes */ .z)(status.totalSize)}: the restore lost data.`);
        }
        const kubernetes = listing.resources.filter((resource) => resource.resource !== _core_snapshot_index_js__WEBPACK_IMPORTED_MODULE_15__/* .NOT_KUBERNETES */ .dr).length;
        this.result.resources = kubernetes;
        return `revision ${revision} and ${keyCount} keys as in the manifest, the same keys per resource as the snapshot reader (${kubernetes} resources), ${sampled} sampled values equal and decoded, database ${(0,_core_format_js__WEBPACK_IMPORTED_MODULE_20__/* .formatBytes */ .z)(endpoint.dbSize)} (snapshot ${(0,_core_format_js__WEBPACK_IMPORTED_MODULE_20__/* .formatBytes */ .z)(status.totalSize)})`;
    }
    /** Up to SAMPLES_PER_RESOURCE values of every resource: equal to the reader's, and decodable. */
    async checkSamples(listing, revision) {
        const sample = new Map();
        const taken = new Map();
        for (const key of listing.keys) {
            const resource = key.resource ?? _core_snapshot_index_js__WEBPACK_IMPORTED_MODULE_15__/* .NOT_KUBERNETES */ .dr;
            if ((taken.get(resource) ?? 0) >= SAMPLES_PER_RESOURCE)
                continue;
            taken.set(resource, (taken.get(resource) ?? 0) + 1);
            sample.set(key.key, { resource, sha256: key.valueSha256 ?? "" });
        }
        const { stdout } = await this.exec((0,_core_etcd_restore_scripts_js__WEBPACK_IMPORTED_MODULE_9__/* .shellCommand */ .q$)(GET_VALUES, String(revision), ...sample.keys()));
        const values = new Map();
        for (const line of stdout.split("\n")) {
            if (!line.trim())
                continue;
            const answer = JSON.parse(line);
            for (const kv of answer.kvs ?? []) {
                values.set(Buffer.from(kv.key, "base64").toString("utf8"), Buffer.from(kv.value ?? "", "base64"));
            }
        }
        const problems = [];
        for (const [key, expected] of sample) {
            const value = values.get(key);
            if (!value) {
                problems.push(`${key} is missing`);
                continue;
            }
            if ((0,_core_crypto_hash_js__WEBPACK_IMPORTED_MODULE_6__/* .sha256Hex */ .fg)(value) !== expected.sha256) {
                problems.push(`${key} differs from the snapshot reader's value`);
                continue;
            }
            if (expected.resource === _core_snapshot_index_js__WEBPACK_IMPORTED_MODULE_15__/* .NOT_KUBERNETES */ .dr)
                continue;
            const decoded = (0,_core_snapshot_kubernetes_js__WEBPACK_IMPORTED_MODULE_14__/* .decodeValue */ .wz)(value);
            if (decoded.encoding === "other" || (decoded.encoding === "protobuf" && !decoded.kind)) {
                problems.push(`${key} does not decode as a Kubernetes object${decoded.encoding === "other" && decoded.problem ? ` (${decoded.problem})` : ""}`);
            }
        }
        if (problems.length) {
            throw new Error(`in the restored etcd, ${problems.join("; ")}.`);
        }
        return sample.size;
    }
    // ------------------------------------------------------------------ helpers
    async deletePod() {
        // Bounded by time, not by the cancel: the memory volume holds every Secret of the cluster.
        await (0,_core_kube_pods_js__WEBPACK_IMPORTED_MODULE_11__/* .deletePodAndWait */ .x)(this.options.config, { namespace: this.namespace, name: this.podName }, { timeoutMs: this.options.waitTimeoutMs ?? 300_000, gracePeriodSeconds: 0 });
    }
    etcdctl(...args) {
        return [
            "env",
            "ETCDCTL_API=3",
            "etcdctl",
            `--endpoints=${CLIENT_URL}`,
            "--command-timeout=30s",
            ...args,
        ];
    }
    target() {
        return { namespace: this.namespace, pod: this.podName, container: CONTAINER };
    }
    waits() {
        return {
            timeoutMs: this.options.waitTimeoutMs ?? 300_000,
            ...(this.options.signal ? { signal: this.options.signal } : {}),
        };
    }
    async exec(command) {
        const result = await (0,_core_kube_exec_js__WEBPACK_IMPORTED_MODULE_10__/* .execInPod */ .YE)(this.options.config, {
            ...this.target(),
            command,
            ...(this.options.signal ? { signal: this.options.signal } : {}),
        });
        if (result.exitCode !== 0) {
            const what = command[0] === "sh" ? "the drill's script" : command.slice(0, 4).join(" ");
            throw new Error(`${what} in ${this.namespace}/${this.podName} failed (exit ${result.exitCode}): ${result.stderr.trim().split("\n").slice(-3).join(" ") || result.stdout.trim().slice(0, 300)}`);
        }
        return { stdout: result.stdout, stderr: result.stderr };
    }
}
/** Keys per resource, grouped exactly as the snapshot reader groups them. */
function countResources(keys) {
    const counts = new Map();
    for (const key of keys) {
        const resource = (0,_core_snapshot_kubernetes_js__WEBPACK_IMPORTED_MODULE_14__/* .parseRegistryKey */ .Qc)(key)?.resource ?? _core_snapshot_index_js__WEBPACK_IMPORTED_MODULE_15__/* .NOT_KUBERNETES */ .dr;
        counts.set(resource, (counts.get(resource) ?? 0) + 1);
    }
    return counts;
}
function describeFacts(facts) {
    return `${facts.restoreTool} ${facts.version ?? ""}, etcd, memory-backed ${DRILL_DIR}`;
}


/***/ })

};
