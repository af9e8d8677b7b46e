export const id = 472;
export const ids = [472];
export const modules = {

/***/ 52425:
/***/ ((__unused_webpack___webpack_module__, __webpack_exports__, __webpack_require__) => {

/* harmony export */ __webpack_require__.d(__webpack_exports__, {
/* harmony export */   D: () => (/* binding */ SshError),
/* harmony export */   a: () => (/* binding */ RemoteCommandError)
/* harmony export */ });
class SshError extends Error {
    reason;
    constructor(reason, message) {
        super(message);
        this.name = "SshError";
        this.reason = reason;
    }
}
/** A remote command that ran and failed: the exit status and (bounded) stderr are kept. */
class RemoteCommandError extends SshError {
    exitCode;
    signal;
    stderr;
    constructor(reason, message, outcome) {
        super(reason, message);
        this.name = "RemoteCommandError";
        this.exitCode = outcome.exitCode;
        this.signal = outcome.signal;
        this.stderr = outcome.stderr;
    }
}


/***/ }),

/***/ 73472:
/***/ ((__unused_webpack___webpack_module__, __webpack_exports__, __webpack_require__) => {


// EXPORTS
__webpack_require__.d(__webpack_exports__, {
  at: () => (/* reexport */ errors/* RemoteCommandError */.a),
  DZ: () => (/* reexport */ errors/* SshError */.D),
  zB: () => (/* reexport */ UnpinnedHostKeyError),
  kq: () => (/* reexport */ compareArchiveWithListing),
  LZ: () => (/* reexport */ connectSsh),
  Al: () => (/* reexport */ pki/* listNodeFiles */.Al),
  PM: () => (/* reexport */ loadPrivateKey),
  Tr: () => (/* reexport */ parseFingerprints),
  Xr: () => (/* reexport */ parseJumpHostSpec),
  uJ: () => (/* reexport */ parseKnownHosts),
  zq: () => (/* reexport */ readArchiveEntries),
  Zx: () => (/* reexport */ pki/* streamPkiArchive */.Zx),
  zv: () => (/* reexport */ pki/* validateNodePaths */.zv)
});

// UNUSED EXPORTS: SshSession, checkNodePathsExist, execWithSudo, knownHostsLineFor, sha256Fingerprint, shellCommand, shellQuote, sudoCommand, verifyHostKey

// EXTERNAL MODULE: ./.build/compile/src/core/ssh/errors.js
var errors = __webpack_require__(52425);
// EXTERNAL MODULE: ./node_modules/ssh2/lib/index.js
var lib = __webpack_require__(85472);
// EXTERNAL MODULE: ./.build/compile/src/core/errors.js
var core_errors = __webpack_require__(51222);
// EXTERNAL MODULE: ./.build/compile/src/core/redact.js
var redact = __webpack_require__(79148);
// EXTERNAL MODULE: external "node:crypto"
var external_node_crypto_ = __webpack_require__(77598);
;// CONCATENATED MODULE: ./.build/compile/src/core/ssh/host-keys.js
/**
 * Host-key pinning: the runbook's script ran with `StrictHostKeyChecking=no`, so any
 * machine answering on the node's address got the session (and the cluster's CA keys).
 * Here a host key is accepted only when it matches a pinned known_hosts line or a pinned
 * SHA256 fingerprint, or when the caller explicitly accepts an unknown key.
 */



/** `SHA256:<unpadded base64 of sha256(key blob)>`, exactly as `ssh-keygen -l` prints it. */
function sha256Fingerprint(keyBlob) {
    return `SHA256:${(0,external_node_crypto_.createHash)("sha256").update(keyBlob).digest("base64").replace(/=+$/, "")}`;
}
/** Reads the key type (the first SSH string) out of a wire-format public key blob. */
function keyTypeOfBlob(keyBlob) {
    if (keyBlob.length < 4)
        return "unknown";
    const length = keyBlob.readUInt32BE(0);
    if (length > keyBlob.length - 4 || length > 64)
        return "unknown";
    return keyBlob.subarray(4, 4 + length).toString("latin1");
}
function describeSeenHostKey(keyBlob) {
    return { type: keyTypeOfBlob(keyBlob), blob: keyBlob, fingerprint: sha256Fingerprint(keyBlob) };
}
/** The name OpenSSH looks up in known_hosts: `host` on port 22, `[host]:port` elsewhere. */
function knownHostsName(endpoint) {
    return endpoint.port === 22 ? endpoint.host : `[${endpoint.host}]:${endpoint.port}`;
}
/** The known_hosts line that would pin this key for this endpoint (handy in error messages). */
function knownHostsLineFor(endpoint, key) {
    return `${knownHostsName(endpoint)} ${key.type} ${key.blob.toString("base64")}`;
}
const FINGERPRINT_PATTERN = /^SHA256:[A-Za-z0-9+/]{43}=?$/;
/** Checks and normalises pinned fingerprints: one clear sentence for a bad one. */
function parseFingerprints(fingerprints) {
    return fingerprints
        .map((fingerprint) => fingerprint.trim())
        .filter((fingerprint) => fingerprint !== "")
        .map((fingerprint) => {
        if (!FINGERPRINT_PATTERN.test(fingerprint)) {
            throw new core_errors/* ConfigurationError */.j1("hostKeyFingerprints", `SSH host key fingerprint ${(0,redact/* quoteValue */.cl)(fingerprint)} is not a SHA256 fingerprint; expected ` +
                `"SHA256:" followed by 43 base64 characters, as "ssh-keygen -l -E sha256 -f <host key>.pub" prints it.`);
        }
        return fingerprint.replace(/=$/, "");
    });
}
/** Parses known_hosts text; blank lines and comments are skipped, anything else must parse. */
function parseKnownHosts(lines) {
    const entries = [];
    const allLines = lines.flatMap((text) => text.split(/\r?\n/));
    allLines.forEach((rawLine, index) => {
        const line = rawLine.trim();
        if (line === "" || line.startsWith("#"))
            return;
        const fields = line.split(/\s+/);
        const marker = fields[0] === "@revoked" || fields[0] === "@cert-authority" ? fields.shift() : "";
        const [hostPatterns, keyType, keyBase64] = fields;
        const keyBlob = keyBase64 && /^[A-Za-z0-9+/]+={0,2}$/.test(keyBase64)
            ? Buffer.from(keyBase64, "base64")
            : null;
        if (!hostPatterns || !keyType || !keyBlob || keyTypeOfBlob(keyBlob) !== keyType) {
            throw new core_errors/* ConfigurationError */.j1("knownHosts", `SSH known_hosts line ${index + 1} is not a known_hosts entry; expected ` +
                `"<host patterns> <key type> <base64 key>", as "ssh-keyscan <host>" prints it.`);
        }
        entries.push({
            lineNumber: index + 1,
            marker: marker,
            hostPatterns,
            keyType,
            keyBlob,
        });
    });
    return entries;
}
/** OpenSSH's `|1|salt|hmac` form: HMAC-SHA1 of the host name keyed by the salt. */
function hashedNameMatches(hashedPattern, name) {
    const [, , saltBase64, hashBase64] = hashedPattern.split("|");
    if (!saltBase64 || !hashBase64)
        return false;
    const digest = (0,external_node_crypto_.createHmac)("sha1", Buffer.from(saltBase64, "base64"))
        .update(name)
        .digest("base64");
    return digest === hashBase64;
}
function wildcardToRegExp(pattern) {
    const escaped = pattern
        .replace(/[.+^${}()|[\]\\]/g, "\\$&")
        .replace(/\*/g, ".*")
        .replace(/\?/g, ".");
    return new RegExp(`^${escaped}$`, "i");
}
/** A comma-separated pattern list matches when some pattern does and no `!pattern` does. */
function hostPatternsMatch(hostPatterns, name) {
    if (hostPatterns.startsWith("|1|"))
        return hashedNameMatches(hostPatterns, name);
    let matched = false;
    for (const pattern of hostPatterns.split(",")) {
        const negated = pattern.startsWith("!");
        const body = negated ? pattern.slice(1) : pattern;
        if (!wildcardToRegExp(body).test(name))
            continue;
        if (negated)
            return false;
        matched = true;
    }
    return matched;
}
function entriesFor(endpoint, pins) {
    const name = knownHostsName(endpoint);
    return parseKnownHosts(pins.knownHosts ?? []).filter((entry) => hostPatternsMatch(entry.hostPatterns, name));
}
/** Decides whether a seen host key is pinned, contradicts a pin, is revoked, or is unknown. */
function verifyHostKey(endpoint, seen, pins) {
    const entries = entriesFor(endpoint, pins);
    const fingerprints = parseFingerprints(pins.fingerprints ?? []);
    if (entries.some((entry) => entry.marker === "@revoked" && entry.keyBlob.equals(seen.blob))) {
        return { kind: "revoked" };
    }
    const plainEntries = entries.filter((entry) => entry.marker === "");
    const matchingEntry = plainEntries.find((entry) => entry.keyBlob.equals(seen.blob));
    if (matchingEntry)
        return { kind: "pinned", how: `known_hosts line ${matchingEntry.lineNumber}` };
    if (fingerprints.includes(seen.fingerprint))
        return { kind: "pinned", how: "pinned fingerprint" };
    const expected = [
        ...plainEntries.map((entry) => sha256Fingerprint(entry.keyBlob)),
        ...fingerprints,
    ];
    if (expected.length > 0)
        return { kind: "mismatch", expected: [...new Set(expected)] };
    return { kind: "unknown" };
}
const HOST_KEY_ALGORITHMS_FOR_TYPE = {
    "ssh-ed25519": ["ssh-ed25519"],
    "ssh-rsa": ["rsa-sha2-512", "rsa-sha2-256", "ssh-rsa"],
    "ecdsa-sha2-nistp256": ["ecdsa-sha2-nistp256"],
    "ecdsa-sha2-nistp384": ["ecdsa-sha2-nistp384"],
    "ecdsa-sha2-nistp521": ["ecdsa-sha2-nistp521"],
};
/**
 * Host-key algorithms to offer first, as OpenSSH does: when known_hosts pins an RSA key for
 * this host, asking for ed25519 first would make a correct server look like a mismatch.
 */
function preferredHostKeyAlgorithms(endpoint, pins) {
    const types = entriesFor(endpoint, pins)
        .filter((entry) => entry.marker === "")
        .map((entry) => entry.keyType);
    return [...new Set(types.flatMap((type) => HOST_KEY_ALGORITHMS_FOR_TYPE[type] ?? []))];
}

;// CONCATENATED MODULE: ./.build/compile/src/core/ssh/keys.js
/**
 * Client keys are held in memory only (the action reads them from a Secret or an input and
 * never writes them to disk). Only the PUBLIC half's fingerprint ever reaches a message.
 */
// ssh2 is CommonJS: Node's ESM loader sees only its default export.



const PEM_OR_OPENSSH_HEADER = /-----BEGIN [A-Z0-9 ]*PRIVATE KEY-----/;
/**
 * Secret `kube-system/sshkeys` holds the key base64-encoded (field `vsphere_tmp`); accept
 * that form as well as the key text itself, so callers need not know which one they have.
 */
function keyText(key) {
    const text = Buffer.isBuffer(key) ? key.toString("utf8") : key;
    if (PEM_OR_OPENSSH_HEADER.test(text))
        return Buffer.from(text, "utf8");
    const compact = text.replace(/\s+/g, "");
    if (compact !== "" && /^[A-Za-z0-9+/]+={0,2}$/.test(compact)) {
        const decoded = Buffer.from(compact, "base64");
        if (PEM_OR_OPENSSH_HEADER.test(decoded.toString("utf8")))
            return decoded;
    }
    return Buffer.from(text, "utf8");
}
/**
 * Parses a private key (OpenSSH or PEM format: ed25519, RSA, ECDSA). `what` names the input
 * in the error, e.g. "the SSH private key" or "the jump host's private key".
 */
function loadPrivateKey(key, what, passphrase) {
    const material = keyText(key);
    if (!PEM_OR_OPENSSH_HEADER.test(material.toString("utf8"))) {
        throw new errors/* SshError */.D("bad-input", `${what} is not a private key; expected an OpenSSH ("-----BEGIN OPENSSH PRIVATE KEY-----") ` +
            `or PEM private key, or its base64 encoding as stored in secret kube-system/sshkeys.`);
    }
    const parsed = lib.utils.parseKey(material, passphrase);
    const first = Array.isArray(parsed) ? parsed[0] : parsed;
    if (!first || first instanceof Error) {
        // ssh2's parse errors describe the format ("Unsupported key format"), never the key.
        const detail = first instanceof Error ? first.message : "no key found";
        throw new errors/* SshError */.D("bad-input", `${what} could not be read: ${detail}.`);
    }
    if (!first.isPrivateKey()) {
        throw new errors/* SshError */.D("bad-input", `${what} is a public key; expected the private key.`);
    }
    return { material, type: first.type, publicFingerprint: sha256Fingerprint(first.getPublicSSH()) };
}

// EXTERNAL MODULE: external "node:stream"
var external_node_stream_ = __webpack_require__(57075);
;// CONCATENATED MODULE: ./.build/compile/src/core/ssh/command.js
/**
 * One remote command on an SSH connection. stdout is a Node stream with real backpressure
 * (ssh2 stops granting SSH window while the reader is paused, so a multi-GB tar flows in
 * constant memory); stderr is kept, bounded, for the error message; and the stream ends
 * cleanly ONLY when the command exited 0. A dropped connection or a failed command makes
 * the stream error, so a half-received archive is never mistaken for a whole one.
 *
 * A command can also be fed: `stdin` streams a Readable into the command with the same
 * backpressure (ssh2's write waits for the node's SSH window). Its end is sent as EOF only
 * when the source ended cleanly; a failed source never looks like a complete input.
 *
 * Every path settles once: `completed` rejects with the one error (and the stream carries
 * it to its reader); no event handler throws, whatever arrives after the first failure.
 */



class BoundedText {
    limit;
    chunks = [];
    kept = 0;
    dropped = 0;
    constructor(limit) {
        this.limit = limit;
    }
    add(chunk) {
        const room = this.limit - this.kept;
        if (room > 0) {
            const part = chunk.subarray(0, room);
            this.chunks.push(part);
            this.kept += part.length;
        }
        this.dropped += Math.max(0, chunk.length - Math.max(room, 0));
    }
    toString() {
        const text = Buffer.concat(this.chunks).toString("utf8").trim();
        return this.dropped > 0 ? `${text}\n(${this.dropped} more bytes of stderr not shown)` : text;
    }
}
function lastLines(text, count) {
    const lines = text.split("\n").filter((line) => line.trim() !== "");
    return lines.slice(-count).join("; ");
}
function genericFailure(context, describe, outcome) {
    const status = outcome.signal
        ? `was killed by signal ${outcome.signal}`
        : `exited with status ${outcome.exitCode}`;
    const detail = outcome.stderr
        ? `: ${lastLines(outcome.stderr, 5)}`
        : " and wrote nothing to stderr";
    return new errors/* RemoteCommandError */.a("command-failed", `${describe} on ${context.target} ${status}${detail}`, outcome);
}
function startRemoteCommand(context, command, options = {}) {
    const describe = options.describe ?? `command "${command}"`;
    const stdout = new external_node_stream_.PassThrough({ highWaterMark: 256 * 1024 });
    // `completed` carries every error to whoever awaits it; the stream's 'error' is for its
    // reader. A stream nobody reads (a caller that only awaits `completed`, or a reader that
    // already gave up) must not turn that event into a process crash.
    stdout.on("error", () => undefined);
    const stderr = new BoundedText(options.stderrLimitBytes ?? 64 * 1024);
    let settle;
    const completed = new Promise((resolve, reject) => (settle = { resolve, reject }));
    // Callers that only read the stream still get the error there; keep Node from calling an
    // awaited-elsewhere rejection "unhandled".
    completed.catch(() => undefined);
    let finished = false;
    let channel;
    const input = options.stdin ? feedInput(options.stdin, options.describeStdin) : undefined;
    const fail = (error, failOptions = {}) => {
        if (finished)
            return;
        finished = true;
        stopWatchingConnection();
        // Quietly: the stream is cut short (a premature close for any pipeline reading it) but
        // carries no error of its own: the session was closed on purpose.
        if (failOptions.quietly)
            stdout.destroy();
        else
            stdout.destroy(error);
        input?.abandon(error);
        stopRemote(channel);
        settle.reject(error);
    };
    const succeed = (outcome) => {
        if (finished)
            return;
        finished = true;
        stopWatchingConnection();
        stdout.end();
        settle.resolve(outcome);
    };
    const onConnectionLost = () => {
        if (context.closedByCaller()) {
            const cutShort = `${describe} on ${context.target} was cut short: the session was closed before it finished.`;
            return fail(new errors/* SshError */.D("command-failed", cutShort), { quietly: true });
        }
        fail(new errors/* SshError */.D("dropped", `the SSH connection to ${context.target} dropped while ${describe} was running; ` +
            `what was ${input ? "sent and " : ""}received is incomplete and must not be used. Check the node and the network, then run again.`));
    };
    // Through a jump host the node's side of the link may only half-close ("end"): that is a
    // drop too, and waiting for "close" could wait until the next keep-alive fails.
    context.client.once("end", onConnectionLost);
    context.client.once("close", onConnectionLost);
    const stopWatchingConnection = () => {
        context.client.removeListener("end", onConnectionLost);
        context.client.removeListener("close", onConnectionLost);
    };
    // A reader that gives up (a failed upload downstream) must stop the command on the node
    // too, not leave tar blocked on a full SSH window for the life of the session.
    stdout.once("close", () => fail(new errors/* SshError */.D("command-failed", `${describe} on ${context.target} was stopped before it finished.`)));
    input?.failed.then((error) => fail(new errors/* SshError */.D("command-failed", `${input.name} of ${describe} on ${context.target} failed: ${(0,core_errors/* errorMessage */.gJ)(error)}; the command was stopped before it got all of it.`)));
    context.client.exec(command, (error, openedChannel) => {
        if (error) {
            fail(new errors/* SshError */.D("command-failed", `${context.target} would not start ${describe}: ${error.message}.`));
            return;
        }
        if (finished) {
            stopRemote(openedChannel);
            return;
        }
        channel = openedChannel;
        let exit;
        openedChannel.stderr.on("data", (chunk) => stderr.add(chunk));
        // A channel-level error (the link broke under it) is the drop, said once.
        openedChannel.on("error", onConnectionLost);
        openedChannel.stderr.on("error", onConnectionLost);
        openedChannel.on("exit", (code, signal) => {
            exit = { code: code ?? null, signal: signal ?? null };
        });
        openedChannel.on("close", () => {
            if (!exit)
                return onConnectionLost();
            const outcome = { exitCode: exit.code, signal: exit.signal, stderr: stderr.toString() };
            if (exit.code === 0 && !exit.signal) {
                if (input && !input.ended()) {
                    return fail(new errors/* RemoteCommandError */.a("command-failed", `${describe} on ${context.target} exited before it read all of ${input.name} (${input.sentBytes()} bytes sent); it did not get the whole input.`, outcome));
                }
                return succeed(outcome);
            }
            fail(options.interpretFailure?.(outcome) ?? genericFailure(context, describe, outcome));
        });
        openedChannel.pipe(stdout, { end: false });
        // Without input the command gets EOF on its stdin at once.
        if (input)
            input.into(openedChannel);
        else
            openedChannel.end();
    });
    return { stdout, completed };
}
/**
 * Stops the command on the node: a signal first (sshd delivers it to the command's process
 * group), so that closing the channel, which closes the command's stdin, can never read as
 * the clean end of its input; then the channel is closed.
 */
function stopRemote(channel) {
    if (!channel)
        return;
    try {
        channel.signal("TERM");
    }
    catch {
        // The channel is already closing: nothing left to signal.
    }
    channel.close();
}
/** Streams a source into the channel's stdin; EOF only after the source's own clean end. */
function feedInput(source, name = "the input") {
    let ended = false;
    let sent = 0;
    let reportFailure = () => undefined;
    const failed = new Promise((resolve) => (reportFailure = resolve));
    const onError = (error) => reportFailure(error);
    source.on("error", onError);
    source.once("end", () => (ended = true));
    // Destroyed without an error: the input was cut short just the same.
    source.once("close", () => {
        if (!ended)
            reportFailure(source.errored ?? new Error("it was closed before its end"));
    });
    return {
        name,
        failed,
        ended: () => ended,
        sentBytes: () => sent,
        // pipe() writes only while the channel accepts (the node's SSH window), and ends it
        // (EOF) only on the source's 'end', never on its error.
        into: (channel) => {
            source.on("data", (chunk) => (sent += chunk.length));
            source.pipe(channel);
        },
        abandon: (error) => {
            if (!ended && !source.destroyed)
                source.destroy(error);
        },
    };
}
/** Runs a command and collects its stdout, refusing more than `limitBytes` of it. */
async function collectRemoteCommand(command, limitBytes, describe) {
    const chunks = [];
    let size = 0;
    for await (const chunk of command.stdout) {
        size += chunk.length;
        if (size > limitBytes) {
            command.stdout.destroy();
            throw new errors/* SshError */.D("command-failed", `${describe} printed more than ${limitBytes} bytes; expected a short listing.`);
        }
        chunks.push(chunk);
    }
    const outcome = await command.completed;
    return { stdout: Buffer.concat(chunks), outcome };
}

;// CONCATENATED MODULE: ./.build/compile/src/core/ssh/session.js
/**
 * SSH sessions to the admin control-plane node, directly or through a jump host, on the
 * pure-JS `ssh2` client. Runbook section 4 step 4 (copy /etc/kubernetes/pki off the node),
 * without its `StrictHostKeyChecking=no`: every host key is checked against what the
 * operator pinned before any credential or command is sent.
 */
// ssh2 is CommonJS: Node's ESM loader sees only its default export.







/** `user@host[:port]`, as the `jump-host` input takes it; IPv6 hosts in brackets. */
function parseJumpHostSpec(spec) {
    const match = /^([^@\s:]+)@(\[[0-9a-fA-F:.]+\]|[^@\s:[\]]+)(?::(\d{1,5}))?$/.exec(spec.trim());
    const port = match?.[3] ? Number(match[3]) : 22;
    if (!match || !match[1] || !match[2] || port < 1 || port > 65535) {
        throw new core_errors/* ConfigurationError */.j1("jumpHost", `jump host ${(0,redact/* quoteValue */.cl)(spec)} is not of the form user@host[:port]; expected for example ubuntu@203.0.113.10 or ubuntu@jump.example.com:2222.`);
    }
    return { user: match[1], host: match[2].replace(/^\[|\]$/g, ""), port };
}
function endpointLabel(endpoint) {
    return endpoint.host.includes(":")
        ? `[${endpoint.host}]:${endpoint.port}`
        : `${endpoint.host}:${endpoint.port}`;
}
function validatePort(port, what) {
    if (!Number.isInteger(port) || port < 1 || port > 65535) {
        throw new errors/* SshError */.D("bad-input", `${what} port ${port} is not a TCP port; expected a whole number from 1 to 65535.`);
    }
    return port;
}
function validateHostAndUser(host, user, what) {
    if (!host || /\s/.test(host)) {
        throw new errors/* SshError */.D("bad-input", `${what} address ${(0,redact/* quoteValue */.cl)(host)} is not a host name or IP address.`);
    }
    if (!user || /[\s@:]/.test(user)) {
        throw new errors/* SshError */.D("bad-input", `${what} user ${(0,redact/* quoteValue */.cl)(user)} is not a user name; expected for example ubuntu.`);
    }
}
/** Where OpenSSH keeps the host key of this type, for the operator's check on the machine. */
function hostKeyFileFor(keyType) {
    const name = keyType === "ssh-rsa" ? "rsa" : keyType.startsWith("ecdsa-") ? "ecdsa" : "ed25519";
    return `/etc/ssh/ssh_host_${name}_key.pub`;
}
/**
 * A host key nothing pins. It carries the fingerprint and known_hosts line to pin, so each
 * front door can say how under its own names (an input, a flag).
 */
class UnpinnedHostKeyError extends errors/* SshError */.D {
    pin;
    constructor(message, pin) {
        super("host-key-unknown", message);
        this.pin = pin;
    }
}
function unknownHostKeyError(hop, seen) {
    return new UnpinnedHostKeyError(`refusing to send anything to ${hop.role} ${endpointLabel(hop.endpoint)}: its host key ${seen.fingerprint} (${seen.type}) ` +
        `is not pinned. Check that fingerprint on the machine itself ("ssh-keygen -l -f ${hostKeyFileFor(seen.type)}"), ` +
        `then pin it: give the host key fingerprint ${seen.fingerprint} ` +
        `(or the known_hosts line "${knownHostsLineFor(hop.endpoint, seen)}"); ` +
        `only if you accept the risk, allow unknown host keys (the insecure option).`, { fingerprint: seen.fingerprint, knownHostsLine: knownHostsLineFor(hop.endpoint, seen) });
}
function hostKeyError(hop, seen) {
    const verdict = verifyHostKey(hop.endpoint, seen, hop.pins);
    switch (verdict.kind) {
        case "pinned":
            return undefined;
        case "revoked":
            return new errors/* SshError */.D("host-key-revoked", `host key ${seen.fingerprint} of ${hop.role} ${endpointLabel(hop.endpoint)} is marked @revoked in the known_hosts lines; refusing to connect.`);
        case "mismatch":
            return new errors/* SshError */.D("host-key-mismatch", `host key mismatch for ${hop.role} ${endpointLabel(hop.endpoint)}: expected ${verdict.expected.join(" or ")}, got ${seen.fingerprint} (${seen.type}). ` +
                `Something else may be answering on that address; do not pin the new key until you have checked it on the machine itself.`);
        case "unknown":
            return hop.acceptUnknownHostKey ? undefined : unknownHostKeyError(hop, seen);
    }
}
function connectionError(hop, error) {
    const where = `${hop.role} ${endpointLabel(hop.endpoint)}`;
    const how = hop.sock ? " through the jump host" : "";
    switch (error.code) {
        case "ECONNREFUSED":
            return new errors/* SshError */.D("unreachable", `could not connect to ${where}${how}: connection refused; check that sshd runs there and that the address and port are right.`);
        case "EHOSTUNREACH":
        case "ENETUNREACH":
            return new errors/* SshError */.D("unreachable", `could not connect to ${where}${how}: no route to that address; check the address, or reach it through a jump host.`);
        case "ETIMEDOUT":
            return new errors/* SshError */.D("unreachable", `could not connect to ${where}${how}: the connection timed out.`);
        case "ENOTFOUND":
        case "EAI_AGAIN":
            return new errors/* SshError */.D("unreachable", `could not connect to ${where}: the name ${hop.endpoint.host} does not resolve.`);
    }
    if (error.level === "client-timeout") {
        return new errors/* SshError */.D("unreachable", `could not connect to ${where}${how}: no SSH handshake within ${Math.round(hop.connectTimeoutMs / 1000)} s; ` +
            `check that the address is reachable from here${hop.sock ? " (from the jump host)" : ", or use a jump host"}.`);
    }
    if (error.level === "client-authentication") {
        return new errors/* SshError */.D("key-refused", `${where} refused key ${hop.key.publicFingerprint} (${hop.key.type}) for user ${hop.user}; ` +
            `check that its public key is in ~${hop.user}/.ssh/authorized_keys there and that the user is right.`);
    }
    return new errors/* SshError */.D("handshake", `the SSH connection to ${where}${how} failed: ${error.message}.`);
}
/** Opens one authenticated hop; host key checked before the key is offered. */
function openHop(hop, logger) {
    return new Promise((resolve, reject) => {
        const client = new lib.Client();
        let seenHostKey;
        let refusal;
        let settled = false;
        const finish = (error) => {
            if (settled)
                return;
            settled = true;
            if (error) {
                client.end();
                reject(error);
            }
            else
                resolve({ client, hostKey: seenHostKey });
        };
        const preferred = preferredHostKeyAlgorithms(hop.endpoint, hop.pins);
        const config = {
            host: hop.endpoint.host,
            port: hop.endpoint.port,
            username: hop.user,
            privateKey: hop.key.material,
            readyTimeout: hop.connectTimeoutMs,
            keepaliveInterval: hop.keepaliveIntervalMs,
            keepaliveCountMax: 3,
            hostVerifier: (keyBlob) => {
                seenHostKey = describeSeenHostKey(keyBlob);
                refusal = hostKeyError(hop, seenHostKey);
                return refusal === undefined;
            },
        };
        if (hop.passphrase)
            config.passphrase = hop.passphrase;
        if (hop.sock)
            config.sock = hop.sock;
        if (preferred.length > 0)
            config.algorithms = { serverHostKey: { prepend: preferred } };
        client.on("ready", () => {
            if (seenHostKey && verifyHostKey(hop.endpoint, seenHostKey, hop.pins).kind === "unknown") {
                logger.warning(`accepted the unpinned host key ${seenHostKey.fingerprint} of ${hop.role} ${endpointLabel(hop.endpoint)} ` +
                    `because unknown host keys are accepted; pin it with the host key fingerprint ${seenHostKey.fingerprint}`);
            }
            finish();
        });
        client.on("error", (error) => {
            finish(refusal ?? connectionError(hop, error));
        });
        client.on("close", () => finish(refusal ??
            new errors/* SshError */.D("handshake", `${hop.role} ${endpointLabel(hop.endpoint)} closed the connection before the SSH session was ready; check its sshd log (it may turn this client away: AllowUsers, MaxStartups, a firewall).`)));
        client.connect(config);
    });
}
/** "(SSH) Channel open failure: Connection refused" -> "connection refused". */
function forwardFailure(error) {
    const detail = error.message.replace(/^\(SSH\) /, "").replace(/^Channel open failure: /, "");
    return detail.charAt(0).toLowerCase() + detail.slice(1);
}
/**
 * Asks the jump host to open a TCP connection to the node (ssh -J does the same). The jump
 * host's own connect may wait minutes on an address that drops packets, so the connect
 * timeout bounds it too (the caller closes the jump session, which ends the attempt).
 */
function forwardThroughJump(jump, jumpLabel, target, timeoutMs) {
    return new Promise((resolve, reject) => {
        let settled = false;
        const timer = setTimeout(() => {
            settled = true;
            reject(new errors/* SshError */.D("unreachable", `the jump host ${jumpLabel} could not open a connection to ${endpointLabel(target)} within ${Math.round(timeoutMs / 1000)} s; ` +
                `check that the jump host can reach the node's address and port.`));
        }, timeoutMs);
        jump.forwardOut("127.0.0.1", 0, target.host, target.port, (error, channel) => {
            clearTimeout(timer);
            if (settled) {
                channel?.destroy();
                return;
            }
            settled = true;
            if (error) {
                reject(new errors/* SshError */.D("jump-forward", `the jump host ${jumpLabel} could not open a connection to ${endpointLabel(target)}: ${forwardFailure(error)}; ` +
                    `check the node's address and port, and that the jump host allows TCP forwarding.`));
            }
            else
                resolve(channel);
        });
    });
}
/** An authenticated SSH session on the node. Close it when done. */
class SshSession {
    client;
    jumpClient;
    /** "ubuntu@10.0.0.2:22" or "ubuntu@10.0.0.2:22 (through jump@10.0.1.2:22)". */
    target;
    host;
    user;
    /** The node's host key fingerprint as verified: worth recording in a backup manifest. */
    hostKeyFingerprint;
    jumpHostKeyFingerprint;
    closed;
    closing = false;
    constructor(client, jumpClient, details) {
        this.client = client;
        this.jumpClient = jumpClient;
        this.target = details.target;
        this.host = details.host;
        this.user = details.user;
        this.hostKeyFingerprint = details.hostKeyFingerprint;
        this.jumpHostKeyFingerprint = details.jumpHostKeyFingerprint;
        const whenClosed = (connection) => connection
            ? new Promise((resolve) => connection.once("close", () => resolve()))
            : Promise.resolve();
        this.closed = Promise.all([whenClosed(client), whenClosed(jumpClient)]).then(() => undefined);
    }
    /** Starts a command; its stdout streams with backpressure and errors unless it exits 0. */
    exec(command, options = {}) {
        return startRemoteCommand({
            client: this.client,
            target: this.target,
            host: this.host,
            closedByCaller: () => this.closing,
        }, command, options);
    }
    /** Runs a short command and collects its output (refusing more than `limitBytes`). */
    async run(command, options = {}) {
        const describe = options.describe ?? `command "${command}"`;
        return collectRemoteCommand(this.exec(command, options), options.limitBytes ?? 16 * 1024 * 1024, describe);
    }
    /** Ends the session (and the jump host's); resolves once both connections are closed. */
    close() {
        this.closing = true;
        this.client.end();
        this.jumpClient?.end();
        return this.closed;
    }
}
/** Connects (through the jump host when given), checking every host key before anything is sent. */
async function connectSsh(options, logger) {
    const endpoint = { host: options.host, port: validatePort(options.port ?? 22, "the node's SSH") };
    validateHostAndUser(options.host, options.user, "the node's SSH");
    const pins = {
        knownHosts: options.hostKeys?.knownHosts ?? [],
        fingerprints: parseFingerprints(options.hostKeys?.fingerprints ?? []),
    };
    parseKnownHosts(pins.knownHosts ?? []); // a malformed line is bad input: say so before connecting
    const nodeKey = loadPrivateKey(options.privateKey, "the SSH private key", options.passphrase);
    const common = {
        pins,
        acceptUnknownHostKey: options.acceptUnknownHostKey === true,
        connectTimeoutMs: options.connectTimeoutMs ?? 20_000,
        keepaliveIntervalMs: options.keepaliveIntervalMs ?? 15_000,
    };
    let jump;
    if (options.jumpHost) {
        const jumpEndpoint = {
            host: options.jumpHost.host,
            port: validatePort(options.jumpHost.port ?? 22, "the jump host's"),
        };
        validateHostAndUser(options.jumpHost.host, options.jumpHost.user, "the jump host's");
        const jumpKey = loadPrivateKey(options.jumpHost.privateKey, "the jump host's private key", options.jumpHost.passphrase);
        const label = `${options.jumpHost.user}@${endpointLabel(jumpEndpoint)}`;
        logger.info(`connecting to jump host ${label} (key ${jumpKey.publicFingerprint})`);
        const hop = await openHop({
            ...common,
            endpoint: jumpEndpoint,
            user: options.jumpHost.user,
            key: jumpKey,
            role: "the jump host",
        }, logger);
        logger.info(`jump host ${label} verified: host key ${hop.hostKey.fingerprint}`);
        jump = { ...hop, label };
    }
    const target = `${options.user}@${endpointLabel(endpoint)}${jump ? ` (through ${jump.label})` : ""}`;
    logger.info(`connecting to ${target} (key ${nodeKey.publicFingerprint})`);
    try {
        const sock = jump
            ? await forwardThroughJump(jump.client, jump.label, endpoint, common.connectTimeoutMs)
            : undefined;
        const hop = await openHop({
            ...common,
            endpoint,
            user: options.user,
            key: nodeKey,
            role: "the node",
            ...(sock ? { sock } : {}),
        }, logger);
        logger.info(`connected to ${target}: host key ${hop.hostKey.fingerprint}`);
        // A dropped jump connection takes the node session with it.
        jump?.client.once("close", () => hop.client.end());
        return new SshSession(hop.client, jump?.client, {
            target,
            host: options.host,
            user: options.user,
            hostKeyFingerprint: hop.hostKey.fingerprint,
            ...(jump ? { jumpHostKeyFingerprint: jump.hostKey.fingerprint } : {}),
        });
    }
    catch (error) {
        jump?.client.end();
        throw error;
    }
}

// EXTERNAL MODULE: ./.build/compile/src/core/ssh/sudo.js
var sudo = __webpack_require__(12632);
// EXTERNAL MODULE: ./.build/compile/src/core/ssh/pki.js
var pki = __webpack_require__(15004);
// EXTERNAL MODULE: ./node_modules/tar-stream/index.js
var tar_stream = __webpack_require__(56118);
;// CONCATENATED MODULE: ./.build/compile/src/core/ssh/archive.js
/**
 * Reads a tar stream's entries (names, types, modes, owners, sizes, sha256 of each file's
 * bytes; never the bytes themselves) so a PKI archive can be checked against the node's
 * `find` listing and recorded in the backup manifest.
 */


const TAR_TYPES = {
    file: "file",
    directory: "directory",
    symlink: "symlink",
};
async function readArchiveEntries(archive) {
    const extract = tar_stream.extract();
    const entries = [];
    const done = new Promise((resolve, reject) => {
        extract.on("entry", (header, body, next) => {
            const hash = (0,external_node_crypto_.createHash)("sha256");
            let size = 0;
            body.on("data", (chunk) => {
                const bytes = chunk;
                hash.update(bytes);
                size += bytes.length;
            });
            body.on("end", () => {
                const type = TAR_TYPES[header.type ?? "file"] ?? "other";
                entries.push({
                    path: `/${header.name.replace(/\/+$/, "")}`,
                    type,
                    mode: (header.mode ?? 0) & 0o7777,
                    uid: header.uid ?? 0,
                    gid: header.gid ?? 0,
                    size,
                    ...(type === "file" ? { sha256: hash.digest("hex") } : {}),
                    ...(type === "symlink" && header.linkname ? { linkTarget: header.linkname } : {}),
                });
                next();
            });
            body.on("error", reject);
        });
        extract.on("finish", resolve);
        extract.on("error", reject);
        archive.on("error", (error) => extract.destroy(error));
    });
    archive.pipe(extract);
    await done;
    return entries.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
}
/** Differences between the archive and the node's listing, one sentence each; empty when they agree. */
function compareArchiveWithListing(archive, listing) {
    const differences = [];
    const inArchive = new Map(archive.map((entry) => [entry.path, entry]));
    const onNode = new Map(listing.map((entry) => [entry.path, entry]));
    for (const node of listing) {
        const stored = inArchive.get(node.path);
        if (!stored) {
            differences.push(`${node.path} is on the node but not in the archive`);
            continue;
        }
        if (stored.type !== node.type)
            differences.push(`${node.path} is a ${node.type} on the node but a ${stored.type} in the archive`);
        if (stored.mode !== node.mode) {
            differences.push(`${node.path} has mode ${node.mode.toString(8)} on the node but ${stored.mode.toString(8)} in the archive`);
        }
        if (stored.uid !== node.uid || stored.gid !== node.gid) {
            differences.push(`${node.path} is owned by ${node.uid}:${node.gid} on the node but ${stored.uid}:${stored.gid} in the archive`);
        }
        if (node.type === "file" && stored.size !== node.size) {
            differences.push(`${node.path} has ${node.size} bytes on the node but ${stored.size} in the archive`);
        }
    }
    for (const stored of archive) {
        if (!onNode.has(stored.path))
            differences.push(`${stored.path} is in the archive but not on the node`);
    }
    return differences;
}

;// CONCATENATED MODULE: ./.build/compile/src/core/ssh/index.js











/***/ }),

/***/ 15004:
/***/ ((__unused_webpack___webpack_module__, __webpack_exports__, __webpack_require__) => {

/* harmony export */ __webpack_require__.d(__webpack_exports__, {
/* harmony export */   $: () => (/* binding */ DEFAULT_SSH_USER),
/* harmony export */   Al: () => (/* binding */ listNodeFiles),
/* harmony export */   Zx: () => (/* binding */ streamPkiArchive),
/* harmony export */   cI: () => (/* binding */ DEFAULT_PKI_PATHS),
/* harmony export */   zv: () => (/* binding */ validateNodePaths)
/* harmony export */ });
/* unused harmony exports PATHS_FIELD, checkNodePathsExist */
/* harmony import */ var node_path__WEBPACK_IMPORTED_MODULE_0__ = __webpack_require__(76760);
/* harmony import */ var _errors_js__WEBPACK_IMPORTED_MODULE_1__ = __webpack_require__(51222);
/* harmony import */ var _redact_js__WEBPACK_IMPORTED_MODULE_2__ = __webpack_require__(79148);
/* harmony import */ var _errors_js__WEBPACK_IMPORTED_MODULE_3__ = __webpack_require__(52425);
/* harmony import */ var _shell_js__WEBPACK_IMPORTED_MODULE_5__ = __webpack_require__(79490);
/* harmony import */ var _sudo_js__WEBPACK_IMPORTED_MODULE_4__ = __webpack_require__(12632);
/**
 * Runbook section 4 step 4, done safely: the node's PKI leaves as one `sudo -n tar` stream
 * over the SSH session. No chmod on the live keys, no copy on the node, no temporary file;
 * owners and modes travel in the archive. A `sudo -n find` listing of the same paths lets
 * the caller check the archive holds exactly the node's files.
 */






/** The runbook's PKI folder; more may be listed (e.g. the secrets-encryption keys). */
const DEFAULT_PKI_PATHS = ["/etc/kubernetes/pki"];
/** The user Anthos admin nodes are reached as. */
const DEFAULT_SSH_USER = "ubuntu";
/** The setting the node paths come from, in core's words. */
const PATHS_FIELD = "paths";
function badPath(problem) {
    return new _errors_js__WEBPACK_IMPORTED_MODULE_1__/* .ConfigurationError */ .j1(PATHS_FIELD, problem);
}
/**
 * Checks the node paths: absolute, normalised, none inside another, and no part starting
 * with '-': tar is given the paths without their leading '/', so `/--remove-files` would
 * otherwise reach it as an option (`--` before the operands guards that too).
 */
function validateNodePaths(paths) {
    const cleaned = paths.map((path) => path.trim()).filter((path) => path !== "");
    if (cleaned.length === 0) {
        throw badPath("no paths given; expected at least one absolute path on the node, such as /etc/kubernetes/pki.");
    }
    const normalised = cleaned.map((path) => {
        if ([...path].some((char) => char.charCodeAt(0) < 0x20 || char.charCodeAt(0) === 0x7f)) {
            throw badPath(`path ${(0,_redact_js__WEBPACK_IMPORTED_MODULE_2__/* .quoteValue */ .cl)(path)} contains a control character; expected a plain absolute path.`);
        }
        if (!path.startsWith("/")) {
            throw badPath(`path ${(0,_redact_js__WEBPACK_IMPORTED_MODULE_2__/* .quoteValue */ .cl)(path)} is not absolute; expected an absolute path on the node, such as /etc/kubernetes/pki.`);
        }
        const parts = path.split("/");
        if (parts.includes("..")) {
            throw badPath(`path ${(0,_redact_js__WEBPACK_IMPORTED_MODULE_2__/* .quoteValue */ .cl)(path)} contains ".."; expected a plain absolute path on the node.`);
        }
        if (parts.some((part) => part.startsWith("-"))) {
            throw badPath(`path ${(0,_redact_js__WEBPACK_IMPORTED_MODULE_2__/* .quoteValue */ .cl)(path)} has a part starting with '-', which tar and find would take as an option; expected a plain absolute path such as /etc/kubernetes/pki.`);
        }
        const clean = node_path__WEBPACK_IMPORTED_MODULE_0__.posix.normalize(path).replace(/\/+$/, "");
        if (clean === "") {
            throw badPath(`path ${(0,_redact_js__WEBPACK_IMPORTED_MODULE_2__/* .quoteValue */ .cl)(path)} is the node's whole file system; expected a folder such as /etc/kubernetes/pki.`);
        }
        return clean;
    });
    const unique = [...new Set(normalised)];
    for (const inner of unique) {
        const outer = unique.find((other) => other !== inner && inner.startsWith(`${other}/`));
        if (outer) {
            throw badPath(`path ${inner} is inside ${outer}, which is listed too; list each folder once.`);
        }
    }
    return unique;
}
/**
 * find's starting points. find has no "--" for them (it takes "--" as the end of its own
 * -H/-L/-P flags), but a starting point that begins with '/' is never read as an option
 * or an expression, and validateNodePaths allows only those.
 */
function findOperands(paths) {
    return ["--", ...paths.map((path) => (path.startsWith("/") ? path : `/${path}`))];
}
function withSudo(argv, sudo) {
    return sudo ? (0,_sudo_js__WEBPACK_IMPORTED_MODULE_4__/* .sudoCommand */ .p0)(argv) : (0,_shell_js__WEBPACK_IMPORTED_MODULE_5__/* .shellCommand */ .q)(argv);
}
const MISSING_PATH_LINE = /^find: ['‘`"](.*)['’"]: No such file or directory$/gm;
function refusal(session, outcome, paths, sudo) {
    if (sudo) {
        const sudoError = (0,_sudo_js__WEBPACK_IMPORTED_MODULE_4__/* .sudoRefusal */ .SE)(outcome, {
            host: session.host,
            user: session.user,
            programs: ["tar", "find"],
        });
        if (sudoError)
            return sudoError;
    }
    const missing = [...outcome.stderr.matchAll(MISSING_PATH_LINE)]
        .map((match) => match[1])
        .filter((path) => path !== undefined && paths.includes(path));
    if (missing.length > 0) {
        const list = missing.join(", ");
        return new _errors_js__WEBPACK_IMPORTED_MODULE_3__/* .RemoteCommandError */ .a("path-missing", `${missing.length === 1 ? "path" : "paths"} ${list} ${missing.length === 1 ? "does" : "do"} not exist on ${session.host}; ` +
            `check the paths to back up (the PKI is normally in /etc/kubernetes/pki).`, outcome);
    }
    return undefined;
}
/** Fails with one clear error when a path is missing or sudo refuses, before anything streams. */
async function checkNodePathsExist(session, options) {
    return (await linkedFolders(session, options)).paths;
}
/**
 * Checks the paths exist and finds those that are a symbolic link to a folder (a node whose
 * /etc/kubernetes/pki links into /opt/data/...): the archive must hold that folder's files,
 * not the link, so the listing follows such a link (`find -H`) and tar is given `path/.`.
 */
async function linkedFolders(session, options) {
    const paths = validateNodePaths(options.paths);
    const sudo = options.sudo ?? true;
    const { stdout } = await session.run(
    // %y is the path's own type (l for a link), %Y the type of what it points to.
    withSudo(["find", ...findOperands(paths), "-maxdepth", "0", "-printf", "%y%Y\\t%p\\0"], sudo), {
        describe: `the check that ${paths.join(", ")} exist`,
        interpretFailure: (outcome) => refusal(session, outcome, paths, sudo),
        limitBytes: 1024 * 1024,
    });
    const linked = new Set();
    for (const record of stdout.toString("utf8").split("\0")) {
        const [types, ...pathParts] = record.split("\t");
        if (types === "ld")
            linked.add(pathParts.join("\t"));
    }
    return { paths, linkedFolders: linked };
}
const FIND_TYPES = { f: "file", d: "directory", l: "symlink" };
function parseListing(output) {
    const fields = output.toString("utf8").split("\0");
    const entries = [];
    // Records are "type\tmode\tuid\tgid\tsize\tpath" NUL "link target" NUL.
    for (let index = 0; index + 1 < fields.length; index += 2) {
        const record = fields[index];
        const linkTarget = fields[index + 1];
        const [type, mode, uid, gid, size, ...pathParts] = record.split("\t");
        const fileType = FIND_TYPES[type ?? ""] ?? "other";
        entries.push({
            path: pathParts.join("\t"),
            type: fileType,
            mode: parseInt(mode ?? "0", 8),
            uid: Number(uid),
            gid: Number(gid),
            size: fileType === "file" ? Number(size) : 0,
            ...(fileType === "symlink" ? { linkTarget } : {}),
        });
    }
    return entries.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
}
/** `sudo -n find <paths> -printf ...`: every file, folder and link under the paths, with owners and modes. */
async function listNodeFiles(session, options) {
    const paths = validateNodePaths(options.paths);
    const sudo = options.sudo ?? true;
    const { stdout } = await session.run(withSudo(
    // -H: a path that is itself a link to a folder is listed as that folder, as tar archives it.
    ["find", "-H", ...findOperands(paths), "-printf", "%y\\t%m\\t%U\\t%G\\t%s\\t%p\\0%l\\0"], sudo), {
        describe: `the listing of ${paths.join(", ")}`,
        interpretFailure: (outcome) => refusal(session, outcome, paths, sudo),
        limitBytes: 64 * 1024 * 1024,
    });
    return parseListing(stdout);
}
/**
 * tar reads a linked folder through `path/.` (so it archives the folder's files, not the
 * link) and would name its entries `path/./...`; this sed expression names them `path/...`
 * again, as `find -H` lists them. `S`: link targets inside the folder are left as they are.
 */
function followedFolderName(relativePath) {
    const pattern = relativePath.replace(/[\\.*[\]^$,]/g, (char) => `\\${char}`);
    const replacement = relativePath.replace(/[\\&,]/g, (char) => `\\${char}`);
    return `s,^${pattern}/\\.,${replacement},S`;
}
/**
 * Streams `sudo -n tar --create --numeric-owner --preserve-permissions -f - -C / <paths>`.
 * The paths are checked first, so a missing path or sudo wanting a password fails with one
 * clear error before a single byte of archive is produced.
 */
async function streamPkiArchive(session, options) {
    const { paths, linkedFolders: linked } = await linkedFolders(session, options);
    const sudo = options.sudo ?? true;
    const relativePaths = paths.map((path) => path.replace(/^\/+/, ""));
    const command = withSudo([
        "tar",
        "--create",
        "--numeric-owner",
        "--preserve-permissions",
        ...relativePaths
            .filter((path) => linked.has(`/${path}`))
            .map((path) => `--transform=${followedFolderName(path)}`),
        "-f",
        "-",
        "-C",
        "/",
        // Everything after "--" is a file name, never an option.
        "--",
        ...relativePaths.map((path) => (linked.has(`/${path}`) ? `${path}/.` : path)),
    ], sudo);
    const remote = session.exec(command, {
        describe: `tar of ${paths.join(", ")}`,
        interpretFailure: (outcome) => refusal(session, outcome, paths, sudo),
    });
    const completed = remote.completed.then(() => undefined);
    completed.catch(() => undefined); // the archive stream carries the same error
    return { archive: remote.stdout, completed, command };
}


/***/ }),

/***/ 79490:
/***/ ((__unused_webpack___webpack_module__, __webpack_exports__, __webpack_require__) => {

/* harmony export */ __webpack_require__.d(__webpack_exports__, {
/* harmony export */   q: () => (/* binding */ shellCommand)
/* harmony export */ });
/* unused harmony export shellQuote */
/** Quoting for the remote login shell: sshd runs every command through `$SHELL -c`. */
function shellQuote(argument) {
    if (/^[A-Za-z0-9_./=:,+@%-]+$/.test(argument))
        return argument;
    return `'${argument.replace(/'/g, `'\\''`)}'`;
}
function shellCommand(argv) {
    return argv.map(shellQuote).join(" ");
}


/***/ }),

/***/ 12632:
/***/ ((__unused_webpack___webpack_module__, __webpack_exports__, __webpack_require__) => {

/* harmony export */ __webpack_require__.d(__webpack_exports__, {
/* harmony export */   SE: () => (/* binding */ sudoRefusal),
/* harmony export */   p0: () => (/* binding */ sudoCommand)
/* harmony export */ });
/* unused harmony export execWithSudo */
/* harmony import */ var _errors_js__WEBPACK_IMPORTED_MODULE_0__ = __webpack_require__(52425);
/* harmony import */ var _shell_js__WEBPACK_IMPORTED_MODULE_1__ = __webpack_require__(79490);
/**
 * `sudo -n` on the node: never prompt (there is no terminal, and a prompt would hang the
 * job); when sudo wants a password, say so plainly instead of showing sudo's own words.
 */


function sudoCommand(argv) {
    return (0,_shell_js__WEBPACK_IMPORTED_MODULE_1__/* .shellCommand */ .q)(["sudo", "-n", ...argv]);
}
const SUDO_WANTS_PASSWORD = /^sudo: (a password is required|a terminal is required)/m;
const SUDO_NOT_ALLOWED = /^sudo: .*(is not in the sudoers file|is not allowed to execute|may not run sudo)|^Sorry, user .* may not run sudo/m;
/** Recognises sudo's own refusals in a failed command's stderr. */
function sudoRefusal(outcome, where) {
    const programs = where.programs.join(" and ");
    const sudoersLine = `${where.user} ALL=(root) NOPASSWD: ${where.programs.map((program) => `/usr/bin/${program}`).join(", ")}`;
    if (SUDO_WANTS_PASSWORD.test(outcome.stderr)) {
        return new _errors_js__WEBPACK_IMPORTED_MODULE_0__/* .RemoteCommandError */ .a("sudo-needs-password", `sudo on ${where.host} needs a password for user ${where.user}; give user ${where.user} passwordless sudo for ` +
            `${programs} (a sudoers line such as "${sudoersLine}"), ` +
            `or connect as a user that has it.`, outcome);
    }
    if (SUDO_NOT_ALLOWED.test(outcome.stderr)) {
        return new _errors_js__WEBPACK_IMPORTED_MODULE_0__/* .RemoteCommandError */ .a("sudo-not-allowed", `user ${where.user} may not run ${programs} with sudo on ${where.host}; allow it in the node's sudoers ` +
            `("${sudoersLine}"), or connect as a user that may.`, outcome);
    }
    return undefined;
}
/**
 * Runs `sudo -n <argv>` on the node: stdout streams as from `exec`, and sudo's own refusal
 * becomes one clear error naming the host, the user and the programs needed.
 */
function execWithSudo(session, argv, options = {}) {
    const program = argv[0] ?? "";
    return session.exec(sudoCommand(argv), {
        describe: options.describe ?? `sudo ${program}`,
        interpretFailure: (outcome) => sudoRefusal(outcome, { host: session.host, user: session.user, programs: [program] }),
    });
}


/***/ })

};
