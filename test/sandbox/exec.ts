/**
 * The seam between the sandbox API server and the pod runtime: the API server turns an exec
 * WebSocket into an ExecRequest and streams, the runtime runs the command inside the pod's
 * own network namespace and filesystem view, and the exit code goes back as a Status frame.
 */
import type { Readable, Writable } from "node:stream";

export interface ExecRequest {
  namespace: string;
  pod: string;
  /** Empty when the request names none: the pod's first container. */
  container: string;
  command: string[];
  tty: boolean;
}

export interface ExecStreams {
  /** Ends when the client closes stdin (v5 close signal) or the socket. Null without stdin. */
  stdin: Readable | null;
  stdout: Writable | null;
  stderr: Writable | null;
}

export interface PodExecutor {
  /**
   * Runs the command and resolves with its exit code once it has exited and its output has
   * been written. Rejects with a StoreError (NotFound, or Invalid for "container not found"
   * and "pod is not running") when the command cannot be started at all.
   */
  exec(request: ExecRequest, streams: ExecStreams): Promise<{ exitCode: number }>;
}
