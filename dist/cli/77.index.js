export const id = 77;
export const ids = [77];
export const modules = {

/***/ 65743:
/***/ ((__unused_webpack___webpack_module__, __webpack_exports__, __webpack_require__) => {

/* harmony export */ __webpack_require__.d(__webpack_exports__, {
/* harmony export */   qg: () => (/* binding */ memberConfigFromContainer)
/* harmony export */ });
/* unused harmony exports ETCD_DEFAULTS, parseInitialCluster, expandReferences */
/**
 * A member's etcd configuration as etcd itself would read it from its pod's command line:
 * `--flag=value` or `--flag value`, the `ETCD_*` environment variables for flags not given,
 * `$(POD_NAME)`-style references expanded as the kubelet expands them, and etcd's own
 * defaults for everything else. A restore needs exactly these values for every member
 * (`--name`, `--initial-cluster`, `--initial-cluster-token`, the member's own peer URLs and
 * its data dir): a member restored with any of them wrong gets another member or cluster ID
 * and never joins the others (etcd#9096).
 */
/** etcd 3.4's defaults (`etcd --help`). */
const ETCD_DEFAULTS = {
    name: "default",
    initialAdvertisePeerUrls: "http://localhost:2380",
    initialClusterToken: "etcd-cluster",
    quotaBackendBytes: 2 * 1024 * 1024 * 1024,
};
/**
 * Reads a member's configuration from its container (a StatefulSet's template read for
 * one member's pod name, or a static pod's manifest). Throws one sentence when the command
 * line does not run etcd.
 */
function memberConfigFromContainer(container, pod, where) {
    const env = resolveEnvironment(container.env ?? [], pod);
    const argv = [...(container.command ?? []), ...(container.args ?? [])].map((word) => expandReferences(word, env));
    const etcdArgs = etcdArguments(argv);
    if (!etcdArgs) {
        throw new Error(`${where} does not run etcd (its command is ${JSON.stringify(argv.slice(0, 3))}...); expected a container whose command or shell script starts etcd.`);
    }
    const flags = parseFlags(etcdArgs);
    const read = (flag) => flags.get(flag) ?? env.get(`ETCD_${flag.toUpperCase().replace(/-/g, "_")}`);
    const name = read("name") ?? ETCD_DEFAULTS.name;
    const peerUrlText = read("initial-advertise-peer-urls") ?? ETCD_DEFAULTS.initialAdvertisePeerUrls;
    const initialCluster = read("initial-cluster") ?? `${name}=${peerUrlText}`;
    return {
        name,
        dataDir: read("data-dir") ?? `${name}.etcd`,
        initialCluster,
        initialClusterMembers: parseInitialCluster(initialCluster, where),
        initialClusterToken: read("initial-cluster-token") ?? ETCD_DEFAULTS.initialClusterToken,
        peerUrls: splitList(peerUrlText),
        quotaBackendBytes: quotaBackendBytes(read("quota-backend-bytes")),
    };
}
/** As etcd reads the flag: unset or 0 is its default, a negative value disables the quota. */
function quotaBackendBytes(text) {
    const bytes = Number(text ?? 0);
    if (bytes < 0)
        return undefined;
    return bytes > 0 ? bytes : ETCD_DEFAULTS.quotaBackendBytes;
}
/** `a=https://a:2380,b=https://b:2380` (a member may list several URLs under one name). */
function parseInitialCluster(text, where) {
    const members = new Map();
    for (const entry of splitList(text)) {
        const separator = entry.indexOf("=");
        if (separator <= 0 || separator === entry.length - 1) {
            throw new Error(`${where}: --initial-cluster entry "${entry}" is not name=peer-url; expected e.g. kube-etcd-0=https://kube-etcd-0.kube-etcd:2380.`);
        }
        const name = entry.slice(0, separator);
        members.set(name, [...(members.get(name) ?? []), entry.slice(separator + 1)]);
    }
    return [...members].map(([name, peerUrls]) => ({ name, peerUrls }));
}
function splitList(text) {
    return text
        .split(",")
        .map((item) => item.trim())
        .filter(Boolean);
}
/** The container's variables, each expanded against those before it, as the kubelet does. */
function resolveEnvironment(vars, pod) {
    const env = new Map();
    for (const variable of vars) {
        const field = variable.valueFrom?.fieldRef?.fieldPath;
        if (field === "metadata.name")
            env.set(variable.name, pod.name);
        else if (field === "metadata.namespace")
            env.set(variable.name, pod.namespace);
        else if (variable.value !== undefined)
            env.set(variable.name, expandReferences(variable.value, env));
    }
    return env;
}
/**
 * Kubernetes' `$(VAR)` expansion: a defined variable is replaced, `$$` is a literal `$`,
 * and a reference to an undefined variable stays as written.
 */
function expandReferences(text, env) {
    return text.replace(/\$\$|\$\(([A-Za-z_][A-Za-z0-9_]*)\)/g, (match, name) => {
        if (match === "$$")
            return "$";
        return name !== undefined && env.has(name) ? env.get(name) : match;
    });
}
/** The arguments after the `etcd` binary: in the argv itself, or inside a `sh -c` script. */
function etcdArguments(argv) {
    const direct = argv.findIndex(isEtcdBinary);
    if (direct >= 0)
        return argv.slice(direct + 1);
    const script = argv.findIndex((word, index) => word === "-c" && index > 0 && /sh$/.test(argv[0]));
    if (script >= 0 && argv[script + 1]) {
        const words = shellWords(argv[script + 1]);
        const start = words.findIndex(isEtcdBinary);
        if (start >= 0) {
            const rest = words.slice(start + 1);
            const end = rest.findIndex((word) => [";", "&&", "||", "|", "&"].includes(word));
            return end >= 0 ? rest.slice(0, end) : rest;
        }
    }
    return undefined;
}
function isEtcdBinary(word) {
    return word === "etcd" || word.endsWith("/etcd");
}
/** `--flag=value`, `--flag value` and `-flag` forms, as Go's flag package reads them. */
function parseFlags(args) {
    const flags = new Map();
    for (let index = 0; index < args.length; index++) {
        const word = args[index];
        const match = /^--?([a-z0-9-]+)(?:=(.*))?$/s.exec(word);
        if (!match)
            continue;
        const [, flag, value] = match;
        if (value !== undefined)
            flags.set(flag, value);
        else if (args[index + 1] !== undefined && !args[index + 1].startsWith("-")) {
            flags.set(flag, args[++index]);
        }
        else
            flags.set(flag, "true");
    }
    return flags;
}
/** Splits a shell command line into words, honouring single and double quotes. */
function shellWords(script) {
    const words = [];
    let current = "";
    let quote;
    let inWord = false;
    for (const char of script) {
        if (quote) {
            if (char === quote)
                quote = undefined;
            else
                current += char;
        }
        else if (char === "'" || char === '"') {
            quote = char;
            inWord = true;
        }
        else if (/\s/.test(char)) {
            if (inWord)
                words.push(current);
            current = "";
            inWord = false;
        }
        else if (char === ";") {
            if (inWord)
                words.push(current);
            words.push(";");
            current = "";
            inWord = false;
        }
        else {
            current += char;
            inWord = true;
        }
    }
    if (inWord)
        words.push(current);
    return words;
}


/***/ }),

/***/ 2241:
/***/ ((__unused_webpack___webpack_module__, __webpack_exports__, __webpack_require__) => {

/* harmony export */ __webpack_require__.d(__webpack_exports__, {
/* harmony export */   uz: () => (/* binding */ ConfigMapJournal)
/* harmony export */ });
/* unused harmony exports RESTORE_JOURNAL_NAME, restoreInProgress */
/* harmony import */ var _kube_client_js__WEBPACK_IMPORTED_MODULE_0__ = __webpack_require__(42830);
/* harmony import */ var _errors_js__WEBPACK_IMPORTED_MODULE_1__ = __webpack_require__(43604);


const RESTORE_JOURNAL_NAME = "etcd-backup-actions-restore";
const ENTRIES_KEY = "journal";
class ConfigMapJournal {
    config;
    namespace;
    name;
    description;
    resourceVersion;
    entries;
    removed = false;
    constructor(config, namespace, name = RESTORE_JOURNAL_NAME) {
        this.config = config;
        this.namespace = namespace;
        this.name = name;
        this.description = `ConfigMap ${namespace}/${name} of the admin cluster`;
    }
    async read() {
        const configMap = await this.fetch();
        this.resourceVersion = configMap?.metadata?.resourceVersion;
        this.entries = configMap ? parseEntries(configMap, this.description) : [];
        return [...this.entries];
    }
    async append(entry) {
        // Removed by the run's last step: the work is finished, and its lock must stay released.
        if (this.removed)
            return;
        if (this.entries === undefined)
            await this.read();
        await this.write([...this.entries, entry]);
    }
    /**
     * Replaces every entry in one write (creating the journal if needed): used when a new piece
     * of work takes the lock over and must keep what the old one recorded.
     */
    async rewrite(entries) {
        await this.read();
        this.removed = false;
        await this.write(entries);
    }
    async write(entries) {
        const core = this.config.makeApiClient(_kube_client_js__WEBPACK_IMPORTED_MODULE_0__.CoreV1Api);
        const body = {
            apiVersion: "v1",
            kind: "ConfigMap",
            metadata: {
                name: this.name,
                namespace: this.namespace,
                labels: { "app.kubernetes.io/managed-by": "etcd-backup-actions" },
                ...(this.resourceVersion ? { resourceVersion: this.resourceVersion } : {}),
            },
            data: { [ENTRIES_KEY]: entries.map((item) => JSON.stringify(item)).join("\n") + "\n" },
        };
        try {
            const written = this.resourceVersion
                ? await core.replaceNamespacedConfigMap({
                    name: this.name,
                    namespace: this.namespace,
                    body,
                })
                : await core.createNamespacedConfigMap({ namespace: this.namespace, body });
            this.resourceVersion = written.metadata?.resourceVersion;
            this.entries = entries;
        }
        catch (error) {
            const code = error.code;
            if (code === 409) {
                throw new Error(`${this.description} was written by someone else meanwhile (another restore of this cluster is running): this run stops.`, { cause: error });
            }
            throw new Error((0,_errors_js__WEBPACK_IMPORTED_MODULE_1__/* .describeApiError */ .g)(error, this.description), { cause: error });
        }
    }
    /** Removes the journal: the restore is finished (or undone) and the lock is released. */
    async remove() {
        const core = this.config.makeApiClient(_kube_client_js__WEBPACK_IMPORTED_MODULE_0__.CoreV1Api);
        await core
            .deleteNamespacedConfigMap({ name: this.name, namespace: this.namespace })
            .catch((error) => {
            if (error.code === 404)
                return;
            throw new Error((0,_errors_js__WEBPACK_IMPORTED_MODULE_1__/* .describeApiError */ .g)(error, this.description), { cause: error });
        });
        this.entries = [];
        this.resourceVersion = undefined;
        this.removed = true;
    }
    /** After remove(): the journal takes entries again (a new piece of work takes the lock). */
    reopen() {
        this.removed = false;
    }
    async fetch() {
        const core = this.config.makeApiClient(_kube_client_js__WEBPACK_IMPORTED_MODULE_0__.CoreV1Api);
        try {
            return await core.readNamespacedConfigMap({ name: this.name, namespace: this.namespace });
        }
        catch (error) {
            if (error.code === 404)
                return undefined;
            throw new Error((0,_errors_js__WEBPACK_IMPORTED_MODULE_1__/* .describeApiError */ .g)(error, this.description), { cause: error });
        }
    }
}
/** Whether a restore of the cluster in `namespace` holds the lock (its journal exists). */
async function restoreInProgress(config, namespace) {
    return (await new ConfigMapJournal(config, namespace).read()).length > 0;
}
function parseEntries(configMap, description) {
    const text = configMap.data?.[ENTRIES_KEY] ?? "";
    return text
        .split("\n")
        .filter((line) => line.trim())
        .map((line, index) => {
        try {
            return JSON.parse(line);
        }
        catch {
            throw new Error(`${description} is damaged at entry ${index + 1}; read it before continuing.`);
        }
    });
}


/***/ }),

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

/***/ 94077:
/***/ ((__unused_webpack___webpack_module__, __webpack_exports__, __webpack_require__) => {


// EXPORTS
__webpack_require__.d(__webpack_exports__, {
  runEtcdRestore: () => (/* binding */ runEtcdRestore),
  runEtcdUndo: () => (/* binding */ runEtcdUndo)
});

// UNUSED EXPORTS: API_SERVER, API_SERVER_PDB, MAINTENANCE, PRE_RESTORE_KEEP, etcdRestorePlan, etcdUndoPlan, etcdVersionOfImage, finishInterruptedRestore, utilityPodManifest

// EXTERNAL MODULE: ./.build/compile/src/core/kube-client.js
var kube_client = __webpack_require__(42830);
// EXTERNAL MODULE: ./.build/compile/src/core/errors.js
var errors = __webpack_require__(51222);
// EXTERNAL MODULE: ./.build/compile/src/core/etcd/etcdctl.js
var etcdctl = __webpack_require__(6299);
// EXTERNAL MODULE: ./.build/compile/src/core/etcd/member-config.js
var member_config = __webpack_require__(65743);
// EXTERNAL MODULE: ./.build/compile/src/core/etcd/profiles.js
var profiles = __webpack_require__(71848);
// EXTERNAL MODULE: ./.build/compile/src/core/etcd/restore-scripts.js
var restore_scripts = __webpack_require__(74383);
// EXTERNAL MODULE: ./.build/compile/src/core/format.js
var format = __webpack_require__(44714);
// EXTERNAL MODULE: ./.build/compile/src/core/kube/configmap-journal.js
var configmap_journal = __webpack_require__(2241);
// EXTERNAL MODULE: ./.build/compile/src/core/kube/errors.js
var kube_errors = __webpack_require__(43604);
// EXTERNAL MODULE: ./.build/compile/src/core/kube/exec.js
var exec = __webpack_require__(87770);
// EXTERNAL MODULE: external "node:https"
var external_node_https_ = __webpack_require__(44708);
;// CONCATENATED MODULE: ./.build/compile/src/core/kube/raw-request.js
/**
 * A REST call that keeps the object exactly as the API server sent it: client-node's typed
 * models drop fields they do not know, which must not happen to an object we re-create.
 */



/** How long one call may take: the API server answers these in milliseconds. */
const REQUEST_TIMEOUT_MS = 60_000;
/** `error.code` and `error.body` as client-node's ApiException has them, for describeApiError. */
class RawApiError extends Error {
    code;
    body;
    constructor(code, body) {
        super(`HTTP ${code}`);
        this.code = code;
        this.body = body;
    }
}
/** One JSON request; a transport failure rejects, every HTTP answer resolves. */
async function rawRequest(config, method, path, body, signal) {
    const server = config.getCurrentCluster()?.server;
    if (!server)
        throw new Error("kubeconfig has no current cluster");
    const options = {
        method,
        headers: { Accept: "application/json" },
    };
    await config.applyToHTTPSOptions(options);
    const payload = body === undefined ? undefined : Buffer.from(JSON.stringify(body));
    if (payload) {
        options.headers["Content-Type"] = "application/json";
        options.headers["Content-Length"] = String(payload.length);
    }
    const url = new URL(server.replace(/\/$/, "") + path);
    return new Promise((resolve, reject) => {
        const call = (0,external_node_https_.request)(url, { ...options, timeout: REQUEST_TIMEOUT_MS }, (response) => {
            const chunks = [];
            response.on("data", (chunk) => chunks.push(chunk));
            response.on("error", reject);
            response.on("end", () => {
                const text = Buffer.concat(chunks).toString("utf8");
                let parsed = text;
                try {
                    parsed = JSON.parse(text);
                }
                catch {
                    // Not JSON (a proxy's error page): kept as text for the message.
                }
                resolve({ code: response.statusCode ?? 0, body: parsed });
            });
        });
        call.on("timeout", () => call.destroy(new Error(`no answer within ${REQUEST_TIMEOUT_MS / 1000} s`)));
        call.on("error", reject);
        const onAbort = () => call.destroy(new errors/* CancelledError */.cc(`${method} ${path} was cancelled.`));
        signal?.addEventListener("abort", onAbort, { once: true });
        call.on("close", () => signal?.removeEventListener("abort", onAbort));
        call.end(payload);
    });
}
/**
 * rawRequest whose failures (the transport's and every HTTP error answer) are one error naming
 * the object and the action, except the answers the caller handles itself (`allowed`: 404 for
 * "there is none", 409 for "already there").
 */
async function rawRequestOrThrow(config, request, what, action, allowed) {
    let response;
    try {
        response = await rawRequest(config, request.method, request.path, request.body, request.signal);
    }
    catch (error) {
        throw new Error((0,kube_errors/* describeApiError */.g)(error, what, action), { cause: error });
    }
    if (response.code < 300 || allowed.includes(response.code))
        return response;
    const error = new RawApiError(response.code, response.body);
    throw new Error((0,kube_errors/* describeApiError */.g)(error, what, action), { cause: error });
}

// EXTERNAL MODULE: ./.build/compile/src/core/kube/wait.js
var wait = __webpack_require__(13058);
;// CONCATENATED MODULE: ./.build/compile/src/core/kube/pdb.js


/** What the API server writes into metadata itself; a create that carries them is refused or misleading. */
const SERVER_SET_METADATA = [
    "resourceVersion",
    "uid",
    "creationTimestamp",
    "generation",
    "managedFields",
    "selfLink",
    "deletionTimestamp",
    "deletionGracePeriodSeconds",
];
const pathOf = (ref, withName = true) => `/apis/policy/v1/namespaces/${encodeURIComponent(ref.namespace)}/poddisruptionbudgets${withName ? `/${encodeURIComponent(ref.name)}` : ""}`;
const describePdb = (ref) => `poddisruptionbudget ${ref.namespace}/${ref.name}`;
/** The object without status and the server's metadata, everything else exactly as read. */
function withoutServerFields(object) {
    const { status: _status, metadata, ...rest } = object;
    const cleanMetadata = { ...metadata };
    for (const field of SERVER_SET_METADATA)
        delete cleanMetadata[field];
    return { ...rest, metadata: cleanMetadata };
}
/** Reads the PDB to put back later; undefined when there is none. */
async function savePodDisruptionBudget(config, ref, signal) {
    const response = await call(config, "GET", pathOf(ref), ref, "reading", undefined, signal);
    if (response.code === 404)
        return undefined;
    return withoutServerFields(response.body);
}
/** Deletes the PDB and waits until it is gone; one that does not exist is fine. */
async function deletePodDisruptionBudget(config, ref, options) {
    const deleted = await call(config, "DELETE", pathOf(ref), ref, "deleting", undefined, options.signal);
    if (deleted.code === 404)
        return;
    await (0,wait/* waitUntil */.a)(`${describePdb(ref)} to be gone after its deletion`, async () => {
        const read = await call(config, "GET", pathOf(ref), ref, "reading", undefined, options.signal);
        return read.code === 404
            ? { done: true, value: undefined }
            : { done: false, waitingFor: "it still exists (a finalizer?)" };
    }, options);
}
/**
 * Creates the saved PDB again. One already there with the same spec is fine (a rerun);
 * one with another spec is an error, since someone else has put a different one in place.
 */
async function recreatePodDisruptionBudget(config, saved, signal) {
    const ref = { namespace: saved.metadata.namespace, name: saved.metadata.name };
    const body = withoutServerFields(saved);
    const created = await call(config, "POST", pathOf(ref, false), ref, "re-creating", body, signal, 409);
    if (created.code !== 409)
        return "created";
    const current = await call(config, "GET", pathOf(ref), ref, "reading", undefined, signal);
    if (current.code === 200 && sameJson(current.body.spec, saved.spec)) {
        return "already present";
    }
    throw new Error(`${describePdb(ref)} already exists with a spec other than the saved one; compare it with the saved ${JSON.stringify(saved.spec)} and fix it by hand.`);
}
/** A call whose failure answers are errors, except the one the caller handles (`allowed`). */
async function call(config, method, path, ref, action, body, signal, allowed = 404) {
    return rawRequestOrThrow(config, { method, path, body, signal }, describePdb(ref), action, [
        allowed,
    ]);
}
function sameJson(a, b) {
    return canonical(a) === canonical(b);
}
/** JSON with sorted keys: two equal objects in another key order compare equal. */
function canonical(value) {
    return JSON.stringify(value, (_key, child) => child && typeof child === "object" && !Array.isArray(child)
        ? Object.fromEntries(Object.entries(child).sort(([a], [b]) => a < b ? -1 : a > b ? 1 : 0))
        : child);
}

// EXTERNAL MODULE: ./.build/compile/src/core/kube/pods.js
var kube_pods = __webpack_require__(51839);
// EXTERNAL MODULE: ./.build/compile/src/core/etcd/backup-version.js
var backup_version = __webpack_require__(52225);
// EXTERNAL MODULE: ./.build/compile/src/core/kube/scale.js
var scale = __webpack_require__(36693);
;// CONCATENATED MODULE: ./.build/compile/src/core/kube/statefulset-recreate.js



const setPath = (ref, withName = true) => `/apis/apps/v1/namespaces/${encodeURIComponent(ref.namespace)}/statefulsets${withName ? `/${encodeURIComponent(ref.name)}` : ""}`;
const describeStatefulSet = (ref) => `statefulset ${ref.namespace}/${ref.name}`;
/** Reads the set as it is to be put back later; undefined when there is none. */
async function readStatefulSet(config, ref, signal) {
    const response = await statefulset_recreate_call(config, "GET", setPath(ref), ref, "reading", undefined, signal);
    return response.code === 404 ? undefined : response.body;
}
/** The set without status and the server's metadata, everything else exactly as read. */
function savedStatefulSet(live) {
    return withoutServerFields(live);
}
/**
 * Makes the live set the saved one with `podManagementPolicy` (the saved one's own when not
 * given), keeping its pods: orphan-deletes a set with another policy, creates the wanted one
 * if none is there, and waits until every pod of its ordinals that exists is controlled by
 * the new set. Safe to call again after an interruption at any point (the set deleted but
 * not yet created, say): it works from what it finds.
 */
async function recreateStatefulSetKeepingPods(config, saved, podManagementPolicy, options) {
    const ref = { namespace: saved.metadata.namespace, name: saved.metadata.name };
    const wanted = savedStatefulSet(structuredClone(saved));
    if (podManagementPolicy)
        wanted.spec.podManagementPolicy = podManagementPolicy;
    const wantedPolicy = wanted.spec.podManagementPolicy ?? "OrderedReady";
    let live = await readStatefulSet(config, ref, options.signal);
    let action = "already in place";
    if (live && (live.spec.podManagementPolicy ?? "OrderedReady") !== wantedPolicy) {
        await orphanDelete(config, ref, options);
        live = undefined;
    }
    if (!live) {
        const created = await statefulset_recreate_call(config, "POST", setPath(ref, false), ref, "re-creating", wanted, options.signal);
        if (created.code === 404) {
            throw new Error(`re-creating ${describeStatefulSet(ref)} failed: its namespace is gone (404); the saved copy is in the restore's journal.`);
        }
        if (created.code === 409) {
            live = await adoptConcurrentCreate(config, ref, wanted, options.signal);
        }
        else {
            live = created.body;
            action = "re-created";
        }
    }
    const adoptedPods = await waitForAdoption(config, ref, live, options);
    return { action, adoptedPods };
}
/**
 * Something created the set between the delete and this create (409 AlreadyExists): if it
 * is the wanted one, take it as done; another set there is one clear error, never replaced.
 */
async function adoptConcurrentCreate(config, ref, wanted, signal) {
    const live = await readStatefulSet(config, ref, signal);
    const samePolicy = (live?.spec.podManagementPolicy ?? "OrderedReady") ===
        (wanted.spec.podManagementPolicy ?? "OrderedReady");
    if (live && samePolicy && specMatches(wanted.spec, live.spec))
        return live;
    throw new Error(live
        ? `re-creating ${describeStatefulSet(ref)} found one already created by someone else (409 AlreadyExists), with another spec than the saved copy (podManagementPolicy ${live.spec.podManagementPolicy ?? "OrderedReady"}, replicas ${live.spec.replicas ?? 1}); the restore does not replace it: check what re-created it, then rerun (the saved copy is in the restore's journal).`
        : `re-creating ${describeStatefulSet(ref)} was refused as already existing (409 AlreadyExists), but it is gone again: something else is creating and deleting it; stop that, then rerun.`);
}
/**
 * Whether the live spec is the wanted one: every field the wanted spec sets has the same
 * value live (the API server may add defaults the saved copy lacked; it never drops one).
 */
function specMatches(wanted, live) {
    if (Array.isArray(wanted)) {
        return (Array.isArray(live) &&
            live.length === wanted.length &&
            wanted.every((item, index) => specMatches(item, live[index])));
    }
    if (wanted !== null && typeof wanted === "object") {
        if (live === null || typeof live !== "object" || Array.isArray(live))
            return false;
        return Object.entries(wanted).every(([key, value]) => specMatches(value, live[key]));
    }
    return wanted === live;
}
/** `kubectl delete statefulset --cascade=orphan`, then waits until the set is gone. */
async function orphanDelete(config, ref, options) {
    const deleted = await statefulset_recreate_call(config, "DELETE", setPath(ref), ref, "deleting (orphaning its pods)", { apiVersion: "v1", kind: "DeleteOptions", propagationPolicy: "Orphan" }, options.signal);
    if (deleted.code === 404)
        return;
    await (0,wait/* waitUntil */.a)(`${describeStatefulSet(ref)} to be gone after its deletion with orphan propagation`, async () => (await readStatefulSet(config, ref, options.signal))
        ? { done: false, waitingFor: "it still exists (the orphan finalizer not yet done?)" }
        : { done: true, value: undefined }, options);
}
/**
 * Every existing pod of the set's ordinals controlled by the set (its uid): the controller
 * has adopted what the old set left running. Pods that do not exist (a set at 0) are fine.
 */
async function waitForAdoption(config, ref, live, options) {
    const uid = live.metadata.uid;
    const pattern = new RegExp(`^${ref.name.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}-\\d+$`);
    const podsPath = `/api/v1/namespaces/${encodeURIComponent(ref.namespace)}/pods`;
    return (0,wait/* waitUntil */.a)(`the pods of ${describeStatefulSet(ref)} to be adopted by the re-created set`, async () => {
        const listed = await statefulset_recreate_call(config, "GET", podsPath, ref, "listing the pods of", undefined);
        const pods = (listed.body.items ?? []).filter((pod) => pattern.test(pod.metadata.name) && !pod.metadata.deletionTimestamp);
        const waiting = pods.filter((pod) => !(pod.metadata.ownerReferences ?? []).some((owner) => owner.controller === true && owner.uid === uid));
        return waiting.length === 0
            ? { done: true, value: pods.map((pod) => pod.metadata.name).sort() }
            : {
                done: false,
                waitingFor: `${waiting.map((pod) => pod.metadata.name).join(", ")} not yet controlled by it`,
            };
    }, options);
}
async function statefulset_recreate_call(config, method, path, ref, action, body, signal) {
    // A create that finds the set already there: the caller decides whether that is done.
    const allowed = method === "POST" ? [404, 409] : [404];
    return rawRequestOrThrow(config, { method, path, body, signal }, describeStatefulSet(ref), action, allowed);
}

// EXTERNAL MODULE: external "node:stream"
var external_node_stream_ = __webpack_require__(57075);
// EXTERNAL MODULE: ./.build/compile/src/core/crypto/age.js + 2 modules
var age = __webpack_require__(8673);
// EXTERNAL MODULE: ./.build/compile/src/core/storage/pipeline.js
var pipeline = __webpack_require__(86473);
// EXTERNAL MODULE: ./.build/compile/src/core/stream/tee.js
var tee = __webpack_require__(16200);
// EXTERNAL MODULE: ./.build/compile/src/core/kube/stream-into-pod.js
var stream_into_pod = __webpack_require__(98552);
;// CONCATENATED MODULE: ./.build/compile/src/core/kube/stream-backup-into-pods.js
/**
 * A backup's plaintext streamed into pods: read (and decrypted) once on the runner, the same
 * bytes fanned out to every pod through exec stdin, each pod checking the manifest's size and
 * sha256 before the file gets its name (stream-into-pod.ts). The restore's way: one utility
 * pod per member.
 */





/**
 * Resolves when every pod holds the checked file;
 * rejects with the root cause: a damaged or undecryptable backup before a pod's failure.
 */
async function streamBackupIntoPods(options) {
    const plaintext = options.backup.manifest.payload.plaintext;
    const feeds = options.destinations.map(() => new external_node_stream_.PassThrough({ highWaterMark: 1024 * 1024 }));
    const deliveries = options.destinations.map((destination, index) => (0,stream_into_pod/* streamFileIntoPod */.O)(options.config, destination.target, destination.path, feeds[index], { bytes: plaintext.bytes, sha256: plaintext.sha256 }, options.signal ? { signal: options.signal } : {}));
    const outputs = feeds;
    const read = (0,pipeline/* readBackup */.fe)(options.store, options.backup, (0,tee/* fanOut */.YO)(outputs), {
        identities: options.identities,
        logger: options.logger,
    }).catch((error) => {
        // Every receiver stops at once, removing its partial file.
        for (const output of outputs)
            output.destroy(error);
        throw error;
    });
    const [readOutcome, ...deliveryOutcomes] = await Promise.allSettled([read, ...deliveries]);
    const deliveryFailure = deliveryOutcomes.find((outcome) => outcome.status === "rejected");
    if (readOutcome.status === "rejected") {
        const cause = readOutcome.reason;
        // A damaged or undecryptable backup is the root cause; a closed feed is a pod's failure.
        if (cause instanceof pipeline/* BackupIntegrityError */.wR ||
            cause instanceof age/* AgeDecryptionError */.fv ||
            !deliveryFailure)
            throw cause;
    }
    if (deliveryFailure)
        throw deliveryFailure.reason;
}

// EXTERNAL MODULE: ./.build/compile/src/procedures/plan.js
var procedures_plan = __webpack_require__(49513);
// EXTERNAL MODULE: ./.build/compile/src/procedures/restore-record.js
var restore_record = __webpack_require__(76990);
// EXTERNAL MODULE: ./.build/compile/src/procedures/utility-image.js
var utility_image = __webpack_require__(36260);
;// CONCATENATED MODULE: ./.build/compile/src/procedures/etcd-restore.js




















const API_SERVER = "kube-apiserver";
const MAINTENANCE = "gke-master-etcd-maintenance";
const API_SERVER_PDB = "kube-apiserver-pdb";
/** On each utility pod: the member's data dir, so a clean-up knows where its files are. */
const DATA_DIR_ANNOTATION = "etcd-backup-actions/data-dir";
/** How many pre-restore folders a member keeps; older ones go once the restore is proven. */
const PRE_RESTORE_KEEP = 2;
/** Every step a restore or an undo can take, declared once. */
function restoreSteps(cluster) {
    const ns = `-n ${cluster}`;
    const utility = "kubectl exec -n " + cluster + " etcd-utility-N --";
    const steps = [
        {
            name: "readTopology",
            purpose: "the kube-etcd StatefulSet (replicas, image, each member's name, initial cluster, token, peer URLs, data dir), each member's PVC and node, the API server, the maintenance job and the PDB",
            runbook: `kubectl get statefulset kube-etcd ${ns} -o yaml; kubectl get pods,pvc ${ns} -o wide; kubectl get pdb ${API_SERVER_PDB} ${ns} -o yaml`,
            effect: "reads",
        },
        {
            name: "checkBackup",
            purpose: "the backup is of this cluster, from the same etcd major.minor version as the members' image",
            effect: "reads",
        },
        {
            name: "checkNodes",
            purpose: "every member's PVC is bound to a node that exists and is Ready; PVCs are not deleted on scale-down",
            runbook: `kubectl get pvc ${ns} -o wide; kubectl get nodes`,
            effect: "reads",
        },
        {
            name: "createUtilityPods",
            purpose: "one utility pod per member on its PVC's node, with its PVC and the certificates (the runbook's etcd-utility-N), the cluster's own etcd image",
            runbook: `kubectl apply -f etcd-utility-N.yaml`,
            effect: "changes",
        },
        {
            name: "probeUtilityImage",
            purpose: "the image has a shell, etcdctl or etcdutl, flock and a sha256 tool; whether it can bump the revision",
            runbook: `${utility} etcdctl snapshot restore --help`,
            effect: "reads",
            onlyWhen: "until the members are restored (a rerun past that has the facts in the journal)",
        },
        {
            name: "checkRoom",
            purpose: "room on every member's volume for the snapshot and the restored data beside the live data",
            runbook: `${utility} df -Pk /var/lib/etcd`,
            effect: "reads",
            onlyWhen: "until the members are restored (a rerun past that has the facts in the journal)",
        },
        {
            name: "streamSnapshot",
            purpose: "decrypt once on the runner (plaintext never on its disk) and stream the same bytes to every member in parallel through exec stdin; sha256 checked in each pod",
            runbook: `kubectl cp snapshot.db ${cluster}/etcd-utility-N:/var/lib/etcd/`,
            effect: "changes",
        },
        {
            name: "restoreMembers",
            purpose: "snapshot restore on every member with its own name and peer URL and the cluster's token, into a new folder on its volume, while the cluster still runs",
            runbook: `${utility} etcdctl snapshot restore snapshot.db --name=kube-etcd-N --initial-cluster=... --initial-cluster-token=... --initial-advertise-peer-urls=...`,
            effect: "changes",
        },
        {
            name: "savePdb",
            purpose: `save then delete the PDB ${API_SERVER_PDB} (the outage begins here)`,
            runbook: `kubectl get pdb ${API_SERVER_PDB} ${ns} -o yaml > pdb.yaml; kubectl delete pdb ${API_SERVER_PDB} ${ns}`,
            effect: "changes",
        },
        {
            name: "scaleDownApiServer",
            purpose: `scale ${API_SERVER} and ${MAINTENANCE} to 0 and wait until their pods are gone, so nothing uses etcd`,
            runbook: `kubectl scale statefulset ${API_SERVER} ${ns} --replicas=0; kubectl scale deployment ${MAINTENANCE} ${ns} --replicas=0`,
            effect: "changes",
        },
        {
            name: "relaxPodManagement",
            purpose: "kube-etcd is OrderedReady: save it in the journal, delete it with orphan propagation (its members keep running) and re-create it Parallel, because OrderedReady cannot stop members that lost quorum nor start members whose readiness needs quorum",
            runbook: `kubectl get statefulset kube-etcd ${ns} -o yaml > kube-etcd.yaml; kubectl delete statefulset kube-etcd ${ns} --cascade=orphan; kubectl create -f kube-etcd-parallel.yaml`,
            effect: "changes",
            onlyWhen: "when kube-etcd is OrderedReady with more than one member",
        },
        {
            name: "stopMembers",
            purpose: "scale kube-etcd to 0 and wait until every member pod is gone: no etcd may write into a folder being swapped",
            runbook: `kubectl scale statefulset kube-etcd ${ns} --replicas=0`,
            effect: "changes",
        },
        {
            name: "swapMembers",
            purpose: "on every member, prove no process holds member/snap/db, then move the live member folder to pre-restore-<stamp>/member and the restored one into its place (owner and mode kept; nothing deleted)",
            runbook: `${utility} sh -c 'mv /var/lib/etcd/member /var/lib/etcd/pre-restore-STAMP/member && mv /var/lib/etcd/restore-STAMP/member /var/lib/etcd/member'`,
            effect: "point of no return",
        },
        {
            name: "undoSwap",
            purpose: "on every member, prove no process holds member/snap/db, then move the live member folder to pre-undo-<stamp>/member and the newest pre-restore data back into its place (nothing deleted)",
            runbook: `${utility} sh -c 'mv /var/lib/etcd/member /var/lib/etcd/pre-undo-STAMP/member && mv /var/lib/etcd/pre-restore-STAMP/member /var/lib/etcd/member'`,
            effect: "point of no return",
        },
        {
            name: "deleteUtilityPods",
            purpose: "delete the utility pods",
            runbook: `kubectl delete pod ${ns} etcd-utility-N`,
            effect: "changes",
        },
        {
            name: "startMembers",
            purpose: "scale kube-etcd back to its replicas and wait until every member is Ready",
            runbook: `kubectl scale statefulset kube-etcd ${ns} --replicas=REPLICAS`,
            effect: "changes",
        },
        {
            name: "checkMembers",
            purpose: "every member healthy, one cluster ID, the expected names and peer URLs, and (for a restore) the snapshot's revision and key count",
            runbook: `kubectl exec ${ns} kube-etcd-0 -- etcdctl endpoint health --cluster; ... member list; ... endpoint status`,
            effect: "reads",
        },
        {
            name: "restorePodManagement",
            purpose: "delete the Parallel kube-etcd with orphan propagation and re-create it exactly as saved (OrderedReady); it adopts the running members without restarting them",
            runbook: `kubectl delete statefulset kube-etcd ${ns} --cascade=orphan; kubectl create -f kube-etcd.yaml`,
            effect: "changes",
            onlyWhen: "when kube-etcd was OrderedReady with more than one member",
        },
        {
            name: "scaleUpApiServer",
            purpose: `${API_SERVER} and ${MAINTENANCE} back to their replicas, their pods Ready (the outage ends here)`,
            runbook: `kubectl scale statefulset ${API_SERVER} ${ns} --replicas=3; kubectl scale deployment ${MAINTENANCE} ${ns} --replicas=1`,
            effect: "changes",
        },
        {
            name: "recreatePdb",
            purpose: `re-create ${API_SERVER_PDB} exactly as saved (no server-set fields)`,
            runbook: `kubectl create -f pdb.yaml`,
            effect: "changes",
            onlyWhen: "when the cluster had the PDB",
        },
        {
            name: "restartWatchers",
            purpose: "rollout restart of every other workload in the namespace that watches the user cluster's API, so nothing serves state from after the backup",
            runbook: `kubectl rollout restart deployment,statefulset ${ns} (all but kube-etcd, ${API_SERVER}, ${MAINTENANCE})`,
            effect: "changes",
            onlyWhen: "when the namespace has such workloads",
        },
        {
            name: "prunePreRestore",
            purpose: `remove pre-restore folders beyond the newest ${PRE_RESTORE_KEEP} on every member, now that the restored cluster is proven`,
            effect: "changes",
        },
        {
            name: "releaseLock",
            purpose: "remove the restore's journal, which is also its lock",
            runbook: `kubectl delete configmap -n ${cluster} etcd-backup-actions-restore`,
            effect: "changes",
        },
        {
            name: "putBackAfterFailure",
            purpose: "members, API server, maintenance job and PDB back as the journal recorded them, the restore's files and utility pods removed, the lock released",
            effect: "changes",
            onlyWhen: "when a step before the swap failed (after the swap nothing is put back: rerun to finish, or undo)",
        },
    ];
    return new Map(steps.map((step) => [step.name, step]));
}
/** The outage begins: what is stopped, each recording what it changes before it acts. */
const OUT_OF_SERVICE = ["savePdb", "scaleDownApiServer", "relaxPodManagement", "stopMembers"];
/** Back in service, each phase gated on health. */
const BACK_IN_SERVICE = [
    "deleteUtilityPods",
    "startMembers",
    "checkMembers",
    "restorePodManagement",
    "scaleUpApiServer",
    "recreatePdb",
    "restartWatchers",
];
const RESTORE_ORDER = [
    "readTopology",
    "checkBackup",
    "checkNodes",
    "createUtilityPods",
    "probeUtilityImage",
    "checkRoom",
    "streamSnapshot",
    "restoreMembers",
    ...OUT_OF_SERVICE,
    "swapMembers",
    ...BACK_IN_SERVICE,
    "prunePreRestore",
    "releaseLock",
    "putBackAfterFailure",
];
/** Undo: the same gated phases, the newest pre-restore data swapped back instead. */
const UNDO_ORDER = [
    "readTopology",
    "checkNodes",
    ...OUT_OF_SERVICE,
    "createUtilityPods",
    "undoSwap",
    ...BACK_IN_SERVICE,
    "releaseLock",
    "putBackAfterFailure",
];
/** The restore, declared once: `dry-run` prints it, a run executes it. */
function etcdRestorePlan(cluster, backupUri) {
    const steps = restoreSteps(cluster);
    return new procedures_plan/* Plan */.cw(`restore etcd of ${cluster} from ${backupUri}`, RESTORE_ORDER.map((name) => steps.get(name)));
}
/** The undo of a restore, declared once. */
function etcdUndoPlan(cluster) {
    const steps = restoreSteps(cluster);
    return new procedures_plan/* Plan */.cw(`undo the last restore of ${cluster}: put the newest pre-restore data back`, UNDO_ORDER.map((name) => steps.get(name)));
}
async function runEtcdRestore(options) {
    return new UserClusterRestore(options, options).run();
}
/**
 * The `post:` step of a restore or undo whose run did not finish (cancelled, runner lost):
 * before its swap began, everything is put back as its journal recorded it and the lock is
 * released; after, nothing is changed and the log says how to finish or undo.
 */
async function finishInterruptedRestore(options) {
    const journal = new ConfigMapJournal(options.config, options.cluster);
    const entries = await journal.read();
    if (entries.length === 0)
        return "nothing to do";
    const lastOwner = entries.filter((entry) => entry.event === "run").at(-1)?.data?.owner;
    if (lastOwner !== options.owner) {
        // Another run (a later one, or another job) carries this work on: not ours to touch.
        options.logger.info(`The journal ${journal.description} belongs to another run (${lastOwner ?? "unknown"}); this step leaves it alone.`);
        return "nothing to do";
    }
    const begun = entries.find((entry) => entry.event === "begin")?.data;
    const what = begun?.backup
        ? `the restore of ${options.cluster} from ${begun.backup}`
        : `the undo of ${options.cluster}`;
    const swapped = entries.some(swapBeganIn);
    if (swapped) {
        options.logger.warning(`${what} stopped after its swap began: nothing is put back (the displaced data is kept in pre-restore folders). Run it again with the same inputs to finish it${begun?.backup ? ", or run etcd-restore-ha with undo: true to put the old data back" : ""}. Its journal and lock: ${journal.description}.`);
        return "left for a rerun or undo";
    }
    const intentOf = (step) => entries.find((entry) => entry.step === step && entry.event === "intent")?.data;
    const restore = new UserClusterRestore({
        ...options,
        dryRun: false,
        ...(options.waitTimeoutMs ? { waitTimeoutMs: options.waitTimeoutMs } : {}),
    }, undefined);
    const done = await restore.putBack(intentOf, journal);
    options.logger.info(`${what} did not finish before its swap; put back: ${done.join("; ")}.`);
    return "put back";
}
/**
 * Whether a journal entry shows a swap that may have moved data: an undo's swap once it
 * started; a restore's once it recorded its first move (a swap refused on its first member
 * moved nothing, and what came before it is put back).
 */
function swapBeganIn(entry) {
    return ((entry.step === "swapMembers" && entry.event === "intent") ||
        (entry.step === "undoSwap" && entry.event === "started"));
}
/** Puts the newest pre-restore data back on every member, through the same gated phases. */
async function runEtcdUndo(options) {
    return new UserClusterRestore(options, undefined).undo();
}
class UserClusterRestore {
    options;
    restoring;
    logger;
    profile;
    started = Date.now();
    outageStarted;
    /** What the utility image was found to have when the utility pods were created. */
    probedImage;
    result;
    constructor(options, 
    /** Set for a restore, absent for an undo. */
    restoring) {
        this.options = options;
        this.restoring = restoring;
        this.logger = options.logger;
        this.profile = (0,profiles/* userClusterProfile */.D5)(options.cluster);
        this.result = {
            cluster: options.cluster,
            outcome: "failed",
            backup: restoring?.backup.location.uri ?? "",
            members: [],
            preRestoreFolders: [],
            removedPreRestoreFolders: [],
            durationMs: 0,
            steps: [],
        };
    }
    /** The restore's own options; an undo never reaches the code that asks. */
    get source() {
        if (!this.restoring)
            throw new Error("an undo has no backup to read");
        return this.restoring;
    }
    checkConfirm() {
        const { options } = this;
        if (!options.dryRun && options.confirm !== options.cluster) {
            throw new errors/* ConfigurationError */.j1("confirm", `must be the cluster's name, ${options.cluster}, for the ${this.restoring ? "restore" : "undo"} to change anything (it is ${options.confirm ? `"${options.confirm}"` : "empty"}); a dry run needs no confirmation.`);
        }
    }
    async run() {
        const options = this.source;
        if (options.backup.manifest.cluster !== options.cluster) {
            throw new errors/* ConfigurationError */.j1("backup", `${options.backup.location.uri} is a backup of ${options.backup.manifest.cluster}, not of ${options.cluster}; expected a backup of the cluster being restored.`);
        }
        this.checkConfirm();
        // A dry run reads no payload: the plan job of an approval workflow has no identity.
        if (!options.dryRun || options.identities.length > 0) {
            try {
                (0,pipeline/* checkIdentities */.xS)(options.backup, options.identities);
            }
            catch (error) {
                throw new errors/* ConfigurationError */.j1("identity", (0,errors/* errorMessage */.gJ)(error), { cause: error });
            }
        }
        const plan = etcdRestorePlan(options.cluster, options.backup.location.uri);
        const result = await this.execute(plan, { cluster: options.cluster, backup: options.backup.location.uri }, "swapMembers", (run, journal) => this.restore(run, journal));
        if (!options.dryRun)
            await this.recordRestore(result);
        return result;
    }
    /** The audit trail: a record of this restore (succeeded or failed) beside the backups. */
    async recordRestore(result) {
        const { store, audit } = this.source;
        const { steps: _steps, record: _record, ...facts } = result;
        const uri = await (0,restore_record/* writeRestoreRecord */.hZ)(store, (0,restore_record/* restoreRecord */.wp)(facts, audit ?? { actor: "unknown", via: "library" }, new Date(this.started), new Date()), this.logger);
        if (uri)
            result.record = uri;
    }
    /**
     * Runs a plan under the journal (none in a dry run), which is also the lock; a failure
     * before `swapStep` began puts everything back, one after it leaves the rest to a rerun.
     */
    async execute(plan, identity, swapStep, steps, beforeStart) {
        const { options, logger } = this;
        plan.print(logger);
        const journal = options.dryRun
            ? undefined
            : new configmap_journal/* ConfigMapJournal */.uz(options.config, this.profile.namespace);
        if (journal && beforeStart)
            await beforeStart(journal);
        const run = await procedures_plan/* PlanRun */.zq.start(plan, {
            logger,
            ...(journal ? { journal } : {}),
            identity,
            dryRun: options.dryRun,
            ...(options.owner ? { owner: options.owner } : {}),
        });
        this.result.steps = run.log;
        try {
            await steps(run, journal);
            this.result.outcome = options.dryRun ? "planned" : "restored";
        }
        catch (error) {
            this.result.error = (0,errors/* errorMessage */.gJ)(error);
            run.fail(error);
            if (journal)
                await this.afterFailure(run, journal, swapStep);
        }
        finally {
            run.finish();
            this.result.durationMs = Date.now() - this.started;
        }
        return this.result;
    }
    /** The undo: the newest pre-restore data back on every member, by the same gated phases. */
    async undo() {
        const { options } = this;
        this.checkConfirm();
        return this.execute(etcdUndoPlan(options.cluster), { cluster: options.cluster, undo: "newest pre-restore data" }, "undoSwap", (run, journal) => this.undoSteps(run, journal), (journal) => this.takeOverUnfinishedRestore(journal));
    }
    /**
     * An undo may follow a restore that stopped after its swap: its journal holds the lock.
     * The undo takes the lock over, keeping what the restore recorded about the state before
     * it (replicas, PDB), which is what the undo must put back.
     */
    async takeOverUnfinishedRestore(journal) {
        const entries = await journal.read();
        const begun = entries.find((entry) => entry.event === "begin");
        const restoreOf = begun?.data?.backup;
        if (!restoreOf)
            return;
        if (!entries.some((entry) => swapBeganIn(entry) && entry.step === "swapMembers")) {
            throw new Error(`the unfinished restore of ${this.options.cluster} from ${restoreOf} stopped before its swap, so its data was never replaced: there is nothing to undo. Its post step, or a rerun of it, puts everything back; the journal is ${journal.description}.`);
        }
        const stamp = entries.find((entry) => entry.event === "intent" && entry.step === "createUtilityPods")
            ?.data?.stamp;
        this.logger.warning(`Taking over the lock of the unfinished restore of ${this.options.cluster} from ${restoreOf}; the state it recorded before its changes is kept, and only the members it swapped are put back.`);
        const at = new Date().toISOString();
        // One write: a kill in the middle can never lose what the restore recorded.
        await journal.rewrite([
            {
                step: "",
                event: "begin",
                at,
                data: { cluster: this.options.cluster, undo: "newest pre-restore data" },
            },
            ...entries.filter((entry) => (entry.event === "intent" &&
                ["savePdb", "scaleDownApiServer", "relaxPodManagement", "stopMembers"].includes(entry.step)) ||
                (["started", "intent"].includes(entry.event) && entry.step === "swapMembers")),
            ...(stamp
                ? [{ step: "undoSwap", event: "intent", at, data: { restoreStamp: stamp } }]
                : []),
        ]);
    }
    async undoSteps(run, journal) {
        const { options } = this;
        const topology = await this.readTopologyStep(run);
        const would = `would put the newest pre-restore data back on ${topology.members.map((member) => member.pod).join(", ")} of ${options.cluster}`;
        if (await this.checkNodesThenStopIfDry(run, topology, would))
            return;
        const service = await this.takeOutOfService(run, topology);
        const { stamp } = await this.createUtilityPodsStep(run, topology);
        const undone = await run.run("undoSwap", async (step) => {
            // Which restore is undone is decided once, before anything moves: the one the
            // journal names (taken over), else the newest pre-restore folder on the members.
            const { restoreStamp: undone } = await step.intend({
                restoreStamp: await this.newestPreRestoreStamp(topology),
            });
            return this.undoMembers(topology, stamp, undone);
        }, (lines) => lines.join("; "));
        this.result.preRestoreFolders = undone;
        await run.run("deleteUtilityPods", () => this.deleteUtilityPods(topology));
        await this.bringBackIntoService(run, topology, service, { undo: true });
        await run.run("releaseLock", async () => journal?.remove());
        run.skip("putBackAfterFailure", "the undo succeeded");
    }
    /** The newest `pre-restore-<stamp>` on any member: the last restore. */
    async newestPreRestoreStamp(topology) {
        const stamps = new Set();
        for (const member of topology.members) {
            const { stdout } = await this.inUtilityPod(topology, member, (0,restore_scripts/* shellCommand */.q$)('for d in "$1"/pre-restore-*/member; do [ -d "$d" ] && echo "$d"; done; true', member.config.dataDir));
            for (const line of stdout.split("\n")) {
                const found = /\/pre-restore-([^/]+)\/member$/.exec(line.trim());
                if (found)
                    stamps.add(found[1]);
            }
        }
        const newest = [...stamps].sort().at(-1);
        if (!newest) {
            throw new Error(`no member of ${this.options.cluster} has a pre-restore folder: there is no restore to undo.`);
        }
        return newest;
    }
    async undoMembers(topology, stamp, restoreStamp) {
        const done = [];
        for (const member of topology.members) {
            const { code, stdout } = await this.inUtilityPod(topology, member, (0,restore_scripts/* shellCommand */.q$)(restore_scripts/* UNDO_SCRIPT */.dr, member.config.dataDir, stamp, restoreStamp), [0, restore_scripts/* RESTORE_EXIT */.KB.dataInUse, restore_scripts/* RESTORE_EXIT */.KB.nothingToUndo]);
            if (code === restore_scripts/* RESTORE_EXIT */.KB.dataInUse) {
                throw new Error(`a process still holds ${member.config.dataDir}/member/snap/db of ${member.pod} (its etcd is not stopped): nothing was put back on it; check the node ${member.node}, then rerun.`);
            }
            if (code === restore_scripts/* RESTORE_EXIT */.KB.nothingToUndo) {
                // The restore never swapped this member: its live data is still its own.
                done.push(`${member.pod}: not swapped by the restore of ${restoreStamp}, left as it is`);
                continue;
            }
            done.push(stdout.trim() === "already undone"
                ? `${member.pod}: already put back`
                : `${member.pod}: ${stdout.trim()} put back, the data it replaced kept in pre-undo-${stamp}`);
        }
        return done;
    }
    /**
     * Before the swap, a failure changes nothing for good: everything is put back as the
     * journal recorded it. After the swap began, nothing is put back (the old data is safe in
     * pre-restore folders); the log says how to finish or undo.
     */
    async afterFailure(run, journal, swapStep = "swapMembers") {
        // A swap refused on its first member moved nothing: that is not "began" (see swapMembers).
        const began = run.intentOf("swapMembers") !== undefined ||
            (swapStep !== "swapMembers" && run.hasStarted(swapStep));
        if (began) {
            this.logger.warning(`The restore of ${this.options.cluster} stopped after the swap began; the displaced data is kept in pre-restore folders on every member's volume, and the journal ${journal.description} holds the lock. Rerun the restore with the same backup to finish it, or run it with undo to put the old data back.`);
            return;
        }
        await run
            .run("putBackAfterFailure", () => this.putBack((step) => run.intentOf(step), journal), (done) => done.join("; "))
            .catch((error) => {
            this.logger.warning(`Putting ${this.options.cluster} back after the failure did not finish: ${(0,errors/* errorMessage */.gJ)(error)}. The journal ${journal.description} records what was changed; rerun the restore to continue, or put it back by hand.`);
        });
    }
    /**
     * Undoes, from the journal's records, every change made before the swap. Each recorded
     * change is put back on its own (one that fails does not keep the others from coming
     * back); the lock is released only when all of them are, else one error lists what is left.
     */
    async putBack(intentOf, journal) {
        const { config } = this.options;
        const done = [];
        const failed = [];
        // Settled first, recorded after: two in parallel are still listed in a fixed order.
        const settle = (what, action) => action().then((text) => () => done.push(text), (error) => () => failed.push(`${what}: ${(0,errors/* errorMessage */.gJ)(error)}`));
        const attempt = async (what, action) => {
            (await settle(what, action))();
        };
        const relaxed = intentOf("relaxPodManagement");
        const stopped = intentOf("stopMembers");
        if (relaxed || stopped) {
            await attempt("kube-etcd", () => this.putBackMembers(relaxed?.manifest, stopped));
        }
        const scaled = intentOf("scaleDownApiServer");
        if (scaled) {
            const settled = await Promise.all([
                settle(API_SERVER, () => this.putBackReplicas("StatefulSet", API_SERVER, scaled.apiServer, scaled.apiServerReady)),
                settle(MAINTENANCE, () => this.putBackReplicas("Deployment", MAINTENANCE, scaled.maintenance, scaled.maintenanceReady)),
            ]);
            for (const record of settled)
                record();
        }
        const pdb = intentOf("savePdb");
        if (pdb?.manifest) {
            const manifest = pdb.manifest;
            await attempt(API_SERVER_PDB, async () => {
                await recreatePodDisruptionBudget(config, manifest, this.options.signal);
                return `${API_SERVER_PDB} re-created`;
            });
        }
        const created = intentOf("createUtilityPods");
        if (created) {
            await attempt("the utility pods", () => this.removeRestoreFiles(created.stamp));
        }
        if (failed.length) {
            // The journal stays: it is the lock, and the record of what is still to put back.
            throw new Error(`${failed.join("; ")}${done.length ? ` (put back: ${done.join("; ")})` : ""}; the lock is kept`);
        }
        await journal.remove();
        done.push("lock released");
        return done;
    }
    /**
     * kube-etcd back to its recorded replicas, and re-created as saved when it was relaxed.
     * The saved set is re-created as soon as its pods exist (adoption needs no Ready, and an
     * OrderedReady set must find them all created); Ready is awaited only if the members were
     * Ready when they were stopped: a cluster that had lost quorum does not get it back here.
     */
    async putBackMembers(saved, stopped) {
        const { config } = this.options;
        const etcd = this.workload("StatefulSet", "kube-etcd");
        // Journals written before readiness was recorded waited for Ready: keep that.
        const wasReady = stopped?.ready !== false;
        const parts = [];
        if (saved) {
            // The members start again under the Parallel copy: OrderedReady could deadlock.
            await recreateStatefulSetKeepingPods(config, saved, "Parallel", this.settlingWaits());
        }
        if (stopped) {
            const until = saved || !wasReady ? "created" : "ready";
            await (0,scale/* scaleWorkload */.QX)(config, etcd, stopped.replicas, { ...this.settlingWaits(), until });
            parts.push(`kube-etcd back to ${stopped.replicas}`);
        }
        if (saved) {
            await recreateStatefulSetKeepingPods(config, saved, undefined, this.settlingWaits());
            parts.push(`kube-etcd re-created as saved (${saved.spec.podManagementPolicy ?? "OrderedReady"})`);
            if (stopped && wasReady)
                await (0,scale/* scaleWorkload */.QX)(config, etcd, stopped.replicas, this.settlingWaits());
        }
        if (stopped && !wasReady)
            parts.push("its members were not Ready before the restore, so Ready was not awaited");
        return parts.join(", ");
    }
    /** A workload back to its recorded replicas; Ready awaited only if it was Ready before. */
    async putBackReplicas(kind, name, replicas, wasReady) {
        const until = wasReady === false ? "created" : "ready";
        await (0,scale/* scaleWorkload */.QX)(this.options.config, this.workload(kind, name), replicas, {
            ...this.settlingWaits(),
            until,
        });
        return `${name} back to ${replicas}${until === "created" ? " (not Ready before the restore either)" : ""}`;
    }
    /** Removes restore-<stamp> and its snapshot from every volume, then the utility pods. */
    async removeRestoreFiles(stamp) {
        const { config } = this.options;
        const namespace = this.profile.namespace;
        const core = config.makeApiClient(kube_client.CoreV1Api);
        const pods = await core.listNamespacedPod({
            namespace,
            labelSelector: "etcd-backup-actions/role=restore-utility",
        });
        for (const pod of pods.items) {
            const name = pod.metadata.name;
            const dataDir = pod.metadata?.annotations?.[DATA_DIR_ANNOTATION];
            if (dataDir && pod.status?.phase !== "Running") {
                this.logger.warning(`The utility pod ${namespace}/${name} is ${pod.status?.phase ?? "not running"}: its volume may still hold ${dataDir}/restore-${stamp}.db, a plaintext snapshot with every Secret of the cluster. Remove it (and ${dataDir}/restore-${stamp}) from a pod that mounts that volume.`);
            }
            if (dataDir && pod.status?.phase === "Running") {
                await this.exec({ namespace, pod: name, container: "etcd-utility" }, [
                    "sh",
                    "-c",
                    'rm -rf "$1/restore-$2" "$1/restore-$2.db" "$1/restore-$2.db.part"',
                    "sh",
                    dataDir,
                    stamp,
                ]);
            }
            await (0,kube_pods/* deletePodAndWait */.x)(config, { namespace, name }, this.settlingWaits());
        }
        return `restore-${stamp} removed and ${pods.items.length} utility pod(s) deleted`;
    }
    async restore(run, journal) {
        const options = this.source;
        const topology = await this.readTopologyStep(run);
        await run.run("checkBackup", async () => this.checkBackup(topology), (text) => text);
        const would = `would restore ${topology.members.length} member(s) of ${options.cluster} (${topology.members.map((member) => `${member.pod} on ${member.node}`).join(", ")}) from ${options.backup.location.uri}`;
        if (await this.checkNodesThenStopIfDry(run, topology, would))
            return;
        // The stamp of this restore's folders: recorded once, so a rerun uses the same folders.
        const { stamp } = await this.createUtilityPodsStep(run, topology);
        // A rerun past restoreMembers has its facts in the journal, and the utility pods may be
        // gone already (deleted after the swap): probing or measuring them again is not possible.
        const restoredEarlier = run.isDone("restoreMembers");
        let probed;
        if (restoredEarlier) {
            run.skip("probeUtilityImage", "the members were restored in an earlier run");
            run.skip("checkRoom", "the members were restored in an earlier run");
        }
        else {
            probed = await run.run("probeUtilityImage", async () => {
                const facts = await this.probeUtilityImage(topology);
                return { facts, bump: this.chooseBump(facts) };
            }, ({ facts }) => describeImage(facts));
            await run.run("checkRoom", () => this.checkRoom(topology), (text) => text);
        }
        await run.run("streamSnapshot", () => this.streamSnapshot(topology, stamp), () => `${(0,format/* formatBytes */.z)(options.backup.manifest.payload.plaintext.bytes)} to ${topology.members.length} member(s), sha256 equal in each`);
        const restored = await run.run("restoreMembers", async () => ({
            summary: await this.restoreMembers(topology, stamp, probed.facts, probed.bump),
            bump: probed.bump ?? 0,
        }), ({ summary }) => summary);
        const bump = restored.bump || undefined;
        this.result.bump = restored.bump;
        const service = await this.takeOutOfService(run, topology);
        const swaps = await run.run("swapMembers", (step) => this.swapMembers(topology, stamp, step), (done) => done.join("; "));
        this.result.preRestoreFolders = topology.members.map((member) => `${member.pod}:${member.config.dataDir}/pre-restore-${stamp}`);
        this.logger.debug(swaps.join("; "));
        await run.run("deleteUtilityPods", () => this.deleteUtilityPods(topology));
        await this.bringBackIntoService(run, topology, service, { bump });
        const removed = await run.run("prunePreRestore", () => this.prunePreRestore(topology), (names) => (names.length ? `removed ${names.join(", ")}` : "nothing to remove"));
        this.result.removedPreRestoreFolders = removed;
        await run.run("releaseLock", async () => journal?.remove());
        run.skip("putBackAfterFailure", "the restore succeeded");
    }
    /**
     * The outage begins: the PDB saved and removed, the API server and the maintenance job
     * scaled to 0, every member stopped. Each step records what it changes before it acts.
     */
    async takeOutOfService(run, topology) {
        const { options } = this;
        this.outageStarted = Date.now();
        const pdb = await run.run("savePdb", async (step) => {
            const saved = await step.intend({
                manifest: (await savePodDisruptionBudget(options.config, this.pdbRef(), options.signal)) ?? null,
            });
            if (saved.manifest)
                await deletePodDisruptionBudget(options.config, this.pdbRef(), this.waits());
            return saved;
        }, (saved) => saved.manifest
            ? `${API_SERVER_PDB} saved in the journal and deleted`
            : "the cluster has no such PDB");
        const scaledDown = await run.run("scaleDownApiServer", async (step) => {
            const replicas = await step.intend({
                apiServer: await this.replicasOf(this.workload("StatefulSet", API_SERVER)),
                maintenance: await this.replicasOf(this.workload("Deployment", MAINTENANCE)),
                apiServerReady: await (0,scale/* isWorkloadReady */.VZ)(options.config, this.workload("StatefulSet", API_SERVER)),
                maintenanceReady: await (0,scale/* isWorkloadReady */.VZ)(options.config, this.workload("Deployment", MAINTENANCE)),
            });
            await Promise.all([
                (0,scale/* scaleWorkload */.QX)(options.config, this.workload("StatefulSet", API_SERVER), 0, this.waits()),
                (0,scale/* scaleWorkload */.QX)(options.config, this.workload("Deployment", MAINTENANCE), 0, this.waits()),
            ]);
            return replicas;
        }, (replicas) => `${API_SERVER} ${replicas.apiServer} -> 0, ${MAINTENANCE} ${replicas.maintenance} -> 0`);
        await this.relaxPodManagementStep(run, topology);
        const stopped = await run.run("stopMembers", async (step) => {
            const recorded = await step.intend({
                replicas: topology.replicas,
                ready: await (0,scale/* isWorkloadReady */.VZ)(options.config, this.workload("StatefulSet", "kube-etcd")),
            });
            await (0,scale/* scaleWorkload */.QX)(options.config, this.workload("StatefulSet", "kube-etcd"), 0, this.waits());
            return recorded;
        }, (recorded) => `kube-etcd ${recorded.replicas} -> 0, every member pod gone`);
        return { pdb: pdb.manifest, ...scaledDown, members: stopped.replicas };
    }
    /**
     * Back in service, each phase gated on health: the members, proven one healthy cluster
     * (with the snapshot's revision and key count after a restore); then the API server and
     * the maintenance job; the PDB as saved; every other watcher of the API restarted.
     */
    async bringBackIntoService(run, topology, service, proof) {
        const { options } = this;
        await run.run("startMembers", async () => (0,scale/* scaleWorkload */.QX)(options.config, this.workload("StatefulSet", "kube-etcd"), service.members, this.waits()), () => `kube-etcd 0 -> ${service.members}, every member Ready`);
        const facts = await run.run("checkMembers", () => this.checkMembers(topology, proof), (checked) => checked.summary);
        this.result.revision = facts.revision;
        this.result.keys = facts.keys;
        await this.restorePodManagementStep(run, topology);
        await run.run("scaleUpApiServer", async () => {
            await Promise.all([
                (0,scale/* scaleWorkload */.QX)(options.config, this.workload("StatefulSet", API_SERVER), service.apiServer, this.waits()),
                (0,scale/* scaleWorkload */.QX)(options.config, this.workload("Deployment", MAINTENANCE), service.maintenance, this.waits()),
            ]);
        }, () => `${API_SERVER} 0 -> ${service.apiServer}, ${MAINTENANCE} 0 -> ${service.maintenance}, their pods Ready`);
        if (this.outageStarted !== undefined)
            this.result.outageMs = Date.now() - this.outageStarted;
        if (service.pdb) {
            const manifest = service.pdb;
            await run.run("recreatePdb", () => recreatePodDisruptionBudget(options.config, manifest, options.signal), () => `${API_SERVER_PDB} re-created as saved`);
        }
        else
            run.skip("recreatePdb", "the cluster had no PDB to put back");
        const watchers = await this.otherWorkloads(topology);
        if (watchers.length) {
            await run.run("restartWatchers", () => this.restartWorkloads(watchers), () => watchers.map(scale/* describeWorkload */.HV).join(", "));
        }
        else {
            run.skip("restartWatchers", `nothing else in ${topology.namespace} watches the user cluster's API`);
        }
    }
    // ------------------------------------------------------------------ pod management
    /**
     * OrderedReady with more than one member: scaling up from 0 deadlocks when the members'
     * readiness needs quorum, and scaling down stalls on members that are not Ready. A rerun
     * after the set was relaxed finds it Parallel: the journal says it was not.
     */
    needsParallelWindow(run, topology) {
        if (run.intentOf("relaxPodManagement") !== undefined)
            return true;
        return topology.podManagementPolicy === "OrderedReady" && topology.replicas > 1;
    }
    /** kube-etcd saved in the journal and replaced by a Parallel copy; its members run on. */
    async relaxPodManagementStep(run, topology) {
        if (!this.needsParallelWindow(run, topology)) {
            run.skip("relaxPodManagement", `kube-etcd is ${topology.podManagementPolicy} with ${topology.replicas} member(s): it stops and starts without deadlock`);
            return;
        }
        await run.run("relaxPodManagement", async (step) => {
            // A rerun after the delete (the set may be gone) works from the journal's copy.
            const earlier = step.earlierIntent;
            const { manifest } = await step.intend({
                manifest: earlier?.manifest ?? (await this.saveEtcdStatefulSet()),
            });
            return recreateStatefulSetKeepingPods(this.options.config, manifest, "Parallel", this.waits());
        }, (result) => describeRecreate(result, "Parallel"));
    }
    /** kube-etcd re-created exactly as saved; it adopts the running members. */
    async restorePodManagementStep(run, topology) {
        const relaxed = run.intentOf("relaxPodManagement");
        if (!relaxed) {
            run.skip("restorePodManagement", `kube-etcd was ${topology.podManagementPolicy}: nothing to put back`);
            return;
        }
        await run.run("restorePodManagement", () => recreateStatefulSetKeepingPods(this.options.config, relaxed.manifest, undefined, this.waits()), (result) => describeRecreate(result, relaxed.manifest.spec.podManagementPolicy ?? "OrderedReady"));
    }
    async saveEtcdStatefulSet() {
        const ref = { namespace: this.profile.namespace, name: "kube-etcd" };
        const live = await readStatefulSet(this.options.config, ref, this.options.signal);
        if (!live) {
            throw new Error(`statefulset ${ref.namespace}/kube-etcd is gone and the journal holds no saved copy of it: re-create it from the cluster's configuration first.`);
        }
        return savedStatefulSet(live);
    }
    // ------------------------------------------------------------------ reading
    /**
     * The utility pods, and the stamp of this restore's (or undo's) folders with each member's
     * node: recorded once, so a rerun uses the same folders and finds the nodes without pods.
     */
    async createUtilityPodsStep(run, topology) {
        const { options } = this;
        return run.run("createUtilityPods", async (step) => {
            const recorded = await step.intend({
                stamp: (0,restore_scripts/* restoreStamp */.cP)(options.now ?? new Date()),
                nodes: Object.fromEntries(topology.members.map((member) => [member.pod, member.node])),
            });
            const image = await this.createUtilityPodsWithUsableImage(topology);
            return { ...recorded, image };
        });
    }
    /**
     * The utility pods, with an image proven to have what they need: the given utility-image,
     * else the cluster's own etcd image, else (when that lacks a shell or the tools, as the
     * distroless etcd images from 3.5.7 on do) the runbook's etcd-util image of the cluster's
     * version. Returns the image the pods run.
     */
    async createUtilityPodsWithUsableImage(topology) {
        const { utilityImage: given, gkeOnPremVersion: version } = this.options;
        const first = given ?? topology.image;
        const problem = await this.tryUtilityImage(topology, first);
        if (!problem)
            return first;
        if (given) {
            throw new errors/* ConfigurationError */.j1("utility-image", `${given} ${problem}; expected an image with sh, etcdctl or etcdutl, flock, mv, stat, df and sha256sum or openssl, such as the runbook's ${(0,utility_image/* etcdUtilImage */.cp)("<version>")} (or leave utility-image empty and give gke-on-prem-version).`);
        }
        if (!version) {
            throw new errors/* ConfigurationError */.j1("gke-on-prem-version", `is not given, and the cluster's own etcd image ${first} ${problem} (etcd images from 3.5.7 on are distroless): give gke-on-prem-version, the cluster's Anthos version such as 1.32.400-gke.68, to use the runbook's ${(0,utility_image/* etcdUtilImage */.cp)("<version>")}, or utility-image with an image that has them.`);
        }
        const fallback = (0,utility_image/* etcdUtilImage */.cp)(version);
        this.logger.warning(`The cluster's own etcd image ${first} ${problem}; the utility pods use ${fallback} (from gke-on-prem-version) instead.`);
        const fallbackProblem = await this.tryUtilityImage(topology, fallback);
        if (fallbackProblem) {
            throw new errors/* ConfigurationError */.j1("gke-on-prem-version", `${version} names ${fallback}, which ${fallbackProblem} either; check the cluster's version (gkectl version), or give utility-image.`);
        }
        return fallback;
    }
    /**
     * Starts the utility pods with `image` and probes it; undefined when it has all the
     * utility pods need, else what it lacks (its pods then deleted again).
     */
    async tryUtilityImage(topology, image) {
        let facts;
        try {
            await this.createUtilityPods(topology, image, { keepOnFailure: true });
            facts = await this.probeImageFacts(topology);
        }
        catch (error) {
            // The utility container is a shell loop that never ends: ending at once means no shell.
            // It may end before the pods are seen running, or just after (then the probe's exec
            // finds a completed pod): either way, the container's end says why.
            const ended = await this.utilityContainerEnded(topology);
            await this.deleteUtilityPods(topology);
            if (ended)
                return `cannot run /bin/sh (the utility pod's shell ended at once: ${ended})`;
            throw error;
        }
        const missing = missingUtilityTools(facts);
        if (missing.length === 0) {
            this.probedImage = facts;
            return undefined;
        }
        await this.deleteUtilityPods(topology);
        return `lacks ${missing.join(", ")}`;
    }
    /** How a utility container ended, if one did (e.g. `StartError 128: exec: "/bin/sh": ...`). */
    async utilityContainerEnded(topology) {
        const core = this.options.config.makeApiClient(kube_client.CoreV1Api);
        for (const member of topology.members) {
            const pod = await core
                .readNamespacedPod({ name: member.utilityPod, namespace: topology.namespace })
                .catch(() => undefined);
            const ended = pod?.status?.containerStatuses?.find((container) => container.name === "etcd-utility")?.state?.terminated;
            if (ended) {
                return `${ended.reason ?? "exit"} ${ended.exitCode}${ended.message ? `: ${ended.message.trim().split("\n").slice(-1)[0]}` : ""}`;
            }
        }
        return undefined;
    }
    /** The last reading step before any change; a dry run ends here, saying what it would do. */
    async checkNodesThenStopIfDry(run, topology, wouldDo) {
        await run.run("checkNodes", () => this.checkNodes(topology), (text) => text);
        if (!this.options.dryRun)
            return false;
        this.logger.info(`Dry run: ${wouldDo}; nothing was changed.`);
        return true;
    }
    /** The first step of a restore and of an undo; a rerun after the stop knows the replicas. */
    async readTopologyStep(run) {
        const recorded = run.intentOf("stopMembers");
        const topology = await run.run("readTopology", () => this.readTopology(recorded?.replicas, run.intentOf("createUtilityPods")
            ?.nodes, run.intentOf("relaxPodManagement")
            ?.manifest), describeTopology);
        this.result.members = topology.members.map((member) => member.pod);
        return topology;
    }
    /** `recordedReplicas`: the member count a stopped restore recorded before scaling to 0. */
    async readTopology(recordedReplicas, recordedNodes, 
    /** kube-etcd as a relaxing run saved it: the set may be gone (deleted, not yet re-created). */
    savedSet) {
        const { config, cluster } = this.options;
        const namespace = this.profile.namespace;
        const apps = config.makeApiClient(kube_client/* AppsV1Api */.e);
        const core = config.makeApiClient(kube_client.CoreV1Api);
        const statefulSet = await apps
            .readNamespacedStatefulSet({ name: "kube-etcd", namespace })
            .catch((error) => {
            // The JSON names are the model's: the saved copy reads as the set it was.
            if (error.code === 404 && savedSet)
                return savedSet;
            throw new Error(`cluster ${cluster}: ${(0,kube_errors/* describeApiError */.g)(error, `statefulset ${namespace}/kube-etcd`)}`, {
                cause: error,
            });
        });
        const spec = statefulSet.spec;
        const podSpec = spec.template.spec;
        const container = podSpec.containers.find((candidate) => candidate.name === this.profile.container) ??
            podSpec.containers[0];
        const claimName = spec.volumeClaimTemplates?.[0]?.metadata?.name ?? "data";
        const dataMount = container.volumeMounts?.find((mount) => mount.name === claimName)?.mountPath;
        const certificatesVolume = podSpec.volumes?.find((volume) => volume.secret);
        const certificatesMount = container.volumeMounts?.find((mount) => mount.name === certificatesVolume?.name)?.mountPath;
        if (!dataMount || !certificatesVolume?.secret?.secretName || !certificatesMount) {
            throw new Error(`statefulset ${namespace}/kube-etcd has no data volume claim mounted in its container, or no certificates secret: this is not the layout the runbook restores.`);
        }
        const replicas = spec.replicas || recordedReplicas || 0;
        if (replicas < 1) {
            throw new Error(`statefulset ${namespace}/kube-etcd has 0 replicas: a restore that was interrupted after stopping the members is continued by a rerun with the same backup (its journal records the replicas); otherwise scale it back first.`);
        }
        const claims = await core
            .listNamespacedPersistentVolumeClaim({ namespace })
            .catch((error) => {
            throw new Error((0,kube_errors/* describeApiError */.g)(error, `persistentvolumeclaims in ${namespace}`), {
                cause: error,
            });
        });
        const pods = await core.listNamespacedPod({ namespace }).catch((error) => {
            throw new Error((0,kube_errors/* describeApiError */.g)(error, `pods in ${namespace}`), { cause: error });
        });
        const members = [];
        for (let memberNumber = 0; memberNumber < replicas; memberNumber++) {
            const pod = `kube-etcd-${memberNumber}`;
            const pvc = `${claimName}-${pod}`;
            const claim = claims.items.find((item) => item.metadata?.name === pvc);
            if (!claim)
                throw new Error(`member ${pod} of ${cluster} has no PVC ${pvc}: its data cannot be restored in place.`);
            const node = claim.metadata?.annotations?.["volume.kubernetes.io/selected-node"] ??
                pods.items.find((item) => item.metadata?.name === pod)?.spec?.nodeName ??
                recordedNodes?.[pod];
            if (!node)
                throw new Error(`the PVC ${namespace}/${pvc} of ${pod} is bound to no node, and ${pod} runs nowhere: the utility pod has no node to go to.`);
            members.push({
                memberNumber,
                pod,
                pvc,
                node,
                config: (0,member_config/* memberConfigFromContainer */.qg)(container, { name: pod, namespace }, `statefulset ${namespace}/kube-etcd (member ${pod})`),
                utilityPod: `etcd-utility-${memberNumber}`,
            });
        }
        return {
            cluster,
            namespace,
            replicas,
            image: container.image,
            podManagementPolicy: spec.podManagementPolicy ?? "OrderedReady",
            dataMount,
            certificatesSecret: certificatesVolume.secret.secretName,
            certificatesMount,
            nodeSelector: podSpec.nodeSelector ?? {},
            members,
            ...(spec.persistentVolumeClaimRetentionPolicy?.whenScaled === "Delete"
                ? { pvcDeletedOnScaleDown: true }
                : {}),
            ...(spec.persistentVolumeClaimRetentionPolicy
                ? { pvcRetentionPolicy: spec.persistentVolumeClaimRetentionPolicy }
                : {}),
        };
    }
    checkBackup(topology) {
        const { manifest, location } = this.source.backup;
        if (manifest.kind !== "user-etcd") {
            throw new Error(`${location.uri} is a ${manifest.kind} backup; a user cluster is restored from a user-etcd backup.`);
        }
        const backupVersion = manifest.etcd?.version;
        (0,backup_version/* checkBackupEtcdVersion */.ls)({ uri: location.uri, etcdVersion: backupVersion }, topology.image, "the members run");
        return `${manifest.cluster}, revision ${manifest.etcd?.revision ?? "?"}, ${manifest.etcd?.keyCount ?? "?"} keys, ${(0,format/* formatBytes */.z)(manifest.payload.plaintext.bytes)}${backupVersion ? `, etcd ${backupVersion}` : ""}`;
    }
    async checkNodes(topology) {
        const core = this.options.config.makeApiClient(kube_client.CoreV1Api);
        if (topology.pvcDeletedOnScaleDown) {
            throw new Error(`statefulset ${topology.namespace}/kube-etcd deletes its PVCs when scaled down (persistentVolumeClaimRetentionPolicy.whenScaled: Delete): stopping the members would delete their data; set it to Retain first.`);
        }
        if (topology.podManagementPolicy === "OrderedReady" &&
            topology.replicas > 1 &&
            topology.pvcRetentionPolicy?.whenDeleted === "Delete") {
            throw new Error(`statefulset ${topology.namespace}/kube-etcd is OrderedReady, so the restore must delete and re-create it (with orphan propagation) to stop and start its members, but it deletes its PVCs when deleted (persistentVolumeClaimRetentionPolicy.whenDeleted: Delete): that would put the members' data at risk; set whenDeleted to Retain first.`);
        }
        for (const member of topology.members) {
            const node = await core.readNode({ name: member.node }).catch((error) => {
                throw new Error(`the node ${member.node} of ${member.pod}'s PVC ${member.pvc}: ${(0,kube_errors/* describeApiError */.g)(error, `node ${member.node}`)} The member's data lives there; bring the node back first.`, { cause: error });
            });
            const ready = node.status?.conditions?.find((condition) => condition.type === "Ready");
            if (ready?.status !== "True") {
                throw new Error(`the node ${member.node} of ${member.pod}'s PVC ${member.pvc} is not Ready (${ready?.reason ?? "no Ready condition"}): a utility pod cannot run there; bring the node back first.`);
            }
        }
        return topology.members.map((member) => `${member.pvc} on ${member.node} (Ready)`).join(", ");
    }
    // ------------------------------------------------------------------ utility pods
    async createUtilityPods(topology, image, creation = {}) {
        await Promise.all(topology.members.map(async (member) => {
            // A rerun after an interruption may find the pod already there.
            await (0,kube_pods/* deletePodAndWait */.x)(this.options.config, { namespace: topology.namespace, name: member.utilityPod }, this.waits());
            await (0,kube_pods/* createPodAndWait */.S)(this.options.config, utilityPodManifest(topology, member, image), {
                ...this.waits(),
                ...creation,
            }).catch((error) => {
                throw new Error(`the utility pod ${topology.namespace}/${member.utilityPod} on ${member.node} did not start: ${(0,errors/* errorMessage */.gJ)(error)}`, { cause: error });
            });
        }));
    }
    async probeUtilityImage(topology) {
        // Probed when the utility pods were created (the image was chosen by it).
        const facts = this.probedImage ?? (await this.probeImageFacts(topology));
        const missing = missingUtilityTools(facts);
        if (missing.length) {
            throw new Error(`the utility image lacks ${missing.join(", ")}: give utility-image the runbook's ${(0,utility_image/* etcdUtilImage */.cp)("<version>")} for this cluster's release, or gke-on-prem-version.`);
        }
        return facts;
    }
    async probeImageFacts(topology) {
        const output = await this.inUtilityPod(topology, topology.members[0], (0,restore_scripts/* shellCommand */.q$)(restore_scripts/* PROBE_SCRIPT */.JW));
        return (0,restore_scripts/* parseProbe */.u5)(output.stdout);
    }
    chooseBump(image) {
        const wanted = this.source.revisionBump;
        if (wanted === "none")
            return undefined;
        if (!image.bump) {
            if (typeof wanted === "number") {
                throw new errors/* ConfigurationError */.j1("revision-bump", `is ${wanted}, but ${image.restoreTool} ${image.version ?? ""} in the utility image has no --bump-revision; use auto or none, or a utility image of etcd 3.4.26+ / 3.5.10+.`);
            }
            this.logger.warning(`${image.restoreTool} ${image.version ?? ""} cannot bump the revision: the restored cluster's revision goes back to the snapshot's, so every client watching the user cluster's API is restarted afterwards.`);
            return undefined;
        }
        return typeof wanted === "number" ? wanted : etcdctl/* DEFAULT_REVISION_BUMP */.dv;
    }
    async checkRoom(topology) {
        const snapshotKiB = Math.ceil(this.source.backup.manifest.payload.plaintext.bytes / 1024);
        const segmentKiB = Math.ceil(restore_scripts/* WAL_SEGMENT_BYTES */.BU / 1024);
        // While the live etcd runs: the snapshot, and the restored db with its one WAL segment.
        const neededKiB = 2 * snapshotKiB + segmentKiB + 1024;
        // Once etcd runs on the restored data (the snapshot removed, the live etcd stopped and its
        // spare segment freed): the db and two WAL segments, the second preallocated at start.
        const neededRunningKiB = snapshotKiB + Math.ceil(restore_scripts/* RESTORE_HEADROOM_BYTES */.Zf / 1024);
        const lines = await Promise.all(topology.members.map(async (member) => {
            const { code, stdout } = await this.inUtilityPod(topology, member, (0,restore_scripts/* shellCommand */.q$)(restore_scripts/* ROOM_SCRIPT */.eM, member.config.dataDir, String(neededKiB), String(neededRunningKiB)), [0, restore_scripts/* RESTORE_EXIT */.KB.noRoom]);
            const free = Number(/free=(\d+)/.exec(stdout)?.[1] ?? 0) * 1024;
            const spare = Number(/spare=(\d+)/.exec(stdout)?.[1] ?? 0) * 1024;
            if (code === restore_scripts/* RESTORE_EXIT */.KB.noRoom) {
                throw new Error(free < neededKiB * 1024
                    ? `the volume ${member.pvc} of ${member.pod} has ${(0,format/* formatBytes */.z)(free)} free, but the restore needs ${(0,format/* formatBytes */.z)(neededKiB * 1024)} for the snapshot and the restored data beside the live data; grow the volume or free room first.`
                    : `the volume ${member.pvc} of ${member.pod} has ${(0,format/* formatBytes */.z)(free + spare)} free once its etcd stops, but the restore needs ${(0,format/* formatBytes */.z)(neededRunningKiB * 1024)} for the restored data and the second WAL segment etcd preallocates when it starts on it; grow the volume or free room first.`);
            }
            return `${member.pvc} ${(0,format/* formatBytes */.z)(free)} free`;
        }));
        return lines.join(", ");
    }
    /** Decrypts once; the same bytes go to every member, each checking the manifest's sha256. */
    async streamSnapshot(topology, stamp) {
        const options = this.source;
        await streamBackupIntoPods({
            config: options.config,
            store: options.store,
            backup: options.backup,
            identities: options.identities,
            destinations: topology.members.map((member) => ({
                target: this.utilityTarget(topology, member),
                path: snapshotPath(member, stamp),
            })),
            logger: this.logger,
            ...(options.signal ? { signal: options.signal } : {}),
        });
    }
    async restoreMembers(topology, stamp, image, bump) {
        const lines = await Promise.all(topology.members.map(async (member) => {
            const argv = (0,etcdctl/* snapshotRestore */.$H)(image.restoreTool, snapshotPath(member, stamp), {
                member: member.config,
                dataDir: `${member.config.dataDir}/restore-${stamp}`,
                ...(bump ? { bumpRevision: bump } : {}),
            });
            const { stdout } = await this.inUtilityPod(topology, member, (0,restore_scripts/* shellCommand */.q$)(restore_scripts/* RESTORE_SCRIPT */.D5, member.config.dataDir, stamp, ...argv));
            const size = Number(stdout.trim().split("\n").pop());
            return `${member.pod}: ${Number.isFinite(size) ? (0,format/* formatBytes */.z)(size * 1024) : stdout}`;
        }));
        return `restored into restore-${stamp}: ${lines.join(", ")}`;
    }
    async swapMembers(topology, stamp, step) {
        const done = [];
        let began = false;
        // One member at a time, each proven stopped immediately before its own swap.
        for (const member of topology.members) {
            await this.checkSwapPossible(topology, member, stamp);
            // "The swap began" is recorded once, just before the first move: a swap refused on its
            // first member moved nothing, and a failure then puts everything back.
            if (!began)
                await step.intend({ firstMoveOn: member.pod });
            began = true;
            const { code, stdout, stderr } = await this.swapScript(topology, member, stamp);
            if (code !== 0) {
                throw new Error(`the swap on ${member.pod} (${member.pvc}) failed with exit ${code}: ${stderr.trim() || stdout.trim()}`);
            }
            done.push(`pre-restore-${stamp}: ${member.pod} ${stdout.trim()}`);
            this.logger.info(`  ${member.pod}: ${stdout.trim()} (old data in pre-restore-${stamp})`);
        }
        return done;
    }
    /** The swap script's checks alone (restored data there, no process on the live data); moves nothing. */
    async checkSwapPossible(topology, member, stamp) {
        const { code, stderr, stdout } = await this.swapScript(topology, member, stamp, "check");
        if (code !== 0) {
            throw new Error(`the swap on ${member.pod} (${member.pvc}) cannot begin (exit ${code}): ${stderr.trim() || stdout.trim() || (code === restore_scripts/* RESTORE_EXIT */.KB.noFlock ? "the utility image has no flock" : "the restored folder is missing")}; nothing was moved on it.`);
        }
    }
    /**
     * The swap script on a member (with `check`: its checks alone). A process on the live data
     * is an error here; the script's other refusals come back for the caller to describe.
     */
    async swapScript(topology, member, stamp, ...mode) {
        const outcome = await this.inUtilityPod(topology, member, (0,restore_scripts/* shellCommand */.q$)(restore_scripts/* SWAP_SCRIPT */.k7, member.config.dataDir, stamp, ...mode), [0, restore_scripts/* RESTORE_EXIT */.KB.dataInUse, restore_scripts/* RESTORE_EXIT */.KB.noFlock, restore_scripts/* RESTORE_EXIT */.KB.restoredMissing]);
        if (outcome.code === restore_scripts/* RESTORE_EXIT */.KB.dataInUse) {
            throw new Error(`a process still holds ${member.config.dataDir}/member/snap/db of ${member.pod} (its etcd is not stopped): nothing was swapped on it; check the node ${member.node} for a leftover etcd, then rerun.`);
        }
        return outcome;
    }
    async deleteUtilityPods(topology) {
        await Promise.all(topology.members.map((member) => (0,kube_pods/* deletePodAndWait */.x)(this.options.config, { namespace: topology.namespace, name: member.utilityPod }, this.waits())));
    }
    // ------------------------------------------------------------------ proof
    async checkMembers(topology, proof) {
        const { bump } = proof;
        const first = topology.members[0];
        const target = {
            namespace: topology.namespace,
            pod: first.pod,
            container: this.profile.container,
        };
        const health = await this.exec(target, (0,etcdctl/* etcdctl */.yW)(this.profile, "endpoint", "health", "--cluster", "-w", "json"));
        const unhealthy = JSON.parse(health.stdout).filter((entry) => !entry.health);
        if (unhealthy.length) {
            throw new Error(`after the restore, ${unhealthy.map((entry) => `${entry.endpoint}: ${entry.error ?? "unhealthy"}`).join("; ")}`);
        }
        const list = JSON.parse((await this.exec(target, (0,etcdctl/* etcdctl */.yW)(this.profile, "member", "list", "-w", "json"))).stdout);
        const expected = first.config.initialClusterMembers
            .map((member) => `${member.name}=${member.peerUrls.join(",")}`)
            .sort();
        const actual = list.members
            .map((member) => `${member.name}=${member.peerURLs.join(",")}`)
            .sort();
        if (JSON.stringify(expected) !== JSON.stringify(actual)) {
            throw new Error(`after the restore, the members are ${actual.join(" ")}, but ${expected.join(" ")} were expected.`);
        }
        const clusterIds = new Set();
        for (const member of topology.members) {
            const status = await this.exec({ ...target, pod: member.pod }, (0,etcdctl/* etcdctl */.yW)(this.profile, "endpoint", "status", "-w", "json"));
            clusterIds.add(/"cluster_id":(\d+)/.exec(status.stdout)?.[1] ?? "?");
        }
        if (clusterIds.size !== 1) {
            throw new Error(`after the restore, the members report ${clusterIds.size} cluster IDs (${[...clusterIds].join(", ")}): they did not form one cluster.`);
        }
        const { revision, keys } = (0,etcdctl/* parseKeyCount */.wK)((await this.exec(target, (0,etcdctl/* etcdctl */.yW)(this.profile, ...(0,etcdctl/* countKeysArgs */.n$)()))).stdout);
        if (proof.undo) {
            return {
                revision,
                keys,
                summary: `${topology.members.length} member(s) healthy, one cluster ID, names and peer URLs as expected, revision ${revision}, ${keys} keys`,
            };
        }
        const { manifest } = this.source.backup;
        const expectedRevision = (manifest.etcd?.revision ?? 0) + (bump ?? 0);
        // Leases restored from the snapshot expire after the restart and delete their keys, so
        // the revision may have moved on: the keys are counted at the restored revision itself.
        if (manifest.etcd?.revision !== undefined && revision < expectedRevision) {
            throw new Error(`after the restore, the revision is ${revision}, below the snapshot's ${expectedRevision}${bump ? ` (with the bump of ${bump})` : ""}: the members do not hold the restored data.`);
        }
        const restoredKeys = manifest.etcd?.revision !== undefined
            ? (0,etcdctl/* parseKeyCount */.wK)((await this.exec(target, (0,etcdctl/* etcdctl */.yW)(this.profile, ...(0,etcdctl/* countKeysArgs */.n$)(expectedRevision))))
                .stdout).keys
            : keys;
        if (manifest.etcd?.keyCount !== undefined && restoredKeys !== manifest.etcd.keyCount) {
            throw new Error(`after the restore, etcd holds ${restoredKeys} keys at revision ${expectedRevision}, but the snapshot held ${manifest.etcd.keyCount}.`);
        }
        return {
            revision,
            keys,
            summary: `${topology.members.length} member(s) healthy, one cluster ID, names and peer URLs as expected, ${restoredKeys} keys at revision ${expectedRevision} as in the snapshot (now revision ${revision}, ${keys} keys)`,
        };
    }
    async otherWorkloads(topology) {
        const apps = this.options.config.makeApiClient(kube_client/* AppsV1Api */.e);
        const namespace = topology.namespace;
        const known = new Set(["kube-etcd", API_SERVER, MAINTENANCE]);
        const [statefulSets, deployments] = await Promise.all([
            apps.listNamespacedStatefulSet({ namespace }),
            apps.listNamespacedDeployment({ namespace }),
        ]);
        return [
            ...statefulSets.items.map((item) => ({
                kind: "StatefulSet",
                namespace,
                name: item.metadata.name,
            })),
            ...deployments.items.map((item) => ({
                kind: "Deployment",
                namespace,
                name: item.metadata.name,
            })),
        ].filter((ref) => !known.has(ref.name));
    }
    async restartWorkloads(refs) {
        const apps = this.options.config.makeApiClient(kube_client/* AppsV1Api */.e);
        const restartedAt = new Date().toISOString();
        for (const ref of refs) {
            const body = ref.kind === "StatefulSet"
                ? await apps.readNamespacedStatefulSet({ name: ref.name, namespace: ref.namespace })
                : await apps.readNamespacedDeployment({ name: ref.name, namespace: ref.namespace });
            const template = body.spec.template;
            template.metadata = {
                ...template.metadata,
                annotations: {
                    ...template.metadata?.annotations,
                    "kubectl.kubernetes.io/restartedAt": restartedAt,
                },
            };
            if (ref.kind === "StatefulSet") {
                await apps.replaceNamespacedStatefulSet({
                    name: ref.name,
                    namespace: ref.namespace,
                    body: body,
                });
            }
            else {
                await apps.replaceNamespacedDeployment({
                    name: ref.name,
                    namespace: ref.namespace,
                    body: body,
                });
            }
        }
    }
    async prunePreRestore(topology) {
        // The utility pods are gone; the members' own containers run the same image.
        const removed = await Promise.all(topology.members.map(async (member) => {
            const target = {
                namespace: topology.namespace,
                pod: member.pod,
                container: this.profile.container,
            };
            // Best effort: the restore is proven by now; old folders only cost room.
            try {
                const { stdout } = await this.exec(target, (0,restore_scripts/* shellCommand */.q$)(restore_scripts/* PRUNE_SCRIPT */.Bj, member.config.dataDir, String(PRE_RESTORE_KEEP)));
                return stdout
                    .split("\n")
                    .filter(Boolean)
                    .map((name) => `${member.pod}:${name}`);
            }
            catch (error) {
                this.logger.warning(`Could not remove old pre-restore folders on ${member.pod} (${(0,errors/* errorMessage */.gJ)(error)}); they only take room: remove all but the newest ${PRE_RESTORE_KEEP} pre-restore-* folders in ${member.config.dataDir} by hand.`);
                return [];
            }
        }));
        return removed.flat();
    }
    // ------------------------------------------------------------------ helpers
    workload(kind, name) {
        return { kind, namespace: this.profile.namespace, name };
    }
    pdbRef() {
        return { namespace: this.profile.namespace, name: API_SERVER_PDB };
    }
    /** The workload's replicas now: what a scale-down records before it acts. */
    async replicasOf(ref) {
        const apps = this.options.config.makeApiClient(kube_client/* AppsV1Api */.e);
        const read = ref.kind === "StatefulSet"
            ? apps.readNamespacedStatefulSet({ name: ref.name, namespace: ref.namespace })
            : apps.readNamespacedDeployment({ name: ref.name, namespace: ref.namespace });
        const object = await read.catch((error) => {
            throw new Error((0,kube_errors/* describeApiError */.g)(error, (0,scale/* describeWorkload */.HV)(ref)), { cause: error });
        });
        return object.spec?.replicas ?? 1;
    }
    /** Putting things back goes on after a cancel: it is bounded by time, not by the signal. */
    settlingWaits() {
        return { timeoutMs: this.options.waitTimeoutMs ?? 300_000 };
    }
    waits() {
        return {
            timeoutMs: this.options.waitTimeoutMs ?? 300_000,
            ...(this.options.signal ? { signal: this.options.signal } : {}),
        };
    }
    utilityTarget(topology, member) {
        return { namespace: topology.namespace, pod: member.utilityPod, container: "etcd-utility" };
    }
    async inUtilityPod(topology, member, command, allowedCodes = [0]) {
        return this.exec(this.utilityTarget(topology, member), command, allowedCodes);
    }
    async exec(target, command, allowedCodes = [0]) {
        const result = await (0,exec/* execInPod */.YE)(this.options.config, { ...target, command });
        const code = result.exitCode ?? -1;
        if (!allowedCodes.includes(code)) {
            throw new Error(`${command[0] === "sh" ? "the step's script" : command.slice(0, 3).join(" ")} in ${target.namespace}/${target.pod} failed (exit ${code}): ${result.stderr.trim().split("\n").slice(-3).join(" ") || result.stdout.trim()}`);
        }
        return { code, stdout: result.stdout, stderr: result.stderr };
    }
}
/** The runbook's utility pod (section 2.1), on the member's PVC's node, with its PVC and certificates. */
function utilityPodManifest(topology, member, image) {
    return {
        apiVersion: "v1",
        kind: "Pod",
        metadata: {
            name: member.utilityPod,
            namespace: topology.namespace,
            labels: {
                "app.kubernetes.io/managed-by": "etcd-backup-actions",
                "etcd-backup-actions/role": "restore-utility",
            },
            annotations: { [DATA_DIR_ANNOTATION]: member.config.dataDir },
        },
        spec: {
            restartPolicy: "Never",
            terminationGracePeriodSeconds: 5,
            nodeSelector: { ...topology.nodeSelector, "kubernetes.io/hostname": member.node },
            tolerations: [
                {
                    key: "node.kubernetes.io/not-ready",
                    operator: "Exists",
                    effect: "NoExecute",
                    tolerationSeconds: 300,
                },
                {
                    key: "node.kubernetes.io/unreachable",
                    operator: "Exists",
                    effect: "NoExecute",
                    tolerationSeconds: 300,
                },
                { key: "node.kubernetes.io/unschedulable", operator: "Exists", effect: "NoSchedule" },
            ],
            containers: [
                {
                    name: "etcd-utility",
                    image,
                    command: ["/bin/sh", "-ec", "while :; do echo '.'; sleep 5 ; done"],
                    volumeMounts: [
                        { name: "data", mountPath: topology.dataMount },
                        { name: "etcd-certs", mountPath: topology.certificatesMount },
                    ],
                },
            ],
            volumes: [
                { name: "data", persistentVolumeClaim: { claimName: member.pvc } },
                {
                    name: "etcd-certs",
                    secret: { secretName: topology.certificatesSecret, defaultMode: 420 },
                },
            ],
        },
    };
}
function snapshotPath(member, stamp) {
    return `${member.config.dataDir}/restore-${stamp}.db`;
}
/** What the utility pods need that the probed image lacks, in words. */
function missingUtilityTools(facts) {
    const missing = ["flock", "mv", "stat", "df"].filter((tool) => !facts.tools[tool]);
    if (!facts.restoreTool)
        missing.unshift("etcdctl or etcdutl");
    if (!facts.tools.sha256sum && !facts.tools.openssl)
        missing.push("sha256sum or openssl");
    return missing;
}

function describeTopology(topology) {
    return `${topology.replicas} member(s) (${topology.members.map((member) => `${member.pod}: ${member.pvc} on ${member.node}`).join(", ")}), image ${topology.image}, podManagementPolicy ${topology.podManagementPolicy}, token ${topology.members[0]?.config.initialClusterToken}`;
}
function describeRecreate(result, policy) {
    return `kube-etcd ${result.action} as ${policy}${result.adoptedPods.length ? `, its running pods adopted (${result.adoptedPods.join(", ")})` : ""}`;
}
function describeImage(facts) {
    return `${facts.restoreTool} ${facts.version ?? ""}, ${facts.bump ? "can" : "cannot"} bump the revision`;
}


/***/ }),

/***/ 76990:
/***/ ((__unused_webpack___webpack_module__, __webpack_exports__, __webpack_require__) => {

/* harmony export */ __webpack_require__.d(__webpack_exports__, {
/* harmony export */   hZ: () => (/* binding */ writeRestoreRecord),
/* harmony export */   wp: () => (/* binding */ restoreRecord)
/* harmony export */ });
/* unused harmony export RESTORE_RECORD_VERSION */
/* harmony import */ var _core_version_js__WEBPACK_IMPORTED_MODULE_0__ = __webpack_require__(6743);
/* harmony import */ var _core_errors_js__WEBPACK_IMPORTED_MODULE_1__ = __webpack_require__(51222);
/* harmony import */ var _core_storage_layout_js__WEBPACK_IMPORTED_MODULE_2__ = __webpack_require__(50721);
/**
 * The restore record: a small JSON object written at the destination beside the cluster's
 * backups (`<cluster>/restores/<timestamp>.json`), so the audit trail that holds every backup
 * holds every restore too: who restored, when, from which backup, and what came of it.
 * Written for a restore that succeeded and for one that failed; writing it is best effort and
 * never hides the restore's own outcome or error.
 */



const RESTORE_RECORD_VERSION = 1;
function restoreRecord(facts, audit, startedAt, finishedAt) {
    return {
        recordVersion: RESTORE_RECORD_VERSION,
        kind: "restore",
        startedAt: startedAt.toISOString(),
        finishedAt: finishedAt.toISOString(),
        actor: audit.actor,
        ...(audit.runUrl ? { runUrl: audit.runUrl } : {}),
        via: audit.via,
        toolVersion: _core_version_js__WEBPACK_IMPORTED_MODULE_0__/* .TOOL_VERSION */ .w,
        cluster: facts.cluster,
        outcome: facts.outcome,
        backup: facts.backup,
        ...(facts.revision !== undefined ? { revision: facts.revision } : {}),
        ...(facts.keys !== undefined ? { keys: facts.keys } : {}),
        members: facts.members,
        ...(facts.bump !== undefined ? { bump: facts.bump } : {}),
        preRestoreFolders: facts.preRestoreFolders,
        removedPreRestoreFolders: facts.removedPreRestoreFolders,
        ...(facts.outageMs !== undefined ? { outageMs: facts.outageMs } : {}),
        durationMs: facts.durationMs,
        ...(facts.error ? { error: facts.error } : {}),
    };
}
/**
 * Writes the record at the destination; resolves with its URI, or undefined (with a warning
 * that says what to do) when it could not be written. Never rejects: the restore's own
 * outcome is what the run reports.
 */
async function writeRestoreRecord(store, record, logger) {
    if (!store.putRestoreRecord) {
        logger.warning(`The destination ${store.description} keeps no restore records; the restore of ${record.cluster} is recorded only in this run's log and summary.`);
        return undefined;
    }
    const body = Buffer.from(`${JSON.stringify(record, null, 2)}\n`);
    try {
        const uri = await store.putRestoreRecord(record.cluster, (0,_core_storage_layout_js__WEBPACK_IMPORTED_MODULE_2__/* .formatTimestamp */ .Ey)(new Date(record.startedAt)), body);
        logger.info(`Restore record written: ${uri}`);
        return uri;
    }
    catch (error) {
        logger.warning(`The restore record of ${record.cluster} could not be written to ${store.description} (${(0,_core_errors_js__WEBPACK_IMPORTED_MODULE_1__/* .errorMessage */ .gJ)(error)}); the restore's outcome (${record.outcome}) stands. Keep this run's log as its record.`);
        return undefined;
    }
}


/***/ })

};
