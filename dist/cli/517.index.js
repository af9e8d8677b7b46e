export const id = 517;
export const ids = [517,300];
export const modules = {

/***/ 37300:
/***/ ((__unused_webpack___webpack_module__, __webpack_exports__, __webpack_require__) => {

/* harmony export */ __webpack_require__.d(__webpack_exports__, {
/* harmony export */   hT: () => (/* binding */ kubeconfigSecrets),
/* harmony export */   loadKubeconfig: () => (/* binding */ loadKubeconfig)
/* harmony export */ });
/* unused harmony exports KUBECONFIG_PATH_FIELD, KUBECONFIG_CONTENT_FIELD, serverOf */
/* harmony import */ var node_fs_promises__WEBPACK_IMPORTED_MODULE_0__ = __webpack_require__(51455);
/* harmony import */ var _kube_client_js__WEBPACK_IMPORTED_MODULE_1__ = __webpack_require__(42830);
/* harmony import */ var _errors_js__WEBPACK_IMPORTED_MODULE_2__ = __webpack_require__(51222);
/* harmony import */ var _redact_js__WEBPACK_IMPORTED_MODULE_3__ = __webpack_require__(79148);
/**
 * The admin cluster's kubeconfig: the one credential everything starts from. It comes either
 * as content (from a secret: kept in memory, never written to disk) or as a path.
 */




/**
 * The kubeconfig settings, in core's words: a path, or the content itself (from a secret).
 * Each front door names them its own way (admin-kubeconfig-path, --kubeconfig).
 */
const KUBECONFIG_PATH_FIELD = "kubeconfig";
const KUBECONFIG_CONTENT_FIELD = "kubeconfigContent";
/** Loads and checks a kubeconfig; every problem is one ConfigurationError naming the setting. */
async function loadKubeconfig(source) {
    const field = "content" in source ? KUBECONFIG_CONTENT_FIELD : KUBECONFIG_PATH_FIELD;
    const what = "content" in source ? "the kubeconfig" : `the kubeconfig ${(0,_redact_js__WEBPACK_IMPORTED_MODULE_3__/* .quoteValue */ .cl)(source.path)}`;
    let text;
    if ("content" in source) {
        text = source.content;
        if (!text.trim()) {
            throw new _errors_js__WEBPACK_IMPORTED_MODULE_2__/* .ConfigurationError */ .j1(field, "the kubeconfig is empty; expected the kubeconfig's YAML.");
        }
    }
    else {
        try {
            text = await (0,node_fs_promises__WEBPACK_IMPORTED_MODULE_0__.readFile)(source.path, "utf8");
        }
        catch (error) {
            const code = error.code;
            throw new _errors_js__WEBPACK_IMPORTED_MODULE_2__/* .ConfigurationError */ .j1(field, `cannot read ${(0,_redact_js__WEBPACK_IMPORTED_MODULE_3__/* .quoteValue */ .cl)(source.path)} (${code ?? (0,_errors_js__WEBPACK_IMPORTED_MODULE_2__/* .errorMessage */ .gJ)(error)}); expected a readable kubeconfig file.`, { cause: error });
        }
    }
    const config = new _kube_client_js__WEBPACK_IMPORTED_MODULE_1__/* .KubeConfig */ .y();
    try {
        config.loadFromString(text);
    }
    catch {
        // The parser's message can quote the input, which may hold credentials: keep it out.
        throw new _errors_js__WEBPACK_IMPORTED_MODULE_2__/* .ConfigurationError */ .j1(field, `${what} is not a valid kubeconfig (YAML with clusters, users and contexts).`);
    }
    const contextName = config.getCurrentContext();
    const context = contextName ? config.getContextObject(contextName) : null;
    if (!context) {
        throw new _errors_js__WEBPACK_IMPORTED_MODULE_2__/* .ConfigurationError */ .j1(field, `${what} has no current-context (or names one that does not exist); set current-context to the admin cluster's context.`);
    }
    const cluster = config.getCluster(context.cluster);
    if (!cluster?.server) {
        throw new _errors_js__WEBPACK_IMPORTED_MODULE_2__/* .ConfigurationError */ .j1(field, `${what}: context ${(0,_redact_js__WEBPACK_IMPORTED_MODULE_3__/* .quoteValue */ .cl)(contextName)} names cluster ${(0,_redact_js__WEBPACK_IMPORTED_MODULE_3__/* .quoteValue */ .cl)(context.cluster)}, which has no server URL.`);
    }
    if (!/^https:\/\//.test(cluster.server)) {
        throw new _errors_js__WEBPACK_IMPORTED_MODULE_2__/* .ConfigurationError */ .j1(field, `${what}: cluster ${(0,_redact_js__WEBPACK_IMPORTED_MODULE_3__/* .quoteValue */ .cl)(context.cluster)} has server ${(0,_redact_js__WEBPACK_IMPORTED_MODULE_3__/* .quoteValue */ .cl)(cluster.server)}; expected an https:// URL.`);
    }
    return config;
}
/** The API server URL of the current context, for messages. */
function serverOf(config) {
    return config.getCurrentCluster()?.server ?? "(no server)";
}
/**
 * Every secret string in a kubeconfig (tokens, passwords, client keys, in each encoding a
 * log could show them), so an action can mask them before anything is printed.
 */
function kubeconfigSecrets(config) {
    const secrets = [];
    for (const user of config.getUsers()) {
        for (const value of [user.token, user.password, user.keyData]) {
            if (!value)
                continue;
            secrets.push(value);
            if (value === user.keyData)
                secrets.push(Buffer.from(value, "base64").toString("utf8"));
        }
    }
    return secrets.filter((value) => value.length >= 4);
}


/***/ }),

/***/ 11517:
/***/ ((__unused_webpack___webpack_module__, __webpack_exports__, __webpack_require__) => {

/* harmony export */ __webpack_require__.d(__webpack_exports__, {
/* harmony export */   G: () => (/* binding */ USER_KUBECONFIGS_FIELD),
/* harmony export */   loadUserKubeconfigs: () => (/* binding */ loadUserKubeconfigs)
/* harmony export */ });
/* harmony import */ var node_fs_promises__WEBPACK_IMPORTED_MODULE_0__ = __webpack_require__(51455);
/* harmony import */ var node_path__WEBPACK_IMPORTED_MODULE_1__ = __webpack_require__(76760);
/* harmony import */ var _errors_js__WEBPACK_IMPORTED_MODULE_2__ = __webpack_require__(51222);
/* harmony import */ var _redact_js__WEBPACK_IMPORTED_MODULE_3__ = __webpack_require__(79148);
/* harmony import */ var _storage_layout_js__WEBPACK_IMPORTED_MODULE_4__ = __webpack_require__(50721);
/* harmony import */ var _kubeconfig_js__WEBPACK_IMPORTED_MODULE_5__ = __webpack_require__(37300);
/**
 * The kubeconfigs of Controlplane V2 user clusters (issue 16): such a cluster's etcd runs as
 * static pods on its own control-plane nodes, reachable only through its own API server, so
 * the admin kubeconfig cannot find it. Each is named by the cluster its current context
 * points at (gkectl names it after the user cluster), so a folder of kubeconfigs needs no
 * list of names beside it.
 */






/** The setting, in core's words; the action calls it user-kubeconfigs, the CLI --user-kubeconfig. */
const USER_KUBECONFIGS_FIELD = "userKubeconfigs";
/** Loads every kubeconfig given (files, or folders whose files are all kubeconfigs). */
async function loadUserKubeconfigs(paths) {
    const files = [];
    for (const path of paths)
        files.push(...(await kubeconfigFiles(path)));
    const clusters = [];
    for (const path of files) {
        const config = await (0,_kubeconfig_js__WEBPACK_IMPORTED_MODULE_5__.loadKubeconfig)({ path }).catch((error) => {
            if (!(0,_errors_js__WEBPACK_IMPORTED_MODULE_2__/* .isConfigurationError */ .p0)(error))
                throw error;
            throw new _errors_js__WEBPACK_IMPORTED_MODULE_2__/* .ConfigurationError */ .j1(USER_KUBECONFIGS_FIELD, error.problem, { cause: error });
        });
        const name = config.getContextObject(config.getCurrentContext())?.cluster ?? "";
        if (name === "admin" || !(0,_storage_layout_js__WEBPACK_IMPORTED_MODULE_4__/* .isClusterName */ .Qq)(name)) {
            throw new _errors_js__WEBPACK_IMPORTED_MODULE_2__/* .ConfigurationError */ .j1(USER_KUBECONFIGS_FIELD, `${(0,_redact_js__WEBPACK_IMPORTED_MODULE_3__/* .quoteValue */ .cl)(path)}: its current context's cluster is named ${(0,_redact_js__WEBPACK_IMPORTED_MODULE_3__/* .quoteValue */ .cl)(name)}, which cannot name a user cluster; expected the user cluster's name (lower-case letters, digits and '-', not "admin"): rename the cluster entry in that kubeconfig.`);
        }
        const twin = clusters.find((cluster) => cluster.name === name);
        if (twin) {
            throw new _errors_js__WEBPACK_IMPORTED_MODULE_2__/* .ConfigurationError */ .j1(USER_KUBECONFIGS_FIELD, `${(0,_redact_js__WEBPACK_IMPORTED_MODULE_3__/* .quoteValue */ .cl)(path)} and ${(0,_redact_js__WEBPACK_IMPORTED_MODULE_3__/* .quoteValue */ .cl)(twin.path)} both name cluster ${name}; expected one kubeconfig per user cluster.`);
        }
        clusters.push({ name, config, path });
    }
    return clusters;
}
/** A file is itself; a folder is its regular files, in name order (hidden files skipped). */
async function kubeconfigFiles(path) {
    let info;
    try {
        info = await (0,node_fs_promises__WEBPACK_IMPORTED_MODULE_0__.stat)(path);
    }
    catch (error) {
        const code = error.code;
        throw new _errors_js__WEBPACK_IMPORTED_MODULE_2__/* .ConfigurationError */ .j1(USER_KUBECONFIGS_FIELD, `cannot read ${(0,_redact_js__WEBPACK_IMPORTED_MODULE_3__/* .quoteValue */ .cl)(path)} (${code ?? (0,_errors_js__WEBPACK_IMPORTED_MODULE_2__/* .errorMessage */ .gJ)(error)}); expected a kubeconfig file or a folder of them.`, { cause: error });
    }
    if (!info.isDirectory())
        return [path];
    const entries = await (0,node_fs_promises__WEBPACK_IMPORTED_MODULE_0__.readdir)(path, { withFileTypes: true });
    const files = entries
        .filter((entry) => entry.isFile() && !entry.name.startsWith("."))
        .map((entry) => (0,node_path__WEBPACK_IMPORTED_MODULE_1__.join)(path, entry.name))
        .sort();
    if (files.length === 0) {
        throw new _errors_js__WEBPACK_IMPORTED_MODULE_2__/* .ConfigurationError */ .j1(USER_KUBECONFIGS_FIELD, `the folder ${(0,_redact_js__WEBPACK_IMPORTED_MODULE_3__/* .quoteValue */ .cl)(path)} holds no kubeconfig file; expected one kubeconfig per Controlplane V2 user cluster.`);
    }
    return files;
}


/***/ })

};
