export const id = 816;
export const ids = [816];
export const modules = {

/***/ 21816:
/***/ ((__unused_webpack___webpack_module__, __webpack_exports__, __webpack_require__) => {

// ESM COMPAT FLAG
__webpack_require__.r(__webpack_exports__);

// EXPORTS
__webpack_require__.d(__webpack_exports__, {
  historyJson: () => (/* binding */ historyJson),
  historyTables: () => (/* binding */ historyTables),
  parseHistoryFlags: () => (/* binding */ parseHistoryFlags),
  registerHistoryCommands: () => (/* binding */ registerHistoryCommands)
});

// EXTERNAL MODULE: ./.build/compile/src/core/errors.js
var errors = __webpack_require__(51222);
// EXTERNAL MODULE: ./.build/compile/src/core/storage/layout.js
var layout = __webpack_require__(50721);
// EXTERNAL MODULE: ./.build/compile/src/core/storage/manifest.js
var storage_manifest = __webpack_require__(36750);
;// CONCATENATED MODULE: ./.build/compile/src/core/audit/history.js
/**
 * A cluster's backup history, read from the manifests alone (never a payload): the points
 * the job summary charts and the `history` command lists, and the two warnings an operator
 * wants before etcd refuses writes: a database close to its quota, and one growing fast.
 * Pure functions: the caller lists the store and reads the member's quota.
 */




/** Above this share of the quota the summary warns: etcd raises NOSPACE at 100%. */
const QUOTA_WARNING_SHARE = 0.8;
/** Growth above this ratio within GROWTH_WINDOW_MS warns. */
const GROWTH_WARNING_RATIO = 1.5;
const GROWTH_WINDOW_MS = (/* unused pure expression or super */ null && (7 * 86_400_000));
/** How many of the newest backups a chart shows (warnings look at every listed backup). */
const DEFAULT_CHART_POINTS = 20;
function historyPoint(location, manifest) {
    const encryption = manifest.payload.encryption;
    return {
        cluster: manifest.cluster,
        kind: manifest.kind,
        timestamp: manifest.timestamp,
        createdAt: new Date(manifest.createdAt),
        uri: location.uri,
        ...(manifest.etcd?.revision !== undefined ? { revision: manifest.etcd.revision } : {}),
        ...(manifest.etcd?.keyCount !== undefined ? { keys: manifest.etcd.keyCount } : {}),
        sizeBytes: manifest.payload.plaintext.bytes,
        storedBytes: manifest.payload.stored.bytes,
        encryption: encryption.method === "age"
            ? `age (${encryption.recipients.length} recipient${encryption.recipients.length === 1 ? "" : "s"})`
            : "none",
        ...(manifest.source.member ? { member: manifest.source.member } : {}),
        ...(manifest.source.node ? { node: manifest.source.node } : {}),
    };
}
/** What a store's `list` returned, as history points; a damaged manifest is set aside, named. */
function readHistory(listed) {
    const history = { points: [], unreadable: [] };
    for (const { location, manifest } of listed) {
        try {
            history.points.push(historyPoint(location, (0,storage_manifest/* parseManifest */.Ng)(manifest, location.uri)));
        }
        catch (error) {
            history.unreadable.push({ uri: location.uri, reason: (0,errors/* errorMessage */.gJ)(error) });
        }
    }
    history.points.sort((a, b) => a.timestamp.localeCompare(b.timestamp));
    return history;
}
/** The warnings for the newest backup of one cluster and kind, each one line. */
function historyWarnings(points, quota) {
    const newest = points.at(-1);
    // A PKI archive has no quota, and its size says nothing of the database's.
    if (!newest || isPkiKind(newest.kind))
        return [];
    const warnings = [];
    if (quota && newest.sizeBytes > QUOTA_WARNING_SHARE * quota.bytes) {
        const percent = Math.floor((100 * newest.sizeBytes) / quota.bytes);
        warnings.push(`${newest.cluster}: the database (${formatBytes(newest.sizeBytes)}) is at ${percent}% of its quota (${formatBytes(quota.bytes)}, ${quota.source}); at 100% etcd refuses every write: compact and defragment it, or raise --quota-backend-bytes.`);
    }
    const growth = weeklyGrowth(points);
    if (growth && growth.ratio > GROWTH_WARNING_RATIO) {
        warnings.push(`${newest.cluster}: the database grew ${Math.round((growth.ratio - 1) * 100)}% within a week (${formatBytes(growth.from.sizeBytes)} on ${shortTime(growth.from.createdAt)} to ${formatBytes(newest.sizeBytes)} on ${shortTime(newest.createdAt)} UTC); check what writes so much before the quota is reached.`);
    }
    return warnings;
}
/**
 * The newest backup's size against the oldest backup of the week before it: the net growth
 * over the week (a dip after a defragmentation in between is not counted as growth).
 */
function weeklyGrowth(points) {
    const newest = points.at(-1);
    if (!newest || points.length < 2)
        return undefined;
    const since = newest.createdAt.getTime() - GROWTH_WINDOW_MS;
    const from = points.find((point) => point !== newest && point.createdAt.getTime() >= since);
    if (!from || from.sizeBytes === 0)
        return undefined;
    return { from, ratio: newest.sizeBytes / from.sizeBytes };
}
/** A unit that keeps the largest value readable, for a chart's axis. */
function sizeUnit(maxBytes) {
    const units = ["B", "KiB", "MiB", "GiB", "TiB"];
    let index = 0;
    while (index < units.length - 1 && maxBytes >= 1024 ** (index + 1))
        index++;
    return { name: units[index], bytes: 1024 ** index };
}
/** `MM-DD HH:MM` in UTC: short enough for a chart's axis; seconds only when needed apart. */
function axisLabels(points) {
    const minutes = points.map((point) => shortTime(point.createdAt));
    if (new Set(minutes).size === minutes.length)
        return minutes;
    return points.map((point) => point.createdAt.toISOString().slice(5, 19).replace("T", " "));
}
function shortTime(time) {
    return time.toISOString().slice(5, 16).replace("T", " ");
}
function sizeMeasure(cluster, points) {
    const unit = sizeUnit(Math.max(0, ...points.map((point) => point.sizeBytes)));
    return {
        title: `${cluster}: ${points[0] && isPkiKind(points[0].kind) ? "PKI archive size" : "database size"}`,
        axis: unit.name,
        labels: axisLabels(points),
        values: points.map((point) => round(point.sizeBytes / unit.bytes, 2)),
    };
}
/** Key counts of the backups that recorded one (a manifest without etcd facts has none). */
function keysMeasure(cluster, points) {
    const counted = points.filter((point) => point.keys !== undefined);
    return {
        title: `${cluster}: keys`,
        axis: "keys",
        labels: axisLabels(counted),
        values: counted.map((point) => point.keys),
    };
}
function round(value, digits) {
    const factor = 10 ** digits;
    return Math.round(value * factor) / factor;
}
/** A Mermaid `xychart-beta` block: one line, one y-axis from 0. */
function mermaidChart(measure) {
    const top = Math.max(1, ...measure.values);
    // Headroom above the highest point, rounded so the axis reads cleanly.
    const axisTop = niceCeiling(top * 1.1);
    return [
        "```mermaid",
        "xychart-beta",
        `  title "${mermaidText(measure.title)}"`,
        `  x-axis [${measure.labels.map((label) => `"${mermaidText(label)}"`).join(", ")}]`,
        `  y-axis "${mermaidText(measure.axis)}" 0 --> ${axisTop}`,
        `  line [${measure.values.join(", ")}]`,
        "```",
    ].join("\n");
}
/** Rounded up to two significant digits: 1007 -> 1100, 20.9 -> 21. */
function niceCeiling(value) {
    const step = 10 ** (Math.floor(Math.log10(value)) - 1);
    return round(Math.ceil(value / step) * step, 6);
}
/** Mermaid strings end at a double quote; nothing else in them needs escaping. */
function mermaidText(text) {
    return text.replace(/"/g, "'");
}
/** The chart's points as a table, so the numbers are there wherever the chart is not drawn. */
function measureTable(measure) {
    return [
        `| backup (UTC) | ${measure.axis} |`,
        "| --- | ---: |",
        ...measure.labels.map((label, index) => `| ${label} | ${measure.values[index]} |`),
    ].join("\n");
}
/**
 * One cluster's section of the job summary: its warnings first (one line each), then size
 * and key count as a chart each, each followed by its table.
 */
function trendMarkdown(cluster, history, options = {}) {
    const lines = [`#### ${cluster}: the last backups`, ""];
    const warnings = historyWarnings(history.points, options.quota);
    for (const warning of warnings)
        lines.push(`> ⚠️ ${warning}`, "");
    const shown = history.points.slice(-(options.chartPoints ?? DEFAULT_CHART_POINTS));
    if (shown.length === 0) {
        lines.push("No backup of this cluster is listed at the destination yet.", "");
    }
    else {
        for (const measure of [sizeMeasure(cluster, shown), keysMeasure(cluster, shown)]) {
            if (measure.values.length === 0)
                continue;
            lines.push(mermaidChart(measure), "", measureTable(measure), "");
        }
    }
    if (history.unreadable.length) {
        lines.push(`${history.unreadable.length} listed backup(s) left out: their manifest could not be read (${history.unreadable.map((entry) => entry.uri).join(", ")}).`, "");
    }
    return lines.join("\n");
}

// EXTERNAL MODULE: ./.build/compile/src/core/etcd/profiles.js
var profiles = __webpack_require__(71848);
// EXTERNAL MODULE: ./.build/compile/src/core/format.js
var format = __webpack_require__(44714);
// EXTERNAL MODULE: ./.build/compile/src/core/log/logger.js
var log_logger = __webpack_require__(35470);
// EXTERNAL MODULE: ./.build/compile/src/core/redact.js
var redact = __webpack_require__(79148);
// EXTERNAL MODULE: ./.build/compile/src/core/run-context.js
var run_context = __webpack_require__(15470);
// EXTERNAL MODULE: ./.build/compile/src/cli/backup.js
var backup = __webpack_require__(1676);
;// CONCATENATED MODULE: ./.build/compile/src/cli/history.js







function registerHistoryCommands(program) {
    program
        .command("history")
        .description("List the backups at a destination per cluster, newest first, from their manifests: the URI to give a restore.")
        .option("--destination <uri>", "file:///absolute/folder or s3://bucket/prefix")
        .option("--cluster <name>", "only this cluster (admin, or a user cluster's name)")
        .option("--s3-endpoint <url>", "an S3-compatible endpoint (MinIO...); path-style URLs")
        .option("-o, --output <format>", "table for people, json for scripts", "table")
        .exitOverride(backup.exitOnUsageError)
        .action(async (flags) => {
        process.exitCode = await historyCommand(flags, process.env);
    });
}
/** Checks every flag without touching the destination; each problem names its flag. */
function parseHistoryFlags(flags, env) {
    (0,backup.refuseSecretsInFlags)(flags);
    if (!flags.destination?.trim()) {
        throw new backup.FlagError("--destination is required: expected file:///absolute/folder or s3://bucket/prefix, where the backups were stored.");
    }
    const destination = (0,backup.terminalDestinationFlag)(flags.destination, env);
    const cluster = flags.cluster?.trim();
    if (cluster !== undefined && !(0,profiles/* isValidClusterName */.oO)(cluster)) {
        throw new backup.FlagError(`--cluster: ${(0,redact/* quoteValue */.cl)(flags.cluster ?? "")} is not a cluster name; expected admin or a user cluster's name (its namespace: lower-case letters, digits and '-').`);
    }
    if (flags.output !== "table" && flags.output !== "json") {
        throw new backup.FlagError(`--output: ${(0,redact/* quoteValue */.cl)(flags.output)} is not known; expected table or json.`);
    }
    return {
        destination,
        ...(cluster ? { cluster } : {}),
        ...(0,backup.s3EndpointFlag)(flags.s3Endpoint),
        output: flags.output,
    };
}
async function historyCommand(flags, env) {
    let request;
    try {
        request = parseHistoryFlags(flags, env);
    }
    catch (error) {
        process.stderr.write(`error: ${(0,backup.cliMessage)(error)}\n`);
        return backup.EXIT_BAD_FLAG;
    }
    const logger = (0,log_logger/* consoleLogger */.k)();
    let history;
    try {
        const store = await (0,backup.openStoreFor)(request, logger, (0,run_context/* runContextFromEnvironment */.aD)(env));
        history = readHistory(await store.list(request.cluster ? { cluster: request.cluster } : {}));
    }
    catch (error) {
        logger.error(`The backups at ${request.destination.uri} could not be listed: ${(0,backup.cliMessage)(error)}`);
        return backup.EXIT_FAILED;
    }
    for (const entry of history.unreadable) {
        logger.warning(`Left out ${entry.uri}: ${entry.reason}`);
    }
    process.stdout.write(request.output === "json" ? historyJson(history) : historyTables(history));
    if (history.points.length === 0) {
        logger.error(`No backup${request.cluster ? ` of ${request.cluster}` : ""} is listed at ${request.destination.uri}${history.unreadable.length ? ` (${history.unreadable.length} with an unreadable manifest)` : ""}; check the destination (and --cluster).`);
        return backup.EXIT_FAILED;
    }
    return 0;
}
/** Newest first: the backup an operator most likely wants is on top. */
function newestFirst(points) {
    return [...points].sort((a, b) => b.timestamp.localeCompare(a.timestamp));
}
/** One table per cluster and kind, in name order. */
function historyTables(history) {
    const groups = new Map();
    for (const point of history.points) {
        const key = `${point.cluster} (${point.kind})`;
        groups.set(key, [...(groups.get(key) ?? []), point]);
    }
    return [...groups.keys()]
        .sort()
        .map((key) => {
        const rows = newestFirst(groups.get(key)).map((point) => [
            point.createdAt.toISOString().replace(/\.\d{3}Z$/, "Z"),
            point.revision ?? "-",
            point.keys ?? "-",
            (0,format/* formatBytes */.z)(point.sizeBytes),
            (0,format/* formatBytes */.z)(point.storedBytes),
            point.encryption,
            point.member ? `${point.member}${point.node ? ` (${point.node})` : ""}` : "-",
            point.uri,
        ]);
        return `${key}\n${(0,backup.renderTable)(["TIMESTAMP", "REVISION", "KEYS", "SIZE", "STORED", "ENCRYPTION", "MEMBER (NODE)", "URI"], rows)}`;
    })
        .join("\n");
}
/** For scripts: every backup, newest first, sizes in bytes. */
function historyJson(history) {
    const backups = newestFirst(history.points).map((point) => ({
        cluster: point.cluster,
        kind: point.kind,
        timestamp: point.timestamp,
        createdAt: point.createdAt.toISOString(),
        revision: point.revision ?? null,
        keys: point.keys ?? null,
        size: point.sizeBytes,
        storedSize: point.storedBytes,
        encryption: point.encryption,
        member: point.member ?? null,
        node: point.node ?? null,
        uri: point.uri,
    }));
    return `${JSON.stringify(backups, null, 2)}\n`;
}


/***/ })

};
