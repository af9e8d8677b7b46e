/**
 * Reading action inputs, in one place (as actions/cache does): each helper turns one input
 * into a typed value or throws one sentence naming the input and what was expected.
 * Nothing else in the project reads inputs.
 */
import * as core from "@actions/core";

export class InputError extends Error {}

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
  throw new InputError(`Input ${name} is "${value}": expected true or false.`);
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
      `Input ${name} is "${value}": expected a whole number from ${min} to ${max}.`,
    );
  }
  return Number(value);
}

/** A list given one per line or comma-separated; blank entries and `#` comments are dropped. */
export function getInputAsList(name: string): string[] {
  return getInput(name)
    .split(/[\n,]/)
    .map((entry) => entry.replace(/#.*$/, "").trim())
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
    throw new InputError(`Input ${name} is "${value}": expected one of ${choices.join(", ")}.`);
  }
  return value as T;
}
