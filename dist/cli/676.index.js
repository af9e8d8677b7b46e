export const id = 676;
export const ids = [676];
export const modules = {

/***/ 1676:
/***/ ((__unused_webpack___webpack_module__, __webpack_exports__, __webpack_require__) => {

__webpack_require__.r(__webpack_exports__);
/* harmony export */ __webpack_require__.d(__webpack_exports__, {
/* harmony export */   EXIT_BAD_FLAG: () => (/* binding */ EXIT_BAD_FLAG),
/* harmony export */   EXIT_FAILED: () => (/* binding */ EXIT_FAILED),
/* harmony export */   FLAG_OF_FIELD: () => (/* binding */ FLAG_OF_FIELD),
/* harmony export */   FlagError: () => (/* binding */ FlagError),
/* harmony export */   addStorageOptions: () => (/* binding */ addStorageOptions),
/* harmony export */   asFlagError: () => (/* binding */ asFlagError),
/* harmony export */   backupResultsTable: () => (/* binding */ backupResultsTable),
/* harmony export */   checkedFlag: () => (/* binding */ checkedFlag),
/* harmony export */   cliMessage: () => (/* binding */ cliMessage),
/* harmony export */   exitOnUsageError: () => (/* binding */ exitOnUsageError),
/* harmony export */   kubeconfigPathFrom: () => (/* binding */ kubeconfigPathFrom),
/* harmony export */   loadKubeconfigFlag: () => (/* binding */ loadKubeconfigFlag),
/* harmony export */   openStoreFor: () => (/* binding */ openStoreFor),
/* harmony export */   parseBackupFlags: () => (/* binding */ parseBackupFlags),
/* harmony export */   parseStorageFlags: () => (/* binding */ parseStorageFlags),
/* harmony export */   refuseSecretsInFlags: () => (/* binding */ refuseSecretsInFlags),
/* harmony export */   registerBackupCommands: () => (/* binding */ registerBackupCommands),
/* harmony export */   renderTable: () => (/* binding */ renderTable),
/* harmony export */   repeatable: () => (/* binding */ repeatable),
/* harmony export */   s3EndpointFlag: () => (/* binding */ s3EndpointFlag),
/* harmony export */   terminalDestinationFlag: () => (/* binding */ terminalDestinationFlag)
/* harmony export */ });
/* harmony import */ var commander__WEBPACK_IMPORTED_MODULE_0__ = __webpack_require__(48179);
/* harmony import */ var _core_crypto_age_js__WEBPACK_IMPORTED_MODULE_1__ = __webpack_require__(8673);
/* harmony import */ var _core_errors_js__WEBPACK_IMPORTED_MODULE_2__ = __webpack_require__(51222);
/* harmony import */ var _core_redact_js__WEBPACK_IMPORTED_MODULE_3__ = __webpack_require__(79148);
/* harmony import */ var _core_etcd_profiles_js__WEBPACK_IMPORTED_MODULE_4__ = __webpack_require__(71848);
/* harmony import */ var _core_format_js__WEBPACK_IMPORTED_MODULE_11__ = __webpack_require__(44714);
/* harmony import */ var _core_log_logger_js__WEBPACK_IMPORTED_MODULE_10__ = __webpack_require__(35470);
/* harmony import */ var _core_storage_compression_js__WEBPACK_IMPORTED_MODULE_5__ = __webpack_require__(91597);
/* harmony import */ var _core_run_context_js__WEBPACK_IMPORTED_MODULE_6__ = __webpack_require__(15470);
/* harmony import */ var _core_storage_destination_js__WEBPACK_IMPORTED_MODULE_7__ = __webpack_require__(52989);
/* harmony import */ var _core_storage_retention_js__WEBPACK_IMPORTED_MODULE_8__ = __webpack_require__(17925);
/* harmony import */ var _cancel_js__WEBPACK_IMPORTED_MODULE_9__ = __webpack_require__(99226);
/**
 * `etcd-backup-actions backup`: the etcd-backup action from a terminal, for when GitHub
 * Actions is down or an operator wants a backup now. Same procedure, same checks; logs and
 * the progress bar go to stderr, the summary table (or JSON) to stdout. Exit codes: 0 all
 * stored (or planned), 1 a cluster failed or the run could not start, 2 a bad flag.
 */












/**
 * Refuses any flag that holds what looks like a secret (an age identity, a private key, a
 * kubeconfig with credentials): none of these flags takes one, and the value is never
 * repeated, only described. --recipient is left to its own parser, which says what to give.
 */
function refuseSecretsInFlags(flags) {
    for (const [key, value] of Object.entries(flags)) {
        if (key === "recipient")
            continue;
        const values = Array.isArray(value) ? value : [value];
        const looksLike = values
            .map((entry) => (typeof entry === "string" ? (0,_core_redact_js__WEBPACK_IMPORTED_MODULE_3__/* .secretLookalike */ .Y_)(entry) : undefined))
            .find(Boolean);
        if (looksLike) {
            const flag = `--${key.replace(/[A-Z]/g, (letter) => `-${letter.toLowerCase()}`)}`;
            throw new FlagError(`${flag} holds a value that looks like ${looksLike}, not shown: this flag takes no secret; check which value went where, and rotate that secret if your shell history is shared.`);
        }
    }
}
/** Checks the storage flags; each problem is one sentence naming the flag. */
function parseStorageFlags(flags, env) {
    refuseSecretsInFlags(flags);
    return {
        destination: destinationFlag(flags.destination, env),
        recipients: recipientFlags(flags.recipient),
        compression: flags.compression,
        retention: {
            ...checkedFlag("--keep-last", () => (0,_core_storage_retention_js__WEBPACK_IMPORTED_MODULE_8__/* .parseRetentionPolicy */ .M)({ keepLast: flags.keepLast })),
            ...checkedFlag("--max-age", () => (0,_core_storage_retention_js__WEBPACK_IMPORTED_MODULE_8__/* .parseRetentionPolicy */ .M)({ maxAge: flags.maxAge })),
        },
        ...s3EndpointFlag(flags.s3Endpoint),
        dryRun: Boolean(flags.dryRun),
        output: flags.output,
    };
}
/** --s3-endpoint, checked; none given, nothing to spread. */
function s3EndpointFlag(text) {
    return text ? { s3Endpoint: checkedFlag("--s3-endpoint", () => (0,_core_storage_destination_js__WEBPACK_IMPORTED_MODULE_7__/* .parseS3Endpoint */ .bA)(text)) } : {};
}
/** The store the checked flags name (an --s3-endpoint means path-style URLs). */
function openStoreFor(request, logger, context) {
    return (0,_core_storage_destination_js__WEBPACK_IMPORTED_MODULE_7__/* .openStore */ .Ch)(request.destination, {
        logger,
        context,
        s3: request.s3Endpoint ? { endpoint: request.s3Endpoint, forcePathStyle: true } : {},
    });
}
/** A flag the operator must fix; exit code 2, as commander uses for its own usage errors. */
class FlagError extends Error {
}
/**
 * Core's names for the settings (ConfigurationError.field) -> the flags the CLI takes them
 * from: the one table a failure is translated with.
 */
const FLAG_OF_FIELD = {
    kubeconfig: "--kubeconfig",
    kubeconfigContent: "--kubeconfig",
    destination: "--destination",
    s3Endpoint: "--s3-endpoint",
    recipients: "--recipient",
    compression: "--compression",
    keepLast: "--keep-last",
    maxAge: "--max-age",
    clusters: "--clusters",
    userKubeconfigs: "--user-kubeconfig",
    allowUnencrypted: "--allow-unencrypted",
    paths: "--path",
    jumpHost: "--jump-host",
    sshPrivateKey: "--ssh-key-file",
    sshUser: "--ssh-user",
    controlPlaneAddress: "--address",
    knownHosts: "--known-hosts",
    hostKeyFingerprints: "--host-key-fingerprint",
};
/** A core ConfigurationError as a FlagError naming the flag; anything else as it is. */
function asFlagError(error) {
    if (!(error instanceof _core_errors_js__WEBPACK_IMPORTED_MODULE_2__/* .ConfigurationError */ .j1))
        return error;
    return new FlagError(`${FLAG_OF_FIELD[error.field] ?? error.field}: ${error.problem}`, {
        cause: error,
    });
}
/** Runs `read` (a check of one flag); whatever it throws becomes one FlagError naming `flag`. */
function checkedFlag(flag, read) {
    try {
        return read();
    }
    catch (error) {
        const problem = error instanceof _core_errors_js__WEBPACK_IMPORTED_MODULE_2__/* .ConfigurationError */ .j1 ? error.problem : (0,_core_errors_js__WEBPACK_IMPORTED_MODULE_2__/* .errorMessage */ .gJ)(error);
        throw new FlagError(`${flag}: ${problem}`, { cause: error });
    }
}
/** The one line a failure is reported with; secret-looking text never reaches the terminal. */
function cliMessage(error) {
    return (0,_core_redact_js__WEBPACK_IMPORTED_MODULE_3__/* .redactSecrets */ .fp)((0,_core_errors_js__WEBPACK_IMPORTED_MODULE_2__/* .errorMessage */ .gJ)(asFlagError(error)));
}
const EXIT_FAILED = 1;
const EXIT_BAD_FLAG = 2;
const repeatable = (value, previous = []) => [...previous, value];
/**
 * The flags every backup command shares: where backups go, how they are encrypted,
 * compressed and kept, and the output format. `kept` names what retention counts.
 */
function addStorageOptions(command, kept) {
    return (command
        .option("--destination <uri>", "file:///absolute/folder or s3://bucket/prefix")
        .option("--recipient <age1...>", "age recipient (public key) to encrypt to; repeat for several", repeatable)
        .addOption(new commander__WEBPACK_IMPORTED_MODULE_0__/* .Option */ .c$("--compression <name>", "payload compression")
        .choices(_core_storage_compression_js__WEBPACK_IMPORTED_MODULE_5__/* .COMPRESSIONS */ ._7)
        .default("zstd"))
        .option("--keep-last <n>", `keep at most N ${kept} (after the new one is verified)`)
        .option("--max-age <age>", "delete backups older than this: 30d, 12h, 2w, 90m")
        .option("--s3-endpoint <url>", "an S3-compatible endpoint (MinIO...); path-style URLs")
        .addOption(new commander__WEBPACK_IMPORTED_MODULE_0__/* .Option */ .c$("-o, --output <format>", "table for people, json for scripts")
        .choices(["table", "json"])
        .default("table"))
        // A usage error exits 2, as a bad flag of ours does.
        .exitOverride(exitOnUsageError));
}
/**
 * Commander's own usage errors (unknown flag, bad choice) exit 2 like ours, not 1: 1 means a
 * backup or a restore failed, which a scheduler must tell apart. Every command's exitOverride.
 */
function exitOnUsageError(error) {
    process.exit(error.exitCode === 0 ? 0 : EXIT_BAD_FLAG);
}
function registerBackupCommands(program) {
    const command = program
        .command("backup")
        .description("Back up the etcd of the admin cluster and user clusters: healthy member, streamed, verified, encrypted, with a manifest.")
        .option("--kubeconfig <path>", "the admin cluster's kubeconfig (default: $KUBECONFIG)")
        .option("--clusters <list>", "all, admin, or user cluster names, comma-separated (uc1,uc2)")
        .option("--user-kubeconfig <path>", "a Controlplane V2 user cluster's kubeconfig, or a folder of them (repeatable); named by its cluster", (value, previous = []) => [...previous, value])
        .option("--allow-unencrypted", "store in clear text (a snapshot holds every Secret)")
        .option("--dry-run", "show which member of which cluster would be backed up; change nothing");
    addStorageOptions(command, "backups per cluster").action(async (flags) => {
        process.exitCode = await backupCommand(flags, process.env);
    });
}
/** Runs the command and returns its exit code. */
async function backupCommand(flags, env) {
    let request;
    let config;
    let userClusters;
    try {
        request = parseBackupFlags(flags, env);
        config = await loadKubeconfigFlag(request.kubeconfigPath);
        const { loadUserKubeconfigs } = await __webpack_require__.e(/* import() */ 517).then(__webpack_require__.bind(__webpack_require__, 11517));
        userClusters = await loadUserKubeconfigs(flags.userKubeconfig ?? []).catch((error) => {
            throw asFlagError(error);
        });
    }
    catch (error) {
        process.stderr.write(`error: ${cliMessage(error)}\n`);
        return EXIT_BAD_FLAG;
    }
    const progressBar = process.stderr.isTTY ? new ProgressBar(process.stderr) : undefined;
    const logger = progressBar ? progressBar.wrap((0,_core_log_logger_js__WEBPACK_IMPORTED_MODULE_10__/* .consoleLogger */ .k)()) : (0,_core_log_logger_js__WEBPACK_IMPORTED_MODULE_10__/* .consoleLogger */ .k)();
    try {
        await checkClustersExist(config, request.clusters, userClusters);
    }
    catch (error) {
        logger.error(cliMessage(error));
        return asFlagError(error) instanceof FlagError ? EXIT_BAD_FLAG : EXIT_FAILED;
    }
    let results;
    try {
        const context = (0,_core_run_context_js__WEBPACK_IMPORTED_MODULE_6__/* .runContextFromEnvironment */ .aD)(process.env);
        const store = await openStoreFor(request, logger, context);
        const { runEtcdBackup } = await Promise.all(/* import() */[__webpack_require__.e(205), __webpack_require__.e(248), __webpack_require__.e(646)]).then(__webpack_require__.bind(__webpack_require__, 4248));
        results = await (0,_cancel_js__WEBPACK_IMPORTED_MODULE_9__/* .runUntilSignalled */ .Z)(logger, ({ signal, cleanups }) => runEtcdBackup({
            signal,
            cleanups,
            config,
            clusters: request.clusters,
            userClusters,
            store,
            recipients: request.recipients,
            allowUnencrypted: request.allowUnencrypted,
            compression: request.compression,
            retention: request.retention,
            dryRun: request.dryRun,
            logger,
            workDir: context.tempDir,
            ...(context.run ? { run: context.run } : {}),
            ...(progressBar
                ? { onProgress: (progress) => progressBar.show(progress), progressIntervalMs: 250 }
                : {}),
        }), () => progressBar?.clear());
    }
    catch (error) {
        logger.error(`The backup could not run: ${cliMessage(error)}`);
        return EXIT_FAILED;
    }
    finally {
        progressBar?.clear();
    }
    process.stdout.write(request.output === "json"
        ? `${JSON.stringify(results, null, 2)}\n`
        : backupResultsTable(results, request.destination.uri));
    const failed = results.filter((result) => result.outcome === "failed");
    if (failed.length) {
        logger.error(`The backup failed for ${failed.length} of ${results.length} cluster(s).`);
        return EXIT_FAILED;
    }
    return 0;
}
/** Checks every flag without touching the network; each problem is one sentence naming the flag. */
function parseBackupFlags(flags, env) {
    refuseSecretsInFlags(flags);
    const kubeconfigPath = kubeconfigPathFrom(flags.kubeconfig, env.KUBECONFIG);
    const clusters = parseClustersFlag(flags.clusters);
    const storage = parseStorageFlags(flags, env);
    const { recipients } = storage;
    const allowUnencrypted = Boolean(flags.allowUnencrypted);
    if (recipients.length && allowUnencrypted) {
        throw new FlagError("Give --recipient or --allow-unencrypted, not both: with a recipient the backup is encrypted.");
    }
    if (!recipients.length && !allowUnencrypted) {
        throw new FlagError("--recipient is required: a snapshot holds every Secret of the cluster, so backups are encrypted; give an age public key (age1..., from age-keygen -y), or --allow-unencrypted to store them in clear text.");
    }
    return { ...storage, kubeconfigPath, clusters, allowUnencrypted };
}
/** --destination, checked: file:// or s3:// from a terminal, artifact only inside Actions. */
function destinationFlag(text, env) {
    if (!text?.trim()) {
        throw new FlagError("--destination is required: expected file:///absolute/folder or s3://bucket/prefix.");
    }
    return terminalDestinationFlag(text, env);
}
/** A given --destination, checked: artifact only inside a GitHub Actions job. */
function terminalDestinationFlag(text, env) {
    const destination = checkedFlag("--destination", () => (0,_core_storage_destination_js__WEBPACK_IMPORTED_MODULE_7__/* .parseDestination */ .G2)(text));
    if (destination.type === "artifact" && env.GITHUB_ACTIONS !== "true") {
        throw new FlagError("--destination artifact works only inside a GitHub Actions job; from a terminal, use file:///absolute/folder or s3://bucket/prefix.");
    }
    return destination;
}
/** --recipient, repeated: each must be an age public key. */
function recipientFlags(values) {
    const recipients = (values ?? []).map((recipient) => recipient.trim()).filter(Boolean);
    checkedFlag("--recipient", () => (0,_core_crypto_age_js__WEBPACK_IMPORTED_MODULE_1__/* .parseRecipients */ .q)(recipients));
    return recipients;
}
function kubeconfigPathFrom(flag, envValue) {
    if (flag?.trim())
        return flag.trim();
    const fromEnv = envValue?.trim();
    if (!fromEnv) {
        throw new FlagError("--kubeconfig is required (or set KUBECONFIG): expected the path of the admin cluster's kubeconfig.");
    }
    // kubectl merges a list of files; the backup needs the one admin cluster, so say which.
    if (fromEnv.includes(":")) {
        throw new FlagError(`KUBECONFIG lists several files (${(0,_core_redact_js__WEBPACK_IMPORTED_MODULE_3__/* .quoteValue */ .cl)(fromEnv)}); give the admin cluster's kubeconfig with --kubeconfig.`);
    }
    return fromEnv;
}
function parseClustersFlag(text) {
    const names = (text ?? "")
        .split(/[\s,]+/)
        .map((name) => name.trim())
        .filter(Boolean);
    if (!names.length) {
        throw new FlagError("--clusters is required: expected all, admin, or user cluster names separated by commas (uc1,uc2).");
    }
    const invalid = names.filter((name) => name !== "all" && !(0,_core_etcd_profiles_js__WEBPACK_IMPORTED_MODULE_4__/* .isValidClusterName */ .oO)(name));
    if (invalid.length) {
        throw new FlagError(`--clusters: ${invalid.map((name) => (0,_core_redact_js__WEBPACK_IMPORTED_MODULE_3__/* .quoteValue */ .cl)(name)).join(", ")} is not a cluster name; expected all, admin, or user cluster names (their namespaces, lower-case letters, digits and '-').`);
    }
    return names;
}
/** Loads the kubeconfig; a problem with it is a FlagError naming --kubeconfig. */
async function loadKubeconfigFlag(path) {
    const { loadKubeconfig } = await __webpack_require__.e(/* import() */ 300).then(__webpack_require__.bind(__webpack_require__, 37300));
    try {
        return await loadKubeconfig({ path });
    }
    catch (error) {
        throw asFlagError(error);
    }
}
/** Unknown user cluster names are a flag to fix (exit 2), found before anything is touched. */
async function checkClustersExist(config, clusters, userClusters) {
    const { resolveClusters } = await Promise.all(/* import() */[__webpack_require__.e(205), __webpack_require__.e(248), __webpack_require__.e(646)]).then(__webpack_require__.bind(__webpack_require__, 4248));
    try {
        await resolveClusters(config, clusters, userClusters);
    }
    catch (error) {
        if (error instanceof _core_errors_js__WEBPACK_IMPORTED_MODULE_2__/* .ConfigurationError */ .j1)
            throw asFlagError(error);
        throw new Error(`Cannot list the clusters: ${(0,_core_errors_js__WEBPACK_IMPORTED_MODULE_2__/* .errorMessage */ .gJ)(error)}`, { cause: error });
    }
}
/** The results as an operator reads them in a terminal: one row per cluster, then failures. */
function backupResultsTable(results, destination) {
    const rows = results.map((result) => [
        result.cluster,
        result.outcome,
        result.member ? `${result.member}${result.node ? ` (${result.node})` : ""}` : "-",
        result.revision ?? "-",
        result.keys ?? "-",
        result.size !== undefined ? (0,_core_format_js__WEBPACK_IMPORTED_MODULE_11__/* .formatBytes */ .z)(result.size) : "-",
        result.storedSize !== undefined ? (0,_core_format_js__WEBPACK_IMPORTED_MODULE_11__/* .formatBytes */ .z)(result.storedSize) : "-",
        `${(result.durationMs / 1000).toFixed(1)} s`,
        result.uri ?? destination,
    ]);
    let text = renderTable(["CLUSTER", "RESULT", "MEMBER (NODE)", "REVISION", "KEYS", "SIZE", "STORED", "DURATION", "URI"], rows);
    const failures = results.filter((result) => result.error);
    if (failures.length) {
        text += `\n${failures.map((result) => `${result.cluster}: ${result.error}`).join("\n")}\n`;
    }
    return text;
}
/** Left-aligned columns, two spaces apart, like kubectl. */
function renderTable(headers, rows) {
    const cells = [headers, ...rows.map((row) => row.map(String))];
    const widths = headers.map((_, column) => Math.max(...cells.map((row) => (row[column] ?? "").length)));
    return cells
        .map((row) => row
        .map((cell, column) => (column === row.length - 1 ? cell : cell.padEnd(widths[column])))
        .join("  ") + "\n")
        .join("");
}
/** One line on a terminal, redrawn in place: cluster, bar, bytes, percent, rate. */
class ProgressBar {
    stream;
    shown = false;
    constructor(stream) {
        this.stream = stream;
    }
    show(progress) {
        const fraction = progress.expectedBytes
            ? Math.min(1, progress.bytes / progress.expectedBytes)
            : 0;
        const width = 24;
        const filled = Math.round(fraction * width);
        const line = `${progress.cluster} [${"#".repeat(filled)}${".".repeat(width - filled)}] ` +
            `${(0,_core_format_js__WEBPACK_IMPORTED_MODULE_11__/* .formatBytes */ .z)(progress.bytes)} / ${(0,_core_format_js__WEBPACK_IMPORTED_MODULE_11__/* .formatBytes */ .z)(progress.expectedBytes)} ` +
            `${(fraction * 100).toFixed(0)}% ${(0,_core_format_js__WEBPACK_IMPORTED_MODULE_11__/* .formatBytes */ .z)(progress.bytesPerSecond)}/s`;
        this.stream.write(`\r\x1b[K${line}`);
        this.shown = true;
    }
    clear() {
        if (this.shown)
            this.stream.write("\r\x1b[K");
        this.shown = false;
    }
    /** A logger that clears the bar before each line, so the two never mix. */
    wrap(logger) {
        const before = (write) => (...args) => {
            this.clear();
            write(...args);
        };
        return {
            debug: before(logger.debug),
            // Progress comes as onProgress events, not as log lines, so every line is shown.
            info: before(logger.info),
            warning: before(logger.warning),
            error: before(logger.error),
            group: (title, body) => {
                this.clear();
                return logger.group(title, body);
            },
        };
    }
}


/***/ }),

/***/ 99226:
/***/ ((__unused_webpack___webpack_module__, __webpack_exports__, __webpack_require__) => {


// EXPORTS
__webpack_require__.d(__webpack_exports__, {
  Z: () => (/* binding */ runUntilSignalled)
});

// EXTERNAL MODULE: external "node:fs/promises"
var promises_ = __webpack_require__(51455);
// EXTERNAL MODULE: ./.build/compile/src/core/errors.js
var errors = __webpack_require__(51222);
// EXTERNAL MODULE: ./.build/compile/src/core/kube/exec.js
var exec = __webpack_require__(87770);
// EXTERNAL MODULE: ./.build/compile/src/core/kube/pods.js
var pods = __webpack_require__(51839);
;// CONCATENATED MODULE: ./.build/compile/src/core/cleanup.js
/**
 * What a run has created and must remove if it does not finish: the snapshot file in an
 * etcd pod, the runner's verification copy and work folder. A procedure registers each
 * clean-up as it creates the thing and unregisters it once it removed it itself; on cancel
 * the front door runs whatever is still registered. The targets are plain data (kind and
 * where, never a secret), so the Actions front door can save them for its `post:` step,
 * which finishes what a killed main step (SIGKILL) could not.
 */




class CleanupRegistry {
    options;
    entries = new Map();
    nextId = 1;
    constructor(options = {}) {
        this.options = options;
    }
    /**
     * Records a clean-up; returns the function that forgets it once the caller removed the
     * thing itself. `remove` defaults to `removeTarget` without a cluster (runner paths).
     */
    register(target, remove) {
        const id = this.nextId++;
        this.entries.set(id, { target, remove: remove ?? (() => removeTarget(target, {})) });
        this.changed();
        return () => {
            if (this.entries.delete(id))
                this.changed();
        };
    }
    /** The clean-ups still to do, oldest first. */
    get targets() {
        return [...this.entries.values()].map((entry) => entry.target);
    }
    /**
     * Runs every pending clean-up, newest first (a file before the folder it is in), each
     * bounded by `timeoutMs` so a cluster that no longer answers cannot hold up a cancel.
     * A clean-up that succeeds is forgotten; one that fails stays pending (for `post:`).
     */
    async runAll(logger, timeoutMs = 5000) {
        const report = { done: [], failed: [] };
        for (const [id, entry] of [...this.entries].reverse()) {
            try {
                await withTimeout(entry.remove(), timeoutMs, describeTarget(entry.target));
                this.entries.delete(id);
                this.changed();
                report.done.push(entry.target);
                logger.info(`Cleaned up ${describeTarget(entry.target)}.`);
            }
            catch (error) {
                report.failed.push({ target: entry.target, error: (0,errors/* errorMessage */.gJ)(error) });
                logger.warning(`Could not clean up ${describeTarget(entry.target)}: ${(0,errors/* errorMessage */.gJ)(error)}. ${howToRemoveByHand(entry.target)}`);
            }
        }
        return report;
    }
    changed() {
        this.options.onChange?.(this.targets);
    }
}
/** Removes one target without the procedure that created it. */
async function removeTarget(target, context) {
    if (target.kind === "runner-path") {
        await (0,promises_.rm)(target.path, { recursive: true, force: true });
        return;
    }
    if (!context.config) {
        const pod = target.kind === "pod" ? target.name : target.pod;
        throw new Error(`no kubeconfig to reach ${target.namespace}/${pod}`);
    }
    if (target.kind === "pod") {
        // Its memory-backed volume goes with it; no grace: nothing in it is worth keeping.
        await (0,pods/* deletePodAndWait */.x)(context.config, { namespace: target.namespace, name: target.name }, { timeoutMs: POD_DELETION_TIMEOUT_MS, gracePeriodSeconds: 0 });
        return;
    }
    await (0,exec/* execChecked */.$h)(context.config, {
        namespace: target.namespace,
        pod: target.pod,
        container: target.container,
        command: ["rm", "-f", target.path, `${target.path}.part`],
    });
}
/** Runs saved targets (from a killed run) with `context`; the post step's whole job. */
async function removeTargets(targets, context, logger, timeoutMs) {
    const registry = new CleanupRegistry();
    for (const target of targets)
        registry.register(target, () => removeTarget(target, context));
    return registry.runAll(logger, timeoutMs);
}
/** One line per target, as the cancel message and the post step name them. */
function describeTarget(target) {
    if (target.kind === "pod")
        return `pod ${target.namespace}/${target.name}`;
    return target.kind === "pod-file"
        ? `${target.path} in ${target.namespace}/${target.pod}`
        : `${target.path} on this machine`;
}
function howToRemoveByHand(target) {
    if (target.kind === "pod") {
        return `Remove it by hand: kubectl delete pod -n ${target.namespace} ${target.name}`;
    }
    return target.kind === "pod-file"
        ? `Remove it by hand: kubectl exec -n ${target.namespace} ${target.pod} -c ${target.container} -- rm -f ${target.path} ${target.path}.part`
        : `Remove it by hand: rm -rf ${target.path}`;
}
/**
 * Reads targets saved as JSON (by an earlier step); anything that is not a target is left
 * out with a warning rather than acted on: the post step must never remove a path it did
 * not create.
 */
function parseCleanupTargets(json, logger) {
    if (!json.trim())
        return [];
    let parsed;
    try {
        parsed = JSON.parse(json);
    }
    catch (error) {
        logger.warning(`The saved clean-up list is not JSON (${errorMessage(error)}); ignored.`);
        return [];
    }
    if (!Array.isArray(parsed))
        return [];
    const targets = [];
    for (const item of parsed) {
        if (isCleanupTarget(item))
            targets.push(item);
        else
            logger.warning(`A saved clean-up entry is not one this tool writes; ignored.`);
    }
    return targets;
}
const SNAPSHOT_FILE = /^\/tmp\/etcd-backup-[A-Za-z0-9-]+\.db$/;
/** Only the drill's own pods may be deleted from saved state. */
const DRILL_POD_NAME = /^etcd-drill-[a-z0-9-]{1,40}$/;
const POD_DELETION_TIMEOUT_MS = 60_000;
const RUNNER_PATH = /(^|\/)etcd-backup-[^/]+(\/[^/]+)?$/;
function isCleanupTarget(item) {
    if (!item || typeof item !== "object")
        return false;
    const record = item;
    const text = (key) => typeof record[key] === "string" && record[key] !== "";
    if (record.kind === "pod-file") {
        return (text("namespace") &&
            text("pod") &&
            text("container") &&
            text("path") &&
            SNAPSHOT_FILE.test(record.path));
    }
    if (record.kind === "pod") {
        return text("namespace") && text("name") && DRILL_POD_NAME.test(record.name);
    }
    if (record.kind === "runner-path") {
        return (text("path") &&
            record.path.startsWith("/") &&
            RUNNER_PATH.test(record.path));
    }
    return false;
}
function withTimeout(promise, ms, what) {
    let timer;
    const timeout = new Promise((_resolve, reject) => {
        timer = setTimeout(() => reject(new Error(`removing ${what} took longer than ${Math.round(ms / 1000)} s`)), ms);
        timer.unref();
    });
    return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

;// CONCATENATED MODULE: ./.build/compile/src/core/cancel.js
/**
 * Running a procedure so that SIGINT and SIGTERM stop it cleanly, for both front doors (the
 * actions and the CLI): the signal aborts the procedure's AbortSignal, the procedure gets a
 * moment to stop by itself (its own clean-up runs then), then every clean-up still
 * registered runs, and the caller gets one sentence saying what was removed. A second
 * signal skips the wait. Nothing here exits the process: the front door decides how.
 */


async function runCancellable(body, run) {
    const controller = new AbortController();
    const signals = listenForSignals();
    try {
        const outcome = settle(body(controller.signal));
        const first = await Promise.race([outcome, signals.next()]);
        if (first.kind === "settled")
            return first;
        // Errors of streams torn down by the abort are expected now; none may end in a stack trace.
        process.on("unhandledRejection", ignore);
        const pendingAtCancel = run.cleanups.targets;
        run.logger.info(`Received ${first.signal}: stopping the run and removing what it created.`);
        controller.abort(new errors/* CancelledError */.cc(`The run was cancelled (${first.signal}).`));
        await Promise.race([outcome, delay(run.stopWaitMs[first.signal]), signals.next()]);
        const report = await run.cleanups.runAll(run.logger, run.cleanupTimeoutMs);
        const message = cancelMessage(first.signal, pendingAtCancel, run.cleanups.targets, report);
        return { kind: "cancelled", signal: first.signal, message, report };
    }
    finally {
        signals.stop();
    }
}
/** One sentence: what was removed, and what is left for later (the post step, or by hand). */
function cancelMessage(signal, pendingAtCancel, stillPending, report) {
    const left = new Set(stillPending.map(describeTarget));
    const cleaned = [...new Set([...pendingAtCancel, ...report.done].map(describeTarget))].filter((what) => !left.has(what));
    const parts = [
        `The run was cancelled (${signal}) before it finished (a backup it had not finished is never listed)`,
    ];
    if (cleaned.length)
        parts.push(`removed ${cleaned.join(", ")}`);
    else if (!left.size)
        parts.push("it had nothing in a cluster or on this machine to remove");
    if (left.size)
        parts.push(`could not remove ${[...left].join(", ")} (see the warnings above)`);
    return `${parts.join("; ")}.`;
}
function ignore() { }
function settle(promise) {
    return promise.then(() => ({ kind: "settled" }), (error) => ({ kind: "settled", error: error ?? new Error("the run failed") }));
}
function listenForSignals() {
    const waiting = [];
    const onSignal = (signal) => {
        for (const resolve of waiting.splice(0))
            resolve(signal);
    };
    const onInt = () => onSignal("SIGINT");
    const onTerm = () => onSignal("SIGTERM");
    process.on("SIGINT", onInt);
    process.on("SIGTERM", onTerm);
    return {
        next: () => new Promise((resolve) => waiting.push((signal) => resolve({ kind: "signal", signal }))),
        stop: () => {
            process.off("SIGINT", onInt);
            process.off("SIGTERM", onTerm);
        },
    };
}
function delay(ms) {
    return new Promise((resolve) => setTimeout(resolve, ms));
}

;// CONCATENATED MODULE: ./.build/compile/src/cli/cancel.js
/**
 * Ctrl-C (SIGINT) and SIGTERM during a CLI command: the procedure is stopped, what it created
 * (the snapshot in the pod, the local verification copy) is removed, one line says so, and
 * the process exits 130 (SIGINT) or 143 (SIGTERM), as a shell expects of a signalled command.
 */


const STOP_WAIT_MS = { SIGINT: 4000, SIGTERM: 2000 };
const CLEANUP_TIMEOUT_MS = 5000;
const EXIT_CODE = { SIGINT: 130, SIGTERM: 143 };
/** Runs `body`; returns its value, throws its error, or exits the process on a signal. */
async function runUntilSignalled(logger, body, beforeMessage) {
    const cleanups = new CleanupRegistry();
    let value;
    const outcome = await runCancellable(async (signal) => {
        value = await body({ signal, cleanups });
    }, { logger, cleanups, stopWaitMs: STOP_WAIT_MS, cleanupTimeoutMs: CLEANUP_TIMEOUT_MS });
    if (outcome.kind === "cancelled") {
        beforeMessage?.();
        process.stderr.write(`${outcome.message}\n`);
        process.exit(EXIT_CODE[outcome.signal]);
    }
    if (outcome.error !== undefined)
        throw outcome.error;
    return value;
}


/***/ }),

/***/ 4954:
/***/ ((__unused_webpack___webpack_module__, __webpack_exports__, __webpack_require__) => {


// EXPORTS
__webpack_require__.d(__webpack_exports__, {
  kq: () => (/* binding */ RECIPIENTS_FIELD),
  K1: () => (/* binding */ X25519Recipient),
  go: () => (/* binding */ parseIdentities),
  q: () => (/* binding */ parseRecipients),
  Zz: () => (/* binding */ publicKeyFromRaw),
  F7: () => (/* binding */ rawPublicKey)
});

// UNUSED EXPORTS: X25519Identity

// EXTERNAL MODULE: external "node:crypto"
var external_node_crypto_ = __webpack_require__(77598);
// EXTERNAL MODULE: ./.build/compile/src/core/errors.js
var errors = __webpack_require__(51222);
// EXTERNAL MODULE: ./.build/compile/src/core/redact.js
var redact = __webpack_require__(79148);
;// CONCATENATED MODULE: ./.build/compile/src/core/crypto/bech32.js
/**
 * Bech32 (BIP 173, the original checksum constant), as age uses it for `age1...`
 * recipients and `AGE-SECRET-KEY-1...` identities. Unlike BIP 173, age sets no 90-character
 * limit, so neither do we.
 */
const CHARSET = "qpzry9x8gf2tvdw0s3jn54khce6mua7l";
const GENERATOR = [0x3b6a57b2, 0x26508e6d, 0x1ea119fa, 0x3d4233dd, 0x2a1462b3];
function polymod(values) {
    let checksum = 1;
    for (const value of values) {
        const top = checksum >>> 25;
        checksum = ((checksum & 0x1ffffff) << 5) ^ value;
        for (let bit = 0; bit < 5; bit++) {
            if ((top >>> bit) & 1)
                checksum ^= GENERATOR[bit];
        }
    }
    return checksum;
}
function expandHrp(hrp) {
    const high = [...hrp].map((char) => char.charCodeAt(0) >>> 5);
    const low = [...hrp].map((char) => char.charCodeAt(0) & 31);
    return [...high, 0, ...low];
}
function checksumFor(hrp, words) {
    const mod = polymod([...expandHrp(hrp), ...words, 0, 0, 0, 0, 0, 0]) ^ 1;
    return Array.from({ length: 6 }, (_, index) => (mod >>> (5 * (5 - index))) & 31);
}
/** Regroups bits between 8-bit bytes and 5-bit words; strict about padding on decode. */
function convertBits(data, from, to, pad) {
    let accumulator = 0;
    let bits = 0;
    const result = [];
    const maxValue = (1 << to) - 1;
    for (let index = 0; index < data.length; index++) {
        accumulator = (accumulator << from) | data[index];
        bits += from;
        while (bits >= to) {
            bits -= to;
            result.push((accumulator >>> bits) & maxValue);
        }
        accumulator &= (1 << bits) - 1;
    }
    if (pad) {
        if (bits > 0)
            result.push((accumulator << (to - bits)) & maxValue);
    }
    else if (bits >= from || accumulator !== 0) {
        throw new Error("it has leftover padding bits");
    }
    return result;
}
/** Encodes bytes under a human-readable prefix; the case of the prefix is kept for the whole string. */
function bech32Encode(hrp, data) {
    const lowerHrp = hrp.toLowerCase();
    const words = convertBits(data, 8, 5, true);
    const encoded = lowerHrp +
        "1" +
        [...words, ...checksumFor(lowerHrp, words)].map((word) => CHARSET[word]).join("");
    return hrp === hrp.toUpperCase() && hrp !== lowerHrp ? encoded.toUpperCase() : encoded;
}
/** Decodes a bech32 string; throws an Error whose message completes "... is not valid bech32: ". */
function bech32Decode(text) {
    if (text !== text.toLowerCase() && text !== text.toUpperCase()) {
        throw new Error("it mixes upper and lower case");
    }
    const lower = text.toLowerCase();
    const separator = lower.lastIndexOf("1");
    if (separator < 1 || separator + 7 > lower.length) {
        throw new Error("it has no prefix, separator '1' and 6-character checksum");
    }
    const hrp = lower.slice(0, separator);
    const words = [];
    for (const char of lower.slice(separator + 1)) {
        const word = CHARSET.indexOf(char);
        if (word < 0)
            throw new Error(`it contains the character '${char}'`);
        words.push(word);
    }
    if (polymod([...expandHrp(hrp), ...words]) !== 1) {
        throw new Error("its checksum does not match (a typo or a truncated copy?)");
    }
    return { hrp, data: Buffer.from(convertBits(words.slice(0, -6), 5, 8, false)) };
}

;// CONCATENATED MODULE: ./.build/compile/src/core/crypto/age-keys.js
/**
 * age X25519 keys: recipients (`age1...`, public, all the backup side ever needs) and
 * identities (`AGE-SECRET-KEY-1...`, secret, needed only to restore). Raw 32-byte keys are
 * wrapped in DER so that Node's crypto (OpenSSL) does the curve arithmetic.
 */




const RECIPIENT_HRP = "age";
const IDENTITY_HRP = "AGE-SECRET-KEY-";
/** The setting recipients come from, in core's words (each front door names it its own way). */
const RECIPIENTS_FIELD = "recipients";
// The fixed DER prefixes of an X25519 SubjectPublicKeyInfo and PKCS#8 PrivateKeyInfo.
const SPKI_PREFIX = Buffer.from("302a300506032b656e032100", "hex");
const PKCS8_PREFIX = Buffer.from("302e020100300506032b656e04220420", "hex");
function publicKeyFromRaw(raw) {
    return (0,external_node_crypto_.createPublicKey)({ key: Buffer.concat([SPKI_PREFIX, raw]), format: "der", type: "spki" });
}
function rawPublicKey(key) {
    return key.export({ format: "der", type: "spki" }).subarray(SPKI_PREFIX.length);
}
/** An X25519 recipient: who a backup is encrypted to. */
class X25519Recipient {
    publicKey;
    raw;
    constructor(raw) {
        this.raw = raw;
        this.publicKey = publicKeyFromRaw(raw);
    }
    static parse(text) {
        const trimmed = text.trim();
        if (/^age-secret-key-1/i.test(trimmed)) {
            // The most common mix-up, and the dangerous one: never quote it, say what to give.
            throw new errors/* ConfigurationError */.j1(RECIPIENTS_FIELD, "an entry looks like an age identity (a private key, not shown here), not a recipient; give its recipient instead, age1..., as printed by age-keygen -y key.txt, and keep the identity out of this setting (rotate it if this log is shared).");
        }
        let decoded;
        try {
            decoded = bech32Decode(trimmed);
        }
        catch (error) {
            throw new errors/* ConfigurationError */.j1(RECIPIENTS_FIELD, `the age recipient ${(0,redact/* quoteValue */.cl)(trimmed)} is not valid: ${(0,errors/* errorMessage */.gJ)(error)}; expected a public key like age1... as printed by age-keygen.`, { cause: error });
        }
        if (decoded.hrp !== RECIPIENT_HRP ||
            decoded.data.length !== 32 ||
            trimmed !== trimmed.toLowerCase()) {
            throw new errors/* ConfigurationError */.j1(RECIPIENTS_FIELD, `the age recipient ${(0,redact/* quoteValue */.cl)(trimmed)} is not an X25519 public key; expected a lower-case key like age1... (32 bytes) as printed by age-keygen.`);
        }
        return new X25519Recipient(decoded.data);
    }
    static fromRaw(raw) {
        return new X25519Recipient(Buffer.from(raw));
    }
    toString() {
        return bech32Encode(RECIPIENT_HRP, this.raw);
    }
}
/**
 * An X25519 identity. Its secret never leaves this object: it prints, logs and serialises
 * as its public recipient only.
 */
class X25519Identity {
    #privateKey;
    recipient;
    constructor(privateKey) {
        this.#privateKey = privateKey;
        this.recipient = X25519Recipient.fromRaw(rawPublicKey((0,external_node_crypto_.createPublicKey)(privateKey)));
    }
    /** Parses one `AGE-SECRET-KEY-1...` line. The error never repeats the secret. */
    static parse(text) {
        const trimmed = text.trim();
        let decoded;
        let reason = "";
        try {
            decoded = bech32Decode(trimmed);
        }
        catch (error) {
            reason = `: ${(0,errors/* errorMessage */.gJ)(error)}`;
        }
        if (!decoded ||
            decoded.hrp !== IDENTITY_HRP.toLowerCase() ||
            decoded.data.length !== 32 ||
            trimmed !== trimmed.toUpperCase()) {
            throw new Error(`The age identity is not valid${reason}; expected one secret key line AGE-SECRET-KEY-1... as written by age-keygen (the key itself is not shown here).`);
        }
        const privateKey = (0,external_node_crypto_.createPrivateKey)({
            key: Buffer.concat([PKCS8_PREFIX, decoded.data]),
            format: "der",
            type: "pkcs8",
        });
        decoded.data.fill(0);
        return new X25519Identity(privateKey);
    }
    /** A fresh identity, and its secret line to hand to an operator (tests and key set-up). */
    static generate() {
        const { privateKey } = (0,external_node_crypto_.generateKeyPairSync)("x25519");
        const raw = privateKey.export({ format: "der", type: "pkcs8" }).subarray(PKCS8_PREFIX.length);
        return { identity: new X25519Identity(privateKey), secret: bech32Encode(IDENTITY_HRP, raw) };
    }
    /** For the header code only: the key to derive shared secrets with. */
    privateKeyForUnwrap() {
        return this.#privateKey;
    }
    toString() {
        return `[age identity for ${this.recipient}]`;
    }
    toJSON() {
        return this.toString();
    }
    [Symbol.for("nodejs.util.inspect.custom")]() {
        return this.toString();
    }
}
/**
 * Parses an identity file as age writes it: one `AGE-SECRET-KEY-1...` per line, `#`
 * comments and blank lines ignored.
 */
function parseIdentities(text) {
    const lines = text
        .split(/\r?\n/)
        .map((line) => line.trim())
        .filter((line) => line !== "" && !line.startsWith("#"));
    if (lines.length === 0) {
        throw new Error("The age identity input is empty; expected at least one line AGE-SECRET-KEY-1... as written by age-keygen.");
    }
    return lines.map((line) => X25519Identity.parse(line));
}
/** Parses recipients given as a list or as text with one per line (comments allowed). */
function parseRecipients(input) {
    // Each entry may itself be several lines (a whole recipients file given as one value).
    const keys = (typeof input === "string" ? [input] : [...input])
        .flatMap((entry) => entry.split(/\r?\n/))
        .map((line) => line.trim())
        .filter((line) => !line.startsWith("#"))
        .flatMap((line) => line.split(/[\s,]+/))
        .filter((key) => key !== "");
    return keys.map((key) => X25519Recipient.parse(key));
}


/***/ }),

/***/ 8673:
/***/ ((__unused_webpack___webpack_module__, __webpack_exports__, __webpack_require__) => {


// EXPORTS
__webpack_require__.d(__webpack_exports__, {
  fv: () => (/* binding */ AgeDecryptionError),
  K1: () => (/* reexport */ age_keys/* X25519Recipient */.K1),
  PP: () => (/* binding */ createAgeDecryptStream),
  x: () => (/* binding */ createAgeEncryptStream),
  go: () => (/* reexport */ age_keys/* parseIdentities */.go),
  q: () => (/* reexport */ age_keys/* parseRecipients */.q)
});

// UNUSED EXPORTS: AgeHeaderError, NoMatchingIdentityError, X25519Identity

// EXTERNAL MODULE: external "node:crypto"
var external_node_crypto_ = __webpack_require__(77598);
// EXTERNAL MODULE: external "node:stream"
var external_node_stream_ = __webpack_require__(57075);
// EXTERNAL MODULE: ./.build/compile/src/core/crypto/age-keys.js + 1 modules
var age_keys = __webpack_require__(4954);
;// CONCATENATED MODULE: ./.build/compile/src/core/crypto/age-header.js
/**
 * The age v1 header (age-encryption.org/v1): the version line, one stanza per recipient,
 * and an HMAC-SHA-256 over all of it keyed from the file key. Only X25519 stanzas are
 * made or opened here; other stanza types are parsed and skipped, as age does.
 */


const VERSION_LINE = "age-encryption.org/v1";
const X25519_LABEL = "age-encryption.org/v1/X25519";
const BODY_COLUMNS = 64;
/** Far above any real header; it stops a corrupt file being read whole as a "header". */
const MAX_HEADER_BYTES = 1024 * 1024;
class AgeHeaderError extends Error {
}
/** age's base64: the standard alphabet without padding, and only the canonical encoding. */
function encodeBase64(data) {
    return data.toString("base64").replace(/=+$/, "");
}
function decodeBase64(text, what) {
    const decoded = Buffer.from(text, "base64");
    if (!/^[A-Za-z0-9+/]*$/.test(text) || encodeBase64(decoded) !== text) {
        throw new AgeHeaderError(`the age header's ${what} is not canonical unpadded base64`);
    }
    return decoded;
}
function hkdf(key, salt, info, length = 32) {
    return Buffer.from((0,external_node_crypto_.hkdfSync)("sha256", key, salt, info, length));
}
function sealWithZeroNonce(key, plaintext) {
    const cipher = (0,external_node_crypto_.createCipheriv)("chacha20-poly1305", key, Buffer.alloc(12), { authTagLength: 16 });
    return Buffer.concat([cipher.update(plaintext), cipher.final(), cipher.getAuthTag()]);
}
function openWithZeroNonce(key, sealed) {
    const decipher = (0,external_node_crypto_.createDecipheriv)("chacha20-poly1305", key, Buffer.alloc(12), {
        authTagLength: 16,
    });
    decipher.setAuthTag(sealed.subarray(sealed.length - 16));
    try {
        return Buffer.concat([
            decipher.update(sealed.subarray(0, sealed.length - 16)),
            decipher.final(),
        ]);
    }
    catch {
        return undefined;
    }
}
/** Wraps the file key to one recipient with a fresh ephemeral key (age's X25519 recipient). */
function wrapFileKey(fileKey, recipient) {
    const ephemeral = (0,external_node_crypto_.generateKeyPairSync)("x25519");
    const ephemeralShare = (0,age_keys/* rawPublicKey */.F7)(ephemeral.publicKey);
    const sharedSecret = (0,external_node_crypto_.diffieHellman)({
        privateKey: ephemeral.privateKey,
        publicKey: recipient.publicKey,
    });
    const wrapKey = hkdf(sharedSecret, Buffer.concat([ephemeralShare, recipient.raw]), X25519_LABEL);
    return {
        type: "X25519",
        args: [encodeBase64(ephemeralShare)],
        body: sealWithZeroNonce(wrapKey, fileKey),
    };
}
/** Tries to unwrap the file key from an X25519 stanza; undefined when it is for someone else. */
function unwrapFileKey(stanza, identity) {
    if (stanza.args.length !== 1)
        throw new AgeHeaderError("an X25519 stanza must have exactly one argument");
    const ephemeralShare = decodeBase64(stanza.args[0], "X25519 ephemeral share");
    if (ephemeralShare.length !== 32)
        throw new AgeHeaderError("an X25519 ephemeral share must be 32 bytes");
    if (stanza.body.length !== 32)
        throw new AgeHeaderError("an X25519 stanza body must be 32 bytes");
    let sharedSecret;
    try {
        sharedSecret = (0,external_node_crypto_.diffieHellman)({
            privateKey: identity.privateKeyForUnwrap(),
            publicKey: (0,age_keys/* publicKeyFromRaw */.Zz)(ephemeralShare),
        });
    }
    catch {
        // OpenSSL refuses low-order points (an all-zero shared secret), as the spec requires.
        throw new AgeHeaderError("an X25519 stanza carries a low-order ephemeral share");
    }
    if (sharedSecret.every((byte) => byte === 0)) {
        throw new AgeHeaderError("an X25519 stanza carries a low-order ephemeral share");
    }
    const salt = Buffer.concat([ephemeralShare, identity.recipient.raw]);
    return openWithZeroNonce(hkdf(sharedSecret, salt, X25519_LABEL), stanza.body);
}
function headerMac(fileKey, headerUpToDashes) {
    return (0,external_node_crypto_.createHmac)("sha256", hkdf(fileKey, Buffer.alloc(0), "header"))
        .update(headerUpToDashes)
        .digest();
}
function encodeStanza(stanza) {
    const body = encodeBase64(stanza.body);
    const lines = [];
    for (let start = 0; start < body.length; start += BODY_COLUMNS)
        lines.push(body.slice(start, start + BODY_COLUMNS));
    // A body line of full width means "more follows", so a full last line needs an empty one after it.
    if (body.length % BODY_COLUMNS === 0)
        lines.push("");
    return `-> ${[stanza.type, ...stanza.args].join(" ")}\n${lines.join("\n")}\n`;
}
/** The complete header bytes, MAC line included, for a file key and its stanzas. */
function encodeHeader(fileKey, stanzas) {
    const upToDashes = Buffer.from(`${VERSION_LINE}\n${stanzas.map(encodeStanza).join("")}---`, "latin1");
    return Buffer.concat([
        upToDashes,
        Buffer.from(` ${encodeBase64(headerMac(fileKey, upToDashes))}\n`, "latin1"),
    ]);
}
const ARGUMENT = /^[\x21-\x7e]+$/;
/**
 * Parses a header from the start of `data`. Returns undefined when `data` does not yet hold
 * the whole header (the caller reads more); throws AgeHeaderError when it is malformed.
 */
function parseHeader(data) {
    let offset = 0;
    const nextLine = () => {
        const end = data.indexOf(0x0a, offset);
        if (end < 0)
            return undefined;
        const line = data.subarray(offset, end).toString("latin1");
        offset = end + 1;
        return line;
    };
    const version = nextLine();
    if (version === undefined)
        return checkPrefix(data);
    if (version !== VERSION_LINE) {
        checkPrefix(data);
        throw new AgeHeaderError(`it does not start with the line "${VERSION_LINE}" (not an age file, or another version)`);
    }
    const stanzas = [];
    while (true) {
        const lineStart = offset;
        const line = nextLine();
        if (line === undefined)
            return undefined;
        if (line.startsWith("--- ")) {
            const mac = decodeBase64(line.slice(4), "MAC");
            if (mac.length !== 32)
                throw new AgeHeaderError("the age header's MAC is not 32 bytes");
            if (stanzas.length === 0)
                throw new AgeHeaderError("the age header names no recipients");
            return { stanzas, macInput: data.subarray(0, lineStart + 3), mac, length: offset };
        }
        if (!line.startsWith("-> "))
            throw new AgeHeaderError("a header line is neither a stanza (->) nor the MAC (---)");
        const [type, ...args] = line.slice(3).split(" ");
        if (!type || ![type, ...args].every((arg) => ARGUMENT.test(arg))) {
            throw new AgeHeaderError("a stanza line has an empty or non-printable argument");
        }
        const bodyParts = [];
        while (true) {
            const bodyLine = nextLine();
            if (bodyLine === undefined)
                return undefined;
            if (bodyLine.length > BODY_COLUMNS)
                throw new AgeHeaderError("a stanza body line is longer than 64 columns");
            bodyParts.push(decodeBase64(bodyLine, "stanza body"));
            if (bodyLine.length < BODY_COLUMNS)
                break;
        }
        stanzas.push({ type, args, body: Buffer.concat(bodyParts) });
    }
}
function checkPrefix(data) {
    if (data.subarray(0, 10).toString("latin1") === "-----BEGIN") {
        throw new AgeHeaderError("it is ASCII-armored (age -a); store and restore binary age files, without -a");
    }
    const expected = Buffer.from(`${VERSION_LINE}\n`, "latin1");
    const length = Math.min(data.length, expected.length);
    if (!data.subarray(0, length).equals(expected.subarray(0, length))) {
        throw new AgeHeaderError(`it does not start with the line "${VERSION_LINE}" (not an age file, or another version)`);
    }
    return undefined;
}
/** Finds the file key for one of the identities and checks the header MAC with it. */
function openHeader(header, identities) {
    for (const stanza of header.stanzas) {
        if (stanza.type !== "X25519")
            continue;
        for (const identity of identities) {
            const fileKey = unwrapFileKey(stanza, identity);
            if (fileKey === undefined)
                continue;
            if (fileKey.length !== 16)
                throw new AgeHeaderError("an X25519 stanza wraps a file key of the wrong size");
            const expected = headerMac(fileKey, header.macInput);
            if (!(0,external_node_crypto_.timingSafeEqual)(expected, header.mac)) {
                throw new AgeHeaderError("the age header's MAC does not match: the header was changed after it was written");
            }
            return fileKey;
        }
    }
    const x25519Count = header.stanzas.filter((stanza) => stanza.type === "X25519").length;
    throw new NoMatchingIdentityError(`none of the ${identities.length} given age identit${identities.length === 1 ? "y" : "ies"} (${identities
        .map((identity) => identity.recipient.toString())
        .join(", ")}) can open it; it is encrypted to ${x25519Count} X25519 recipient${x25519Count === 1 ? "" : "s"} and ${header.stanzas.length - x25519Count} of other types`);
}
class NoMatchingIdentityError extends AgeHeaderError {
}

;// CONCATENATED MODULE: ./.build/compile/src/core/crypto/chunker.js
/**
 * Cuts a stream of buffers into fixed-size chunks while always holding back the last one,
 * because age's STREAM marks the final chunk and we only know which it is at the end.
 */
class ChunkQueue {
    parts = [];
    queued = 0;
    chunkSize;
    constructor(chunkSize) {
        this.chunkSize = chunkSize;
    }
    get length() {
        return this.queued;
    }
    push(data) {
        if (data.length === 0)
            return;
        this.parts.push(data);
        this.queued += data.length;
    }
    /** True while a full chunk is queued AND more bytes follow it, so it is not the last. */
    hasChunkBeforeLast() {
        return this.queued > this.chunkSize;
    }
    /** Takes the next `size` bytes (default: a chunk), copying only when they span parts. */
    take(size = this.chunkSize) {
        const first = this.parts[0];
        if (first.length >= size) {
            const chunk = first.subarray(0, size);
            if (first.length === size)
                this.parts.shift();
            else
                this.parts[0] = first.subarray(size);
            this.queued -= size;
            return chunk;
        }
        const chunk = Buffer.allocUnsafe(size);
        let filled = 0;
        while (filled < size) {
            const part = this.parts[0];
            const used = Math.min(part.length, size - filled);
            part.copy(chunk, filled, 0, used);
            filled += used;
            if (used === part.length)
                this.parts.shift();
            else
                this.parts[0] = part.subarray(used);
        }
        this.queued -= size;
        return chunk;
    }
    /** Everything still queued (the final chunk). */
    takeRest() {
        return this.queued === 0 ? Buffer.alloc(0) : this.take(this.queued);
    }
}

;// CONCATENATED MODULE: ./.build/compile/src/core/crypto/age.js
/**
 * Streaming age encryption and decryption (age-encryption.org/v1, X25519 recipients).
 * The payload is age's STREAM: ChaCha20-Poly1305 over 64 KiB chunks, the nonce an 11-byte
 * big-endian chunk counter and a last-chunk flag. Node's crypto does the cipher natively
 * (~1 GB/s), which a pure-JS age cannot (~100 MB/s); the format stays exactly age's so the
 * `age` CLI reads our files and we read its.
 */






const CHUNK_SIZE = 64 * 1024;
const TAG_SIZE = 16;
const SEALED_CHUNK_SIZE = CHUNK_SIZE + TAG_SIZE;
const NONCE_PREFIX_SIZE = 16;
/**
 * Chunks sealed or opened per output buffer: one push of 128 KiB instead of two pushes per
 * 64 KiB chunk, so the stages after age (hash, write) take the pipeline's batch size too
 * (storage/batching.ts says why not larger).
 */
const CHUNKS_PER_BATCH = 2;
/** Raised for any failure to decrypt: the message says what to check. */
class AgeDecryptionError extends Error {
}
function chunkNonce(counter, last) {
    const nonce = Buffer.alloc(12);
    // 11-byte big-endian counter: 2^53 chunks is far beyond any backup, so the top bytes stay 0.
    nonce.writeUIntBE(counter, 5, 6);
    nonce[11] = last ? 1 : 0;
    return nonce;
}
function payloadKey(fileKey, noncePrefix) {
    return hkdf(fileKey, noncePrefix, "payload");
}
/** A Transform from plaintext to an age file for the given recipients. */
function createAgeEncryptStream(recipients) {
    if (recipients.length === 0) {
        throw new Error("age encryption needs at least one recipient (an age1... public key).");
    }
    const fileKey = (0,external_node_crypto_.randomBytes)(16);
    const header = encodeHeader(fileKey, recipients.map((recipient) => wrapFileKey(fileKey, recipient)));
    const noncePrefix = (0,external_node_crypto_.randomBytes)(NONCE_PREFIX_SIZE);
    const key = payloadKey(fileKey, noncePrefix);
    fileKey.fill(0);
    const queue = new ChunkQueue(CHUNK_SIZE);
    let counter = 0;
    /** Seals `plaintext` (one chunk) into `out` at `offset`; returns the offset after its tag. */
    const sealInto = (out, offset, plaintext, last) => {
        const cipher = (0,external_node_crypto_.createCipheriv)("chacha20-poly1305", key, chunkNonce(counter++, last), {
            authTagLength: TAG_SIZE,
        });
        offset += cipher.update(plaintext).copy(out, offset);
        cipher.final();
        return offset + cipher.getAuthTag().copy(out, offset);
    };
    /** Seals every queued chunk but the last, up to CHUNKS_PER_BATCH into each pushed buffer. */
    const sealQueued = (stream) => {
        while (queue.hasChunkBeforeLast()) {
            const chunks = Math.min(CHUNKS_PER_BATCH, Math.ceil(queue.length / CHUNK_SIZE) - 1);
            const out = Buffer.allocUnsafeSlow(chunks * SEALED_CHUNK_SIZE);
            let offset = 0;
            for (let sealed = 0; sealed < chunks; sealed++) {
                offset = sealInto(out, offset, queue.take(), false);
            }
            stream.push(out);
        }
    };
    const sealLast = (stream) => {
        const plaintext = queue.takeRest();
        const out = Buffer.allocUnsafe(plaintext.length + TAG_SIZE);
        sealInto(out, 0, plaintext, true);
        stream.push(out);
    };
    let started = false;
    const start = (stream) => {
        if (started)
            return;
        started = true;
        stream.push(header);
        stream.push(noncePrefix);
    };
    return new external_node_stream_.Transform({
        transform(data, _encoding, done) {
            start(this);
            queue.push(data);
            sealQueued(this);
            done();
        },
        flush(done) {
            start(this);
            // The final chunk may be full-size; it is empty only when the whole payload is.
            sealLast(this);
            key.fill(0);
            done();
        },
    });
}
/**
 * A Transform from an age file to its plaintext, for the first identity that opens it.
 * Errors are AgeDecryptionError sentences; `describe` names the file in them.
 */
function createAgeDecryptStream(identities, describe = "the age file") {
    if (identities.length === 0) {
        throw new Error(`Decrypting ${describe} needs an age identity (AGE-SECRET-KEY-1...), and none was given.`);
    }
    let headerBytes = Buffer.alloc(0);
    let key;
    const queue = new ChunkQueue(SEALED_CHUNK_SIZE);
    let counter = 0;
    const fail = (message) => new AgeDecryptionError(`Decrypting ${describe} failed: ${message}.`);
    const open = (sealed, last) => {
        const decipher = (0,external_node_crypto_.createDecipheriv)("chacha20-poly1305", key, chunkNonce(counter, last), {
            authTagLength: TAG_SIZE,
        });
        decipher.setAuthTag(sealed.subarray(sealed.length - TAG_SIZE));
        const plaintext = decipher.update(sealed.subarray(0, sealed.length - TAG_SIZE));
        try {
            decipher.final();
        }
        catch {
            throw fail(last
                ? `the last chunk (number ${counter}) does not authenticate: the file was truncated or changed after it was written`
                : `chunk number ${counter} does not authenticate: the file was changed or damaged after it was written`);
        }
        counter++;
        return plaintext;
    };
    /** Collects header bytes; once whole, opens it and returns the file key and the bytes after it. */
    const readHeader = (data) => {
        headerBytes = headerBytes.length === 0 ? data : Buffer.concat([headerBytes, data]);
        let header;
        let unwrapped;
        try {
            header = parseHeader(headerBytes);
            if (!header) {
                if (headerBytes.length > MAX_HEADER_BYTES)
                    throw fail("no complete age header in its first MiB");
                return undefined;
            }
            unwrapped = openHeader(header, identities);
        }
        catch (error) {
            if (error instanceof NoMatchingIdentityError)
                throw fail(error.message);
            if (error instanceof AgeHeaderError)
                throw fail(`its header is not valid: ${error.message}`);
            throw error;
        }
        const rest = headerBytes.subarray(header.length);
        headerBytes = Buffer.alloc(0);
        return { fileKey: unwrapped, rest };
    };
    let noncePrefixBytes = Buffer.alloc(0);
    let fileKey;
    const takePayload = (stream, data) => {
        if (!key) {
            noncePrefixBytes = Buffer.concat([noncePrefixBytes, data]);
            if (noncePrefixBytes.length < NONCE_PREFIX_SIZE)
                return;
            key = payloadKey(fileKey, noncePrefixBytes.subarray(0, NONCE_PREFIX_SIZE));
            fileKey.fill(0);
            data = noncePrefixBytes.subarray(NONCE_PREFIX_SIZE);
        }
        queue.push(data);
        openQueued(stream);
    };
    /** Opens every queued chunk but the last, up to CHUNKS_PER_BATCH into each pushed buffer. */
    const openQueued = (stream) => {
        while (queue.hasChunkBeforeLast()) {
            const chunks = Math.min(CHUNKS_PER_BATCH, Math.ceil(queue.length / SEALED_CHUNK_SIZE) - 1);
            const out = Buffer.allocUnsafeSlow(chunks * CHUNK_SIZE);
            let offset = 0;
            for (let opened = 0; opened < chunks; opened++) {
                offset += open(queue.take(), false).copy(out, offset);
            }
            stream.push(out);
        }
    };
    return new external_node_stream_.Transform({
        transform(data, _encoding, done) {
            try {
                if (fileKey === undefined) {
                    const opened = readHeader(data);
                    if (opened === undefined)
                        return done();
                    fileKey = opened.fileKey;
                    data = opened.rest;
                }
                takePayload(this, data);
                done();
            }
            catch (error) {
                done(error);
            }
        },
        flush(done) {
            try {
                if (!key)
                    throw fail("it ends before its payload starts (the file was truncated)");
                const last = queue.takeRest();
                if (last.length < TAG_SIZE) {
                    throw fail("it ends in the middle of a chunk (the file was truncated)");
                }
                if (last.length === TAG_SIZE && counter > 0) {
                    throw fail("its last chunk is empty, which age never writes (the file was truncated or changed)");
                }
                this.push(open(last, true));
                key.fill(0);
                done();
            }
            catch (error) {
                done(error);
            }
        },
    });
}


/***/ }),

/***/ 38959:
/***/ ((__unused_webpack___webpack_module__, __webpack_exports__, __webpack_require__) => {

/* harmony export */ __webpack_require__.d(__webpack_exports__, {
/* harmony export */   $K: () => (/* binding */ HashingStream),
/* harmony export */   SC: () => (/* binding */ VerifyingStream),
/* harmony export */   fg: () => (/* binding */ sha256Hex)
/* harmony export */ });
/* harmony import */ var node_crypto__WEBPACK_IMPORTED_MODULE_0__ = __webpack_require__(77598);
/* harmony import */ var node_stream__WEBPACK_IMPORTED_MODULE_1__ = __webpack_require__(57075);
/**
 * Hashing on the way through a stream: a pass-through that counts bytes and computes their
 * sha256 (OpenSSL, ~1 GB/s), and a checking variant that fails the stream at its end when
 * the bytes are not the ones expected.
 */


/** A pass-through whose `digest()` is the size and sha256 of everything that went through. */
class HashingStream extends node_stream__WEBPACK_IMPORTED_MODULE_1__.Transform {
    hash = (0,node_crypto__WEBPACK_IMPORTED_MODULE_0__.createHash)("sha256");
    bytes = 0;
    result;
    _transform(data, _encoding, done) {
        this.hash.update(data);
        this.bytes += data.length;
        done(null, data);
    }
    _flush(done) {
        this.result = { bytes: this.bytes, sha256: this.hash.digest("hex") };
        done();
    }
    /** Available once the stream has ended. */
    digest() {
        if (!this.result)
            throw new Error("The digest was read before the stream ended (a bug in the caller).");
        return this.result;
    }
}
/**
 * A pass-through that errors at its end, before signalling success downstream, when size or
 * sha256 differ from `expected`. `mismatch` builds the error sentence.
 */
class VerifyingStream extends HashingStream {
    expected;
    mismatch;
    constructor(expected, mismatch) {
        super();
        this.expected = expected;
        this.mismatch = mismatch;
    }
    _flush(done) {
        super._flush((error) => {
            if (error)
                return done(error);
            const actual = this.digest();
            if (actual.bytes !== this.expected.bytes || actual.sha256 !== this.expected.sha256) {
                return done(this.mismatch(actual, this.expected));
            }
            done();
        });
    }
}
/** sha256 of a whole buffer, lower-case hex. */
function sha256Hex(data) {
    return (0,node_crypto__WEBPACK_IMPORTED_MODULE_0__.createHash)("sha256").update(data).digest("hex");
}


/***/ }),

/***/ 51222:
/***/ ((__unused_webpack___webpack_module__, __webpack_exports__, __webpack_require__) => {

/* harmony export */ __webpack_require__.d(__webpack_exports__, {
/* harmony export */   cc: () => (/* binding */ CancelledError),
/* harmony export */   gJ: () => (/* binding */ errorMessage),
/* harmony export */   j1: () => (/* binding */ ConfigurationError),
/* harmony export */   p0: () => (/* binding */ isConfigurationError)
/* harmony export */ });
/**
 * The errors every layer shares. A `ConfigurationError` is the user's mistake: it names the
 * setting (`field`, e.g. "recipients"), and each front door (the action, the CLI) shows it
 * under its own name for that setting (`encryption-recipients`, `--recipient`). Anything else
 * is a failure of the run. `errorMessage` is the one way to turn a thrown value into text.
 */
/** The user's mistake in one setting; the message says what was expected, never a secret. */
class ConfigurationError extends Error {
    field;
    problem;
    name = "ConfigurationError";
    constructor(
    /** The setting, in core's words: `recipients`, `destination`, `clusters`, `paths`... */
    field, 
    /** What is wrong with it and what was expected, e.g. `expected a whole number`. */
    problem, options) {
        super(`${field}: ${problem}`, options);
        this.field = field;
        this.problem = problem;
    }
}
/** The run was cancelled (SIGINT, SIGTERM, or the caller's AbortSignal). */
class CancelledError extends Error {
    name = "CancelledError";
}
function isConfigurationError(error) {
    return error instanceof ConfigurationError;
}
/** The message of anything thrown: an Error's message, else its string form. */
function errorMessage(error) {
    if (error instanceof Error)
        return error.message;
    if (typeof error === "string")
        return error;
    try {
        return JSON.stringify(error) ?? String(error);
    }
    catch {
        return String(error);
    }
}


/***/ }),

/***/ 71848:
/***/ ((__unused_webpack___webpack_module__, __webpack_exports__, __webpack_require__) => {

/* harmony export */ __webpack_require__.d(__webpack_exports__, {
/* harmony export */   D5: () => (/* binding */ userClusterProfile),
/* harmony export */   TI: () => (/* binding */ adminClusterProfile),
/* harmony export */   V4: () => (/* binding */ controlPlaneV2Profile),
/* harmony export */   oO: () => (/* binding */ isValidClusterName)
/* harmony export */ });
/* unused harmony export ETCD_CLIENT_ENDPOINT */
/* harmony import */ var _storage_layout_js__WEBPACK_IMPORTED_MODULE_0__ = __webpack_require__(50721);
/**
 * Where each kind of etcd lives and which certificates its etcdctl uses, exactly as the
 * runbook names them (PROCEDURES.md sections 1 and 4).
 */

const ETCD_CLIENT_ENDPOINT = "https://127.0.0.1:2379";
/** A user cluster's etcd: StatefulSet `kube-etcd` in the namespace named after the cluster. */
function userClusterProfile(name) {
    return {
        kind: "user",
        topology: "kubeception",
        cluster: name,
        namespace: name,
        container: "kube-etcd",
        statefulSet: "kube-etcd",
        endpoint: ETCD_CLIENT_ENDPOINT,
        certificates: {
            caPath: "/etcd.local.config/certificates/etcdCA.crt",
            certPath: "/etcd.local.config/certificates/etcd.crt",
            keyPath: "/etcd.local.config/certificates/etcd.key",
        },
    };
}
/** The admin cluster's own etcd: the static pod `etcd-<node>` in kube-system. */
function adminClusterProfile() {
    return {
        kind: "admin",
        topology: "admin",
        cluster: "admin",
        namespace: "kube-system",
        container: "etcd",
        memberLabelSelector: "component=etcd,tier=control-plane",
        endpoint: ETCD_CLIENT_ENDPOINT,
        certificates: {
            caPath: "/etc/kubernetes/pki/etcd/ca.crt",
            certPath: "/etc/kubernetes/pki/etcd/healthcheck-client.crt",
            keyPath: "/etc/kubernetes/pki/etcd/healthcheck-client.key",
        },
    };
}
/**
 * A Controlplane V2 user cluster's etcd: the static pods `etcd-<node>` in kube-system of the
 * USER cluster, with the client certificates the vendor's backup uses
 * (how-to/back-up-user-cluster): the member's own server certificate.
 */
function controlPlaneV2Profile(name) {
    return {
        kind: "user",
        topology: "controlplane-v2",
        cluster: name,
        namespace: "kube-system",
        container: "etcd",
        memberLabelSelector: "component=etcd,tier=control-plane",
        endpoint: ETCD_CLIENT_ENDPOINT,
        certificates: {
            caPath: "/etc/kubernetes/pki/etcd/ca.crt",
            certPath: "/etc/kubernetes/pki/etcd/server.crt",
            keyPath: "/etc/kubernetes/pki/etcd/server.key",
        },
    };
}
/** `admin`, or a user cluster's namespace (the pattern the storage layout checks too). */
function isValidClusterName(name) {
    return name === "admin" || (0,_storage_layout_js__WEBPACK_IMPORTED_MODULE_0__/* .isClusterName */ .Qq)(name);
}


/***/ }),

/***/ 44714:
/***/ ((__unused_webpack___webpack_module__, __webpack_exports__, __webpack_require__) => {

/* harmony export */ __webpack_require__.d(__webpack_exports__, {
/* harmony export */   z: () => (/* binding */ formatBytes)
/* harmony export */ });
/** Sizes as an operator reads them in logs and summaries: 1.5 GiB, 320.0 MiB, 12 B. */
function formatBytes(bytes) {
    const units = ["B", "KiB", "MiB", "GiB", "TiB"];
    let value = bytes;
    let unit = 0;
    while (value >= 1024 && unit < units.length - 1) {
        value /= 1024;
        unit++;
    }
    return `${value.toFixed(unit === 0 ? 0 : 1)} ${units[unit]}`;
}


/***/ }),

/***/ 42830:
/***/ ((__unused_webpack___webpack_module__, __webpack_exports__, __webpack_require__) => {

/* harmony export */ __webpack_require__.d(__webpack_exports__, {
/* harmony export */   CoreV1Api: () => (/* reexport safe */ _kubernetes_client_node_dist_gen_types_ObjectParamAPI_js__WEBPACK_IMPORTED_MODULE_1__.S_),
/* harmony export */   e: () => (/* reexport safe */ _kubernetes_client_node_dist_gen_types_ObjectParamAPI_js__WEBPACK_IMPORTED_MODULE_1__.PB),
/* harmony export */   y: () => (/* reexport safe */ _kubernetes_client_node_dist_config_js__WEBPACK_IMPORTED_MODULE_0__.yp)
/* harmony export */ });
/* harmony import */ var _kubernetes_client_node_dist_config_js__WEBPACK_IMPORTED_MODULE_0__ = __webpack_require__(77288);
/* harmony import */ var _kubernetes_client_node_dist_gen_types_ObjectParamAPI_js__WEBPACK_IMPORTED_MODULE_1__ = __webpack_require__(99066);
/**
 * The parts of @kubernetes/client-node this project runs: the kubeconfig and the two API
 * groups it calls (core/v1 and apps/v1). Every value import of the client goes through here
 * (types may still come from the package root: they vanish at build time).
 *
 * Why not the package root: its index re-exports every API group, watch, informer, cp,
 * metrics, portforward and more, and a bundle evaluates all of it at start-up. Imported
 * file by file, a tree-shaking bundler (esbuild) keeps only these classes and what they
 * reach. Measured (bench/code-load.bench.ts, bench/PROFILE.md round 3), that saves nothing
 * today: the generated API classes share one module graph, so esbuild drops the unused
 * groups from a root import too, and ncc (the shipped bundles) keeps everything either way.
 * Kept as the one place the client is loaded from. The package has no `exports` map, so these are paths into its `dist` folder: the
 * version is pinned exactly in package.json, and test/kube/client-deep-imports.test.ts
 * checks that the paths resolve to the same classes as the root and work against the
 * sandbox's API server, so an upgrade that moves them fails a test, not a backup.
 */




/***/ }),

/***/ 43604:
/***/ ((__unused_webpack___webpack_module__, __webpack_exports__, __webpack_require__) => {

/* harmony export */ __webpack_require__.d(__webpack_exports__, {
/* harmony export */   g: () => (/* binding */ describeApiError)
/* harmony export */ });
/**
 * Turning client-node's errors into sentences: which object, what the API server said, and
 * what to check. client-node 2.x throws ApiException with `code` and `body` (a Status).
 */
/** `action` is the verb for messages: reading (the default), creating, deleting, scaling... */
function describeApiError(error, what, action = "reading") {
    const apiError = error;
    const status = parseStatus(apiError.body);
    if (apiError.code === 401) {
        return `the API server refused the credentials while ${action} ${what} (401 Unauthorized); check the kubeconfig's token or client certificate.`;
    }
    if (apiError.code === 403) {
        return `not allowed to access ${what} (403 Forbidden: ${status?.message ?? "no details"}); check the kubeconfig user's RBAC.`;
    }
    if (apiError.code === 404)
        return `${what} not found (404).`;
    if (apiError.code) {
        return `${action} ${what} failed with HTTP ${apiError.code}: ${status?.message ?? String(apiError.body ?? "").slice(0, 200)}`;
    }
    const cause = apiError.cause;
    const reason = cause?.code ?? cause?.message ?? apiError.message ?? String(error);
    return `cannot reach the API server while ${action} ${what} (${reason}); check the kubeconfig's server address and that this runner can reach it.`;
}
function parseStatus(body) {
    if (!body)
        return undefined;
    if (typeof body === "object")
        return body;
    try {
        return JSON.parse(String(body));
    }
    catch {
        return undefined;
    }
}


/***/ }),

/***/ 87770:
/***/ ((__unused_webpack___webpack_module__, __webpack_exports__, __webpack_require__) => {

/* harmony export */ __webpack_require__.d(__webpack_exports__, {
/* harmony export */   $h: () => (/* binding */ execChecked),
/* harmony export */   YE: () => (/* binding */ execInPod)
/* harmony export */ });
/* unused harmony export ExecStreamError */
/* harmony import */ var node_events__WEBPACK_IMPORTED_MODULE_0__ = __webpack_require__(78474);
/* harmony import */ var ws__WEBPACK_IMPORTED_MODULE_1__ = __webpack_require__(52977);
/* harmony import */ var _errors_js__WEBPACK_IMPORTED_MODULE_2__ = __webpack_require__(51222);
/* harmony import */ var _pod_target_js__WEBPACK_IMPORTED_MODULE_3__ = __webpack_require__(70216);
/**
 * Exec into a pod over the Kubernetes WebSocket channel protocol (v5, falling back to v4),
 * with backpressure both ways: when the consumer of stdout is slow, the socket is paused, and
 * stdin is read only while less than a bounded number of bytes is still on its way to the
 * API server, so a multi-GB snapshot streams through in constant memory. client-node's own
 * Exec writes without waiting and is not used for data.
 *
 * No TTY, ever: a TTY mangles binary output (one of the runbook script's flaws).
 */




const STDIN = 0;
const STDOUT = 1;
const STDERR = 2;
const STATUS = 3;
const CLOSE = 255;
const V5 = "v5.channel.k8s.io";
const V4 = "v4.channel.k8s.io";
/** At most this much stderr is kept for error messages. */
const STDERR_LIMIT = 64 * 1024;
/** stdin goes out in frames of this size, the size the API server uses itself. */
const STDIN_FRAME_BYTES = 32 * 1024;
/** stdin is not read while this many bytes are sent but not yet handed to the kernel. */
const STDIN_IN_FLIGHT_LIMIT = 4 * 1024 * 1024;
/** The exec ran, but the stream broke before the process reported how it ended. */
class ExecStreamError extends Error {
    name = "ExecStreamError";
}
async function execInPod(config, options) {
    const where = (0,_pod_target_js__WEBPACK_IMPORTED_MODULE_3__/* .describePodTarget */ .C)(options);
    const cancelled = () => new _errors_js__WEBPACK_IMPORTED_MODULE_2__/* .CancelledError */ .cc(`exec of \`${options.command[0]}\` in ${where} was cancelled.`);
    if (options.signal?.aborted)
        throw cancelled();
    const socket = await openExecSocket(config, options);
    const stdoutChunks = [];
    let stderrText = "";
    let status;
    let failure;
    const fail = (error) => {
        failure ??= error;
        socket.terminate();
    };
    const stdoutWrites = options.stdout ? new PendingWrites() : undefined;
    const onAbort = () => fail(cancelled());
    options.signal?.addEventListener("abort", onAbort, { once: true });
    // A signal aborted before the call never fires its event: stop at once.
    if (options.signal?.aborted)
        onAbort();
    socket.on("unexpected-response", (_request, response) => {
        let body = "";
        response.setEncoding("utf8");
        response.on("data", (chunk) => (body += chunk));
        response.on("end", () => fail(new Error(`exec in ${where} was refused by the API server: ${statusMessage(body) ?? `HTTP ${response.statusCode}`}`)));
        response.on("error", (error) => fail(new ExecStreamError(`exec in ${where} failed: ${error.message}`)));
    });
    let stdoutPaused = false;
    socket.on("message", (data, isBinary) => {
        if (!isBinary || data.length === 0)
            return;
        const channel = data[0];
        const payload = data.subarray(1);
        if (channel === STDOUT) {
            const stdout = options.stdout;
            if (!stdout || !stdoutWrites) {
                stdoutChunks.push(Buffer.from(payload));
                return;
            }
            if (payload.length === 0)
                return;
            const writable = stdout.write(payload, stdoutWrites.track((error) => fail(error)));
            if (!writable && !stdoutPaused) {
                stdoutPaused = true;
                socket.pause();
                stdout.once("drain", () => {
                    stdoutPaused = false;
                    socket.resume();
                });
            }
        }
        else if (channel === STDERR) {
            const text = payload.toString("utf8");
            stderrText = (stderrText + text).slice(-STDERR_LIMIT);
            options.onStderr?.(text);
        }
        else if (channel === STATUS) {
            try {
                status = JSON.parse(payload.toString("utf8"));
            }
            catch {
                failure ??= new ExecStreamError(`exec in ${where}: unreadable status frame`);
            }
        }
    });
    const opened = (0,node_events__WEBPACK_IMPORTED_MODULE_0__.once)(socket, "open").then(() => true, () => false);
    const closed = new Promise((resolve) => socket.once("close", () => resolve()));
    socket.on("error", (error) => {
        failure ??= new ExecStreamError(`exec in ${where} failed: ${error.message}`);
    });
    let feeding;
    if (await opened) {
        options.onOpen?.(socket.protocol);
        if (options.stdin)
            feeding = startStdin(socket, options, where, fail);
    }
    await closed;
    options.signal?.removeEventListener("abort", onAbort);
    if (options.stdin && !options.stdin.readableEnded)
        options.stdin.destroy();
    await feeding;
    await stdoutWrites?.settled();
    if (failure)
        throw failure;
    if (!status) {
        throw new ExecStreamError(`exec in ${where} ended without an exit status: the stream was cut (API server, node or network); the output is incomplete.`);
    }
    return {
        exitCode: exitCodeOf(status, where),
        stderr: stderrText,
        stdout: Buffer.concat(stdoutChunks).toString("utf8"),
    };
}
/** Runs a command that must succeed, returning its stdout; a non-zero exit is an error with stderr. */
async function execChecked(config, options) {
    const result = await execInPod(config, options);
    if (result.exitCode !== 0) {
        const detail = result.stderr.trim().split("\n").slice(-5).join(" | ");
        throw new Error(`\`${options.command.join(" ")}\` in ${options.namespace}/${options.pod} exited with code ${result.exitCode}${detail ? `: ${detail}` : ""}`);
    }
    return result;
}
async function openExecSocket(config, options) {
    const cluster = config.getCurrentCluster();
    if (!cluster)
        throw new Error("kubeconfig has no current cluster");
    const query = new URLSearchParams();
    for (const part of options.command)
        query.append("command", part);
    query.set("container", options.container);
    query.set("stdout", "true");
    query.set("stderr", "true");
    query.set("stdin", options.stdin ? "true" : "false");
    query.set("tty", "false");
    const url = cluster.server.replace(/^http/, "ws").replace(/\/$/, "") +
        `/api/v1/namespaces/${encodeURIComponent(options.namespace)}/pods/${encodeURIComponent(options.pod)}/exec?${query}`;
    const socketOptions = { perMessageDeflate: false, maxPayload: 0 };
    await config.applyToHTTPSOptions(socketOptions);
    return new ws__WEBPACK_IMPORTED_MODULE_1__/* ["default"] */ .Ay(url, [V5, V4], socketOptions);
}
/**
 * Starts feeding stdin once the protocol is known. Without an end-of-input signal (v4) only
 * a command that ends its input itself can be fed: anything else would wait forever.
 */
function startStdin(socket, options, where, fail) {
    const stdin = options.stdin;
    const canClose = socket.protocol === V5;
    if (!canClose && !options.stdinEndsItself) {
        fail(new Error(`exec in ${where} needs to close stdin, but the API server speaks only the ${socket.protocol || "pre-v5"} exec protocol (Kubernetes before 1.30), which cannot; upgrade the cluster or use a command that reads a known number of bytes.`));
        return Promise.resolve();
    }
    return feedStdin(socket, stdin, canClose).catch((error) => {
        // Once the exec has ended, stdin is destroyed on purpose: that is no failure.
        if (socket.readyState === ws__WEBPACK_IMPORTED_MODULE_1__/* ["default"] */ .Ay.OPEN)
            fail(new ExecStreamError(`exec in ${where}: stdin failed: ${(0,_errors_js__WEBPACK_IMPORTED_MODULE_2__/* .errorMessage */ .gJ)(error)}`));
    });
}
/** Copies stdin into channel-0 frames, keeping at most STDIN_IN_FLIGHT_LIMIT bytes in flight. */
async function feedStdin(socket, stdin, closeAtEnd) {
    const window = new SendWindow(socket);
    for await (const chunk of stdin) {
        const bytes = typeof chunk === "string" ? Buffer.from(chunk) : chunk;
        for (let offset = 0; offset < bytes.length; offset += STDIN_FRAME_BYTES) {
            if (socket.readyState !== ws__WEBPACK_IMPORTED_MODULE_1__/* ["default"] */ .Ay.OPEN)
                return;
            const piece = bytes.subarray(offset, offset + STDIN_FRAME_BYTES);
            await window.send(Buffer.concat([Buffer.from([STDIN]), piece]));
        }
    }
    if (closeAtEnd && socket.readyState === ws__WEBPACK_IMPORTED_MODULE_1__/* ["default"] */ .Ay.OPEN) {
        await window.send(Buffer.from([CLOSE, STDIN]));
    }
}
/**
 * Bytes handed to the socket whose send callback has not come back yet (ws calls it once the
 * frame is written to the connection). `send` waits while that is over the limit.
 */
class SendWindow {
    socket;
    inFlight = 0;
    wake;
    sendError;
    constructor(socket) {
        this.socket = socket;
        socket.once("close", () => this.wake?.());
    }
    async send(frame) {
        if (this.sendError)
            throw this.sendError;
        this.inFlight += frame.length;
        this.socket.send(frame, (error) => {
            this.inFlight -= frame.length;
            if (error)
                this.sendError ??= error;
            this.wake?.();
        });
        while (this.inFlight > STDIN_IN_FLIGHT_LIMIT &&
            !this.sendError &&
            this.socket.readyState === ws__WEBPACK_IMPORTED_MODULE_1__/* ["default"] */ .Ay.OPEN) {
            await new Promise((resolve) => (this.wake = resolve));
            this.wake = undefined;
        }
        if (this.sendError)
            throw this.sendError;
    }
}
/** Write callbacks not yet called; `settled` resolves once every one has been. */
class PendingWrites {
    count = 0;
    done;
    track(onError) {
        this.count++;
        return (error) => {
            this.count--;
            if (error)
                onError(error);
            if (this.count === 0)
                this.done?.();
        };
    }
    settled() {
        if (this.count === 0)
            return Promise.resolve();
        return new Promise((resolve) => (this.done = resolve));
    }
}
function exitCodeOf(status, where) {
    if (status.status === "Success")
        return 0;
    const details = status.details;
    const exitCause = details?.causes?.find((cause) => cause.reason === "ExitCode");
    if (status.reason === "NonZeroExitCode" && exitCause?.message)
        return Number(exitCause.message);
    throw new Error(`exec in ${where} failed: ${String(status.message ?? JSON.stringify(status))}`);
}
function statusMessage(body) {
    try {
        const parsed = JSON.parse(body);
        return parsed.message;
    }
    catch {
        return body.trim().slice(0, 200) || undefined;
    }
}


/***/ }),

/***/ 4331:
/***/ ((__unused_webpack___webpack_module__, __webpack_exports__, __webpack_require__) => {

/* harmony export */ __webpack_require__.d(__webpack_exports__, {
/* harmony export */   AY: () => (/* binding */ describePodProblem),
/* harmony export */   Ft: () => (/* binding */ isPodReady),
/* harmony export */   Ow: () => (/* binding */ podProblemReasons)
/* harmony export */ });
/* unused harmony export nodeProblem */
/** Ready: phase Running, not being deleted, condition Ready=True. */
function isPodReady(pod) {
    if (pod.metadata?.deletionTimestamp || pod.status?.phase !== "Running")
        return false;
    return (pod.status.conditions ?? []).some((condition) => condition.type === "Ready" && condition.status === "True");
}
/** A node whose Ready condition is not True, as `NotReady (reason)`; undefined when it is Ready. */
function nodeProblem(node) {
    if (!node)
        return undefined;
    const ready = (node.status?.conditions ?? []).find((condition) => condition.type === "Ready");
    if (ready?.status === "True")
        return undefined;
    const why = ready?.reason ?? ready?.message;
    return `node ${node.metadata?.name ?? "?"} is NotReady${why ? ` (${why})` : ""}`;
}
/**
 * `kube-etcd-2: ImagePullBackOff (Back-off pulling image "x")`: the pod's name and the reasons
 * it is not Ready, most telling first. `nodes` (by name) adds a NotReady node to the reasons.
 */
function describePodProblem(pod, nodes) {
    return `${pod.metadata?.name ?? "?"}: ${podProblemReasons(pod, nodes)}`;
}
/** The reasons alone, for a message that already names the pod. */
function podProblemReasons(pod, nodes) {
    const reasons = podProblems(pod);
    const nodeName = pod.spec?.nodeName;
    const node = nodeName ? nodeProblem(nodes?.get(nodeName)) : undefined;
    if (node)
        reasons.push(node);
    return reasons.join("; ") || "not Ready";
}
function podProblems(pod) {
    const status = pod.status;
    if (pod.metadata?.deletionTimestamp)
        return ["Terminating"];
    if (status?.phase === "Failed" || status?.phase === "Succeeded") {
        return [
            `${status.phase}${status.reason ? ` (${status.reason}${status.message ? `: ${status.message}` : ""})` : ""}`,
        ];
    }
    const scheduled = (status?.conditions ?? []).find((condition) => condition.type === "PodScheduled");
    if (scheduled?.status === "False") {
        return [
            `Pending, ${scheduled.reason ?? "not scheduled"}${scheduled.message ? ` (${scheduled.message})` : ""}`,
        ];
    }
    const containers = [
        ...(status?.initContainerStatuses ?? []),
        ...(status?.containerStatuses ?? []),
    ];
    const problems = containers.flatMap((container) => {
        if (container.ready)
            return [];
        const waiting = container.state?.waiting;
        const terminated = container.state?.terminated;
        const last = container.lastState?.terminated;
        const restarts = container.restartCount ? `, restarted ${container.restartCount} times` : "";
        if (waiting?.reason) {
            const lastExit = last ? `last exit code ${last.exitCode}${restarts}` : restarts.slice(2);
            const detail = [waiting.message, lastExit].filter(Boolean).join("; ");
            return [`container ${container.name} ${waiting.reason}${detail ? ` (${detail})` : ""}`];
        }
        if (terminated) {
            return [
                `container ${container.name} terminated (${terminated.reason ?? "exit code"} ${terminated.exitCode})`,
            ];
        }
        if (container.state?.running)
            return [`container ${container.name} running but not Ready${restarts}`];
        return [`container ${container.name} not started`];
    });
    if (problems.length > 0)
        return problems;
    return [status?.phase ? `${status.phase}, not Ready` : "no status yet"];
}


/***/ }),

/***/ 70216:
/***/ ((__unused_webpack___webpack_module__, __webpack_exports__, __webpack_require__) => {

/* harmony export */ __webpack_require__.d(__webpack_exports__, {
/* harmony export */   C: () => (/* binding */ describePodTarget)
/* harmony export */ });
/**
 * One reference to a container in a pod, used by every exec, stream and wait in core/kube,
 * so the namespace/pod/container triple is written once.
 */
/** `uc1/kube-etcd-0 (container kube-etcd)`, for messages. */
function describePodTarget(target) {
    return `${target.namespace}/${target.pod} (container ${target.container})`;
}


/***/ }),

/***/ 51839:
/***/ ((__unused_webpack___webpack_module__, __webpack_exports__, __webpack_require__) => {

/* harmony export */ __webpack_require__.d(__webpack_exports__, {
/* harmony export */   S: () => (/* binding */ createPodAndWait),
/* harmony export */   x: () => (/* binding */ deletePodAndWait)
/* harmony export */ });
/* harmony import */ var _kube_client_js__WEBPACK_IMPORTED_MODULE_0__ = __webpack_require__(42830);
/* harmony import */ var _errors_js__WEBPACK_IMPORTED_MODULE_1__ = __webpack_require__(51222);
/* harmony import */ var _errors_js__WEBPACK_IMPORTED_MODULE_4__ = __webpack_require__(43604);
/* harmony import */ var _pod_status_js__WEBPACK_IMPORTED_MODULE_5__ = __webpack_require__(4331);
/* harmony import */ var _scale_js__WEBPACK_IMPORTED_MODULE_2__ = __webpack_require__(36693);
/* harmony import */ var _wait_js__WEBPACK_IMPORTED_MODULE_3__ = __webpack_require__(13058);






/** How long the clean-up of a pod that failed to start may take. */
const CLEANUP_TIMEOUT_MS = 60_000;
/** Creates the pod and waits until it is Running and Ready; returns it as last read. */
async function createPodAndWait(config, manifest, options) {
    const ref = podRefOf(manifest);
    const core = config.makeApiClient(_kube_client_js__WEBPACK_IMPORTED_MODULE_0__.CoreV1Api);
    let created;
    try {
        created = await core.createNamespacedPod({ namespace: ref.namespace, body: manifest });
    }
    catch (error) {
        const code = error.code;
        if (code === 409) {
            throw new Error(`pod ${ref.namespace}/${ref.name} already exists (left by an earlier run?); delete it (kubectl delete pod -n ${ref.namespace} ${ref.name}) and run again.`, { cause: error });
        }
        throw new Error(`creating pod ${ref.namespace}/${ref.name}: ${(0,_errors_js__WEBPACK_IMPORTED_MODULE_4__/* .describeApiError */ .g)(error, `pod ${ref.namespace}/${ref.name}`)}`, {
            cause: error,
        });
    }
    const uid = created.metadata?.uid;
    try {
        return await (0,_wait_js__WEBPACK_IMPORTED_MODULE_3__/* .waitUntil */ .a)(`pod ${ref.namespace}/${ref.name} to become Ready`, () => readiness(core, ref, uid), options);
    }
    catch (error) {
        if (options.keepOnFailure)
            throw error;
        const cleanup = await deleteQuietly(config, ref);
        const message = `${(0,_errors_js__WEBPACK_IMPORTED_MODULE_1__/* .errorMessage */ .gJ)(error).replace(/\.$/, "")}${cleanup}`;
        throw error instanceof _errors_js__WEBPACK_IMPORTED_MODULE_1__/* .CancelledError */ .cc
            ? new _errors_js__WEBPACK_IMPORTED_MODULE_1__/* .CancelledError */ .cc(message, { cause: error })
            : new Error(message, { cause: error });
    }
}
async function readiness(core, ref, uid) {
    const pod = await readPod(core, ref);
    if (!pod || (uid && pod.metadata?.uid !== uid)) {
        throw new Error(`pod ${ref.namespace}/${ref.name} was deleted by someone else while it started.`);
    }
    if ((0,_pod_status_js__WEBPACK_IMPORTED_MODULE_5__/* .isPodReady */ .Ft)(pod))
        return { done: true, value: pod };
    const phase = pod.status?.phase;
    if (phase === "Failed" || phase === "Succeeded") {
        // It will never become Ready: no point waiting for the deadline.
        throw new Error(`pod ${ref.namespace}/${ref.name} ended before it became Ready: ${(0,_pod_status_js__WEBPACK_IMPORTED_MODULE_5__/* .podProblemReasons */ .Ow)(pod)}.`);
    }
    const nodes = await (0,_scale_js__WEBPACK_IMPORTED_MODULE_2__/* .nodesOf */ .Nh)(core, [pod]);
    return { done: false, waitingFor: (0,_pod_status_js__WEBPACK_IMPORTED_MODULE_5__/* .podProblemReasons */ .Ow)(pod, nodes) };
}
/**
 * Deletes the pod and waits until it is gone (a pod of the same name made again by a
 * controller, with another uid, counts as gone). A pod that does not exist is fine.
 */
async function deletePodAndWait(config, ref, options) {
    const core = config.makeApiClient(_kube_client_js__WEBPACK_IMPORTED_MODULE_0__.CoreV1Api);
    let deleted;
    try {
        deleted = await core.deleteNamespacedPod({
            ...ref,
            ...(options.gracePeriodSeconds === undefined
                ? {}
                : { gracePeriodSeconds: options.gracePeriodSeconds }),
        });
    }
    catch (error) {
        if (error.code === 404)
            return;
        throw new Error(`deleting pod ${ref.namespace}/${ref.name}: ${(0,_errors_js__WEBPACK_IMPORTED_MODULE_4__/* .describeApiError */ .g)(error, `pod ${ref.namespace}/${ref.name}`)}`, {
            cause: error,
        });
    }
    const uid = deleted.metadata?.uid;
    await (0,_wait_js__WEBPACK_IMPORTED_MODULE_3__/* .waitUntil */ .a)(`pod ${ref.namespace}/${ref.name} to be gone after its deletion`, async () => {
        const pod = await readPod(core, ref);
        if (!pod || (uid && pod.metadata?.uid !== uid))
            return { done: true, value: undefined };
        const nodes = await (0,_scale_js__WEBPACK_IMPORTED_MODULE_2__/* .nodesOf */ .Nh)(core, [pod]);
        return { done: false, waitingFor: (0,_pod_status_js__WEBPACK_IMPORTED_MODULE_5__/* .podProblemReasons */ .Ow)(pod, nodes) };
    }, options);
}
/** The pod, or undefined when it does not exist. */
async function readPod(core, ref) {
    try {
        return await core.readNamespacedPod(ref);
    }
    catch (error) {
        if (error.code === 404)
            return undefined;
        throw new Error((0,_errors_js__WEBPACK_IMPORTED_MODULE_4__/* .describeApiError */ .g)(error, `pod ${ref.namespace}/${ref.name}`), { cause: error });
    }
}
async function deleteQuietly(config, ref) {
    try {
        await deletePodAndWait(config, ref, { timeoutMs: CLEANUP_TIMEOUT_MS, gracePeriodSeconds: 0 });
        return "; the pod was deleted.";
    }
    catch (error) {
        return `; deleting the pod failed too (${(0,_errors_js__WEBPACK_IMPORTED_MODULE_1__/* .errorMessage */ .gJ)(error)}): delete it with kubectl delete pod -n ${ref.namespace} ${ref.name}.`;
    }
}
function podRefOf(manifest) {
    const name = manifest.metadata?.name;
    const namespace = manifest.metadata?.namespace;
    if (!name || !namespace) {
        throw new _errors_js__WEBPACK_IMPORTED_MODULE_1__/* .ConfigurationError */ .j1("pod manifest", "expected metadata.name and metadata.namespace (a utility pod needs a fixed name to be found and removed again)");
    }
    if (!manifest.spec?.containers?.length) {
        throw new _errors_js__WEBPACK_IMPORTED_MODULE_1__/* .ConfigurationError */ .j1("pod manifest", `pod ${namespace}/${name} has no containers in spec.containers`);
    }
    return { namespace, name };
}


/***/ }),

/***/ 36693:
/***/ ((__unused_webpack___webpack_module__, __webpack_exports__, __webpack_require__) => {

/* harmony export */ __webpack_require__.d(__webpack_exports__, {
/* harmony export */   HV: () => (/* binding */ describeWorkload),
/* harmony export */   Nh: () => (/* binding */ nodesOf),
/* harmony export */   QX: () => (/* binding */ scaleWorkload),
/* harmony export */   VZ: () => (/* binding */ isWorkloadReady)
/* harmony export */ });
/* unused harmony exports ScaleNotSettledError, listPods */
/* harmony import */ var _kube_client_js__WEBPACK_IMPORTED_MODULE_0__ = __webpack_require__(42830);
/* harmony import */ var _errors_js__WEBPACK_IMPORTED_MODULE_1__ = __webpack_require__(51222);
/* harmony import */ var _errors_js__WEBPACK_IMPORTED_MODULE_3__ = __webpack_require__(43604);
/* harmony import */ var _pod_status_js__WEBPACK_IMPORTED_MODULE_4__ = __webpack_require__(4331);
/* harmony import */ var _wait_js__WEBPACK_IMPORTED_MODULE_2__ = __webpack_require__(13058);





/** The workload did not settle in time; it was scaled, and this says from what. */
class ScaleNotSettledError extends Error {
    previousReplicas;
    name = "ScaleNotSettledError";
    constructor(message, previousReplicas, options) {
        super(message, options);
        this.previousReplicas = previousReplicas;
    }
}
/** `statefulset uc1/kube-etcd`, as kubectl names it. */
function describeWorkload(workload) {
    return `${workload.kind.toLowerCase()} ${workload.namespace}/${workload.name}`;
}
/** A resourceVersion conflict (someone else wrote in between) is retried this often. */
const CONFLICT_RETRIES = 3;
/**
 * Sets the workload's replicas and waits until its pods match (see the file comment).
 * Rejects with one sentence naming the pods still in the way and their reasons.
 */
async function scaleWorkload(config, workload, replicas, options) {
    if (!Number.isInteger(replicas) || replicas < 0) {
        throw new _errors_js__WEBPACK_IMPORTED_MODULE_1__/* .ConfigurationError */ .j1("replicas", `expected a whole number, 0 or more, for ${describeWorkload(workload)}; got ${String(replicas)}`);
    }
    const { previousReplicas, selector } = await setReplicas(config, workload, replicas);
    try {
        await waitForPods(config, workload, selector, replicas, options);
    }
    catch (error) {
        if (!(error instanceof _wait_js__WEBPACK_IMPORTED_MODULE_2__/* .WaitTimeoutError */ .D))
            throw error;
        throw new ScaleNotSettledError(`${error.message}; it was scaled from ${previousReplicas} to ${replicas} replicas.`, previousReplicas, { cause: error });
    }
    return { previousReplicas };
}
/** The workload's scale subresource; a refusal is one sentence naming the workload. */
async function readScale(config, workload) {
    const apps = config.makeApiClient(_kube_client_js__WEBPACK_IMPORTED_MODULE_0__/* .AppsV1Api */ .e);
    const ref = { name: workload.name, namespace: workload.namespace };
    try {
        return workload.kind === "StatefulSet"
            ? await apps.readNamespacedStatefulSetScale(ref)
            : await apps.readNamespacedDeploymentScale(ref);
    }
    catch (error) {
        throw new Error((0,_errors_js__WEBPACK_IMPORTED_MODULE_3__/* .describeApiError */ .g)(error, `the scale of ${describeWorkload(workload)}`), {
            cause: error,
        });
    }
}
async function setReplicas(config, workload, replicas) {
    const apps = config.makeApiClient(_kube_client_js__WEBPACK_IMPORTED_MODULE_0__/* .AppsV1Api */ .e);
    const what = `the scale of ${describeWorkload(workload)}`;
    const ref = { name: workload.name, namespace: workload.namespace };
    for (let attempt = 1;; attempt++) {
        const scale = await readScale(config, workload);
        const previousReplicas = scale.spec?.replicas ?? 0;
        const selector = scale.status?.selector ?? "";
        if (!selector) {
            throw new Error(`${describeWorkload(workload)} reports no pod selector in its scale subresource, so its pods cannot be found.`);
        }
        if (previousReplicas === replicas)
            return { previousReplicas, selector };
        // The read resourceVersion goes back with it: a concurrent change is a 409, not lost.
        const body = { ...scale, spec: { ...scale.spec, replicas } };
        try {
            if (workload.kind === "StatefulSet")
                await apps.replaceNamespacedStatefulSetScale({ ...ref, body });
            else
                await apps.replaceNamespacedDeploymentScale({ ...ref, body });
            return { previousReplicas, selector };
        }
        catch (error) {
            if (error.code === 409 && attempt < CONFLICT_RETRIES)
                continue;
            throw new Error(`scaling ${describeWorkload(workload)} to ${replicas} failed: ${(0,_errors_js__WEBPACK_IMPORTED_MODULE_3__/* .describeApiError */ .g)(error, what)}`, { cause: error });
        }
    }
}
/** A pod's identity and restarts: the same key in two looks means it stayed up between. */
function readinessKey(pod) {
    const restarts = (pod.status?.containerStatuses ?? []).reduce((sum, status) => sum + (status.restartCount ?? 0), 0);
    return `${pod.metadata?.uid}:${restarts}`;
}
async function waitForPods(config, workload, selector, replicas, options) {
    const core = config.makeApiClient(_kube_client_js__WEBPACK_IMPORTED_MODULE_0__.CoreV1Api);
    const name = describeWorkload(workload);
    const createdOnly = options.until === "created";
    const goal = replicas === 0
        ? `the pods of ${name} to be gone after scaling to 0`
        : createdOnly
            ? `${name} to have ${replicas} pods (Ready or not)`
            : `${name} to have ${replicas} Ready pods`;
    // Ready must hold in two looks in a row, by the same pods with no restart between: a
    // container without a readiness probe is Ready for the moment before it crashes.
    let readyBefore;
    await (0,_wait_js__WEBPACK_IMPORTED_MODULE_2__/* .waitUntil */ .a)(goal, async () => {
        const pods = await listPods(core, workload.namespace, selector, name);
        const live = pods.filter((pod) => !pod.metadata?.deletionTimestamp);
        const ready = live.filter(_pod_status_js__WEBPACK_IMPORTED_MODULE_4__/* .isPodReady */ .Ft);
        if (replicas === 0 && pods.length === 0)
            return { done: true, value: undefined };
        if (createdOnly && replicas > 0 && live.length === replicas && pods.length === replicas)
            return { done: true, value: undefined };
        if (replicas > 0 && ready.length === replicas && pods.length === replicas) {
            const readyNow = ready.map(readinessKey).sort().join(",");
            if (readyNow === readyBefore)
                return { done: true, value: undefined };
            readyBefore = readyNow;
            return { done: false, waitingFor: `${replicas} of ${replicas} Ready, looking again` };
        }
        readyBefore = undefined;
        const inTheWay = pods.filter((pod) => replicas === 0 || !(0,_pod_status_js__WEBPACK_IMPORTED_MODULE_4__/* .isPodReady */ .Ft)(pod));
        const nodes = await nodesOf(core, inTheWay);
        const counts = replicas === 0
            ? `${pods.length} left`
            : `${ready.length} of ${replicas} Ready${live.length < replicas ? `, ${replicas - live.length} not created yet` : ""}`;
        const problems = inTheWay.map((pod) => (0,_pod_status_js__WEBPACK_IMPORTED_MODULE_4__/* .describePodProblem */ .AY)(pod, nodes)).join("; ");
        return { done: false, waitingFor: problems ? `${counts}: ${problems}` : counts };
    }, options);
}
/**
 * Whether the workload has all its replicas and every one of its pods is Ready now: what a
 * restore records before it stops something, so that putting it back waits for Ready only
 * when there was Ready to come back to.
 */
async function isWorkloadReady(config, workload) {
    const scale = await readScale(config, workload);
    const replicas = scale.spec?.replicas ?? 0;
    const selector = scale.status?.selector ?? "";
    if (!selector)
        return false;
    const core = config.makeApiClient(_kube_client_js__WEBPACK_IMPORTED_MODULE_0__.CoreV1Api);
    const pods = (await listPods(core, workload.namespace, selector, describeWorkload(workload))).filter((pod) => !pod.metadata?.deletionTimestamp);
    return pods.length === replicas && pods.every(_pod_status_js__WEBPACK_IMPORTED_MODULE_4__/* .isPodReady */ .Ft);
}
async function listPods(core, namespace, labelSelector, owner) {
    try {
        return (await core.listNamespacedPod({ namespace, labelSelector })).items;
    }
    catch (error) {
        throw new Error((0,_errors_js__WEBPACK_IMPORTED_MODULE_3__/* .describeApiError */ .g)(error, `the pods of ${owner}`), { cause: error });
    }
}
/** The nodes the given pods run on, by name; empty when nodes cannot be read (RBAC). */
async function nodesOf(core, pods) {
    const names = new Set(pods.map((pod) => pod.spec?.nodeName).filter(Boolean));
    const nodes = new Map();
    await Promise.all([...names].map(async (name) => {
        try {
            nodes.set(name, await core.readNode({ name }));
        }
        catch {
            // Reading nodes only sharpens the message; the pod's own reasons still stand.
        }
    }));
    return nodes;
}


/***/ }),

/***/ 13058:
/***/ ((__unused_webpack___webpack_module__, __webpack_exports__, __webpack_require__) => {

/* harmony export */ __webpack_require__.d(__webpack_exports__, {
/* harmony export */   D: () => (/* binding */ WaitTimeoutError),
/* harmony export */   a: () => (/* binding */ waitUntil)
/* harmony export */ });
/* harmony import */ var _errors_js__WEBPACK_IMPORTED_MODULE_0__ = __webpack_require__(51222);
/**
 * Waiting for the cluster to reach a state, with a deadline and a cancel: the one loop every
 * write operation of core/kube uses, so each error says what was awaited, for how long, and
 * what stood in the way the last time it looked.
 */

const POLL_INTERVAL_MS = 1000;
/**
 * Calls `check` until it says done (errors from `check` end the wait at once). `goal` reads
 * after "waiting for": `pod uc1/etcd-utility-0 to become Ready`. On timeout the error is
 * `gave up waiting for <goal> after <n> s: <the last waitingFor>`.
 */
async function waitUntil(goal, check, options) {
    const deadline = Date.now() + options.timeoutMs;
    for (;;) {
        if (options.signal?.aborted)
            throw new _errors_js__WEBPACK_IMPORTED_MODULE_0__/* .CancelledError */ .cc(`cancelled while waiting for ${goal}.`);
        const progress = await check();
        if (progress.done)
            return progress.value;
        if (Date.now() >= deadline) {
            throw new WaitTimeoutError(`gave up waiting for ${goal} after ${Math.round(options.timeoutMs / 1000)} s: ${progress.waitingFor}`, progress.waitingFor);
        }
        await pause(Math.min(POLL_INTERVAL_MS, Math.max(0, deadline - Date.now())), options.signal);
    }
}
/** The deadline passed; `waitingFor` is what still stood in the way. */
class WaitTimeoutError extends Error {
    waitingFor;
    name = "WaitTimeoutError";
    constructor(message, waitingFor) {
        super(message);
        this.waitingFor = waitingFor;
    }
}
/** A sleep that ends early (without error) when the signal aborts; the loop then throws. */
function pause(ms, signal) {
    return new Promise((resolve) => {
        const done = () => {
            clearTimeout(timer);
            signal?.removeEventListener("abort", done);
            resolve();
        };
        const timer = setTimeout(done, ms);
        signal?.addEventListener("abort", done, { once: true });
    });
}


/***/ }),

/***/ 35470:
/***/ ((__unused_webpack___webpack_module__, __webpack_exports__, __webpack_require__) => {

/* harmony export */ __webpack_require__.d(__webpack_exports__, {
/* harmony export */   k: () => (/* binding */ consoleLogger)
/* harmony export */ });
/* unused harmony export recordingLogger */
/** A logger that prints to stderr (so stdout stays clean for data and JSON output). */
function consoleLogger(options = {}) {
    const write = (prefix, message) => process.stderr.write(`${prefix}${message}\n`);
    return {
        debug: (message) => {
            if (options.verbose)
                write("debug: ", message);
        },
        info: (message) => write("", message),
        warning: (message) => write("warning: ", message),
        error: (message) => write("error: ", message),
        group: async (title, body) => {
            write("== ", title);
            return body();
        },
    };
}
/** A logger that keeps every line, for tests that assert on what an operator would read. */
function recordingLogger() {
    const lines = [];
    return {
        lines,
        debug: (message) => lines.push(`debug: ${message}`),
        info: (message) => lines.push(message),
        warning: (message) => lines.push(`warning: ${message}`),
        error: (message) => lines.push(`error: ${message}`),
        group: async (title, body) => {
            lines.push(`== ${title}`);
            return body();
        },
    };
}


/***/ }),

/***/ 79148:
/***/ ((__unused_webpack___webpack_module__, __webpack_exports__, __webpack_require__) => {

/* harmony export */ __webpack_require__.d(__webpack_exports__, {
/* harmony export */   Y_: () => (/* binding */ secretLookalike),
/* harmony export */   cl: () => (/* binding */ quoteValue),
/* harmony export */   fp: () => (/* binding */ redactSecrets),
/* harmony export */   n0: () => (/* binding */ looksSecret)
/* harmony export */ });
/**
 * The one way an input's value is quoted in a message. A value that looks like a secret (an
 * age identity, a private key block, a kubeconfig credential, or the base64 of one of them)
 * is never repeated: it is described instead, so an operator learns what they pasted where
 * without the job log keeping a copy of it. Inputs end up in the wrong field all the time
 * (the identity instead of its recipient, the whole kubeconfig instead of its path).
 */
// Ordered: the first match names the value. Case-insensitive where a lower-cased copy (age
// identities are upper case; a lower-cased one is still the same key) must be caught too.
const SECRET_SHAPES = [
    {
        looksLike: "an age identity (a private key)",
        // The bech32 data part, not just the prefix: "AGE-SECRET-KEY-1..." in advice is no key.
        test: (text) => /age-secret-key-1[02-9ac-hj-np-z]{20,}/i.test(text),
    },
    {
        looksLike: "a private key block",
        test: (text) => 
        // A header with key material after it: the bare header, quoted in advice, is no key.
        /-----BEGIN [A-Z0-9 ]*PRIVATE KEY-----\s*(Proc-Type:[^\n]*\s*)?[A-Za-z0-9+/=]{16,}/i.test(text) || /openssh-key-v1/.test(text),
    },
    {
        looksLike: "a kubeconfig with credentials",
        test: (text) => /^[\s-]*(token|client-key-data|client-key|password|id-token|refresh-token|client-secret)\s*:\s*\S/im.test(text) ||
            /"(token|client-key-data|password|id-token|refresh-token|client-secret)"\s*:\s*"/i.test(text),
    },
    {
        looksLike: "a bearer token (JWT)",
        test: (text) => /eyJ[A-Za-z0-9_-]{8,}\.eyJ[A-Za-z0-9_-]{8,}\./.test(text),
    },
];
// Long enough to hide a key; short base64-looking words (a bucket name) are not decoded.
const BASE64_RUN = /[A-Za-z0-9+/_-]{40,}={0,2}/g;
/**
 * What a secret-looking value looks like ("an age identity (a private key)"), or undefined
 * when it looks like none. Base64 runs inside the text are decoded and checked as well.
 */
function secretLookalike(text) {
    const direct = SECRET_SHAPES.find((shape) => shape.test(text));
    if (direct)
        return direct.looksLike;
    for (const run of text.match(BASE64_RUN) ?? []) {
        const decoded = Buffer.from(run.replace(/-/g, "+").replace(/_/g, "/"), "base64").toString("latin1");
        const inner = SECRET_SHAPES.find((shape) => shape.test(decoded));
        if (inner)
            return `the base64 of ${inner.looksLike}`;
    }
    return undefined;
}
function looksSecret(text) {
    return secretLookalike(text) !== undefined;
}
const MAX_QUOTED_CHARS = 120;
/**
 * An input's value for a message: `"the value"` (JSON-quoted, so control characters show,
 * and cut short when long), or, when it looks like a secret, a description that never
 * contains it: `(a value that looks like an age identity (a private key), not shown)`.
 */
function quoteValue(value) {
    const looksLike = secretLookalike(value);
    if (looksLike)
        return `(a value that looks like ${looksLike}, not shown)`;
    const shown = value.length > MAX_QUOTED_CHARS
        ? `${value.slice(0, MAX_QUOTED_CHARS)}... (${value.length} characters)`
        : value;
    return JSON.stringify(shown);
}
/**
 * The last guard before a message leaves a front door. Messages are built with quoteValue,
 * so this only fires on a value that slipped past it (a library's message quoting its
 * input): a word that is a secret on its own is replaced by what it looks like, and a line
 * that still looks like it holds one (`token: ...`, a PEM header) is replaced whole.
 */
function redactSecrets(message) {
    return message
        .split("\n")
        .map((line) => {
        if (!looksSecret(line))
            return line;
        const words = line
            .split(/(\s+)/)
            .map((word) => {
            const looksLike = secretLookalike(word);
            return looksLike ? `[${looksLike}, not shown]` : word;
        })
            .join("");
        return looksSecret(words.replace(/\[[^\]]*, not shown\]/g, ""))
            ? "[a line that looks like it holds a secret, not shown]"
            : words;
    })
        .join("\n");
}


/***/ }),

/***/ 15470:
/***/ ((__unused_webpack___webpack_module__, __webpack_exports__, __webpack_require__) => {

/* harmony export */ __webpack_require__.d(__webpack_exports__, {
/* harmony export */   aD: () => (/* binding */ runContextFromEnvironment)
/* harmony export */ });
/* unused harmony exports localRunContext, runInfoFromEnvironment */
/* harmony import */ var node_os__WEBPACK_IMPORTED_MODULE_0__ = __webpack_require__(48161);
/**
 * The facts of the place a run happens in, read from the environment once by the front
 * door (an action's entry, the CLI) and handed to what needs them, as actions/cache hands
 * its state provider around. This is the only module of src/core that reads the process
 * environment; everything else takes a RunContext, so a test can hand in another.
 */

const DEFAULT_API_URL = "https://api.github.com";
/** The context of this process, from its environment (`process.env` unless given). */
function runContextFromEnvironment(env = process.env) {
    const maxRetention = Number.parseInt(env.GITHUB_RETENTION_DAYS ?? "", 10);
    const run = runInfoFromEnvironment(env);
    const awsRegion = env.AWS_REGION || env.AWS_DEFAULT_REGION;
    return {
        tempDir: env.RUNNER_TEMP || (0,node_os__WEBPACK_IMPORTED_MODULE_0__.tmpdir)(),
        ...(run ? { run } : {}),
        ...(env.ACTIONS_RUNTIME_TOKEN && env.ACTIONS_RESULTS_URL
            ? {
                artifactRuntime: {
                    runtimeToken: env.ACTIONS_RUNTIME_TOKEN,
                    resultsUrl: env.ACTIONS_RESULTS_URL,
                },
            }
            : {}),
        githubApiUrl: (env.GITHUB_API_URL || DEFAULT_API_URL).replace(/\/+$/, ""),
        ...(Number.isNaN(maxRetention) ? {} : { maxArtifactRetentionDays: maxRetention }),
        ...(awsRegion ? { awsRegion } : {}),
    };
}
/** A context with no GitHub and no AWS facts: a run on a workstation, or a test. */
function localRunContext(tempDir = tmpdir()) {
    return { tempDir, githubApiUrl: DEFAULT_API_URL };
}
/** The run facts, or undefined outside GitHub Actions. */
function runInfoFromEnvironment(env) {
    if (env.GITHUB_ACTIONS !== "true")
        return undefined;
    const server = (env.GITHUB_SERVER_URL ?? "https://github.com").replace(/\/+$/, "");
    const repository = env.GITHUB_REPOSITORY ?? "";
    const runId = env.GITHUB_RUN_ID ?? "";
    const attempt = env.GITHUB_RUN_ATTEMPT;
    const url = `${server}/${repository}/actions/runs/${runId}${attempt ? `/attempts/${attempt}` : ""}`;
    return {
        url,
        repository,
        workflow: env.GITHUB_WORKFLOW ?? "",
        runId,
        ...(attempt ? { runAttempt: attempt } : {}),
        actor: env.GITHUB_ACTOR ?? "",
        commit: env.GITHUB_SHA ?? "",
        ...(env.GITHUB_REF ? { ref: env.GITHUB_REF } : {}),
    };
}


/***/ }),

/***/ 67386:
/***/ ((__unused_webpack___webpack_module__, __webpack_exports__, __webpack_require__) => {

/* harmony export */ __webpack_require__.d(__webpack_exports__, {
/* harmony export */   F9: () => (/* binding */ HttpStatusError),
/* harmony export */   LH: () => (/* binding */ withRetries),
/* harmony export */   _$: () => (/* binding */ isBusyAnswer),
/* harmony export */   c2: () => (/* binding */ statusOf),
/* harmony export */   dF: () => (/* binding */ backupPlaceOf),
/* harmony export */   ll: () => (/* binding */ newestFirst),
/* harmony export */   qu: () => (/* binding */ networkErrorMessage),
/* harmony export */   tp: () => (/* binding */ readListedBackups),
/* harmony export */   vu: () => (/* binding */ deleteManifestFirst)
/* harmony export */ });
/* unused harmony exports compareNewestFirst, matchesFilter, mapInBatches */
/* harmony import */ var node_timers_promises__WEBPACK_IMPORTED_MODULE_0__ = __webpack_require__(58500);
/* harmony import */ var _layout_js__WEBPACK_IMPORTED_MODULE_1__ = __webpack_require__(50721);
/**
 * What every backend does the same way (as gardener's snapstore keeps its utils.go): the
 * order listings come in, the order a backup's objects go in a delete, reading manifests a
 * few at a time, trying a remote call again, and where a backup sits in a listing.
 */


/** Newest first; backups of the same second by cluster, then kind, so the order is stable. */
function compareNewestFirst(a, b) {
    return (b.timestamp.localeCompare(a.timestamp) ||
        a.cluster.localeCompare(b.cluster) ||
        a.kind.localeCompare(b.kind));
}
/** The listed backups, newest first (the order `SnapshotStore.list` promises). */
function newestFirst(backups) {
    return backups.sort((a, b) => compareNewestFirst(a.location, b.location));
}
function matchesFilter(location, filter) {
    return ((!filter.cluster || location.cluster === filter.cluster) &&
        (!filter.kind || location.kind === filter.kind));
}
/**
 * The complete backups among the manifests a backend found by name: those `filter` asks
 * for, each manifest read by `readManifest` (a few at a time; undefined when it vanished
 * since the listing, e.g. retention running elsewhere), newest first.
 */
async function readListedBackups(manifests, filter, readsInParallel, readManifest) {
    const wanted = manifests.filter((found) => matchesFilter(found.location, filter));
    const read = await mapInBatches(wanted, readsInParallel, async (found) => {
        const manifest = await readManifest(found);
        return manifest ? { location: found.location, manifest } : undefined;
    });
    return newestFirst(read.filter((backup) => backup !== undefined));
}
/**
 * The place of a backup named by an object's path or an artifact's name, or undefined when
 * the name is not one of ours (listing skips what it does not recognise).
 */
function backupPlaceOf(cluster, kind, timestamp) {
    if (!cluster || !kind || !timestamp || !(0,_layout_js__WEBPACK_IMPORTED_MODULE_1__/* .isClusterName */ .Qq)(cluster) || !(0,_layout_js__WEBPACK_IMPORTED_MODULE_1__/* .isTimestamp */ .Fx)(timestamp)) {
        return undefined;
    }
    try {
        return { cluster, kind: (0,_layout_js__WEBPACK_IMPORTED_MODULE_1__/* .parseBackupKind */ .uS)(kind), timestamp };
    }
    catch {
        return undefined;
    }
}
/**
 * Deletes a backup's objects one by one, its manifest first: a delete interrupted half-way
 * leaves a backup that is no longer listed, never a listed backup without its payload. The
 * first failure stops the delete and is thrown as `describeFailure` words it.
 */
async function deleteManifestFirst(names, isManifest, deleteOne, describeFailure) {
    const ordered = [...names].sort((a, b) => Number(isManifest(b)) - Number(isManifest(a)));
    for (const name of ordered) {
        try {
            await deleteOne(name);
        }
        catch (error) {
            throw describeFailure(name, error);
        }
    }
}
/** `work` over every item, at most `batchSize` at once, results in the items' order. */
async function mapInBatches(items, batchSize, work) {
    const results = [];
    for (let start = 0; start < items.length; start += batchSize) {
        results.push(...(await Promise.all(items.slice(start, start + batchSize).map(work))));
    }
    return results;
}
/** Runs `attempt` until it succeeds, the failure is not retryable, or the attempts are spent. */
async function withRetries(policy, attempt) {
    for (let attemptNumber = 1;; attemptNumber++) {
        try {
            return await attempt(attemptNumber);
        }
        catch (error) {
            const retryable = policy.retryable?.(error) ?? true;
            if (!retryable || attemptNumber >= policy.attempts)
                throw error;
            await (0,node_timers_promises__WEBPACK_IMPORTED_MODULE_0__.setTimeout)(policy.delayMs(attemptNumber));
        }
    }
}
/** An HTTP answer outside 2xx, carrying its status so a retry policy can judge it. */
class HttpStatusError extends Error {
    status;
    name = "HttpStatusError";
    constructor(message, status) {
        super(message);
        this.status = status;
    }
}
/** The HTTP status of a failed answer, or undefined for a network failure. */
function statusOf(error) {
    return error instanceof HttpStatusError ? error.status : undefined;
}
/** A rate limit or a server error: worth another attempt, unlike a 4xx or a broken network. */
function isBusyAnswer(error) {
    const status = statusOf(error);
    return status !== undefined && (status === 429 || status >= 500);
}
/** A network error's message with its code (ECONNREFUSED...) when the message lacks it. */
function networkErrorMessage(error) {
    const code = error?.code;
    const message = error instanceof Error ? error.message : String(error);
    return typeof code === "string" && !message.includes(code) ? `${message} (${code})` : message;
}


/***/ }),

/***/ 25031:
/***/ ((__unused_webpack___webpack_module__, __webpack_exports__, __webpack_require__) => {

/* harmony export */ __webpack_require__.d(__webpack_exports__, {
/* harmony export */   C2: () => (/* binding */ createBatcher),
/* harmony export */   Fv: () => (/* binding */ BATCH_BYTES),
/* harmony export */   e$: () => (/* binding */ BatchBuilder)
/* harmony export */ });
/* harmony import */ var node_stream__WEBPACK_IMPORTED_MODULE_0__ = __webpack_require__(57075);
/**
 * Gathers a stream's small pieces (32 KiB exec frames, 64 KiB file reads) into 128 KiB
 * batches before the pipeline's stages. Each piece costs every stage a call and a stream
 * hop whatever its size (hashing, zstd's round trip to the thread pool, age, the write), so
 * on small pieces the per-piece overhead cost more CPU than the work; one copy into a batch
 * is far cheaper (memcpy runs at GB/s). The copy also lets the source's buffers die young:
 * an exec frame is a slice of the socket's read buffer, which stayed alive (and was
 * promoted to V8's old generation, which only a full collection frees) for as long as the
 * frame waited in a stream buffer.
 */

/**
 * The batch size: large enough to amortise each stage's per-call cost (4x fewer calls than
 * 32 KiB exec frames). Larger batches kept more resident for no measured saving: 1 MiB
 * batches 138-145 MiB at the peak of a 300 MB store and restore, 256 KiB 138 MiB for 1 GB
 * uncompressed (test/storage/large.test.ts), 128 KiB 73-85 MiB.
 */
const BATCH_BYTES = 128 * 1024;
/** Copies pieces into batches of a fixed size. */
class BatchBuilder {
    batch;
    filled = 0;
    batchBytes;
    constructor(batchBytes = BATCH_BYTES) {
        this.batchBytes = batchBytes;
    }
    /** Copies `data` in and returns the batches it completed, in order (often none). */
    add(data) {
        // A piece as large as a batch goes on as it is: copying it would buy nothing.
        if (this.filled === 0 && data.length >= this.batchBytes)
            return [data];
        const full = [];
        let offset = 0;
        while (offset < data.length) {
            // Not from Node's shared pool: each batch is its own memory, freed as a whole.
            this.batch ??= Buffer.allocUnsafeSlow(this.batchBytes);
            const copied = data.copy(this.batch, this.filled, offset);
            this.filled += copied;
            offset += copied;
            if (this.filled === this.batchBytes) {
                full.push(this.batch);
                this.batch = undefined;
                this.filled = 0;
            }
        }
        return full;
    }
    /** The partly filled batch (the stream's end), or undefined when there is none. */
    takeRest() {
        const rest = this.batch && this.filled > 0 ? this.batch.subarray(0, this.filled) : undefined;
        this.batch = undefined;
        this.filled = 0;
        return rest;
    }
}
/** A Transform that passes the same bytes on in batches of `batchBytes` (the last may be shorter). */
function createBatcher(batchBytes = BATCH_BYTES) {
    const builder = new BatchBuilder(batchBytes);
    return new node_stream__WEBPACK_IMPORTED_MODULE_0__.Transform({
        // No batch waits here beyond the one in hand: the fewer batches in flight, the
        // younger they die (memory-pacer.ts).
        readableHighWaterMark: 0,
        writableHighWaterMark: 0,
        transform(data, _encoding, done) {
            for (const batch of builder.add(data))
                this.push(batch);
            done();
        },
        flush(done) {
            const rest = builder.takeRest();
            if (rest)
                this.push(rest);
            done();
        },
    });
}


/***/ }),

/***/ 91597:
/***/ ((__unused_webpack___webpack_module__, __webpack_exports__, __webpack_require__) => {

/* harmony export */ __webpack_require__.d(__webpack_exports__, {
/* harmony export */   _7: () => (/* binding */ COMPRESSIONS),
/* harmony export */   mp: () => (/* binding */ createDecompressStream),
/* harmony export */   rn: () => (/* binding */ createCompressStream),
/* harmony export */   uy: () => (/* binding */ compressionSuffix)
/* harmony export */ });
/* unused harmony exports ZSTD_LEVEL, parseCompression */
/* harmony import */ var _errors_js__WEBPACK_IMPORTED_MODULE_0__ = __webpack_require__(51222);
/* harmony import */ var _redact_js__WEBPACK_IMPORTED_MODULE_1__ = __webpack_require__(79148);
/* harmony import */ var node_zlib__WEBPACK_IMPORTED_MODULE_2__ = __webpack_require__(38522);
/* harmony import */ var node_stream__WEBPACK_IMPORTED_MODULE_3__ = __webpack_require__(57075);
/**
 * Compression of the payload before encryption (ciphertext does not compress). zstd is the
 * default: at a low level Node's zlib zstd runs at several hundred MB/s in the thread pool,
 * faster than etcd can send a snapshot (~150 MB/s), so it never slows a backup down; gzip
 * (~20 MB/s at level 1) is there only for stores that need it.
 */




const COMPRESSIONS = ["zstd", "gzip", "none"];
/**
 * Level 3 (zstd's own default): on a 530 MB snapshot of the sandbox's etcd, level 1 gave
 * 1.335:1 in 0.97-1.19 CPU s and level 3 1.487:1 in 1.05-1.20 CPU s, so level 3 stores 10%
 * fewer bytes for no measurable CPU (README); `npm run bench storage` prints the figures.
 */
const ZSTD_LEVEL = 3;
const GZIP_LEVEL = 1;
/**
 * Output in 128 KiB pieces, the pipeline's batch size (batching.ts): fewer thread-pool
 * round trips and stream hops than 64 KiB; 1 MiB kept more dead buffers alive for no
 * measurable saving.
 */
const CHUNK_SIZE = 128 * 1024;
function parseCompression(text) {
    const value = text.trim().toLowerCase();
    if (COMPRESSIONS.includes(value))
        return value;
    throw new ConfigurationError("compression", `the compression ${quoteValue(text)} is not supported; expected one of ${COMPRESSIONS.join(", ")}.`);
}
/** The file name suffix of a compressed payload, e.g. ".zst". */
function compressionSuffix(compression) {
    return { zstd: ".zst", gzip: ".gz", none: "" }[compression];
}
function createCompressStream(compression) {
    switch (compression) {
        case "zstd":
            return (0,node_zlib__WEBPACK_IMPORTED_MODULE_2__.createZstdCompress)({
                chunkSize: CHUNK_SIZE,
                params: {
                    [node_zlib__WEBPACK_IMPORTED_MODULE_2__.constants.ZSTD_c_compressionLevel]: ZSTD_LEVEL,
                    // zstd's own frame checksum, so `zstd -t` can check a downloaded payload by itself.
                    [node_zlib__WEBPACK_IMPORTED_MODULE_2__.constants.ZSTD_c_checksumFlag]: 1,
                },
            });
        case "gzip":
            return (0,node_zlib__WEBPACK_IMPORTED_MODULE_2__.createGzip)({ level: GZIP_LEVEL, chunkSize: CHUNK_SIZE });
        case "none":
            return new node_stream__WEBPACK_IMPORTED_MODULE_3__.PassThrough();
    }
}
function createDecompressStream(compression) {
    switch (compression) {
        case "zstd":
            return (0,node_zlib__WEBPACK_IMPORTED_MODULE_2__.createZstdDecompress)({ chunkSize: CHUNK_SIZE });
        case "gzip":
            return (0,node_zlib__WEBPACK_IMPORTED_MODULE_2__.createGunzip)({ chunkSize: CHUNK_SIZE });
        case "none":
            return new node_stream__WEBPACK_IMPORTED_MODULE_3__.PassThrough();
    }
}


/***/ }),

/***/ 52989:
/***/ ((__unused_webpack___webpack_module__, __webpack_exports__, __webpack_require__) => {


// EXPORTS
__webpack_require__.d(__webpack_exports__, {
  Ch: () => (/* binding */ openStore),
  iM: () => (/* binding */ parseBackupUri),
  G2: () => (/* binding */ parseDestination),
  bA: () => (/* binding */ parseS3Endpoint)
});

// UNUSED EXPORTS: DESTINATION_FIELD, S3_ENDPOINT_FIELD

// EXTERNAL MODULE: external "node:path"
var external_node_path_ = __webpack_require__(76760);
// EXTERNAL MODULE: external "node:url"
var external_node_url_ = __webpack_require__(73136);
// EXTERNAL MODULE: ./.build/compile/src/core/errors.js
var errors = __webpack_require__(51222);
// EXTERNAL MODULE: ./.build/compile/src/core/redact.js
var redact = __webpack_require__(79148);
// EXTERNAL MODULE: external "node:crypto"
var external_node_crypto_ = __webpack_require__(77598);
// EXTERNAL MODULE: external "node:fs"
var external_node_fs_ = __webpack_require__(73024);
// EXTERNAL MODULE: external "node:fs/promises"
var promises_ = __webpack_require__(51455);
// EXTERNAL MODULE: external "node:stream"
var external_node_stream_ = __webpack_require__(57075);
// EXTERNAL MODULE: external "node:stream/promises"
var external_node_stream_promises_ = __webpack_require__(46466);
// EXTERNAL MODULE: ./.build/compile/src/core/storage/backend-kit.js
var backend_kit = __webpack_require__(67386);
// EXTERNAL MODULE: ./.build/compile/src/core/storage/layout.js
var layout = __webpack_require__(50721);
;// CONCATENATED MODULE: ./.build/compile/src/core/storage/file.js
/**
 * The local folder backend (`file:///path`), the default outside GitHub Actions. The payload
 * is written under a temporary name and renamed only when complete and flushed to disk; the
 * manifest is written the same way, last. A crash therefore leaves at most an unlisted
 * folder, never a backup that looks whole. Each backup's folder is created exclusively, so
 * two runs in the same second never share one (the second takes the next free second), and
 * every file is 0600: a payload may be an unencrypted snapshot holding every Secret.
 */











const PARTIAL_PREFIX = ".partial-";
const READ_CHUNK_BYTES = 256 * 1024;
/** Backups may hold every Secret of a cluster: only the runner's user reads them. */
const FILE_MODE = 0o600;
const FOLDER_MODE = 0o700;
/** How many later seconds a backup may move to when its own is taken by another run. */
const MAX_TIMESTAMP_TRIES = 30;
/**
 * A `.partial-*` file untouched this long belongs to a run that was killed (a live upload
 * writes to it continually), so it is removed when the next backup of that cluster starts.
 */
const STALE_PARTIAL_MS = 6 * 60 * 60 * 1000;
class FileStore {
    description;
    root;
    logger;
    constructor(root, options = {}) {
        if (!(0,external_node_path_.isAbsolute)(root)) {
            throw new errors/* ConfigurationError */.j1("destination", `the backup folder ${(0,redact/* quoteValue */.cl)(root)} is not an absolute path; expected e.g. file:///var/backups/etcd.`);
        }
        this.root = (0,external_node_path_.resolve)(root);
        if (this.root === "/") {
            throw new errors/* ConfigurationError */.j1("destination", "the backup folder is the file system's root; expected a folder for the backups, such as file:///var/backups/etcd.");
        }
        this.description = (0,external_node_url_.pathToFileURL)(this.root).href;
        this.logger = options.logger;
    }
    folderOf(location) {
        return (0,external_node_path_.join)(this.root, (0,layout/* backupFolder */.j0)(location.cluster, location.kind, location.timestamp));
    }
    locationOf(cluster, kind, timestamp) {
        const folder = (0,external_node_path_.join)(this.root, (0,layout/* backupFolder */.j0)(cluster, kind, timestamp));
        return { cluster, kind, timestamp, uri: `${(0,external_node_url_.pathToFileURL)(folder).href}/` };
    }
    async putPayload(options, payload) {
        const payloadName = (0,layout/* checkPayloadName */.KC)(options.payloadName);
        let location;
        try {
            await this.removeStalePartials(options.cluster, options.kind);
            location = await this.claimFolder(options);
        }
        catch (error) {
            payload.destroy();
            throw error;
        }
        const folder = this.folderOf(location);
        const partialPath = (0,external_node_path_.join)(folder, `${PARTIAL_PREFIX}${(0,external_node_crypto_.randomBytes)(6).toString("hex")}-${payloadName}`);
        let storedBytes = 0;
        const counter = new external_node_stream_.Transform({
            transform(data, _encoding, done) {
                storedBytes += data.length;
                done(null, data);
            },
        });
        try {
            // flush: fsync before close, so the rename below publishes bytes that are on disk.
            await (0,external_node_stream_promises_.pipeline)(payload, counter, (0,external_node_fs_.createWriteStream)(partialPath, { flags: "wx", mode: FILE_MODE, flush: true }));
            await (0,promises_.rename)(partialPath, (0,external_node_path_.join)(folder, payloadName));
        }
        catch (error) {
            await (0,promises_.rm)(partialPath, { force: true });
            await removeIfEmpty(folder);
            throw new Error(`Writing the payload to ${location.uri} failed: ${(0,errors/* errorMessage */.gJ)(error)}`, {
                cause: error,
            });
        }
        return { location, storedBytes };
    }
    /**
     * Creates the backup's folder exclusively (mkdir fails if it exists), so no two runs ever
     * write into one folder nor report one URI. When another run took this second, the backup
     * moves to the next free second; its manifest is dated by the location it gets.
     */
    async claimFolder(options) {
        const first = (0,layout/* parseTimestamp */.EH)(options.timestamp).getTime();
        const kindFolder = (0,external_node_path_.join)(this.root, options.cluster, options.kind);
        await (0,promises_.mkdir)(kindFolder, { recursive: true, mode: FOLDER_MODE });
        for (let attempt = 0; attempt < MAX_TIMESTAMP_TRIES; attempt++) {
            const timestamp = (0,layout/* formatTimestamp */.Ey)(new Date(first + attempt * 1000));
            const location = this.locationOf(options.cluster, options.kind, timestamp);
            try {
                await (0,promises_.mkdir)(this.folderOf(location), { mode: FOLDER_MODE });
            }
            catch (error) {
                if (error.code === "EEXIST")
                    continue;
                throw error;
            }
            if (attempt > 0) {
                this.logger?.info(`${this.locationOf(options.cluster, options.kind, options.timestamp).uri} is taken by another backup; this one is stored at ${location.uri}.`);
            }
            return location;
        }
        throw new Error(`Cannot create a backup folder for ${options.cluster} ${options.kind} under ${(0,external_node_url_.pathToFileURL)(kindFolder).href}: the ${MAX_TIMESTAMP_TRIES} seconds from ${options.timestamp} are all taken by other backups; check what else writes there.`);
    }
    /**
     * Removes the `.partial-*` files killed runs left in this cluster's backups (and their
     * folders when nothing else is in them), and says so in the log.
     */
    async removeStalePartials(cluster, kind) {
        const kindFolder = (0,external_node_path_.join)(this.root, cluster, kind);
        const now = Date.now();
        const removed = [];
        for (const timestamp of await folderNames(kindFolder)) {
            if (!(0,layout/* isTimestamp */.Fx)(timestamp))
                continue;
            const folder = (0,external_node_path_.join)(kindFolder, timestamp);
            const names = await (0,promises_.readdir)(folder).catch(() => []);
            for (const name of names.filter((entry) => entry.startsWith(PARTIAL_PREFIX))) {
                const path = (0,external_node_path_.join)(folder, name);
                const modified = await (0,promises_.stat)(path).then((facts) => facts.mtimeMs, () => now);
                if (now - modified < STALE_PARTIAL_MS)
                    continue;
                await (0,promises_.rm)(path, { force: true });
                removed.push(`${timestamp}/${name}`);
            }
            if (names.length > 0 && removed.some((entry) => entry.startsWith(`${timestamp}/`))) {
                await removeIfEmpty(folder);
            }
        }
        if (removed.length > 0) {
            this.logger?.warning(`Removed ${removed.length} partial file(s) that interrupted backups left in ${(0,external_node_url_.pathToFileURL)(kindFolder).href} (untouched for over ${STALE_PARTIAL_MS / 3_600_000} h): ${removed.join(", ")}.`);
        }
    }
    async putManifest(location, manifest) {
        const folder = this.folderOf(location);
        const partialPath = (0,external_node_path_.join)(folder, `${PARTIAL_PREFIX}${(0,external_node_crypto_.randomBytes)(6).toString("hex")}-${layout/* MANIFEST_NAME */.ir}`);
        const file = await (0,promises_.open)(partialPath, "wx", FILE_MODE);
        try {
            await file.writeFile(manifest);
            await file.sync();
        }
        finally {
            await file.close();
        }
        await (0,promises_.rename)(partialPath, (0,external_node_path_.join)(folder, layout/* MANIFEST_NAME */.ir));
        await syncFolder(folder);
    }
    async list(filter = {}) {
        const found = [];
        const clusters = filter.cluster ? [filter.cluster] : await folderNames(this.root);
        for (const cluster of clusters) {
            for (const kind of filter.kind ? [filter.kind] : layout/* BACKUP_KINDS */.NJ) {
                for (const timestamp of await folderNames((0,external_node_path_.join)(this.root, cluster, kind))) {
                    if (!(0,layout/* isTimestamp */.Fx)(timestamp))
                        continue;
                    const location = this.locationOf(cluster, kind, timestamp);
                    const manifest = await (0,promises_.readFile)((0,external_node_path_.join)(this.folderOf(location), layout/* MANIFEST_NAME */.ir)).catch(() => undefined);
                    if (manifest)
                        found.push({ location, manifest });
                }
            }
        }
        return (0,backend_kit/* newestFirst */.ll)(found);
    }
    async getPayload(location, payloadName) {
        const path = (0,external_node_path_.join)(this.folderOf(location), (0,layout/* checkPayloadName */.KC)(payloadName));
        if (!(await exists(path))) {
            throw new Error(`The payload ${payloadName} of ${location.uri} is missing; the backup folder is damaged.`);
        }
        // 256 KiB reads: fewer thread-pool round trips on a busy runner; 1 MiB reads measured
        // ~60 MiB more peak memory on a 1 GB restore.
        return (0,external_node_fs_.createReadStream)(path, { highWaterMark: READ_CHUNK_BYTES });
    }
    putRestoreRecord(cluster, timestamp, record) {
        return putRecordFile(this.root, cluster, timestamp, record);
    }
    listRestoreRecords(cluster) {
        return listRecordFiles(this.root, (0,layout/* checkClusterName */.YN)(cluster));
    }
    async delete(location) {
        const folder = this.folderOf(location);
        // The manifest goes first: an interrupted delete leaves an unlisted folder, not a listed half-backup.
        await (0,promises_.rm)((0,external_node_path_.join)(folder, layout/* MANIFEST_NAME */.ir), { force: true });
        await (0,promises_.rm)(folder, { recursive: true, force: true });
    }
}
/**
 * Restore records of the folder backend: each written whole under a temporary name, then
 * linked to `<cluster>/restores/<timestamp>.json` (a link fails if the name is taken, so two
 * restores in one second never overwrite each other: the second takes the next second).
 */
async function putRecordFile(root, cluster, timestamp, record) {
    const folder = (0,external_node_path_.join)(root, cluster, layout/* RESTORES_FOLDER */.fK);
    await (0,promises_.mkdir)(folder, { recursive: true, mode: FOLDER_MODE });
    const partialPath = (0,external_node_path_.join)(folder, `${PARTIAL_PREFIX}${(0,external_node_crypto_.randomBytes)(6).toString("hex")}.json`);
    const file = await (0,promises_.open)(partialPath, "wx", FILE_MODE);
    try {
        await file.writeFile(record);
        await file.sync();
    }
    finally {
        await file.close();
    }
    try {
        const first = (0,layout/* parseTimestamp */.EH)(timestamp).getTime();
        for (let attempt = 0; attempt < MAX_TIMESTAMP_TRIES; attempt++) {
            const path = (0,external_node_path_.join)(root, (0,layout/* restoreRecordPath */.t7)(cluster, (0,layout/* formatTimestamp */.Ey)(new Date(first + attempt * 1000))));
            try {
                await (0,promises_.link)(partialPath, path);
            }
            catch (error) {
                if (error.code === "EEXIST")
                    continue;
                throw error;
            }
            await syncFolder(folder);
            return (0,external_node_url_.pathToFileURL)(path).href;
        }
        throw new Error(`Cannot write a restore record under ${(0,external_node_url_.pathToFileURL)(folder).href}: the ${MAX_TIMESTAMP_TRIES} seconds from ${timestamp} are all taken by other records.`);
    }
    finally {
        await (0,promises_.rm)(partialPath, { force: true });
    }
}
async function listRecordFiles(root, cluster) {
    const folder = (0,external_node_path_.join)(root, cluster, layout/* RESTORES_FOLDER */.fK);
    const names = await (0,promises_.readdir)(folder).catch((error) => {
        if (error.code === "ENOENT")
            return [];
        throw error;
    });
    const records = [];
    for (const name of names) {
        const timestamp = name.replace(/\.json$/, "");
        if (name === timestamp || !(0,layout/* isTimestamp */.Fx)(timestamp))
            continue;
        const path = (0,external_node_path_.join)(folder, name);
        records.push({
            cluster,
            timestamp,
            uri: (0,external_node_url_.pathToFileURL)(path).href,
            record: await (0,promises_.readFile)(path),
        });
    }
    return records.sort((a, b) => b.timestamp.localeCompare(a.timestamp));
}
async function folderNames(path) {
    try {
        return (await (0,promises_.readdir)(path, { withFileTypes: true }))
            .filter((entry) => entry.isDirectory())
            .map((entry) => entry.name);
    }
    catch (error) {
        if (error.code === "ENOENT")
            return [];
        throw error;
    }
}
async function exists(path) {
    return (0,promises_.stat)(path).then(() => true, () => false);
}
async function removeIfEmpty(folder) {
    await (0,promises_.rmdir)(folder).catch(() => undefined);
}
/** fsync of the folder makes the rename itself durable. */
async function syncFolder(folder) {
    const handle = await (0,promises_.open)(folder, "r");
    try {
        await handle.sync();
    }
    finally {
        await handle.close();
    }
}

;// CONCATENATED MODULE: ./.build/compile/src/core/storage/destination.js
/**
 * Where backups go, as the user writes it: `file:///path`, `s3://bucket/prefix`, or
 * `artifact`. parseDestination checks the text (one clear sentence when it is wrong);
 * openStore builds the backend, loading the S3 and artifact code only when used.
 */






const EXPECTED = "expected file:///absolute/folder, s3://bucket[/prefix] or artifact";
/** The settings this file checks, in core's words; each front door names them its own way. */
const DESTINATION_FIELD = "destination";
const S3_ENDPOINT_FIELD = "s3Endpoint";
function badDestination(problem, cause) {
    return new errors/* ConfigurationError */.j1(DESTINATION_FIELD, problem, cause ? { cause } : undefined);
}
function parseDestination(text) {
    const trimmed = text.trim();
    if (trimmed === "artifact" || trimmed === "artifact:")
        return { type: "artifact", uri: "artifact" };
    if (trimmed.startsWith("file:"))
        return parseFileDestination(trimmed);
    if (trimmed.startsWith("s3:"))
        return parseS3Destination(trimmed);
    if ((0,external_node_path_.isAbsolute)(trimmed)) {
        throw badDestination(`${(0,redact/* quoteValue */.cl)(text)} is a bare path; write it as a URL, ${(0,redact/* looksSecret */.n0)(trimmed) ? "file:///absolute/folder" : `file://${trimmed}`}.`);
    }
    throw badDestination(`${(0,redact/* quoteValue */.cl)(text)} is not understood; ${EXPECTED}.`);
}
function parseFileDestination(text) {
    let url;
    try {
        url = new URL(text);
    }
    catch {
        throw badDestination(`${(0,redact/* quoteValue */.cl)(text)} is not a valid file URL; expected file:///absolute/folder.`);
    }
    if (url.host !== "" || !text.startsWith("file:///")) {
        throw badDestination(`${(0,redact/* quoteValue */.cl)(text)} names a host or a relative path; expected a local absolute folder with three slashes, file:///var/backups/etcd.`);
    }
    if (url.search || url.hash) {
        throw badDestination(`${(0,redact/* quoteValue */.cl)(text)} has a query or fragment; expected only a folder, file:///var/backups/etcd.`);
    }
    let path;
    try {
        path = (0,external_node_url_.fileURLToPath)(url).replace(/(.)\/+$/, "$1");
    }
    catch (error) {
        throw badDestination(`${(0,redact/* quoteValue */.cl)(text)} is not a local folder (${(0,errors/* errorMessage */.gJ)(error)}); expected file:///absolute/folder.`, error);
    }
    if (path === "/") {
        throw badDestination(`${(0,redact/* quoteValue */.cl)(text)} is the file system's root; expected a folder for the backups, such as file:///var/backups/etcd.`);
    }
    return { type: "file", path, uri: `file://${path}` };
}
function parseS3Destination(text) {
    const { bucket, prefix } = (0,layout/* parseS3Location */.TL)(text);
    return { type: "s3", bucket, prefix, uri: `s3://${bucket}${prefix ? `/${prefix}` : ""}` };
}
/**
 * An S3-compatible endpoint (MinIO, GCS interop...): an http(s) URL with a host and nothing
 * after it but an optional path. Checked with the other settings, before anything runs.
 */
function parseS3Endpoint(text) {
    const trimmed = text.trim();
    let url;
    try {
        url = new URL(trimmed);
    }
    catch {
        url = undefined;
    }
    if (!url ||
        !["http:", "https:"].includes(url.protocol) ||
        !url.hostname ||
        url.username ||
        url.password ||
        url.search ||
        url.hash) {
        throw new errors/* ConfigurationError */.j1(S3_ENDPOINT_FIELD, `${(0,redact/* quoteValue */.cl)(trimmed)} is not an endpoint URL; expected http(s)://host[:port] such as https://minio.example.com:9000 (credentials go in the AWS environment, not in the URL).`);
    }
    return trimmed;
}
/**
 * A backup's URI, as printed after a backup and pasted into a restore:
 * `<destination>/<cluster>/<kind>/<timestamp>/` (for artifacts `artifact/<cluster>/<kind>/<timestamp>`). Splits it into the destination and the backup.
 */
function parseBackupUri(text) {
    const trimmed = text.trim().replace(/\/+$/, "");
    const parts = trimmed.split("/");
    const [cluster, kind, timestamp] = parts.slice(-3);
    const prefix = parts.slice(0, -3).join("/");
    if (parts.length < 4 ||
        !cluster ||
        !kind ||
        !timestamp ||
        !(/^(file|s3):\/\/./.test(prefix) || prefix === "artifact")) {
        throw new Error(`The backup URI ${(0,redact/* quoteValue */.cl)(text)} is not complete; expected <destination>/<cluster>/<kind>/<timestamp>/, e.g. s3://bucket/prefix/uc1/user-etcd/20260131T235959Z/ as printed by the backup.`);
    }
    try {
        return {
            destination: parseDestination(prefix),
            cluster: (0,layout/* checkClusterName */.YN)(cluster),
            kind: (0,layout/* parseBackupKind */.uS)(kind),
            timestamp: ((0,layout/* parseTimestamp */.EH)(timestamp), timestamp),
        };
    }
    catch (error) {
        throw new Error(`The backup URI ${(0,redact/* quoteValue */.cl)(text)} is not valid: ${(0,errors/* errorMessage */.gJ)(error)}`, {
            cause: error,
        });
    }
}
/** Builds the backend for a destination. */
async function openStore(destination, options) {
    switch (destination.type) {
        case "file":
            return new FileStore(destination.path, { logger: options.logger });
        case "s3": {
            const { createS3Store } = await Promise.all(/* import() */[__webpack_require__.e(711), __webpack_require__.e(865)]).then(__webpack_require__.bind(__webpack_require__, 63865));
            return createS3Store({
                url: destination.uri,
                logger: options.logger,
                ...(options.context.awsRegion ? { defaultRegion: options.context.awsRegion } : {}),
                ...options.s3,
            });
        }
        case "artifact": {
            const { createArtifactStore } = await __webpack_require__.e(/* import() */ 34).then(__webpack_require__.bind(__webpack_require__, 85034));
            return createArtifactStore({
                logger: options.logger,
                context: options.context,
                ...options.artifact,
            });
        }
    }
}


/***/ }),

/***/ 50721:
/***/ ((__unused_webpack___webpack_module__, __webpack_exports__, __webpack_require__) => {

/* harmony export */ __webpack_require__.d(__webpack_exports__, {
/* harmony export */   EH: () => (/* binding */ parseTimestamp),
/* harmony export */   Ey: () => (/* binding */ formatTimestamp),
/* harmony export */   Fx: () => (/* binding */ isTimestamp),
/* harmony export */   KC: () => (/* binding */ checkPayloadName),
/* harmony export */   NJ: () => (/* binding */ BACKUP_KINDS),
/* harmony export */   Ob: () => (/* binding */ defaultPayloadBaseName),
/* harmony export */   Qq: () => (/* binding */ isClusterName),
/* harmony export */   TL: () => (/* binding */ parseS3Location),
/* harmony export */   YN: () => (/* binding */ checkClusterName),
/* harmony export */   fK: () => (/* binding */ RESTORES_FOLDER),
/* harmony export */   ir: () => (/* binding */ MANIFEST_NAME),
/* harmony export */   j0: () => (/* binding */ backupFolder),
/* harmony export */   t7: () => (/* binding */ restoreRecordPath),
/* harmony export */   uJ: () => (/* binding */ checkPutOptions),
/* harmony export */   uS: () => (/* binding */ parseBackupKind)
/* harmony export */ });
/* unused harmony export isPkiKind */
/* harmony import */ var _errors_js__WEBPACK_IMPORTED_MODULE_0__ = __webpack_require__(51222);
/* harmony import */ var _redact_js__WEBPACK_IMPORTED_MODULE_1__ = __webpack_require__(79148);
/**
 * The object layout every backend with paths shares: `<cluster>/<kind>/<UTC timestamp>/`
 * holding the payload and `manifest.json`. The names are checked here once, so no backend
 * can be talked into writing outside its root.
 */


const BACKUP_KINDS = [
    "user-etcd",
    "admin-etcd",
    "admin-pki",
    "node-pki",
];
const MANIFEST_NAME = "manifest.json";
/**
 * Restore records sit beside a cluster's backups, `<cluster>/restores/<timestamp>.json`: not a
 * backup kind, so listing, `latest` and retention never see them.
 */
const RESTORES_FOLDER = "restores";
const TIMESTAMP = /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/;
// A Kubernetes namespace or cluster name: a DNS label (RFC 1123), lower case, no dots.
const CLUSTER_NAME = /^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/;
const PAYLOAD_NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,200}$/;
const S3_BUCKET = /^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/;
/** A user cluster's name (its namespace) or `admin`: a DNS label. */
function isClusterName(name) {
    return CLUSTER_NAME.test(name);
}
function checkClusterName(cluster) {
    if (!isClusterName(cluster)) {
        throw new Error(`The cluster name ${(0,_redact_js__WEBPACK_IMPORTED_MODULE_1__/* .quoteValue */ .cl)(cluster)} is not valid; expected a DNS label (lower-case letters, digits and '-', at most 63 characters), such as the user cluster's namespace.`);
    }
    return cluster;
}
function parseBackupKind(text) {
    if (BACKUP_KINDS.includes(text))
        return text;
    throw new Error(`The backup kind ${(0,_redact_js__WEBPACK_IMPORTED_MODULE_1__/* .quoteValue */ .cl)(text)} is not known; expected one of ${BACKUP_KINDS.join(", ")}.`);
}
function checkPayloadName(name) {
    if (!PAYLOAD_NAME.test(name) || name === MANIFEST_NAME || name.includes("..")) {
        throw new Error(`The payload name ${(0,_redact_js__WEBPACK_IMPORTED_MODULE_1__/* .quoteValue */ .cl)(name)} is not valid; expected a plain file name such as snapshot.db.zst.age (letters, digits, '.', '_', '-').`);
    }
    return name;
}
/** `YYYYMMDDTHHMMSSZ` in UTC: sorts as text in time order, and is safe in every store's names. */
function formatTimestamp(time) {
    return time
        .toISOString()
        .replace(/\.\d{3}Z$/, "Z")
        .replace(/[-:]/g, "");
}
/** Whether `text` is a backup timestamp (a real UTC second written as formatTimestamp does). */
function isTimestamp(text) {
    try {
        parseTimestamp(text);
        return true;
    }
    catch {
        return false;
    }
}
function parseTimestamp(text) {
    const match = TIMESTAMP.exec(text);
    const time = match
        ? new Date(Date.UTC(+match[1], +match[2] - 1, +match[3], +match[4], +match[5], +match[6]))
        : undefined;
    if (!time || Number.isNaN(time.getTime()) || formatTimestamp(time) !== text) {
        throw new Error(`The backup timestamp ${(0,_redact_js__WEBPACK_IMPORTED_MODULE_1__/* .quoteValue */ .cl)(text)} is not valid; expected UTC time as YYYYMMDDTHHMMSSZ, e.g. 20260131T235959Z.`);
    }
    return time;
}
/** The relative folder of one backup, `<cluster>/<kind>/<timestamp>`, after checking each part. */
function backupFolder(cluster, kind, timestamp) {
    checkClusterName(cluster);
    parseBackupKind(kind);
    parseTimestamp(timestamp);
    return `${cluster}/${kind}/${timestamp}`;
}
/** The relative path of one restore record, `<cluster>/restores/<timestamp>.json`. */
function restoreRecordPath(cluster, timestamp) {
    checkClusterName(cluster);
    parseTimestamp(timestamp);
    return `${cluster}/${RESTORES_FOLDER}/${timestamp}.json`;
}
/** Checks every part of a backup's name before anything is stored; returns the options. */
function checkPutOptions(options) {
    checkClusterName(options.cluster);
    parseBackupKind(options.kind);
    parseTimestamp(options.timestamp);
    checkPayloadName(options.payloadName);
    return options;
}
/** Whether a kind holds a tar of a node's files (a PKI) rather than an etcd snapshot. */
function isPkiKind(kind) {
    return kind === "admin-pki" || kind === "node-pki";
}
/** The payload's default base name by kind, before compression and encryption suffixes. */
function defaultPayloadBaseName(kind) {
    return isPkiKind(kind) ? "pki.tar" : "snapshot.db";
}
/**
 * `s3://bucket[/prefix]` -> bucket and prefix (no leading or trailing slash). The one parser
 * of S3 locations: the destination input and the S3 backend both use it.
 */
function parseS3Location(text) {
    const match = /^s3:\/\/([^/?#]*)(\/[^?#]*)?$/.exec(text.trim());
    const bucket = match?.[1] ?? "";
    if (!match || !S3_BUCKET.test(bucket) || bucket.includes("..")) {
        throw new _errors_js__WEBPACK_IMPORTED_MODULE_0__/* .ConfigurationError */ .j1("destination", `${(0,_redact_js__WEBPACK_IMPORTED_MODULE_1__/* .quoteValue */ .cl)(text)} is not a valid S3 location; expected s3://bucket[/prefix] with a bucket name of 3-63 lower-case letters, digits, '.' or '-'.`);
    }
    const prefix = (match[2] ?? "").replace(/^\/+|\/+$/g, "");
    if (prefix.split("/").some((segment) => segment === "." || segment === "..") ||
        /\/\//.test(prefix)) {
        throw new _errors_js__WEBPACK_IMPORTED_MODULE_0__/* .ConfigurationError */ .j1("destination", `${(0,_redact_js__WEBPACK_IMPORTED_MODULE_1__/* .quoteValue */ .cl)(text)} has an S3 prefix with empty, "." or ".." parts; expected e.g. s3://bucket/etcd-backups.`);
    }
    return { bucket, prefix };
}


/***/ }),

/***/ 36750:
/***/ ((__unused_webpack___webpack_module__, __webpack_exports__, __webpack_require__) => {

/* harmony export */ __webpack_require__.d(__webpack_exports__, {
/* harmony export */   MZ: () => (/* binding */ serializeManifest),
/* harmony export */   Ng: () => (/* binding */ parseManifest),
/* harmony export */   Ou: () => (/* binding */ pkiFileRecord),
/* harmony export */   u1: () => (/* binding */ buildManifest)
/* harmony export */ });
/* unused harmony export MANIFEST_FORMAT */
/* harmony import */ var _version_js__WEBPACK_IMPORTED_MODULE_0__ = __webpack_require__(6743);
/* harmony import */ var _crypto_age_keys_js__WEBPACK_IMPORTED_MODULE_1__ = __webpack_require__(4954);
/* harmony import */ var _compression_js__WEBPACK_IMPORTED_MODULE_2__ = __webpack_require__(91597);
/* harmony import */ var _layout_js__WEBPACK_IMPORTED_MODULE_3__ = __webpack_require__(50721);
/**
 * manifest.json: the record of one backup, written last, after both hashes are known, so
 * that a backup with a manifest is complete. Listing, verification, restore and retention
 * all work from it; it holds no secret (recipients are public keys).
 */




const MANIFEST_FORMAT = "etcd-backup-actions/manifest/v1";
/** The manifest's form of a file entry of the node. */
function pkiFileRecord(entry) {
    return { ...entry, mode: entry.mode.toString(8).padStart(4, "0") };
}
function buildManifest(facts) {
    const run = facts.run;
    const etcd = facts.etcd && Object.values(facts.etcd).some((value) => value !== undefined)
        ? facts.etcd
        : undefined;
    const manifest = {
        format: MANIFEST_FORMAT,
        cluster: facts.cluster,
        kind: facts.kind,
        timestamp: (0,_layout_js__WEBPACK_IMPORTED_MODULE_3__/* .formatTimestamp */ .Ey)(facts.createdAt),
        createdAt: facts.createdAt.toISOString(),
        source: { ...facts.source },
        ...(etcd ? { etcd: { ...etcd } } : {}),
        ...(facts.pki ? { pki: facts.pki } : {}),
        payload: {
            name: facts.payloadName,
            compression: facts.compression,
            encryption: facts.encryption,
            plaintext: { ...facts.plaintext },
            stored: { ...facts.stored },
        },
        tool: { name: _version_js__WEBPACK_IMPORTED_MODULE_0__/* .TOOL_NAME */ .l, version: _version_js__WEBPACK_IMPORTED_MODULE_0__/* .TOOL_VERSION */ .w },
        ...(run ? { run } : {}),
    };
    // Validating what we are about to write catches a bad fact before it becomes a bad record.
    return validateManifest(JSON.parse(JSON.stringify(manifest)), "the new backup");
}
function serializeManifest(manifest) {
    return Buffer.from(`${JSON.stringify(manifest, null, 2)}\n`, "utf8");
}
/** Parses and validates manifest.json; `where` names it in errors (e.g. its URI). */
function parseManifest(data, where) {
    let value;
    try {
        value = JSON.parse(data.toString());
    }
    catch (error) {
        throw new Error(`The manifest of ${where} is not valid JSON (${error.message}); the file is damaged or was edited by hand.`, { cause: error });
    }
    return validateManifest(value, where);
}
class ManifestReader {
    where;
    constructor(where) {
        this.where = where;
    }
    fail(field, expected, actual) {
        const shown = actual === undefined ? "nothing" : JSON.stringify(actual);
        throw new Error(`The manifest of ${this.where} is not valid: field ${field} should be ${expected}, but it is ${shown}.`);
    }
    object(value, field) {
        if (typeof value !== "object" || value === null || Array.isArray(value))
            this.fail(field, "an object", value);
        return value;
    }
    string(value, field, check) {
        if (typeof value !== "string" || value === "")
            this.fail(field, "a non-empty string", value);
        if (check) {
            try {
                check(value);
            }
            catch (error) {
                this.fail(field, `valid (${error.message})`, value);
            }
        }
        return value;
    }
    optionalString(value, field) {
        return value === undefined ? undefined : this.string(value, field);
    }
    count(value, field) {
        if (typeof value !== "number" || !Number.isSafeInteger(value) || value < 0) {
            this.fail(field, "a whole number of zero or more", value);
        }
        return value;
    }
    digest(value, field) {
        const digest = this.object(value, field);
        const sha256 = digest.sha256;
        if (typeof sha256 !== "string" || !/^[0-9a-f]{64}$/.test(sha256)) {
            this.fail(`${field}.sha256`, "64 lower-case hex digits", sha256);
        }
        return { bytes: this.count(digest.bytes, `${field}.bytes`), sha256 };
    }
    oneOf(value, field, allowed) {
        if (typeof value !== "string" || !allowed.includes(value)) {
            this.fail(field, `one of ${allowed.join(", ")}`, value);
        }
        return value;
    }
}
function validateManifest(value, where) {
    const read = new ManifestReader(where);
    const root = read.object(value, "(top level)");
    if (root.format !== MANIFEST_FORMAT)
        read.fail("format", `"${MANIFEST_FORMAT}"`, root.format);
    const cluster = read.string(root.cluster, "cluster", _layout_js__WEBPACK_IMPORTED_MODULE_3__/* .checkClusterName */ .YN);
    const kind = read.oneOf(root.kind, "kind", _layout_js__WEBPACK_IMPORTED_MODULE_3__/* .BACKUP_KINDS */ .NJ);
    const timestamp = read.string(root.timestamp, "timestamp", _layout_js__WEBPACK_IMPORTED_MODULE_3__/* .parseTimestamp */ .EH);
    const createdAt = read.string(root.createdAt, "createdAt", (text) => {
        if (Number.isNaN(Date.parse(text)))
            throw new Error("an ISO 8601 time");
    });
    if ((0,_layout_js__WEBPACK_IMPORTED_MODULE_3__/* .formatTimestamp */ .Ey)(new Date(createdAt)) !== timestamp) {
        read.fail("timestamp", `the folder name of createdAt (${(0,_layout_js__WEBPACK_IMPORTED_MODULE_3__/* .formatTimestamp */ .Ey)(new Date(createdAt))})`, timestamp);
    }
    const sourceRecord = read.object(root.source, "source");
    const source = {};
    for (const key of ["namespace", "pod", "member", "node", "topology"]) {
        const text = read.optionalString(sourceRecord[key], `source.${key}`);
        if (text !== undefined)
            source[key] = text;
    }
    let etcd;
    if (root.etcd !== undefined) {
        const record = read.object(root.etcd, "etcd");
        etcd = {};
        if (record.revision !== undefined)
            etcd.revision = read.count(record.revision, "etcd.revision");
        if (record.keyCount !== undefined)
            etcd.keyCount = read.count(record.keyCount, "etcd.keyCount");
        if (record.version !== undefined) {
            etcd.version = read.string(record.version, "etcd.version");
            if (!/^\d+\.\d+\.\d+/.test(etcd.version)) {
                read.fail("etcd.version", "an etcd version such as 3.4.23", etcd.version);
            }
        }
    }
    const pki = root.pki === undefined ? undefined : readPkiRecord(read, root.pki);
    const payload = read.object(root.payload, "payload");
    const encryptionRecord = read.object(payload.encryption, "payload.encryption");
    let encryption;
    if (encryptionRecord.method === "age") {
        const recipients = encryptionRecord.recipients;
        if (!Array.isArray(recipients) || recipients.length === 0) {
            read.fail("payload.encryption.recipients", "a non-empty list of age1... public keys", recipients);
        }
        encryption = {
            method: "age",
            recipients: recipients.map((recipient, index) => read.string(recipient, `payload.encryption.recipients[${index}]`, (text) => _crypto_age_keys_js__WEBPACK_IMPORTED_MODULE_1__/* .X25519Recipient */ .K1.parse(text))),
        };
    }
    else if (encryptionRecord.method === "none") {
        if (encryptionRecord.allowUnencrypted !== true) {
            read.fail("payload.encryption.allowUnencrypted", "true (unencrypted storage is an explicit opt-in)", encryptionRecord.allowUnencrypted);
        }
        encryption = { method: "none", allowUnencrypted: true };
    }
    else {
        read.fail("payload.encryption.method", '"age" or "none"', encryptionRecord.method);
    }
    const tool = read.object(root.tool, "tool");
    let run;
    if (root.run !== undefined) {
        const record = read.object(root.run, "run");
        run = {
            url: read.string(record.url, "run.url"),
            repository: typeof record.repository === "string" ? record.repository : "",
            workflow: typeof record.workflow === "string" ? record.workflow : "",
            runId: typeof record.runId === "string" ? record.runId : "",
            actor: typeof record.actor === "string" ? record.actor : "",
            commit: typeof record.commit === "string" ? record.commit : "",
        };
        if (typeof record.runAttempt === "string")
            run.runAttempt = record.runAttempt;
        if (typeof record.ref === "string")
            run.ref = record.ref;
    }
    return {
        format: MANIFEST_FORMAT,
        cluster,
        kind,
        timestamp,
        createdAt,
        source,
        ...(etcd ? { etcd } : {}),
        ...(pki ? { pki } : {}),
        payload: {
            name: read.string(payload.name, "payload.name", _layout_js__WEBPACK_IMPORTED_MODULE_3__/* .checkPayloadName */ .KC),
            compression: read.oneOf(payload.compression, "payload.compression", _compression_js__WEBPACK_IMPORTED_MODULE_2__/* .COMPRESSIONS */ ._7),
            encryption,
            plaintext: read.digest(payload.plaintext, "payload.plaintext"),
            stored: read.digest(payload.stored, "payload.stored"),
        },
        tool: {
            name: read.string(tool.name, "tool.name"),
            version: read.string(tool.version, "tool.version"),
        },
        ...(run ? { run } : {}),
    };
}
const PKI_FILE_TYPES = ["file", "directory", "symlink", "other"];
function readEndpoint(read, value, field) {
    const record = read.object(value, field);
    const port = read.count(record.port, `${field}.port`);
    if (port < 1 || port > 65535)
        read.fail(`${field}.port`, "a TCP port (1 to 65535)", port);
    return {
        host: read.string(record.host, `${field}.host`),
        port,
        user: read.string(record.user, `${field}.user`),
        hostKeyFingerprint: read.string(record.hostKeyFingerprint, `${field}.hostKeyFingerprint`, (text) => {
            if (!/^SHA256:[A-Za-z0-9+/]{43}$/.test(text))
                throw new Error("SHA256: and 43 base64 digits");
        }),
    };
}
function readPkiRecord(read, value) {
    const record = read.object(value, "pki");
    const paths = record.paths;
    if (!Array.isArray(paths) || paths.length === 0) {
        read.fail("pki.paths", "a non-empty list of absolute paths", paths);
    }
    const files = record.files;
    if (!Array.isArray(files))
        read.fail("pki.files", "a list of files", files);
    const fileCount = read.count(record.fileCount, "pki.fileCount");
    if (fileCount !== files.length) {
        read.fail("pki.fileCount", `the number of entries in pki.files (${files.length})`, fileCount);
    }
    return {
        node: readEndpoint(read, record.node, "pki.node"),
        ...(record.jumpHost !== undefined
            ? { jumpHost: readEndpoint(read, record.jumpHost, "pki.jumpHost") }
            : {}),
        paths: paths.map((path, index) => read.string(path, `pki.paths[${index}]`, (text) => {
            if (!text.startsWith("/"))
                throw new Error("an absolute path");
        })),
        fileCount,
        files: files.map((file, index) => readPkiFile(read, file, `pki.files[${index}]`)),
    };
}
function readPkiFile(read, value, field) {
    const record = read.object(value, field);
    const type = read.oneOf(record.type, `${field}.type`, PKI_FILE_TYPES);
    const entry = {
        path: read.string(record.path, `${field}.path`),
        type,
        mode: read.string(record.mode, `${field}.mode`, (text) => {
            if (!/^[0-7]{4}$/.test(text))
                throw new Error("four octal digits such as 0600");
        }),
        uid: read.count(record.uid, `${field}.uid`),
        gid: read.count(record.gid, `${field}.gid`),
        size: read.count(record.size, `${field}.size`),
    };
    if (record.sha256 !== undefined) {
        entry.sha256 = read.string(record.sha256, `${field}.sha256`, (text) => {
            if (!/^[0-9a-f]{64}$/.test(text))
                throw new Error("64 lower-case hex digits");
        });
    }
    if (type === "file" && entry.sha256 === undefined) {
        read.fail(`${field}.sha256`, "the file's sha256 (every regular file has one)", undefined);
    }
    if (record.linkTarget !== undefined) {
        entry.linkTarget = read.string(record.linkTarget, `${field}.linkTarget`);
    }
    return entry;
}


/***/ }),

/***/ 20526:
/***/ ((__unused_webpack___webpack_module__, __webpack_exports__, __webpack_require__) => {

/* harmony export */ __webpack_require__.d(__webpack_exports__, {
/* harmony export */   OR: () => (/* binding */ memoryPacerStages),
/* harmony export */   zS: () => (/* binding */ NO_PACING),
/* harmony export */   zl: () => (/* binding */ createMemoryPacer)
/* harmony export */ });
/* unused harmony export PACING_BYTES */
/* harmony import */ var node_stream__WEBPACK_IMPORTED_MODULE_0__ = __webpack_require__(57075);
/**
 * Keeps a long stream's memory flat. The pipeline moves batches (batching.ts) and allocates
 * few JavaScript objects, so V8's young-generation collections, which are what free dead
 * buffers, come rarely: without one, spent batches, zstd and age outputs and socket reads
 * pile up until V8's external-memory limit starts a full collection. Asking for a
 * young-generation collection (a scavenge) after every MiB that flows frees them while they
 * are young; test/storage/large.test.ts bounds the peak of a 1 GB backup and restore (every
 * 8 MiB kept 124 MiB where every MiB kept 82-87 MiB on a 300 MB store and restore).
 *
 * A snapshot streamed out of a pod through exec is not paced (NO_PACING): there every
 * scavenge also copies the exec's many live objects (WebSocket frames, socket reads), and
 * with the young generation capped (src/expose-gc.ts) V8's own scavenges come often enough.
 * Measured on a 232 MB backup from the sandbox with the cap: a peak of 143-158 MiB and
 * 1.96-2.05 CPU s unpaced, 159-160 MiB and 2.04-2.18 CPU s with a scavenge every 8 MiB
 * (bench/PROFILE.md). On the storage paths (a file, S3, artifacts) pacing still keeps the
 * peak lower (82 MiB against 89-90 MiB for a 300 MB store and restore), so it stays there.
 *
 * The collector is callable only when the front door exposed it (src/expose-gc.ts): a V8
 * flag is the whole process's setting, not a library's. Without it the pacer passes data
 * through unpaced.
 */

/** The default: every MiB. */
const PACING_BYTES = 1024 * 1024;
/** For a source whose own objects make each scavenge dear (an exec stream): no pacer at all. */
const NO_PACING = 0;
/** V8's collector, when the front door exposed it. */
function v8Collector() {
    return globalThis.gc ?? null;
}
/** The pacer stage for a pipeline, or none for NO_PACING. */
function memoryPacerStages(intervalBytes = PACING_BYTES) {
    return intervalBytes === NO_PACING ? [] : [createMemoryPacer(intervalBytes)];
}
/** A pass-through that asks for a young-generation collection after every `intervalBytes`. */
function createMemoryPacer(intervalBytes = PACING_BYTES) {
    const collect = v8Collector();
    let sinceLast = 0;
    return new node_stream__WEBPACK_IMPORTED_MODULE_0__.Transform({
        transform(data, _encoding, done) {
            sinceLast += data.length;
            if (collect && sinceLast >= intervalBytes) {
                sinceLast = 0;
                collect({ type: "minor" });
            }
            done(null, data);
        },
    });
}


/***/ }),

/***/ 86473:
/***/ ((__unused_webpack___webpack_module__, __webpack_exports__, __webpack_require__) => {

/* harmony export */ __webpack_require__.d(__webpack_exports__, {
/* harmony export */   A1: () => (/* binding */ storeBackup),
/* harmony export */   fe: () => (/* binding */ readBackup),
/* harmony export */   findBackup: () => (/* binding */ findBackup),
/* harmony export */   findNewestVerifiedBackup: () => (/* binding */ findNewestVerifiedBackup),
/* harmony export */   ld: () => (/* binding */ checkedManifest),
/* harmony export */   u2: () => (/* binding */ restoreBackupToFile),
/* harmony export */   wR: () => (/* binding */ BackupIntegrityError),
/* harmony export */   wq: () => (/* binding */ findNewestBackup),
/* harmony export */   xS: () => (/* binding */ checkIdentities),
/* harmony export */   z3: () => (/* binding */ verifyStoredBackup)
/* harmony export */ });
/* unused harmony export payloadFileName */
/* harmony import */ var node_crypto__WEBPACK_IMPORTED_MODULE_0__ = __webpack_require__(77598);
/* harmony import */ var node_fs__WEBPACK_IMPORTED_MODULE_1__ = __webpack_require__(73024);
/* harmony import */ var node_fs_promises__WEBPACK_IMPORTED_MODULE_2__ = __webpack_require__(51455);
/* harmony import */ var node_path__WEBPACK_IMPORTED_MODULE_3__ = __webpack_require__(76760);
/* harmony import */ var node_stream__WEBPACK_IMPORTED_MODULE_4__ = __webpack_require__(57075);
/* harmony import */ var node_stream_promises__WEBPACK_IMPORTED_MODULE_5__ = __webpack_require__(46466);
/* harmony import */ var _manifest_js__WEBPACK_IMPORTED_MODULE_6__ = __webpack_require__(36750);
/* harmony import */ var _crypto_age_js__WEBPACK_IMPORTED_MODULE_7__ = __webpack_require__(8673);
/* harmony import */ var _crypto_hash_js__WEBPACK_IMPORTED_MODULE_8__ = __webpack_require__(38959);
/* harmony import */ var _crypto_age_keys_js__WEBPACK_IMPORTED_MODULE_9__ = __webpack_require__(4954);
/* harmony import */ var _errors_js__WEBPACK_IMPORTED_MODULE_10__ = __webpack_require__(51222);
/* harmony import */ var _compression_js__WEBPACK_IMPORTED_MODULE_11__ = __webpack_require__(91597);
/* harmony import */ var _layout_js__WEBPACK_IMPORTED_MODULE_12__ = __webpack_require__(50721);
/* harmony import */ var _batching_js__WEBPACK_IMPORTED_MODULE_13__ = __webpack_require__(25031);
/* harmony import */ var _memory_pacer_js__WEBPACK_IMPORTED_MODULE_14__ = __webpack_require__(20526);
/**
 * The one storage pipeline every backup and restore shares.
 *
 * Write: source -> sha256 of the plaintext -> compression -> age -> sha256 of the stored
 * bytes -> backend, one stream with backpressure end to end (constant memory whatever the
 * size); the manifest goes last, once both hashes are known.
 * Read: backend -> stored sha256 check -> age -> decompression -> plaintext sha256 check.
 *
 * A backup job runs storeBackup, then verifyStoredBackup, and only then applyRetention
 * (retention.ts), which accepts nothing but a verified backup.
 */















/** Raised when stored or restored bytes are not the ones the manifest records. */
class BackupIntegrityError extends Error {
}
/** Encryption is the default; clear text only with the explicit opt-in, and said loudly. */
function planEncryption(options, what) {
    const recipients = (options.recipients ?? []).map((recipient) => recipient instanceof _crypto_age_js__WEBPACK_IMPORTED_MODULE_7__/* .X25519Recipient */ .K1 ? recipient : (0,_crypto_age_js__WEBPACK_IMPORTED_MODULE_7__/* .parseRecipients */ .q)([recipient])[0]);
    if (recipients.length > 0) {
        return { encryption: { method: "age", recipients: recipients.map(String) }, recipients };
    }
    if (!options.allowUnencrypted) {
        throw new _errors_js__WEBPACK_IMPORTED_MODULE_10__/* .ConfigurationError */ .j1(_crypto_age_keys_js__WEBPACK_IMPORTED_MODULE_9__/* .RECIPIENTS_FIELD */ .kq, `no age recipient was given for ${what}: backups are encrypted by default because a snapshot holds every Secret of the cluster; give at least one recipient (age1... from age-keygen), or allow unencrypted backups explicitly to store it in clear text.`);
    }
    options.logger.warning(`${what} is stored UNENCRYPTED because unencrypted backups were explicitly allowed: anyone who can read the destination can read every Secret in it. The manifest records this choice.`);
    return { encryption: { method: "none", allowUnencrypted: true }, recipients: [] };
}
function payloadFileName(baseName, compression, encrypted) {
    return (0,_layout_js__WEBPACK_IMPORTED_MODULE_12__/* .checkPayloadName */ .KC)(`${baseName}${(0,_compression_js__WEBPACK_IMPORTED_MODULE_11__/* .compressionSuffix */ .uy)(compression)}${encrypted ? ".age" : ""}`);
}
/**
 * Streams one backup to the store and writes its manifest last. On any failure nothing is
 * listed: the payload is removed (the backend cleans a failed upload, we remove a stored
 * payload whose manifest could not follow), and the error says which side failed.
 */
async function storeBackup(store, options) {
    const cluster = (0,_layout_js__WEBPACK_IMPORTED_MODULE_12__/* .checkClusterName */ .YN)(options.cluster);
    const kind = (0,_layout_js__WEBPACK_IMPORTED_MODULE_12__/* .parseBackupKind */ .uS)(options.kind);
    const createdAt = new Date(Math.floor((options.createdAt ?? new Date()).getTime() / 1000) * 1000);
    const timestamp = (0,_layout_js__WEBPACK_IMPORTED_MODULE_12__/* .formatTimestamp */ .Ey)(createdAt);
    const what = `the ${kind} backup of ${cluster} at ${timestamp}`;
    const compression = options.compression ?? "zstd";
    const plan = planEncryption(options, what);
    const payloadName = payloadFileName(options.payloadBaseName ?? (0,_layout_js__WEBPACK_IMPORTED_MODULE_12__/* .defaultPayloadBaseName */ .Ob)(kind), compression, plan.recipients.length > 0);
    const logger = options.logger;
    logger.info(`Storing ${what} to ${store.description} as ${payloadName} (compression ${compression}, ${plan.encryption.method === "age"
        ? `encrypted to ${plan.encryption.recipients.join(", ")}`
        : "NOT encrypted"}).`);
    const plaintext = new _crypto_hash_js__WEBPACK_IMPORTED_MODULE_8__/* .HashingStream */ .$K();
    const stored = new _crypto_hash_js__WEBPACK_IMPORTED_MODULE_8__/* .HashingStream */ .$K();
    const stages = [
        options.source,
        (0,_batching_js__WEBPACK_IMPORTED_MODULE_13__/* .createBatcher */ .C2)(),
        ...(0,_memory_pacer_js__WEBPACK_IMPORTED_MODULE_14__/* .memoryPacerStages */ .OR)(options.memoryPacingBytes),
        plaintext,
        (0,_compression_js__WEBPACK_IMPORTED_MODULE_11__/* .createCompressStream */ .rn)(compression),
    ];
    if (plan.recipients.length > 0)
        stages.push((0,_crypto_age_js__WEBPACK_IMPORTED_MODULE_7__/* .createAgeEncryptStream */ .x)(plan.recipients));
    stages.push(stored);
    const put = await streamToStore(store, stages, stored, { cluster, kind, timestamp, payloadName }, what, logger);
    const plaintextDigest = plaintext.digest();
    const storedDigest = stored.digest();
    if (put.storedBytes !== storedDigest.bytes) {
        await removeQuietly(store, put.location, logger);
        throw new BackupIntegrityError(`${store.description} reports ${put.storedBytes} bytes stored for ${what}, but the pipeline sent ${storedDigest.bytes}; the incomplete backup was removed.`);
    }
    let etcd = options.etcd;
    let pki;
    if (options.beforeManifest) {
        try {
            const facts = await options.beforeManifest(plaintextDigest);
            if (facts?.etcd)
                etcd = { ...etcd, ...facts.etcd };
            pki = facts?.pki;
        }
        catch (error) {
            await removeQuietly(store, put.location, logger);
            throw new BackupIntegrityError(`Verifying ${what} failed: ${(0,_errors_js__WEBPACK_IMPORTED_MODULE_10__/* .errorMessage */ .gJ)(error)} The stored payload was removed, so no unverified backup is listed.`, { cause: error });
        }
    }
    const manifest = (0,_manifest_js__WEBPACK_IMPORTED_MODULE_6__/* .buildManifest */ .u1)({
        cluster,
        kind,
        // A backend may move a backup to the next free second (another run took this one).
        createdAt: put.location.timestamp === timestamp ? createdAt : (0,_layout_js__WEBPACK_IMPORTED_MODULE_12__/* .parseTimestamp */ .EH)(put.location.timestamp),
        source: options.sourceInfo,
        etcd,
        ...(pki ? { pki } : {}),
        payloadName,
        compression,
        encryption: plan.encryption,
        plaintext: plaintextDigest,
        stored: storedDigest,
        ...(options.run ? { run: options.run } : {}),
    });
    try {
        await store.putManifest(put.location, (0,_manifest_js__WEBPACK_IMPORTED_MODULE_6__/* .serializeManifest */ .MZ)(manifest));
    }
    catch (error) {
        await removeQuietly(store, put.location, logger);
        throw new Error(`Writing the manifest of ${what} to ${put.location.uri} failed: ${(0,_errors_js__WEBPACK_IMPORTED_MODULE_10__/* .errorMessage */ .gJ)(error)}. The payload was removed, so no incomplete backup is listed.`, { cause: error });
    }
    logger.info(`Stored ${what} at ${put.location.uri}: ${plaintextDigest.bytes} bytes (sha256 ${plaintextDigest.sha256}) as ${storedDigest.bytes} stored bytes (sha256 ${storedDigest.sha256}).`);
    return { location: put.location, manifest };
}
/**
 * Runs the stages into the backend. Whichever side fails first names the error: stream
 * errors propagate to every stage, so the origin is the first stage that emitted one (the
 * last stage when the backend broke off its input), or the backend when no stream failed.
 */
async function streamToStore(store, stages, last, put, what, logger) {
    let origin;
    for (const stage of stages) {
        stage.on("error", (error) => {
            // A premature close is the echo of another stage's failure, never its origin.
            if (error.code === "ERR_STREAM_PREMATURE_CLOSE")
                return;
            origin ??= { side: stage === last ? "store" : "source", error };
        });
    }
    const streaming = (0,node_stream_promises__WEBPACK_IMPORTED_MODULE_5__.pipeline)(...stages).catch(() => undefined);
    let storeError;
    const storing = store
        .putPayload(put, last)
        .then((result) => {
        // A backend that returns before it read everything would leave the pipeline (and
        // whatever feeds it) waiting for a reader that is gone: that is its failure.
        if (!last.readableEnded) {
            throw new Error("it returned before it read all of the payload");
        }
        return result;
    })
        .catch((error) => {
        storeError = error;
        origin ??= { side: "store", error };
        // A backend that gave up without draining must not leave the pipeline waiting on it.
        last.destroy(error);
        return undefined;
    });
    const [, result] = await Promise.all([streaming, storing]);
    if (origin || !result) {
        const failure = origin ?? {
            side: "store",
            error: new Error("the backend returned no location"),
        };
        // A backend that claims success for a stream that failed must not keep the bytes.
        if (result)
            await removeQuietly(store, result.location, logger);
        const stage = failure.side === "source"
            ? `reading, hashing, compressing or encrypting the data failed: ${failure.error.message}`
            : `${store.description} failed: ${(storeError ?? failure.error).message}`;
        throw new Error(`Storing ${what} failed: ${stage}. No backup was listed for it.`, {
            cause: failure.error,
        });
    }
    return result;
}
async function removeQuietly(store, location, logger) {
    try {
        await store.delete(location);
    }
    catch (error) {
        logger.warning(`Could not remove the incomplete backup at ${location.uri}: ${(0,_errors_js__WEBPACK_IMPORTED_MODULE_10__/* .errorMessage */ .gJ)(error)}`);
    }
}
/** Finds a listed backup by its place; the manifest must agree with where it is stored. */
async function findBackup(store, place) {
    const listed = await store.list({ cluster: place.cluster, kind: place.kind });
    const entry = listed.find((candidate) => candidate.location.timestamp === place.timestamp);
    if (!entry) {
        const newest = listed[0]?.location.timestamp;
        throw new Error(`No complete ${place.kind} backup of ${place.cluster} at ${place.timestamp} in ${store.description}${newest ? `; the newest there is ${newest}` : "; there is none for this cluster and kind"}.`);
    }
    return { location: entry.location, manifest: checkedManifest(entry.location, entry.manifest) };
}
/** Parses a listed manifest and checks it describes the folder it sits in (moved or edited otherwise). */
function checkedManifest(location, data) {
    const manifest = (0,_manifest_js__WEBPACK_IMPORTED_MODULE_6__/* .parseManifest */ .Ng)(data, location.uri);
    const described = `${manifest.cluster}/${manifest.kind}/${manifest.timestamp}`;
    const actual = `${location.cluster}/${location.kind}/${location.timestamp}`;
    if (described !== actual) {
        throw new BackupIntegrityError(`The manifest at ${location.uri} describes backup ${described}, but it is stored as ${actual}: it was moved or edited; do not trust this backup without checking it by hand.`);
    }
    return manifest;
}
function mismatch(backup, what) {
    return (actual, expected) => new BackupIntegrityError(actual.bytes !== expected.bytes
        ? `The ${what} of ${backup.location.uri} is ${actual.bytes} bytes, but the manifest records ${expected.bytes}: it was ${actual.bytes < expected.bytes
            ? "truncated (an interrupted upload or download)"
            : "changed after it was written"}, or the manifest was edited.`
        : `The ${what} of ${backup.location.uri} has sha256 ${actual.sha256}, but the manifest records ${expected.sha256}: it was changed or damaged after it was written, or the manifest was edited.`);
}
/** Reads the stored bytes back and checks size and sha256 against the manifest; no identity needed. */
async function verifyStoredBackup(store, backup) {
    const payload = await store.getPayload(backup.location, backup.manifest.payload.name);
    await (0,node_stream_promises__WEBPACK_IMPORTED_MODULE_5__.pipeline)(payload, (0,_batching_js__WEBPACK_IMPORTED_MODULE_13__/* .createBatcher */ .C2)(), (0,_memory_pacer_js__WEBPACK_IMPORTED_MODULE_14__/* .createMemoryPacer */ .zl)(), new _crypto_hash_js__WEBPACK_IMPORTED_MODULE_8__/* .VerifyingStream */ .SC(backup.manifest.payload.stored, mismatch(backup, "stored payload")), new node_stream__WEBPACK_IMPORTED_MODULE_4__.Writable({ write: (_data, _encoding, done) => done() }));
    return backup;
}
/** Refuses identities that cannot open the backup, before anything is read or changed. */
function checkIdentities(backup, identities) {
    const encryption = backup.manifest.payload.encryption;
    if (encryption.method !== "age")
        return;
    if (identities.length === 0) {
        throw new Error(`The backup ${backup.location.uri} is encrypted to ${encryption.recipients.join(", ")}; give the age identity (AGE-SECRET-KEY-1...) of one of them to restore it.`);
    }
    const ours = identities.map((identity) => identity.recipient.toString());
    if (!ours.some((recipient) => encryption.recipients.includes(recipient))) {
        throw new Error(`None of the given age identities (for ${ours.join(", ")}) can decrypt ${backup.location.uri}: it is encrypted to ${encryption.recipients.join(", ")}.`);
    }
}
/**
 * Streams the plaintext of a backup into `destination`, checking the stored bytes and the
 * plaintext against the manifest. The check of the last bytes happens at the end: when
 * this rejects, whatever `destination` received must be thrown away (restoreBackupToFile
 * does that for files).
 */
async function readBackup(store, backup, destination, options) {
    const manifest = backup.manifest;
    checkIdentities(backup, options.identities ?? []);
    options.logger.info(`Reading backup ${backup.location.uri} (${manifest.payload.name}, ${manifest.payload.plaintext.bytes} bytes).`);
    const payload = await store.getPayload(backup.location, manifest.payload.name);
    const decompress = (0,_compression_js__WEBPACK_IMPORTED_MODULE_11__/* .createDecompressStream */ .mp)(manifest.payload.compression);
    let decompressError;
    decompress.once("error", (error) => (decompressError = error));
    const plaintext = new _crypto_hash_js__WEBPACK_IMPORTED_MODULE_8__/* .VerifyingStream */ .SC(manifest.payload.plaintext, mismatch(backup, "restored data"));
    const stages = [
        payload,
        (0,_batching_js__WEBPACK_IMPORTED_MODULE_13__/* .createBatcher */ .C2)(),
        (0,_memory_pacer_js__WEBPACK_IMPORTED_MODULE_14__/* .createMemoryPacer */ .zl)(),
        new _crypto_hash_js__WEBPACK_IMPORTED_MODULE_8__/* .VerifyingStream */ .SC(manifest.payload.stored, mismatch(backup, "stored payload")),
    ];
    if (manifest.payload.encryption.method === "age") {
        stages.push((0,_crypto_age_js__WEBPACK_IMPORTED_MODULE_7__/* .createAgeDecryptStream */ .PP)(options.identities ?? [], `backup ${backup.location.uri}`));
    }
    stages.push(decompress, plaintext, destination);
    try {
        await (0,node_stream_promises__WEBPACK_IMPORTED_MODULE_5__.pipeline)(...stages);
    }
    catch (error) {
        if (error instanceof BackupIntegrityError || error instanceof _crypto_age_js__WEBPACK_IMPORTED_MODULE_7__/* .AgeDecryptionError */ .fv)
            throw error;
        if (error === decompressError) {
            throw new BackupIntegrityError(`Decompressing (${manifest.payload.compression}) the payload of ${backup.location.uri} failed: ${(0,_errors_js__WEBPACK_IMPORTED_MODULE_10__/* .errorMessage */ .gJ)(error)}; the payload is damaged.`, { cause: error });
        }
        throw new Error(`Reading backup ${backup.location.uri} failed: ${(0,_errors_js__WEBPACK_IMPORTED_MODULE_10__/* .errorMessage */ .gJ)(error)}`, {
            cause: error,
        });
    }
    return plaintext.digest();
}
/**
 * Restores a backup's plaintext to a file: written under a temporary name beside it and
 * renamed only once every check passed, so a bad backup never leaves a plausible file.
 */
async function restoreBackupToFile(store, backup, path, options) {
    const partial = (0,node_path__WEBPACK_IMPORTED_MODULE_3__.join)((0,node_path__WEBPACK_IMPORTED_MODULE_3__.dirname)(path), `.${(0,node_path__WEBPACK_IMPORTED_MODULE_3__.basename)(path)}.partial-${(0,node_crypto__WEBPACK_IMPORTED_MODULE_0__.randomBytes)(6).toString("hex")}`);
    try {
        const digest = await readBackup(store, backup, (0,node_fs__WEBPACK_IMPORTED_MODULE_1__.createWriteStream)(partial, { flags: "wx", flush: true }), options);
        await (0,node_fs_promises__WEBPACK_IMPORTED_MODULE_2__.rename)(partial, path);
        return digest;
    }
    finally {
        await (0,node_fs_promises__WEBPACK_IMPORTED_MODULE_2__.rm)(partial, { force: true });
    }
}
/**
 * The newest backup of a cluster and kind whose stored bytes still match its manifest. A
 * newer one that does not verify is never skipped silently: the error names it and the next
 * candidate, so that choosing an older backup stays the operator's decision.
 */
async function findNewestVerifiedBackup(store, place) {
    const { backup, next } = await newestListed(store, place);
    try {
        return await verifyStoredBackup(store, backup);
    }
    catch (error) {
        throw new BackupIntegrityError(`The newest ${place.kind} backup of ${place.cluster}, ${backup.location.uri}, does not verify: ${(0,_errors_js__WEBPACK_IMPORTED_MODULE_10__/* .errorMessage */ .gJ)(error)} ${next
            ? `The next candidate is ${next}: give its URI as the backup input to use it (an older backup stays your choice).`
            : "There is no older backup."}`, { cause: error });
    }
}
/**
 * The newest backup of a cluster and kind, its manifest checked but its payload not read:
 * for a reader that verifies the payload as it reads it anyway (the restore drill).
 */
async function findNewestBackup(store, place) {
    return (await newestListed(store, place)).backup;
}
async function newestListed(store, place) {
    const listed = await store.list({ cluster: place.cluster, kind: place.kind });
    const newest = listed[0];
    if (!newest) {
        throw new Error(`There is no complete ${place.kind} backup of ${place.cluster} in ${store.description}.`);
    }
    const backup = {
        location: newest.location,
        manifest: checkedManifest(newest.location, newest.manifest),
    };
    const next = listed[1]?.location.uri;
    return next ? { backup, next } : { backup };
}


/***/ }),

/***/ 17925:
/***/ ((__unused_webpack___webpack_module__, __webpack_exports__, __webpack_require__) => {

/* harmony export */ __webpack_require__.d(__webpack_exports__, {
/* harmony export */   M: () => (/* binding */ parseRetentionPolicy),
/* harmony export */   d: () => (/* binding */ applyRetention)
/* harmony export */ });
/* harmony import */ var _errors_js__WEBPACK_IMPORTED_MODULE_0__ = __webpack_require__(51222);
/* harmony import */ var _redact_js__WEBPACK_IMPORTED_MODULE_1__ = __webpack_require__(79148);
/* harmony import */ var _layout_js__WEBPACK_IMPORTED_MODULE_2__ = __webpack_require__(50721);
/* harmony import */ var _pipeline_js__WEBPACK_IMPORTED_MODULE_3__ = __webpack_require__(86473);
/**
 * Retention per cluster and kind: keep-last-N and max-age, two independent limits (a backup
 * goes when it is beyond the newest N, or older than the max age). It runs only after a new
 * backup was stored and verified (it takes nothing else), never deletes that backup nor the
 * newest good one, leaves alone anything whose manifest it cannot read, and reports each
 * deletion.
 */




const UNITS = { m: 60_000, h: 3_600_000, d: 86_400_000, w: 7 * 86_400_000 };
/** Parses the inputs as a user writes them: keep-last "7", max-age "30d" (m, h, d, w); empty means no limit. */
function parseRetentionPolicy(input) {
    const policy = {};
    const keepLast = input.keepLast?.trim();
    if (keepLast) {
        if (!/^\d+$/.test(keepLast) || Number(keepLast) < 1) {
            throw new _errors_js__WEBPACK_IMPORTED_MODULE_0__/* .ConfigurationError */ .j1("keepLast", `the retention keep-last ${(0,_redact_js__WEBPACK_IMPORTED_MODULE_1__/* .quoteValue */ .cl)(input.keepLast ?? "")} is not valid; expected a whole number of 1 or more (the newest backup is always kept).`);
        }
        policy.keepLast = Number(keepLast);
    }
    const maxAge = input.maxAge?.trim();
    if (maxAge) {
        const match = /^(\d+)\s*([mhdw])$/.exec(maxAge);
        if (!match || Number(match[1]) < 1) {
            throw new _errors_js__WEBPACK_IMPORTED_MODULE_0__/* .ConfigurationError */ .j1("maxAge", `the retention max-age ${(0,_redact_js__WEBPACK_IMPORTED_MODULE_1__/* .quoteValue */ .cl)(input.maxAge ?? "")} is not valid; expected a number and a unit m, h, d or w, such as 30d.`);
        }
        policy.maxAgeMs = Number(match[1]) * UNITS[match[2]];
    }
    return policy;
}
/** node-pki backups are kept per node (the manifest's source.node); every other kind is one series. */
function seriesOf(manifest) {
    return manifest.kind === "node-pki" ? (manifest.source.node ?? "") : "";
}
function describePolicy(policy) {
    const parts = [];
    if (policy.keepLast !== undefined)
        parts.push(`keep the last ${policy.keepLast}`);
    if (policy.maxAgeMs !== undefined)
        parts.push(`delete after ${Math.round(policy.maxAgeMs / 3_600_000)} h`);
    return parts.join(", ") || "no limit";
}
async function applyRetention(store, newBackup, policy, options) {
    if (policy.keepLast !== undefined &&
        (!Number.isSafeInteger(policy.keepLast) || policy.keepLast < 1)) {
        throw new Error(`The retention keep-last ${policy.keepLast} is not valid; expected a whole number of 1 or more.`);
    }
    const { cluster, kind } = newBackup.location;
    const logger = options.logger;
    const now = (options.now ?? new Date()).getTime();
    const listed = await store.list({ cluster, kind });
    const result = { deleted: [], kept: [], skipped: [] };
    const good = [];
    const series = seriesOf(newBackup.manifest);
    for (const entry of listed) {
        try {
            const manifest = (0,_pipeline_js__WEBPACK_IMPORTED_MODULE_3__/* .checkedManifest */ .ld)(entry.location, entry.manifest);
            // Another node's archives are another series: each node keeps its own last N.
            if (seriesOf(manifest) !== series)
                continue;
            good.push(entry.location);
        }
        catch (error) {
            result.skipped.push({ location: entry.location, reason: error.message });
            logger.warning(`Retention leaves ${entry.location.uri} alone: ${error.message}`);
        }
    }
    if (!good.some((location) => location.timestamp === newBackup.location.timestamp)) {
        throw new Error(`Retention for ${cluster}/${kind} stopped before deleting anything: the new backup ${newBackup.location.uri} is not listed in ${store.description}.`);
    }
    const newest = good[0];
    const doomed = good.filter((location, index) => {
        if (location.timestamp === newBackup.location.timestamp || location === newest)
            return false;
        const beyondCount = policy.keepLast !== undefined && index >= policy.keepLast;
        const tooOld = policy.maxAgeMs !== undefined &&
            now - (0,_layout_js__WEBPACK_IMPORTED_MODULE_2__/* .parseTimestamp */ .EH)(location.timestamp).getTime() > policy.maxAgeMs;
        return beyondCount || tooOld;
    });
    result.kept = good.filter((location) => !doomed.includes(location));
    const of = series ? `${cluster}/${kind} of node ${series}` : `${cluster}/${kind}`;
    logger.info(`Retention for ${of} (${describePolicy(policy)}): ${good.length} backups, deleting ${doomed.length}.`);
    const failures = [];
    for (const location of doomed) {
        try {
            await store.delete(location);
            result.deleted.push(location);
            logger.info(`Deleted old backup ${location.uri}`);
        }
        catch (error) {
            failures.push(`${location.uri}: ${error.message}`);
        }
    }
    if (failures.length > 0) {
        throw new Error(`Retention for ${cluster}/${kind} deleted ${result.deleted.length} backup(s) (${result.deleted.map((location) => location.uri).join(", ") || "none"}) but could not delete ${failures.length}: ${failures.join("; ")}.`);
    }
    return result;
}


/***/ })

};
