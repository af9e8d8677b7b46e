export const id = 245;
export const ids = [245];
export const modules = {

/***/ 90245:
/***/ ((__unused_webpack___webpack_module__, __webpack_exports__, __webpack_require__) => {


// EXPORTS
__webpack_require__.d(__webpack_exports__, {
  vD: () => (/* binding */ ENCRYPTION_KEYS_PATH),
  Fw: () => (/* binding */ nodeSshOptions),
  runAdminPkiBackup: () => (/* binding */ runAdminPkiBackup)
});

// UNUSED EXPORTS: DEFAULT_PKI_PATHS, DEFAULT_SSH_USER, archiveNodePki, keySecretForms, nodePkiSteps, pkiBackupPlan

// EXTERNAL MODULE: external "node:stream"
var external_node_stream_ = __webpack_require__(57075);
// EXTERNAL MODULE: external "node:stream/promises"
var promises_ = __webpack_require__(46466);
// EXTERNAL MODULE: ./.build/compile/src/core/errors.js
var errors = __webpack_require__(51222);
// EXTERNAL MODULE: ./.build/compile/src/core/storage/manifest.js
var manifest = __webpack_require__(36750);
// EXTERNAL MODULE: ./.build/compile/src/core/format.js
var format = __webpack_require__(44714);
// EXTERNAL MODULE: ./.build/compile/src/core/kube-client.js
var kube_client = __webpack_require__(42830);
// EXTERNAL MODULE: ./.build/compile/src/core/kube/errors.js
var kube_errors = __webpack_require__(43604);
;// CONCATENATED MODULE: ./.build/compile/src/core/kube/admin-node.js


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
        nodes = (await config.makeApiClient(kube_client.CoreV1Api).listNode()).items;
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
        data = (await config.makeApiClient(kube_client.CoreV1Api).readNamespacedSecret({ name, namespace })).data;
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
var pki = __webpack_require__(15004);
// EXTERNAL MODULE: ./.build/compile/src/core/ssh/index.js + 5 modules
var ssh = __webpack_require__(73472);
// EXTERNAL MODULE: ./.build/compile/src/core/stream/tee.js
var tee = __webpack_require__(16200);
// EXTERNAL MODULE: ./.build/compile/src/core/storage/pipeline.js
var pipeline = __webpack_require__(86473);
// EXTERNAL MODULE: ./.build/compile/src/procedures/plan.js
var procedures_plan = __webpack_require__(49513);
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













/** The connection to one node; the jump host signs with the node's key unless given its own. */
function nodeSshOptions(host, privateKey, access) {
    return {
        host,
        port: access.port ?? 22,
        user: access.user ?? pki/* DEFAULT_SSH_USER */.$,
        privateKey,
        ...(access.jumpHost
            ? {
                jumpHost: {
                    ...access.jumpHost,
                    privateKey: access.jumpHost.privateKey ?? privateKey,
                },
            }
            : {}),
        hostKeys: access.hostKeys,
        acceptUnknownHostKey: access.acceptUnknownHostKey ?? false,
        ...(access.connectTimeoutMs ? { connectTimeoutMs: access.connectTimeoutMs } : {}),
    };
}
/** The PKI backup, declared once: `dry-run` prints it, a run executes it. */
function pkiBackupPlan(paths, destination) {
    const { namespace, name, field } = SSH_KEY_SECRET;
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
        ...nodePkiSteps(paths, destination),
    ]);
}
/**
 * The steps that back up one node's PKI once its address and key are known: the admin
 * master's (this action's original job) and each Controlplane V2 control-plane node's.
 */
function nodePkiSteps(paths, destination) {
    const operands = paths.map((path) => path.replace(/^\/+/, "")).join(" ");
    return [
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
    ];
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
        await archiveNodePki(run, options, session, paths, result, {
            cluster: "admin",
            kind: "admin-pki",
            source: result.node ? { node: result.node } : {},
        });
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
/**
 * Runbook section 4 steps 2 and 4 on a connected node: list the files, stream the archive
 * into the store and check it against the listing, read it back, apply retention. A dry
 * run stops after the listing.
 */
async function archiveNodePki(run, options, session, paths, result, target) {
    const { logger } = options;
    let nodePaths = paths;
    const listing = await run.run("listNodeFiles", async () => {
        nodePaths = await withEncryptionKeys(session, paths, logger);
        return (0,ssh/* listNodeFiles */.Al)(session, { paths: nodePaths });
    }, (entries) => describeListing(entries));
    result.fileCount = listing.length;
    result.filesBytes = totalBytes(listing);
    if (options.dryRun) {
        result.outcome = "planned";
        logger.info(`Dry run: would archive ${describeListing(listing)} from ${session.target} to ${options.store.description}; nothing was stored.`);
        return;
    }
    const stored = await run.run("streamAndStore", () => streamAndStore(options, session, nodePaths, listing, target), (backup) => `tar of ${nodePaths.join(", ")} from ${session.target} to ${backup.location.uri}`);
    await (0,steps/* verifyAndRetain */.q_)(run, options.store, stored, options.retention, logger, result);
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
    const session = await run.run("connect", () => (0,ssh/* connectSsh */.LZ)(nodeSshOptions(nodeHost, nodeKey, options), logger), (connected) => `${connected.target}, host key ${connected.hostKeyFingerprint}`);
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
async function streamAndStore(options, session, paths, listing, target) {
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
            cluster: target.cluster,
            kind: target.kind,
            source,
            // Both kinds hold a tar of the node's files (node-pki is not named like a snapshot).
            payloadBaseName: "pki.tar",
            compression: options.compression,
            recipients: options.recipients,
            ...(options.run ? { run: options.run } : {}),
            allowUnencrypted: false,
            sourceInfo: target.source,
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
/** Where Anthos keeps the secrets-encryption keys: archived with the default PKI where present. */
const ENCRYPTION_KEYS_PATH = "/opt/data/gke-k8s-kms-plugin/generatedkeys";
/**
 * The default paths take the secrets-encryption keys folder too where the node has one:
 * without those keys a restored cluster cannot read its encrypted Secrets. Paths the user
 * listed are taken as they are. Any failure but a missing folder (sudo wanting a password,
 * ...) is the listing's own, in its words.
 */
async function withEncryptionKeys(session, paths, logger) {
    const isDefault = paths.length === pki/* DEFAULT_PKI_PATHS */.cI.length &&
        paths.every((path, index) => path === pki/* DEFAULT_PKI_PATHS */.cI[index]);
    if (!isDefault)
        return paths;
    try {
        await (0,ssh/* listNodeFiles */.Al)(session, { paths: [ENCRYPTION_KEYS_PATH] });
    }
    catch (error) {
        if (error instanceof ssh/* SshError */.DZ && error.reason === "path-missing")
            return paths;
        throw error;
    }
    logger.info(`The node keeps secrets-encryption keys in ${ENCRYPTION_KEYS_PATH}: archived with the PKI.`);
    return [...paths, ENCRYPTION_KEYS_PATH];
}


/***/ }),

/***/ 7839:
/***/ ((__unused_webpack___webpack_module__, __webpack_exports__, __webpack_require__) => {

/* harmony export */ __webpack_require__.d(__webpack_exports__, {
/* harmony export */   jP: () => (/* binding */ applyRetentionDeclaration),
/* harmony export */   q_: () => (/* binding */ verifyAndRetain)
/* harmony export */ });
/* unused harmony export applyRetentionStep */
/* harmony import */ var _core_storage_pipeline_js__WEBPACK_IMPORTED_MODULE_0__ = __webpack_require__(86473);
/* harmony import */ var _core_storage_retention_js__WEBPACK_IMPORTED_MODULE_1__ = __webpack_require__(17925);


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
