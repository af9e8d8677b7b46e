export const id = 320;
export const ids = [320];
export const modules = {

/***/ 320:
/***/ ((__unused_webpack___webpack_module__, __webpack_exports__, __webpack_require__) => {

__webpack_require__.r(__webpack_exports__);
/* harmony export */ __webpack_require__.d(__webpack_exports__, {
/* harmony export */   registerAdminRestoreCommands: () => (/* binding */ registerAdminRestoreCommands)
/* harmony export */ });
/* harmony import */ var node_fs_promises__WEBPACK_IMPORTED_MODULE_0__ = __webpack_require__(1455);
/* harmony import */ var node_os__WEBPACK_IMPORTED_MODULE_1__ = __webpack_require__(8161);
/* harmony import */ var _core_crypto_age_js__WEBPACK_IMPORTED_MODULE_2__ = __webpack_require__(8673);
/* harmony import */ var _core_log_logger_js__WEBPACK_IMPORTED_MODULE_10__ = __webpack_require__(5470);
/* harmony import */ var _core_redact_js__WEBPACK_IMPORTED_MODULE_3__ = __webpack_require__(9148);
/* harmony import */ var _core_run_context_js__WEBPACK_IMPORTED_MODULE_4__ = __webpack_require__(3089);
/* harmony import */ var _core_ssh_index_js__WEBPACK_IMPORTED_MODULE_5__ = __webpack_require__(3472);
/* harmony import */ var _core_ssh_pki_js__WEBPACK_IMPORTED_MODULE_6__ = __webpack_require__(5004);
/* harmony import */ var _core_storage_destination_js__WEBPACK_IMPORTED_MODULE_7__ = __webpack_require__(2989);
/* harmony import */ var _backup_js__WEBPACK_IMPORTED_MODULE_8__ = __webpack_require__(1676);
/* harmony import */ var _cancel_js__WEBPACK_IMPORTED_MODULE_9__ = __webpack_require__(9226);
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
        .option("--ssh-user <name>", "the user on the node (passwordless sudo)", _core_ssh_pki_js__WEBPACK_IMPORTED_MODULE_6__/* .DEFAULT_SSH_USER */ .$)
        .option("--ssh-key-file <path>", "the node's SSH private key file")
        .option("--jump-host <user@host[:port]>", "reach the node through this jump host")
        .option("--jump-key-file <path>", "the jump host's private key (default: the node's)")
        .option("--known-hosts <path>", "a known_hosts file pinning the node (and jump host)")
        .option("--host-key-fingerprint <SHA256:...>", "a pinned host key fingerprint (repeatable)", _backup_js__WEBPACK_IMPORTED_MODULE_8__.repeatable, [])
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
        .exitOverride((error) => {
        process.exit(error.exitCode === 0 ? 0 : _backup_js__WEBPACK_IMPORTED_MODULE_8__.EXIT_BAD_FLAG);
    })
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
        process.stderr.write(`error: ${(0,_backup_js__WEBPACK_IMPORTED_MODULE_8__.cliMessage)(error)}\n`);
        return _backup_js__WEBPACK_IMPORTED_MODULE_8__.EXIT_BAD_FLAG;
    }
    const { runAdminRestore } = await Promise.all(/* import() */[__webpack_require__.e(815), __webpack_require__.e(205), __webpack_require__.e(972), __webpack_require__.e(273)]).then(__webpack_require__.bind(__webpack_require__, 9273));
    const { findBackup, findNewestVerifiedBackup } = await Promise.resolve(/* import() */).then(__webpack_require__.bind(__webpack_require__, 6473));
    try {
        const context = (0,_core_run_context_js__WEBPACK_IMPORTED_MODULE_4__/* .runContextFromEnvironment */ .aD)(env);
        const find = async (uri, kind) => {
            const store = await (0,_core_storage_destination_js__WEBPACK_IMPORTED_MODULE_7__/* .openStore */ .Ch)(uri?.destination ?? request.destination, {
                logger,
                context,
                s3: request.s3Endpoint ? { endpoint: request.s3Endpoint, forcePathStyle: true } : {},
            });
            const backup = uri
                ? await findBackup(store, uri)
                : await findNewestVerifiedBackup(store, { cluster: "admin", kind });
            return { store, backup };
        };
        const etcd = await find(request.etcdUri, "admin-etcd");
        const pki = request.restorePki === "never" ? undefined : await find(request.pkiUri, "admin-pki");
        const result = await (0,_cancel_js__WEBPACK_IMPORTED_MODULE_9__/* .runUntilSignalled */ .Z)(logger, ({ signal }) => runAdminRestore({
            host: request.host,
            user: request.user,
            privateKey: request.privateKey,
            ...(request.jumpHost ? { jumpHost: request.jumpHost } : {}),
            hostKeys: { knownHosts: request.knownHosts, fingerprints: request.fingerprints },
            acceptUnknownHostKey: request.acceptUnknownHostKey,
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
            owner: `terminal ${(0,node_os__WEBPACK_IMPORTED_MODULE_1__.hostname)()} pid ${process.pid}`,
            audit: {
                actor: context.run?.actor || `${(0,node_os__WEBPACK_IMPORTED_MODULE_1__.userInfo)().username}@${(0,node_os__WEBPACK_IMPORTED_MODULE_1__.hostname)()}`,
                via: "cli",
                ...(context.run?.url ? { runUrl: context.run.url } : {}),
            },
        }));
        const { steps, ...facts } = result;
        process.stdout.write(request.output === "json"
            ? `${JSON.stringify(result, null, 2)}\n`
            : `${steps.map((step) => `${step.outcome.padEnd(8)} ${step.step}${step.detail ? `: ${step.detail}` : ""}`).join("\n")}\n${facts.outcome}: ${facts.node ?? request.host}${facts.kubeconfigPath ? ` (admin kubeconfig: ${facts.kubeconfigPath}; remove it when done)` : ""}${facts.error ? ` (${facts.error})` : ""}\n`);
        if (result.outcome === "failed") {
            logger.error(`The restore of the admin cluster failed: ${(0,_backup_js__WEBPACK_IMPORTED_MODULE_8__.cliMessage)(result.error)}`);
            return _backup_js__WEBPACK_IMPORTED_MODULE_8__.EXIT_FAILED;
        }
        return 0;
    }
    catch (error) {
        const message = (0,_backup_js__WEBPACK_IMPORTED_MODULE_8__.cliMessage)(error);
        logger.error(message);
        return error instanceof _backup_js__WEBPACK_IMPORTED_MODULE_8__.FlagError || /^--/.test(message) ? _backup_js__WEBPACK_IMPORTED_MODULE_8__.EXIT_BAD_FLAG : _backup_js__WEBPACK_IMPORTED_MODULE_8__.EXIT_FAILED;
    }
}
/** `--undo`: only the node's flags; no backup is read. */
async function adminUndoCommand(flags, logger) {
    let request;
    try {
        request = await parseNodeFlags(flags);
    }
    catch (error) {
        process.stderr.write(`error: ${(0,_backup_js__WEBPACK_IMPORTED_MODULE_8__.cliMessage)(error)}\n`);
        return _backup_js__WEBPACK_IMPORTED_MODULE_8__.EXIT_BAD_FLAG;
    }
    const { runAdminUndo } = await Promise.all(/* import() */[__webpack_require__.e(815), __webpack_require__.e(205), __webpack_require__.e(972), __webpack_require__.e(273)]).then(__webpack_require__.bind(__webpack_require__, 9273));
    try {
        const result = await (0,_cancel_js__WEBPACK_IMPORTED_MODULE_9__/* .runUntilSignalled */ .Z)(logger, ({ signal }) => runAdminUndo({
            host: request.host,
            user: request.user,
            privateKey: request.privateKey,
            ...(request.jumpHost ? { jumpHost: request.jumpHost } : {}),
            hostKeys: { knownHosts: request.knownHosts, fingerprints: request.fingerprints },
            acceptUnknownHostKey: request.acceptUnknownHostKey,
            ...(flags.confirm ? { confirm: flags.confirm } : {}),
            dryRun: Boolean(flags.dryRun),
            workDir: flags.workDir ?? (0,node_os__WEBPACK_IMPORTED_MODULE_1__.tmpdir)(),
            logger,
            signal,
            owner: `terminal ${(0,node_os__WEBPACK_IMPORTED_MODULE_1__.hostname)()} pid ${process.pid}`,
        }));
        const { steps, ...facts } = result;
        process.stdout.write(flags.output === "json"
            ? `${JSON.stringify(result, null, 2)}\n`
            : `${steps.map((step) => `${step.outcome.padEnd(8)} ${step.step}${step.detail ? `: ${step.detail}` : ""}`).join("\n")}\n${facts.outcome}: ${facts.node ?? request.host}${facts.kubeconfigPath ? ` (admin kubeconfig: ${facts.kubeconfigPath}; remove it when done)` : ""}${facts.error ? ` (${facts.error})` : ""}\n`);
        if (result.outcome === "failed") {
            logger.error(`The undo of the admin restore failed: ${(0,_backup_js__WEBPACK_IMPORTED_MODULE_8__.cliMessage)(result.error)}`);
            return _backup_js__WEBPACK_IMPORTED_MODULE_8__.EXIT_FAILED;
        }
        return 0;
    }
    catch (error) {
        logger.error((0,_backup_js__WEBPACK_IMPORTED_MODULE_8__.cliMessage)(error));
        return _backup_js__WEBPACK_IMPORTED_MODULE_8__.EXIT_FAILED;
    }
}
async function readKeyFile(flag, path) {
    const key = await (0,node_fs_promises__WEBPACK_IMPORTED_MODULE_0__.readFile)(path).catch((error) => {
        throw new _backup_js__WEBPACK_IMPORTED_MODULE_8__.FlagError(`${flag}: cannot read ${path} (${error.code ?? "error"}); expected a private key file.`);
    });
    (0,_backup_js__WEBPACK_IMPORTED_MODULE_8__.checkedFlag)(flag, () => (0,_core_ssh_index_js__WEBPACK_IMPORTED_MODULE_5__/* .loadPrivateKey */ .PM)(key, `the key in ${path}`));
    return key;
}
/** The flags that reach the node, checked and read into memory. */
async function parseNodeFlags(flags) {
    (0,_backup_js__WEBPACK_IMPORTED_MODULE_8__.refuseSecretsInFlags)(flags);
    const host = flags.address?.trim() ?? "";
    if (!host || !/^[A-Za-z0-9.:[\]-]+$/.test(host) || (0,_core_redact_js__WEBPACK_IMPORTED_MODULE_3__/* .looksSecret */ .n0)(host)) {
        throw new _backup_js__WEBPACK_IMPORTED_MODULE_8__.FlagError(`--address ${host ? `is ${(0,_core_redact_js__WEBPACK_IMPORTED_MODULE_3__/* .quoteValue */ .cl)(host)}` : "is required"}: expected the admin control-plane node's host name or IP address, such as 10.0.0.10.`);
    }
    if (!flags.sshKeyFile) {
        throw new _backup_js__WEBPACK_IMPORTED_MODULE_8__.FlagError("--ssh-key-file is required: the node's SSH private key file.");
    }
    const privateKey = await readKeyFile("--ssh-key-file", flags.sshKeyFile);
    const jumpKey = flags.jumpKeyFile
        ? await readKeyFile("--jump-key-file", flags.jumpKeyFile)
        : undefined;
    const jumpHost = flags.jumpHost
        ? {
            ...(0,_backup_js__WEBPACK_IMPORTED_MODULE_8__.checkedFlag)("--jump-host", () => (0,_core_ssh_index_js__WEBPACK_IMPORTED_MODULE_5__/* .parseJumpHostSpec */ .Xr)(flags.jumpHost)),
            ...(jumpKey ? { privateKey: jumpKey } : {}),
        }
        : undefined;
    const knownHosts = flags.knownHosts
        ? (await (0,node_fs_promises__WEBPACK_IMPORTED_MODULE_0__.readFile)(flags.knownHosts, "utf8").catch((error) => {
            throw new _backup_js__WEBPACK_IMPORTED_MODULE_8__.FlagError(`--known-hosts: cannot read ${flags.knownHosts} (${error.code ?? "error"}).`);
        }))
            .split("\n")
            .map((line) => line.trim())
            .filter((line) => line && !line.startsWith("#"))
        : [];
    (0,_backup_js__WEBPACK_IMPORTED_MODULE_8__.checkedFlag)("--known-hosts", () => (0,_core_ssh_index_js__WEBPACK_IMPORTED_MODULE_5__/* .parseKnownHosts */ .uJ)(knownHosts));
    const fingerprints = flags.hostKeyFingerprint ?? [];
    (0,_backup_js__WEBPACK_IMPORTED_MODULE_8__.checkedFlag)("--host-key-fingerprint", () => (0,_core_ssh_index_js__WEBPACK_IMPORTED_MODULE_5__/* .parseFingerprints */ .Tr)(fingerprints));
    if (!["table", "json"].includes(flags.output)) {
        throw new _backup_js__WEBPACK_IMPORTED_MODULE_8__.FlagError("--output: expected table or json.");
    }
    return {
        host,
        user: flags.sshUser,
        privateKey,
        jumpHost,
        knownHosts,
        fingerprints,
        acceptUnknownHostKey: Boolean(flags.insecureAcceptUnknownHostKey),
    };
}
/** Every flag checked, files read into memory, before anything connects or is fetched. */
async function parseFlags(flags, env) {
    const node = await parseNodeFlags(flags);
    if (!["auto", "always", "never"].includes(flags.restorePki)) {
        throw new _backup_js__WEBPACK_IMPORTED_MODULE_8__.FlagError("--restore-pki: expected auto, always or never.");
    }
    const restorePki = flags.restorePki;
    const backupUri = (flag, text, kind) => {
        if (text === "latest")
            return undefined;
        const uri = (0,_backup_js__WEBPACK_IMPORTED_MODULE_8__.checkedFlag)(flag, () => (0,_core_storage_destination_js__WEBPACK_IMPORTED_MODULE_7__/* .parseBackupUri */ .iM)(text));
        if (uri.cluster !== "admin" || uri.kind !== kind) {
            throw new _backup_js__WEBPACK_IMPORTED_MODULE_8__.FlagError(`${flag} is a ${uri.kind} backup of ${uri.cluster}, not an ${kind} backup of the admin cluster.`);
        }
        return uri;
    };
    const etcdUri = backupUri("--etcd-backup", flags.etcdBackup, "admin-etcd");
    const pkiUri = restorePki === "never" ? undefined : backupUri("--pki-backup", flags.pkiBackup, "admin-pki");
    let destination;
    if (!etcdUri || (restorePki !== "never" && !pkiUri)) {
        if (!flags.destination) {
            throw new _backup_js__WEBPACK_IMPORTED_MODULE_8__.FlagError("--destination is required with latest: expected file:///folder or s3://bucket/prefix.");
        }
        destination = (0,_backup_js__WEBPACK_IMPORTED_MODULE_8__.checkedFlag)("--destination", () => (0,_core_storage_destination_js__WEBPACK_IMPORTED_MODULE_7__/* .parseDestination */ .G2)(flags.destination));
        if (destination.type === "artifact" && env.GITHUB_ACTIONS !== "true") {
            throw new _backup_js__WEBPACK_IMPORTED_MODULE_8__.FlagError("--destination artifact works only inside a GitHub Actions job; from a terminal, use file:///absolute/folder or s3://bucket/prefix.");
        }
    }
    const revisionBump = flags.revisionBump === "auto" || flags.revisionBump === "none"
        ? flags.revisionBump
        : /^\d+$/.test(flags.revisionBump) && Number(flags.revisionBump) >= 1
            ? Number(flags.revisionBump)
            : (() => {
                throw new _backup_js__WEBPACK_IMPORTED_MODULE_8__.FlagError("--revision-bump: expected auto, none, or a whole number of revisions.");
            })();
    if (!flags.identityFile) {
        throw new _backup_js__WEBPACK_IMPORTED_MODULE_8__.FlagError("--identity-file is required: the age identity (AGE-SECRET-KEY-1...) that opens the backups (a dry run decrypts and verifies them too).");
    }
    const text = await (0,node_fs_promises__WEBPACK_IMPORTED_MODULE_0__.readFile)(flags.identityFile, "utf8").catch((error) => {
        throw new _backup_js__WEBPACK_IMPORTED_MODULE_8__.FlagError(`--identity-file: cannot read ${flags.identityFile} (${error.code ?? "error"}); expected an age identity file.`);
    });
    const identities = (0,_backup_js__WEBPACK_IMPORTED_MODULE_8__.checkedFlag)("--identity-file", () => {
        const parsed = (0,_core_crypto_age_js__WEBPACK_IMPORTED_MODULE_2__/* .parseIdentities */ .go)(text);
        if (parsed.length === 0)
            throw new Error("no identity found");
        return parsed;
    });
    return {
        ...node,
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
        ...(flags.s3Endpoint
            ? { s3Endpoint: (0,_backup_js__WEBPACK_IMPORTED_MODULE_8__.checkedFlag)("--s3-endpoint", () => (0,_core_storage_destination_js__WEBPACK_IMPORTED_MODULE_7__/* .parseS3Endpoint */ .bA)(flags.s3Endpoint)) }
            : {}),
    };
}


/***/ })

};
