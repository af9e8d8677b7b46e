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
import { PassThrough, type Readable } from "node:stream";
import type { Client, ClientChannel } from "ssh2";
import { errorMessage } from "../errors.ts";
import { RemoteCommandError, SshError } from "./errors.ts";

export interface RemoteCommandOutcome {
  exitCode: number | null;
  signal: string | null;
  stderr: string;
}

export interface RemoteCommandOptions {
  /** How the command is named in messages, e.g. "tar of /etc/kubernetes/pki". */
  describe?: string;
  /** Turns a failed outcome into a sharper error (sudo wanting a password, a missing path). */
  interpretFailure?: (outcome: RemoteCommandOutcome) => Error | undefined;
  /** Bytes of stderr kept for messages (default 64 KiB); the rest is counted, not kept. */
  stderrLimitBytes?: number;
  /**
   * Streamed into the command's stdin, with backpressure; EOF follows its end. The command
   * must read all of it: exiting before the source ended is a failure. On any failure the
   * source is destroyed, as a pipeline would.
   */
  stdin?: Readable;
  /** How the input is named in messages, e.g. "the snapshot from uc1". Default "the input". */
  describeStdin?: string;
}

export interface RemoteCommand {
  /** The command's stdout; errors (never ends) when the command fails or the link drops. */
  stdout: Readable;
  /** Resolves when the command exited 0; rejects with the same error the stream gets. */
  completed: Promise<RemoteCommandOutcome>;
}

/** What the command runner needs to know about the session it runs on. */
export interface CommandContext {
  client: Client;
  /** "ubuntu@10.0.0.2:22" (and the jump host, if any): where the command ran. */
  target: string;
  host: string;
  /** True once the caller closed the session on purpose: not a drop, nobody to alarm. */
  closedByCaller: () => boolean;
}

class BoundedText {
  private readonly chunks: Buffer[] = [];
  private kept = 0;
  private dropped = 0;

  constructor(private readonly limit: number) {}

  add(chunk: Buffer): void {
    const room = this.limit - this.kept;
    if (room > 0) {
      const part = chunk.subarray(0, room);
      this.chunks.push(part);
      this.kept += part.length;
    }
    this.dropped += Math.max(0, chunk.length - Math.max(room, 0));
  }

  toString(): string {
    const text = Buffer.concat(this.chunks).toString("utf8").trim();
    return this.dropped > 0 ? `${text}\n(${this.dropped} more bytes of stderr not shown)` : text;
  }
}

function lastLines(text: string, count: number): string {
  const lines = text.split("\n").filter((line) => line.trim() !== "");
  return lines.slice(-count).join("; ");
}

function genericFailure(
  context: CommandContext,
  describe: string,
  outcome: RemoteCommandOutcome,
): Error {
  const status = outcome.signal
    ? `was killed by signal ${outcome.signal}`
    : `exited with status ${outcome.exitCode}`;
  const detail = outcome.stderr
    ? `: ${lastLines(outcome.stderr, 5)}`
    : " and wrote nothing to stderr";
  return new RemoteCommandError(
    "command-failed",
    `${describe} on ${context.target} ${status}${detail}`,
    outcome,
  );
}

export function startRemoteCommand(
  context: CommandContext,
  command: string,
  options: RemoteCommandOptions = {},
): RemoteCommand {
  const describe = options.describe ?? `command "${command}"`;
  const stdout = new PassThrough({ highWaterMark: 256 * 1024 });
  // `completed` carries every error to whoever awaits it; the stream's 'error' is for its
  // reader. A stream nobody reads (a caller that only awaits `completed`, or a reader that
  // already gave up) must not turn that event into a process crash.
  stdout.on("error", () => undefined);
  const stderr = new BoundedText(options.stderrLimitBytes ?? 64 * 1024);
  let settle!: { resolve: (outcome: RemoteCommandOutcome) => void; reject: (error: Error) => void };
  const completed = new Promise<RemoteCommandOutcome>(
    (resolve, reject) => (settle = { resolve, reject }),
  );
  // Callers that only read the stream still get the error there; keep Node from calling an
  // awaited-elsewhere rejection "unhandled".
  completed.catch(() => undefined);

  let finished = false;
  let channel: ClientChannel | undefined;
  const input = options.stdin ? feedInput(options.stdin, options.describeStdin) : undefined;
  const fail = (error: Error, failOptions: { quietly?: boolean } = {}) => {
    if (finished) return;
    finished = true;
    stopWatchingConnection();
    // Quietly: the stream is cut short (a premature close for any pipeline reading it) but
    // carries no error of its own: the session was closed on purpose.
    if (failOptions.quietly) stdout.destroy();
    else stdout.destroy(error);
    input?.abandon(error);
    stopRemote(channel);
    settle.reject(error);
  };
  const succeed = (outcome: RemoteCommandOutcome) => {
    if (finished) return;
    finished = true;
    stopWatchingConnection();
    stdout.end();
    settle.resolve(outcome);
  };
  const onConnectionLost = () => {
    if (context.closedByCaller()) {
      const cutShort = `${describe} on ${context.target} was cut short: the session was closed before it finished.`;
      return fail(new SshError("command-failed", cutShort), { quietly: true });
    }
    fail(
      new SshError(
        "dropped",
        `the SSH connection to ${context.target} dropped while ${describe} was running; ` +
          `what was ${input ? "sent and " : ""}received is incomplete and must not be used. Check the node and the network, then run again.`,
      ),
    );
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
  stdout.once("close", () =>
    fail(
      new SshError(
        "command-failed",
        `${describe} on ${context.target} was stopped before it finished.`,
      ),
    ),
  );
  input?.failed.then((error) =>
    fail(
      new SshError(
        "command-failed",
        `${input.name} of ${describe} on ${context.target} failed: ${errorMessage(error)}; the command was stopped before it got all of it.`,
      ),
    ),
  );

  context.client.exec(command, (error, openedChannel) => {
    if (error) {
      fail(
        new SshError(
          "command-failed",
          `${context.target} would not start ${describe}: ${error.message}.`,
        ),
      );
      return;
    }
    if (finished) {
      stopRemote(openedChannel);
      return;
    }
    channel = openedChannel;
    let exit: { code: number | null; signal: string | null } | undefined;
    openedChannel.stderr.on("data", (chunk: Buffer) => stderr.add(chunk));
    // A channel-level error (the link broke under it) is the drop, said once.
    openedChannel.on("error", onConnectionLost);
    openedChannel.stderr.on("error", onConnectionLost);
    openedChannel.on("exit", (code: number | null, signal?: string) => {
      exit = { code: code ?? null, signal: signal ?? null };
    });
    openedChannel.on("close", () => {
      if (!exit) return onConnectionLost();
      const outcome = { exitCode: exit.code, signal: exit.signal, stderr: stderr.toString() };
      if (exit.code === 0 && !exit.signal) {
        if (input && !input.ended()) {
          return fail(
            new RemoteCommandError(
              "command-failed",
              `${describe} on ${context.target} exited before it read all of ${input.name} (${input.sentBytes()} bytes sent); it did not get the whole input.`,
              outcome,
            ),
          );
        }
        return succeed(outcome);
      }
      fail(options.interpretFailure?.(outcome) ?? genericFailure(context, describe, outcome));
    });
    openedChannel.pipe(stdout, { end: false });
    // Without input the command gets EOF on its stdin at once.
    if (input) input.into(openedChannel);
    else openedChannel.end();
  });
  return { stdout, completed };
}

/**
 * Stops the command on the node: a signal first (sshd delivers it to the command's process
 * group), so that closing the channel, which closes the command's stdin, can never read as
 * the clean end of its input; then the channel is closed.
 */
function stopRemote(channel: ClientChannel | undefined): void {
  if (!channel) return;
  try {
    channel.signal("TERM");
  } catch {
    // The channel is already closing: nothing left to signal.
  }
  channel.close();
}

interface FedInput {
  name: string;
  /** Resolves with the source's error if it fails; never rejects. */
  failed: Promise<Error>;
  ended: () => boolean;
  sentBytes: () => number;
  into: (channel: ClientChannel) => void;
  abandon: (error: Error) => void;
}

/** Streams a source into the channel's stdin; EOF only after the source's own clean end. */
function feedInput(source: Readable, name = "the input"): FedInput {
  let ended = false;
  let sent = 0;
  let reportFailure: (error: Error) => void = () => undefined;
  const failed = new Promise<Error>((resolve) => (reportFailure = resolve));
  const onError = (error: Error) => reportFailure(error);
  source.on("error", onError);
  source.once("end", () => (ended = true));
  // Destroyed without an error: the input was cut short just the same.
  source.once("close", () => {
    if (!ended) reportFailure(source.errored ?? new Error("it was closed before its end"));
  });
  return {
    name,
    failed,
    ended: () => ended,
    sentBytes: () => sent,
    // pipe() writes only while the channel accepts (the node's SSH window), and ends it
    // (EOF) only on the source's 'end', never on its error.
    into: (channel) => {
      source.on("data", (chunk: Buffer) => (sent += chunk.length));
      source.pipe(channel);
    },
    abandon: (error) => {
      if (!ended && !source.destroyed) source.destroy(error);
    },
  };
}

/** Runs a command and collects its stdout, refusing more than `limitBytes` of it. */
export async function collectRemoteCommand(
  command: RemoteCommand,
  limitBytes: number,
  describe: string,
): Promise<{ stdout: Buffer; outcome: RemoteCommandOutcome }> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of command.stdout as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > limitBytes) {
      command.stdout.destroy();
      throw new SshError(
        "command-failed",
        `${describe} printed more than ${limitBytes} bytes; expected a short listing.`,
      );
    }
    chunks.push(chunk);
  }
  const outcome = await command.completed;
  return { stdout: Buffer.concat(chunks), outcome };
}
