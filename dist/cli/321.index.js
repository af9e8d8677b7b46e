export const id = 321;
export const ids = [321,300];
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

/***/ 70321:
/***/ ((__unused_webpack___webpack_module__, __webpack_exports__, __webpack_require__) => {


// EXPORTS
__webpack_require__.d(__webpack_exports__, {
  runAdminRestore: () => (/* binding */ runAdminRestore),
  runAdminUndo: () => (/* binding */ runAdminUndo)
});

// UNUSED EXPORTS: ADMIN_CONF, ADMIN_PRE_RESTORE_KEEP, adminRestorePlan, adminUndoPlan, finishInterruptedAdminRestore

// EXTERNAL MODULE: external "node:fs/promises"
var promises_ = __webpack_require__(51455);
// EXTERNAL MODULE: external "node:path"
var external_node_path_ = __webpack_require__(76760);
// EXTERNAL MODULE: external "node:stream"
var external_node_stream_ = __webpack_require__(57075);
// EXTERNAL MODULE: ./.build/compile/src/core/errors.js
var errors = __webpack_require__(51222);
// EXTERNAL MODULE: ./.build/compile/src/core/etcd/etcdctl.js
var etcdctl = __webpack_require__(6299);
// EXTERNAL MODULE: ./.build/compile/src/core/etcd/backup-version.js
var backup_version = __webpack_require__(52225);
// EXTERNAL MODULE: ./.build/compile/src/core/etcd/profiles.js
var profiles = __webpack_require__(71848);
// EXTERNAL MODULE: ./.build/compile/src/core/etcd/restore-scripts.js
var restore_scripts = __webpack_require__(74383);
;// CONCATENATED MODULE: ./.build/compile/src/core/etcd/static-pod-scripts.js
/**
 * The shell a restore runs on a control-plane node over SSH (`sudo -n sh -c SCRIPT sh ARGS`),
 * beside the member-level scripts it shares with the user-cluster restore (restore-scripts.ts:
 * room, swap, undo, prune). Values are positional arguments, never spliced in; each script
 * checks the state before it acts, so a rerun after a dropped connection changes nothing
 * that is already done.
 *
 * Layout, besides restore-scripts.ts's in the data dir:
 *   /etc/kubernetes/manifests-stopped-<stamp>/   etcd.yaml and kube-apiserver.yaml while stopped
 *   <dataDir>/admin-restore.journal              the restore's journal (root-only)
 */

/** Exit codes beyond RESTORE_EXIT's. */
const NODE_EXIT = {
    /** The snapshot received on the node does not have the backup's sha256. */
    checksum: 26,
    /** A manifest that must be there is neither in the manifests folder nor set aside. */
    manifestMissing: 27,
};
/**
 * Receives the snapshot on stdin into <dataDir>/restore-<stamp>.db (root-only, on the data's
 * own volume), under a partial name until its sha256 is the backup's. Arguments: dataDir,
 * stamp, sha256. Prints the sha256.
 */
const STAGE_SCRIPT = `data=$1 stamp=$2 sum=$3
file="$data/restore-$stamp.db"
[ -d "$data" ] || { echo "$data is not a folder" >&2; exit 1; }
umask 077
cat > "$file.part" || { rm -f "$file.part"; exit 1; }
actual=$(sha256sum "$file.part" | cut -d ' ' -f 1)
if [ "$actual" != "$sum" ]; then rm -f "$file.part"; echo "received sha256 $actual" >&2; exit ${NODE_EXIT.checksum}; fi
mv "$file.part" "$file"
sync
echo "$actual"`;
/**
 * Runbook 5: stops static pods by moving their manifests out of the manifests folder into a
 * dated folder beside it (never inside it: the kubelet reads every file there). Arguments:
 * manifestsDir, asideDir, manifest file names. Prints one line per file.
 */
const STOP_SCRIPT = `manifests=$1 aside=$2; shift 2
mkdir -p "$aside" && chmod 700 "$aside"
for file in "$@"; do
  if [ -f "$manifests/$file" ] && [ -f "$aside/$file" ]; then
    echo "$file is both in $manifests and in $aside; look before going on" >&2; exit ${restore_scripts/* RESTORE_EXIT */.KB.inconsistent}
  elif [ -f "$manifests/$file" ]; then mv "$manifests/$file" "$aside/$file" && echo "moved $file"
  elif [ -f "$aside/$file" ]; then echo "already moved $file"
  else echo "$manifests/$file is missing" >&2; exit ${NODE_EXIT.manifestMissing}
  fi
done
sync`;
/**
 * Moves the manifests back from the dated folder (the kubelet starts the pods again), then
 * removes that folder once empty. Arguments: manifestsDir, asideDir, file names.
 */
const START_SCRIPT = `manifests=$1 aside=$2; shift 2
for file in "$@"; do
  if [ -f "$aside/$file" ] && [ -f "$manifests/$file" ]; then
    echo "$file is both in $manifests and in $aside; look before going on" >&2; exit ${restore_scripts/* RESTORE_EXIT */.KB.inconsistent}
  elif [ -f "$aside/$file" ]; then mv "$aside/$file" "$manifests/$file" && echo "moved back $file"
  elif [ -f "$manifests/$file" ]; then echo "already back $file"
  else echo "$file is neither in $manifests nor in $aside" >&2; exit ${NODE_EXIT.manifestMissing}
  fi
done
[ -d "$aside" ] && rmdir "$aside" 2>/dev/null
sync`;
/**
 * Whether etcd (and whatever else listens on the given ports) is really gone: no process
 * holds member/snap/db (bbolt keeps an exclusive flock on it while etcd runs) and nothing
 * listens on the ports. Arguments: dataDir, ports. Prints `stopped`, or what still runs.
 */
const STOPPED_SCRIPT = `data=$1; shift
busy=""
command -v flock >/dev/null 2>&1 || exit ${restore_scripts/* RESTORE_EXIT */.KB.noFlock}
if [ -f "$data/member/snap/db" ] && ! flock -n -x "$data/member/snap/db" true; then busy="a process holds $data/member/snap/db;"; fi
if command -v ss >/dev/null 2>&1; then
  for port in "$@"; do
    if ss -Hltn "sport = :$port" | grep -q .; then busy="$busy port $port is listening;"; fi
  done
fi
echo "\${busy:-stopped}"`;
/**
 * Writes a static pod manifest from stdin into the manifests folder: under a hidden name
 * first (the kubelet ignores those), then renamed, so the kubelet never reads half a file.
 * Arguments: manifestsDir, file name.
 */
const WRITE_MANIFEST_SCRIPT = `manifests=$1 file=$2
umask 077
cat > "$manifests/.$file.part" || exit 1
mv "$manifests/.$file.part" "$manifests/$file"
sync`;
/**
 * Before the one-shot restore pod starts: prints `running` when an interrupted run's pod
 * manifest is still in place (its restore goes on: wait for it, never pull its folder from
 * under it), `already restored` when the snapshot was consumed and the restored data is
 * complete, else removes a leftover restored folder (restore refuses a non-empty one) and
 * prints `ready`. Arguments: dataDir, stamp, manifestsDir, the pod's manifest file name.
 */
const PREPARE_RESTORE_SCRIPT = `data=$1 stamp=$2 manifests=$3 file=$4
restored="$data/restore-$stamp" snapshot="$data/restore-$stamp.db"
if [ -f "$manifests/$file" ]; then echo running; exit 0; fi
if [ ! -f "$snapshot" ] && [ -f "$restored/member/snap/db" ]; then echo "already restored"; exit 0; fi
[ -f "$snapshot" ] || { echo "$snapshot is missing" >&2; exit ${restore_scripts/* RESTORE_EXIT */.KB.restoredMissing}; }
rm -rf "$restored"
echo ready`;
/**
 * How far the one-shot restore got: `missing`, `incomplete`, `busy` (a process still holds
 * its files), or `complete <checksum of the names and sizes>`; the caller waits for the same
 * complete line twice. Arguments: dataDir, stamp.
 */
const RESTORED_STATE_SCRIPT = `data=$1 stamp=$2
member="$data/restore-$stamp/member"
[ -f "$member/snap/db" ] || { echo missing; exit 0; }
if ! ls "$member"/wal/*.wal >/dev/null 2>&1 || ! ls "$member"/snap/*.snap >/dev/null 2>&1; then echo incomplete; exit 0; fi
flock -n -x "$member/snap/db" true || { echo busy; exit 0; }
if command -v fuser >/dev/null 2>&1 && fuser -s "$member"/snap/db "$member"/wal/*.wal 2>/dev/null; then echo busy; exit 0; fi
echo "complete $(find "$member" -type f -exec stat -c '%n %s' {} + | sort | cksum | cut -d ' ' -f 1)"`;
/**
 * After the one-shot pod: its manifest goes (the kubelet removes the pod), the restored
 * member gets etcd's mode, and the snapshot goes (plaintext has no business on the volume
 * longer than needed). Arguments: manifestsDir, manifest file, dataDir, stamp. Prints the
 * restored data's size in KiB.
 */
const FINISH_RESTORE_SCRIPT = `manifests=$1 file=$2 data=$3 stamp=$4
rm -f "$manifests/$file"
restored="$data/restore-$stamp"
[ -f "$restored/member/snap/db" ] || exit ${restore_scripts/* RESTORE_EXIT */.KB.restoredMissing}
chmod 700 "$restored/member"
rm -f "$data/restore-$stamp.db"
sync
du -sk "$restored/member" | cut -f 1`;
/**
 * The node's side of a PKI restore: every entry under the paths as
 * `type<TAB>mode<TAB>uid<TAB>gid<TAB>size<TAB>path`, each file's `sha256  path`, and
 * `missing<TAB>path` for a path that is not there (a node whose PKI is lost). Arguments: paths.
 */
const PKI_STATE_SCRIPT = `for path in "$@"; do
  if [ ! -e "$path" ]; then printf 'missing\\t%s\\n' "$path"; continue; fi
  find "$path" -printf '%y\\t%m\\t%U\\t%G\\t%s\\t%p\\n'
  find "$path" -type f -exec sha256sum {} +
done`;
/**
 * Puts PKI files back from the backup's tar on stdin, with their owners and modes. The tar
 * is unpacked into a root-only staging folder first; then either each whole path is moved
 * aside to `<path>.pre-restore-<stamp>` and the staged one put in its place (`always`), or
 * only the listed files are (`files`: each displaced file goes to the same place under
 * `<top path>.pre-restore-<stamp>/`; a folder the node lacks is made with the backup's owner
 * and mode). Nothing is deleted. Arguments: stamp, mode
 * (`always` | `files`), staging folder, then the top paths, `--`, and the files.
 */
const PKI_RESTORE_SCRIPT = `stamp=$1 mode=$2 staging=$3; shift 3
tops=""
while [ "$#" -gt 0 ] && [ "$1" != "--" ]; do tops="$tops $1"; shift; done
[ "$#" -gt 0 ] && shift
set -e
rm -rf "$staging"; mkdir -p "$staging"; chmod 700 "$staging"
tar -x -f - --numeric-owner --same-owner --same-permissions -C "$staging"
if [ "$mode" = always ]; then
  for top in $tops; do
    [ -e "$staging$top" ] || continue
    if [ -e "$top" ] && [ ! -e "$top.pre-restore-$stamp" ]; then mv "$top" "$top.pre-restore-$stamp"; fi
    rm -rf "$top"
    mkdir -p "$(dirname "$top")"
    mv "$staging$top" "$top"
    echo "restored $top"
  done
else
  for file in "$@"; do
    top=""
    for candidate in $tops; do case "$file" in "$candidate"/*) top=$candidate ;; esac; done
    [ -n "$top" ] || { echo "$file is under none of$tops" >&2; exit 1; }
    kept="$top.pre-restore-$stamp\${file#"$top"}"
    # A rerun finds the node's own file kept already: never overwrite that copy.
    if [ -e "$file" ] && [ ! -e "$kept" ]; then
      mkdir -p "$(dirname "$kept")"
      mv "$file" "$kept"
    fi
    # A folder the node lost comes back with the backup's owner and mode (the keys folder is
    # root-only), not the umask's.
    created="" dir=$(dirname "$file")
    while [ ! -e "$dir" ]; do created="$dir $created"; dir=$(dirname "$dir"); done
    mkdir -p "$(dirname "$file")"
    for dir in $created; do
      if [ -d "$staging$dir" ]; then chown --reference="$staging$dir" "$dir"; chmod --reference="$staging$dir" "$dir"; fi
    done
    mv "$staging$file" "$file"
    echo "restored $file"
  done
fi
rm -rf "$staging"
sync`;
/**
 * Undo of a PKI restore: puts back what that restore moved aside to
 * `<path>.pre-restore-<restored>`, keeping what is there now in `<path>.pre-undo-<stamp>`
 * (nothing is deleted). `always` swaps each whole path; `files` swaps back each file kept
 * aside (a file the restore added where the node had none stays). A rerun finds what it
 * already moved gone from the kept folder and changes nothing more. Arguments: restored stamp,
 * undo stamp, mode (`always` | `files`), then the top paths. Prints one line per path or file.
 */
const PKI_UNDO_SCRIPT = `restored=$1 stamp=$2 mode=$3; shift 3
set -e
for top in "$@"; do
  kept="$top.pre-restore-$restored" current="$top.pre-undo-$stamp"
  [ -e "$kept" ] || continue
  if [ "$mode" = always ]; then
    if [ -e "$top" ] && [ ! -e "$current" ]; then mv "$top" "$current"; fi
    if [ -e "$top" ]; then echo "both $top and $current exist while $kept is still there; look before going on" >&2; exit ${restore_scripts/* RESTORE_EXIT */.KB.inconsistent}; fi
    mv "$kept" "$top"
    echo "put back $top"
  else
    find "$kept" ! -type d | while read -r file; do
      target="$top\${file#"$kept"}" saved="$current\${file#"$kept"}"
      if [ -e "$target" ] && [ ! -e "$saved" ]; then mkdir -p "$(dirname "$saved")"; mv "$target" "$saved"; fi
      mkdir -p "$(dirname "$target")"
      mv "$file" "$target"
      echo "put back $target"
    done
    find "$kept" -depth -type d -empty -delete
  fi
done
sync`;

// EXTERNAL MODULE: ./node_modules/yaml/dist/index.js
var dist = __webpack_require__(38815);
// EXTERNAL MODULE: ./.build/compile/src/core/etcd/member-config.js
var member_config = __webpack_require__(65743);
;// CONCATENATED MODULE: ./.build/compile/src/core/etcd/static-pod.js
/**
 * The etcd static pod of a control-plane node (`/etc/kubernetes/manifests/etcd.yaml`), as a
 * restore over SSH needs it: the image (so the restore runs the member's own etcd version),
 * the member's flags (member-config.ts), and where its data dir is on the node itself. The
 * data dir is read from the manifest and mapped through the pod's volumes: on newer releases
 * it is `/opt/data/var/lib/etcd` on the node, mounted at `/var/lib/etcd` in the pod.
 *
 * Also the one-shot static pod that restores a snapshot with that image: the runbook's
 * `docker run etcd-util`, for nodes that run containerd and have no docker.
 */




const MANIFESTS_DIR = "/etc/kubernetes/manifests";
const ETCD_MANIFEST = "etcd.yaml";
const API_SERVER_MANIFEST = "kube-apiserver.yaml";
const RESTORE_MANIFEST = "etcd-restore.yaml";
/** The one-shot pod's name in its manifest (its mirror is `etcd-restore-<node>`). */
const RESTORE_POD = "etcd-restore";
/** Reads etcd.yaml; one sentence naming the file and what was expected when it is not usable. */
function readEtcdStaticPod(text, nodeName, where) {
    let manifest;
    try {
        manifest = (0,dist/* parse */.qg)(text);
    }
    catch (error) {
        throw new Error(`${where} is not YAML (${error.message.split("\n")[0]}); expected kubeadm's etcd static pod manifest.`, { cause: error });
    }
    const containers = manifest?.spec?.containers ?? [];
    const container = containers.find((item) => item.name === "etcd") ?? containers[0];
    if (!container?.image) {
        throw new Error(`${where} has no container with an image; expected kubeadm's etcd static pod.`);
    }
    const config = (0,member_config/* memberConfigFromContainer */.qg)(container, { name: `${manifest.metadata?.name ?? "etcd"}-${nodeName}`, namespace: "kube-system" }, where);
    const mount = dataMount(container, manifest.spec?.volumes ?? [], config.dataDir, where);
    const relative = external_node_path_.posix.relative(mount.mountPath, config.dataDir);
    return {
        image: container.image,
        config,
        containerDataDir: config.dataDir,
        hostDataDir: relative ? external_node_path_.posix.join(mount.hostPath, relative) : mount.hostPath,
        dataMountPath: mount.mountPath,
        dataHostPath: mount.hostPath,
        ports: listenPorts(container),
    };
}
/** The hostPath volume whose mount holds the data dir (the deepest one, as the kubelet mounts). */
function dataMount(container, volumes, dataDir, where) {
    if (!external_node_path_.posix.isAbsolute(dataDir)) {
        throw new Error(`${where}: etcd's --data-dir is ${dataDir}, not an absolute path; expected e.g. --data-dir=/var/lib/etcd.`);
    }
    const candidates = (container.volumeMounts ?? [])
        .filter((mount) => {
        const relative = external_node_path_.posix.relative(mount.mountPath, dataDir);
        return !relative.startsWith("..") && !external_node_path_.posix.isAbsolute(relative);
    })
        .sort((a, b) => b.mountPath.length - a.mountPath.length);
    for (const mount of candidates) {
        const volume = volumes.find((item) => item.name === mount.name);
        if (volume?.hostPath?.path)
            return { mountPath: mount.mountPath, hostPath: volume.hostPath.path };
    }
    throw new Error(`${where}: no hostPath volume is mounted over etcd's data dir ${dataDir}; expected a volume such as etcd-data (hostPath /var/lib/etcd or /opt/data/var/lib/etcd) mounted there.`);
}
function listenPorts(container) {
    const argv = [...(container.command ?? []), ...(container.args ?? [])];
    const ports = new Set();
    for (const word of argv) {
        const match = /^--listen-(?:client|peer)-urls=(.*)$/.exec(word);
        if (!match)
            continue;
        for (const url of match[1].split(",")) {
            const port = /:(\d+)\/?$/.exec(url.trim())?.[1];
            if (port)
                ports.add(Number(port));
        }
    }
    return ports.size ? [...ports].sort((a, b) => a - b) : [2379, 2380];
}
/**
 * The one-shot static pod (`restartPolicy: Never`) that restores the snapshot with the
 * member's own image, flags and data volume: `etcdctl`/`etcdutl snapshot restore` as its
 * command, no shell (newer etcd images have none), into a new folder inside the data dir.
 */
function restorePodManifest(options) {
    const { member } = options;
    const inContainer = (name) => external_node_path_.posix.join(member.containerDataDir, name);
    const command = (0,etcdctl/* snapshotRestore */.$H)(options.tool, inContainer(options.snapshotName), {
        member: member.config,
        dataDir: inContainer(options.restoredName),
        ...(options.bumpRevision ? { bumpRevision: options.bumpRevision } : {}),
    });
    return {
        apiVersion: "v1",
        kind: "Pod",
        metadata: {
            name: options.podName ?? RESTORE_POD,
            namespace: "kube-system",
            labels: { component: RESTORE_POD, tier: "control-plane" },
        },
        spec: {
            restartPolicy: "Never",
            hostNetwork: true,
            priorityClassName: "system-node-critical",
            containers: [
                {
                    name: RESTORE_POD,
                    image: member.image,
                    command,
                    env: [{ name: "ETCDCTL_API", value: "3" }],
                    volumeMounts: [{ name: "etcd-data", mountPath: member.dataMountPath }],
                },
            ],
            volumes: [{ name: "etcd-data", hostPath: { path: member.dataHostPath, type: "Directory" } }],
        },
    };
}
/** etcdutl from 3.5 on (etcdctl's restore is deprecated there, gone in 3.6); etcdctl before. */
function restoreToolFor(version) {
    if (!version)
        return "etcdctl";
    const [major = 0, minor = 0] = version.split(".").map(Number);
    return major > 3 || (major === 3 && minor >= 5) ? "etcdutl" : "etcdctl";
}
/** `--bump-revision` arrived in etcd 3.4.26 and 3.5.10. */
function versionOffersBump(version) {
    if (!version)
        return false;
    const [major = 0, minor = 0, patch = 0] = version.split(".").map(Number);
    if (major > 3 || (major === 3 && minor >= 6))
        return true;
    if (major === 3 && minor === 5)
        return patch >= 10;
    return major === 3 && minor === 4 && patch >= 26;
}

// EXTERNAL MODULE: external "node:crypto"
var external_node_crypto_ = __webpack_require__(77598);
// EXTERNAL MODULE: external "node:fs"
var external_node_fs_ = __webpack_require__(73024);
// EXTERNAL MODULE: external "node:timers/promises"
var external_node_timers_promises_ = __webpack_require__(58500);
// EXTERNAL MODULE: ./.build/compile/src/core/format.js
var format = __webpack_require__(44714);
// EXTERNAL MODULE: ./.build/compile/src/core/ssh/index.js + 5 modules
var ssh = __webpack_require__(73472);
// EXTERNAL MODULE: ./.build/compile/src/core/ssh/sudo.js
var sudo = __webpack_require__(12632);
;// CONCATENATED MODULE: ./.build/compile/src/core/etcd/static-pod-node.js
/**
 * The node-level work of a static-pod etcd restore over SSH, one control-plane node at a
 * time: run a restore script under `sudo -n`, read the node's etcd manifest (also where an
 * interrupted run set it aside), check room, stage the snapshot, stop and start the static
 * pods by moving their manifests, restore with a one-shot static pod, swap, prune. The admin
 * master's restore and the Controlplane V2 restore (three nodes) both drive these; every
 * script checks the state before it acts, so a rerun after a dropped link changes nothing
 * already done.
 */













/**
 * `sudo -n sh -c SCRIPT sh ARGS` on the node. Exit codes listed in `expected` are returned
 * (the caller explains them); the scripts' known codes become sentences; anything else is
 * the command's own failure.
 */
async function runNodeScript(session, script, args, describe, expected = {}, input = {}) {
    try {
        const { stdout, outcome } = await session.run((0,sudo/* sudoCommand */.p0)(["sh", "-c", script, "sh", ...args]), {
            describe,
            interpretFailure: (outcome) => (0,sudo/* sudoRefusal */.SE)(outcome, { host: session.host, user: session.user, programs: ["sh"] }),
            ...(input.stdin
                ? {
                    stdin: input.stdin,
                    describeStdin: input.describeStdin ?? "the input",
                }
                : {}),
        });
        return { stdout: stdout.toString("utf8"), stderr: outcome.stderr, code: 0 };
    }
    catch (error) {
        if (error instanceof ssh/* RemoteCommandError */.at && error.exitCode !== null) {
            if (expected[error.exitCode] !== undefined) {
                return { stdout: "", stderr: error.stderr, code: error.exitCode };
            }
            const known = explainNodeExit(error.exitCode, describe, session.host, error.stderr);
            if (known)
                throw new Error(known, { cause: error });
        }
        throw error;
    }
}
/** The restore scripts' own exit codes, each as a sentence to act on. */
function explainNodeExit(code, describe, host, stderr) {
    const detail = stderr.trim() ? ` (${stderr.trim().split("\n").slice(-2).join("; ")})` : "";
    switch (code) {
        case restore_scripts/* RESTORE_EXIT */.KB.dataInUse:
            return `${describe} on ${host}: a process still holds etcd's member/snap/db, so etcd still runs on the data; nothing was moved. Check that the etcd manifest is out of /etc/kubernetes/manifests and its container is gone.`;
        case restore_scripts/* RESTORE_EXIT */.KB.restoredMissing:
            return `${describe} on ${host}: the restored data or the staged snapshot is missing${detail}; run the restore again.`;
        case restore_scripts/* RESTORE_EXIT */.KB.noFlock:
            return `${describe} on ${host}: flock is missing on the node, so nothing can prove that etcd no longer holds its data; install util-linux.`;
        case restore_scripts/* RESTORE_EXIT */.KB.inconsistent:
            return `${describe} on ${host}: the folders are in a state no step of this restore leaves them in${detail}; look at the node before going on.`;
        case NODE_EXIT.checksum:
            return `${describe} on ${host}: the snapshot received on the node does not have the backup's sha256${detail}; the link or the node's disk damaged it. Run again.`;
        case NODE_EXIT.manifestMissing:
            return `${describe} on ${host}: a static pod manifest is missing${detail}; expected ${ETCD_MANIFEST} and ${API_SERVER_MANIFEST} in ${MANIFESTS_DIR}.`;
        default:
            return undefined;
    }
}
/** Polls `check` until it holds, or fails after the timeout saying what it last saw. */
async function pollUntil(what, check, lastSeen, options) {
    const deadline = Date.now() + options.timeoutMs;
    for (;;) {
        options.signal?.throwIfAborted();
        if (await check())
            return;
        if (Date.now() > deadline) {
            throw new Error(`timed out after ${Math.round(options.timeoutMs / 1000)} s waiting for ${what}; last seen: ${lastSeen()}.`);
        }
        await (0,external_node_timers_promises_.setTimeout)(options.intervalMs ?? 2_000, undefined, options.signal ? { signal: options.signal } : {});
    }
}
/**
 * The node's name and its etcd static pod, read from the manifests folder or, after an
 * interrupted run, from the newest folder that run set the manifests aside into.
 */
async function readStaticPodNode(session) {
    const name = (await session.run("hostname", { describe: "hostname" })).stdout
        .toString("utf8")
        .trim();
    const located = await runNodeScript(session, `for dir in "$1" $(ls -1d /etc/kubernetes/manifests-stopped-* 2>/dev/null | sort -r); do
  if [ -f "$dir/$2" ]; then echo "$dir"; [ -f "$dir/$3" ] || echo "no $3" >&2; cat "$dir/$2"; exit 0; fi
done
echo "$1/$2 is missing" >&2; exit ${NODE_EXIT.manifestMissing}`, [MANIFESTS_DIR, ETCD_MANIFEST, API_SERVER_MANIFEST], `reading ${MANIFESTS_DIR}/${ETCD_MANIFEST}`);
    const newline = located.stdout.indexOf("\n");
    const manifestIn = located.stdout.slice(0, newline);
    const member = readEtcdStaticPod(located.stdout.slice(newline + 1), name, `${manifestIn}/${ETCD_MANIFEST} on ${name}`);
    if (/^no /m.test(located.stderr)) {
        throw new Error(`${manifestIn}/${API_SERVER_MANIFEST} is missing on ${name}; expected the kube-apiserver static pod next to etcd's. Look at the node before restoring.`);
    }
    return { name, member, manifestIn };
}
/** The KiB a restore needs beside the live data: the snapshot, the restored data, a WAL file. */
function roomNeededKiB(snapshotBytes) {
    // The live data is moved aside on the same volume (a rename: no room of its own).
    return 2 * Math.ceil(snapshotBytes / 1024) + 65 * 1024;
}
/**
 * Room on the data dir's volume; one sentence naming the node when there is too little.
 * `stagedKiB`: what a resumed restore already wrote there (its staged snapshot and restored
 * data), which counts against the need instead of being asked for twice.
 */
async function checkNodeRoom(session, node, snapshotBytes, stagedKiB = 0) {
    const neededKiB = Math.max(0, roomNeededKiB(snapshotBytes) - stagedKiB);
    const outcome = await runNodeScript(session, restore_scripts/* ROOM_SCRIPT */.eM, [node.member.hostDataDir, String(neededKiB)], "the room check", { [restore_scripts/* RESTORE_EXIT */.KB.noRoom]: "noRoom" });
    const free = Number(/free=(\d+)/.exec(outcome.stdout)?.[1] ?? 0);
    if (outcome.code === restore_scripts/* RESTORE_EXIT */.KB.noRoom) {
        throw new Error(`the volume of ${node.member.hostDataDir} on ${node.name} has ${(0,format/* formatBytes */.z)(free * 1024)} free, but the restore needs ${(0,format/* formatBytes */.z)(neededKiB * 1024)} (the snapshot and the restored data); free room there and run again. Nothing was changed.`);
    }
    return `${(0,format/* formatBytes */.z)(free * 1024)} free, ${(0,format/* formatBytes */.z)(neededKiB * 1024)} needed`;
}
/** Streams the snapshot file into DATA_DIR/restore-<stamp>.db; its sha256 checked there. */
async function stageSnapshotOnNode(session, node, snapshot, stamp) {
    const data = node.member.hostDataDir;
    const outcome = await runNodeScript(session, STAGE_SCRIPT, [data, stamp, snapshot.sha256], `receiving the snapshot into ${data}/restore-${stamp}.db`, {}, { stdin: (0,external_node_fs_.createReadStream)(snapshot.path), describeStdin: "the snapshot" });
    if (outcome.stdout.trim() !== snapshot.sha256) {
        throw new Error(`${node.name} reported sha256 ${outcome.stdout.trim()} for the snapshot, not ${snapshot.sha256}.`);
    }
}
/** Runbook 5: etcd.yaml and kube-apiserver.yaml out of the manifests folder into `aside`. */
async function moveManifestsOut(session, aside) {
    const moved = await runNodeScript(session, STOP_SCRIPT, [MANIFESTS_DIR, aside, ETCD_MANIFEST, API_SERVER_MANIFEST], "moving the manifests out");
    return moved.stdout.trim().split("\n").join("; ");
}
/** The manifests back from `aside`: the kubelet starts etcd and kube-apiserver again. */
async function moveManifestsBack(session, aside) {
    const moved = await runNodeScript(session, START_SCRIPT, [MANIFESTS_DIR, aside, ETCD_MANIFEST, API_SERVER_MANIFEST], "moving the manifests back");
    return moved.stdout.trim().split("\n").join("; ");
}
/** Waits until no process holds the live data and etcd's ports are closed. */
async function waitUntilEtcdStopped(session, node, wait) {
    let state = "";
    await pollUntil(`etcd on ${node.name} to stop`, async () => {
        const outcome = await runNodeScript(session, STOPPED_SCRIPT, [node.member.hostDataDir, ...node.member.ports.map(String)], "the check that etcd stopped");
        state = outcome.stdout.trim();
        return state === "stopped";
    }, () => state, wait);
}
/**
 * The snapshot restored into DATA_DIR/restore-<stamp> by a one-shot static pod with the
 * member's own image and flags (its name, peer URLs, the cluster and token); the pod's
 * manifest and the staged snapshot go once the data is complete. Returns its size in KiB.
 */
async function restoreWithStaticPod(session, node, restore, wait, logger) {
    const data = node.member.hostDataDir;
    const { stamp } = restore;
    let prepared = await prepareRestore(session, node, stamp);
    if (prepared === "running") {
        // An interrupted run's one-shot pod: it may have finished, failed (restartPolicy Never:
        // it never runs again) or be mid-way, and nothing here can tell which without the API.
        // Its manifest goes (the kubelet stops it), and once nothing holds its folder the
        // restore starts afresh under a new pod name; the snapshot is still staged.
        logger.info(`${MANIFESTS_DIR}/${RESTORE_MANIFEST} on ${node.name} is left from an interrupted run: it is removed and the restore starts again.`);
        await removeRestorePod(session);
        await waitForRestoredData(session, node, stamp, wait, "settled");
        prepared = await prepareRestore(session, node, stamp);
    }
    if (prepared !== "already restored") {
        // A name of its own: never the mirror pod of an earlier restore still being removed.
        const podName = `${RESTORE_POD}-${(0,external_node_crypto_.randomBytes)(3).toString("hex")}`;
        const manifest = restorePodManifest({
            member: node.member,
            tool: restoreToolFor((0,backup_version/* etcdVersionOfImage */.HD)(node.member.image)),
            snapshotName: `restore-${stamp}.db`,
            restoredName: `restore-${stamp}`,
            podName,
            ...(restore.bump ? { bumpRevision: restore.bump } : {}),
        });
        const text = new external_node_stream_.PassThrough();
        text.end((0,dist.stringify)(manifest));
        await runNodeScript(session, WRITE_MANIFEST_SCRIPT, [MANIFESTS_DIR, RESTORE_MANIFEST], `writing ${MANIFESTS_DIR}/${RESTORE_MANIFEST}`, {}, { stdin: text, describeStdin: "the restore pod's manifest" });
        try {
            await waitForRestoredData(session, node, stamp, wait, "complete", `${podName}-${node.name}`);
        }
        catch (error) {
            // The one-shot pod must not linger (nor run again at the next kubelet start).
            await removeRestorePod(session).catch(() => undefined);
            throw error;
        }
    }
    const finished = await runNodeScript(session, FINISH_RESTORE_SCRIPT, [MANIFESTS_DIR, RESTORE_MANIFEST, data, stamp], "finishing the restore");
    return Number(finished.stdout.trim());
}
/** PREPARE_RESTORE_SCRIPT: `running`, `already restored`, or `ready` (a leftover removed). */
async function prepareRestore(session, node, stamp) {
    const outcome = await runNodeScript(session, PREPARE_RESTORE_SCRIPT, [node.member.hostDataDir, stamp, MANIFESTS_DIR, RESTORE_MANIFEST], "preparing the restore");
    return outcome.stdout.trim();
}
async function removeRestorePod(session) {
    await runNodeScript(session, `rm -f "$1/$2"; sync`, [MANIFESTS_DIR, RESTORE_MANIFEST], "removing the restore pod");
}
/**
 * The one-shot restore pod's manifest removed, then a wait until nothing holds or changes
 * DATA_DIR/restore-<stamp> (the kubelet takes a moment to stop the pod): a clean-up that
 * removes the folder after this cannot race a restore still writing into it.
 */
async function stopRestorePod(session, node, stamp, wait) {
    await removeRestorePod(session);
    await waitForRestoredData(session, node, stamp, wait, "settled");
}
/** The restored folder complete, nothing holding its files, and the same twice in a row. */
async function waitForRestoredData(session, node, stamp, wait, until, pod = `${RESTORE_POD}-${node.name}`) {
    let last = "";
    let previous = "";
    await pollUntil(until === "complete"
        ? `the one-shot restore pod on ${node.name} to finish ${node.member.hostDataDir}/restore-${stamp}`
        : `the interrupted run's restore pod on ${node.name} to let go of ${node.member.hostDataDir}/restore-${stamp}`, async () => {
        const outcome = await runNodeScript(session, RESTORED_STATE_SCRIPT, [node.member.hostDataDir, stamp], "the check of the restored data");
        previous = last;
        last = outcome.stdout.trim();
        if (until === "settled")
            return last !== "busy" && last === previous;
        return last.startsWith("complete ") && last === previous;
    }, () => `${last || "nothing yet"}; see the pod's log (crictl logs, or kubectl logs -n kube-system ${pod})`, wait);
}
/** The live member folder to DATA_DIR/pre-restore-<stamp>/member, the restored one in its place. */
async function swapNodeData(session, node, stamp) {
    const outcome = await runNodeScript(session, restore_scripts/* SWAP_SCRIPT */.k7, [node.member.hostDataDir, stamp], "the swap");
    return outcome.stdout.trim();
}
/** Pre-restore folders beyond the newest `keep`; best effort (they only cost room). */
async function prunePreRestoreOnNode(session, node, keep, logger) {
    try {
        const outcome = await runNodeScript(session, restore_scripts/* PRUNE_SCRIPT */.Bj, [node.member.hostDataDir, String(keep)], "removing old pre-restore folders");
        return outcome.stdout.split("\n").filter(Boolean);
    }
    catch (error) {
        logger.warning(`Old pre-restore folders on ${node.name} were not removed: ${(0,errors/* errorMessage */.gJ)(error)}`);
        return [];
    }
}

// EXTERNAL MODULE: ./.build/compile/src/core/kube/exec.js
var kube_exec = __webpack_require__(87770);
// EXTERNAL MODULE: ./.build/compile/src/core/kube/kubeconfig.js
var kubeconfig = __webpack_require__(37300);
// EXTERNAL MODULE: ./.build/compile/src/core/snapshot/index.js + 10 modules
var snapshot = __webpack_require__(51205);
;// CONCATENATED MODULE: ./.build/compile/src/core/journal/journal.js
/**
 * The journal: a persistent, append-only record of what a run is about to change and what
 * it finished, written ahead of every change, so that a rerun after the runner died knows
 * what was done. One small interface; a file now, and later a ConfigMap (a user cluster's
 * restore, kept in the admin cluster it does not roll back) and a file on a node (the admin
 * restore). Entries are plain JSON: never a secret.
 */


/**
 * A journal in a local file: one JSON entry per line, created 0600, each append flushed to
 * disk before it resolves. A torn last line (the writer died mid-line) is ignored: its
 * entry was never acknowledged, so its step never acted on it.
 */
class FileJournal {
    path;
    description;
    constructor(path) {
        this.path = path;
        this.description = `file ${path}`;
    }
    async read() {
        let text;
        try {
            text = await readFile(this.path, "utf8");
        }
        catch (error) {
            if (error.code === "ENOENT")
                return [];
            throw error;
        }
        return parseJournalText(text, this.path);
    }
    async append(entry) {
        const file = await open(this.path, "a", 0o600);
        try {
            await file.write(`${JSON.stringify(entry)}\n`);
            await file.sync();
        }
        finally {
            await file.close();
        }
    }
}
/**
 * A journal's entries from its text, one JSON entry a line (FileJournal's and NodeJournal's
 * format); a line that is not an entry is an error naming `where` and the line.
 */
function parseJournalText(text, where) {
    // The part after the last newline is empty, or a torn line that was never acknowledged.
    const complete = text.split("\n").slice(0, -1);
    return complete
        .filter((line) => line.trim())
        .map((line, index) => parseEntry(line, index, where));
}
function parseEntry(line, index, where) {
    try {
        const entry = JSON.parse(line);
        if (typeof entry.step !== "string" || typeof entry.event !== "string")
            throw new Error("no step or event");
        return entry;
    }
    catch (error) {
        throw new Error(`the journal ${where} is damaged at line ${index + 1} (${(0,errors/* errorMessage */.gJ)(error)}); it is not continued blindly: read it, and remove it only if its work is known to be finished.`, { cause: error });
    }
}

;// CONCATENATED MODULE: ./.build/compile/src/core/ssh/node-journal.js
/**
 * The journal of a restore that works over SSH, kept on the node itself (root-only, on the
 * same volume as the data it describes), so that a rerun from another runner, after the
 * first one died or its link dropped, finds what was done. One JSON entry a line, as
 * FileJournal; each append is `sync`ed on the node before it resolves.
 */



const READ_SCRIPT = `[ -f "$1" ] || exit 0; cat "$1"`;
const APPEND_SCRIPT = `umask 077; cat >> "$1" && sync "$1" 2>/dev/null || sync`;
class NodeJournal {
    session;
    path;
    description;
    constructor(session, path) {
        this.session = session;
        this.path = path;
        this.description = `file ${path} on ${session.host}`;
    }
    async read() {
        const { stdout } = await this.session.run((0,sudo/* sudoCommand */.p0)(["sh", "-c", READ_SCRIPT, "sh", this.path]), {
            describe: `reading the journal ${this.path}`,
            interpretFailure: (outcome) => (0,sudo/* sudoRefusal */.SE)(outcome, this.sudoWhere()),
        });
        return parseJournalText(stdout.toString("utf8"), this.description);
    }
    async append(entry) {
        const line = new external_node_stream_.PassThrough();
        line.end(`${JSON.stringify(entry)}\n`);
        await this.session.run((0,sudo/* sudoCommand */.p0)(["sh", "-c", APPEND_SCRIPT, "sh", this.path]), {
            describe: `writing the journal ${this.path}`,
            stdin: line,
            describeStdin: "the journal entry",
            interpretFailure: (outcome) => (0,sudo/* sudoRefusal */.SE)(outcome, this.sudoWhere()),
        });
    }
    sudoWhere() {
        return { host: this.session.host, user: this.session.user, programs: ["sh"] };
    }
}

// EXTERNAL MODULE: ./.build/compile/src/core/storage/pipeline.js
var pipeline = __webpack_require__(86473);
// EXTERNAL MODULE: ./.build/compile/src/procedures/restore-record.js
var restore_record = __webpack_require__(76990);
// EXTERNAL MODULE: ./.build/compile/src/procedures/plan.js
var procedures_plan = __webpack_require__(49513);
// EXTERNAL MODULE: ./.build/compile/src/procedures/admin-pki-backup.js + 1 modules
var admin_pki_backup = __webpack_require__(90245);
;// CONCATENATED MODULE: ./.build/compile/src/procedures/admin-restore.js
/**
 * Runbook section 5, restoring the admin cluster, over SSH alone: when the admin cluster is
 * broken its API does not answer, so everything happens on the control-plane node through
 * one SSH session (host keys pinned, jump host, `sudo -n`), with the backups `etcd-backup`
 * (kind admin-etcd) and `admin-pki-backup` made.
 *
 * Made safe: both backups are fetched, decrypted and verified, the node is read (the etcd
 * manifest's image, flags and data dir, room) and the confirmation checked before anything
 * changes; the snapshot is streamed to the node and its sha256 checked there; etcd and the
 * API server are stopped by moving their manifests into a dated folder beside the manifests
 * folder and proven gone; the snapshot is restored by a one-shot static pod with the
 * member's own image and flags; the live data is moved aside (never deleted) and the
 * restored data swapped in; the manifests go back, and the result is proven through the
 * etcd container (revision, key count) with the node's own admin.conf. Each change is
 * journaled on the node, so a rerun continues.
 *
 * Written for one or more control-plane nodes: the node-level work is per node
 * (`AdminNode`), and the steps run over the list of nodes the caller connects to.
 */






















/** How many pre-restore folders the data dir keeps; older ones go once the restore is proven. */
const ADMIN_PRE_RESTORE_KEEP = 2;
const ADMIN_CONF = "/etc/kubernetes/admin.conf";
const JOURNAL_FILE = "admin-restore.journal";
const UNDO_JOURNAL_FILE = "admin-undo.journal";
/** Moves a finished journal ($1, if there) to $2 beside the data its run displaced. */
const KEEP_JOURNAL_SCRIPT = `if [ -f "$1" ]; then mkdir -p "$(dirname "$2")" && mv "$1" "$2" && sync; fi`;
/** Every step of the admin restore, declared once: `dry-run` prints it, a run executes it. */
function adminRestoreSteps() {
    const sudo = "sudo -n";
    return [
        {
            name: "readEtcdBackup",
            purpose: "fetch and decrypt the admin-etcd backup into a private runner folder; its sha256, then the snapshot reader's verify, revision and key count",
            runbook: "etcdctl snapshot status snapshot.db",
            effect: "reads",
        },
        {
            name: "readPkiBackup",
            purpose: "fetch and decrypt the admin-pki backup into memory; every file's type, mode, owner and sha256 must match its manifest's listing",
            effect: "reads",
            onlyWhen: "when restore-pki is auto or always",
        },
        {
            name: "connect",
            purpose: "SSH to the node (through the jump host when given); every host key must be pinned",
            runbook: "ssh -o StrictHostKeyChecking=yes ubuntu@NODE",
            effect: "reads",
        },
        {
            name: "checkSudo",
            purpose: "sudo works without a password (there is no terminal to type one)",
            runbook: `${sudo} true`,
            effect: "reads",
        },
        {
            name: "readNode",
            purpose: "the node's name (checked against confirm), etcd.yaml's image, --name, --initial-cluster, token, peer URLs and data dir (mapped to the node through its volumes), kube-apiserver.yaml present",
            runbook: `hostname; ${sudo} cat ${MANIFESTS_DIR}/${ETCD_MANIFEST}`,
            effect: "reads",
        },
        {
            name: "checkRoom",
            purpose: "room in the data dir's volume for the snapshot, the restored data and the data kept aside",
            runbook: `${sudo} df -Pk DATA_DIR; ${sudo} du -sk DATA_DIR/member`,
            effect: "reads",
        },
        {
            name: "checkPki",
            purpose: "the PKI backup belongs to this node (a CA certificate's sha256 matches the node's, or the node's name), and which of its files differ from the node's (sha256, mode, owner)",
            runbook: `${sudo} find /etc/kubernetes/pki -type f -exec sha256sum {} +`,
            effect: "reads",
            onlyWhen: "when restore-pki is auto or always",
        },
        {
            name: "stageSnapshot",
            purpose: "stream the snapshot through the SSH channel into DATA_DIR/restore-<stamp>.db (root-only) and check its sha256 there",
            runbook: `scp snapshot.db NODE: && ${sudo} mv snapshot.db DATA_DIR/`,
            effect: "changes",
        },
        {
            name: "stopControlPlane",
            purpose: `stop etcd and kube-apiserver by moving their manifests into /etc/kubernetes/manifests-stopped-<stamp>, then wait until no process holds member/snap/db and their ports are closed`,
            runbook: `${sudo} mv ${MANIFESTS_DIR}/{${ETCD_MANIFEST},${API_SERVER_MANIFEST}} /etc/kubernetes/manifests-stopped-<stamp>/`,
            effect: "changes",
        },
        {
            name: "restorePki",
            purpose: "unpack the PKI backup with its owners and modes; always: each PKI folder moves aside to <folder>.pre-restore-<stamp> and the backup's takes its place; auto: only the differing files, each displaced one kept there; then every restored file's sha256, mode and owner checked against the backup's listing",
            runbook: `${sudo} mv /etc/kubernetes/pki /etc/kubernetes/pki.pre-restore-<stamp>; ${sudo} tar -x -p --same-owner -f pki.tar -C /`,
            effect: "point of no return",
            onlyWhen: "when restore-pki is always, or auto and some file differs",
        },
        {
            name: "restoreSnapshot",
            purpose: `a one-shot static pod (${RESTORE_MANIFEST}, restartPolicy Never) with etcd.yaml's image runs snapshot restore with the member's own flags into DATA_DIR/restore-<stamp>; its manifest goes once the restored data is complete`,
            runbook: "docker run etcd-util etcdctl snapshot restore snapshot.db --data-dir=...",
            effect: "changes",
        },
        {
            name: "swapData",
            purpose: "prove no process holds member/snap/db, then move the live member folder to DATA_DIR/pre-restore-<stamp>/member and the restored one into its place (owner and mode kept; nothing deleted)",
            runbook: "mv DATA_DIR/member DATA_DIR/pre-restore-<stamp>/; mv DATA_DIR/restore-<stamp>/member DATA_DIR/",
            effect: "point of no return",
        },
        {
            name: "startControlPlane",
            purpose: "move the etcd and kube-apiserver manifests back; the kubelet starts both",
            runbook: `${sudo} mv /etc/kubernetes/manifests-stopped-<stamp>/* ${MANIFESTS_DIR}/`,
            effect: "changes",
        },
        {
            name: "fetchKubeconfig",
            purpose: `${ADMIN_CONF} from the node into a 0600 file on the runner (its credentials masked)`,
            runbook: `${sudo} cat ${ADMIN_CONF}`,
            effect: "reads",
        },
        {
            name: "checkRestored",
            purpose: "the API server answers with the fetched kubeconfig; etcd answers endpoint health through its own container; the snapshot's revision and key count",
            runbook: "kubectl exec -n kube-system etcd-NODE -- etcdctl endpoint health; etcdctl get '' --prefix --keys-only --count-only",
            effect: "reads",
        },
        {
            name: "prunePreRestore",
            purpose: `remove pre-restore folders beyond the newest ${ADMIN_PRE_RESTORE_KEEP} in the data dir, now that the restored cluster is proven`,
            effect: "changes",
        },
    ];
}
function adminRestorePlan(node, backupUri) {
    return new procedures_plan/* Plan */.cw(`restore the admin cluster on ${node} from ${backupUri}`, adminRestoreSteps());
}
/** Every step of the undo, declared once: the restore's own steps where they are the same. */
function adminUndoSteps() {
    const sudo = "sudo -n";
    const restoreStep = (name) => adminRestoreSteps().find((step) => step.name === name);
    return [
        restoreStep("connect"),
        restoreStep("checkSudo"),
        restoreStep("readNode"),
        {
            name: "findPreRestore",
            purpose: "the newest DATA_DIR/pre-restore-<stamp> holding a member folder, and from that restore's journal whether it moved the PKI aside; no restore may be under way",
            runbook: `${sudo} ls -d DATA_DIR/pre-restore-*/member`,
            effect: "reads",
        },
        restoreStep("stopControlPlane"),
        {
            name: "undoPki",
            purpose: "the PKI that restore moved aside (<path>.pre-restore-<stamp>) goes back; what is there now moves to <path>.pre-undo-<now>",
            runbook: `${sudo} mv /etc/kubernetes/pki /etc/kubernetes/pki.pre-undo-<now>; ${sudo} mv /etc/kubernetes/pki.pre-restore-<stamp> /etc/kubernetes/pki`,
            effect: "point of no return",
            onlyWhen: "when that restore put PKI files back",
        },
        {
            name: "swapBack",
            purpose: "no process holds member/snap/db; the live (restored) member moves to DATA_DIR/pre-undo-<now>/member and pre-restore-<stamp>/member takes its place",
            runbook: `${sudo} mv DATA_DIR/member DATA_DIR/pre-undo-<now>/ && ${sudo} mv DATA_DIR/pre-restore-<stamp>/member DATA_DIR/`,
            effect: "point of no return",
        },
        restoreStep("startControlPlane"),
        restoreStep("fetchKubeconfig"),
        {
            name: "checkUndone",
            purpose: "the API server answers with the fetched kubeconfig; etcd answers endpoint health through its own container; its revision and key count",
            runbook: "kubectl exec -n kube-system etcd-NODE -- etcdctl endpoint health",
            effect: "reads",
        },
    ];
}
function adminUndoPlan(node) {
    return new procedures_plan/* Plan */.cw(`undo the last admin restore on ${node}`, adminUndoSteps());
}
/**
 * Undoes the newest admin restore on the node: its pre-restore data (and PKI, when it put
 * PKI back) goes back in by the restore's own gated steps, and what is live now is kept in
 * pre-undo folders, so nothing is deleted. Journaled on the node: a rerun continues.
 */
async function runAdminUndo(options) {
    const restore = new AdminRestore({
        ...options,
        store: undefined,
        etcdBackup: undefined,
        restorePki: "never",
        identities: [],
        revisionBump: "none",
    });
    return restore.undo();
}
async function runAdminRestore(options) {
    const restore = new AdminRestore(options);
    return restore.run();
}
/**
 * The `post:` step of a restore that did not finish: before its point of no return (the
 * PKI restore or the swap) it moves the etcd and kube-apiserver manifests back, removes the
 * one-shot restore pod's manifest and the staged snapshot, and closes the journal, so the
 * admin cluster runs on its old data again and the next restore starts afresh. After that
 * point it changes nothing and says to rerun the restore, which continues from the journal.
 */
async function finishInterruptedAdminRestore(options) {
    const restore = new AdminRestore({
        ...options,
        store: undefined,
        etcdBackup: undefined,
        restorePki: "never",
        identities: [],
        revisionBump: "none",
        dryRun: false,
        workDir: "",
    });
    return restore.putBack(options.owner);
}
class AdminRestore {
    options;
    logger;
    result;
    session;
    scratch;
    started = Date.now();
    constructor(options) {
        this.options = options;
        this.logger = options.logger;
        this.result = {
            outcome: "failed",
            // Absent only for the post step, which restores nothing.
            etcdBackup: options.etcdBackup?.location.uri ?? "",
            ...(options.pkiBackup ? { pkiBackup: options.pkiBackup.location.uri } : {}),
            removedPreRestoreFolders: [],
            durationMs: 0,
            steps: [],
        };
    }
    async run() {
        const { options } = this;
        this.checkInputs();
        await this.runPlan(adminRestorePlan(options.host, options.etcdBackup.location.uri), (run) => this.execute(run));
        if (!options.dryRun)
            await this.recordRestore();
        options.signal?.throwIfAborted();
        return this.result;
    }
    /**
     * Runs a plan's steps (the restore's or the undo's) and settles its result: a failure lands in the
     * result, and the SSH session and scratch folder are closed and removed whatever happened. A
     * cancellation closes the session at once so that a command in flight ends.
     */
    async runPlan(plan, execute) {
        const { options, logger } = this;
        if (options.dryRun)
            plan.print(logger);
        const run = await procedures_plan/* PlanRun */.zq.start(plan, {
            logger,
            dryRun: options.dryRun,
            ...(options.owner ? { owner: options.owner } : {}),
        });
        this.result.steps = run.log;
        const closeOnCancel = () => void this.session?.close().catch(() => undefined);
        options.signal?.addEventListener("abort", closeOnCancel, { once: true });
        try {
            await execute(run);
        }
        catch (error) {
            run.fail(error);
            this.result.outcome = "failed";
            this.result.error = (0,errors/* errorMessage */.gJ)(error);
            if (error instanceof ssh/* UnpinnedHostKeyError */.zB)
                this.result.unpinnedHostKey = error.pin;
        }
        finally {
            options.signal?.removeEventListener("abort", closeOnCancel);
            await this.session?.close().catch(() => undefined);
            if (this.scratch)
                await (0,promises_.rm)(this.scratch, { recursive: true, force: true });
            run.finish();
            this.result.durationMs = Date.now() - this.started;
        }
    }
    /** The audit trail: a record of this restore (succeeded or failed) beside the backups. */
    async recordRestore() {
        const { options, result } = this;
        const uri = await (0,restore_record/* writeRestoreRecord */.hZ)(options.store, (0,restore_record/* restoreRecord */.wp)({
            cluster: "admin",
            outcome: result.outcome,
            backup: result.etcdBackup,
            ...(result.revision !== undefined ? { revision: result.revision } : {}),
            ...(result.keys !== undefined ? { keys: result.keys } : {}),
            members: result.node ? [result.node] : [],
            ...(result.bump !== undefined ? { bump: result.bump } : {}),
            preRestoreFolders: result.preRestoreFolder ? [result.preRestoreFolder] : [],
            removedPreRestoreFolders: result.removedPreRestoreFolders,
            ...(result.outageMs !== undefined ? { outageMs: result.outageMs } : {}),
            durationMs: result.durationMs,
            ...(result.error ? { error: result.error } : {}),
        }, options.audit ?? { actor: "unknown", via: "library" }, new Date(this.started), new Date()), this.logger);
        if (uri)
            result.record = uri;
    }
    /** Input mistakes, each one sentence, before anything is read or changed. */
    checkInputs() {
        const { options } = this;
        const manifest = options.etcdBackup.manifest;
        if (manifest.kind !== "admin-etcd" || manifest.cluster !== "admin") {
            throw new errors/* ConfigurationError */.j1("etcd-backup", `${options.etcdBackup.location.uri} is a ${manifest.kind} backup of ${manifest.cluster}; expected an admin-etcd backup of the admin cluster.`);
        }
        if (options.restorePki !== "never" && !options.pkiBackup) {
            throw new errors/* ConfigurationError */.j1("pki-backup", `restore-pki is ${options.restorePki}, which needs the admin-pki backup; give pki-backup (a URI, or latest with destination), or set restore-pki to never.`);
        }
        (0,pipeline/* checkIdentities */.xS)(options.etcdBackup, options.identities);
        const pki = options.restorePki === "never" ? undefined : options.pkiBackup;
        if (pki) {
            if (pki.manifest.kind !== "admin-pki" ||
                pki.manifest.cluster !== "admin" ||
                !pki.manifest.pki) {
                throw new errors/* ConfigurationError */.j1("pki-backup", `${pki.location.uri} is a ${pki.manifest.kind} backup of ${pki.manifest.cluster}; expected an admin-pki backup of the admin cluster, made by admin-pki-backup.`);
            }
            (0,pipeline/* checkIdentities */.xS)(pki, options.identities);
        }
    }
    // ------------------------------------------------------------------ PKI
    async readPkiStep(run) {
        const backup = this.options.restorePki === "never" ? undefined : this.options.pkiBackup;
        if (!backup) {
            run.skip("readPkiBackup", "restore-pki is never");
            return undefined;
        }
        return run.run("readPkiBackup", () => this.readPkiBackup(backup), (pki) => `${pki.files.filter((file) => file.type === "file").length} files under ${pki.paths.join(", ")}${pki.sourceNode ? ` from ${pki.sourceNode}` : ""}, each as its manifest lists it`);
    }
    /**
     * Encrypted Secrets are readable only with the keys the API server encrypted them with
     * (the secrets-encryption keys, /opt/data/gke-k8s-kms-plugin/generatedkeys): say so when the
     * restore does not put those back.
     */
    warnOfEncryptionKeys(snapshot, pki) {
        if (snapshot.encryptedSecrets === 0)
            return;
        const holdsKeys = pki?.paths.some((path) => path === admin_pki_backup/* ENCRYPTION_KEYS_PATH */.vD || admin_pki_backup/* ENCRYPTION_KEYS_PATH */.vD.startsWith(`${path}/`));
        if (holdsKeys)
            return;
        const warning = `${snapshot.encryptedSecrets} Secret(s) in the snapshot are encrypted (k8s:enc:), and ${pki ? "the PKI backup does not hold" : "this restore does not put back"} the secrets-encryption keys (${admin_pki_backup/* ENCRYPTION_KEYS_PATH */.vD}): the API server can read them only if the node still has the keys they were encrypted with.`;
        this.logger.warning(warning);
        // The job summary shows it too: it decides whether the restored Secrets can be read.
        this.result.warnings = [...(this.result.warnings ?? []), warning];
    }
    async readPkiBackup(backup) {
        const { options } = this;
        const chunks = [];
        let size = 0;
        const sink = new external_node_stream_.Writable({
            write: (chunk, _encoding, done) => {
                size += chunk.length;
                if (size > PKI_ARCHIVE_LIMIT) {
                    done(new Error(`the PKI archive is larger than ${(0,format/* formatBytes */.z)(PKI_ARCHIVE_LIMIT)}; expected a few certificates and keys.`));
                    return;
                }
                chunks.push(chunk);
                done();
            },
        });
        await (0,pipeline/* readBackup */.fe)(options.pkiStore ?? options.store, backup, sink, {
            identities: options.identities,
            logger: this.logger,
        });
        const archive = Buffer.concat(chunks);
        const entries = await (0,ssh/* readArchiveEntries */.zq)(external_node_stream_.Readable.from([archive]));
        const record = backup.manifest.pki;
        const differences = compareWithRecord(entries, record.files);
        if (differences.length) {
            throw new pipeline/* BackupIntegrityError */.wR(`the PKI archive in ${backup.location.uri} does not match its manifest's listing: ${differences.slice(0, 5).join("; ")}${differences.length > 5 ? ` and ${differences.length - 5} more` : ""}. It was changed after the backup; nothing was changed. Choose another backup.`);
        }
        return {
            archive,
            paths: record.paths,
            files: record.files,
            ...(backup.manifest.source.node ? { sourceNode: backup.manifest.source.node } : {}),
        };
    }
    async checkPkiStep(run, session, node, pki) {
        if (!pki) {
            run.skip("checkPki", "restore-pki is never");
            return undefined;
        }
        const comparison = await run.run("checkPki", () => this.checkPki(session, node, pki), (found) => found.differing.length
            ? `${found.differing.length} file(s) differ from the backup: ${found.differing.join(", ")}`
            : "every file of the backup is on the node as the backup has it");
        this.result.pkiDiffering = comparison.differing;
        if (comparison.extra.length) {
            this.logger.info(`The node has ${comparison.extra.length} PKI file(s) the backup does not: ${comparison.extra.join(", ")}${this.options.restorePki === "always" ? " (they move aside with their folder)" : " (left alone)"}.`);
        }
        return comparison;
    }
    async checkPki(session, node, pki) {
        const onNode = await this.nodePki(session, pki.paths);
        const caCertificates = pki.files.filter((file) => file.type === "file" && /(^|\/)ca\.crt$/.test(file.path));
        const sharesCa = caCertificates.some((file) => onNode.get(file.path)?.sha256 === file.sha256);
        const sameName = pki.sourceNode === node.name;
        if (!sharesCa && !sameName && !this.options.acceptForeignPki) {
            throw new errors/* ConfigurationError */.j1("pki-backup", `${this.options.pkiBackup.location.uri} does not look like ${node.name}'s: it was taken on ${pki.sourceNode ?? "an unnamed node"} and none of its CA certificates (${caCertificates.map((file) => file.path).join(", ") || "none"}) is on ${node.name}; give this node's PKI backup, or, if this node's PKI is lost and the backup is its own, set accept-foreign-pki to true.`);
        }
        const differing = pki.files
            .filter((file) => file.type === "file")
            .filter((file) => {
            const current = onNode.get(file.path);
            return (!current ||
                current.sha256 !== file.sha256 ||
                current.mode !== parseInt(file.mode, 8) ||
                current.uid !== file.uid ||
                current.gid !== file.gid);
        })
            .map((file) => file.path);
        const inBackup = new Set(pki.files.map((file) => file.path));
        const extra = [...onNode.values()]
            .filter((entry) => entry.type === "file" && !inBackup.has(entry.path))
            .map((entry) => entry.path);
        return { differing, extra };
    }
    /** The node's files under the paths, with their sha256; a missing path has none. */
    async nodePki(session, paths) {
        const outcome = await this.script(session, PKI_STATE_SCRIPT, paths, "the listing of the node's PKI");
        return parsePkiState(outcome.stdout);
    }
    async restorePkiStep(run, session, pki, plan, stamp) {
        if (!pki || !plan) {
            run.skip("restorePki", "restore-pki is never");
            return;
        }
        const always = this.options.restorePki === "always";
        if (!always && plan.differing.length === 0) {
            run.skip("restorePki", "restore-pki is auto and the node's PKI equals the backup's");
            this.result.pkiRestored = [];
            return;
        }
        const restored = await run.run("restorePki", async (step) => {
            // What an undo needs to know: whole folders moved aside, or single files.
            await step.intend({ mode: always ? "always" : "files", paths: pki.paths });
            return this.restorePki(session, pki, always ? undefined : plan.differing, stamp);
        }, (files) => always
            ? `restore-pki always: ${pki.paths.join(", ")} moved aside to <path>.pre-restore-${stamp}, and all ${files.length} file(s) of the backup unpacked and checked`
            : `restore-pki auto: the ${files.length} differing file(s) put back and checked: ${files.join(", ")}`);
        this.result.pkiRestored = restored;
    }
    /** Puts back every file (`only` undefined) or only those listed; checks each afterwards. */
    async restorePki(session, pki, only, stamp) {
        await this.script(session, PKI_RESTORE_SCRIPT, [
            stamp,
            only ? "files" : "always",
            `/etc/kubernetes/.pki-restore-${stamp}`,
            ...pki.paths,
            "--",
            ...(only ?? []),
        ], "the PKI restore", {}, { stdin: external_node_stream_.Readable.from([pki.archive]), describeStdin: "the PKI archive" });
        const onNode = await this.nodePki(session, pki.paths);
        const wanted = pki.files.filter((file) => file.type === "file" && (!only || only.includes(file.path)));
        const wrong = wanted.filter((file) => {
            const current = onNode.get(file.path);
            return (!current ||
                current.sha256 !== file.sha256 ||
                current.mode !== parseInt(file.mode, 8) ||
                current.uid !== file.uid ||
                current.gid !== file.gid);
        });
        if (wrong.length) {
            throw new Error(`after the PKI restore, ${wrong.map((file) => file.path).join(", ")} on the node do not match the backup (sha256, mode or owner); the displaced files are in ${pki.paths.map((path) => `${path}.pre-restore-${stamp}`).join(", ")}. Look at the node before going on.`);
        }
        return wanted.map((file) => file.path);
    }
    async execute(run) {
        const { options, logger } = this;
        const snapshot = await run.run("readEtcdBackup", () => this.readEtcdBackup(), (facts) => `${(0,format/* formatBytes */.z)(facts.bytes)}, sha256 ${facts.sha256.slice(0, 12)}…, revision ${facts.revision}${facts.keys !== undefined ? `, ${facts.keys} keys` : ""}`);
        this.result.snapshotRevision = snapshot.revision;
        if (snapshot.keys !== undefined)
            this.result.snapshotKeys = snapshot.keys;
        const pki = await this.readPkiStep(run);
        this.warnOfEncryptionKeys(snapshot, pki);
        options.signal?.throwIfAborted();
        const session = await this.connectSteps(run);
        const node = await run.run("readNode", () => this.readNode(session), (facts) => `${facts.name}: etcd ${facts.member.config.name}, image ${facts.member.image}, data dir ${facts.member.hostDataDir} on the node (${facts.member.containerDataDir} in the pod)${facts.bump ? `, bump ${facts.bump}` : ""}`);
        this.result.node = node.name;
        this.result.dataDir = node.member.hostDataDir;
        if (node.bump)
            this.result.bump = node.bump;
        await run.run("checkRoom", () => this.checkRoom(session, node, snapshot), (room) => room);
        const pkiPlan = await this.checkPkiStep(run, session, node, pki);
        if (options.dryRun) {
            this.result.outcome = "planned";
            logger.info(`Dry run: would restore ${options.etcdBackup.location.uri} (revision ${snapshot.revision}) into ${node.member.hostDataDir} on ${node.name}; nothing was changed.`);
            return;
        }
        this.checkConfirm(node);
        const journal = new NodeJournal(session, external_node_path_.posix.join(node.member.hostDataDir, JOURNAL_FILE));
        await run.attachJournal(journal, {
            cluster: "admin",
            node: node.name,
            etcdBackup: options.etcdBackup.location.uri,
            dataDir: node.member.hostDataDir,
        });
        const stamp = await this.stampOf(run);
        await run.run("stageSnapshot", async (step) => {
            await step.intend({ stamp });
            return this.stageSnapshot(session, node, snapshot, stamp);
        }, (line) => line);
        const aside = `/etc/kubernetes/manifests-stopped-${stamp}`;
        const outageStart = Date.now();
        await run.run("stopControlPlane", () => this.stopControlPlane(session, node, aside), (line) => line);
        await this.restorePkiStep(run, session, pki, pkiPlan, stamp);
        await run.run("restoreSnapshot", () => this.restoreSnapshot(session, node, stamp), (kib) => `restored data ${(0,format/* formatBytes */.z)(kib * 1024)}`);
        await run.run("swapData", () => this.swapData(session, node, stamp), (line) => line);
        this.result.preRestoreFolder = external_node_path_.posix.join(node.member.hostDataDir, `pre-restore-${stamp}`);
        await run.run("startControlPlane", () => this.startControlPlane(session, aside), (line) => line);
        const kubeconfigPath = await run.run("fetchKubeconfig", () => this.fetchKubeconfig(session));
        this.result.kubeconfigPath = kubeconfigPath;
        await run.run("checkRestored", () => this.checkRestored(kubeconfigPath, node, snapshot), (proof) => proof.summary);
        this.result.outageMs = Date.now() - outageStart;
        const removed = await run.run("prunePreRestore", () => this.prune(session, node), (folders) => folders.length ? `removed ${folders.join(", ")}` : "none beyond the newest two");
        this.result.removedPreRestoreFolders = removed;
        await this.archiveJournal(session, journal, stamp);
        this.result.outcome = "restored";
    }
    /**
     * The finished restore's journal goes beside the data it displaced, so that the next
     * restore starts a journal of its own (and an undo finds what this one did).
     */
    async archiveJournal(session, journal, stamp) {
        const kept = external_node_path_.posix.join(external_node_path_.posix.dirname(journal.path), `pre-restore-${stamp}`, JOURNAL_FILE);
        await this.script(session, KEEP_JOURNAL_SCRIPT, [journal.path, kept], "keeping the journal with the pre-restore data");
        this.logger.info(`The journal of this restore is kept in ${kept}.`);
    }
    /** See finishInterruptedAdminRestore. */
    async putBack(owner) {
        const session = await this.connect();
        try {
            const node = await this.readNode(session);
            const journal = new NodeJournal(session, external_node_path_.posix.join(node.member.hostDataDir, JOURNAL_FILE));
            const entries = await journal.read();
            if (!entries.some((entry) => entry.event === "begin"))
                return "nothing to do";
            const owners = entries.filter((entry) => entry.event === "run");
            const lastOwner = owners.at(-1)?.data?.owner;
            if (lastOwner !== owner) {
                this.logger.info(`The restore journaled in ${journal.description} is carried on by ${lastOwner ?? "another run"}, not this one: left alone.`);
                return "not ours";
            }
            const began = (step) => entries.some((entry) => entry.step === step && entry.event === "started");
            if (began("restorePki") || began("swapData")) {
                this.logger.warning(`The restore on ${node.name} passed its point of no return (${began("swapData") ? "the swap" : "the PKI restore"} began): nothing is put back. Rerun the restore: it continues from ${journal.description}.`);
                return "past the point of no return";
            }
            const stamp = entries.find((entry) => entry.step === "stageSnapshot" && entry.event === "intent")
                ?.data?.stamp;
            if (stamp)
                await this.undoStaging(session, node, stamp);
            const closed = `${journal.path}.abandoned-${(0,restore_scripts/* restoreStamp */.cP)(new Date())}`;
            await this.script(session, `mv "$1" "$2" && sync`, [journal.path, closed], "closing the journal");
            this.logger.info(`Put back the restore that did not finish on ${node.name}: etcd and kube-apiserver run on their old data; its journal is ${closed}.`);
            return "put back";
        }
        finally {
            await session.close().catch(() => undefined);
        }
    }
    /** See runAdminUndo. */
    async undo() {
        await this.runPlan(adminUndoPlan(this.options.host), (run) => this.executeUndo(run));
        this.options.signal?.throwIfAborted();
        return this.result;
    }
    async executeUndo(run) {
        const { options, logger } = this;
        const session = await this.connectSteps(run);
        const node = await run.run("readNode", () => this.readNode(session), (facts) => `${facts.name}: data dir ${facts.member.hostDataDir} on the node`);
        this.result.node = node.name;
        this.result.dataDir = node.member.hostDataDir;
        const journal = new NodeJournal(session, external_node_path_.posix.join(node.member.hostDataDir, UNDO_JOURNAL_FILE));
        const target = await run.run("findPreRestore", () => this.findPreRestore(session, node, journal), (found) => `${external_node_path_.posix.join(node.member.hostDataDir, `pre-restore-${found.restored}`)}${found.pki ? `, and the PKI that restore moved aside (${found.pki.mode === "always" ? "whole folders" : "single files"} under ${found.pki.paths.join(", ")})` : ", no PKI to put back"}`);
        this.result.preRestoreFolder = external_node_path_.posix.join(node.member.hostDataDir, `pre-restore-${target.restored}`);
        if (options.dryRun) {
            this.result.outcome = "planned";
            logger.info(`Dry run: would put ${this.result.preRestoreFolder} back on ${node.name}; nothing was changed.`);
            return;
        }
        this.checkConfirm(node);
        await run.attachJournal(journal, {
            cluster: "admin",
            node: node.name,
            undo: target.restored,
            stamp: target.stamp,
        });
        const aside = `/etc/kubernetes/manifests-stopped-${target.stamp}`;
        const outageStart = Date.now();
        await run.run("stopControlPlane", () => this.stopControlPlane(session, node, aside), (line) => line);
        const pki = target.pki;
        if (pki) {
            await run.run("undoPki", () => this.undoPki(session, target, pki), (lines) => lines.join("; "));
        }
        else {
            run.skip("undoPki", "that restore put no PKI back");
        }
        await run.run("swapBack", () => this.swapBack(session, node, target), (line) => line);
        await run.run("startControlPlane", () => this.startControlPlane(session, aside), (line) => line);
        const kubeconfigPath = await run.run("fetchKubeconfig", () => this.fetchKubeconfig(session));
        this.result.kubeconfigPath = kubeconfigPath;
        await run.run("checkUndone", () => this.checkUndone(kubeconfigPath, node), (summary) => summary);
        this.result.outageMs = Date.now() - outageStart;
        await this.script(session, KEEP_JOURNAL_SCRIPT, [
            journal.path,
            external_node_path_.posix.join(node.member.hostDataDir, `pre-undo-${target.stamp}`, UNDO_JOURNAL_FILE),
        ], "keeping the undo's journal with the data it displaced");
        this.result.outcome = "undone";
    }
    /**
     * The restore to undo: the one an interrupted undo journaled, else the newest pre-restore
     * folder that still holds its member data. Refused while a restore is under way.
     */
    async findPreRestore(session, node, journal) {
        const data = node.member.hostDataDir;
        const restoring = new NodeJournal(session, external_node_path_.posix.join(data, JOURNAL_FILE));
        if ((await restoring.read()).some((entry) => entry.event === "begin")) {
            throw new Error(`a restore on ${node.name} has not finished (its journal is ${restoring.description}): rerun that restore to finish it, or let its post step put it back, before undoing anything.`);
        }
        const begun = (await journal.read()).find((entry) => entry.event === "begin")?.data;
        let restored = begun?.undo;
        if (!restored) {
            const listed = await this.script(session, `ls -1d "$1"/pre-restore-*/member 2>/dev/null | sort -r | head -n 1`, [data], "looking for pre-restore folders");
            restored = /pre-restore-([0-9TZ]+)\/member$/.exec(listed.stdout.trim())?.[1];
        }
        if (!restored) {
            throw new errors/* ConfigurationError */.j1("undo", `there is nothing to undo on ${node.name}: no ${data}/pre-restore-<stamp> folder holds the data a restore displaced (an earlier undo already put it back, or no restore ran on this node).`);
        }
        const stamp = begun?.stamp ?? (0,restore_scripts/* restoreStamp */.cP)(this.options.now ?? new Date());
        // The finished restore's journal, kept beside its data, says whether it moved PKI aside.
        const restoreJournal = new NodeJournal(session, external_node_path_.posix.join(data, `pre-restore-${restored}`, JOURNAL_FILE));
        const pki = (await restoreJournal.read()).find((entry) => entry.step === "restorePki" && entry.event === "intent")?.data;
        return { restored, stamp, ...(pki ? { pki } : {}) };
    }
    async undoPki(session, target, pki) {
        const outcome = await this.script(session, PKI_UNDO_SCRIPT, [target.restored, target.stamp, pki.mode, ...pki.paths], "putting the PKI back");
        const lines = outcome.stdout.split("\n").filter(Boolean);
        return lines.length ? lines : ["already put back"];
    }
    /** The restore's journal leaves the pre-restore folder with it; then UNDO_SCRIPT swaps. */
    async swapBack(session, node, target) {
        const data = node.member.hostDataDir;
        const undoFolder = external_node_path_.posix.join(data, `pre-undo-${target.stamp}`);
        await this.script(session, `if [ -f "$1" ]; then mkdir -p "$2" && mv "$1" "$2/admin-restore-$3.journal" && sync; fi`, [
            external_node_path_.posix.join(data, `pre-restore-${target.restored}`, JOURNAL_FILE),
            undoFolder,
            target.restored,
        ], "moving the restore's journal beside the data it restored");
        const outcome = await this.script(session, restore_scripts/* UNDO_SCRIPT */.dr, [data, target.stamp, target.restored], "the swap back", { [restore_scripts/* RESTORE_EXIT */.KB.nothingToUndo]: "nothingToUndo" });
        if (outcome.code === restore_scripts/* RESTORE_EXIT */.KB.nothingToUndo) {
            throw new Error(`${data}/pre-restore-${target.restored}/member is gone from ${node.name}, and ${undoFolder} was not finished: look at the node before going on.`);
        }
        return `${outcome.stdout.trim()} put back; the restored data is kept in ${undoFolder}/member`;
    }
    async checkUndone(kubeconfigPath, node) {
        const exec = await this.answeringEtcd(kubeconfigPath, node);
        const { revision, keys } = (0,etcdctl/* parseKeyCount */.wK)(await exec((0,etcdctl/* countKeysArgs */.n$)()));
        this.result.revision = revision;
        this.result.keys = keys;
        return `etcd healthy through its container at revision ${this.result.revision} with ${this.result.keys} keys; the API answers with the fetched kubeconfig`;
    }
    /** The manifests back, the one-shot pod's manifest, staged snapshot and restored folder gone. */
    async undoStaging(session, node, stamp) {
        const aside = `/etc/kubernetes/manifests-stopped-${stamp}`;
        const data = node.member.hostDataDir;
        await this.script(session, `rm -f "$1/$2"; rm -f "$3/restore-$4.db" "$3/restore-$4.db.part"; rm -rf "$3/restore-$4"; sync`, [MANIFESTS_DIR, RESTORE_MANIFEST, data, stamp], "removing the restore pod and the staged snapshot");
        await this.script(session, `[ -d "$2" ] || exit 0; shift 0; ${START_SCRIPT}`, [MANIFESTS_DIR, aside, ETCD_MANIFEST, API_SERVER_MANIFEST], "moving the manifests back");
    }
    // ------------------------------------------------------------------ reading
    async readEtcdBackup() {
        const { options } = this;
        // Named as every work folder of this tool, so the post step sweeps it after a kill.
        this.scratch = await (0,promises_.mkdtemp)((0,external_node_path_.join)(options.workDir, "etcd-backup-admin-restore-"));
        await (0,promises_.chmod)(this.scratch, 0o700);
        const path = (0,external_node_path_.join)(this.scratch, "snapshot.db");
        const digest = await (0,pipeline/* restoreBackupToFile */.u2)(options.store, options.etcdBackup, path, {
            identities: options.identities,
            logger: this.logger,
        });
        const verification = (0,snapshot/* verifySnapshot */.Mx)(path);
        if (!verification.ok) {
            const problems = verification.problems.map((problem) => problem.message).join("; ");
            throw new Error(`the snapshot in ${options.etcdBackup.location.uri} does not verify: ${problems}; nothing was changed. Choose another backup.`);
        }
        const status = (0,snapshot/* readSnapshotStatus */.ZR)(path);
        const secrets = (0,snapshot/* listSnapshotKeys */.VE)(path, { resource: "secrets" });
        return {
            encryptedSecrets: secrets.keys.filter((key) => key.encryption).length,
            path,
            bytes: digest.bytes,
            sha256: digest.sha256,
            revision: status.revision,
            ...(options.etcdBackup.manifest.etcd?.keyCount !== undefined
                ? { keys: options.etcdBackup.manifest.etcd.keyCount }
                : {}),
        };
    }
    /** The restore's and the undo's first node steps: connect, then prove sudo. */
    async connectSteps(run) {
        const session = await run.run("connect", () => this.connect(), (connected) => `${connected.target}, host key ${connected.hostKeyFingerprint}`);
        this.result.target = session.target;
        this.result.hostKeyFingerprint = session.hostKeyFingerprint;
        await run.run("checkSudo", () => this.checkSudo(session));
        return session;
    }
    async connect() {
        const { options } = this;
        this.session = await (0,ssh/* connectSsh */.LZ)((0,admin_pki_backup/* nodeSshOptions */.Fw)(options.host, options.privateKey, options), this.logger);
        return this.session;
    }
    async checkSudo(session) {
        await this.sudo(session, ["true"], "sudo -n true");
    }
    async readNode(session) {
        const { name, member, manifestIn } = await readStaticPodNode(session);
        if (manifestIn !== MANIFESTS_DIR) {
            this.logger.warning(`The etcd manifest is not in ${MANIFESTS_DIR} but in ${manifestIn}: an earlier restore stopped the control plane. This run continues from its journal.`);
        }
        return { name, member, manifestIn, ...this.chooseBump(member) };
    }
    chooseBump(member) {
        const wanted = this.options.revisionBump;
        if (wanted === "none")
            return {};
        const version = (0,backup_version/* etcdVersionOfImage */.HD)(member.image);
        if (!versionOffersBump(version)) {
            if (typeof wanted === "number") {
                throw new errors/* ConfigurationError */.j1("revision-bump", `is ${wanted}, but the node's etcd image ${member.image} (etcd ${version ?? "of unknown version"}) has no --bump-revision; use auto or none (etcd 3.4.26+ / 3.5.10+ can bump).`);
            }
            this.logger.warning(`etcd ${version ?? "of unknown version"} in ${member.image} cannot bump the revision: the restored revision goes back to the snapshot's, so every watch on the admin cluster's API restarts afterwards.`);
            return {};
        }
        return { bump: typeof wanted === "number" ? wanted : etcdctl/* DEFAULT_REVISION_BUMP */.dv };
    }
    checkConfirm(node) {
        const { confirm, host } = this.options;
        if (confirm !== node.name && confirm !== host) {
            throw new errors/* ConfigurationError */.j1("confirm", `${confirm ? `"${confirm}" is neither` : "is empty; it must be"} the node's name (${node.name}) or address (${host}); restoring replaces the admin cluster's etcd data, so type one of them to confirm.`);
        }
    }
    async checkRoom(session, node, snapshot) {
        return checkNodeRoom(session, node, snapshot.bytes);
    }
    async stampOf(run) {
        const recorded = run.intentOf("stageSnapshot");
        return recorded?.stamp ?? (0,restore_scripts/* restoreStamp */.cP)(this.options.now ?? new Date());
    }
    // ------------------------------------------------------------------ changing
    async stageSnapshot(session, node, snapshot, stamp) {
        await stageSnapshotOnNode(session, node, snapshot, stamp);
        return `${(0,format/* formatBytes */.z)(snapshot.bytes)} received, sha256 checked on the node`;
    }
    async stopControlPlane(session, node, aside) {
        this.logger.info(await moveManifestsOut(session, aside));
        await waitUntilEtcdStopped(session, node, this.waitOptions());
        return `manifests in ${aside}; etcd and kube-apiserver stopped`;
    }
    async restoreSnapshot(session, node, stamp) {
        return restoreWithStaticPod(session, node, { stamp, ...(node.bump ? { bump: node.bump } : {}) }, this.waitOptions(), this.logger);
    }
    async swapData(session, node, stamp) {
        const swapped = await swapNodeData(session, node, stamp);
        return `${swapped}: the live data is in ${node.member.hostDataDir}/pre-restore-${stamp}/member`;
    }
    async startControlPlane(session, aside) {
        return moveManifestsBack(session, aside);
    }
    async fetchKubeconfig(session) {
        const { stdout } = await this.sudo(session, ["cat", ADMIN_CONF], `sudo -n cat ${ADMIN_CONF}`);
        const text = stdout.toString("utf8");
        const config = await (0,kubeconfig.loadKubeconfig)({ content: text });
        for (const secret of (0,kubeconfig/* kubeconfigSecrets */.hT)(config))
            this.options.onSecret?.(secret);
        const path = (0,external_node_path_.join)(this.options.workDir, `etcd-backup-admin-kubeconfig-${(0,restore_scripts/* restoreStamp */.cP)(new Date())}`);
        await (0,promises_.writeFile)(path, text, { mode: 0o600, flag: "w" });
        await (0,promises_.chmod)(path, 0o600);
        return path;
    }
    /**
     * Waits until etcd answers `endpoint health` through its own container, and proves the
     * fetched kubeconfig with a read; returns etcdctl in that container.
     */
    async answeringEtcd(kubeconfigPath, node) {
        const config = await (0,kubeconfig.loadKubeconfig)({ path: kubeconfigPath });
        const profile = (0,profiles/* adminClusterProfile */.TI)();
        const target = {
            namespace: profile.namespace,
            pod: `etcd-${node.name}`,
            container: profile.container,
        };
        const exec = async (args) => {
            const result = await (0,kube_exec/* execInPod */.YE)(config, { ...target, command: (0,etcdctl/* etcdctl */.yW)(profile, ...args) });
            if (result.exitCode !== 0) {
                throw new Error(`etcdctl ${args.slice(0, 2).join(" ")} in ${target.namespace}/${target.pod} exited with ${result.exitCode}: ${result.stderr.trim().split("\n").slice(-3).join(" | ")}`);
            }
            return result.stdout;
        };
        let lastProblem = "";
        await this.waitFor(`the API server and etcd on ${node.name} to answer`, async () => {
            try {
                await exec(["endpoint", "health", "--command-timeout=5s"]);
                return true;
            }
            catch (error) {
                lastProblem = (0,errors/* errorMessage */.gJ)(error);
                return false;
            }
        }, () => lastProblem);
        await this.proveKubeconfig(config);
        return exec;
    }
    async checkRestored(kubeconfigPath, node, snapshot) {
        const exec = await this.answeringEtcd(kubeconfigPath, node);
        const { revision, keys } = (0,etcdctl/* parseKeyCount */.wK)(await exec((0,etcdctl/* countKeysArgs */.n$)()));
        const expectedRevision = snapshot.revision + (node.bump ?? 0);
        if (revision < expectedRevision) {
            throw new Error(`after the restore, etcd on ${node.name} is at revision ${revision}, below the snapshot's ${expectedRevision}${node.bump ? ` (with the bump of ${node.bump})` : ""}: it does not hold the restored data.`);
        }
        // Leases from the snapshot expire after the restart and delete their keys: count the
        // keys at the restored revision itself.
        const restoredKeys = (0,etcdctl/* parseKeyCount */.wK)(await exec((0,etcdctl/* countKeysArgs */.n$)(expectedRevision))).keys;
        if (snapshot.keys !== undefined && restoredKeys !== snapshot.keys) {
            throw new Error(`after the restore, etcd on ${node.name} holds ${restoredKeys} keys at revision ${expectedRevision}, but the snapshot held ${snapshot.keys}.`);
        }
        this.result.revision = revision;
        this.result.keys = keys;
        return {
            revision,
            keys,
            summary: `etcd healthy through its container, ${restoredKeys} keys at revision ${expectedRevision}${snapshot.keys !== undefined ? " as in the snapshot" : ""} (now revision ${revision}, ${keys} keys); the API answers with the fetched kubeconfig`,
        };
    }
    /** A read with the fetched kubeconfig: the node list. */
    async proveKubeconfig(config) {
        const { CoreV1Api } = await Promise.resolve(/* import() */).then(__webpack_require__.bind(__webpack_require__, 42830));
        await config.makeApiClient(CoreV1Api).listNode();
    }
    async prune(session, node) {
        return prunePreRestoreOnNode(session, node, ADMIN_PRE_RESTORE_KEEP, this.logger);
    }
    // ------------------------------------------------------------------ node commands
    async sudo(session, argv, describe) {
        return session.run((0,sudo/* sudoCommand */.p0)(argv), {
            describe,
            interpretFailure: (outcome) => (0,sudo/* sudoRefusal */.SE)(outcome, { host: session.host, user: session.user, programs: [argv[0]] }),
        });
    }
    /**
     * `sudo -n sh -c SCRIPT sh ARGS` on the node. Exit codes listed in `expected` are returned
     * (the caller explains them); the scripts' known codes become sentences; anything else is
     * the command's own failure.
     */
    async script(session, script, args, describe, expected = {}, input = {}) {
        return runNodeScript(session, script, args, describe, expected, input);
    }
    /** Polls `check` every 2 s until it holds, or fails after the wait timeout saying what it saw. */
    async waitFor(what, check, lastSeen) {
        await pollUntil(what, check, lastSeen, this.waitOptions());
    }
    waitOptions() {
        return {
            timeoutMs: this.options.waitTimeoutMs ?? 5 * 60_000,
            ...(this.options.signal ? { signal: this.options.signal } : {}),
        };
    }
}
/** The most a PKI archive may hold in memory: certificates and keys are a few KiB each. */
const PKI_ARCHIVE_LIMIT = 256 * 1024 * 1024;
const FIND_TYPE = { f: "file", d: "directory", l: "symlink" };
function parsePkiState(output) {
    const entries = new Map();
    const sums = new Map();
    for (const line of output.split("\n")) {
        if (!line || line.startsWith("missing\t"))
            continue;
        const sum = /^([0-9a-f]{64}) [ *](.+)$/.exec(line);
        if (sum) {
            sums.set(sum[2], sum[1]);
            continue;
        }
        const [type, mode, uid, gid, , ...path] = line.split("\t");
        if (path.length === 0)
            continue;
        const name = path.join("\t");
        entries.set(name, {
            path: name,
            type: FIND_TYPE[type ?? ""] ?? "other",
            mode: parseInt(mode ?? "0", 8),
            uid: Number(uid),
            gid: Number(gid),
        });
    }
    for (const [path, sha256] of sums) {
        const entry = entries.get(path);
        if (entry)
            entry.sha256 = sha256;
    }
    return entries;
}
/** Where the archive's entries differ from the manifest's listing, one sentence each. */
function compareWithRecord(entries, files) {
    const differences = [];
    const inArchive = new Map(entries.map((entry) => [entry.path, entry]));
    for (const file of files) {
        const entry = inArchive.get(file.path);
        if (!entry) {
            differences.push(`${file.path} is listed but not in the archive`);
            continue;
        }
        if (entry.type !== file.type ||
            entry.mode !== parseInt(file.mode, 8) ||
            entry.uid !== file.uid ||
            entry.gid !== file.gid ||
            (file.type === "file" && entry.sha256 !== file.sha256)) {
            differences.push(`${file.path} differs from its listing`);
        }
    }
    if (entries.length !== files.length) {
        differences.push(`the archive holds ${entries.length} entries, the listing ${files.length}`);
    }
    return differences;
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
