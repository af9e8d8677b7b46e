/**
 * Exec into a pod over the Kubernetes WebSocket channel protocol (v5, falling back to v4),
 * with backpressure both ways: when the consumer of stdout is slow, the socket is paused, and
 * stdin is read only while less than a bounded number of bytes is still on its way to the
 * API server, so a multi-GB snapshot streams through in constant memory. client-node's own
 * Exec writes without waiting and is not used for data.
 *
 * No TTY, ever: a TTY mangles binary output (one of the runbook script's flaws).
 */
import { once } from "node:events";
import type { Readable, Writable } from "node:stream";
import type { KubeConfig } from "@kubernetes/client-node";
import WebSocket from "ws";
import { CancelledError, errorMessage } from "../errors.ts";
import { describePodTarget, type PodTarget } from "./pod-target.ts";

const STDIN = 0;
const STDOUT = 1;
const STDERR = 2;
const STATUS = 3;
const CLOSE = 255;

const V5 = "v5.channel.k8s.io";
const V4 = "v4.channel.k8s.io";

/** At most this much stderr is kept for error messages. */
const STDERR_LIMIT = 64 * 1024;
/** stdin goes out in frames of this size, the size the API server uses itself. */
const STDIN_FRAME_BYTES = 32 * 1024;
/** stdin is not read while this many bytes are sent but not yet handed to the kernel. */
const STDIN_IN_FLIGHT_LIMIT = 4 * 1024 * 1024;

export interface ExecOptions extends PodTarget {
  command: string[];
  /** Where stdout goes; written with backpressure. Not ended by exec. */
  stdout?: Writable;
  /**
   * Fed to the process's stdin, read no faster than the socket takes it. Its end closes stdin
   * (v5). When the exec ends before stdin has been read to the end, stdin is destroyed.
   */
  stdin?: Readable;
  /**
   * The command reads a known number of bytes (e.g. `head -c N`) and needs no end-of-input
   * signal. Only such an exec can feed stdin over the v4 protocol (API servers before
   * Kubernetes 1.30), which has no way to close stdin; any other is refused there before a
   * byte is sent.
   */
  stdinEndsItself?: boolean;
  /** Cancels the exec: the socket is closed and the call rejects with a CancelledError. */
  signal?: AbortSignal;
  /** Told each piece of stderr as it arrives (stderr is also kept for the result). */
  onStderr?: (text: string) => void;
  /** Told when the API server has accepted the exec and the command runs. */
  onOpen?: (protocol: string) => void;
}

export interface ExecResult {
  exitCode: number;
  /** The tail of stderr (up to 64 KiB). */
  stderr: string;
  /** stdout bytes when no stdout stream was given (small outputs only). */
  stdout: string;
}

/** The exec ran, but the stream broke before the process reported how it ended. */
export class ExecStreamError extends Error {
  override readonly name = "ExecStreamError";
}

export async function execInPod(config: KubeConfig, options: ExecOptions): Promise<ExecResult> {
  const where = describePodTarget(options);
  const cancelled = () =>
    new CancelledError(`exec of \`${options.command[0]}\` in ${where} was cancelled.`);
  if (options.signal?.aborted) throw cancelled();
  const socket = await openExecSocket(config, options);

  const stdoutChunks: Buffer[] = [];
  let stderrText = "";
  let status: Record<string, unknown> | undefined;
  let failure: Error | undefined;
  const fail = (error: Error) => {
    failure ??= error;
    socket.terminate();
  };
  const stdoutWrites = options.stdout ? new PendingWrites() : undefined;

  const onAbort = () => fail(cancelled());
  options.signal?.addEventListener("abort", onAbort, { once: true });
  // A signal aborted before the call never fires its event: stop at once.
  if (options.signal?.aborted) onAbort();

  socket.on("unexpected-response", (_request, response) => {
    let body = "";
    response.setEncoding("utf8");
    response.on("data", (chunk: string) => (body += chunk));
    response.on("end", () =>
      fail(
        new Error(
          `exec in ${where} was refused by the API server: ${statusMessage(body) ?? `HTTP ${response.statusCode}`}`,
        ),
      ),
    );
    response.on("error", (error) =>
      fail(new ExecStreamError(`exec in ${where} failed: ${error.message}`)),
    );
  });

  let stdoutPaused = false;
  socket.on("message", (data: Buffer, isBinary: boolean) => {
    if (!isBinary || data.length === 0) return;
    const channel = data[0];
    const payload = data.subarray(1);
    if (channel === STDOUT) {
      const stdout = options.stdout;
      if (!stdout || !stdoutWrites) {
        stdoutChunks.push(Buffer.from(payload));
        return;
      }
      if (payload.length === 0) return;
      const writable = stdout.write(
        payload,
        stdoutWrites.track((error) => fail(error)),
      );
      if (!writable && !stdoutPaused) {
        stdoutPaused = true;
        socket.pause();
        stdout.once("drain", () => {
          stdoutPaused = false;
          socket.resume();
        });
      }
    } else if (channel === STDERR) {
      const text = payload.toString("utf8");
      stderrText = (stderrText + text).slice(-STDERR_LIMIT);
      options.onStderr?.(text);
    } else if (channel === STATUS) {
      try {
        status = JSON.parse(payload.toString("utf8")) as Record<string, unknown>;
      } catch {
        failure ??= new ExecStreamError(`exec in ${where}: unreadable status frame`);
      }
    }
  });

  const opened = once(socket, "open").then(
    () => true,
    () => false,
  );
  const closed = new Promise<void>((resolve) => socket.once("close", () => resolve()));
  socket.on("error", (error) => {
    failure ??= new ExecStreamError(`exec in ${where} failed: ${error.message}`);
  });

  let feeding: Promise<void> | undefined;
  if (await opened) {
    options.onOpen?.(socket.protocol);
    if (options.stdin) feeding = startStdin(socket, options, where, fail);
  }
  await closed;
  options.signal?.removeEventListener("abort", onAbort);
  if (options.stdin && !options.stdin.readableEnded) options.stdin.destroy();
  await feeding;
  await stdoutWrites?.settled();

  if (failure) throw failure;
  if (!status) {
    throw new ExecStreamError(
      `exec in ${where} ended without an exit status: the stream was cut (API server, node or network); the output is incomplete.`,
    );
  }
  return {
    exitCode: exitCodeOf(status, where),
    stderr: stderrText,
    stdout: Buffer.concat(stdoutChunks).toString("utf8"),
  };
}

/** Runs a command that must succeed, returning its stdout; a non-zero exit is an error with stderr. */
export async function execChecked(config: KubeConfig, options: ExecOptions): Promise<ExecResult> {
  const result = await execInPod(config, options);
  if (result.exitCode !== 0) {
    const detail = result.stderr.trim().split("\n").slice(-5).join(" | ");
    throw new Error(
      `\`${options.command.join(" ")}\` in ${options.namespace}/${options.pod} exited with code ${result.exitCode}${detail ? `: ${detail}` : ""}`,
    );
  }
  return result;
}

async function openExecSocket(config: KubeConfig, options: ExecOptions): Promise<WebSocket> {
  const cluster = config.getCurrentCluster();
  if (!cluster) throw new Error("kubeconfig has no current cluster");
  const query = new URLSearchParams();
  for (const part of options.command) query.append("command", part);
  query.set("container", options.container);
  query.set("stdout", "true");
  query.set("stderr", "true");
  query.set("stdin", options.stdin ? "true" : "false");
  query.set("tty", "false");
  const url =
    cluster.server.replace(/^http/, "ws").replace(/\/$/, "") +
    `/api/v1/namespaces/${encodeURIComponent(options.namespace)}/pods/${encodeURIComponent(options.pod)}/exec?${query}`;
  const socketOptions: WebSocket.ClientOptions = { perMessageDeflate: false, maxPayload: 0 };
  await config.applyToHTTPSOptions(socketOptions);
  return new WebSocket(url, [V5, V4], socketOptions);
}

/**
 * Starts feeding stdin once the protocol is known. Without an end-of-input signal (v4) only
 * a command that ends its input itself can be fed: anything else would wait forever.
 */
function startStdin(
  socket: WebSocket,
  options: ExecOptions,
  where: string,
  fail: (error: Error) => void,
): Promise<void> {
  const stdin = options.stdin!;
  const canClose = socket.protocol === V5;
  if (!canClose && !options.stdinEndsItself) {
    fail(
      new Error(
        `exec in ${where} needs to close stdin, but the API server speaks only the ${socket.protocol || "pre-v5"} exec protocol (Kubernetes before 1.30), which cannot; upgrade the cluster or use a command that reads a known number of bytes.`,
      ),
    );
    return Promise.resolve();
  }
  return feedStdin(socket, stdin, canClose).catch((error: unknown) => {
    // Once the exec has ended, stdin is destroyed on purpose: that is no failure.
    if (socket.readyState === WebSocket.OPEN)
      fail(new ExecStreamError(`exec in ${where}: stdin failed: ${errorMessage(error)}`));
  });
}

/** Copies stdin into channel-0 frames, keeping at most STDIN_IN_FLIGHT_LIMIT bytes in flight. */
async function feedStdin(socket: WebSocket, stdin: Readable, closeAtEnd: boolean): Promise<void> {
  const window = new SendWindow(socket);
  for await (const chunk of stdin as AsyncIterable<Buffer | string>) {
    const bytes = typeof chunk === "string" ? Buffer.from(chunk) : chunk;
    for (let offset = 0; offset < bytes.length; offset += STDIN_FRAME_BYTES) {
      if (socket.readyState !== WebSocket.OPEN) return;
      const piece = bytes.subarray(offset, offset + STDIN_FRAME_BYTES);
      await window.send(Buffer.concat([Buffer.from([STDIN]), piece]));
    }
  }
  if (closeAtEnd && socket.readyState === WebSocket.OPEN) {
    await window.send(Buffer.from([CLOSE, STDIN]));
  }
}

/**
 * Bytes handed to the socket whose send callback has not come back yet (ws calls it once the
 * frame is written to the connection). `send` waits while that is over the limit.
 */
class SendWindow {
  private inFlight = 0;
  private wake: (() => void) | undefined;
  private sendError: Error | undefined;

  constructor(private readonly socket: WebSocket) {
    socket.once("close", () => this.wake?.());
  }

  async send(frame: Buffer): Promise<void> {
    if (this.sendError) throw this.sendError;
    this.inFlight += frame.length;
    this.socket.send(frame, (error) => {
      this.inFlight -= frame.length;
      if (error) this.sendError ??= error;
      this.wake?.();
    });
    while (
      this.inFlight > STDIN_IN_FLIGHT_LIMIT &&
      !this.sendError &&
      this.socket.readyState === WebSocket.OPEN
    ) {
      await new Promise<void>((resolve) => (this.wake = resolve));
      this.wake = undefined;
    }
    if (this.sendError) throw this.sendError;
  }
}

/** Write callbacks not yet called; `settled` resolves once every one has been. */
class PendingWrites {
  private count = 0;
  private done: (() => void) | undefined;

  track(onError: (error: Error) => void): (error?: Error | null) => void {
    this.count++;
    return (error) => {
      this.count--;
      if (error) onError(error);
      if (this.count === 0) this.done?.();
    };
  }

  settled(): Promise<void> {
    if (this.count === 0) return Promise.resolve();
    return new Promise((resolve) => (this.done = resolve));
  }
}

function exitCodeOf(status: Record<string, unknown>, where: string): number {
  if (status.status === "Success") return 0;
  const details = status.details as
    { causes?: Array<{ reason?: string; message?: string }> } | undefined;
  const exitCause = details?.causes?.find((cause) => cause.reason === "ExitCode");
  if (status.reason === "NonZeroExitCode" && exitCause?.message) return Number(exitCause.message);
  throw new Error(`exec in ${where} failed: ${String(status.message ?? JSON.stringify(status))}`);
}

function statusMessage(body: string): string | undefined {
  try {
    const parsed = JSON.parse(body) as { message?: string };
    return parsed.message;
  } catch {
    return body.trim().slice(0, 200) || undefined;
  }
}
