/**
 * A member's `--quota-backend-bytes`, where the cluster declares it: the kube-etcd
 * StatefulSet's container (user clusters) or the etcd static pod's manifest, as its mirror
 * pod shows it (admin). At the quota etcd raises NOSPACE and refuses every write, so the
 * job summary warns well before.
 */
import type { KubeConfig, V1Container } from "@kubernetes/client-node";
import { AppsV1Api, CoreV1Api } from "../kube-client.ts";
import { describeApiError } from "../kube/errors.ts";
import { ETCD_DEFAULTS, memberConfigFromContainer } from "./member-config.ts";
import type { EtcdClusterProfile } from "./profiles.ts";

export interface MemberQuota {
  bytes: number;
  /** Where the value came from, for the warning: an operator must know what to edit. */
  source: string;
}

/**
 * Reads the quota of a cluster's etcd; `member` picks the admin member's pod when known.
 * Undefined when the member disables it (a negative `--quota-backend-bytes`): no quota, no
 * quota warning.
 */
export async function readMemberQuota(
  config: KubeConfig,
  profile: EtcdClusterProfile,
  member?: string,
): Promise<MemberQuota | undefined> {
  const declared = profile.statefulSet
    ? await statefulSetContainer(config, profile)
    : await staticPodContainer(config, profile, member);
  const memberConfig = memberConfigFromContainer(
    declared.container,
    { name: declared.podName, namespace: profile.namespace },
    declared.where,
  );
  const bytes = memberConfig.quotaBackendBytes;
  if (bytes === undefined) return undefined;
  return {
    bytes,
    source:
      bytes === ETCD_DEFAULTS.quotaBackendBytes
        ? `etcd's default quota: ${declared.where} sets no other`
        : `--quota-backend-bytes of ${declared.where}`,
  };
}

interface DeclaredContainer {
  container: V1Container;
  /** The pod name `$(POD_NAME)` expands to. */
  podName: string;
  where: string;
}

async function statefulSetContainer(
  config: KubeConfig,
  profile: EtcdClusterProfile,
): Promise<DeclaredContainer> {
  const where = `statefulset ${profile.namespace}/${profile.statefulSet}`;
  const statefulSet = await config
    .makeApiClient(AppsV1Api)
    .readNamespacedStatefulSet({ name: profile.statefulSet!, namespace: profile.namespace })
    .catch((error: unknown) => {
      throw new Error(describeApiError(error, where), { cause: error });
    });
  const container = statefulSet.spec?.template.spec?.containers.find(
    (candidate) => candidate.name === profile.container,
  );
  if (!container) throw new Error(`${where} has no container ${profile.container}.`);
  return { container, podName: `${profile.statefulSet}-0`, where };
}

async function staticPodContainer(
  config: KubeConfig,
  profile: EtcdClusterProfile,
  member: string | undefined,
): Promise<DeclaredContainer> {
  const what = `the etcd static pod in ${profile.namespace}`;
  const pods = await config
    .makeApiClient(CoreV1Api)
    .listNamespacedPod({
      namespace: profile.namespace,
      ...(profile.memberLabelSelector ? { labelSelector: profile.memberLabelSelector } : {}),
    })
    .catch((error: unknown) => {
      throw new Error(describeApiError(error, what), { cause: error });
    });
  const pod = pods.items.find((item) => member && item.metadata?.name === member) ?? pods.items[0];
  const name = pod?.metadata?.name;
  const container = pod?.spec?.containers.find((candidate) => candidate.name === profile.container);
  if (!name || !container) {
    throw new Error(
      `no ${what} (selector ${profile.memberLabelSelector}) with a container ${profile.container}.`,
    );
  }
  return { container, podName: name, where: `static pod ${profile.namespace}/${name}` };
}
