/**
 * Exec into a pod over the Kubernetes WebSocket channel protocol (v5, falling back to v4),
 * with backpressure: when the consumer of stdout is slow, the socket is paused, so a
 * multi-GB snapshot streams through in constant memory. client-node's own Exec writes
 * without waiting and is not used for data.
 *
 * No TTY, ever: a TTY mangles binary output (one of the runbook script's flaws).
 */
import { once } from "node:events";
import type { Readable, Writable } from "node:stream";
import type { KubeConfig } from "@kubernetes/client-node";
import WebSocket from "ws";

const STDIN = 0;
const STDOUT = 1;
const STDERR = 2;
const STATUS = 3;
const CLOSE = 255;

/** At most this much stderr is kept for error messages. */
const STDERR_LIMIT = 64 * 1024;

export interface ExecOptions {
  namespace: string;
  pod: string;
  container: string;
  command: string[];
  /** Where stdout goes; written with backpressure. Not ended by exec. */
  stdout?: Writable;
  /** Fed to the process's stdin; its end closes stdin (v5) or is an error on v4. */
  stdin?: Readable;
  /** Abort the exec (the socket is closed and the call rejects). */
  signal?: AbortSignal;
  /** Told each piece of stderr as it arrives (stderr is also kept for the result). */
  onStderr?: (text: string) => void;
  /** Told when the API server has accepted the exec and the command runs. */
  onOpen?: () => void;
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
  const socket = new WebSocket(url, ["v5.channel.k8s.io", "v4.channel.k8s.io"], socketOptions);
  const where = `${options.namespace}/${options.pod} (container ${options.container})`;

  const stdoutChunks: Buffer[] = [];
  let stderrText = "";
  let status: Record<string, unknown> | undefined;
  let failure: Error | undefined;
  let pendingWrites = 0;

  const onAbort = () => {
    failure ??= new ExecStreamError(`exec in ${where} was aborted`);
    socket.terminate();
  };
  options.signal?.addEventListener("abort", onAbort, { once: true });
  // A signal aborted before the call never fires its event: stop at once.
  if (options.signal?.aborted) onAbort();

  socket.on("unexpected-response", (_request, response) => {
    let body = "";
    response.setEncoding("utf8");
    response.on("data", (chunk: string) => (body += chunk));
    response.on("end", () => {
      failure ??= new Error(
        `exec in ${where} was refused by the API server: ${statusMessage(body) ?? `HTTP ${response.statusCode}`}`,
      );
      socket.terminate();
    });
  });

  socket.on("message", (data: Buffer, isBinary: boolean) => {
    if (!isBinary || data.length === 0) return;
    const channel = data[0];
    const payload = data.subarray(1);
    if (channel === STDOUT) {
      if (!options.stdout) {
        stdoutChunks.push(Buffer.from(payload));
        return;
      }
      if (payload.length === 0) return;
      pendingWrites++;
      const writable = options.stdout.write(payload, (error) => {
        pendingWrites--;
        if (error) {
          failure ??= error;
          socket.terminate();
        }
      });
      if (!writable) {
        socket.pause();
        options.stdout.once("drain", () => socket.resume());
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

  if (await opened) {
    options.onOpen?.();
    if (options.stdin)
      feedStdin(socket, options.stdin, (error) => {
        failure ??= new ExecStreamError(`exec in ${where}: stdin failed: ${error.message}`);
        socket.terminate();
      });
  }
  await closed;
  options.signal?.removeEventListener("abort", onAbort);
  if (options.stdout && pendingWrites > 0) await waitForWrites(() => pendingWrites === 0);

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

function feedStdin(socket: WebSocket, stdin: Readable, onError: (error: Error) => void): void {
  stdin.on("data", (chunk: Buffer) => {
    const frame = Buffer.concat([Buffer.from([STDIN]), chunk]);
    socket.send(frame, (error) => error && onError(error));
    // Keep the socket's send buffer bounded: stop reading stdin until it drains.
    if (socket.bufferedAmount > 4 * 1024 * 1024) {
      stdin.pause();
      const wait = setInterval(() => {
        if (socket.bufferedAmount < 1024 * 1024 || socket.readyState !== WebSocket.OPEN) {
          clearInterval(wait);
          stdin.resume();
        }
      }, 5);
    }
  });
  stdin.on("end", () => {
    if (socket.protocol === "v5.channel.k8s.io") socket.send(Buffer.from([CLOSE, STDIN]));
    else onError(new Error("the API server speaks only v4, which cannot close stdin"));
  });
  stdin.on("error", onError);
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

async function waitForWrites(done: () => boolean): Promise<void> {
  while (!done()) await new Promise((resolve) => setTimeout(resolve, 5));
}
