/**
 * Streaming a file into a pod through exec stdin, for restores (the snapshot into a utility
 * pod): the pod reads exactly the expected number of bytes into `<path>.part` (it never
 * waits for an end of input, which the v4 exec protocol cannot send), checks the sha256
 * there, and renames the file into place only when it matches. Whatever goes wrong,
 * `<path>.part` is removed (by the pod's script, else by a clean-up exec); when the pod is
 * gone and that cannot run, the error says so, and a rerun removes the stale file first.
 */
import { Transform, type Readable, type TransformCallback } from "node:stream";
import type { KubeConfig } from "@kubernetes/client-node";
import { CancelledError, ConfigurationError, errorMessage } from "../errors.ts";
import { formatBytes } from "../format.ts";
import { execInPod, type ExecResult } from "./exec.ts";
import { describePodTarget, type PodTarget } from "./pod-target.ts";

export interface ExpectedFile {
  /** Exactly this many bytes are read from the source. */
  bytes: number;
  /** Lowercase hex sha256 of those bytes. */
  sha256: string;
}

/** Exit codes of the in-pod script, each one failure the caller turns into a sentence. */
const EXIT = {
  shortInput: 10,
  shaMismatch: 11,
  writeFailed: 12,
  hashFailed: 13,
  noHasher: 127,
} as const;

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
export function receiveFileCommand(path: string, expected: ExpectedFile): string[] {
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
export async function streamFileIntoPod(
  config: KubeConfig,
  target: PodTarget,
  path: string,
  source: Readable,
  expected: ExpectedFile,
  options: { signal?: AbortSignal } = {},
): Promise<void> {
  checkArguments(path, expected);
  const where = describePodTarget(target);
  const sized = new ExactLength(expected.bytes);
  // Only the source's own errors count as the source's: once the exec has ended, the
  // source is destroyed on purpose.
  let execEnded = false;
  let sourceError: unknown;
  source.on("error", (error) => {
    if (!execEnded) sourceError ??= error;
    sized.destroy(error);
  });
  // The exec reads `sized` only while it runs; its errors are reported through sourceError
  // and lengthError below, so one that comes after the exec ended must not go unhandled.
  sized.on("error", () => undefined);
  source.pipe(sized);
  let result: ExecResult | undefined;
  let execError: unknown;
  try {
    result = await execInPod(config, {
      ...target,
      command: receiveFileCommand(path, expected),
      stdin: sized,
      stdinEndsItself: true,
      signal: options.signal,
    });
  } catch (error) {
    execError = error;
  }
  execEnded = true;
  sourceError = sized.lengthError ?? sourceError;
  if (result?.exitCode === 0) return;
  source.destroy();
  const failure = describeFailure({ where, path, expected, result, execError, sourceError });
  const leftover = await removePartFile(config, target, path);
  throw leftover ? new Error(`${failure.message} ${leftover}`, { cause: failure }) : failure;
}

function checkArguments(path: string, expected: ExpectedFile): void {
  if (!path.startsWith("/") || /[\n\0]/.test(path) || path.endsWith("/")) {
    throw new ConfigurationError(
      "path",
      `expected an absolute file path in the pod, got "${path}"`,
    );
  }
  if (!Number.isSafeInteger(expected.bytes) || expected.bytes < 0) {
    throw new ConfigurationError(
      "bytes",
      `expected a whole number of bytes, 0 or more, got ${String(expected.bytes)}`,
    );
  }
  if (!/^[0-9a-f]{64}$/.test(expected.sha256)) {
    throw new ConfigurationError("sha256", "expected 64 lowercase hexadecimal digits");
  }
}

interface Outcome {
  where: string;
  path: string;
  expected: ExpectedFile;
  result: ExecResult | undefined;
  execError: unknown;
  sourceError: unknown;
}

/** One sentence for what went wrong, the root cause first: the source, then cancel, then the pod. */
function describeFailure(outcome: Outcome): Error {
  const { where, path, expected, result, execError, sourceError } = outcome;
  if (sourceError instanceof InputLengthError) return sourceError.withTarget(where, path);
  if (execError instanceof CancelledError) {
    return new CancelledError(`streaming ${path} into ${where} was cancelled.`, {
      cause: execError,
    });
  }
  if (sourceError && !result) {
    return new Error(
      `reading the file to stream into ${where} (${path}) failed: ${errorMessage(sourceError)}`,
      { cause: sourceError },
    );
  }
  if (!result) {
    return new Error(
      `streaming ${path} into ${where} broke off (${errorMessage(execError)}); check that the pod is still running.`,
      { cause: execError },
    );
  }
  const said = result.stderr.trim().split("\n").slice(-3).join(" | ");
  switch (result.exitCode) {
    case EXIT.shaMismatch:
      return new Error(
        `the ${formatBytes(expected.bytes)} streamed into ${where} at ${path} have sha256 ${said}, expected ${expected.sha256}: the source or the transfer is corrupt; nothing was put in place.`,
      );
    case EXIT.shortInput:
      return new Error(
        `${where} received only ${said} of the ${expected.bytes} bytes of ${path}: the stream ended early; nothing was put in place.`,
      );
    case EXIT.noHasher:
      return new Error(
        `the image of ${where} has neither openssl nor sha256sum, so ${path} cannot be checked in the pod; use an image that has one of them.`,
      );
    case EXIT.writeFailed:
      return new Error(
        `cannot write ${path} in ${where}${said ? `: ${said}` : ""}; check the folder exists and has room for ${formatBytes(expected.bytes)}.`,
      );
    default:
      if (result.exitCode > 128) {
        return new Error(
          `receiving ${path} in ${where} was killed (signal ${result.exitCode - 128}) before it finished: the pod or its container stopped; check that the pod is still running.`,
        );
      }
      return new Error(
        `receiving ${path} in ${where} exited with code ${result.exitCode}${said ? `: ${said}` : ""}.`,
      );
  }
}

/** Removes `<path>.part`; returns what to tell the operator when that failed, else undefined. */
async function removePartFile(
  config: KubeConfig,
  target: PodTarget,
  path: string,
): Promise<string | undefined> {
  try {
    const result = await execInPod(config, {
      ...target,
      command: ["rm", "-f", `${path}.part`],
      signal: AbortSignal.timeout(CLEANUP_TIMEOUT_MS),
    });
    if (result.exitCode === 0) return undefined;
    return `Removing ${path}.part failed too (${result.stderr.trim()}); a rerun removes it first.`;
  } catch (error) {
    return `${path}.part could not be removed (${errorMessage(error)}); a rerun removes it first.`;
  }
}

/** The source was shorter or longer than the expected byte count. */
class InputLengthError extends Error {
  constructor(
    readonly received: number,
    readonly expected: number,
  ) {
    super(`the source gave ${received} bytes, expected exactly ${expected}`);
  }

  withTarget(where: string, path: string): Error {
    const what =
      this.received < this.expected
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
class ExactLength extends Transform {
  private received = 0;
  private held: Buffer | undefined;
  /** Set when the source was too short or too long. */
  lengthError: InputLengthError | undefined;

  constructor(private readonly expected: number) {
    super();
  }

  override _transform(chunk: Buffer, _encoding: BufferEncoding, done: TransformCallback): void {
    this.received += chunk.length;
    if (this.received > this.expected) {
      this.lengthError = new InputLengthError(this.received, this.expected);
      done(this.lengthError);
      return;
    }
    if (this.held) this.push(this.held);
    this.held = chunk;
    done();
  }

  override _flush(done: TransformCallback): void {
    if (this.received !== this.expected) {
      this.lengthError = new InputLengthError(this.received, this.expected);
      done(this.lengthError);
      return;
    }
    if (this.held) this.push(this.held);
    done();
  }
}
