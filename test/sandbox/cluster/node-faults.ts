/**
 * Node failures a restore must notice before it changes anything: a node whose kubelet
 * stopped posting its status (the node lifecycle controller then sets every condition to
 * Unknown and taints the node unreachable), and a node that is gone (`kubectl delete node`).
 * Both are written to the Node object as the control plane would; the node's processes are
 * left alone, as a network partition leaves them.
 */
import type { KubeObject, ObjectStore } from "../store.ts";
import { timestamp } from "../runtime/pod-spec.ts";

const NODE_RESOURCE = "nodes";
const UNREACHABLE_TAINTS = [
  { key: "node.kubernetes.io/unreachable", effect: "NoSchedule" },
  { key: "node.kubernetes.io/unreachable", effect: "NoExecute" },
];

interface NodeCondition {
  type: string;
  status: string;
  reason?: string;
  message?: string;
  lastHeartbeatTime?: string;
  lastTransitionTime?: string;
}

export interface NodeFaults {
  /** Ready=Unknown, reason NodeStatusUnknown, tainted unreachable. */
  markNotReady(node: string): void;
  /** Ready=True again, the taints gone: the kubelet posts its status again. */
  markReady(node: string): void;
  /** The Node object deleted; `restore` puts the same node back. */
  remove(node: string): void;
  restore(node: string): void;
}

export function nodeFaults(store: ObjectStore): NodeFaults {
  const removed = new Map<string, KubeObject>();
  const healthyConditions = new Map<string, NodeCondition[]>();
  return {
    markNotReady: (node) =>
      store.mutate(NODE_RESOURCE, undefined, node, (current) => {
        const now = timestamp();
        const status = current.status as { conditions?: NodeCondition[] };
        if (!healthyConditions.has(node))
          healthyConditions.set(node, structuredClone(status.conditions ?? []));
        status.conditions = (status.conditions ?? []).map((condition) => ({
          ...condition,
          status: "Unknown",
          reason: "NodeStatusUnknown",
          message: "Kubelet stopped posting node status.",
          lastTransitionTime: now,
        }));
        const spec = current.spec as { taints?: Array<Record<string, string>> };
        spec.taints = [
          ...(spec.taints ?? []).filter((taint) => !isUnreachableTaint(taint)),
          ...UNREACHABLE_TAINTS.map((taint) => ({ ...taint, timeAdded: now })),
        ];
      }),
    markReady: (node) =>
      store.mutate(NODE_RESOURCE, undefined, node, (current) => {
        const now = timestamp();
        const status = current.status as { conditions?: NodeCondition[] };
        const healthy = healthyConditions.get(node) ?? status.conditions ?? [];
        healthyConditions.delete(node);
        status.conditions = healthy.map((condition) => ({
          ...condition,
          lastHeartbeatTime: now,
          lastTransitionTime: now,
        }));
        const spec = current.spec as { taints?: Array<Record<string, string>> };
        const kept = (spec.taints ?? []).filter((taint) => !isUnreachableTaint(taint));
        if (kept.length) spec.taints = kept;
        else delete spec.taints;
      }),
    remove: (node) => {
      removed.set(node, store.require(NODE_RESOURCE, undefined, node));
      store.delete(NODE_RESOURCE, undefined, node);
    },
    restore: (node) => {
      const saved = removed.get(node);
      if (!saved)
        throw new Error(`node ${node} was not removed by the sandbox: nothing to restore`);
      const copy = structuredClone(saved);
      delete copy.metadata.resourceVersion;
      store.create(NODE_RESOURCE, copy);
      removed.delete(node);
    },
  };
}

function isUnreachableTaint(taint: Record<string, string>): boolean {
  return taint.key === "node.kubernetes.io/unreachable";
}
