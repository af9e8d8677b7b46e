/**
 * The loop every sandbox controller runs on: watch events put object keys on a queue, the
 * queue is drained on the next turn of the event loop (so a burst of events costs one
 * reconcile), and a reconcile that throws is retried a little later instead of being lost.
 * The store is synchronous, so one reconcile never interleaves with another.
 */
import { createHash } from "node:crypto";
import type { Logger } from "../../../../src/core/log/logger.ts";
import type { ObjectStore, WatchEvent } from "../../store.ts";

export interface ObjectKey {
  namespace: string;
  name: string;
}

const RETRY_AFTER_MS = 500;
/** A safety net: events drive everything, but a periodic pass costs little and heals misses. */
const RESYNC_EVERY_MS = 5_000;

export class ReconcileLoop {
  private readonly pending = new Set<string>();
  private scheduled: NodeJS.Immediate | undefined;
  private readonly timers = new Set<NodeJS.Timeout>();
  private readonly unwatch: Array<() => void> = [];
  private stopped = false;

  constructor(
    private readonly controllerName: string,
    private readonly store: ObjectStore,
    private readonly logger: Logger,
    private readonly reconcile: (key: ObjectKey) => void,
  ) {}

  /** Reconciles the object an event is about (its own key). */
  watchOwn(resource: string): this {
    return this.watchRelated(resource, (event) => [keyOf(event)]);
  }

  /** Reconciles whatever keys `keysFor` maps an event of another resource to. */
  watchRelated(resource: string, keysFor: (event: WatchEvent) => ObjectKey[]): this {
    this.unwatch.push(
      this.store.watch(resource, undefined, undefined, (event) => {
        for (const key of keysFor(event)) this.enqueue(key);
      }),
    );
    return this;
  }

  /** Queues every existing object of the resource now and again every few seconds. */
  resyncFrom(resource: string): this {
    const enqueueAll = () => {
      for (const object of this.store.list(resource).items) {
        this.enqueue({ namespace: object.metadata.namespace ?? "", name: object.metadata.name });
      }
    };
    enqueueAll();
    const timer = setInterval(enqueueAll, RESYNC_EVERY_MS);
    timer.unref();
    this.timers.add(timer);
    return this;
  }

  enqueue(key: ObjectKey): void {
    if (this.stopped) return;
    this.pending.add(`${key.namespace}/${key.name}`);
    this.scheduled ??= setImmediate(() => this.drain());
  }

  stop(): void {
    this.stopped = true;
    for (const stopWatching of this.unwatch.splice(0)) stopWatching();
    for (const timer of this.timers) clearTimeout(timer);
    this.timers.clear();
    if (this.scheduled) clearImmediate(this.scheduled);
    this.scheduled = undefined;
    this.pending.clear();
  }

  private drain(): void {
    this.scheduled = undefined;
    const keys = [...this.pending];
    this.pending.clear();
    for (const joined of keys) {
      if (this.stopped) return;
      const slash = joined.indexOf("/");
      const key = { namespace: joined.slice(0, slash), name: joined.slice(slash + 1) };
      try {
        this.reconcile(key);
      } catch (error) {
        this.logger.warning(
          `${this.controllerName} controller: reconciling ${joined} failed, retrying: ${(error as Error).message}`,
        );
        this.retryLater(key);
      }
    }
  }

  private retryLater(key: ObjectKey): void {
    const timer = setTimeout(() => {
      this.timers.delete(timer);
      this.enqueue(key);
    }, RETRY_AFTER_MS);
    timer.unref();
    this.timers.add(timer);
  }
}

export function keyOf(event: WatchEvent): ObjectKey {
  return { namespace: event.object.metadata.namespace ?? "", name: event.object.metadata.name };
}

/**
 * A short hash of a pod template, spelled in the alphabet Kubernetes uses for generated
 * names, over a canonical form (sorted keys) so that a patch that only reorders fields is
 * not a new revision.
 */
export function templateHash(template: unknown, length = 10): string {
  const digest = createHash("sha256").update(canonicalJson(template)).digest();
  const alphabet = "bcdfghjklmnpqrstvwxz2456789";
  let hash = "";
  for (let i = 0; i < length; i++) hash += alphabet[(digest[i] ?? 0) % alphabet.length];
  return hash;
}

export function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(",")}]`;
  if (value && typeof value === "object") {
    const entries = Object.entries(value as Record<string, unknown>)
      .filter(([, inner]) => inner !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([key, inner]) => `${JSON.stringify(key)}:${canonicalJson(inner)}`).join(",")}}`;
  }
  return JSON.stringify(value ?? null);
}

export function nowTimestamp(): string {
  return new Date().toISOString().replace(/\.\d+Z$/, "Z");
}
