/**
 * `etcd-backup-actions snapshot status|verify|ls|get|diff`: look into snapshot files
 * without etcd, from a runner or a laptop. Tables for people by default, `--output json`
 * for scripts; data goes to stdout, errors to stderr.
 */
import { Option, type Command } from "commander";
import type { stringify as yamlStringify } from "yaml";
import {
  decodeValue,
  diffSnapshots,
  readSnapshotKey,
  readSnapshotStatus,
  SnapshotError,
  verifySnapshot,
  withSnapshotKeys,
  type DecodedValue,
  type SnapshotKey,
  type SnapshotKeys,
  type SnapshotStatus,
  type SnapshotValue,
  type SnapshotVerification,
} from "../core/snapshot/index.ts";
import { errorMessage } from "../core/errors.ts";

type OutputFormat = "table" | "json";

interface FilterOptions {
  resource?: string;
  namespace?: string;
  prefix?: string;
}

function outputOption(): Option {
  return new Option("-o, --output <format>", "table for people, json for scripts")
    .choices(["table", "json"])
    .default("table");
}

function addFilters(command: Command): Command {
  return command
    .option("--resource <resource>", "only this resource (configmaps, nodes, widgets.example.com)")
    .option("--namespace <namespace>", "only objects in this namespace")
    .option("--prefix <prefix>", "only keys starting with this");
}

export function registerSnapshotCommands(program: Command): void {
  const snapshot = program
    .command("snapshot")
    .description("Look into etcd snapshot files without etcd: status, verify, ls, get, diff.");

  snapshot
    .command("status")
    .description(
      "Hash, revision, key count and size, as `etcdctl snapshot status` reports them. With " +
        "--output json, one file prints one object exactly as `etcdctl snapshot status -w json` " +
        "does; several files print an array of objects that also name their file.",
    )
    .argument("<file...>", "snapshot files")
    .addOption(outputOption())
    .action((files: string[], options: { output: OutputFormat }) =>
      run(() => printStatus(files, options.output)),
    );

  snapshot
    .command("verify")
    .description(
      "Check meta pages, the bolt tree, every revision and the sha256 trailer; exits 1 if any file is damaged.",
    )
    .argument("<file...>", "snapshot files")
    .addOption(outputOption())
    .action((files: string[], options: { output: OutputFormat }) =>
      run(() => printVerification(files, options.output)),
    );

  addFilters(
    snapshot
      .command("ls")
      .description("Every live key at the snapshot's revision, with per-resource counts.")
      .argument("<file>", "snapshot file"),
  )
    .addOption(outputOption())
    .action((file: string, options: FilterOptions & { output: OutputFormat }) =>
      run(() => printListing(file, options)),
    );

  snapshot
    .command("get")
    .description(
      "One key's object, decoded (protobuf metadata, JSON as stored, encryption reported).",
    )
    .argument("<file>", "snapshot file")
    .argument("<key>", "the etcd key, e.g. /registry/configmaps/default/my-config")
    .option("--raw", "write the raw value bytes to stdout (to put back with etcdctl put)")
    .addOption(outputOption())
    .action(async (file: string, key: string, options: { raw?: boolean; output: OutputFormat }) => {
      // Loaded here, not at start-up: YAML is for `get` alone and costs the others ~15 MiB.
      const { stringify } = await import("yaml");
      run(() => printKey(file, key, options, stringify));
    });

  addFilters(
    snapshot
      .command("diff")
      .description("Keys added, removed and changed from snapshot A to snapshot B, per resource.")
      .argument("<from>", "the older snapshot (A)")
      .argument("<to>", "the newer snapshot (B)"),
  )
    .addOption(outputOption())
    .action((from: string, to: string, options: FilterOptions & { output: OutputFormat }) =>
      run(() => printDiff(from, to, options)),
    );
}

/** Turns a SnapshotError into one line on stderr and exit code 1; anything else is a bug. */
function run(body: () => void): void {
  settleOutputErrors();
  try {
    body();
  } catch (error) {
    if (!(error instanceof SnapshotError)) throw error;
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
function settleOutputErrors(): void {
  if (outputErrorsSettled) return;
  outputErrorsSettled = true;
  for (const [name, stream] of [
    ["stdout", process.stdout],
    ["stderr", process.stderr],
  ] as const) {
    stream.on("error", (error: NodeJS.ErrnoException) => {
      if (error.code !== "EPIPE" && name === "stdout") {
        process.stderr.write(`error: cannot write the output to stdout: ${errorMessage(error)}\n`);
        process.exitCode = 1;
      }
      process.exit();
    });
  }
}

function printJson(value: unknown): void {
  process.stdout.write(`${JSON.stringify(value, null, 2)}\n`);
}

/** Left-aligned columns, two spaces apart, like kubectl. */
function renderTable(headers: string[], rows: Array<Array<string | number>>): string {
  const cells = [headers, ...rows.map((row) => row.map(String))];
  const widths = headers.map((_, column) =>
    Math.max(...cells.map((row) => (row[column] ?? "").length)),
  );
  return (
    cells
      .map((row) =>
        row
          .map((cell, column) => (column === row.length - 1 ? cell : cell.padEnd(widths[column]!)))
          .join("  "),
      )
      .join("\n") + "\n"
  );
}

function humanBytes(bytes: number): string {
  const units = ["B", "kB", "MB", "GB", "TB"];
  let value = bytes;
  let unit = 0;
  while (value >= 1000 && unit < units.length - 1) {
    value /= 1000;
    unit++;
  }
  return unit === 0 ? `${bytes} B` : `${value.toFixed(value < 10 ? 1 : 0)} ${units[unit]}`;
}

function printStatus(files: string[], output: OutputFormat): void {
  const statuses = files.map((file) => ({ file, ...readSnapshotStatus(file) }));
  if (output === "json") return printStatusJson(statuses);
  process.stdout.write(
    renderTable(
      ["FILE", "HASH", "REVISION", "TOTAL KEYS", "TOTAL SIZE"],
      statuses.map((status) => [
        status.file,
        status.hash.toString(16).padStart(8, "0"),
        status.revision,
        status.totalKey,
        humanBytes(status.totalSize),
      ]),
    ),
  );
}

/**
 * One file: the object `etcdctl snapshot status -w json` prints, same fields, same order,
 * one line, so scripts written for etcdctl run unchanged. Several (which etcdctl refuses):
 * an array, each object naming its file.
 */
function printStatusJson(statuses: Array<SnapshotStatus & { file: string }>): void {
  const [only] = statuses;
  if (statuses.length === 1 && only) {
    const { hash, revision, totalKey, totalSize } = only;
    process.stdout.write(`${JSON.stringify({ hash, revision, totalKey, totalSize })}\n`);
    return;
  }
  printJson(statuses);
}

function printVerification(files: string[], output: OutputFormat): void {
  const reports = files.map((file) => verifySnapshot(file));
  if (reports.some((report) => !report.ok)) process.exitCode = 1;
  if (output === "json") return printJson(reports);
  const trailerText = { verified: "sha256 verified", mismatch: "sha256 MISMATCH", absent: "none" };
  process.stdout.write(
    renderTable(
      ["FILE", "RESULT", "REVISION", "PAGES", "TRAILER"],
      reports.map((report) => [
        report.file,
        resultText(report),
        report.revision ?? "-",
        report.pageCount ?? "-",
        report.trailer ? trailerText[report.trailer] : "-",
      ]),
    ),
  );
  for (const report of reports) {
    for (const problem of report.problems) process.stdout.write(`\n${problem.message}`);
  }
  if (reports.some((report) => !report.ok)) process.stdout.write("\n");
}

/** UNREADABLE when the file could not even be opened as a bolt image (no page count). */
function resultText(report: SnapshotVerification): string {
  if (report.ok) return "ok";
  return report.pageCount === undefined ? "UNREADABLE" : "DAMAGED";
}

function encodingText(key: SnapshotKey): string {
  return key.encryption ? `encrypted (${key.encryption.prefix})` : key.encoding;
}

/**
 * The listing, written as it is read: rows go out in batches instead of as one table in
 * memory, so `ls` of a million keys holds the reader's columns and one batch of text. The
 * table needs its column widths first, so the keys are visited twice (cheap: no file I/O).
 */
function printListing(file: string, options: FilterOptions & { output: OutputFormat }): void {
  withSnapshotKeys(file, filtersOf(options), (keys) => {
    if (options.output === "json") return printListingJson(file, keys);
    const headers = ["KEY", "RESOURCE", "NAMESPACE", "MOD REV", "SIZE", "ENCODING"];
    const rowOf = (key: SnapshotKey): string[] => [
      key.key,
      key.resource ?? "-",
      key.namespace ?? "-",
      String(key.modRevision),
      String(key.valueSize),
      encodingText(key),
    ];
    const widths = headers.map((header) => header.length);
    keys.forEach((key) =>
      rowOf(key).forEach(
        (cell, column) => (widths[column] = Math.max(widths[column]!, cell.length)),
      ),
    );
    const output = new BatchedOutput();
    const line = (row: string[]) =>
      row
        .map((cell, column) => (column === row.length - 1 ? cell : cell.padEnd(widths[column]!)))
        .join("  ") + "\n";
    output.write(line(headers));
    keys.forEach((key) => output.write(line(rowOf(key))));
    output.write(`\n${keys.count} keys at revision ${keys.revision}`);
    output.write(keys.compactRevision ? `, compacted at ${keys.compactRevision}\n\n` : "\n\n");
    output.write(
      renderTable(
        ["RESOURCE", "KEYS", "VALUE BYTES"],
        keys.resources.map((count) => [count.resource, count.count, humanBytes(count.valueBytes)]),
      ),
    );
    output.flush();
  });
}

/** What printJson({ file, ...listing }) prints, byte for byte, written key by key. */
function printListingJson(file: string, keys: SnapshotKeys): void {
  const output = new BatchedOutput();
  const { revision, compactRevision } = keys;
  const head = JSON.stringify({ file, revision, compactRevision }, null, 2);
  output.write(`${head.slice(0, -2)},\n  "keys": [`);
  let first = true;
  keys.forEach((key) => {
    output.write(
      `${first ? "" : ","}\n    ${JSON.stringify(key, null, 2).replaceAll("\n", "\n    ")}`,
    );
    first = false;
  });
  output.write(keys.count === 0 ? "]" : "\n  ]");
  const resources = JSON.stringify(keys.resources, null, 2).replaceAll("\n", "\n  ");
  output.write(`,\n  "resources": ${resources}\n}\n`);
  output.flush();
}

/** Collects text and writes it to stdout in pieces of about 64 KiB: one write per row is slow. */
class BatchedOutput {
  private pending: string[] = [];
  private pendingLength = 0;

  write(text: string): void {
    this.pending.push(text);
    this.pendingLength += text.length;
    if (this.pendingLength >= 64 * 1024) this.flush();
  }

  flush(): void {
    if (this.pending.length === 0) return;
    process.stdout.write(this.pending.join(""));
    this.pending = [];
    this.pendingLength = 0;
  }
}

function filtersOf(options: FilterOptions): FilterOptions {
  return {
    ...(options.resource !== undefined ? { resource: options.resource } : {}),
    ...(options.namespace !== undefined ? { namespace: options.namespace } : {}),
    ...(options.prefix !== undefined ? { prefix: options.prefix } : {}),
  };
}

/** The decoded object, with resourceVersion filled in as the API server would. */
export function readableObject(value: SnapshotValue): DecodedValue {
  const decoded = decodeValue(value.value);
  if (decoded.encoding === "protobuf") {
    decoded.metadata = { ...decoded.metadata, resourceVersion: String(value.modRevision) };
  }
  return decoded;
}

function printKey(
  file: string,
  key: string,
  options: { raw?: boolean; output: OutputFormat },
  stringify: typeof yamlStringify,
): void {
  const value = readSnapshotKey(file, key);
  if (!value) {
    throw new SnapshotError(
      `${file}: key ${key} is not in this snapshot (it never existed, or was deleted before the snapshot). ` +
        `List what is there with: snapshot ls ${file} --prefix <start of the key>`,
      file,
    );
  }
  if (options.raw) {
    process.stdout.write(value.value);
    return;
  }
  const { value: bytes, ...facts } = value;
  const decoded = readableObject(value);
  if (options.output === "json") return printJson({ ...facts, decoded });
  process.stdout.write(
    `# ${facts.key}\n# create revision ${facts.createRevision}, mod revision ${facts.modRevision}, ` +
      `version ${facts.version}${facts.lease ? `, lease ${facts.lease}` : ""}, ${bytes.length} bytes, ${encodingText(facts)}\n`,
  );
  process.stdout.write(readableText(decoded, stringify));
}

function readableText(decoded: DecodedValue, stringify: typeof yamlStringify): string {
  switch (decoded.encoding) {
    case "json":
      return stringify(decoded.object);
    case "protobuf": {
      const { apiVersion, kind, metadata, undecodedFields } = decoded;
      const fields = undecodedFields
        .map((field) => `field ${field.field} (${field.bytes} bytes)`)
        .join(", ");
      return (
        stringify({ apiVersion, kind, metadata }) +
        (fields ? `# not decoded (needs the ${kind} schema): ${fields}\n` : "")
      );
    }
    case "encrypted":
      return (
        `# encrypted at rest by provider ${decoded.encryption.provider} ${decoded.encryption.version}` +
        `${decoded.encryption.keyName ? `, key ${decoded.encryption.keyName}` : ""}; ` +
        `${decoded.ciphertextBytes} bytes of ciphertext, not decoded\n`
      );
    case "other":
      if (decoded.problem) return `# ${decoded.problem}\n`;
      return decoded.text !== undefined
        ? `${decoded.text}\n`
        : `# ${decoded.bytes} bytes of binary data; use --raw\n`;
  }
}

function printDiff(
  from: string,
  to: string,
  options: FilterOptions & { output: OutputFormat },
): void {
  const diff = diffSnapshots(from, to, filtersOf(options));
  if (options.output === "json") return printJson(diff);
  process.stdout.write(
    `from ${diff.from.file} (revision ${diff.from.revision}, ${diff.from.keys} keys)\n` +
      `to   ${diff.to.file} (revision ${diff.to.revision}, ${diff.to.keys} keys)\n\n`,
  );
  const rows: Array<Array<string | number>> = [
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
  process.stdout.write(
    renderTable(
      ["RESOURCE", "ADDED", "REMOVED", "CHANGED"],
      diff.resources.map((count) => [count.resource, count.added, count.removed, count.changed]),
    ),
  );
  process.stdout.write(
    `\n${diff.added.length} added, ${diff.removed.length} removed, ${diff.changed.length} changed, ${diff.unchanged} unchanged\n`,
  );
}
