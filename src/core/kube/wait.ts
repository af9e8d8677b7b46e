/**
 * Waiting for the cluster to reach a state, with a deadline and a cancel: the one loop every
 * write operation of core/kube uses, so each error says what was awaited, for how long, and
 * what stood in the way the last time it looked.
 */
import { CancelledError } from "../errors.ts";

export interface WaitOptions {
  /** How long to wait before giving up. */
  timeoutMs: number;
  /** Cancels the wait: rejects with a CancelledError. */
  signal?: AbortSignal;
}

/** Done, with a value; or not yet, with why not, for the timeout's message. */
export type Progress<T> = { done: true; value: T } | { done: false; waitingFor: string };

const POLL_INTERVAL_MS = 1000;

/**
 * Calls `check` until it says done (errors from `check` end the wait at once). `goal` reads
 * after "waiting for": `pod uc1/etcd-utility-0 to become Ready`. On timeout the error is
 * `gave up waiting for <goal> after <n> s: <the last waitingFor>`.
 */
export async function waitUntil<T>(
  goal: string,
  check: () => Promise<Progress<T>>,
  options: WaitOptions,
): Promise<T> {
  const deadline = Date.now() + options.timeoutMs;
  for (;;) {
    if (options.signal?.aborted) throw new CancelledError(`cancelled while waiting for ${goal}.`);
    const progress = await check();
    if (progress.done) return progress.value;
    if (Date.now() >= deadline) {
      throw new WaitTimeoutError(
        `gave up waiting for ${goal} after ${Math.round(options.timeoutMs / 1000)} s: ${progress.waitingFor}`,
        progress.waitingFor,
      );
    }
    await pause(Math.min(POLL_INTERVAL_MS, Math.max(0, deadline - Date.now())), options.signal);
  }
}

/** The deadline passed; `waitingFor` is what still stood in the way. */
export class WaitTimeoutError extends Error {
  override readonly name = "WaitTimeoutError";

  constructor(
    message: string,
    readonly waitingFor: string,
  ) {
    super(message);
  }
}

/** A sleep that ends early (without error) when the signal aborts; the loop then throws. */
function pause(ms: number, signal: AbortSignal | undefined): Promise<void> {
  return new Promise((resolve) => {
    const done = () => {
      clearTimeout(timer);
      signal?.removeEventListener("abort", done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    signal?.addEventListener("abort", done, { once: true });
  });
}
