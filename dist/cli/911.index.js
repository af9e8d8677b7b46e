export const id = 911;
export const ids = [911];
export const modules = {

/***/ 79911:
/***/ ((__unused_webpack___webpack_module__, __webpack_exports__, __webpack_require__) => {

__webpack_require__.r(__webpack_exports__);
/* harmony export */ __webpack_require__.d(__webpack_exports__, {
/* harmony export */   pkiResultTable: () => (/* binding */ pkiResultTable),
/* harmony export */   registerPkiBackupCommands: () => (/* binding */ registerPkiBackupCommands)
/* harmony export */ });
/* harmony import */ var node_fs_promises__WEBPACK_IMPORTED_MODULE_0__ = __webpack_require__(51455);
/* harmony import */ var _core_errors_js__WEBPACK_IMPORTED_MODULE_1__ = __webpack_require__(51222);
/* harmony import */ var _core_format_js__WEBPACK_IMPORTED_MODULE_9__ = __webpack_require__(44714);
/* harmony import */ var _core_redact_js__WEBPACK_IMPORTED_MODULE_2__ = __webpack_require__(79148);
/* harmony import */ var _core_log_logger_js__WEBPACK_IMPORTED_MODULE_8__ = __webpack_require__(35470);
/* harmony import */ var _core_run_context_js__WEBPACK_IMPORTED_MODULE_3__ = __webpack_require__(15470);
/* harmony import */ var _core_ssh_index_js__WEBPACK_IMPORTED_MODULE_4__ = __webpack_require__(73472);
/* harmony import */ var _core_ssh_pki_js__WEBPACK_IMPORTED_MODULE_5__ = __webpack_require__(15004);
/* harmony import */ var _cancel_js__WEBPACK_IMPORTED_MODULE_6__ = __webpack_require__(99226);
/* harmony import */ var _backup_js__WEBPACK_IMPORTED_MODULE_7__ = __webpack_require__(1676);
/**
 * `etcd-backup-actions pki-backup`: the admin-pki-backup action from a terminal. Same
 * procedure, same checks: host keys pinned, sudo tar streamed into encrypted storage, the
 * archive checked against the node's files. Logs go to stderr, the result to stdout.
 * Exit codes: 0 stored (or planned), 1 the backup failed, 2 a bad flag.
 */










function registerPkiBackupCommands(program) {
    const command = program
        .command("pki-backup")
        .description("Back up the admin control plane's PKI over SSH: host key pinned, sudo tar streamed into encrypted storage, checked against the node's files.")
        .option("--kubeconfig <path>", "the admin cluster's kubeconfig, to find the node and its SSH key (default: $KUBECONFIG)")
        .option("--ssh-key-file <path>", "the node's SSH private key (default: secret kube-system/sshkeys, field vsphere_tmp)")
        .option("--ssh-user <name>", "the user on the node (passwordless sudo)", _core_ssh_pki_js__WEBPACK_IMPORTED_MODULE_5__/* .DEFAULT_SSH_USER */ .$)
        .option("--address <host>", "the node's address (default: the control-plane node's ExternalIP)")
        .option("--port <n>", "the node's SSH port", "22")
        .option("--jump-host <user@host[:port]>", "reach the node through this jump host")
        .option("--jump-key-file <path>", "the jump host's private key (default: the node's key)")
        .option("--known-hosts <file>", "a known_hosts file pinning the node's (and jump host's) key")
        .option("--host-key-fingerprint <SHA256:...>", "a pinned host key fingerprint; repeat for the jump host", _backup_js__WEBPACK_IMPORTED_MODULE_7__.repeatable)
        .option("--insecure-accept-unknown-host-key", "accept a host key nothing pins (its fingerprint is logged)")
        .option("--path <absolute path>", `a folder on the node to back up; repeat for several (default ${_core_ssh_pki_js__WEBPACK_IMPORTED_MODULE_5__/* .DEFAULT_PKI_PATHS */ .cI.join(", ")})`, _backup_js__WEBPACK_IMPORTED_MODULE_7__.repeatable)
        .option("--dry-run", "connect, check the host key and list the files; store nothing");
    (0,_backup_js__WEBPACK_IMPORTED_MODULE_7__.addStorageOptions)(command, "PKI backups").action(async (flags) => {
        process.exitCode = await pkiBackupCommand(flags, process.env);
    });
}
async function pkiBackupCommand(flags, env) {
    let request;
    let config;
    try {
        request = await parsePkiBackupFlags(flags, env);
        if (request.kubeconfigPath)
            config = await (0,_backup_js__WEBPACK_IMPORTED_MODULE_7__.loadKubeconfigFlag)(request.kubeconfigPath);
    }
    catch (error) {
        process.stderr.write(`error: ${(0,_backup_js__WEBPACK_IMPORTED_MODULE_7__.cliMessage)(error)}\n`);
        return _backup_js__WEBPACK_IMPORTED_MODULE_7__.EXIT_BAD_FLAG;
    }
    const logger = (0,_core_log_logger_js__WEBPACK_IMPORTED_MODULE_8__/* .consoleLogger */ .k)();
    let result;
    try {
        const context = (0,_core_run_context_js__WEBPACK_IMPORTED_MODULE_3__/* .runContextFromEnvironment */ .aD)(process.env);
        const store = await (0,_backup_js__WEBPACK_IMPORTED_MODULE_7__.openStoreFor)(request, logger, context);
        const { runAdminPkiBackup } = await Promise.all(/* import() */[__webpack_require__.e(245), __webpack_require__.e(492)]).then(__webpack_require__.bind(__webpack_require__, 90245));
        result = await (0,_cancel_js__WEBPACK_IMPORTED_MODULE_6__/* .runUntilSignalled */ .Z)(logger, ({ signal }) => runAdminPkiBackup({
            signal,
            ...(config ? { config } : {}),
            ...(request.privateKey ? { privateKey: request.privateKey } : {}),
            user: request.user,
            ...(request.host ? { host: request.host } : {}),
            port: request.port,
            ...(request.jumpHost ? { jumpHost: request.jumpHost } : {}),
            hostKeys: { knownHosts: request.knownHosts, fingerprints: request.fingerprints },
            acceptUnknownHostKey: request.acceptUnknownHostKey,
            paths: request.paths,
            store,
            recipients: request.recipients,
            compression: request.compression,
            retention: request.retention,
            dryRun: request.dryRun,
            logger,
            ...(context.run ? { run: context.run } : {}),
        }));
    }
    catch (error) {
        logger.error(`The PKI backup could not run: ${(0,_backup_js__WEBPACK_IMPORTED_MODULE_7__.cliMessage)(error)}`);
        return _backup_js__WEBPACK_IMPORTED_MODULE_7__.EXIT_FAILED;
    }
    process.stdout.write(request.output === "json"
        ? `${JSON.stringify(result, null, 2)}\n`
        : pkiResultTable(result, request.destination.uri));
    if (result.outcome === "failed") {
        logger.error((0,_core_redact_js__WEBPACK_IMPORTED_MODULE_2__/* .redactSecrets */ .fp)(`The PKI backup of the admin control plane failed: ${result.error}${pinHint(result.unpinnedHostKey)}`));
        return _backup_js__WEBPACK_IMPORTED_MODULE_7__.EXIT_FAILED;
    }
    return 0;
}
async function readKeyFile(flag, path) {
    let key;
    try {
        key = await (0,node_fs_promises__WEBPACK_IMPORTED_MODULE_0__.readFile)(path);
    }
    catch (error) {
        throw new _backup_js__WEBPACK_IMPORTED_MODULE_7__.FlagError(`${flag} ${(0,_core_redact_js__WEBPACK_IMPORTED_MODULE_2__/* .quoteValue */ .cl)(path)}: cannot read it (${error.code ?? (0,_core_errors_js__WEBPACK_IMPORTED_MODULE_1__/* .errorMessage */ .gJ)(error)}).`);
    }
    (0,_backup_js__WEBPACK_IMPORTED_MODULE_7__.checkedFlag)(flag, () => (0,_core_ssh_index_js__WEBPACK_IMPORTED_MODULE_4__/* .loadPrivateKey */ .PM)(key, `the key in ${path}`));
    return key;
}
/** Checks every flag and reads the key and known_hosts files; touches no network. */
async function parsePkiBackupFlags(flags, env) {
    (0,_backup_js__WEBPACK_IMPORTED_MODULE_7__.refuseSecretsInFlags)(flags);
    const privateKey = flags.sshKeyFile
        ? await readKeyFile("--ssh-key-file", flags.sshKeyFile)
        : undefined;
    const host = flags.address?.trim() || undefined;
    if (host && (!/^[A-Za-z0-9.:[\]-]+$/.test(host) || (0,_core_redact_js__WEBPACK_IMPORTED_MODULE_2__/* .looksSecret */ .n0)(host))) {
        throw new _backup_js__WEBPACK_IMPORTED_MODULE_7__.FlagError(`--address ${(0,_core_redact_js__WEBPACK_IMPORTED_MODULE_2__/* .quoteValue */ .cl)(host)}: expected a host name or IP address, such as 10.0.0.10.`);
    }
    if (!flags.sshUser || /[\s@:]/.test(flags.sshUser)) {
        throw new _backup_js__WEBPACK_IMPORTED_MODULE_7__.FlagError(`--ssh-user ${(0,_core_redact_js__WEBPACK_IMPORTED_MODULE_2__/* .quoteValue */ .cl)(flags.sshUser)}: expected a user name such as ubuntu.`);
    }
    const needsCluster = !privateKey || !host;
    const kubeconfigPath = needsCluster || flags.kubeconfig?.trim()
        ? (0,_backup_js__WEBPACK_IMPORTED_MODULE_7__.kubeconfigPathFrom)(flags.kubeconfig, env.KUBECONFIG)
        : undefined;
    const port = Number(flags.port);
    if (!/^\d+$/.test(flags.port) || port < 1 || port > 65535) {
        throw new _backup_js__WEBPACK_IMPORTED_MODULE_7__.FlagError(`--port ${(0,_core_redact_js__WEBPACK_IMPORTED_MODULE_2__/* .quoteValue */ .cl)(flags.port)}: expected a TCP port from 1 to 65535.`);
    }
    let jumpHost;
    if (flags.jumpHost) {
        const endpoint = (0,_backup_js__WEBPACK_IMPORTED_MODULE_7__.checkedFlag)("--jump-host", () => (0,_core_ssh_index_js__WEBPACK_IMPORTED_MODULE_4__/* .parseJumpHostSpec */ .Xr)(flags.jumpHost));
        const jumpKey = flags.jumpKeyFile
            ? await readKeyFile("--jump-key-file", flags.jumpKeyFile)
            : undefined;
        jumpHost = { ...endpoint, ...(jumpKey ? { privateKey: jumpKey } : {}) };
    }
    else if (flags.jumpKeyFile) {
        throw new _backup_js__WEBPACK_IMPORTED_MODULE_7__.FlagError("--jump-key-file is given without --jump-host: expected both.");
    }
    let knownHosts = [];
    if (flags.knownHosts) {
        let text;
        try {
            text = await (0,node_fs_promises__WEBPACK_IMPORTED_MODULE_0__.readFile)(flags.knownHosts, "utf8");
        }
        catch (error) {
            throw new _backup_js__WEBPACK_IMPORTED_MODULE_7__.FlagError(`--known-hosts ${(0,_core_redact_js__WEBPACK_IMPORTED_MODULE_2__/* .quoteValue */ .cl)(flags.knownHosts)}: cannot read it (${error.code ?? (0,_core_errors_js__WEBPACK_IMPORTED_MODULE_1__/* .errorMessage */ .gJ)(error)}).`);
        }
        knownHosts = text
            .split("\n")
            .map((line) => line.trim())
            .filter((line) => line && !line.startsWith("#"));
        (0,_backup_js__WEBPACK_IMPORTED_MODULE_7__.checkedFlag)("--known-hosts", () => (0,_core_ssh_index_js__WEBPACK_IMPORTED_MODULE_4__/* .parseKnownHosts */ .uJ)(knownHosts));
    }
    const fingerprints = (flags.hostKeyFingerprint ?? []).map((value) => value.trim());
    (0,_backup_js__WEBPACK_IMPORTED_MODULE_7__.checkedFlag)("--host-key-fingerprint", () => (0,_core_ssh_index_js__WEBPACK_IMPORTED_MODULE_4__/* .parseFingerprints */ .Tr)(fingerprints));
    const paths = (0,_backup_js__WEBPACK_IMPORTED_MODULE_7__.checkedFlag)("--path", () => (0,_core_ssh_index_js__WEBPACK_IMPORTED_MODULE_4__/* .validateNodePaths */ .zv)(flags.path?.length ? flags.path : _core_ssh_pki_js__WEBPACK_IMPORTED_MODULE_5__/* .DEFAULT_PKI_PATHS */ .cI));
    const storage = (0,_backup_js__WEBPACK_IMPORTED_MODULE_7__.parseStorageFlags)(flags, env);
    if (storage.recipients.length === 0) {
        throw new _backup_js__WEBPACK_IMPORTED_MODULE_7__.FlagError("--recipient is required: the PKI archive holds the admin cluster's private keys and is always encrypted; give an age public key (age1..., from age-keygen -y).");
    }
    return {
        ...(kubeconfigPath ? { kubeconfigPath } : {}),
        ...(privateKey ? { privateKey } : {}),
        user: flags.sshUser,
        ...(host ? { host } : {}),
        port,
        ...(jumpHost ? { jumpHost } : {}),
        knownHosts,
        fingerprints,
        acceptUnknownHostKey: Boolean(flags.insecureAcceptUnknownHostKey),
        paths,
        ...storage,
    };
}
function pkiResultTable(result, destination) {
    let text = (0,_backup_js__WEBPACK_IMPORTED_MODULE_7__.renderTable)(["RESULT", "NODE", "HOST KEY", "FILES", "ARCHIVE", "STORED", "DURATION", "URI"], [
        [
            result.outcome,
            result.target ?? result.node ?? "-",
            result.hostKeyFingerprint ?? "-",
            result.fileCount ?? "-",
            result.size !== undefined ? (0,_core_format_js__WEBPACK_IMPORTED_MODULE_9__/* .formatBytes */ .z)(result.size) : "-",
            result.storedSize !== undefined ? (0,_core_format_js__WEBPACK_IMPORTED_MODULE_9__/* .formatBytes */ .z)(result.storedSize) : "-",
            `${(result.durationMs / 1000).toFixed(1)} s`,
            result.uri ?? destination,
        ],
    ]);
    if (result.error)
        text += `\n${result.error}\n`;
    return text;
}
/** How to pin a host key nothing pinned, in this command's flags. */
function pinHint(pin) {
    if (!pin)
        return "";
    return ` To pin it, add --host-key-fingerprint ${pin.fingerprint} (or the line "${pin.knownHostsLine}" to the --known-hosts file); only if you accept the risk, add --insecure-accept-unknown-host-key.`;
}


/***/ })

};
