/**
 * Every SSH failure the operator can act on carries a reason, so a procedure can decide
 * (retry, fail, store nothing) without parsing sentences, and the message says what to do.
 */
export type SshFailureReason =
  | "bad-input"
  | "unreachable"
  | "handshake"
  | "host-key-unknown"
  | "host-key-mismatch"
  | "host-key-revoked"
  | "key-refused"
  | "jump-forward"
  | "sudo-needs-password"
  | "sudo-not-allowed"
  | "path-missing"
  | "command-failed"
  | "dropped";

export class SshError extends Error {
  readonly reason: SshFailureReason;

  constructor(reason: SshFailureReason, message: string) {
    super(message);
    this.name = "SshError";
    this.reason = reason;
  }
}

/** A remote command that ran and failed: the exit status and (bounded) stderr are kept. */
export class RemoteCommandError extends SshError {
  readonly exitCode: number | null;
  readonly signal: string | null;
  readonly stderr: string;

  constructor(
    reason: SshFailureReason,
    message: string,
    outcome: { exitCode: number | null; signal: string | null; stderr: string },
  ) {
    super(reason, message);
    this.name = "RemoteCommandError";
    this.exitCode = outcome.exitCode;
    this.signal = outcome.signal;
    this.stderr = outcome.stderr;
  }
}
