/**
 * `sudo -n` on the node: never prompt (there is no terminal, and a prompt would hang the
 * job); when sudo wants a password, say so plainly instead of showing sudo's own words.
 */
import { RemoteCommandError } from "./errors.ts";
import type { RemoteCommand, RemoteCommandOutcome } from "./command.ts";
import type { SshSession } from "./session.ts";
import { shellCommand } from "./shell.ts";

export function sudoCommand(argv: string[]): string {
  return shellCommand(["sudo", "-n", ...argv]);
}

const SUDO_WANTS_PASSWORD = /^sudo: (a password is required|a terminal is required)/m;
const SUDO_NOT_ALLOWED =
  /^sudo: .*(is not in the sudoers file|is not allowed to execute|may not run sudo)|^Sorry, user .* may not run sudo/m;

/** Recognises sudo's own refusals in a failed command's stderr. */
export function sudoRefusal(
  outcome: RemoteCommandOutcome,
  where: { host: string; user: string; programs: string[] },
): RemoteCommandError | undefined {
  const programs = where.programs.join(" and ");
  const sudoersLine = `${where.user} ALL=(root) NOPASSWD: ${where.programs.map((program) => `/usr/bin/${program}`).join(", ")}`;
  if (SUDO_WANTS_PASSWORD.test(outcome.stderr)) {
    return new RemoteCommandError(
      "sudo-needs-password",
      `sudo on ${where.host} needs a password for user ${where.user}; give user ${where.user} passwordless sudo for ` +
        `${programs} (a sudoers line such as "${sudoersLine}"), ` +
        `or connect as a user that has it.`,
      outcome,
    );
  }
  if (SUDO_NOT_ALLOWED.test(outcome.stderr)) {
    return new RemoteCommandError(
      "sudo-not-allowed",
      `user ${where.user} may not run ${programs} with sudo on ${where.host}; allow it in the node's sudoers ` +
        `("${sudoersLine}"), or connect as a user that may.`,
      outcome,
    );
  }
  return undefined;
}

/**
 * Runs `sudo -n <argv>` on the node: stdout streams as from `exec`, and sudo's own refusal
 * becomes one clear error naming the host, the user and the programs needed.
 */
export function execWithSudo(
  session: SshSession,
  argv: string[],
  options: { describe?: string } = {},
): RemoteCommand {
  const program = argv[0] ?? "";
  return session.exec(sudoCommand(argv), {
    describe: options.describe ?? `sudo ${program}`,
    interpretFailure: (outcome) =>
      sudoRefusal(outcome, { host: session.host, user: session.user, programs: [program] }),
  });
}
