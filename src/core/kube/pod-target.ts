/**
 * One reference to a container in a pod, used by every exec, stream and wait in core/kube,
 * so the namespace/pod/container triple is written once.
 */

export interface PodTarget {
  namespace: string;
  pod: string;
  container: string;
}

/** `uc1/kube-etcd-0 (container kube-etcd)`, for messages. */
export function describePodTarget(target: PodTarget): string {
  return `${target.namespace}/${target.pod} (container ${target.container})`;
}
