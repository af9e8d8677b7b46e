export const id = 994;
export const ids = [994];
export const modules = {

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

/***/ 95156:
/***/ ((__unused_webpack___webpack_module__, __webpack_exports__, __webpack_require__) => {

/* harmony export */ __webpack_require__.d(__webpack_exports__, {
/* harmony export */   Ju: () => (/* binding */ backupUriFlag),
/* harmony export */   Y4: () => (/* binding */ revisionBumpFlag),
/* harmony export */   aw: () => (/* binding */ cliAudit),
/* harmony export */   mR: () => (/* binding */ stepLines),
/* harmony export */   oV: () => (/* binding */ terminalOwner)
/* harmony export */ });
/* harmony import */ var node_os__WEBPACK_IMPORTED_MODULE_0__ = __webpack_require__(48161);
/* harmony import */ var _core_storage_destination_js__WEBPACK_IMPORTED_MODULE_1__ = __webpack_require__(52989);
/* harmony import */ var _backup_js__WEBPACK_IMPORTED_MODULE_2__ = __webpack_require__(1676);
/**
 * The flags and the result printing the restore commands share (restore-ha, admin-restore and
 * its --undo, drill): one wording for one flag, whichever command takes it.
 */



/** `flag` (a backup URI), checked to name a `kind` backup of `cluster`; `wanted` says which, in words. */
function backupUriFlag(flag, text, want) {
    const uri = (0,_backup_js__WEBPACK_IMPORTED_MODULE_2__.checkedFlag)(flag, () => (0,_core_storage_destination_js__WEBPACK_IMPORTED_MODULE_1__/* .parseBackupUri */ .iM)(text));
    if (uri.cluster !== want.cluster || uri.kind !== want.kind) {
        throw new _backup_js__WEBPACK_IMPORTED_MODULE_2__.FlagError(`${flag} is a ${uri.kind} backup of ${uri.cluster}, not ${want.wanted}.`);
    }
    return uri;
}
/** --revision-bump: auto, none, or a whole number of revisions (at least 1). */
function revisionBumpFlag(text) {
    if (text === "auto" || text === "none")
        return text;
    if (/^\d+$/.test(text) && Number(text) >= 1)
        return Number(text);
    throw new _backup_js__WEBPACK_IMPORTED_MODULE_2__.FlagError("--revision-bump: expected auto, none, or a whole number of revisions.");
}
/** Who holds the lock (or the node's journal) while a terminal runs a restore. */
function terminalOwner() {
    return `terminal ${(0,node_os__WEBPACK_IMPORTED_MODULE_0__.hostname)()} pid ${process.pid}`;
}
/** The restore record's who and where: the Actions run if there is one, else user@host. */
function cliAudit(context) {
    return {
        actor: context.run?.actor || `${(0,node_os__WEBPACK_IMPORTED_MODULE_0__.userInfo)().username}@${(0,node_os__WEBPACK_IMPORTED_MODULE_0__.hostname)()}`,
        via: "cli",
        ...(context.run?.url ? { runUrl: context.run.url } : {}),
    };
}
/** A restore's steps as a terminal shows them, one per line, then `last` (the outcome line). */
function stepLines(steps, last) {
    return `${steps.map((step) => `${step.outcome.padEnd(8)} ${step.step}${step.detail ? `: ${step.detail}` : ""}`).join("\n")}\n${last}\n`;
}


/***/ }),

/***/ 3994:
/***/ ((__unused_webpack___webpack_module__, __webpack_exports__, __webpack_require__) => {

__webpack_require__.r(__webpack_exports__);
/* harmony export */ __webpack_require__.d(__webpack_exports__, {
/* harmony export */   registerRestoreCommands: () => (/* binding */ registerRestoreCommands)
/* harmony export */ });
/* harmony import */ var _core_etcd_profiles_js__WEBPACK_IMPORTED_MODULE_0__ = __webpack_require__(71848);
/* harmony import */ var _core_log_logger_js__WEBPACK_IMPORTED_MODULE_7__ = __webpack_require__(35470);
/* harmony import */ var _core_run_context_js__WEBPACK_IMPORTED_MODULE_1__ = __webpack_require__(15470);
/* harmony import */ var _procedures_utility_image_js__WEBPACK_IMPORTED_MODULE_2__ = __webpack_require__(36260);
/* harmony import */ var _backup_js__WEBPACK_IMPORTED_MODULE_3__ = __webpack_require__(1676);
/* harmony import */ var _cancel_js__WEBPACK_IMPORTED_MODULE_4__ = __webpack_require__(99226);
/* harmony import */ var _identity_file_js__WEBPACK_IMPORTED_MODULE_5__ = __webpack_require__(76147);
/* harmony import */ var _restore_flags_js__WEBPACK_IMPORTED_MODULE_6__ = __webpack_require__(95156);








function registerRestoreCommands(program) {
    program
        .command("restore-ha")
        .description("Restore a user cluster's etcd (kube-etcd, HA or single member) from a backup, or undo the last restore: verified and restored while the cluster runs, members stopped before the swap, old data kept.")
        .option("--kubeconfig <path>", "the admin cluster's kubeconfig (default: $KUBECONFIG)")
        .option("--cluster <name>", "the user cluster (its namespace in the admin cluster)")
        .option("--backup <uri|latest>", "a backup URI as the backup printed it, or latest", "latest")
        .option("--destination <uri>", "where latest looks: file:///folder or s3://bucket/prefix")
        .option("--identity-file <path>", "the age identity file (AGE-SECRET-KEY-1...)")
        .option("--confirm <name>", "the cluster's name again: nothing changes without it")
        .option("--utility-image <image>", "the utility pods' image (default: the cluster's etcd image)")
        .option("--gke-on-prem-version <version>", "the cluster's Anthos version: the runbook's etcd-util image when its etcd image has no shell")
        .option("--revision-bump <auto|none|N>", "bump the restored revision when the tool can", "auto")
        .option("--s3-endpoint <url>", "an S3-compatible endpoint (MinIO...); path-style URLs")
        .option("--undo", "put the newest pre-restore data back instead of restoring")
        .option("--dry-run", "print the plan and run only its reading steps; change nothing")
        .option("-o, --output <format>", "table for people, json for scripts", "table")
        .exitOverride(_backup_js__WEBPACK_IMPORTED_MODULE_3__.exitOnUsageError)
        .action(async (flags) => {
        process.exitCode = await restoreCommand(flags, process.env);
    });
}
async function restoreCommand(flags, env) {
    const logger = (0,_core_log_logger_js__WEBPACK_IMPORTED_MODULE_7__/* .consoleLogger */ .k)();
    let request;
    try {
        request = await parseRestoreFlags(flags, env);
    }
    catch (error) {
        process.stderr.write(`error: ${(0,_backup_js__WEBPACK_IMPORTED_MODULE_3__.cliMessage)(error)}\n`);
        return _backup_js__WEBPACK_IMPORTED_MODULE_3__.EXIT_BAD_FLAG;
    }
    const { runEtcdRestore, runEtcdUndo } = await Promise.all(/* import() */[__webpack_require__.e(772), __webpack_require__.e(77)]).then(__webpack_require__.bind(__webpack_require__, 94077));
    const { findBackup, findNewestVerifiedBackup } = await Promise.resolve(/* import() */).then(__webpack_require__.bind(__webpack_require__, 86473));
    try {
        const config = await (0,_backup_js__WEBPACK_IMPORTED_MODULE_3__.loadKubeconfigFlag)(request.kubeconfigPath);
        const common = {
            config,
            owner: (0,_restore_flags_js__WEBPACK_IMPORTED_MODULE_6__/* .terminalOwner */ .oV)(),
            cluster: request.cluster,
            dryRun: request.dryRun,
            logger,
            ...(request.confirm ? { confirm: request.confirm } : {}),
            ...(request.utilityImage ? { utilityImage: request.utilityImage } : {}),
            ...(request.gkeOnPremVersion ? { gkeOnPremVersion: request.gkeOnPremVersion } : {}),
        };
        const result = await (0,_cancel_js__WEBPACK_IMPORTED_MODULE_4__/* .runUntilSignalled */ .Z)(logger, async ({ signal }) => {
            if (request.undo)
                return runEtcdUndo({ ...common, signal });
            const context = (0,_core_run_context_js__WEBPACK_IMPORTED_MODULE_1__/* .runContextFromEnvironment */ .aD)(env);
            const destination = request.backupUri?.destination ?? request.destination;
            const store = await (0,_backup_js__WEBPACK_IMPORTED_MODULE_3__.openStoreFor)({ destination, s3Endpoint: request.s3Endpoint }, logger, context);
            const backup = request.backupUri
                ? await findBackup(store, request.backupUri)
                : await findNewestVerifiedBackup(store, { cluster: request.cluster, kind: "user-etcd" });
            return runEtcdRestore({
                ...common,
                signal,
                store,
                backup,
                identities: request.identities,
                revisionBump: request.revisionBump,
                audit: (0,_restore_flags_js__WEBPACK_IMPORTED_MODULE_6__/* .cliAudit */ .aw)(context),
            });
        });
        const { steps, ...facts } = result;
        process.stdout.write(request.output === "json"
            ? `${JSON.stringify(result, null, 2)}\n`
            : (0,_restore_flags_js__WEBPACK_IMPORTED_MODULE_6__/* .stepLines */ .mR)(steps, `${facts.outcome}: ${facts.cluster}${facts.error ? ` (${facts.error})` : ""}`));
        if (result.outcome === "failed") {
            logger.error(`The ${request.undo ? "undo" : "restore"} of ${request.cluster} failed: ${(0,_backup_js__WEBPACK_IMPORTED_MODULE_3__.cliMessage)(result.error)}`);
            return _backup_js__WEBPACK_IMPORTED_MODULE_3__.EXIT_FAILED;
        }
        return 0;
    }
    catch (error) {
        const message = (0,_backup_js__WEBPACK_IMPORTED_MODULE_3__.cliMessage)(error);
        logger.error(message);
        return error instanceof _backup_js__WEBPACK_IMPORTED_MODULE_3__.FlagError || /^--/.test(message) ? _backup_js__WEBPACK_IMPORTED_MODULE_3__.EXIT_BAD_FLAG : _backup_js__WEBPACK_IMPORTED_MODULE_3__.EXIT_FAILED;
    }
}
/** Every flag checked before anything is read from a cluster or a destination. */
async function parseRestoreFlags(flags, env) {
    (0,_backup_js__WEBPACK_IMPORTED_MODULE_3__.refuseSecretsInFlags)(flags);
    const kubeconfigPath = (0,_backup_js__WEBPACK_IMPORTED_MODULE_3__.kubeconfigPathFrom)(flags.kubeconfig, env.KUBECONFIG);
    const cluster = flags.cluster?.trim() ?? "";
    if (!cluster || cluster === "admin" || !(0,_core_etcd_profiles_js__WEBPACK_IMPORTED_MODULE_0__/* .isValidClusterName */ .oO)(cluster)) {
        throw new _backup_js__WEBPACK_IMPORTED_MODULE_3__.FlagError("--cluster is required: expected a user cluster's name (its namespace in the admin cluster), such as uc1.");
    }
    if (!["table", "json"].includes(flags.output)) {
        throw new _backup_js__WEBPACK_IMPORTED_MODULE_3__.FlagError("--output: expected table or json.");
    }
    const undo = Boolean(flags.undo);
    const dryRun = Boolean(flags.dryRun);
    let backupUri;
    let destination;
    if (!undo && flags.backup !== "latest") {
        backupUri = (0,_restore_flags_js__WEBPACK_IMPORTED_MODULE_6__/* .backupUriFlag */ .Ju)("--backup", flags.backup, {
            cluster,
            kind: "user-etcd",
            wanted: `a user-etcd backup of ${cluster}`,
        });
    }
    else if (!undo) {
        if (!flags.destination) {
            throw new _backup_js__WEBPACK_IMPORTED_MODULE_3__.FlagError("--destination is required with --backup latest: expected file:///folder or s3://bucket/prefix.");
        }
        destination = (0,_backup_js__WEBPACK_IMPORTED_MODULE_3__.terminalDestinationFlag)(flags.destination, env);
    }
    const revisionBump = (0,_restore_flags_js__WEBPACK_IMPORTED_MODULE_6__/* .revisionBumpFlag */ .Y4)(flags.revisionBump);
    let identities = [];
    if (!undo && flags.identityFile) {
        identities = await (0,_identity_file_js__WEBPACK_IMPORTED_MODULE_5__/* .readIdentityFile */ .P)(flags.identityFile);
    }
    else if (!undo && !dryRun) {
        throw new _backup_js__WEBPACK_IMPORTED_MODULE_3__.FlagError("--identity-file is required to restore an encrypted backup: the age identity (AGE-SECRET-KEY-1...) of one of its recipients.");
    }
    return {
        kubeconfigPath,
        cluster,
        undo,
        dryRun,
        backupUri,
        destination,
        identities,
        revisionBump,
        output: flags.output,
        ...(flags.confirm ? { confirm: flags.confirm } : {}),
        ...(flags.utilityImage ? { utilityImage: flags.utilityImage } : {}),
        ...(flags.gkeOnPremVersion
            ? {
                gkeOnPremVersion: (0,_backup_js__WEBPACK_IMPORTED_MODULE_3__.checkedFlag)("--gke-on-prem-version", () => (0,_procedures_utility_image_js__WEBPACK_IMPORTED_MODULE_2__/* .checkGkeOnPremVersion */ .Br)(flags.gkeOnPremVersion, flags.utilityImage)),
            }
            : {}),
        ...(0,_backup_js__WEBPACK_IMPORTED_MODULE_3__.s3EndpointFlag)(flags.s3Endpoint),
    };
}


/***/ }),

/***/ 36260:
/***/ ((__unused_webpack___webpack_module__, __webpack_exports__, __webpack_require__) => {

/* harmony export */ __webpack_require__.d(__webpack_exports__, {
/* harmony export */   Br: () => (/* binding */ checkGkeOnPremVersion),
/* harmony export */   cp: () => (/* binding */ etcdUtilImage)
/* harmony export */ });
/* unused harmony export ETCD_UTIL_REPOSITORY */
/* harmony import */ var _core_errors_js__WEBPACK_IMPORTED_MODULE_0__ = __webpack_require__(51222);
/* harmony import */ var _core_redact_js__WEBPACK_IMPORTED_MODULE_1__ = __webpack_require__(79148);
/**
 * The utility pods' fallback image: the runbook's etcd-util image of the cluster's Anthos
 * version, for clusters whose own etcd image has no shell (etcd's images from 3.5.7 on are
 * distroless). Apart from the restore, so that a front door checks its input without loading
 * the procedure.
 */


/**
 * The gke-on-prem-version setting, checked before anything runs: an Anthos version such as
 * 1.32.400-gke.68 (what `gkectl version` prints), and not together with utility-image.
 */
function checkGkeOnPremVersion(version, utilityImage) {
    if (!/^\d+\.\d+\.\d+(-gke\.\d+)?$/.test(version)) {
        throw new _core_errors_js__WEBPACK_IMPORTED_MODULE_0__/* .ConfigurationError */ .j1("gke-on-prem-version", `${(0,_core_redact_js__WEBPACK_IMPORTED_MODULE_1__/* .quoteValue */ .cl)(version)} is not an Anthos version; expected e.g. 1.32.400-gke.68, as gkectl version prints it.`);
    }
    if (utilityImage) {
        throw new _core_errors_js__WEBPACK_IMPORTED_MODULE_0__/* .ConfigurationError */ .j1("gke-on-prem-version", `is given together with utility-image; give one: utility-image is used as it is, gke-on-prem-version picks the runbook's etcd-util image only when the cluster's own etcd image lacks what the utility pods need.`);
    }
    return version;
}
const ETCD_UTIL_REPOSITORY = "gcr.io/gke-on-prem-release/etcd-util";
/** The runbook's utility image of an Anthos version (PROCEDURES.md, the etcd-util pod). */
function etcdUtilImage(gkeOnPremVersion) {
    return `${ETCD_UTIL_REPOSITORY}:${gkeOnPremVersion}`;
}


/***/ })

};
