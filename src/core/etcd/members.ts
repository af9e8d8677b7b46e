/**
 * Finding a cluster's etcd members and their health, as runbook step 3.1 does with
 * `kubectl get pods -o wide`, but by the StatefulSet's own selector (user clusters) or the
 * control-plane labels (admin), and then asking each member itself.
 */
import type { KubeConfig, V1Pod } from "@kubernetes/client-node";
import { AppsV1Api, CoreV1Api } from "../kube-client.ts";
import { errorMessage } from "../errors.ts";
import { execInPod } from "../kube/exec.ts";
import { describeApiError } from "../kube/errors.ts";
import { endpointStatusJson, parseEndpointStatus, type EndpointStatus } from "./etcdctl.ts";
import type { EtcdClusterProfile } from "./profiles.ts";

export interface EtcdMember {
  pod: string;
  node: string;
  /** The N of kube-etcd-N (user clusters); 0 for the admin cluster's single member. */
  memberNumber: number;
  phase: string;
  ready: boolean;
}

export interface MemberHealth extends EtcdMember {
  healthy: boolean;
  status?: EndpointStatus;
  /** Why the member is not usable, in one line. */
  problem?: string;
}

/** The member pods of a cluster, in member-number order. */
export async function findMembers(
  config: KubeConfig,
  profile: EtcdClusterProfile,
): Promise<EtcdMember[]> {
  const core = config.makeApiClient(CoreV1Api);
  let labelSelector = profile.memberLabelSelector;
  if (profile.statefulSet) {
    const apps = config.makeApiClient(AppsV1Api);
    const statefulSet = await apps
      .readNamespacedStatefulSet({ name: profile.statefulSet, namespace: profile.namespace })
      .catch((error: unknown) => {
        throw new Error(
          `cluster ${profile.cluster}: ${describeApiError(error, `statefulset ${profile.namespace}/${profile.statefulSet}`)}`,
          { cause: error },
        );
      });
    const matchLabels = statefulSet.spec?.selector.matchLabels ?? {};
    labelSelector = Object.entries(matchLabels)
      .map(([key, value]) => `${key}=${value}`)
      .join(",");
  }
  const pods = await core
    .listNamespacedPod({ namespace: profile.namespace, labelSelector })
    .catch((error: unknown) => {
      throw new Error(
        `cluster ${profile.cluster}: ${describeApiError(error, `pods in ${profile.namespace}`)}`,
        { cause: error },
      );
    });
  const members = pods.items
    .filter(
      (pod) => !profile.statefulSet || pod.metadata?.name?.startsWith(`${profile.statefulSet}-`),
    )
    .map((pod) => toMember(pod, profile));
  if (members.length === 0) {
    throw new Error(
      `cluster ${profile.cluster}: no etcd member pods found in namespace ${profile.namespace} (selector ${labelSelector}).`,
    );
  }
  return members.sort((a, b) => a.memberNumber - b.memberNumber);
}

function toMember(pod: V1Pod, profile: EtcdClusterProfile): EtcdMember {
  const name = pod.metadata?.name ?? "";
  const ordinal = profile.statefulSet ? Number(name.slice(profile.statefulSet.length + 1)) : 0;
  const containerStatus = pod.status?.containerStatuses?.find(
    (status) => status.name === profile.container,
  );
  return {
    pod: name,
    node: pod.spec?.nodeName ?? "",
    memberNumber: Number.isInteger(ordinal) ? ordinal : 0,
    phase: pod.metadata?.deletionTimestamp ? "Terminating" : (pod.status?.phase ?? "Unknown"),
    ready: Boolean(containerStatus?.ready),
  };
}

/** Asks every member for its endpoint status through exec; never throws for one sick member. */
export async function checkMemberHealth(
  config: KubeConfig,
  profile: EtcdClusterProfile,
  members: EtcdMember[],
): Promise<MemberHealth[]> {
  return Promise.all(
    members.map(async (member): Promise<MemberHealth> => {
      if (member.phase !== "Running") {
        return { ...member, healthy: false, problem: `pod is ${member.phase}` };
      }
      try {
        const result = await execInPod(config, {
          namespace: profile.namespace,
          pod: member.pod,
          container: profile.container,
          command: endpointStatusJson(profile),
        });
        if (result.exitCode !== 0) {
          const reason = result.stderr.trim().split("\n").pop() ?? `exit code ${result.exitCode}`;
          return {
            ...member,
            healthy: false,
            problem: `etcdctl endpoint status failed: ${reason}`,
          };
        }
        return { ...member, healthy: true, status: parseEndpointStatus(result.stdout) };
      } catch (error) {
        return { ...member, healthy: false, problem: errorMessage(error) };
      }
    }),
  );
}

/**
 * The member to snapshot: a healthy one, preferring a follower (so the leader is spared the
 * extra load) with the highest revision; never blindly kube-etcd-0.
 */
export function chooseSnapshotMember(health: MemberHealth[]): MemberHealth | undefined {
  const healthy = health.filter((member) => member.healthy && member.status);
  const byRevision = (a: MemberHealth, b: MemberHealth) =>
    (b.status?.revision ?? 0) - (a.status?.revision ?? 0) || a.memberNumber - b.memberNumber;
  const followers = healthy.filter((member) => member.status?.memberId !== member.status?.leaderId);
  return [...followers].sort(byRevision)[0] ?? [...healthy].sort(byRevision)[0];
}
