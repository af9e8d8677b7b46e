export const id = 894;
export const ids = [894];
export const modules = {

/***/ 94894:
/***/ ((__unused_webpack___webpack_module__, __webpack_exports__, __webpack_require__) => {

__webpack_require__.r(__webpack_exports__);
/* harmony export */ __webpack_require__.d(__webpack_exports__, {
/* harmony export */   readableObject: () => (/* binding */ readableObject),
/* harmony export */   registerSnapshotCommands: () => (/* binding */ registerSnapshotCommands)
/* harmony export */ });
/* harmony import */ var commander__WEBPACK_IMPORTED_MODULE_0__ = __webpack_require__(48179);
/* harmony import */ var _core_snapshot_index_js__WEBPACK_IMPORTED_MODULE_1__ = __webpack_require__(51205);
/* harmony import */ var _core_errors_js__WEBPACK_IMPORTED_MODULE_2__ = __webpack_require__(51222);
/**
 * `etcd-backup-actions snapshot status|verify|ls|get|diff`: look into snapshot files
 * without etcd, from a runner or a laptop. Tables for people by default, `--output json`
 * for scripts; data goes to stdout, errors to stderr.
 */



function outputOption() {
    return new commander__WEBPACK_IMPORTED_MODULE_0__/* .Option */ .c$("-o, --output <format>", "table for people, json for scripts")
        .choices(["table", "json"])
        .default("table");
}
function addFilters(command) {
    return command
        .option("--resource <resource>", "only this resource (configmaps, nodes, widgets.example.com)")
        .option("--namespace <namespace>", "only objects in this namespace")
        .option("--prefix <prefix>", "only keys starting with this");
}
function registerSnapshotCommands(program) {
    const snapshot = program
        .command("snapshot")
        .description("Look into etcd snapshot files without etcd: status, verify, ls, get, diff.");
    snapshot
        .command("status")
        .description("Hash, revision, key count and size, as `etcdctl snapshot status` reports them. With " +
        "--output json, one file prints one object exactly as `etcdctl snapshot status -w json` " +
        "does; several files print an array of objects that also name their file.")
        .argument("<file...>", "snapshot files")
        .addOption(outputOption())
        .action((files, options) => run(() => printStatus(files, options.output)));
    snapshot
        .command("verify")
        .description("Check meta pages, the bolt tree, every revision and the sha256 trailer; exits 1 if any file is damaged.")
        .argument("<file...>", "snapshot files")
        .addOption(outputOption())
        .action((files, options) => run(() => printVerification(files, options.output)));
    addFilters(snapshot
        .command("ls")
        .description("Every live key at the snapshot's revision, with per-resource counts.")
        .argument("<file>", "snapshot file"))
        .addOption(outputOption())
        .action((file, options) => run(() => printListing(file, options)));
    snapshot
        .command("get")
        .description("One key's object, decoded (protobuf metadata, JSON as stored, encryption reported).")
        .argument("<file>", "snapshot file")
        .argument("<key>", "the etcd key, e.g. /registry/configmaps/default/my-config")
        .option("--raw", "write the raw value bytes to stdout (to put back with etcdctl put)")
        .addOption(outputOption())
        .action(async (file, key, options) => {
        // Loaded here, not at start-up: YAML is for `get` alone and costs the others ~15 MiB.
        const { stringify } = await __webpack_require__.e(/* import() */ 815).then(__webpack_require__.t.bind(__webpack_require__, 38815, 19));
        run(() => printKey(file, key, options, stringify));
    });
    addFilters(snapshot
        .command("diff")
        .description("Keys added, removed and changed from snapshot A to snapshot B, per resource.")
        .argument("<from>", "the older snapshot (A)")
        .argument("<to>", "the newer snapshot (B)"))
        .addOption(outputOption())
        .action((from, to, options) => run(() => printDiff(from, to, options)));
}
/** Turns a SnapshotError into one line on stderr and exit code 1; anything else is a bug. */
function run(body) {
    settleOutputErrors();
    try {
        body();
    }
    catch (error) {
        if (!(error instanceof _core_snapshot_index_js__WEBPACK_IMPORTED_MODULE_1__/* .SnapshotError */ .JC))
            throw error;
        process.stderr.write(`error: ${error.message}\n`);
        process.exitCode = 1;
    }
}
let outputErrorsSettled = false;
/**
 * A reader that closes the pipe early (`snapshot ls ... | head -1`) is not an error: it has
 * what it wanted, so stop quietly with the exit code the command already set, as other
 * Unix tools end on SIGPIPE. Any other write failure (a full disk behind `> file`) is one
 * sentence. Without a listener, Node turns both into an uncaught stack trace.
 */
function settleOutputErrors() {
    if (outputErrorsSettled)
        return;
    outputErrorsSettled = true;
    for (const [name, stream] of [
        ["stdout", process.stdout],
        ["stderr", process.stderr],
    ]) {
        stream.on("error", (error) => {
            if (error.code !== "EPIPE" && name === "stdout") {
                process.stderr.write(`error: cannot write the output to stdout: ${(0,_core_errors_js__WEBPACK_IMPORTED_MODULE_2__/* .errorMessage */ .gJ)(error)}\n`);
                process.exitCode = 1;
            }
            process.exit();
        });
    }
}
function printJson(value) {
    process.stdout.write(`${JSON.stringify(value, null, 2)}\n`);
}
/** Left-aligned columns, two spaces apart, like kubectl. */
function renderTable(headers, rows) {
    const cells = [headers, ...rows.map((row) => row.map(String))];
    const widths = headers.map((_, column) => Math.max(...cells.map((row) => (row[column] ?? "").length)));
    return (cells
        .map((row) => row
        .map((cell, column) => (column === row.length - 1 ? cell : cell.padEnd(widths[column])))
        .join("  "))
        .join("\n") + "\n");
}
function humanBytes(bytes) {
    const units = ["B", "kB", "MB", "GB", "TB"];
    let value = bytes;
    let unit = 0;
    while (value >= 1000 && unit < units.length - 1) {
        value /= 1000;
        unit++;
    }
    return unit === 0 ? `${bytes} B` : `${value.toFixed(value < 10 ? 1 : 0)} ${units[unit]}`;
}
function printStatus(files, output) {
    const statuses = files.map((file) => ({ file, ...(0,_core_snapshot_index_js__WEBPACK_IMPORTED_MODULE_1__/* .readSnapshotStatus */ .ZR)(file) }));
    if (output === "json")
        return printStatusJson(statuses);
    process.stdout.write(renderTable(["FILE", "HASH", "REVISION", "TOTAL KEYS", "TOTAL SIZE"], statuses.map((status) => [
        status.file,
        status.hash.toString(16).padStart(8, "0"),
        status.revision,
        status.totalKey,
        humanBytes(status.totalSize),
    ])));
}
/**
 * One file: the object `etcdctl snapshot status -w json` prints, same fields, same order,
 * one line, so scripts written for etcdctl run unchanged. Several (which etcdctl refuses):
 * an array, each object naming its file.
 */
function printStatusJson(statuses) {
    const [only] = statuses;
    if (statuses.length === 1 && only) {
        const { hash, revision, totalKey, totalSize } = only;
        process.stdout.write(`${JSON.stringify({ hash, revision, totalKey, totalSize })}\n`);
        return;
    }
    printJson(statuses);
}
function printVerification(files, output) {
    const reports = files.map((file) => (0,_core_snapshot_index_js__WEBPACK_IMPORTED_MODULE_1__/* .verifySnapshot */ .Mx)(file));
    if (reports.some((report) => !report.ok))
        process.exitCode = 1;
    if (output === "json")
        return printJson(reports);
    const trailerText = { verified: "sha256 verified", mismatch: "sha256 MISMATCH", absent: "none" };
    process.stdout.write(renderTable(["FILE", "RESULT", "REVISION", "PAGES", "TRAILER"], reports.map((report) => [
        report.file,
        resultText(report),
        report.revision ?? "-",
        report.pageCount ?? "-",
        report.trailer ? trailerText[report.trailer] : "-",
    ])));
    for (const report of reports) {
        for (const problem of report.problems)
            process.stdout.write(`\n${problem.message}`);
    }
    if (reports.some((report) => !report.ok))
        process.stdout.write("\n");
}
/** UNREADABLE when the file could not even be opened as a bolt image (no page count). */
function resultText(report) {
    if (report.ok)
        return "ok";
    return report.pageCount === undefined ? "UNREADABLE" : "DAMAGED";
}
function encodingText(key) {
    return key.encryption ? `encrypted (${key.encryption.prefix})` : key.encoding;
}
/**
 * The listing, written as it is read: rows go out in batches instead of as one table in
 * memory, so `ls` of a million keys holds the reader's columns and one batch of text. The
 * table needs its column widths first, so the keys are visited twice (cheap: no file I/O).
 */
function printListing(file, options) {
    (0,_core_snapshot_index_js__WEBPACK_IMPORTED_MODULE_1__/* .withSnapshotKeys */ .Ze)(file, filtersOf(options), (keys) => {
        if (options.output === "json")
            return printListingJson(file, keys);
        const headers = ["KEY", "RESOURCE", "NAMESPACE", "MOD REV", "SIZE", "ENCODING"];
        const rowOf = (key) => [
            key.key,
            key.resource ?? "-",
            key.namespace ?? "-",
            String(key.modRevision),
            String(key.valueSize),
            encodingText(key),
        ];
        const widths = headers.map((header) => header.length);
        keys.forEach((key) => rowOf(key).forEach((cell, column) => (widths[column] = Math.max(widths[column], cell.length))));
        const output = new BatchedOutput();
        const line = (row) => row
            .map((cell, column) => (column === row.length - 1 ? cell : cell.padEnd(widths[column])))
            .join("  ") + "\n";
        output.write(line(headers));
        keys.forEach((key) => output.write(line(rowOf(key))));
        output.write(`\n${keys.count} keys at revision ${keys.revision}`);
        output.write(keys.compactRevision ? `, compacted at ${keys.compactRevision}\n\n` : "\n\n");
        output.write(renderTable(["RESOURCE", "KEYS", "VALUE BYTES"], keys.resources.map((count) => [count.resource, count.count, humanBytes(count.valueBytes)])));
        output.flush();
    });
}
/** What printJson({ file, ...listing }) prints, byte for byte, written key by key. */
function printListingJson(file, keys) {
    const output = new BatchedOutput();
    const { revision, compactRevision } = keys;
    const head = JSON.stringify({ file, revision, compactRevision }, null, 2);
    output.write(`${head.slice(0, -2)},\n  "keys": [`);
    let first = true;
    keys.forEach((key) => {
        output.write(`${first ? "" : ","}\n    ${JSON.stringify(key, null, 2).replaceAll("\n", "\n    ")}`);
        first = false;
    });
    output.write(keys.count === 0 ? "]" : "\n  ]");
    const resources = JSON.stringify(keys.resources, null, 2).replaceAll("\n", "\n  ");
    output.write(`,\n  "resources": ${resources}\n}\n`);
    output.flush();
}
/** Collects text and writes it to stdout in pieces of about 64 KiB: one write per row is slow. */
class BatchedOutput {
    pending = [];
    pendingLength = 0;
    write(text) {
        this.pending.push(text);
        this.pendingLength += text.length;
        if (this.pendingLength >= 64 * 1024)
            this.flush();
    }
    flush() {
        if (this.pending.length === 0)
            return;
        process.stdout.write(this.pending.join(""));
        this.pending = [];
        this.pendingLength = 0;
    }
}
function filtersOf(options) {
    return {
        ...(options.resource !== undefined ? { resource: options.resource } : {}),
        ...(options.namespace !== undefined ? { namespace: options.namespace } : {}),
        ...(options.prefix !== undefined ? { prefix: options.prefix } : {}),
    };
}
/** The decoded object, with resourceVersion filled in as the API server would. */
function readableObject(value) {
    const decoded = (0,_core_snapshot_index_js__WEBPACK_IMPORTED_MODULE_1__/* .decodeValue */ .wz)(value.value);
    if (decoded.encoding === "protobuf") {
        decoded.metadata = { ...decoded.metadata, resourceVersion: String(value.modRevision) };
    }
    return decoded;
}
function printKey(file, key, options, stringify) {
    const value = (0,_core_snapshot_index_js__WEBPACK_IMPORTED_MODULE_1__/* .readSnapshotKey */ .ET)(file, key);
    if (!value) {
        throw new _core_snapshot_index_js__WEBPACK_IMPORTED_MODULE_1__/* .SnapshotError */ .JC(`${file}: key ${key} is not in this snapshot (it never existed, or was deleted before the snapshot). ` +
            `List what is there with: snapshot ls ${file} --prefix <start of the key>`, file);
    }
    if (options.raw) {
        process.stdout.write(value.value);
        return;
    }
    const { value: bytes, ...facts } = value;
    const decoded = readableObject(value);
    if (options.output === "json")
        return printJson({ ...facts, decoded });
    process.stdout.write(`# ${facts.key}\n# create revision ${facts.createRevision}, mod revision ${facts.modRevision}, ` +
        `version ${facts.version}${facts.lease ? `, lease ${facts.lease}` : ""}, ${bytes.length} bytes, ${encodingText(facts)}\n`);
    process.stdout.write(readableText(decoded, stringify));
}
function readableText(decoded, stringify) {
    switch (decoded.encoding) {
        case "json":
            return stringify(decoded.object);
        case "protobuf": {
            const { apiVersion, kind, metadata, undecodedFields } = decoded;
            const fields = undecodedFields
                .map((field) => `field ${field.field} (${field.bytes} bytes)`)
                .join(", ");
            return (stringify({ apiVersion, kind, metadata }) +
                (fields ? `# not decoded (needs the ${kind} schema): ${fields}\n` : ""));
        }
        case "encrypted":
            return (`# encrypted at rest by provider ${decoded.encryption.provider} ${decoded.encryption.version}` +
                `${decoded.encryption.keyName ? `, key ${decoded.encryption.keyName}` : ""}; ` +
                `${decoded.ciphertextBytes} bytes of ciphertext, not decoded\n`);
        case "other":
            if (decoded.problem)
                return `# ${decoded.problem}\n`;
            return decoded.text !== undefined
                ? `${decoded.text}\n`
                : `# ${decoded.bytes} bytes of binary data; use --raw\n`;
    }
}
function printDiff(from, to, options) {
    const diff = (0,_core_snapshot_index_js__WEBPACK_IMPORTED_MODULE_1__/* .diffSnapshots */ .V1)(from, to, filtersOf(options));
    if (options.output === "json")
        return printJson(diff);
    process.stdout.write(`from ${diff.from.file} (revision ${diff.from.revision}, ${diff.from.keys} keys)\n` +
        `to   ${diff.to.file} (revision ${diff.to.revision}, ${diff.to.keys} keys)\n\n`);
    const rows = [
        ...diff.added.map((entry) => ["added", entry.key, "-", entry.modRevision]),
        ...diff.removed.map((entry) => ["removed", entry.key, entry.modRevision, "-"]),
        ...diff.changed.map((entry) => [
            entry.valueChanged ? "changed" : "rewritten",
            entry.key,
            entry.fromModRevision,
            entry.toModRevision,
        ]),
    ];
    if (rows.length > 0)
        process.stdout.write(renderTable(["CHANGE", "KEY", "REV IN A", "REV IN B"], rows) + "\n");
    process.stdout.write(renderTable(["RESOURCE", "ADDED", "REMOVED", "CHANGED"], diff.resources.map((count) => [count.resource, count.added, count.removed, count.changed])));
    process.stdout.write(`\n${diff.added.length} added, ${diff.removed.length} removed, ${diff.changed.length} changed, ${diff.unchanged} unchanged\n`);
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


/***/ })

};
