export const id = 646;
export const ids = [646,492];
export const modules = {

/***/ 6299:
/***/ ((__unused_webpack___webpack_module__, __webpack_exports__, __webpack_require__) => {

/* harmony export */ __webpack_require__.d(__webpack_exports__, {
/* harmony export */   $H: () => (/* binding */ snapshotRestore),
/* harmony export */   Nf: () => (/* binding */ parseEndpointStatus),
/* harmony export */   dv: () => (/* binding */ DEFAULT_REVISION_BUMP),
/* harmony export */   mg: () => (/* binding */ endpointStatusJson),
/* harmony export */   n$: () => (/* binding */ countKeysArgs),
/* harmony export */   ol: () => (/* binding */ snapshotSave),
/* harmony export */   wK: () => (/* binding */ parseKeyCount),
/* harmony export */   yW: () => (/* binding */ etcdctl)
/* harmony export */ });
/* unused harmony exports endpointHealth, restoreHelpOffersBump */
/** `etcdctl --endpoints=... --cacert=... --cert=... --key=... <args>` */
function etcdctl(profile, ...args) {
    const { caPath, certPath, keyPath } = profile.certificates;
    return [
        "etcdctl",
        `--endpoints=${profile.endpoint}`,
        `--cacert=${caPath}`,
        `--cert=${certPath}`,
        `--key=${keyPath}`,
        ...args,
    ];
}
const endpointHealth = (profile) => etcdctl(profile, "endpoint", "health", "--command-timeout=10s");
const endpointStatusJson = (profile) => etcdctl(profile, "endpoint", "status", "-w", "json", "--command-timeout=10s");
const snapshotSave = (profile, path) => etcdctl(profile, "snapshot", "save", path);
/**
 * `get "" --prefix --keys-only --limit=1 -w json`, at a revision if given: the key count and the
 * current revision without listing the keys (parse with parseKeyCount). Arguments only: the
 * caller adds etcdctl and its certificates (etcdctl() or a node's own container).
 */
function countKeysArgs(revision) {
    const at = revision === undefined ? [] : [`--rev=${revision}`];
    return ["get", "", "--prefix", "--keys-only", "--limit=1", ...at, "-w", "json"];
}
/** What countKeysArgs prints: the store's current revision and the key count. */
function parseKeyCount(json) {
    const parsed = JSON.parse(json);
    return { revision: Number(parsed.header?.revision), keys: Number(parsed.count ?? 0) };
}
/** Parses `etcdctl endpoint status -w json` (3.4: an array of {Endpoint, Status}). */
function parseEndpointStatus(json) {
    let parsed;
    try {
        parsed = JSON.parse(json);
    }
    catch {
        throw new Error(`etcdctl endpoint status printed something that is not JSON: ${json.slice(0, 200)}`);
    }
    const first = Array.isArray(parsed) ? parsed[0] : parsed;
    const status = first?.Status;
    const header = status?.header;
    if (!status || !header) {
        throw new Error(`etcdctl endpoint status printed no status: ${json.slice(0, 200)}`);
    }
    // etcdctl's JSON prints uint64 ids as numbers beyond 2^53; the ids are only compared.
    const idText = (name, value) => {
        const match = new RegExp(`"${name}":\\s*(\\d+)`).exec(json);
        return match?.[1] ?? String(value);
    };
    return {
        memberId: idText("member_id", header.member_id),
        leaderId: idText("leader", status.leader),
        revision: Number(header.revision),
        dbSize: Number(status.dbSize),
        raftTerm: Number(header.raft_term),
        version: String(status.version),
    };
}
/** What etcd's recovery guide and OpenShift bump by, so every watch cache relists. */
const DEFAULT_REVISION_BUMP = 1_000_000_000;
/**
 * `snapshot restore` for one member, with every value that decides its member and cluster
 * ID given explicitly (the runbook's nameless single-member restore leaves
 * `http://localhost:2380` as the peer URL). Never `--skip-hash-check`: a file from
 * `snapshot save` carries a sha256 trailer, and restore must check it.
 */
function snapshotRestore(tool, snapshotPath, options) {
    const { member } = options;
    return [
        tool,
        "snapshot",
        "restore",
        snapshotPath,
        `--name=${member.name}`,
        `--initial-cluster=${member.initialCluster}`,
        `--initial-cluster-token=${member.initialClusterToken}`,
        `--initial-advertise-peer-urls=${member.peerUrls.join(",")}`,
        `--data-dir=${options.dataDir}`,
        ...(options.bumpRevision
            ? [`--bump-revision=${options.bumpRevision}`, "--mark-compacted"]
            : []),
    ];
}
/** Whether a restore tool offers the revision bump, from its `snapshot restore --help`. */
function restoreHelpOffersBump(help) {
    return /--bump-revision\b/.test(help) && /--mark-compacted\b/.test(help);
}


/***/ }),

/***/ 16200:
/***/ ((__unused_webpack___webpack_module__, __webpack_exports__, __webpack_require__) => {

/* harmony export */ __webpack_require__.d(__webpack_exports__, {
/* harmony export */   YO: () => (/* binding */ fanOut),
/* harmony export */   Zj: () => (/* binding */ teeInto),
/* harmony export */   jH: () => (/* binding */ writeTo)
/* harmony export */ });
/* harmony import */ var node_stream__WEBPACK_IMPORTED_MODULE_0__ = __webpack_require__(57075);
/**
 * A writable that forwards every chunk to its outputs and takes the next chunk only when
 * all have taken this one (backpressure from the slower side); ending it ends both.
 *
 * It settles on every path: an output that fails or closes before it was ended fails the
 * tee (and so whatever pipeline feeds it), and a tee that fails or is destroyed destroys
 * both outputs with the same error. A write never waits for a 'drain' that cannot come.
 */

function teeInto(primary, secondary, count = () => undefined) {
    return fanOut([primary, secondary], count);
}
/**
 * The same for any number of outputs (a restore feeds every member at once). At the end the
 * first output is ended last: the others (a verification copy) are complete before its
 * reader sees the end.
 */
function fanOut(outputs, count = () => undefined) {
    const [first, ...others] = outputs;
    const tee = new node_stream__WEBPACK_IMPORTED_MODULE_0__.Writable({
        highWaterMark: 1024 * 1024,
        write(chunk, _encoding, done) {
            count(chunk.length);
            Promise.all(outputs.map((output) => writeTo(output, chunk))).then(() => done(), done);
        },
        final(done) {
            Promise.all(others.map(endOf))
                .then(() => (first ? endOf(first) : undefined))
                .then(() => done(), done);
        },
        destroy(error, done) {
            const cause = error ?? new Error("the stream was stopped before it ended");
            for (const output of outputs)
                if (!output.writableFinished)
                    output.destroy(cause);
            done(error);
        },
    });
    for (const output of outputs)
        failWith(tee, output);
    return tee;
}
/** An output that errors, or closes before it finished, fails the tee with its error. */
function failWith(tee, output) {
    (0,node_stream__WEBPACK_IMPORTED_MODULE_0__.finished)(output, { readable: false }, (error) => {
        if (error && !tee.destroyed)
            tee.destroy(error);
    });
}
/** Resolves once the stream took the chunk; rejects if it fails or is gone before that. */
function writeTo(stream, chunk) {
    return new Promise((resolve, reject) => {
        if (stream.destroyed || stream.writableEnded) {
            reject(gone(stream));
            return;
        }
        if (stream.write(chunk))
            return resolve();
        const cleanUp = () => {
            stream.off("drain", onDrain);
            stream.off("error", onError);
            stream.off("close", onClose);
        };
        const onDrain = () => {
            cleanUp();
            resolve();
        };
        const onError = (error) => {
            cleanUp();
            reject(error);
        };
        // Destroyed without an error: no 'drain' and no 'error' will ever come.
        const onClose = () => {
            cleanUp();
            reject(stream.errored ?? gone(stream));
        };
        stream.on("drain", onDrain);
        stream.on("error", onError);
        stream.on("close", onClose);
    });
}
/** Ends the stream and resolves once everything written reached it; rejects if it fails first. */
function endOf(stream) {
    return new Promise((resolve, reject) => {
        if (stream.writableFinished)
            return resolve();
        if (stream.destroyed)
            return reject(stream.errored ?? gone(stream));
        (0,node_stream__WEBPACK_IMPORTED_MODULE_0__.finished)(stream, { readable: false }, (error) => (error ? reject(error) : resolve()));
        stream.end();
    });
}
function gone(stream) {
    return (stream.errored ??
        Object.assign(new Error("the output was closed before all data was written to it"), {
            code: "ERR_STREAM_PREMATURE_CLOSE",
        }));
}


/***/ }),

/***/ 49513:
/***/ ((__unused_webpack___webpack_module__, __webpack_exports__, __webpack_require__) => {

/* harmony export */ __webpack_require__.d(__webpack_exports__, {
/* harmony export */   cw: () => (/* binding */ Plan),
/* harmony export */   zq: () => (/* binding */ PlanRun)
/* harmony export */ });
/* unused harmony export JournalWriteError */
/* harmony import */ var _core_errors_js__WEBPACK_IMPORTED_MODULE_0__ = __webpack_require__(51222);
/**
 * A plan is the program. A procedure declares its steps once (name, purpose, the runbook
 * command an operator would have typed, what the step does to the world, and the condition
 * it runs under); `dry-run` prints that declaration, and a real run executes exactly it,
 * in order: a `PlanRun` refuses a step that is not planned or comes out of order, reports
 * every planned step as done, failed or skipped (with the reason), and never one that was
 * not planned. With a `Journal` it is write-ahead: a step that changes anything is recorded
 * before it acts and again when it finished, so a rerun continues instead of starting blind.
 */

class Plan {
    title;
    steps;
    index = new Map();
    constructor(
    /** What the plan does, e.g. `back up etcd of uc1 to folder /backups`. */
    title, steps) {
        this.title = title;
        this.steps = steps;
        steps.forEach((step, position) => {
            if (this.index.has(step.name)) {
                throw new Error(`the plan "${title}" declares step ${step.name} twice`);
            }
            this.index.set(step.name, position);
        });
    }
    positionOf(name) {
        const position = this.index.get(name);
        if (position === undefined) {
            throw new Error(`step ${name} is not in the plan "${this.title}"; a run executes only planned steps`);
        }
        return position;
    }
    /** The plan as `dry-run` prints it: numbered steps, their effect, condition and runbook command. */
    lines() {
        const lines = [`Plan: ${this.title}`];
        this.steps.forEach((step, position) => {
            const condition = step.onlyWhen ? `; only ${step.onlyWhen}` : "";
            lines.push(`  ${position + 1}. ${step.name} [${step.effect}${condition}]: ${step.purpose}`);
            if (step.runbook)
                lines.push(`       $ ${step.runbook}`);
        });
        return lines;
    }
    print(logger) {
        for (const line of this.lines())
            logger.info(line);
    }
}
/** The journal could not be written: the run stops, so that it never acts unrecorded. */
class JournalWriteError extends Error {
    name = "JournalWriteError";
}
class PlanRun {
    plan;
    options;
    /** Every planned step reported so far, in plan order. */
    log = [];
    cursor = 0;
    failure;
    earlier;
    intents = new Map();
    constructor(plan, options, earlier) {
        this.plan = plan;
        this.options = options;
        this.earlier = earlier;
    }
    /**
     * Starts a run of the plan. With a journal, reads what an earlier run of the same work
     * recorded (steps that changed something and finished are not repeated) and records that
     * this run began.
     */
    static async start(plan, options) {
        const { journal, ...rest } = options;
        const run = new PlanRun(plan, rest, []);
        if (journal)
            await run.attachJournal(journal, options.identity);
        return run;
    }
    /**
     * Starts journaling: reads what an earlier run of the same work recorded and records that
     * this run began. For a procedure that learns where its journal lives from its first
     * `reads` steps (the admin restore keeps it on the node, beside the data dir it reads from
     * the etcd manifest); refused once a step that changes anything has run.
     */
    async attachJournal(journal, identity) {
        if (this.options.journal)
            throw new Error("the run already has a journal");
        if (this.log.some((record) => this.plan.steps[this.plan.positionOf(record.step)].effect !== "reads")) {
            throw new Error("a journal is attached before any step that changes something runs");
        }
        const earlier = await journal.read();
        const begun = earlier.find((entry) => entry.event === "begin");
        if (begun && !sameIdentity(begun.data, identity)) {
            throw new Error(`the journal ${journal.description} belongs to other work (${describeIdentity(begun.data)}), not to ${describeIdentity(identity)}: finish or undo that work first, or remove the journal if it is known to be finished.`);
        }
        this.options = { ...this.options, journal, ...(identity ? { identity } : {}) };
        this.earlier.push(...earlier);
        if (!begun)
            await this.append({ step: "", event: "begin", data: identity ?? {} });
        const owner = this.options.owner;
        if (owner)
            await this.append({ step: "", event: "run", data: { owner } });
        if (begun) {
            const done = earlier.filter((entry) => entry.event === "done").map((entry) => entry.step);
            this.options.logger.info(`Continuing the work recorded in ${journal.description}${done.length ? `: already done ${done.join(", ")}` : ""}.`);
        }
    }
    get dryRun() {
        return this.options.dryRun ?? false;
    }
    get failed() {
        return this.failure !== undefined;
    }
    /**
     * Records that the run failed outside any step (a check between steps, a journal write):
     * the steps not reached are then reported as such, and a step meant for failures may run.
     */
    fail(error) {
        this.failure ??= `the run failed: ${(0,_core_errors_js__WEBPACK_IMPORTED_MODULE_0__/* .errorMessage */ .gJ)(error)}`;
    }
    /** Whether `step` finished, in this run or an earlier one. */
    isDone(step) {
        return (this.earlierEntry(step, "done") !== undefined ||
            this.log.some((record) => record.step === step && record.outcome === "done"));
    }
    /** What this run or an earlier one recorded it was about to change in `step`, if any. */
    intentOf(step) {
        return this.intents.get(step) ?? this.earlierEntry(step, "intent")?.data;
    }
    /** Whether an earlier run, or this one, began `step` (a change step: it journals its start). */
    hasStarted(step) {
        return (this.earlierEntry(step, "started") !== undefined ||
            this.log.some((record) => record.step === step && record.outcome !== "skipped"));
    }
    /** Runs one planned step: logs its start and end, journals it, rethrows a failure. */
    async run(name, body, describe) {
        const declaration = this.advanceTo(name);
        const { logger } = this.options;
        if (this.dryRun && declaration.effect !== "reads") {
            throw new Error(`step ${name} ${declaration.effect === "changes" ? "changes" : "is the point of no return"}, and this is a dry run; a procedure stops before such steps in a dry run`);
        }
        const startedAt = new Date();
        const finishedEarlier = this.earlierEntry(name, "done");
        if (finishedEarlier && declaration.effect !== "reads") {
            const detail = `done in an earlier run (${finishedEarlier.at})`;
            this.report(name, "done", startedAt, detail);
            logger.info(`✔ ${name}: ${detail}`);
            return finishedEarlier.data;
        }
        logger.info(`▶ ${name}: ${declaration.purpose}`);
        const changes = declaration.effect !== "reads";
        if (changes)
            await this.append({ step: name, event: "started" });
        const context = this.contextFor(name);
        let result;
        try {
            result = await body(context);
        }
        catch (error) {
            const detail = (0,_core_errors_js__WEBPACK_IMPORTED_MODULE_0__/* .errorMessage */ .gJ)(error);
            this.failure ??= `${name} failed`;
            this.report(name, "failed", startedAt, detail);
            // Logged, not annotated: the run reports each failure once, as one error, at its end.
            logger.info(`✘ ${name} (${elapsed(startedAt)}): ${detail}`);
            if (changes)
                await this.append({ step: name, event: "failed", detail }).catch(() => undefined);
            throw error;
        }
        if (changes)
            await this.append({ step: name, event: "done", data: result });
        const detail = describe?.(result);
        this.report(name, "done", startedAt, detail);
        logger.info(`✔ ${name} (${elapsed(startedAt)})${detail ? `: ${detail}` : ""}`);
        return result;
    }
    /** Reports a conditional step as skipped, with the reason its condition does not hold. */
    skip(name, reason) {
        const declaration = this.advanceTo(name);
        if (!declaration.onlyWhen && !this.failed && !this.dryRun) {
            throw new Error(`step ${name} is unconditional in the plan "${this.plan.title}"; only a step declared with a condition can be skipped`);
        }
        this.report(name, "skipped", new Date(), reason);
        this.options.logger.info(`○ ${name}: skipped, ${reason}`);
    }
    /**
     * Ends the run: every planned step not yet reported is reported as skipped (after a
     * failure, or in a dry run). A step that neither ran nor was skipped in a run that did
     * not fail is a bug in the procedure, and says so.
     */
    finish() {
        while (this.cursor < this.plan.steps.length) {
            const step = this.plan.steps[this.cursor];
            this.skipUnreached(step);
            this.cursor++;
        }
        return this.log;
    }
    advanceTo(name) {
        const position = this.plan.positionOf(name);
        if (position < this.cursor) {
            throw new Error(`step ${name} comes before the step last reported in the plan "${this.plan.title}"; a run executes each planned step once, in order`);
        }
        while (this.cursor < position) {
            this.skipUnreached(this.plan.steps[this.cursor]);
            this.cursor++;
        }
        this.cursor++;
        return this.plan.steps[position];
    }
    skipUnreached(step) {
        const reason = this.failure
            ? `not reached: ${this.failure}`
            : this.dryRun
                ? "dry run: nothing is changed"
                : undefined;
        if (!reason) {
            throw new Error(`step ${step.name} of the plan "${this.plan.title}" was neither run nor skipped; a procedure reports every planned step`);
        }
        this.report(step.name, "skipped", new Date(), reason);
    }
    report(step, outcome, startedAt, detail) {
        this.log.push({
            step,
            outcome,
            startedAt: startedAt.toISOString(),
            durationMs: Date.now() - startedAt.getTime(),
            ...(detail ? { detail } : {}),
        });
    }
    contextFor(name) {
        const earlierIntent = this.earlierEntry(name, "intent")?.data;
        return {
            earlierIntent,
            intend: async (intent) => {
                if (earlierIntent !== undefined)
                    return earlierIntent;
                await this.append({ step: name, event: "intent", data: intent });
                this.intents.set(name, intent);
                return intent;
            },
        };
    }
    earlierEntry(step, event) {
        return this.earlier.find((entry) => entry.step === step && entry.event === event);
    }
    async append(entry) {
        const journal = this.options.journal;
        if (!journal)
            return;
        try {
            await journal.append({ ...entry, at: new Date().toISOString() });
        }
        catch (error) {
            this.fail(error);
            throw new JournalWriteError(`the journal ${journal.description} could not be written (${(0,_core_errors_js__WEBPACK_IMPORTED_MODULE_0__/* .errorMessage */ .gJ)(error)}); the run stops rather than act unrecorded. Free the journal's location and rerun: the rerun continues from what was recorded.`, { cause: error });
        }
    }
}
function sameIdentity(recorded, identity) {
    return JSON.stringify(sortedEntries(recorded)) === JSON.stringify(sortedEntries(identity ?? {}));
}
function sortedEntries(value) {
    if (!value || typeof value !== "object")
        return [];
    return Object.entries(value).sort(([a], [b]) => a.localeCompare(b));
}
function describeIdentity(value) {
    const entries = sortedEntries(value);
    return entries.length
        ? entries.map(([key, item]) => `${key} ${String(item)}`).join(", ")
        : "no identity";
}
function elapsed(since) {
    const ms = Date.now() - since.getTime();
    return ms < 1000 ? `${ms} ms` : `${(ms / 1000).toFixed(1)} s`;
}


/***/ })

};
