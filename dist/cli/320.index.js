export const id = 320;
export const ids = [320];
export const modules = {

/***/ 320:
/***/ ((__unused_webpack___webpack_module__, __webpack_exports__, __webpack_require__) => {

__webpack_require__.r(__webpack_exports__);
/* harmony export */ __webpack_require__.d(__webpack_exports__, {
/* harmony export */   registerAdminRestoreCommands: () => (/* binding */ registerAdminRestoreCommands)
/* harmony export */ });
/* harmony import */ var node_fs_promises__WEBPACK_IMPORTED_MODULE_0__ = __webpack_require__(51455);
/* harmony import */ var node_os__WEBPACK_IMPORTED_MODULE_1__ = __webpack_require__(48161);
/* harmony import */ var _core_log_logger_js__WEBPACK_IMPORTED_MODULE_10__ = __webpack_require__(35470);
/* harmony import */ var _core_redact_js__WEBPACK_IMPORTED_MODULE_2__ = __webpack_require__(79148);
/* harmony import */ var _core_run_context_js__WEBPACK_IMPORTED_MODULE_3__ = __webpack_require__(15470);
/* harmony import */ var _core_ssh_index_js__WEBPACK_IMPORTED_MODULE_4__ = __webpack_require__(73472);
/* harmony import */ var _core_ssh_pki_js__WEBPACK_IMPORTED_MODULE_5__ = __webpack_require__(15004);
/* harmony import */ var _backup_js__WEBPACK_IMPORTED_MODULE_6__ = __webpack_require__(1676);
/* harmony import */ var _cancel_js__WEBPACK_IMPORTED_MODULE_7__ = __webpack_require__(99226);
/* harmony import */ var _identity_file_js__WEBPACK_IMPORTED_MODULE_8__ = __webpack_require__(76147);
/* harmony import */ var _restore_flags_js__WEBPACK_IMPORTED_MODULE_9__ = __webpack_require__(95156);
/**
 * `etcd-backup-actions admin-restore`: the admin-restore action from a terminal, for when
 * GitHub Actions is down (or runs in the admin cluster being restored). Same procedure, same
 * journal on the node: a run from here continues one from Actions and the other way round.
 * Logs to stderr, the result (table or JSON) to stdout.
 * Exit codes: 0 restored (or planned), 1 the restore failed, 2 a bad flag.
 */











function registerAdminRestoreCommands(program) {
    program
        .command("admin-restore")
        .description("Restore the admin cluster from its etcd snapshot and PKI over SSH alone: backups verified, host key pinned, control plane stopped by moving its manifests aside, old data kept.")
        .option("--address <host>", "the admin control-plane node's address")
        .option("--ssh-user <name>", "the user on the node (passwordless sudo)", _core_ssh_pki_js__WEBPACK_IMPORTED_MODULE_5__/* .DEFAULT_SSH_USER */ .$)
        .option("--ssh-key-file <path>", "the node's SSH private key file")
        .option("--jump-host <user@host[:port]>", "reach the node through this jump host")
        .option("--jump-key-file <path>", "the jump host's private key (default: the node's)")
        .option("--known-hosts <path>", "a known_hosts file pinning the node (and jump host)")
        .option("--host-key-fingerprint <SHA256:...>", "a pinned host key fingerprint (repeatable)", _backup_js__WEBPACK_IMPORTED_MODULE_6__.repeatable, [])
        .option("--insecure-accept-unknown-host-key", "accept a host key nothing pins (logged)")
        .option("--etcd-backup <uri|latest>", "the admin-etcd backup URI, or latest", "latest")
        .option("--pki-backup <uri|latest>", "the admin-pki backup URI, or latest", "latest")
        .option("--restore-pki <auto|always|never>", "which PKI files to put back", "auto")
        .option("--accept-foreign-pki", "restore a PKI backup that does not look like this node's")
        .option("--destination <uri>", "where latest looks: file:///folder or s3://bucket/prefix")
        .option("--s3-endpoint <url>", "an S3-compatible endpoint (MinIO...); path-style URLs")
        .option("--identity-file <path>", "the age identity file (AGE-SECRET-KEY-1...)")
        .option("--confirm <node>", "the node's name or address: nothing changes without it")
        .option("--revision-bump <auto|none|N>", "bump the restored revision when etcd can", "auto")
        .option("--work-dir <path>", "a private folder for the decrypted snapshot and the kubeconfig")
        .option("--dry-run", "print the plan and run only its reading steps; change nothing")
        .option("--undo", "put back the data (and PKI) the newest restore on the node kept aside")
        .option("-o, --output <format>", "table for people, json for scripts", "table")
        .exitOverride(_backup_js__WEBPACK_IMPORTED_MODULE_6__.exitOnUsageError)
        .action(async (flags) => {
        process.exitCode = await adminRestoreCommand(flags, process.env);
    });
}
async function adminRestoreCommand(flags, env) {
    const logger = (0,_core_log_logger_js__WEBPACK_IMPORTED_MODULE_10__/* .consoleLogger */ .k)();
    if (flags.undo)
        return adminUndoCommand(flags, logger);
    let request;
    try {
        request = await parseFlags(flags, env);
    }
    catch (error) {
        process.stderr.write(`error: ${(0,_backup_js__WEBPACK_IMPORTED_MODULE_6__.cliMessage)(error)}\n`);
        return _backup_js__WEBPACK_IMPORTED_MODULE_6__.EXIT_BAD_FLAG;
    }
    const { runAdminRestore } = await Promise.all(/* import() */[__webpack_require__.e(815), __webpack_require__.e(205), __webpack_require__.e(772), __webpack_require__.e(245), __webpack_require__.e(321)]).then(__webpack_require__.bind(__webpack_require__, 70321));
    const { findBackup, findNewestVerifiedBackup } = await Promise.resolve(/* import() */).then(__webpack_require__.bind(__webpack_require__, 86473));
    try {
        const context = (0,_core_run_context_js__WEBPACK_IMPORTED_MODULE_3__/* .runContextFromEnvironment */ .aD)(env);
        const find = async (uri, kind) => {
            const store = await (0,_backup_js__WEBPACK_IMPORTED_MODULE_6__.openStoreFor)({ destination: uri?.destination ?? request.destination, s3Endpoint: request.s3Endpoint }, logger, context);
            const backup = uri
                ? await findBackup(store, uri)
                : await findNewestVerifiedBackup(store, { cluster: "admin", kind });
            return { store, backup };
        };
        const etcd = await find(request.etcdUri, "admin-etcd");
        const pki = request.restorePki === "never" ? undefined : await find(request.pkiUri, "admin-pki");
        const result = await (0,_cancel_js__WEBPACK_IMPORTED_MODULE_7__/* .runUntilSignalled */ .Z)(logger, ({ signal }) => runAdminRestore({
            ...request.node,
            store: etcd.store,
            etcdBackup: etcd.backup,
            ...(pki ? { pkiStore: pki.store, pkiBackup: pki.backup } : {}),
            restorePki: request.restorePki,
            acceptForeignPki: request.acceptForeignPki,
            identities: request.identities,
            ...(request.confirm ? { confirm: request.confirm } : {}),
            revisionBump: request.revisionBump,
            dryRun: request.dryRun,
            workDir: request.workDir,
            logger,
            signal,
            owner: (0,_restore_flags_js__WEBPACK_IMPORTED_MODULE_9__/* .terminalOwner */ .oV)(),
            audit: (0,_restore_flags_js__WEBPACK_IMPORTED_MODULE_9__/* .cliAudit */ .aw)(context),
        }));
        const { steps, ...facts } = result;
        process.stdout.write(request.output === "json"
            ? `${JSON.stringify(result, null, 2)}\n`
            : (0,_restore_flags_js__WEBPACK_IMPORTED_MODULE_9__/* .stepLines */ .mR)(steps, adminOutcomeLine(facts, request.node.host)));
        if (result.outcome === "failed") {
            logger.error(`The restore of the admin cluster failed: ${(0,_backup_js__WEBPACK_IMPORTED_MODULE_6__.cliMessage)(result.error)}`);
            return _backup_js__WEBPACK_IMPORTED_MODULE_6__.EXIT_FAILED;
        }
        return 0;
    }
    catch (error) {
        const message = (0,_backup_js__WEBPACK_IMPORTED_MODULE_6__.cliMessage)(error);
        logger.error(message);
        return error instanceof _backup_js__WEBPACK_IMPORTED_MODULE_6__.FlagError || /^--/.test(message) ? _backup_js__WEBPACK_IMPORTED_MODULE_6__.EXIT_BAD_FLAG : _backup_js__WEBPACK_IMPORTED_MODULE_6__.EXIT_FAILED;
    }
}
/** `--undo`: only the node's flags; no backup is read. */
async function adminUndoCommand(flags, logger) {
    let node;
    try {
        node = await parseNodeFlags(flags);
    }
    catch (error) {
        process.stderr.write(`error: ${(0,_backup_js__WEBPACK_IMPORTED_MODULE_6__.cliMessage)(error)}\n`);
        return _backup_js__WEBPACK_IMPORTED_MODULE_6__.EXIT_BAD_FLAG;
    }
    const { runAdminUndo } = await Promise.all(/* import() */[__webpack_require__.e(815), __webpack_require__.e(205), __webpack_require__.e(772), __webpack_require__.e(245), __webpack_require__.e(321)]).then(__webpack_require__.bind(__webpack_require__, 70321));
    try {
        const result = await (0,_cancel_js__WEBPACK_IMPORTED_MODULE_7__/* .runUntilSignalled */ .Z)(logger, ({ signal }) => runAdminUndo({
            ...node,
            ...(flags.confirm ? { confirm: flags.confirm } : {}),
            dryRun: Boolean(flags.dryRun),
            workDir: flags.workDir ?? (0,node_os__WEBPACK_IMPORTED_MODULE_1__.tmpdir)(),
            logger,
            signal,
            owner: (0,_restore_flags_js__WEBPACK_IMPORTED_MODULE_9__/* .terminalOwner */ .oV)(),
        }));
        const { steps, ...facts } = result;
        process.stdout.write(flags.output === "json"
            ? `${JSON.stringify(result, null, 2)}\n`
            : (0,_restore_flags_js__WEBPACK_IMPORTED_MODULE_9__/* .stepLines */ .mR)(steps, adminOutcomeLine(facts, node.host)));
        if (result.outcome === "failed") {
            logger.error(`The undo of the admin restore failed: ${(0,_backup_js__WEBPACK_IMPORTED_MODULE_6__.cliMessage)(result.error)}`);
            return _backup_js__WEBPACK_IMPORTED_MODULE_6__.EXIT_FAILED;
        }
        return 0;
    }
    catch (error) {
        logger.error((0,_backup_js__WEBPACK_IMPORTED_MODULE_6__.cliMessage)(error));
        return _backup_js__WEBPACK_IMPORTED_MODULE_6__.EXIT_FAILED;
    }
}
/** The last line of an admin restore's (or undo's) table: the node, and the kubeconfig left behind. */
function adminOutcomeLine(facts, host) {
    return `${facts.outcome}: ${facts.node ?? host}${facts.kubeconfigPath ? ` (admin kubeconfig: ${facts.kubeconfigPath}; remove it when done)` : ""}${facts.error ? ` (${facts.error})` : ""}`;
}
async function readKeyFile(flag, path) {
    const key = await (0,node_fs_promises__WEBPACK_IMPORTED_MODULE_0__.readFile)(path).catch((error) => {
        throw new _backup_js__WEBPACK_IMPORTED_MODULE_6__.FlagError(`${flag}: cannot read ${path} (${error.code ?? "error"}); expected a private key file.`);
    });
    (0,_backup_js__WEBPACK_IMPORTED_MODULE_6__.checkedFlag)(flag, () => (0,_core_ssh_index_js__WEBPACK_IMPORTED_MODULE_4__/* .loadPrivateKey */ .PM)(key, `the key in ${path}`));
    return key;
}
/** The flags that reach the node, checked and read into memory, as the procedures take them. */
async function parseNodeFlags(flags) {
    (0,_backup_js__WEBPACK_IMPORTED_MODULE_6__.refuseSecretsInFlags)(flags);
    const host = flags.address?.trim() ?? "";
    if (!host || !/^[A-Za-z0-9.:[\]-]+$/.test(host) || (0,_core_redact_js__WEBPACK_IMPORTED_MODULE_2__/* .looksSecret */ .n0)(host)) {
        throw new _backup_js__WEBPACK_IMPORTED_MODULE_6__.FlagError(`--address ${host ? `is ${(0,_core_redact_js__WEBPACK_IMPORTED_MODULE_2__/* .quoteValue */ .cl)(host)}` : "is required"}: expected the admin control-plane node's host name or IP address, such as 10.0.0.10.`);
    }
    if (!flags.sshKeyFile) {
        throw new _backup_js__WEBPACK_IMPORTED_MODULE_6__.FlagError("--ssh-key-file is required: the node's SSH private key file.");
    }
    const privateKey = await readKeyFile("--ssh-key-file", flags.sshKeyFile);
    const jumpKey = flags.jumpKeyFile
        ? await readKeyFile("--jump-key-file", flags.jumpKeyFile)
        : undefined;
    const jumpHost = flags.jumpHost
        ? {
            ...(0,_backup_js__WEBPACK_IMPORTED_MODULE_6__.checkedFlag)("--jump-host", () => (0,_core_ssh_index_js__WEBPACK_IMPORTED_MODULE_4__/* .parseJumpHostSpec */ .Xr)(flags.jumpHost)),
            ...(jumpKey ? { privateKey: jumpKey } : {}),
        }
        : undefined;
    const knownHosts = flags.knownHosts
        ? (await (0,node_fs_promises__WEBPACK_IMPORTED_MODULE_0__.readFile)(flags.knownHosts, "utf8").catch((error) => {
            throw new _backup_js__WEBPACK_IMPORTED_MODULE_6__.FlagError(`--known-hosts: cannot read ${flags.knownHosts} (${error.code ?? "error"}).`);
        }))
            .split("\n")
            .map((line) => line.trim())
            .filter((line) => line && !line.startsWith("#"))
        : [];
    (0,_backup_js__WEBPACK_IMPORTED_MODULE_6__.checkedFlag)("--known-hosts", () => (0,_core_ssh_index_js__WEBPACK_IMPORTED_MODULE_4__/* .parseKnownHosts */ .uJ)(knownHosts));
    const fingerprints = flags.hostKeyFingerprint ?? [];
    (0,_backup_js__WEBPACK_IMPORTED_MODULE_6__.checkedFlag)("--host-key-fingerprint", () => (0,_core_ssh_index_js__WEBPACK_IMPORTED_MODULE_4__/* .parseFingerprints */ .Tr)(fingerprints));
    if (!["table", "json"].includes(flags.output)) {
        throw new _backup_js__WEBPACK_IMPORTED_MODULE_6__.FlagError("--output: expected table or json.");
    }
    return {
        host,
        user: flags.sshUser,
        privateKey,
        ...(jumpHost ? { jumpHost } : {}),
        hostKeys: { knownHosts, fingerprints },
        acceptUnknownHostKey: Boolean(flags.insecureAcceptUnknownHostKey),
    };
}
/** Every flag checked, files read into memory, before anything connects or is fetched. */
async function parseFlags(flags, env) {
    const node = await parseNodeFlags(flags);
    if (!["auto", "always", "never"].includes(flags.restorePki)) {
        throw new _backup_js__WEBPACK_IMPORTED_MODULE_6__.FlagError("--restore-pki: expected auto, always or never.");
    }
    const restorePki = flags.restorePki;
    const backupUri = (flag, text, kind) => text === "latest"
        ? undefined
        : (0,_restore_flags_js__WEBPACK_IMPORTED_MODULE_9__/* .backupUriFlag */ .Ju)(flag, text, {
            cluster: "admin",
            kind,
            wanted: `an ${kind} backup of the admin cluster`,
        });
    const etcdUri = backupUri("--etcd-backup", flags.etcdBackup, "admin-etcd");
    const pkiUri = restorePki === "never" ? undefined : backupUri("--pki-backup", flags.pkiBackup, "admin-pki");
    let destination;
    if (!etcdUri || (restorePki !== "never" && !pkiUri)) {
        if (!flags.destination) {
            throw new _backup_js__WEBPACK_IMPORTED_MODULE_6__.FlagError("--destination is required with latest: expected file:///folder or s3://bucket/prefix.");
        }
        destination = (0,_backup_js__WEBPACK_IMPORTED_MODULE_6__.terminalDestinationFlag)(flags.destination, env);
    }
    const revisionBump = (0,_restore_flags_js__WEBPACK_IMPORTED_MODULE_9__/* .revisionBumpFlag */ .Y4)(flags.revisionBump);
    if (!flags.identityFile) {
        throw new _backup_js__WEBPACK_IMPORTED_MODULE_6__.FlagError("--identity-file is required: the age identity (AGE-SECRET-KEY-1...) that opens the backups (a dry run decrypts and verifies them too).");
    }
    const identities = await (0,_identity_file_js__WEBPACK_IMPORTED_MODULE_8__/* .readIdentityFile */ .P)(flags.identityFile);
    return {
        node,
        restorePki,
        acceptForeignPki: Boolean(flags.acceptForeignPki),
        etcdUri,
        pkiUri,
        destination,
        identities,
        revisionBump,
        dryRun: Boolean(flags.dryRun),
        workDir: flags.workDir ?? (0,node_os__WEBPACK_IMPORTED_MODULE_1__.tmpdir)(),
        output: flags.output,
        ...(flags.confirm ? { confirm: flags.confirm } : {}),
        ...(0,_backup_js__WEBPACK_IMPORTED_MODULE_6__.s3EndpointFlag)(flags.s3Endpoint),
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


/***/ })

};
