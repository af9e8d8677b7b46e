export const id = 245;
export const ids = [245];
export const modules = {

/***/ 6200:
/***/ ((__unused_webpack___webpack_module__, __webpack_exports__, __webpack_require__) => {

/* harmony export */ __webpack_require__.d(__webpack_exports__, {
/* harmony export */   YO: () => (/* binding */ fanOut),
/* harmony export */   Zj: () => (/* binding */ teeInto),
/* harmony export */   jH: () => (/* binding */ writeTo)
/* harmony export */ });
/* harmony import */ var node_stream__WEBPACK_IMPORTED_MODULE_0__ = __webpack_require__(7075);
/**
 * A writable that forwards every chunk to its outputs and takes the next chunk only when
 * all have taken this one (backpressure from the slower side); ending it ends both.
 *
 * It settles on every path: an output that fails or closes before it was ended fails the
 * tee (and so whatever pipeline feeds it), and a tee that fails or is destroyed destroys
 * both outputs with the same error. A write never waits for a 'drain' that cannot come.
 */

function teeInto(primary, secondary, count = () => undefined) {
    return fanOut([primary, secondary], count);
}
/**
 * The same for any number of outputs (a restore feeds every member at once). At the end the
 * first output is ended last: the others (a verification copy) are complete before its
 * reader sees the end.
 */
function fanOut(outputs, count = () => undefined) {
    const [first, ...others] = outputs;
    const tee = new node_stream__WEBPACK_IMPORTED_MODULE_0__.Writable({
        highWaterMark: 1024 * 1024,
        write(chunk, _encoding, done) {
            count(chunk.length);
            Promise.all(outputs.map((output) => writeTo(output, chunk))).then(() => done(), done);
        },
        final(done) {
            Promise.all(others.map(endOf))
                .then(() => (first ? endOf(first) : undefined))
                .then(() => done(), done);
        },
        destroy(error, done) {
            const cause = error ?? new Error("the stream was stopped before it ended");
            for (const output of outputs)
                if (!output.writableFinished)
                    output.destroy(cause);
            done(error);
        },
    });
    for (const output of outputs)
        failWith(tee, output);
    return tee;
}
/** An output that errors, or closes before it finished, fails the tee with its error. */
function failWith(tee, output) {
    (0,node_stream__WEBPACK_IMPORTED_MODULE_0__.finished)(output, { readable: false }, (error) => {
        if (error && !tee.destroyed)
            tee.destroy(error);
    });
}
/** Resolves once the stream took the chunk; rejects if it fails or is gone before that. */
function writeTo(stream, chunk) {
    return new Promise((resolve, reject) => {
        if (stream.destroyed || stream.writableEnded) {
            reject(gone(stream));
            return;
        }
        if (stream.write(chunk))
            return resolve();
        const cleanUp = () => {
            stream.off("drain", onDrain);
            stream.off("error", onError);
            stream.off("close", onClose);
        };
        const onDrain = () => {
            cleanUp();
            resolve();
        };
        const onError = (error) => {
            cleanUp();
            reject(error);
        };
        // Destroyed without an error: no 'drain' and no 'error' will ever come.
        const onClose = () => {
            cleanUp();
            reject(stream.errored ?? gone(stream));
        };
        stream.on("drain", onDrain);
        stream.on("error", onError);
        stream.on("close", onClose);
    });
}
/** Ends the stream and resolves once everything written reached it; rejects if it fails first. */
function endOf(stream) {
    return new Promise((resolve, reject) => {
        if (stream.writableFinished)
            return resolve();
        if (stream.destroyed)
            return reject(stream.errored ?? gone(stream));
        (0,node_stream__WEBPACK_IMPORTED_MODULE_0__.finished)(stream, { readable: false }, (error) => (error ? reject(error) : resolve()));
        stream.end();
    });
}
function gone(stream) {
    return (stream.errored ??
        Object.assign(new Error("the output was closed before all data was written to it"), {
            code: "ERR_STREAM_PREMATURE_CLOSE",
        }));
}


/***/ }),

/***/ 245:
/***/ ((__unused_webpack___webpack_module__, __webpack_exports__, __webpack_require__) => {


// EXPORTS
__webpack_require__.d(__webpack_exports__, {
  $: () => (/* reexport */ pki/* DEFAULT_SSH_USER */.$),
  runAdminPkiBackup: () => (/* binding */ runAdminPkiBackup)
});

// UNUSED EXPORTS: DEFAULT_PKI_PATHS, keySecretForms, pkiBackupPlan

// EXTERNAL MODULE: external "node:stream"
var external_node_stream_ = __webpack_require__(7075);
// EXTERNAL MODULE: external "node:stream/promises"
var promises_ = __webpack_require__(6466);
// EXTERNAL MODULE: ./.build/compile/src/core/errors.js
var errors = __webpack_require__(1222);
// EXTERNAL MODULE: ./.build/compile/src/core/storage/manifest.js
var manifest = __webpack_require__(6750);
// EXTERNAL MODULE: ./.build/compile/src/core/format.js
var format = __webpack_require__(4714);
// EXTERNAL MODULE: ./node_modules/@kubernetes/client-node/dist/index.js + 875 modules
var dist = __webpack_require__(2901);
// EXTERNAL MODULE: ./.build/compile/src/core/kube/errors.js
var kube_errors = __webpack_require__(3604);
;// CONCATENATED MODULE: ./.build/compile/src/core/kube/admin-node.js
/**
 * The admin control-plane node as the runbook finds it (PROCEDURES.md section 4 steps 1
 * and 2): its address from `kubectl get nodes -o wide`, and the SSH key from secret
 * kube-system/sshkeys, field vsphere_tmp. The key is returned in memory only.
 */


/** Where Anthos keeps the admin control plane's SSH key. */
const SSH_KEY_SECRET = {
    namespace: "kube-system",
    name: "sshkeys",
    field: "vsphere_tmp",
};
/** The role labels a control-plane node carries (the second on older clusters). */
const CONTROL_PLANE_LABELS = [
    "node-role.kubernetes.io/control-plane",
    "node-role.kubernetes.io/master",
];
function isControlPlane(node) {
    const labels = node.metadata?.labels ?? {};
    return CONTROL_PLANE_LABELS.some((label) => label in labels);
}
/** The control-plane node's ExternalIP, else its InternalIP; one clear error when there is none or several. */
async function findControlPlaneNode(config) {
    let nodes;
    try {
        nodes = (await config.makeApiClient(dist.CoreV1Api).listNode()).items;
    }
    catch (error) {
        throw new Error((0,kube_errors/* describeApiError */.g)(error, "the nodes of the admin cluster"), { cause: error });
    }
    const controlPlane = nodes.filter(isControlPlane);
    if (controlPlane.length === 0) {
        throw new Error(`no node of the admin cluster has the control-plane role (label ${CONTROL_PLANE_LABELS.join(" or ")}); ` +
            `give the node's address explicitly (the control-plane address setting).`);
    }
    if (controlPlane.length > 1) {
        throw new Error(`${controlPlane.length} nodes have the control-plane role (${controlPlane
            .map((node) => node.metadata?.name)
            .join(", ")}); give the address of the one to back up explicitly (the control-plane address setting).`);
    }
    const node = controlPlane[0];
    const name = node.metadata?.name ?? "";
    const addresses = node.status?.addresses ?? [];
    for (const type of ["ExternalIP", "InternalIP"]) {
        const address = addresses.find((candidate) => candidate.type === type)?.address;
        if (address)
            return { name, address, addressType: type };
    }
    throw new Error(`control-plane node ${name} reports no ExternalIP or InternalIP address; give its address explicitly (the control-plane address setting).`);
}
/**
 * Reads the SSH private key from secret kube-system/sshkeys (field vsphere_tmp). The API
 * returns Secret data base64-encoded; the decoded bytes are the key text.
 */
async function readSshKeyFromSecret(config) {
    const { namespace, name, field } = SSH_KEY_SECRET;
    const what = `secret ${namespace}/${name}`;
    let data;
    try {
        data = (await config.makeApiClient(dist.CoreV1Api).readNamespacedSecret({ name, namespace })).data;
    }
    catch (error) {
        throw new Error(`${(0,kube_errors/* describeApiError */.g)(error, what)} The admin control plane's SSH key is read from it; give the SSH private key explicitly instead if this cluster keeps it elsewhere.`, { cause: error });
    }
    const encoded = data?.[field];
    if (!encoded) {
        throw new Error(`${what} has no field ${field}; expected the admin control plane's SSH private key there (base64-encoded), or give the SSH private key explicitly.`);
    }
    return Buffer.from(encoded, "base64");
}

// EXTERNAL MODULE: ./.build/compile/src/core/ssh/pki.js
var pki = __webpack_require__(5004);
// EXTERNAL MODULE: ./.build/compile/src/core/ssh/index.js + 5 modules
var ssh = __webpack_require__(3472);
// EXTERNAL MODULE: ./.build/compile/src/core/stream/tee.js
var tee = __webpack_require__(6200);
// EXTERNAL MODULE: ./.build/compile/src/core/storage/pipeline.js
var pipeline = __webpack_require__(6473);
// EXTERNAL MODULE: ./.build/compile/src/procedures/plan.js
var procedures_plan = __webpack_require__(9513);
// EXTERNAL MODULE: ./.build/compile/src/procedures/steps.js
var steps = __webpack_require__(7839);
;// CONCATENATED MODULE: ./.build/compile/src/procedures/admin-pki-backup.js
/**
 * The runbook's PKI backup (PROCEDURES.md section 4 steps 1, 2 and 4), as a procedure:
 * find the admin control-plane node, read its SSH key from the cluster, connect with every
 * host key checked, list the files with `sudo -n find`, stream `sudo -n tar` of the same
 * paths straight into the storage pipeline (no chmod, no copy on the node, no temporary
 * file anywhere), check the archive holds exactly the listed files, record that listing
 * (never contents) and the host key in the manifest, and only then apply retention.
 */













/** The PKI backup, declared once: `dry-run` prints it, a run executes it. */
function pkiBackupPlan(paths, destination) {
    const { namespace, name, field } = SSH_KEY_SECRET;
    const operands = paths.map((path) => path.replace(/^\/+/, "")).join(" ");
    return new procedures_plan/* Plan */.cw(`back up the admin control plane's PKI (${paths.join(", ")}) to ${destination}`, [
        {
            name: "findControlPlaneNode",
            purpose: "the admin control-plane node's ExternalIP (else InternalIP)",
            runbook: "kubectl get nodes -o wide",
            effect: "reads",
            onlyWhen: "when the node's address is not given",
        },
        {
            name: "readSshKey",
            purpose: `the SSH key from secret ${namespace}/${name} (field ${field}), kept in memory only`,
            runbook: `kubectl get secret -n ${namespace} ${name} -o jsonpath='{.data.${field}}' | base64 -d`,
            effect: "reads",
            onlyWhen: "when the SSH private key is not given",
        },
        {
            name: "connect",
            purpose: "SSH to the node (through the jump host when given); every host key must be pinned",
            runbook: "ssh -o StrictHostKeyChecking=yes ubuntu@NODE",
            effect: "reads",
        },
        {
            name: "listNodeFiles",
            purpose: "what the archive must hold: names, types, modes, owners and sizes",
            runbook: `sudo -n find ${paths.join(" ")} -printf '%y %m %U %G %s %p\\n'`,
            effect: "reads",
        },
        {
            name: "streamAndStore",
            purpose: `stream the archive over the SSH session into ${destination}, hashed, compressed, encrypted (no chmod, no copy on the node); before the manifest is written, the archive must hold exactly the listed files with their modes, owners and sizes, and the manifest records that listing and the host key`,
            runbook: `sudo -n tar --create --numeric-owner --preserve-permissions -f - -C / ${operands}`,
            effect: "changes",
        },
        {
            name: "verifyStored",
            purpose: "read the stored bytes back and check them against the manifest",
            effect: "reads",
        },
        steps/* applyRetentionDeclaration */.jP,
    ]);
}
async function runAdminPkiBackup(options) {
    const { logger } = options;
    const paths = validatePaths(options.paths ?? pki/* DEFAULT_PKI_PATHS */.cI);
    if (options.recipients.length === 0) {
        throw new Error("no encryption recipient was given: the PKI archive holds the admin cluster's private keys, so it is always encrypted; give one or more age recipients (age1..., from age-keygen).");
    }
    const plan = pkiBackupPlan(paths, options.store.description);
    if (options.dryRun)
        plan.print(logger);
    const started = Date.now();
    const run = await procedures_plan/* PlanRun */.zq.start(plan, { logger, dryRun: options.dryRun });
    const result = {
        cluster: "admin",
        kind: "admin-pki",
        outcome: "failed",
        durationMs: 0,
        steps: run.log,
    };
    let session;
    const closeOnCancel = () => void session?.close().catch(() => undefined);
    options.signal?.addEventListener("abort", closeOnCancel, { once: true });
    try {
        options.signal?.throwIfAborted();
        session = await connectToNode(options, run, result);
        options.signal?.throwIfAborted();
        const connected = session;
        const listing = await run.run("listNodeFiles", () => (0,ssh/* listNodeFiles */.Al)(connected, { paths }), (entries) => describeListing(entries));
        result.fileCount = listing.length;
        result.filesBytes = totalBytes(listing);
        if (options.dryRun) {
            result.outcome = "planned";
            logger.info(`Dry run: would archive ${describeListing(listing)} from ${connected.target} to ${options.store.description}; nothing was stored.`);
            return result;
        }
        const stored = await run.run("streamAndStore", () => streamAndStore(options, connected, paths, listing, result.node), (backup) => `tar of ${paths.join(", ")} from ${connected.target} to ${backup.location.uri}`);
        await (0,steps/* verifyAndRetain */.q_)(run, options.store, stored, options.retention, logger, result);
    }
    catch (error) {
        result.outcome = "failed";
        // The caller reports it, once: the action as its one error, the CLI with the result.
        result.error = (0,errors/* errorMessage */.gJ)(error);
        if (error instanceof ssh/* UnpinnedHostKeyError */.zB)
            result.unpinnedHostKey = error.pin;
    }
    finally {
        options.signal?.removeEventListener("abort", closeOnCancel);
        await session?.close().catch(() => undefined);
        run.finish();
        result.durationMs = Date.now() - started;
    }
    options.signal?.throwIfAborted();
    return result;
}
function validatePaths(paths) {
    // A ConfigurationError naming the paths setting; each front door shows it under its name.
    return (0,ssh/* validateNodePaths */.zv)(paths);
}
/** Finds the node and the key (unless given), then connects with the host keys checked. */
async function connectToNode(options, run, result) {
    const { logger } = options;
    const needsCluster = !options.host || !options.privateKey;
    if (needsCluster && !options.config) {
        throw new Error("the admin cluster's kubeconfig is needed to find the control-plane node and its SSH key; give it, or give both the node's address and the SSH private key.");
    }
    let host = options.host;
    if (host)
        run.skip("findControlPlaneNode", `the node's address ${host} is given`);
    else {
        const node = await run.run("findControlPlaneNode", () => findControlPlaneNode(options.config), (found) => `${found.name} at ${found.address} (${found.addressType})`);
        host = node.address;
        result.node = node.name;
    }
    let privateKey = options.privateKey;
    if (privateKey)
        run.skip("readSshKey", "the SSH private key is given");
    else {
        privateKey = await run.run("readSshKey", async () => {
            const key = await readSshKeyFromSecret(options.config);
            reportKeySecrets(key, options.onSecret);
            return key;
        }, (key) => `key ${describeKey(key)}`);
    }
    const nodeKey = privateKey;
    const nodeHost = host;
    const session = await run.run("connect", () => (0,ssh/* connectSsh */.LZ)({
        host: nodeHost,
        port: options.port ?? 22,
        user: options.user ?? pki/* DEFAULT_SSH_USER */.$,
        privateKey: nodeKey,
        ...(options.jumpHost
            ? {
                jumpHost: {
                    ...options.jumpHost,
                    privateKey: options.jumpHost.privateKey ?? nodeKey,
                },
            }
            : {}),
        hostKeys: options.hostKeys,
        acceptUnknownHostKey: options.acceptUnknownHostKey,
        ...(options.connectTimeoutMs ? { connectTimeoutMs: options.connectTimeoutMs } : {}),
    }, logger), (connected) => `${connected.target}, host key ${connected.hostKeyFingerprint}`);
    result.target = session.target;
    result.hostKeyFingerprint = session.hostKeyFingerprint;
    return session;
}
/** The key's type and public fingerprint: all of it that may be shown. */
function describeKey(key) {
    try {
        const parsed = (0,ssh/* loadPrivateKey */.PM)(key, "the SSH private key from the cluster");
        return `${parsed.type} ${parsed.publicFingerprint}`;
    }
    catch (error) {
        if (error instanceof ssh/* SshError */.DZ) {
            throw new Error(`secret ${SSH_KEY_SECRET.namespace}/${SSH_KEY_SECRET.name} field ${SSH_KEY_SECRET.field}: ${error.message}`, { cause: error });
        }
        throw error;
    }
}
/** Every form of the key a log line could carry: the whole text, its base64, each body line. */
function keySecretForms(key) {
    const text = Buffer.isBuffer(key) ? key.toString("utf8") : key;
    const forms = new Set([text.trim(), Buffer.from(text).toString("base64")]);
    for (const line of text.split(/\r?\n/)) {
        const trimmed = line.trim();
        if (trimmed.length >= 8 && !trimmed.startsWith("-----"))
            forms.add(trimmed);
    }
    return [...forms].filter((form) => form !== "");
}
function reportKeySecrets(key, onSecret) {
    if (!onSecret)
        return;
    for (const form of keySecretForms(key))
        onSecret(form);
}
function totalBytes(listing) {
    return listing.reduce((sum, entry) => sum + (entry.type === "file" ? entry.size : 0), 0);
}
function describeListing(listing) {
    const files = listing.filter((entry) => entry.type === "file").length;
    return `${listing.length} entries (${files} files, ${(0,format/* formatBytes */.z)(totalBytes(listing))})`;
}
/**
 * Streams the tar over the SSH session into the storage pipeline and, beside it, through a
 * tar reader that hashes each file. Before the manifest is written the archive must list
 * exactly what `find` saw; otherwise the stored payload is removed and nothing is listed.
 */
async function streamAndStore(options, session, paths, listing, nodeName) {
    const remote = await (0,ssh/* streamPkiArchive */.Zx)(session, { paths });
    const source = new external_node_stream_.PassThrough({ highWaterMark: 1024 * 1024 });
    const inspected = new external_node_stream_.PassThrough({ highWaterMark: 1024 * 1024 });
    const entries = (0,ssh/* readArchiveEntries */.zq)(inspected);
    entries.catch(() => undefined);
    // One pipeline, so every failure settles everything once: a dropped link or a failed tar
    // fails the tee and with it the store's source and the reader; a store that gives up
    // fails the tee back, which stops tar on the node. The store reports the first error.
    const forwarding = (0,promises_.pipeline)(remote.archive, (0,tee/* teeInto */.Zj)(source, inspected));
    forwarding.catch(() => undefined);
    try {
        return await (0,pipeline/* storeBackup */.A1)(options.store, {
            cluster: "admin",
            kind: "admin-pki",
            source,
            compression: options.compression,
            recipients: options.recipients,
            ...(options.run ? { run: options.run } : {}),
            allowUnencrypted: false,
            sourceInfo: { ...(nodeName ? { node: nodeName } : {}) },
            logger: options.logger,
            beforeManifest: async () => {
                await forwarding;
                await remote.completed;
                const archived = await entries;
                const differences = (0,ssh/* compareArchiveWithListing */.kq)(archived, listing);
                if (differences.length > 0) {
                    const shown = differences.slice(0, 10).join("; ");
                    const more = differences.length > 10 ? ` and ${differences.length - 10} more` : "";
                    throw new Error(`the archive does not match the node's listing of ${paths.join(", ")}: ${shown}${more}. Files may have changed during the backup; run it again.`);
                }
                return { pki: pkiRecord(session, options, paths, archived) };
            },
        });
    }
    finally {
        // A store that gave up before it read anything still stops tar on the node, and
        // nothing of the transfer is left running when this returns.
        source.destroy();
        await forwarding.catch(() => undefined);
    }
}
function pkiRecord(session, options, paths, archived) {
    const node = {
        host: session.host,
        port: options.port ?? 22,
        user: session.user,
        hostKeyFingerprint: session.hostKeyFingerprint,
    };
    const jump = options.jumpHost;
    const files = archived.map(manifest/* pkiFileRecord */.Ou);
    return {
        node,
        ...(jump && session.jumpHostKeyFingerprint
            ? {
                jumpHost: {
                    host: jump.host,
                    port: jump.port,
                    user: jump.user,
                    hostKeyFingerprint: session.jumpHostKeyFingerprint,
                },
            }
            : {}),
        paths,
        fileCount: files.length,
        files,
    };
}


/***/ }),

/***/ 9513:
/***/ ((__unused_webpack___webpack_module__, __webpack_exports__, __webpack_require__) => {

/* harmony export */ __webpack_require__.d(__webpack_exports__, {
/* harmony export */   cw: () => (/* binding */ Plan),
/* harmony export */   zq: () => (/* binding */ PlanRun)
/* harmony export */ });
/* unused harmony export JournalWriteError */
/* harmony import */ var _core_errors_js__WEBPACK_IMPORTED_MODULE_0__ = __webpack_require__(1222);
/**
 * A plan is the program. A procedure declares its steps once (name, purpose, the runbook
 * command an operator would have typed, what the step does to the world, and the condition
 * it runs under); `dry-run` prints that declaration, and a real run executes exactly it,
 * in order: a `PlanRun` refuses a step that is not planned or comes out of order, reports
 * every planned step as done, failed or skipped (with the reason), and never one that was
 * not planned. With a `Journal` it is write-ahead: a step that changes anything is recorded
 * before it acts and again when it finished, so a rerun continues instead of starting blind.
 */

class Plan {
    title;
    steps;
    index = new Map();
    constructor(
    /** What the plan does, e.g. `back up etcd of uc1 to folder /backups`. */
    title, steps) {
        this.title = title;
        this.steps = steps;
        steps.forEach((step, position) => {
            if (this.index.has(step.name)) {
                throw new Error(`the plan "${title}" declares step ${step.name} twice`);
            }
            this.index.set(step.name, position);
        });
    }
    positionOf(name) {
        const position = this.index.get(name);
        if (position === undefined) {
            throw new Error(`step ${name} is not in the plan "${this.title}"; a run executes only planned steps`);
        }
        return position;
    }
    /** The plan as `dry-run` prints it: numbered steps, their effect, condition and runbook command. */
    lines() {
        const lines = [`Plan: ${this.title}`];
        this.steps.forEach((step, position) => {
            const condition = step.onlyWhen ? `; only ${step.onlyWhen}` : "";
            lines.push(`  ${position + 1}. ${step.name} [${step.effect}${condition}]: ${step.purpose}`);
            if (step.runbook)
                lines.push(`       $ ${step.runbook}`);
        });
        return lines;
    }
    print(logger) {
        for (const line of this.lines())
            logger.info(line);
    }
}
/** The journal could not be written: the run stops, so that it never acts unrecorded. */
class JournalWriteError extends Error {
    name = "JournalWriteError";
}
class PlanRun {
    plan;
    options;
    /** Every planned step reported so far, in plan order. */
    log = [];
    cursor = 0;
    failure;
    earlier;
    intents = new Map();
    constructor(plan, options, earlier) {
        this.plan = plan;
        this.options = options;
        this.earlier = earlier;
    }
    /**
     * Starts a run of the plan. With a journal, reads what an earlier run of the same work
     * recorded (steps that changed something and finished are not repeated) and records that
     * this run began.
     */
    static async start(plan, options) {
        const { journal, ...rest } = options;
        const run = new PlanRun(plan, rest, []);
        if (journal)
            await run.attachJournal(journal, options.identity);
        return run;
    }
    /**
     * Starts journaling: reads what an earlier run of the same work recorded and records that
     * this run began. For a procedure that learns where its journal lives from its first
     * `reads` steps (the admin restore keeps it on the node, beside the data dir it reads from
     * the etcd manifest); refused once a step that changes anything has run.
     */
    async attachJournal(journal, identity) {
        if (this.options.journal)
            throw new Error("the run already has a journal");
        if (this.log.some((record) => this.plan.steps[this.plan.positionOf(record.step)].effect !== "reads")) {
            throw new Error("a journal is attached before any step that changes something runs");
        }
        const earlier = await journal.read();
        const begun = earlier.find((entry) => entry.event === "begin");
        if (begun && !sameIdentity(begun.data, identity)) {
            throw new Error(`the journal ${journal.description} belongs to other work (${describeIdentity(begun.data)}), not to ${describeIdentity(identity)}: finish or undo that work first, or remove the journal if it is known to be finished.`);
        }
        this.options = { ...this.options, journal, ...(identity ? { identity } : {}) };
        this.earlier.push(...earlier);
        if (!begun)
            await this.append({ step: "", event: "begin", data: identity ?? {} });
        const owner = this.options.owner;
        if (owner)
            await this.append({ step: "", event: "run", data: { owner } });
        if (begun) {
            const done = earlier.filter((entry) => entry.event === "done").map((entry) => entry.step);
            this.options.logger.info(`Continuing the work recorded in ${journal.description}${done.length ? `: already done ${done.join(", ")}` : ""}.`);
        }
    }
    get dryRun() {
        return this.options.dryRun ?? false;
    }
    get failed() {
        return this.failure !== undefined;
    }
    /**
     * Records that the run failed outside any step (a check between steps, a journal write):
     * the steps not reached are then reported as such, and a step meant for failures may run.
     */
    fail(error) {
        this.failure ??= `the run failed: ${(0,_core_errors_js__WEBPACK_IMPORTED_MODULE_0__/* .errorMessage */ .gJ)(error)}`;
    }
    /** Whether `step` finished, in this run or an earlier one. */
    isDone(step) {
        return (this.earlierEntry(step, "done") !== undefined ||
            this.log.some((record) => record.step === step && record.outcome === "done"));
    }
    /** What this run or an earlier one recorded it was about to change in `step`, if any. */
    intentOf(step) {
        return this.intents.get(step) ?? this.earlierEntry(step, "intent")?.data;
    }
    /** Whether an earlier run, or this one, began `step` (a change step: it journals its start). */
    hasStarted(step) {
        return (this.earlierEntry(step, "started") !== undefined ||
            this.log.some((record) => record.step === step && record.outcome !== "skipped"));
    }
    /** Runs one planned step: logs its start and end, journals it, rethrows a failure. */
    async run(name, body, describe) {
        const declaration = this.advanceTo(name);
        const { logger } = this.options;
        if (this.dryRun && declaration.effect !== "reads") {
            throw new Error(`step ${name} ${declaration.effect === "changes" ? "changes" : "is the point of no return"}, and this is a dry run; a procedure stops before such steps in a dry run`);
        }
        const startedAt = new Date();
        const finishedEarlier = this.earlierEntry(name, "done");
        if (finishedEarlier && declaration.effect !== "reads") {
            const detail = `done in an earlier run (${finishedEarlier.at})`;
            this.report(name, "done", startedAt, detail);
            logger.info(`✔ ${name}: ${detail}`);
            return finishedEarlier.data;
        }
        logger.info(`▶ ${name}: ${declaration.purpose}`);
        const changes = declaration.effect !== "reads";
        if (changes)
            await this.append({ step: name, event: "started" });
        const context = this.contextFor(name);
        let result;
        try {
            result = await body(context);
        }
        catch (error) {
            const detail = (0,_core_errors_js__WEBPACK_IMPORTED_MODULE_0__/* .errorMessage */ .gJ)(error);
            this.failure ??= `${name} failed`;
            this.report(name, "failed", startedAt, detail);
            // Logged, not annotated: the run reports each failure once, as one error, at its end.
            logger.info(`✘ ${name} (${elapsed(startedAt)}): ${detail}`);
            if (changes)
                await this.append({ step: name, event: "failed", detail }).catch(() => undefined);
            throw error;
        }
        if (changes)
            await this.append({ step: name, event: "done", data: result });
        const detail = describe?.(result);
        this.report(name, "done", startedAt, detail);
        logger.info(`✔ ${name} (${elapsed(startedAt)})${detail ? `: ${detail}` : ""}`);
        return result;
    }
    /** Reports a conditional step as skipped, with the reason its condition does not hold. */
    skip(name, reason) {
        const declaration = this.advanceTo(name);
        if (!declaration.onlyWhen && !this.failed && !this.dryRun) {
            throw new Error(`step ${name} is unconditional in the plan "${this.plan.title}"; only a step declared with a condition can be skipped`);
        }
        this.report(name, "skipped", new Date(), reason);
        this.options.logger.info(`○ ${name}: skipped, ${reason}`);
    }
    /**
     * Ends the run: every planned step not yet reported is reported as skipped (after a
     * failure, or in a dry run). A step that neither ran nor was skipped in a run that did
     * not fail is a bug in the procedure, and says so.
     */
    finish() {
        while (this.cursor < this.plan.steps.length) {
            const step = this.plan.steps[this.cursor];
            this.skipUnreached(step);
            this.cursor++;
        }
        return this.log;
    }
    advanceTo(name) {
        const position = this.plan.positionOf(name);
        if (position < this.cursor) {
            throw new Error(`step ${name} comes before the step last reported in the plan "${this.plan.title}"; a run executes each planned step once, in order`);
        }
        while (this.cursor < position) {
            this.skipUnreached(this.plan.steps[this.cursor]);
            this.cursor++;
        }
        this.cursor++;
        return this.plan.steps[position];
    }
    skipUnreached(step) {
        const reason = this.failure
            ? `not reached: ${this.failure}`
            : this.dryRun
                ? "dry run: nothing is changed"
                : undefined;
        if (!reason) {
            throw new Error(`step ${step.name} of the plan "${this.plan.title}" was neither run nor skipped; a procedure reports every planned step`);
        }
        this.report(step.name, "skipped", new Date(), reason);
    }
    report(step, outcome, startedAt, detail) {
        this.log.push({
            step,
            outcome,
            startedAt: startedAt.toISOString(),
            durationMs: Date.now() - startedAt.getTime(),
            ...(detail ? { detail } : {}),
        });
    }
    contextFor(name) {
        const earlierIntent = this.earlierEntry(name, "intent")?.data;
        return {
            earlierIntent,
            intend: async (intent) => {
                if (earlierIntent !== undefined)
                    return earlierIntent;
                await this.append({ step: name, event: "intent", data: intent });
                this.intents.set(name, intent);
                return intent;
            },
        };
    }
    earlierEntry(step, event) {
        return this.earlier.find((entry) => entry.step === step && entry.event === event);
    }
    async append(entry) {
        const journal = this.options.journal;
        if (!journal)
            return;
        try {
            await journal.append({ ...entry, at: new Date().toISOString() });
        }
        catch (error) {
            this.fail(error);
            throw new JournalWriteError(`the journal ${journal.description} could not be written (${(0,_core_errors_js__WEBPACK_IMPORTED_MODULE_0__/* .errorMessage */ .gJ)(error)}); the run stops rather than act unrecorded. Free the journal's location and rerun: the rerun continues from what was recorded.`, { cause: error });
        }
    }
}
function sameIdentity(recorded, identity) {
    return JSON.stringify(sortedEntries(recorded)) === JSON.stringify(sortedEntries(identity ?? {}));
}
function sortedEntries(value) {
    if (!value || typeof value !== "object")
        return [];
    return Object.entries(value).sort(([a], [b]) => a.localeCompare(b));
}
function describeIdentity(value) {
    const entries = sortedEntries(value);
    return entries.length
        ? entries.map(([key, item]) => `${key} ${String(item)}`).join(", ")
        : "no identity";
}
function elapsed(since) {
    const ms = Date.now() - since.getTime();
    return ms < 1000 ? `${ms} ms` : `${(ms / 1000).toFixed(1)} s`;
}


/***/ }),

/***/ 7839:
/***/ ((__unused_webpack___webpack_module__, __webpack_exports__, __webpack_require__) => {

/* harmony export */ __webpack_require__.d(__webpack_exports__, {
/* harmony export */   jP: () => (/* binding */ applyRetentionDeclaration),
/* harmony export */   q_: () => (/* binding */ verifyAndRetain)
/* harmony export */ });
/* unused harmony export applyRetentionStep */
/* harmony import */ var _core_storage_pipeline_js__WEBPACK_IMPORTED_MODULE_0__ = __webpack_require__(6473);
/* harmony import */ var _core_storage_retention_js__WEBPACK_IMPORTED_MODULE_1__ = __webpack_require__(7925);


/**
 * The end of every backup: the stored bytes read back and checked against the manifest,
 * the result filled in from the manifest, then retention, which only a verified backup may
 * start. Returns what the manifest says of the etcd data, when it holds etcd data.
 */
async function verifyAndRetain(run, store, stored, retention, logger, result) {
    const verified = await run.run("verifyStored", () => (0,_core_storage_pipeline_js__WEBPACK_IMPORTED_MODULE_0__/* .verifyStoredBackup */ .z3)(store, stored));
    const { payload } = stored.manifest;
    Object.assign(result, {
        outcome: "stored",
        size: payload.plaintext.bytes,
        storedSize: payload.stored.bytes,
        sha256: payload.plaintext.sha256,
        uri: stored.location.uri,
    });
    const deleted = await applyRetentionStep(run, store, verified, retention, logger);
    if (deleted)
        result.deleted = deleted;
}
/** The declaration of every backup's last step. */
const applyRetentionDeclaration = {
    name: "applyRetention",
    purpose: "delete the backups beyond the retention policy, only after the new one is verified",
    effect: "changes",
    onlyWhen: "with a retention policy (keep-last or max-age)",
};
/**
 * The last step of every backup: when a retention policy is set, delete the backups beyond
 * it (only ever called with the new backup verified). Returns the URIs deleted.
 */
async function applyRetentionStep(run, store, verified, retention, logger) {
    if (retention.keepLast === undefined && retention.maxAgeMs === undefined) {
        run.skip(applyRetentionDeclaration.name, "no retention policy is set");
        return undefined;
    }
    const outcome = await run.run(applyRetentionDeclaration.name, () => (0,_core_storage_retention_js__WEBPACK_IMPORTED_MODULE_1__/* .applyRetention */ .d)(store, verified, retention, { logger }), (done) => `${done.deleted.length} deleted, ${done.kept.length} kept`);
    return outcome.deleted.map((location) => location.uri);
}


/***/ })

};
