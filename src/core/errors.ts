/**
 * The errors every layer shares. A `ConfigurationError` is the user's mistake: it names the
 * setting (`field`, e.g. "recipients"), and each front door (the action, the CLI) shows it
 * under its own name for that setting (`encryption-recipients`, `--recipient`). Anything else
 * is a failure of the run. `errorMessage` is the one way to turn a thrown value into text.
 */

/** The user's mistake in one setting; the message says what was expected, never a secret. */
export class ConfigurationError extends Error {
  override readonly name = "ConfigurationError";

  constructor(
    /** The setting, in core's words: `recipients`, `destination`, `clusters`, `paths`... */
    readonly field: string,
    /** What is wrong with it and what was expected, e.g. `expected a whole number`. */
    readonly problem: string,
    options?: ErrorOptions,
  ) {
    super(`${field}: ${problem}`, options);
  }
}

/** The run was cancelled (SIGINT, SIGTERM, or the caller's AbortSignal). */
export class CancelledError extends Error {
  override readonly name = "CancelledError";
}

export function isConfigurationError(error: unknown): error is ConfigurationError {
  return error instanceof ConfigurationError;
}

/** The message of anything thrown: an Error's message, else its string form. */
export function errorMessage(error: unknown): string {
  if (error instanceof Error) return error.message;
  if (typeof error === "string") return error;
  try {
    return JSON.stringify(error) ?? String(error);
  } catch {
    return String(error);
  }
}
