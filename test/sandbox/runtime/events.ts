/**
 * Events as the scheduler and kubelets record them (core/v1 Event), so `kubectl describe`
 * and `kubectl get events` show why a pod waits. A repeat of the same reason and message on
 * the same object bumps `count` and `lastTimestamp` instead of adding a new event.
 */
import { randomBytes } from "node:crypto";

import type { KubeObject, ObjectStore } from "../store.ts";
import { timestamp } from "./pod-spec.ts";

export const EVENT_RESOURCE = "events";

export interface EventSource {
  component: string;
  host?: string;
}

export class EventRecorder {
  private readonly recorded = new Map<string, string>();

  constructor(
    private readonly store: ObjectStore,
    private readonly source: EventSource,
  ) {}

  record(object: KubeObject, type: "Normal" | "Warning", reason: string, message: string): void {
    const namespace = object.metadata.namespace ?? "default";
    const key = `${object.metadata.uid}|${reason}|${message}`;
    const now = timestamp();
    const existing = this.recorded.get(key);
    if (existing && this.store.get(EVENT_RESOURCE, namespace, existing)) {
      this.store.mutate(EVENT_RESOURCE, namespace, existing, (event) => {
        event.count = Number(event.count ?? 1) + 1;
        event.lastTimestamp = now;
      });
      return;
    }
    const name = `${object.metadata.name}.${randomBytes(8).toString("hex")}`;
    this.store.create(EVENT_RESOURCE, {
      apiVersion: "v1",
      kind: "Event",
      metadata: { name, namespace },
      involvedObject: {
        apiVersion: object.apiVersion,
        kind: object.kind,
        namespace: object.metadata.namespace,
        name: object.metadata.name,
        uid: object.metadata.uid,
        resourceVersion: object.metadata.resourceVersion,
      },
      reason,
      message,
      type,
      source: this.source,
      reportingComponent: this.source.component,
      reportingInstance: this.source.host ?? "",
      firstTimestamp: now,
      lastTimestamp: now,
      count: 1,
    });
    this.recorded.set(key, name);
  }
}
