/**
 * The reasons a pod is not Ready, from the status a kubelet and scheduler write: pure logic,
 * so every shape can be checked, including a NotReady node (the sandbox keeps its nodes
 * Ready).
 */
import type { V1Node, V1Pod } from "@kubernetes/client-node";
import { describe, expect, it } from "vitest";
import {
  describePodProblem,
  isPodReady,
  nodeProblem,
  podProblemReasons,
} from "../../src/core/kube/pod-status.ts";

function pod(status: V1Pod["status"], extra: Partial<V1Pod> = {}): V1Pod {
  return {
    metadata: { name: "kube-etcd-1", namespace: "uc1" },
    spec: { nodeName: "admin-node-1", containers: [{ name: "kube-etcd" }] },
    status,
    ...extra,
  };
}

function node(name: string, ready: "True" | "False" | "Unknown", reason?: string): V1Node {
  return {
    metadata: { name },
    status: { conditions: [{ type: "Ready", status: ready, ...(reason ? { reason } : {}) }] },
  };
}

const readyPod = pod({
  phase: "Running",
  conditions: [{ type: "Ready", status: "True" }],
  containerStatuses: [{ name: "kube-etcd", ready: true, restartCount: 0, image: "", imageID: "" }],
});

describe("pod diagnosis", () => {
  it("calls a Running pod with Ready=True ready, and a terminating one not", () => {
    expect(isPodReady(readyPod)).toBe(true);
    const terminating = {
      ...readyPod,
      metadata: { ...readyPod.metadata, deletionTimestamp: new Date() },
    };
    expect(isPodReady(terminating)).toBe(false);
    expect(describePodProblem(terminating)).toBe("kube-etcd-1: Terminating");
  });

  it("gives the waiting reason, its message, the last exit code and the restarts", () => {
    const crashing = pod({
      phase: "Running",
      containerStatuses: [
        {
          name: "kube-etcd",
          ready: false,
          restartCount: 4,
          image: "",
          imageID: "",
          state: { waiting: { reason: "CrashLoopBackOff", message: "back-off 10s" } },
          lastState: { terminated: { exitCode: 2, reason: "Error" } },
        },
      ],
    });
    expect(describePodProblem(crashing)).toBe(
      "kube-etcd-1: container kube-etcd CrashLoopBackOff (back-off 10s; last exit code 2, restarted 4 times)",
    );
  });

  it("gives the scheduler's reason for a pod that fits on no node", () => {
    const pending = pod(
      {
        phase: "Pending",
        conditions: [
          {
            type: "PodScheduled",
            status: "False",
            reason: "Unschedulable",
            message:
              "0/4 nodes are available: 4 node(s) didn't match Pod's node affinity/selector.",
          },
        ],
      },
      { spec: { containers: [{ name: "kube-etcd" }] } },
    );
    expect(podProblemReasons(pending)).toBe(
      "Pending, Unschedulable (0/4 nodes are available: 4 node(s) didn't match Pod's node affinity/selector.)",
    );
  });

  it("adds the node's NotReady condition to a pod stuck on it", () => {
    const stuck = pod({
      phase: "Pending",
      conditions: [{ type: "PodScheduled", status: "True" }],
      containerStatuses: [
        {
          name: "kube-etcd",
          ready: false,
          restartCount: 0,
          image: "",
          imageID: "",
          state: { waiting: { reason: "ContainerCreating" } },
        },
      ],
    });
    const nodes = new Map([["admin-node-1", node("admin-node-1", "Unknown", "NodeStatusUnknown")]]);
    expect(describePodProblem(stuck, nodes)).toBe(
      "kube-etcd-1: container kube-etcd ContainerCreating; node admin-node-1 is NotReady (NodeStatusUnknown)",
    );
    expect(nodeProblem(node("admin-node-1", "True"))).toBeUndefined();
  });

  it("says a pod that has ended is Failed with its reason", () => {
    const evicted = pod({ phase: "Failed", reason: "Evicted", message: "low on disk" });
    expect(podProblemReasons(evicted)).toBe("Failed (Evicted: low on disk)");
  });

  it("says a running container is not Ready when its readiness fails", () => {
    const unready = pod({
      phase: "Running",
      conditions: [{ type: "Ready", status: "False" }],
      containerStatuses: [
        {
          name: "kube-etcd",
          ready: false,
          restartCount: 0,
          image: "",
          imageID: "",
          state: { running: {} },
        },
      ],
    });
    expect(podProblemReasons(unready)).toBe("container kube-etcd running but not Ready");
  });
});
