export const id = 248;
export const ids = [248,517,300];
export const modules = {

/***/ 29027:
/***/ ((__unused_webpack___webpack_module__, __webpack_exports__, __webpack_require__) => {

/* harmony export */ __webpack_require__.d(__webpack_exports__, {
/* harmony export */   Hs: () => (/* binding */ checkMemberHealth),
/* harmony export */   Oh: () => (/* binding */ chooseSnapshotMember),
/* harmony export */   h8: () => (/* binding */ findMembers)
/* harmony export */ });
/* harmony import */ var _kube_client_js__WEBPACK_IMPORTED_MODULE_0__ = __webpack_require__(42830);
/* harmony import */ var _errors_js__WEBPACK_IMPORTED_MODULE_1__ = __webpack_require__(51222);
/* harmony import */ var _kube_exec_js__WEBPACK_IMPORTED_MODULE_2__ = __webpack_require__(87770);
/* harmony import */ var _kube_errors_js__WEBPACK_IMPORTED_MODULE_3__ = __webpack_require__(43604);
/* harmony import */ var _etcdctl_js__WEBPACK_IMPORTED_MODULE_4__ = __webpack_require__(6299);





/** The member pods of a cluster, in member-number order. */
async function findMembers(config, profile) {
    const core = config.makeApiClient(_kube_client_js__WEBPACK_IMPORTED_MODULE_0__.CoreV1Api);
    let labelSelector = profile.memberLabelSelector;
    if (profile.statefulSet) {
        const apps = config.makeApiClient(_kube_client_js__WEBPACK_IMPORTED_MODULE_0__/* .AppsV1Api */ .e);
        const statefulSet = await apps
            .readNamespacedStatefulSet({ name: profile.statefulSet, namespace: profile.namespace })
            .catch((error) => {
            throw new Error(`cluster ${profile.cluster}: ${(0,_kube_errors_js__WEBPACK_IMPORTED_MODULE_3__/* .describeApiError */ .g)(error, `statefulset ${profile.namespace}/${profile.statefulSet}`)}`, { cause: error });
        });
        const matchLabels = statefulSet.spec?.selector.matchLabels ?? {};
        labelSelector = Object.entries(matchLabels)
            .map(([key, value]) => `${key}=${value}`)
            .join(",");
    }
    const pods = await core
        .listNamespacedPod({ namespace: profile.namespace, labelSelector })
        .catch((error) => {
        throw new Error(`cluster ${profile.cluster}: ${(0,_kube_errors_js__WEBPACK_IMPORTED_MODULE_3__/* .describeApiError */ .g)(error, `pods in ${profile.namespace}`)}`, { cause: error });
    });
    const members = pods.items
        .filter((pod) => !profile.statefulSet || pod.metadata?.name?.startsWith(`${profile.statefulSet}-`))
        .map((pod) => toMember(pod, profile));
    if (members.length === 0) {
        throw new Error(`cluster ${profile.cluster}: no etcd member pods found in namespace ${profile.namespace} (selector ${labelSelector}).`);
    }
    return members.sort((a, b) => a.memberNumber - b.memberNumber);
}
function toMember(pod, profile) {
    const name = pod.metadata?.name ?? "";
    const ordinal = profile.statefulSet ? Number(name.slice(profile.statefulSet.length + 1)) : 0;
    const containerStatus = pod.status?.containerStatuses?.find((status) => status.name === profile.container);
    return {
        pod: name,
        node: pod.spec?.nodeName ?? "",
        memberNumber: Number.isInteger(ordinal) ? ordinal : 0,
        phase: pod.metadata?.deletionTimestamp ? "Terminating" : (pod.status?.phase ?? "Unknown"),
        ready: Boolean(containerStatus?.ready),
    };
}
/** Asks every member for its endpoint status through exec; never throws for one sick member. */
async function checkMemberHealth(config, profile, members) {
    return Promise.all(members.map(async (member) => {
        if (member.phase !== "Running") {
            return { ...member, healthy: false, problem: `pod is ${member.phase}` };
        }
        try {
            const result = await (0,_kube_exec_js__WEBPACK_IMPORTED_MODULE_2__/* .execInPod */ .YE)(config, {
                namespace: profile.namespace,
                pod: member.pod,
                container: profile.container,
                command: (0,_etcdctl_js__WEBPACK_IMPORTED_MODULE_4__/* .endpointStatusJson */ .mg)(profile),
            });
            if (result.exitCode !== 0) {
                const reason = result.stderr.trim().split("\n").pop() ?? `exit code ${result.exitCode}`;
                return {
                    ...member,
                    healthy: false,
                    problem: `etcdctl endpoint status failed: ${reason}`,
                };
            }
            return { ...member, healthy: true, status: (0,_etcdctl_js__WEBPACK_IMPORTED_MODULE_4__/* .parseEndpointStatus */ .Nf)(result.stdout) };
        }
        catch (error) {
            return { ...member, healthy: false, problem: (0,_errors_js__WEBPACK_IMPORTED_MODULE_1__/* .errorMessage */ .gJ)(error) };
        }
    }));
}
/**
 * The member to snapshot: a healthy one, preferring a follower (so the leader is spared the
 * extra load) with the highest revision; never blindly kube-etcd-0.
 */
function chooseSnapshotMember(health) {
    const healthy = health.filter((member) => member.healthy && member.status);
    const byRevision = (a, b) => (b.status?.revision ?? 0) - (a.status?.revision ?? 0) || a.memberNumber - b.memberNumber;
    const followers = healthy.filter((member) => member.status?.memberId !== member.status?.leaderId);
    return [...followers].sort(byRevision)[0] ?? [...healthy].sort(byRevision)[0];
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


/***/ }),

/***/ 4248:
/***/ ((__unused_webpack___webpack_module__, __webpack_exports__, __webpack_require__) => {


// EXPORTS
__webpack_require__.d(__webpack_exports__, {
  resolveClusters: () => (/* binding */ resolveClusters),
  runEtcdBackup: () => (/* binding */ runEtcdBackup)
});

// UNUSED EXPORTS: describeFoundClusters, etcdBackupPlan

// EXTERNAL MODULE: ./.build/compile/src/core/errors.js
var errors = __webpack_require__(51222);
// EXTERNAL MODULE: ./.build/compile/src/core/redact.js
var redact = __webpack_require__(79148);
// EXTERNAL MODULE: external "node:crypto"
var external_node_crypto_ = __webpack_require__(77598);
// EXTERNAL MODULE: external "node:fs/promises"
var promises_ = __webpack_require__(51455);
// EXTERNAL MODULE: external "node:os"
var external_node_os_ = __webpack_require__(48161);
// EXTERNAL MODULE: external "node:path"
var external_node_path_ = __webpack_require__(76760);
// EXTERNAL MODULE: ./.build/compile/src/core/kube-client.js
var kube_client = __webpack_require__(42830);
// EXTERNAL MODULE: ./.build/compile/src/core/etcd/etcdctl.js
var etcdctl = __webpack_require__(6299);
// EXTERNAL MODULE: ./.build/compile/src/core/etcd/members.js
var etcd_members = __webpack_require__(29027);
// EXTERNAL MODULE: ./.build/compile/src/core/format.js
var format = __webpack_require__(44714);
// EXTERNAL MODULE: ./.build/compile/src/core/kube/exec.js
var exec = __webpack_require__(87770);
;// CONCATENATED MODULE: ./.build/compile/src/core/etcd/pod-snapshot.js
/**
 * The pod side of a backup (runbook 1.2-1.3, done safely): check there is room, save the
 * snapshot to a unique temporary path outside the data volume, stream it out through exec
 * stdout while etcdctl writes it (no tar, no TTY, no `kubectl cp`), read its size and
 * sha256 in the pod, and remove it, whatever happened.
 */






/** Where snapshots are written inside the pod: the container's own filesystem, never /var/lib/etcd. */
const POD_SNAPSHOT_DIR = "/tmp";
/** The member's etcd container, as core/kube addresses it. */
function memberContainer(target) {
    return {
        namespace: target.profile.namespace,
        pod: target.pod,
        container: target.profile.container,
    };
}
const pod_snapshot_exec = (target, command) => (0,exec/* execChecked */.$h)(target.config, { ...memberContainer(target), command });
/** A path no other backup run can collide with. */
function uniqueSnapshotPath() {
    const stamp = new Date().toISOString().replace(/[-:]/g, "").replace(/\..*$/, "");
    return `${POD_SNAPSHOT_DIR}/etcd-backup-${stamp}-${(0,external_node_crypto_.randomBytes)(4).toString("hex")}.db`;
}
/** Free bytes in the snapshot folder of the pod (`df -Pk`). */
async function freeSpaceInPod(target, dir = POD_SNAPSHOT_DIR) {
    const { stdout } = await pod_snapshot_exec(target, ["df", "-Pk", dir]);
    const fields = stdout.trim().split("\n").pop()?.trim().split(/\s+/) ?? [];
    const availableKb = Number(fields[3]);
    if (!Number.isFinite(availableKb)) {
        throw new Error(`cannot read the free space of ${dir} in ${target.pod} from df: ${stdout.trim()}`);
    }
    return availableKb * 1024;
}
/**
 * Fails unless the snapshot (about the database size) fits, with a margin, where it will be
 * written. Better to refuse than to fill the etcd container's disk.
 */
async function checkRoomForSnapshot(target, databaseBytes) {
    const available = await freeSpaceInPod(target);
    const needed = Math.ceil(databaseBytes * 1.1) + 16 * 1024 * 1024;
    if (available < needed) {
        throw new Error(`no room for the snapshot in ${target.profile.namespace}/${target.pod}: ${POD_SNAPSHOT_DIR} has ${(0,format/* formatBytes */.z)(available)} free, the database is ${(0,format/* formatBytes */.z)(databaseBytes)} (needs ${(0,format/* formatBytes */.z)(needed)}); free space in the container or snapshot another member.`);
    }
    return available;
}
/** The streaming script prints this on stderr, with etcdctl's exit code, once etcdctl has ended. */
const SAVE_ENDED = "etcd-backup-actions: snapshot save ended with code";
/**
 * The guard of the streaming script, in a session of its own: once the shell ($1) is gone
 * without having stopped the guard, it kills the save ($2, and timeout's group) and removes
 * the snapshot ($3) and its `.part`. No single quotes: it is quoted into the script.
 */
const GUARD_SCRIPT = `while kill -0 "$1" 2>/dev/null; do sleep 1; done
kill -s KILL -- "-$2" 2>/dev/null; kill -s KILL "$2" 2>/dev/null
rm -f "$3" "$3.part"; sleep 1; rm -f "$3" "$3.part"`;
/**
 * `sh -c` script: `etcdctl snapshot save` in the background, its file streamed to stdout
 * while it grows. Arguments: seconds allowed, the snapshot path, then etcdctl's argv.
 *
 * Why the streamed bytes are the snapshot: etcdctl 3.4 (clientv3/snapshot Save) opens
 * `<path>.part` with O_CREATE|O_TRUNC (no O_EXCL), writes it front to back with io.Copy,
 * fsyncs and renames it; it never seeks back. The script creates `.part` and opens it on fd
 * 3 before etcdctl starts, so it reads the very file etcdctl fills whatever happens to its
 * name. Each `cat <&3` copies from where the previous one stopped to the current end (fd 3's
 * offset is shared); once etcdctl has ended, one last `cat` copies the rest. The caller
 * still checks the size and the sha256 of the finished file in the pod, and the snapshot's
 * own sha256 trailer, before it calls the copy good.
 *
 * It needs only sh, cat, sleep and /proc (to see that etcdctl has ended, even as a zombie).
 * Without /proc or sleep it waits for etcdctl and then streams the whole file: the old
 * save-then-copy way, in one exec. `timeout`, when the image has it, kills an etcdctl that
 * waits forever on a frozen member (exit 137).
 *
 * When the client goes away (the runner was cancelled, or killed), the file must not stay:
 * - the shell still runs and its stdout breaks: `gone` stops etcdctl and `timeout`'s process
 *   group (timeout puts itself in a group of its own) and removes both files;
 * - the shell itself is killed (a runtime that kills the exec's process group when the
 *   stream closes): a guard in a session of its own (setsid, when the image has it) sees
 *   the shell gone, kills timeout's group and removes both files. On success the guard is
 *   stopped first, so the finished file stays for its size and sha256.
 * A file left anyway (no setsid, or the node died) is swept by the next backup once it is
 * older than the save's timeout (sweepStaleSnapshots).
 */
const SAVE_AND_STREAM_SCRIPT = `t=$1 p=$2; shift 2
part="$p.part"
true > "$part" || exit 125
exec 3< "$part"
if command -v timeout >/dev/null 2>&1; then timeout -s KILL "$t" "$@" >&2 & else "$@" >&2 & fi
save=$!
guard=
if command -v setsid >/dev/null 2>&1; then
  setsid sh -c '${GUARD_SCRIPT}' guard "$$" "$save" "$p" </dev/null >/dev/null 2>&1 3<&- &
  guard=$!
fi
stop() { kill -s KILL -- "-$save" 2>/dev/null; kill -s KILL "$save" 2>/dev/null; }
leave() { if [ -n "$guard" ]; then kill "$guard" 2>/dev/null; fi; exit "$1"; }
saving() {
  read -r stat 2>/dev/null < "/proc/$save/stat" || return 1
  case $stat in *") Z "*) return 1 ;; esac
}
gone() { stop; wait "$save"; rm -f "$part" "$p"; leave 141; }
trap gone HUP PIPE TERM
if command -v sleep >/dev/null 2>&1; then
  while saving; do cat <&3 || gone; sleep 0.1 2>/dev/null || sleep 1; done
fi
wait "$save"; rc=$?
echo "${SAVE_ENDED} $rc" >&2
if [ "$rc" -ne 0 ]; then rm -f "$part" "$p"; leave "$rc"; fi
cat <&3 || gone
leave 0`;
/** The streaming script's argv: `save` (etcdctl's argv) writes `path` within `seconds`. */
function saveAndStreamCommand(seconds, path, save) {
    return ["sh", "-c", SAVE_AND_STREAM_SCRIPT, "sh", String(seconds), path, ...save];
}
/**
 * `etcdctl snapshot save` to `path` in the pod, streamed into `out` (with backpressure) while
 * etcdctl writes it, in one exec; `out` is not ended. Rejects with etcdctl's own message when
 * it fails (the bytes already in `out` are then worthless), and when it takes longer than
 * `timeoutMs`: etcdctl waits forever on a member that accepted the connection and then
 * stopped answering. The pod's `timeout` kills it there, so no late snapshot appears after
 * the clean-up; closing the exec stream a little later is the fallback for images without
 * one. The file stays in the pod for its size and sha256 (fileFactsThenRemove).
 */
async function saveAndStreamSnapshot(target, path, out, options) {
    const where = `${target.profile.namespace}/${target.pod}`;
    const seconds = Math.ceil(options.timeoutMs / 1000);
    const tooSlow = () => new Error(`etcdctl snapshot save in ${where} did not finish within ${seconds} s: the member stopped answering; check its health and logs.`);
    // A kill long before the time limit is not the pod's timeout: the member went away.
    const startedAt = Date.now();
    const killedEarly = (started, limitMs) => {
        const elapsedMs = Date.now() - started;
        if (elapsedMs >= limitMs - 1000)
            return undefined;
        return new Error(`etcdctl snapshot save in ${where} was killed after ${(elapsedMs / 1000).toFixed(1)} s, well within its ${seconds} s limit: the member went away (its pod was deleted, evicted or restarted) during the backup; check kubectl -n ${target.profile.namespace} get pod ${target.pod}, then run the backup again.`);
    };
    // The fallback: the exec is closed if etcdctl has not ended 10 s after the pod's timeout.
    const watchdog = new AbortController();
    const timer = setTimeout(() => watchdog.abort(), options.timeoutMs + 10_000);
    let stderrSeen = "";
    let ended = false;
    const onStderr = (text) => {
        if (ended)
            return;
        stderrSeen = (stderrSeen + text).slice(-4096);
        const exit = new RegExp(`${SAVE_ENDED} (\\d+)\n`).exec(stderrSeen);
        if (!exit)
            return;
        ended = true;
        clearTimeout(timer);
        if (exit[1] === "0")
            options.onSaved?.();
    };
    const signal = options.signal
        ? AbortSignal.any([options.signal, watchdog.signal])
        : watchdog.signal;
    let result;
    try {
        result = await (0,exec/* execInPod */.YE)(target.config, {
            ...memberContainer(target),
            command: saveAndStreamCommand(seconds, path, (0,etcdctl/* snapshotSave */.ol)(target.profile, path)),
            stdout: out,
            signal,
            onStderr,
        });
    }
    catch (error) {
        throw watchdog.signal.aborted && !options.signal?.aborted
            ? Object.assign(tooSlow(), { cause: error })
            : error;
    }
    finally {
        clearTimeout(timer);
    }
    if (result.exitCode === 0)
        return;
    if (result.exitCode === 137)
        throw killedEarly(startedAt, options.timeoutMs) ?? tooSlow();
    const detail = result.stderr
        .split("\n")
        .filter((line) => line.trim() && !line.startsWith(SAVE_ENDED))
        .slice(-3)
        .join(" | ");
    if (result.exitCode !== 125 && (await podIsGoing(target))) {
        // etcd, stopped with its pod, ends the snapshot stream before the exec is killed.
        throw new Error(`etcdctl snapshot save in ${where} failed because the member went away (its pod was deleted, evicted or restarted) during the backup${detail ? ` (etcdctl: ${detail})` : ""}; check kubectl -n ${target.profile.namespace} get pod ${target.pod}, then run the backup again.`);
    }
    const what = result.exitCode === 125
        ? `cannot create ${path}.part in ${where}`
        : `etcdctl snapshot save in ${where} exited with code ${result.exitCode}`;
    throw new Error(`${what}${detail ? `: ${detail}` : ""}`);
}
/** Whether the member's pod is being deleted, or already gone. */
async function podIsGoing(target) {
    const core = target.config.makeApiClient(kube_client.CoreV1Api);
    try {
        const pod = await core.readNamespacedPod({
            name: target.pod,
            namespace: target.profile.namespace,
        });
        return Boolean(pod.metadata?.deletionTimestamp);
    }
    catch (error) {
        return error.code === 404;
    }
}
/** Time allowed for a snapshot save: 2 minutes, plus a second per 20 MB of database. */
function snapshotSaveTimeoutMs(databaseBytes) {
    return 120_000 + Math.ceil(databaseBytes / 20_000_000) * 1000;
}
async function fileSizeInPod(target, path) {
    const { stdout } = await pod_snapshot_exec(target, ["stat", "-c", "%s", path]);
    const size = Number(stdout.trim());
    if (!Number.isInteger(size))
        throw new Error(`stat of ${path} in ${target.pod} printed "${stdout.trim()}"`);
    return size;
}
/** sha256 computed in the pod, or undefined when the image has no sha256sum. */
async function sha256InPod(target, path) {
    const result = await execInPod(target.config, {
        ...memberContainer(target),
        command: [
            "sh",
            "-c",
            'command -v sha256sum >/dev/null || exit 127; sha256sum "$1"',
            "sh",
            path,
        ],
    });
    if (result.exitCode === 127)
        return undefined;
    if (result.exitCode !== 0) {
        throw new Error(`sha256sum of ${path} in ${target.pod} failed: ${result.stderr.trim()}`);
    }
    const hex = result.stdout.trim().split(/\s+/)[0] ?? "";
    if (!/^[0-9a-f]{64}$/.test(hex))
        throw new Error(`sha256sum in ${target.pod} printed "${result.stdout.trim()}"`);
    return hex;
}
/**
 * Size, then sha256 (`<hex> ...`) when the image can hash: openssl (SHA-NI, ~4x faster than
 * coreutils here) when it has it, else sha256sum; then the file is removed.
 */
const FILE_FACTS_SCRIPT = `stat -c %s "$1" || exit 1
if command -v openssl >/dev/null 2>&1 && openssl dgst -sha256 -r "$1"; then :
elif command -v sha256sum >/dev/null 2>&1; then sha256sum "$1" || exit 1
fi
rm -f "$1" "$1.part"`;
/**
 * The finished file's size and sha256 (when the image has sha256sum), read in the pod in one
 * exec that then removes the file: it is not needed once these are known. `started` settles
 * once the command runs (or the exec failed), so the caller can do its own checks while the
 * pod hashes; `facts` rejects when anything failed.
 */
function fileFactsThenRemove(target, path) {
    let markStarted = () => { };
    const opened = new Promise((resolve) => (markStarted = resolve));
    const facts = (0,exec/* execChecked */.$h)(target.config, {
        ...memberContainer(target),
        command: ["sh", "-c", FILE_FACTS_SCRIPT, "sh", path],
        onOpen: markStarted,
    }).then(({ stdout }) => parseFileFacts(stdout, path, target.pod));
    const started = Promise.race([
        opened,
        facts.then(() => undefined, () => undefined),
    ]);
    return { started, facts };
}
function parseFileFacts(stdout, path, pod) {
    const [sizeLine = "", hashLine] = stdout.trim().split("\n");
    const size = Number(sizeLine.trim());
    const sha256 = hashLine?.trim().split(/\s+/)[0];
    if (!Number.isInteger(size) || (hashLine !== undefined && !/^[0-9a-f]{64}$/.test(sha256 ?? ""))) {
        throw new Error(`stat and sha256sum of ${path} in ${pod} printed "${stdout.trim()}"; expected a size and a sha256.`);
    }
    return sha256 === undefined ? { size } : { size, sha256 };
}
/** Streams the file out through exec stdout into `out` (with backpressure); `out` is not ended. */
async function streamFileFromPod(target, path, out, signal) {
    await execChecked(target.config, {
        ...memberContainer(target),
        command: ["cat", path],
        stdout: out,
        signal,
    });
}
/**
 * Removes the temporary snapshot, and the `.part` file etcdctl writes before renaming it
 * (left behind when a save fails half-way).
 */
async function removeFromPod(target, path) {
    await pod_snapshot_exec(target, ["rm", "-f", path, `${path}.part`]);
}
/**
 * Removes the snapshot files (`etcd-backup-*`) in the pod's snapshot folder not written to
 * for longer than `olderThanMs`, and prints each path removed. A live save writes its file
 * all along and is killed at its timeout, so a file idle for longer than that is a leftover
 * of a run that was killed (or lost its node) before it could clean up.
 */
const SWEEP_SCRIPT = `now=$(date +%s) || exit 0
for f in "$1"/etcd-backup-*; do
  [ -f "$f" ] || continue
  written=$(stat -c %Y "$f") || continue
  if [ $((now - written)) -gt "$2" ] && rm -f "$f"; then echo "$f"; fi
done`;
/**
 * The runbook's "nothing left behind", for earlier runs: removes stale snapshot files (see
 * SWEEP_SCRIPT) from the member before this run writes its own, and says so in the log.
 */
async function sweepStaleSnapshots(target, olderThanMs, logger) {
    const where = `${target.profile.namespace}/${target.pod}`;
    const seconds = String(Math.ceil(olderThanMs / 1000));
    let stdout;
    try {
        ({ stdout } = await pod_snapshot_exec(target, ["sh", "-c", SWEEP_SCRIPT, "sh", POD_SNAPSHOT_DIR, seconds]));
    }
    catch (error) {
        // Not a reason to skip this backup: the room check that follows still guards the disk.
        logger.warning(`Could not look for snapshots left by earlier runs in ${POD_SNAPSHOT_DIR} of ${where}: ${(0,errors/* errorMessage */.gJ)(error)}`);
        return [];
    }
    const removed = stdout.split("\n").filter(Boolean);
    for (const path of removed) {
        logger.info(`Removed ${path} from ${where}: a snapshot left by an earlier run that was stopped, unused for more than ${seconds} s.`);
    }
    return removed;
}

// EXTERNAL MODULE: ./.build/compile/src/core/etcd/profiles.js
var profiles = __webpack_require__(71848);
// EXTERNAL MODULE: ./.build/compile/src/core/kube/user-kubeconfigs.js
var user_kubeconfigs = __webpack_require__(11517);
// EXTERNAL MODULE: ./.build/compile/src/core/kube/configmap-journal.js
var configmap_journal = __webpack_require__(2241);
// EXTERNAL MODULE: external "node:fs"
var external_node_fs_ = __webpack_require__(73024);
// EXTERNAL MODULE: external "node:stream"
var external_node_stream_ = __webpack_require__(57075);
// EXTERNAL MODULE: external "node:stream/promises"
var external_node_stream_promises_ = __webpack_require__(46466);
// EXTERNAL MODULE: ./.build/compile/src/core/storage/batching.js
var batching = __webpack_require__(25031);
// EXTERNAL MODULE: ./.build/compile/src/core/storage/memory-pacer.js
var memory_pacer = __webpack_require__(20526);
// EXTERNAL MODULE: ./.build/compile/src/core/stream/tee.js
var tee = __webpack_require__(16200);
;// CONCATENATED MODULE: ./.build/compile/src/core/etcd/snapshot-transfer.js
/**
 * One snapshot on its way out of a member pod (runbook 1.2-1.3): `etcdctl snapshot save`
 * in the pod, streamed while it is written, into two places at once: `stream`, which the
 * caller hands to the storage pipeline, and a private verification copy on the runner. The
 * pod's size and sha256 of its finished file (read, then the file removed) come from
 * `podFile`.
 *
 * Every path settles once. Whichever side fails first (the pod's save, the exec stream,
 * the verification copy, the storage pipeline reading `stream`) stops the others: `stream`
 * and the copy are destroyed and `delivered` rejects with that first error. The pod's save
 * is let finish (its bytes discarded; the pod's timeout bounds it) rather than cut off: an
 * etcdctl cut off from its client goes on writing and would leave its file behind the
 * clean-up; a finished one is removed by the pod's file check. `settled()` resolves once
 * nothing of the transfer is left running, and never rejects, so a clean-up can await it.
 */








class SnapshotTransfer {
    /** The snapshot's bytes as they arrive: the storage pipeline's source. */
    stream;
    /** How often the storage pipeline should pace V8's collector on this source (memory-pacer.ts). */
    memoryPacingBytes = memory_pacer/* NO_PACING */.zS;
    /** Resolves once every byte reached `stream` and the complete copy; rejects with the first failure. */
    delivered;
    copyPath;
    options;
    copy;
    tee;
    copyClosed;
    saving;
    podCheck;
    firstFailure;
    done = false;
    constructor(options) {
        this.options = options;
        this.copyPath = options.copyPath;
        // Batches arrive here (see inlet): one waits while the pipeline works on the last.
        const stream = new external_node_stream_.PassThrough({ highWaterMark: batching/* BATCH_BYTES */.Fv });
        this.stream = stream;
        this.copy = (0,external_node_fs_.createWriteStream)(options.copyPath, { mode: 0o600, flags: "wx" });
        this.copyClosed = new Promise((resolve) => this.copy.once("close", () => resolve()));
        // Registered before the tee's own listeners: the copy's failure is named as such, not
        // reported as a failure of "the data" by whoever reads `stream`.
        this.copy.on("error", (error) => this.fail(this.copyFailure(error)));
        stream.on("error", (error) => this.fail(error));
        this.tee = (0,tee/* teeInto */.Zj)(stream, this.copy, options.onBytes);
        this.tee.on("error", (error) => this.fail(error));
        const forwarding = (0,external_node_stream_promises_.finished)(this.tee);
        const batches = new batching/* BatchBuilder */.e$();
        const saving = saveAndStreamSnapshot(options.target, options.podPath, this.inlet(batches), {
            timeoutMs: options.timeoutMs,
            ...(options.signal ? { signal: options.signal } : {}),
            // The pod hashes its finished file (then removes it) while the rest is on its way.
            onSaved: () => void this.podFile,
        }).then(async () => {
            // Every write of the exec has called back (execInPod waits for them): the rest follows.
            const rest = batches.takeRest();
            if (rest && !this.firstFailure)
                await (0,tee/* writeTo */.jH)(this.tee, rest).catch(() => undefined);
            if (!this.firstFailure)
                this.tee.end();
        }, (error) => {
            throw this.fail(error);
        });
        this.saving = saving.catch(() => undefined);
        this.delivered = Promise.all([saving, forwarding]).then(() => {
            this.done = true;
            if (this.firstFailure)
                throw this.firstFailure;
        }, (error) => {
            this.done = true;
            throw this.fail(error);
        });
        this.delivered.catch(() => undefined);
    }
    /** The pod's check of its file, started on first use (at the latest once all is delivered). */
    get podFile() {
        if (!this.podCheck) {
            const check = fileFactsThenRemove(this.options.target, this.options.podPath);
            check.facts.catch(() => undefined);
            this.podCheck = check;
        }
        return this.podCheck;
    }
    /** Stops whatever still runs (after a failure elsewhere) and waits until all of it settled. */
    async settled() {
        // The caller gave up on it (its store failed before reading, say): stop it, don't wait.
        if (!this.done)
            this.fail(new Error("the snapshot transfer was stopped before it finished"));
        await this.delivered.catch(() => undefined);
        await this.saving;
        await Promise.all([this.copyClosed, this.podCheck?.facts.catch(() => undefined)]);
    }
    /**
     * What the exec writes into: its frames copied into batches (storage/batching.ts), each
     * full batch handed to the tee while all is well, nothing once the transfer failed. The
     * frames die as soon as they are copied, so no socket buffer waits in a stream long
     * enough to reach V8's old generation (which took a full collection every 16 MiB to
     * free). Its write callbacks always come, so the exec never waits on a write a failure
     * elsewhere left hanging (a destroyed stream calls back no write that it had in hand).
     */
    inlet(batches) {
        return new external_node_stream_.Writable({
            highWaterMark: batching/* BATCH_BYTES */.Fv,
            write: (chunk, _encoding, done) => {
                if (this.firstFailure)
                    return done();
                const full = batches.add(chunk);
                if (full.length === 0)
                    return done();
                full
                    .reduce((previous, batch) => previous.then(() => (0,tee/* writeTo */.jH)(this.tee, batch)), Promise.resolve())
                    .then(() => done(), () => done());
            },
        });
    }
    /** Records the first failure and stops the runner's side of the transfer; returns that first failure. */
    fail(error) {
        if (this.firstFailure)
            return this.firstFailure;
        const failure = error instanceof Error ? error : new Error((0,errors/* errorMessage */.gJ)(error));
        this.firstFailure = failure;
        if (!this.stream.destroyed)
            this.stream.destroy(failure);
        if (!this.copy.destroyed)
            this.copy.destroy();
        if (!this.tee.destroyed)
            this.tee.destroy(failure);
        return failure;
    }
    copyFailure(error) {
        return new Error(`writing the runner's verification copy ${this.copyPath} failed: ${error.message}; check the free space and permissions of the work folder (RUNNER_TEMP)`, { cause: error });
    }
}
/** Starts the snapshot in the pod and its transfer; see SnapshotTransfer. */
function startSnapshotTransfer(options) {
    return new SnapshotTransfer(options);
}

// EXTERNAL MODULE: ./.build/compile/src/core/kube/errors.js
var kube_errors = __webpack_require__(43604);
// EXTERNAL MODULE: ./.build/compile/src/core/snapshot/index.js + 10 modules
var snapshot = __webpack_require__(51205);
// EXTERNAL MODULE: ./.build/compile/src/core/storage/pipeline.js
var pipeline = __webpack_require__(86473);
// EXTERNAL MODULE: ./.build/compile/src/procedures/plan.js
var procedures_plan = __webpack_require__(49513);
// EXTERNAL MODULE: ./.build/compile/src/procedures/steps.js
var steps = __webpack_require__(7839);
;// CONCATENATED MODULE: ./.build/compile/src/procedures/etcd-backup.js
/**
 * The runbook's backup (PROCEDURES.md sections 1 and 4.3), as a procedure: for each cluster,
 * find the members, ask each for its health, snapshot a healthy one (not blindly
 * kube-etcd-0), stream the snapshot straight into the storage pipeline, verify it, and only
 * then list it and apply retention. A failure in one cluster does not stop the others.
 */





















/** Turns the `clusters` input into profiles: `all` is the admin cluster and every kube-etcd namespace. */
async function resolveClusters(config, requested, userClusters = []) {
    if (requested.length === 0) {
        throw new errors/* ConfigurationError */.j1("clusters", "no cluster given; expected admin, all, or user cluster names.");
    }
    const invalid = requested.filter((name) => name !== "all" && !(0,profiles/* isValidClusterName */.oO)(name));
    if (invalid.length) {
        throw new errors/* ConfigurationError */.j1("clusters", `${invalid.map((name) => (0,redact/* quoteValue */.cl)(name)).join(", ")} ${invalid.length === 1 ? "is not a cluster name" : "are not cluster names"}; expected admin, all, or user cluster names (Kubernetes namespace names: lower-case letters, digits and '-').`);
    }
    const apps = config.makeApiClient(kube_client/* AppsV1Api */.e);
    let etcdNamespaces;
    try {
        const statefulSets = await apps.listStatefulSetForAllNamespaces({
            fieldSelector: "metadata.name=kube-etcd",
        });
        etcdNamespaces = statefulSets.items
            .map((statefulSet) => statefulSet.metadata?.namespace ?? "")
            .filter(Boolean)
            .sort();
    }
    catch (error) {
        throw new Error((0,kube_errors/* describeApiError */.g)(error, "the kube-etcd StatefulSets of the user clusters"), {
            cause: error,
        });
    }
    const controlPlaneV2 = userClusters.map((cluster) => cluster.name);
    const clash = controlPlaneV2.filter((name) => etcdNamespaces.includes(name));
    if (clash.length) {
        throw new errors/* ConfigurationError */.j1(user_kubeconfigs/* USER_KUBECONFIGS_FIELD */.G, `${clash.join(", ")} ${clash.length === 1 ? "is" : "are"} also a kubeception user cluster (a kube-etcd StatefulSet in the admin cluster); expected each name once: give only the kubeconfigs of Controlplane V2 clusters.`);
    }
    const names = requested.includes("all")
        ? ["admin", ...etcdNamespaces, ...[...controlPlaneV2].sort()]
        : [...new Set(requested)];
    const known = (name) => name === "admin" || etcdNamespaces.includes(name) || controlPlaneV2.includes(name);
    const unknown = names.filter((name) => !known(name));
    if (unknown.length) {
        throw new errors/* ConfigurationError */.j1("clusters", `no user cluster named ${unknown.join(", ")} (no StatefulSet kube-etcd in such a namespace${controlPlaneV2.length ? ", and no such cluster among the user kubeconfigs" : ""}); the user clusters here are: ${[...etcdNamespaces, ...controlPlaneV2].join(", ") || "none"}.`);
    }
    return names.map((name) => {
        if (name === "admin")
            return (0,profiles/* adminClusterProfile */.TI)();
        return controlPlaneV2.includes(name) ? (0,profiles/* controlPlaneV2Profile */.V4)(name) : (0,profiles/* userClusterProfile */.D5)(name);
    });
}
/** What `all` found, by topology: one line for the job log. */
function describeFoundClusters(profiles) {
    const of = (topology) => profiles.filter((profile) => profile.topology === topology).map((profile) => profile.cluster);
    const list = (names) => names.join(", ") || "none";
    return `Found the admin cluster's etcd${of("admin").length ? "" : " (not requested)"}; kubeception user clusters: ${list(of("kubeception"))}; Controlplane V2 user clusters: ${list(of("controlplane-v2"))}.`;
}
/** The API the cluster's etcd pods are reached through: its own for Controlplane V2, else the admin one. */
function configFor(options, profile) {
    if (profile.topology !== "controlplane-v2")
        return options.config;
    const access = options.userClusters?.find((cluster) => cluster.name === profile.cluster);
    if (!access)
        throw new Error(`no kubeconfig for Controlplane V2 cluster ${profile.cluster}`);
    return access.config;
}
/** The backup of one cluster, declared once: `dry-run` prints it, a run executes it. */
function etcdBackupPlan(profile, destination) {
    const where = `-n ${profile.namespace}`;
    const selector = profile.statefulSet
        ? `(pods of statefulset ${profile.statefulSet})`
        : `-l ${profile.memberLabelSelector}`;
    const exec = `kubectl exec ${where} MEMBER -c ${profile.container} --`;
    const podFile = "/tmp/etcd-backup-TIMESTAMP.db";
    return new procedures_plan/* Plan */.cw(`back up etcd of ${profile.cluster} to ${destination}`, [
        {
            name: "findMembers",
            purpose: `list the etcd member pods of ${profile.cluster}`,
            runbook: `kubectl get pods ${where} ${selector} -o wide`,
            effect: "reads",
        },
        {
            name: "checkHealth",
            purpose: "ask every member for its status; choose a healthy member, a follower if possible",
            runbook: `${exec} ${(0,etcdctl/* endpointStatusJson */.mg)(profile).join(" ")}`,
            effect: "reads",
        },
        {
            name: "sweepStaleSnapshots",
            purpose: "remove etcd-backup-* files that runs stopped by SIGKILL left in the member's /tmp, older than the save's own timeout (which bounds a live one)",
            runbook: `${exec} find /tmp -maxdepth 1 -name 'etcd-backup-*' -mmin +TIMEOUT -delete`,
            effect: "changes",
        },
        {
            name: "checkRoom",
            purpose: "the database must fit in the member's /tmp (never the data volume)",
            runbook: `${exec} df -Pk /tmp`,
            effect: "reads",
        },
        {
            name: "saveAndStream",
            purpose: `etcdctl snapshot save to a unique temporary file in the member pod, streamed out through exec stdout (no TTY, no tar) while etcdctl writes it, into ${destination}, hashed, compressed, encrypted; before the manifest is written, sizes and sha256 must be equal at both ends (the pod hashes its finished file, then removes it) and the snapshot's own sha256 trailer and structure must check out`,
            runbook: `${exec} ${(0,etcdctl/* snapshotSave */.ol)(profile, podFile).join(" ")}; ${exec} cat ${podFile} > snapshot.db; ${exec} sha256sum ${podFile}; sha256sum snapshot.db`,
            effect: "changes",
        },
        {
            name: "removeTemporaryFile",
            purpose: "remove the snapshot from the member pod",
            runbook: `${exec} rm -f ${podFile} ${podFile}.part`,
            effect: "changes",
            onlyWhen: "when a failure left the snapshot in the pod (on success the pod removes it itself)",
        },
        {
            name: "verifyStored",
            purpose: "read the stored bytes back and check them against the manifest",
            effect: "reads",
        },
        steps/* applyRetentionDeclaration */.jP,
    ]);
}
async function runEtcdBackup(options) {
    const { logger } = options;
    const profiles = await resolveClusters(options.config, options.clusters, options.userClusters);
    if (options.clusters.includes("all"))
        logger.info(describeFoundClusters(profiles));
    const results = [];
    for (const profile of profiles) {
        options.signal?.throwIfAborted();
        const restoring = await restoreHoldsLock(options, profile);
        if (restoring) {
            results.push(restoring);
            continue;
        }
        const plan = etcdBackupPlan(profile, options.store.description);
        if (options.dryRun) {
            plan.print(logger);
            results.push(await planOnly(options, profile, plan));
        }
        else {
            results.push(await logger.group(`Back up etcd of ${profile.cluster}`, () => backUpCluster(options, profile, plan)));
        }
    }
    options.signal?.throwIfAborted();
    return results;
}
/**
 * A user cluster whose restore holds its lock (the restore's journal) is skipped with a
 * warning: a snapshot taken while its members are stopped or being swapped is no backup.
 */
async function restoreHoldsLock(options, profile) {
    // Only kubeception restores exist yet; their lock is in the cluster's admin namespace.
    if (profile.topology !== "kubeception")
        return undefined;
    const journal = new configmap_journal/* ConfigMapJournal */.uz(options.config, profile.namespace);
    if ((await journal.read()).length === 0)
        return undefined;
    const error = `a restore of ${profile.cluster} is in progress or unfinished (its lock: ${journal.description}); not backed up now. Finish the restore (rerun it) or undo it, and the next backup takes ${profile.cluster} again.`;
    options.logger.warning(error);
    return {
        cluster: profile.cluster,
        kind: kindOf(profile),
        outcome: "skipped",
        durationMs: 0,
        error,
        steps: [],
    };
}
/** Dry run: the reading steps only. Shows which member would be used and why. */
async function planOnly(options, profile, plan) {
    const started = Date.now();
    const run = await procedures_plan/* PlanRun */.zq.start(plan, { logger: options.logger, dryRun: true });
    const result = {
        cluster: profile.cluster,
        kind: kindOf(profile),
        outcome: "planned",
        durationMs: 0,
        steps: run.log,
    };
    try {
        const chosen = await chooseMember(options, profile, run);
        result.member = chosen.pod;
        result.node = chosen.node;
        result.size = chosen.status?.dbSize;
        await checkRoom(run, { config: configFor(options, profile), profile, pod: chosen.pod }, chosen);
        options.logger.info(`Dry run: would snapshot ${profile.cluster} from ${chosen.pod} on ${chosen.node} (database ${(0,format/* formatBytes */.z)(chosen.status?.dbSize ?? 0)}); nothing was changed.`);
    }
    catch (error) {
        result.outcome = "failed";
        result.error = (0,errors/* errorMessage */.gJ)(error);
    }
    run.finish();
    result.durationMs = Date.now() - started;
    return result;
}
async function chooseMember(options, profile, run) {
    const members = await run.run("findMembers", () => (0,etcd_members/* findMembers */.h8)(configFor(options, profile), profile), (found) => found.map((member) => `${member.pod}@${member.node || "unscheduled"}`).join(", "));
    const health = await run.run("checkHealth", () => (0,etcd_members/* checkMemberHealth */.Hs)(configFor(options, profile), profile, members), (checked) => checked
        .map((member) => `${member.pod} ${member.healthy ? "healthy" : `unhealthy (${member.problem})`}`)
        .join("; "));
    const chosen = (0,etcd_members/* chooseSnapshotMember */.Oh)(health);
    if (!chosen) {
        throw new Error(`no healthy etcd member in ${profile.cluster}: ${health.map((member) => `${member.pod}: ${member.problem}`).join("; ")}`);
    }
    return chosen;
}
async function checkRoom(run, target, member) {
    const databaseBytes = member.status?.dbSize ?? 0;
    await run.run("checkRoom", () => checkRoomForSnapshot(target, databaseBytes), (available) => `${(0,format/* formatBytes */.z)(available)} free for ${(0,format/* formatBytes */.z)(databaseBytes)} in ${member.pod}`);
}
async function backUpCluster(options, profile, plan) {
    const { logger } = options;
    const started = Date.now();
    const run = await procedures_plan/* PlanRun */.zq.start(plan, { logger });
    const result = {
        cluster: profile.cluster,
        kind: kindOf(profile),
        outcome: "failed",
        durationMs: 0,
        steps: run.log,
    };
    const workDir = await (0,promises_.mkdtemp)((0,external_node_path_.join)(options.workDir ?? (0,external_node_os_.tmpdir)(), "etcd-backup-"));
    const forgetWorkDir = options.cleanups?.register({ kind: "runner-path", path: workDir });
    let forgetPodFile;
    const verifyCopy = (0,external_node_path_.join)(workDir, `snapshot-${(0,external_node_crypto_.randomBytes)(4).toString("hex")}.db`);
    let target;
    let podPath;
    try {
        const member = await chooseMember(options, profile, run);
        result.member = member.pod;
        result.node = member.node;
        target = { config: configFor(options, profile), profile, pod: member.pod };
        const podTarget = target;
        const databaseBytes = member.status?.dbSize ?? 0;
        const timeoutMs = options.snapshotTimeoutMs ?? snapshotSaveTimeoutMs(databaseBytes);
        options.signal?.throwIfAborted();
        await run.run("sweepStaleSnapshots", () => sweepStaleSnapshots(podTarget, timeoutMs, logger), (removed) => (removed.length ? `removed ${removed.join(", ")}` : "none found"));
        await checkRoom(run, podTarget, member);
        options.signal?.throwIfAborted();
        podPath = uniqueSnapshotPath();
        const snapshotPath = podPath;
        forgetPodFile = options.cleanups?.register({
            kind: "pod-file",
            namespace: profile.namespace,
            pod: member.pod,
            container: profile.container,
            path: snapshotPath,
        }, () => removeFromPod(podTarget, snapshotPath));
        const stream = await run.run("saveAndStream", () => saveStreamAndStore(options, profile, podTarget, snapshotPath, verifyCopy, {
            member,
            databaseBytes,
            timeoutMs,
        }), ({ stored, podFile }) => `etcdctl snapshot save ${snapshotPath} in ${member.pod}: ${(0,format/* formatBytes */.z)(stored.manifest.payload.plaintext.bytes)} to ${stored.location.uri}; ${podFile.sha256 ? "sha256 equal in the pod" : "no sha256sum in the pod, checked by the snapshot's trailer"}; ${snapshotPath} removed from ${member.pod}`);
        const stored = stream.stored;
        podPath = undefined;
        forgetPodFile?.();
        run.skip("removeTemporaryFile", `the pod removed ${snapshotPath} itself`);
        Object.assign(result, {
            revision: stored.manifest.etcd?.revision,
            keys: stored.manifest.etcd?.keyCount,
        });
        await (0,steps/* verifyAndRetain */.q_)(run, options.store, stored, options.retention, logger, result);
    }
    catch (error) {
        // Reported once, by the caller (the action's one error, the CLI's summary).
        result.error = (0,errors/* errorMessage */.gJ)(error);
    }
    finally {
        if (target && podPath) {
            if (await removeTemporaryFile(run, target, podPath, logger))
                forgetPodFile?.();
        }
        await (0,promises_.rm)(workDir, { recursive: true, force: true });
        forgetWorkDir?.();
    }
    run.finish();
    result.durationMs = Date.now() - started;
    return result;
}
/** After a failure: the snapshot must not stay in the pod; if it cannot go, say how to remove it. */
async function removeTemporaryFile(run, target, podPath, logger) {
    return run
        .run("removeTemporaryFile", () => removeFromPod(target, podPath), () => `${podPath} removed from ${target.pod}`)
        .then(() => true, (error) => {
        const { namespace, container } = target.profile;
        logger.warning(`The temporary snapshot ${podPath} could not be removed from ${namespace}/${target.pod}: ${(0,errors/* errorMessage */.gJ)(error)}. Remove it by hand: kubectl exec -n ${namespace} ${target.pod} -c ${container} -- rm -f ${podPath} ${podPath}.part`);
        return false;
    });
}
/**
 * Saves the snapshot in the pod and streams it, as etcdctl writes it, into the storage
 * pipeline and, at the same time, into a private local copy. Before the manifest is written
 * the copy is verified with the snapshot reader while the pod hashes its finished file (and
 * then removes it); any mismatch removes the stored payload, so nothing unverified is listed.
 */
async function saveStreamAndStore(options, profile, target, podPath, verifyCopy, facts) {
    const progress = progressReporter(options, profile.cluster, facts.databaseBytes);
    const transfer = startSnapshotTransfer({
        target,
        podPath,
        copyPath: verifyCopy,
        timeoutMs: facts.timeoutMs,
        onBytes: progress.count,
        ...(options.signal ? { signal: options.signal } : {}),
    });
    let podFile;
    try {
        const stored = await (0,pipeline/* storeBackup */.A1)(options.store, {
            cluster: profile.cluster,
            kind: kindOf(profile),
            source: transfer.stream,
            memoryPacingBytes: transfer.memoryPacingBytes,
            compression: options.compression,
            recipients: options.recipients,
            ...(options.run ? { run: options.run } : {}),
            allowUnencrypted: options.allowUnencrypted,
            sourceInfo: {
                namespace: profile.namespace,
                pod: target.pod,
                member: facts.member.pod,
                node: facts.member.node,
                topology: profile.topology,
            },
            logger: options.logger,
            beforeManifest: async (plaintext) => {
                await transfer.delivered;
                const pod = transfer.podFile;
                // The pod goes on hashing while the snapshot reader checks the local copy.
                await pod.started;
                const verified = verifySnapshotCopy(transfer.copyPath, target.pod, facts.member.status?.version);
                podFile = await pod.facts;
                checkSameBytes(plaintext, podFile, target.pod);
                return verified;
            },
        });
        if (!podFile)
            throw new Error("the pod's facts of the snapshot were never read");
        return { stored, podFile };
    }
    finally {
        progress.stop();
        await transfer.settled();
    }
}
/** The bytes received are the pod's finished file: same size, and same sha256 when it has one. */
function checkSameBytes(plaintext, podFile, pod) {
    if (plaintext.bytes !== podFile.size) {
        throw new Error(`received ${plaintext.bytes} bytes, but the snapshot in ${pod} is ${podFile.size} bytes: the transfer was cut short.`);
    }
    if (podFile.sha256 && podFile.sha256 !== plaintext.sha256) {
        throw new Error(`the snapshot's sha256 in ${pod} is ${podFile.sha256}, but the bytes received hash to ${plaintext.sha256}: the transfer corrupted it.`);
    }
}
/** The local copy is a whole etcd snapshot: its sha256 trailer and structure check out. */
function verifySnapshotCopy(file, pod, 
/** The member's etcd version, as its endpoint status said: a restore must match its minor. */
version) {
    const report = (0,snapshot/* assertSnapshotVerified */.$W)(file);
    if (report.trailer !== "verified") {
        throw new Error(`the snapshot from ${pod} has no sha256 trailer; etcdctl snapshot save always writes one.`);
    }
    const listing = (0,snapshot/* listSnapshotKeys */.VE)(file);
    return {
        etcd: {
            revision: listing.revision,
            keyCount: listing.keys.length,
            ...(version && /^\d+\.\d+\.\d+/.test(version) ? { version } : {}),
        },
    };
}
function progressReporter(options, cluster, expectedBytes) {
    const started = Date.now();
    let bytes = 0;
    const report = () => {
        const seconds = (Date.now() - started) / 1000;
        const bytesPerSecond = seconds > 0 ? bytes / seconds : 0;
        const percent = expectedBytes
            ? ` (${Math.min(100, (100 * bytes) / expectedBytes).toFixed(0)}%)`
            : "";
        // A caller that shows progress itself (the CLI's bar) gets it as an event; a job log gets a line.
        if (options.onProgress) {
            options.onProgress({ cluster, bytes, expectedBytes, bytesPerSecond });
            return;
        }
        options.logger.info(`${cluster}: ${(0,format/* formatBytes */.z)(bytes)} of ${(0,format/* formatBytes */.z)(expectedBytes)}${percent} at ${(0,format/* formatBytes */.z)(bytesPerSecond)}/s`);
    };
    const timer = setInterval(report, options.progressIntervalMs ?? 5000);
    timer.unref();
    return {
        count: (chunk) => {
            bytes += chunk;
        },
        stop: () => clearInterval(timer),
    };
}
function kindOf(profile) {
    return profile.kind === "admin" ? "admin-etcd" : "user-etcd";
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
