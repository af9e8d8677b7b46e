/**
 * Why a pod is not Ready, in the words `kubectl describe` would use: Unschedulable with the
 * scheduler's message, ImagePullBackOff, CrashLoopBackOff with the last exit code, a node
 * that is NotReady, Terminating. Pure functions over what the API returns.
 */
import type { V1Node, V1Pod } from "@kubernetes/client-node";

/** Ready: phase Running, not being deleted, condition Ready=True. */
export function isPodReady(pod: V1Pod): boolean {
  if (pod.metadata?.deletionTimestamp || pod.status?.phase !== "Running") return false;
  return (pod.status.conditions ?? []).some(
    (condition) => condition.type === "Ready" && condition.status === "True",
  );
}

/** A node whose Ready condition is not True, as `NotReady (reason)`; undefined when it is Ready. */
export function nodeProblem(node: V1Node | undefined): string | undefined {
  if (!node) return undefined;
  const ready = (node.status?.conditions ?? []).find((condition) => condition.type === "Ready");
  if (ready?.status === "True") return undefined;
  const why = ready?.reason ?? ready?.message;
  return `node ${node.metadata?.name ?? "?"} is NotReady${why ? ` (${why})` : ""}`;
}

/**
 * `kube-etcd-2: ImagePullBackOff (Back-off pulling image "x")`: the pod's name and the reasons
 * it is not Ready, most telling first. `nodes` (by name) adds a NotReady node to the reasons.
 */
export function describePodProblem(pod: V1Pod, nodes?: ReadonlyMap<string, V1Node>): string {
  return `${pod.metadata?.name ?? "?"}: ${podProblemReasons(pod, nodes)}`;
}

/** The reasons alone, for a message that already names the pod. */
export function podProblemReasons(pod: V1Pod, nodes?: ReadonlyMap<string, V1Node>): string {
  const reasons = podProblems(pod);
  const nodeName = pod.spec?.nodeName;
  const node = nodeName ? nodeProblem(nodes?.get(nodeName)) : undefined;
  if (node) reasons.push(node);
  return reasons.join("; ") || "not Ready";
}

function podProblems(pod: V1Pod): string[] {
  const status = pod.status;
  if (pod.metadata?.deletionTimestamp) return ["Terminating"];
  if (status?.phase === "Failed" || status?.phase === "Succeeded") {
    return [
      `${status.phase}${status.reason ? ` (${status.reason}${status.message ? `: ${status.message}` : ""})` : ""}`,
    ];
  }
  const scheduled = (status?.conditions ?? []).find(
    (condition) => condition.type === "PodScheduled",
  );
  if (scheduled?.status === "False") {
    return [
      `Pending, ${scheduled.reason ?? "not scheduled"}${scheduled.message ? ` (${scheduled.message})` : ""}`,
    ];
  }
  const containers = [
    ...(status?.initContainerStatuses ?? []),
    ...(status?.containerStatuses ?? []),
  ];
  const problems = containers.flatMap((container) => {
    if (container.ready) return [];
    const waiting = container.state?.waiting;
    const terminated = container.state?.terminated;
    const last = container.lastState?.terminated;
    const restarts = container.restartCount ? `, restarted ${container.restartCount} times` : "";
    if (waiting?.reason) {
      const lastExit = last ? `last exit code ${last.exitCode}${restarts}` : restarts.slice(2);
      const detail = [waiting.message, lastExit].filter(Boolean).join("; ");
      return [`container ${container.name} ${waiting.reason}${detail ? ` (${detail})` : ""}`];
    }
    if (terminated) {
      return [
        `container ${container.name} terminated (${terminated.reason ?? "exit code"} ${terminated.exitCode})`,
      ];
    }
    if (container.state?.running)
      return [`container ${container.name} running but not Ready${restarts}`];
    return [`container ${container.name} not started`];
  });
  if (problems.length > 0) return problems;
  return [status?.phase ? `${status.phase}, not Ready` : "no status yet"];
}
