export const id = 338;
export const ids = [338];
export const modules = {

/***/ 48338:
/***/ ((__unused_webpack___webpack_module__, __webpack_exports__, __webpack_require__) => {

// ESM COMPAT FLAG
__webpack_require__.r(__webpack_exports__);

// EXPORTS
__webpack_require__.d(__webpack_exports__, {
  registerDrillCommands: () => (/* binding */ registerDrillCommands)
});

// EXTERNAL MODULE: ./.build/compile/src/core/audit/drill-summary.js
var drill_summary = __webpack_require__(56229);
;// CONCATENATED MODULE: ./.build/compile/src/core/kube/names.js
/**
 * The shapes Kubernetes accepts for the names a user gives the procedures (a namespace for
 * the drill pods, an image for utility pods), checked before anything is made in a cluster:
 * the action's inputs and the CLI's flags share them, so both refuse the same values.
 */
/** A DNS-1123 label, what a namespace name must be. */
function isNamespaceName(text) {
    return /^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/.test(text);
}
/** An image reference: repository path, optional tag, optional sha256 digest. */
function isImageReference(text) {
    return /^[a-z0-9][a-z0-9._\-/]*(:[\w][\w.-]*)?(@sha256:[0-9a-f]{64})?$/i.test(text);
}

// EXTERNAL MODULE: ./.build/compile/src/core/log/logger.js
var log_logger = __webpack_require__(35470);
// EXTERNAL MODULE: ./.build/compile/src/core/run-context.js
var run_context = __webpack_require__(15470);
// EXTERNAL MODULE: ./.build/compile/src/core/storage/destination.js + 1 modules
var storage_destination = __webpack_require__(52989);
// EXTERNAL MODULE: ./.build/compile/src/cli/backup.js
var backup = __webpack_require__(1676);
// EXTERNAL MODULE: ./.build/compile/src/cli/cancel.js + 2 modules
var cancel = __webpack_require__(99226);
// EXTERNAL MODULE: ./.build/compile/src/cli/identity-file.js
var identity_file = __webpack_require__(76147);
;// CONCATENATED MODULE: ./.build/compile/src/cli/drill.js








function registerDrillCommands(program) {
    program
        .command("drill")
        .description("Restore drill: restore each cluster's newest backup into a throwaway etcd in memory on one of its etcd nodes and prove it against the manifest; the live cluster is not touched.")
        .option("--kubeconfig <path>", "the admin cluster's kubeconfig (default: $KUBECONFIG)")
        .option("--cluster <name>", "all (default), admin, or a user cluster; repeatable", backup.repeatable)
        .option("--backup <uri|latest>", "a backup URI as the backup printed it, or latest", "latest")
        .option("--destination <uri>", "where latest looks: file:///folder or s3://bucket/prefix")
        .option("--identity-file <path>", "the age identity file (AGE-SECRET-KEY-1...)")
        .option("--namespace <name>", "of the drill pods (default: each cluster's own)")
        .option("--utility-image <image>", "the drill pod's image (default: the cluster's etcd image)")
        .option("--fail-if-older-than <age>", "fail a newest backup older than this, e.g. 26h")
        .option("--s3-endpoint <url>", "an S3-compatible endpoint (MinIO...); path-style URLs")
        .option("-o, --output <format>", "table for people, json for scripts", "table")
        .exitOverride(backup.exitOnUsageError)
        .action(async (flags) => {
        process.exitCode = await drillCommand(flags, process.env);
    });
}
async function drillCommand(flags, env) {
    const logger = (0,log_logger/* consoleLogger */.k)();
    let request;
    try {
        request = await parseDrillFlags(flags, env);
    }
    catch (error) {
        process.stderr.write(`error: ${(0,backup.cliMessage)(error)}\n`);
        return backup.EXIT_BAD_FLAG;
    }
    const { runRestoreDrill } = await Promise.all(/* import() */[__webpack_require__.e(205), __webpack_require__.e(772), __webpack_require__.e(248), __webpack_require__.e(75)]).then(__webpack_require__.bind(__webpack_require__, 40075));
    const { findBackup } = await Promise.resolve(/* import() */).then(__webpack_require__.bind(__webpack_require__, 86473));
    try {
        const config = await (0,backup.loadKubeconfigFlag)(request.kubeconfigPath);
        const results = await (0,cancel/* runUntilSignalled */.Z)(logger, async ({ signal, cleanups }) => {
            const context = (0,run_context/* runContextFromEnvironment */.aD)(env);
            const store = await (0,backup.openStoreFor)({
                destination: request.backupUri?.destination ?? request.destination,
                s3Endpoint: request.s3Endpoint,
            }, logger, context);
            return runRestoreDrill({
                config,
                clusters: request.backupUri ? [request.backupUri.cluster] : request.clusters,
                store,
                ...(request.backupUri ? { backup: await findBackup(store, request.backupUri) } : {}),
                identities: request.identities,
                ...(request.namespace ? { namespace: request.namespace } : {}),
                ...(request.utilityImage ? { utilityImage: request.utilityImage } : {}),
                ...(request.maxAgeMs !== undefined ? { failIfOlderThanMs: request.maxAgeMs } : {}),
                logger,
                signal,
                cleanups,
                workDir: context.tempDir,
            });
        });
        process.stdout.write(request.output === "json"
            ? `${JSON.stringify(results.map(({ steps: _steps, ...facts }) => facts), null, 2)}\n`
            : `${results
                .map((result) => `${result.result.padEnd(7)} ${result.cluster.padEnd(12)} ${result.backup || "-"}${result.ageSeconds !== undefined ? ` (${(0,drill_summary/* formatAge */.nV)(result.ageSeconds)} old)` : ""}${result.result === "passed" ? `: revision ${result.revision}, ${result.keys} keys` : `: ${result.error}`}`)
                .join("\n")}\n`);
        const failed = results.filter((result) => result.result === "failed");
        if (failed.length) {
            logger.error(`The restore drill failed for ${failed.map((result) => result.cluster).join(", ")}.`);
            return backup.EXIT_FAILED;
        }
        return 0;
    }
    catch (error) {
        const message = (0,backup.cliMessage)(error);
        logger.error(message);
        return error instanceof backup.FlagError || /^--/.test(message) ? backup.EXIT_BAD_FLAG : backup.EXIT_FAILED;
    }
}
/** Every flag checked before anything is read from a cluster or a destination. */
async function parseDrillFlags(flags, env) {
    (0,backup.refuseSecretsInFlags)(flags);
    const kubeconfigPath = (0,backup.kubeconfigPathFrom)(flags.kubeconfig, env.KUBECONFIG);
    if (!["table", "json"].includes(flags.output)) {
        throw new backup.FlagError("--output: expected table or json.");
    }
    const clusters = flags.cluster?.length ? flags.cluster : ["all"];
    let backupUri;
    let destination;
    if (flags.backup !== "latest") {
        backupUri = (0,backup.checkedFlag)("--backup", () => (0,storage_destination/* parseBackupUri */.iM)(flags.backup));
        if (flags.cluster?.length && (clusters.length > 1 || clusters[0] !== backupUri.cluster)) {
            throw new backup.FlagError(`--backup is a backup of ${backupUri.cluster}, but --cluster is ${clusters.join(", ")}: give that one cluster, or none.`);
        }
    }
    else {
        if (!flags.destination) {
            throw new backup.FlagError("--destination is required with --backup latest: expected file:///folder or s3://bucket/prefix.");
        }
        destination = (0,backup.checkedFlag)("--destination", () => (0,storage_destination/* parseDestination */.G2)(flags.destination));
        if (destination.type === "artifact") {
            throw new backup.FlagError("--destination artifact works only in the etcd-restore-drill action; from a terminal, use file:///absolute/folder or s3://bucket/prefix.");
        }
    }
    const maxAgeMs = flags.failIfOlderThan ? (0,drill_summary/* parseAge */.F1)(flags.failIfOlderThan) : undefined;
    if (flags.failIfOlderThan && maxAgeMs === undefined) {
        throw new backup.FlagError(`--fail-if-older-than is "${flags.failIfOlderThan}": expected a whole number and a unit, s, m, h or d, such as 26h.`);
    }
    if (flags.namespace !== undefined && !isNamespaceName(flags.namespace)) {
        throw new backup.FlagError("--namespace is not a namespace name: expected lower-case letters, digits and '-', e.g. etcd-drills (or leave it out for each cluster's own namespace).");
    }
    if (flags.utilityImage !== undefined && !isImageReference(flags.utilityImage)) {
        throw new backup.FlagError("--utility-image is not an image reference: expected e.g. gcr.io/gke-on-prem-release/etcd:v3.4.13-0-gke.0 (or leave it out for the cluster's own etcd image).");
    }
    const identities = flags.identityFile ? await (0,identity_file/* readIdentityFile */.P)(flags.identityFile) : [];
    return {
        kubeconfigPath,
        clusters,
        backupUri,
        destination: destination,
        identities,
        namespace: flags.namespace,
        utilityImage: flags.utilityImage,
        maxAgeMs,
        ...(0,backup.s3EndpointFlag)(flags.s3Endpoint),
        output: flags.output,
    };
}


/***/ }),

/***/ 76147:
/***/ ((__unused_webpack___webpack_module__, __webpack_exports__, __webpack_require__) => {

/* harmony export */ __webpack_require__.d(__webpack_exports__, {
/* harmony export */   P: () => (/* binding */ readIdentityFile)
/* harmony export */ });
/* harmony import */ var node_fs_promises__WEBPACK_IMPORTED_MODULE_0__ = __webpack_require__(51455);
/* harmony import */ var _core_crypto_age_js__WEBPACK_IMPORTED_MODULE_1__ = __webpack_require__(8673);
/* harmony import */ var _backup_js__WEBPACK_IMPORTED_MODULE_2__ = __webpack_require__(1676);
/**
 * `--identity-file` of the CLI's restore and drill: the age identities read from a file,
 * one clear error when it cannot be read or holds none. The file's content never appears in
 * an error (it is a private key).
 */



async function readIdentityFile(path) {
    const text = await (0,node_fs_promises__WEBPACK_IMPORTED_MODULE_0__.readFile)(path, "utf8").catch((error) => {
        throw new _backup_js__WEBPACK_IMPORTED_MODULE_2__.FlagError(`--identity-file: cannot read ${path} (${error.code ?? "error"}); expected an age identity file.`);
    });
    return (0,_backup_js__WEBPACK_IMPORTED_MODULE_2__.checkedFlag)("--identity-file", () => {
        const parsed = (0,_core_crypto_age_js__WEBPACK_IMPORTED_MODULE_1__/* .parseIdentities */ .go)(text);
        if (parsed.length === 0)
            throw new Error("no identity found");
        return parsed;
    });
}


/***/ }),

/***/ 56229:
/***/ ((__unused_webpack___webpack_module__, __webpack_exports__, __webpack_require__) => {

/* harmony export */ __webpack_require__.d(__webpack_exports__, {
/* harmony export */   F1: () => (/* binding */ parseAge),
/* harmony export */   nV: () => (/* binding */ formatAge)
/* harmony export */ });
/* unused harmony export drillSummaryMarkdown */
/**
 * The restore drill's job summary: one row per cluster, failures first (the row an operator
 * must act on is the one seen first), each failure's sentence in full below the table.
 */

function drillSummaryMarkdown(rows, runUrl) {
    const failed = rows.filter((row) => row.result === "failed");
    const ordered = [...failed, ...rows.filter((row) => row.result !== "failed")];
    const title = failed.length
        ? `etcd restore drill: ${failed.length} of ${rows.length} failed`
        : `etcd restore drill: ${rows.length} passed`;
    const lines = [
        `### ${title}`,
        "",
        "| cluster | result | backup | age | revision | keys | resources | db size | restore | start |",
        "| --- | --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
        ...ordered
            .map((row) => [
            row.cluster,
            row.result === "passed" ? "✅ passed" : "❌ failed",
            row.backup ? `\`${row.backup}\`` : "none",
            row.ageSeconds === undefined ? "" : formatAge(row.ageSeconds),
            row.revision ?? "",
            row.keys ?? "",
            row.resources ?? "",
            row.dbSize === undefined ? "" : formatBytes(row.dbSize),
            seconds(row.restoreMs),
            seconds(row.startMs),
        ]
            .map((cell) => String(cell).replace(/\|/g, "\\|"))
            .join(" | "))
            .map((line) => `| ${line} |`),
    ];
    for (const row of failed) {
        lines.push("", `**${row.cluster}:** ${(row.error ?? "failed").replace(/\n/g, " ")}`);
    }
    if (runUrl)
        lines.push("", `[This run](${runUrl})`);
    return lines.join("\n");
}
function seconds(ms) {
    return ms === undefined ? "" : `${(ms / 1000).toFixed(1)} s`;
}
/** `40 s`, `12 min`, `27 h`, `3 d 4 h`. */
function formatAge(seconds) {
    if (seconds < 120)
        return `${Math.round(seconds)} s`;
    if (seconds < 7200)
        return `${Math.round(seconds / 60)} min`;
    if (seconds < 172_800)
        return `${Math.round(seconds / 3600)} h`;
    return `${Math.floor(seconds / 86_400)} d ${Math.round((seconds % 86_400) / 3600)} h`;
}
/** `26h`, `90m`, `2d`, `3600s` -> milliseconds; undefined for anything else. */
function parseAge(text) {
    const match = /^(\d{1,6})\s*(s|m|h|d)$/.exec(text.trim());
    if (!match)
        return undefined;
    const unit = { s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 }[match[2]];
    const ms = Number(match[1]) * unit;
    return ms > 0 ? ms : undefined;
}


/***/ })

};
