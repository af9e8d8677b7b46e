/**
 * One kubelet per node: watches the Pods bound to its node and keeps one PodWorker per pod.
 * A pod that gets a deletionTimestamp is stopped gracefully and then removed from the store;
 * a pod removed from the store outright (forced) is stopped without waiting.
 */
import type { KubeObject, WatchEvent } from "../store.ts";
import type { WorkerContext } from "./pod-worker.ts";
import { PodWorker } from "./pod-worker.ts";
import { guarded } from "./processes.ts";
import { POD_RESOURCE, podKey, podSpec } from "./pod-spec.ts";

export class Kubelet {
  private readonly workers = new Map<string, PodWorker>();
  private stopWatch: (() => void) | undefined;

  constructor(private readonly context: WorkerContext) {}

  get nodeName(): string {
    return this.context.node.name;
  }

  start(): void {
    const { store } = this.context;
    const fromVersion = store.currentResourceVersion();
    const what = `kubelet ${this.context.node.name}`;
    for (const pod of store.list(POD_RESOURCE).items)
      guarded(what, this.context.logger, () => this.onPod(pod));
    this.stopWatch = store.watch(POD_RESOURCE, undefined, fromVersion, (event) =>
      guarded(what, this.context.logger, () => this.onEvent(event)),
    );
  }

  worker(namespace: string, name: string): PodWorker | undefined {
    return this.workers.get(podKey(namespace, name));
  }

  workersIn(namespace: string): PodWorker[] {
    return [...this.workers.values()].filter((worker) => worker.namespace === namespace);
  }

  /** Stops every pod of the node (short grace), leaving the Pod objects in the store. */
  async stop(graceSeconds: number): Promise<void> {
    this.stopWatch?.();
    const results = await Promise.allSettled(
      [...this.workers.values()].map((worker) => worker.terminate(graceSeconds, false)),
    );
    this.workers.clear();
    const failed = results.find((result) => result.status === "rejected");
    if (failed) throw failed.reason;
  }

  private onEvent(event: WatchEvent): void {
    if (event.type === "DELETED") {
      const worker = this.workers.get(
        podKey(event.object.metadata.namespace, event.object.metadata.name),
      );
      if (worker && worker.uid === event.object.metadata.uid) void this.retire(worker, 0, false);
      return;
    }
    this.onPod(event.object);
  }

  private onPod(pod: KubeObject): void {
    if (podSpec(pod).nodeName !== this.context.node.name) return;
    const key = podKey(pod.metadata.namespace, pod.metadata.name);
    const existing = this.workers.get(key);
    if (existing && existing.uid === pod.metadata.uid) {
      if (pod.metadata.deletionTimestamp) void this.retire(existing, gracePeriod(pod), true);
      return;
    }
    if (pod.metadata.deletionTimestamp) {
      // Bound here but never started (the kubelet was not running): nothing to stop.
      const current = this.context.store.get(
        POD_RESOURCE,
        pod.metadata.namespace,
        pod.metadata.name,
      );
      if (current?.metadata.uid === pod.metadata.uid) {
        this.context.store.delete(POD_RESOURCE, pod.metadata.namespace, pod.metadata.name);
      }
      return;
    }
    const worker = new PodWorker(pod, this.context);
    this.workers.set(key, worker);
    const predecessorGone = existing ? this.retire(existing, 0, false) : Promise.resolve();
    void predecessorGone.then(() => worker.start());
  }

  private async retire(
    worker: PodWorker,
    graceSeconds: number,
    deleteObject: boolean,
  ): Promise<void> {
    try {
      await worker.terminate(graceSeconds, deleteObject);
    } catch (error) {
      this.context.logger.error(
        `pod ${worker.namespace}/${worker.name} on ${this.nodeName} did not stop cleanly: ${error instanceof Error ? error.message : String(error)}`,
      );
    }
    const key = podKey(worker.namespace, worker.name);
    if (this.workers.get(key) === worker) this.workers.delete(key);
  }
}

function gracePeriod(pod: KubeObject): number {
  const fromDeletion = pod.metadata.deletionGracePeriodSeconds;
  if (typeof fromDeletion === "number") return fromDeletion;
  return podSpec(pod).terminationGracePeriodSeconds ?? 30;
}
