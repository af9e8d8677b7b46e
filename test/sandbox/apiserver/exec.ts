/**
 * `pods/exec` over WebSocket, the way kube-apiserver's stream translator speaks it to kubectl
 * and client-node: binary frames `[channel] + payload` (0 stdin, 1 stdout, 2 stderr,
 * 3 status, 4 resize, 255 close in v5), an empty first frame on the lowest requested output
 * channel, output only on requested channels, then exactly one Status frame on channel 3 and
 * a graceful close 1000.
 *
 * Memory stays constant whatever the size of the stream: the process's stdout is paused while
 * the socket's send buffer is full, and the client's socket is paused while the process has
 * not taken in what stdin already holds.
 */
import type { IncomingMessage } from "node:http";
import type { Duplex } from "node:stream";
import { Readable, Writable } from "node:stream";
import { WebSocketServer, type WebSocket } from "ws";
import type { ExecRequest, PodExecutor } from "../exec.ts";
import type { StatusObject } from "./status.ts";

export const EXEC_PROTOCOLS = [
  "v5.channel.k8s.io",
  "v4.channel.k8s.io",
  "v3.channel.k8s.io",
  "v2.channel.k8s.io",
  "channel.k8s.io",
  "base64.channel.k8s.io",
] as const;
export type ExecProtocol = (typeof EXEC_PROTOCOLS)[number];

const CHANNEL = { stdin: 0, stdout: 1, stderr: 2, status: 3, resize: 4, close: 255 } as const;
const MAX_FRAME_PAYLOAD = 32 * 1024;
/** Above this many bytes queued on the socket, the process's output waits. */
const SEND_BUFFER_HIGH_WATER = 1024 * 1024;
/** kubectl 1.32 can drop frames that arrive right after the upgrade (kubernetes#131189). */
const FIRST_OUTPUT_DELAY_MS = 20;
const CLOSE_TIMEOUT_MS = 5000;

export interface ExecOptions {
  stdin: boolean;
  stdout: boolean;
  stderr: boolean;
  tty: boolean;
  container: string;
  command: string[];
}

const flag = (query: URLSearchParams, name: string) => {
  const value = query.get(name);
  return value === "true" || value === "1";
};

/** The exec query as kubectl and client-node send it; a request without a command is refused. */
export function parseExecQuery(query: URLSearchParams): ExecOptions | string {
  const command = query.getAll("command");
  if (command.length === 0) return "you must specify at least one command for the container";
  const options = {
    stdin: flag(query, "stdin"),
    stdout: flag(query, "stdout"),
    stderr: flag(query, "stderr"),
    tty: flag(query, "tty"),
    container: query.get("container") ?? "",
    command,
  };
  if (!options.stdin && !options.stdout && !options.stderr) {
    return "you must specify at least 1 of stdin, stdout, stderr";
  }
  return options;
}

/** The first protocol of ours the client offers; kubectl offers only v5. */
export function chooseProtocol(
  offered: Set<string>,
  served: readonly ExecProtocol[] = EXEC_PROTOCOLS,
): ExecProtocol | false {
  for (const protocol of served) if (offered.has(protocol)) return protocol;
  return false;
}

/** Frames on one socket: binary `[channel]+payload`, or text `"<digit>"+base64` for base64.channel.k8s.io. */
class ChannelSocket {
  constructor(
    readonly socket: WebSocket,
    readonly protocol: ExecProtocol,
  ) {}

  get base64(): boolean {
    return this.protocol === "base64.channel.k8s.io";
  }

  send(channel: number, payload: Buffer, callback?: (error?: Error) => void): void {
    if (this.socket.readyState !== this.socket.OPEN) {
      callback?.(new Error("the exec client has gone away"));
      return;
    }
    if (this.base64)
      this.socket.send(String(channel) + payload.toString("base64"), { binary: false }, callback);
    else
      this.socket.send(
        Buffer.concat([Buffer.from([channel]), payload]),
        { binary: true },
        callback,
      );
  }

  decode(data: Buffer, isBinary: boolean): { channel: number; payload: Buffer } | undefined {
    if (data.length === 0) return undefined;
    if (this.base64 && !isBinary) {
      const text = data.toString("utf8");
      return { channel: Number(text[0]), payload: Buffer.from(text.slice(1), "base64") };
    }
    return { channel: data[0] ?? -1, payload: data.subarray(1) };
  }
}

/** A Writable that frames what the process writes, waiting while the socket is backed up. */
function outputChannel(
  channels: ChannelSocket,
  channel: number,
  firstOutput: Promise<void>,
): Writable {
  return new Writable({
    highWaterMark: 64 * 1024,
    write(chunk: Buffer, _encoding, callback) {
      firstOutput.then(() => sendChunked(channels, channel, chunk, callback), callback);
    },
  });
}

function sendChunked(
  channels: ChannelSocket,
  channel: number,
  chunk: Buffer,
  done: (error?: Error) => void,
): void {
  let offset = 0;
  const sendNext = () => {
    while (offset < chunk.length) {
      const piece = chunk.subarray(offset, offset + MAX_FRAME_PAYLOAD);
      offset += piece.length;
      const last = offset >= chunk.length;
      if (channels.socket.bufferedAmount > SEND_BUFFER_HIGH_WATER) {
        // Wait until this frame has reached the kernel before taking more from the process.
        channels.send(channel, piece, (error) =>
          error ? done(error) : last ? done() : sendNext(),
        );
        return;
      }
      channels.send(channel, piece);
    }
    done();
  };
  sendNext();
}

/** A Readable fed by channel-0 frames; the socket pauses while the process is not reading. */
function stdinChannel(socket: WebSocket): Readable {
  return new Readable({
    highWaterMark: 256 * 1024,
    read() {
      if (socket.isPaused) socket.resume();
    },
  });
}

function exitStatus(
  protocol: ExecProtocol,
  command: string[],
  exitCode: number,
): StatusObject | string | undefined {
  if (exitCode === 0) return protocolUsesJsonStatus(protocol) ? success() : undefined;
  const message = `command terminated with non-zero exit code: error executing command [${command.join(" ")}], exit code ${exitCode}`;
  if (!protocolUsesJsonStatus(protocol)) return message;
  return {
    metadata: {},
    status: "Failure",
    message,
    reason: "NonZeroExitCode",
    details: { causes: [{ reason: "ExitCode", message: String(exitCode) }] },
  } as unknown as StatusObject;
}

const success = () => ({ metadata: {}, status: "Success" }) as unknown as StatusObject;

function failureStatusFor(protocol: ExecProtocol, error: unknown): StatusObject | string {
  const message = error instanceof Error ? error.message : String(error);
  if (!protocolUsesJsonStatus(protocol)) return message;
  return {
    metadata: {},
    status: "Failure",
    message: `Internal error occurred: ${message}`,
    reason: "InternalError",
    details: { causes: [{ message }] },
    code: 500,
  } as unknown as StatusObject;
}

const protocolUsesJsonStatus = (protocol: ExecProtocol) =>
  protocol === "v5.channel.k8s.io" || protocol === "v4.channel.k8s.io";

/** Sends the last frame, then closes with 1000 and waits for the client's close (or gives up). */
function finish(channels: ChannelSocket, status: StatusObject | string | undefined): void {
  const { socket } = channels;
  if (socket.readyState !== socket.OPEN) return;
  if (status !== undefined) {
    channels.send(
      CHANNEL.status,
      Buffer.from(typeof status === "string" ? status : JSON.stringify(status)),
    );
  }
  socket.close(1000);
  const giveUp = setTimeout(() => socket.terminate(), CLOSE_TIMEOUT_MS);
  giveUp.unref();
  socket.once("close", () => clearTimeout(giveUp));
}

export class ExecEndpoint {
  private readonly server: WebSocketServer;
  private readonly sockets = new Set<WebSocket>();

  /** `protocols`: the ones served, in order of preference (an older API server lacks v5). */
  constructor(
    private readonly executor: PodExecutor,
    readonly protocols: readonly ExecProtocol[] = EXEC_PROTOCOLS,
  ) {
    this.server = new WebSocketServer({
      noServer: true,
      perMessageDeflate: false,
      maxPayload: 16 * 1024 * 1024,
      handleProtocols: (offered) => chooseProtocol(offered, protocols),
    });
  }

  /** Completes the upgrade of a request already checked (authenticated, pod exists). */
  upgrade(
    request: IncomingMessage,
    socket: Duplex,
    head: Buffer,
    target: Omit<ExecRequest, "command" | "tty" | "container">,
    options: ExecOptions,
  ): void {
    this.server.handleUpgrade(request, socket, head, (webSocket) => {
      this.sockets.add(webSocket);
      // A client that breaks the protocol or resets the connection ends its session, nothing more.
      webSocket.on("error", () => webSocket.terminate());
      webSocket.once("close", () => this.sockets.delete(webSocket));
      this.run(
        webSocket,
        { ...target, command: options.command, container: options.container, tty: options.tty },
        options,
      );
    });
  }

  private run(webSocket: WebSocket, request: ExecRequest, options: ExecOptions): void {
    const channels = new ChannelSocket(webSocket, webSocket.protocol as ExecProtocol);
    const stdin = options.stdin ? stdinChannel(webSocket) : null;
    const endStdin = () => {
      if (stdin && !stdin.readableEnded) stdin.push(null);
    };
    webSocket.on("message", (data: Buffer, isBinary) => {
      const frame = channels.decode(data, isBinary);
      if (!frame) return;
      if (frame.channel === CHANNEL.stdin && stdin) {
        if (frame.payload.length > 0 && !stdin.push(frame.payload)) webSocket.pause();
      } else if (frame.channel === CHANNEL.close && frame.payload[0] === CHANNEL.stdin) {
        endStdin();
      }
      // Resize (channel 4) has no meaning for processes without a terminal: ignored.
    });

    const firstChannel = options.stdout
      ? CHANNEL.stdout
      : options.stderr
        ? CHANNEL.stderr
        : undefined;
    if (firstChannel !== undefined) channels.send(firstChannel, Buffer.alloc(0));
    const firstOutput = new Promise<void>((resolve) => setTimeout(resolve, FIRST_OUTPUT_DELAY_MS));
    const stdout = options.stdout ? outputChannel(channels, CHANNEL.stdout, firstOutput) : null;
    // With a terminal, stderr is merged into stdout by the terminal itself.
    const stderr =
      options.stderr && !options.tty ? outputChannel(channels, CHANNEL.stderr, firstOutput) : null;

    webSocket.once("close", () => {
      endStdin();
      // The client is gone: whatever the process still writes has nowhere to go.
      for (const output of [stdout, stderr]) output?.destroy();
    });

    const drained = (output: Writable | null) =>
      new Promise<void>((resolve) => {
        if (!output || output.destroyed || output.writableFinished) return resolve();
        output.once("finish", resolve);
        output.once("close", resolve);
        output.end();
      });

    // A runtime that throws instead of rejecting must not take the whole server down.
    Promise.resolve()
      .then(() => this.executor.exec(request, { stdin, stdout, stderr }))
      .then(async ({ exitCode }) => {
        await Promise.all([drained(stdout), drained(stderr)]);
        finish(channels, exitStatus(channels.protocol, request.command, exitCode));
      })
      .catch(async (error: unknown) => {
        await Promise.all([drained(stdout), drained(stderr)]);
        finish(channels, failureStatusFor(channels.protocol, error));
      });
  }

  /** Ends every open exec session, for server shutdown. */
  closeAll(): void {
    this.dropAll();
    this.server.close();
  }

  /** Ends every open exec session and keeps serving new ones (the API server went away a while). */
  dropAll(): void {
    for (const socket of this.sockets) socket.terminate();
  }
}
