/**
 * Reading action inputs, in one place (as actions/cache does): each helper turns one input
 * into a typed value or throws one sentence naming the input and what was expected.
 * Nothing else in the project reads inputs.
 */
import * as core from "@actions/core";
import { ConfigurationError, errorMessage } from "../../core/errors.ts";
import { quoteValue, redactSecrets } from "../../core/redact.ts";

/** A mistake in one input; its message already names the input. */
export class InputError extends Error {}

/**
 * Reads or checks one input with `read`; whatever it throws becomes one InputError naming
 * that input (a core ConfigurationError contributes its problem, without its core field name).
 */
export function checkedInput<T>(name: string, read: () => T): T {
  try {
    return read();
  } catch (error) {
    const problem = error instanceof ConfigurationError ? error.problem : errorMessage(error);
    throw new InputError(`Input ${name}: ${problem}`, { cause: error });
  }
}

/**
 * The one line an action fails with. A core ConfigurationError is shown under the action's
 * name for its setting (`inputNames`: core field -> input name, one table per action); any
 * secret-looking text that slipped into a message is replaced by what it looks like.
 */
export function failureMessage(
  error: unknown,
  inputNames: Readonly<Record<string, string>>,
): string {
  const message =
    error instanceof ConfigurationError
      ? `Input ${inputNames[error.field] ?? error.field}: ${error.problem}`
      : errorMessage(error);
  return redactSecrets(message);
}

export function getInput(name: string): string {
  return core.getInput(name, { required: false, trimWhitespace: true });
}

export function getRequiredInput(name: string, expected: string): string {
  const value = getInput(name);
  if (!value) throw new InputError(`Input ${name} is required: expected ${expected}.`);
  return value;
}

export function getInputAsBool(name: string, defaultValue: boolean): boolean {
  const value = getInput(name).toLowerCase();
  if (!value) return defaultValue;
  if (["true", "yes", "1"].includes(value)) return true;
  if (["false", "no", "0"].includes(value)) return false;
  throw new InputError(`Input ${name} is ${quoteValue(value)}: expected true or false.`);
}

/** A non-negative integer; empty means undefined (the feature is off). */
export function getInputAsInt(
  name: string,
  options: { min?: number; max?: number } = {},
): number | undefined {
  const value = getInput(name);
  if (!value) return undefined;
  const min = options.min ?? 0;
  const max = options.max ?? Number.MAX_SAFE_INTEGER;
  if (!/^\d+$/.test(value) || Number(value) < min || Number(value) > max) {
    throw new InputError(
      `Input ${name} is ${quoteValue(value)}: expected a whole number from ${min} to ${max}.`,
    );
  }
  return Number(value);
}

/**
 * A list given one per line or comma-separated; blank entries and comment lines (starting
 * with `#`) are dropped. A `#` elsewhere is part of the value: cutting a path at it would
 * silently back up something else.
 */
export function getInputAsList(name: string): string[] {
  return getInput(name)
    .split(/\r?\n/)
    .filter((line) => !line.trim().startsWith("#"))
    .flatMap((line) => line.split(","))
    .map((entry) => entry.trim())
    .filter(Boolean);
}

/** One of a fixed set of words. */
export function getInputAsChoice<T extends string>(
  name: string,
  choices: readonly T[],
  defaultValue: T,
): T {
  const value = getInput(name);
  if (!value) return defaultValue;
  if (!(choices as readonly string[]).includes(value)) {
    throw new InputError(
      `Input ${name} is ${quoteValue(value)}: expected one of ${choices.join(", ")}.`,
    );
  }
  return value as T;
}
