/**
 * The pod status a kubelet writes, computed from its containers: phase by the kubelet's own
 * rules (a container waiting to run for the first time keeps the pod Pending; one that has
 * run and waits to restart counts as stopped, so a crash-looping pod with restartPolicy
 * Always is Running), the conditions with lastTransitionTime kept while a condition holds.
 */
import type { ContainerStatus } from "./container.ts";
import type { Condition } from "./pod-spec.ts";
import { timestamp } from "./pod-spec.ts";

export interface PodStatusInput {
  previous: { conditions?: Condition[] } | undefined;
  sandboxReady: boolean;
  hostIP: string;
  podIP: string | undefined;
  startTime: string;
  containers: ContainerStatus[];
  restartPolicy: "Always" | "OnFailure" | "Never";
}

export function podPhase(
  containers: ContainerStatus[],
  restartPolicy: PodStatusInput["restartPolicy"],
): string {
  let waiting = 0;
  let running = 0;
  let stopped = 0;
  let succeeded = 0;
  for (const container of containers) {
    if ("running" in container.state) running++;
    else if ("terminated" in container.state) {
      stopped++;
      if (container.state.terminated.exitCode === 0) succeeded++;
    } else if (container.lastState.terminated) stopped++;
    else waiting++;
  }
  if (waiting > 0 || containers.length === 0) return "Pending";
  if (running > 0) return "Running";
  if (restartPolicy === "Always") return "Running";
  if (stopped === succeeded) return "Succeeded";
  if (restartPolicy === "Never") return "Failed";
  return "Running";
}

export function podStatus(input: PodStatusInput): Record<string, unknown> {
  const phase = podPhase(input.containers, input.restartPolicy);
  const unready = input.containers.filter((container) => !container.ready).map((c) => c.name);
  const completed = phase === "Succeeded" || phase === "Failed";
  const notReady = (): Omit<Condition, "type" | "lastProbeTime" | "lastTransitionTime"> =>
    completed
      ? { status: "False", reason: "PodCompleted" }
      : {
          status: "False",
          reason: "ContainersNotReady",
          message: `containers with unready status: [${unready.join(" ")}]`,
        };
  const readiness = unready.length === 0 ? { status: "True" as const } : notReady();
  const previous = input.previous?.conditions ?? [];
  const scheduled = previous.find((condition) => condition.type === "PodScheduled");
  const conditions = [
    condition(previous, "PodReadyToStartContainers", {
      status: input.sandboxReady ? "True" : "False",
    }),
    condition(previous, "Initialized", { status: "True" }),
    condition(previous, "Ready", readiness),
    condition(previous, "ContainersReady", readiness),
    scheduled ?? condition(previous, "PodScheduled", { status: "True" }),
  ];
  return {
    phase,
    conditions,
    hostIP: input.hostIP,
    hostIPs: [{ ip: input.hostIP }],
    ...(input.podIP ? { podIP: input.podIP, podIPs: [{ ip: input.podIP }] } : {}),
    startTime: input.startTime,
    containerStatuses: input.containers,
    qosClass: "BestEffort",
  };
}

/** A condition whose lastTransitionTime moves only when its status does. */
function condition(
  previous: Condition[],
  type: string,
  value: Omit<Condition, "type" | "lastProbeTime" | "lastTransitionTime">,
): Condition {
  const before = previous.find((existing) => existing.type === type);
  const lastTransitionTime =
    before && before.status === value.status ? before.lastTransitionTime : timestamp();
  return { type, ...value, lastProbeTime: null, lastTransitionTime };
}
