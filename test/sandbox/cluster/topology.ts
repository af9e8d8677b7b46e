/**
 * What the sandbox admin cluster is made of, by name: the images, the user clusters and the
 * nodes. As on Anthos (v1 admin clusters), each user cluster's control plane gets its own
 * admin-cluster nodes, labelled `kubernetes.googleapis.com/cluster-name: <cluster>`: the
 * runbook's utility pod selects on that label and on the node of the member.
 */
import type { ImageRule } from "../runtime/images.ts";

/** The version the runbook's `GKE_ON_PREM_VERSION` placeholder stands for in the sandbox. */
export const GKE_ON_PREM_VERSION = "1.32.400-gke.68";

export const IMAGES = {
  etcd: "gcr.io/gke-on-prem-release/etcd:v3.4.13-0-gke.0",
  /** Test-only: the same etcd without a shell (IMAGE_POLICY), to prove the restore's fallback. */
  etcdDistroless: "gcr.io/gke-on-prem-release/etcd:v3.4.13-0-gke.0-distroless",
  etcdUtil: `gcr.io/gke-on-prem-release/etcd-util:${GKE_ON_PREM_VERSION}`,
  kubeApiserver: "gcr.io/gke-on-prem-release/kube-apiserver:v1.32.4-gke.0",
  etcdMaintenance: `gcr.io/gke-on-prem-release/gke-master-etcd-maintenance:${GKE_ON_PREM_VERSION}`,
} as const;

/**
 * The images a sandbox pod may run (each runs the host's binaries). Anything else stays in
 * ImagePullBackOff, as an image missing from the registry would.
 */
export const IMAGE_POLICY: ImageRule[] = [
  // Test-only: an etcd image without a shell, as upstream's distroless ones from 3.5.7 on.
  {
    pattern: "gcr.io/gke-on-prem-release/etcd:*-distroless",
    command: ["/usr/bin/etcd"],
    // env: the sandbox's exec enters a container through it (a real runtime needs none).
    binaries: ["etcd", "etcdctl", "env"],
  },
  { pattern: "gcr.io/gke-on-prem-release/etcd:*", command: ["/usr/bin/etcd"] },
  { pattern: "gcr.io/gke-on-prem-release/etcd-util:*" },
  { pattern: "gcr.io/gke-on-prem-release/kube-apiserver:*" },
  { pattern: "gcr.io/gke-on-prem-release/gke-master-etcd-maintenance:*" },
];

export interface UserClusterSpec {
  /** The user cluster's name, which is also its namespace in the admin cluster. */
  name: string;
  /** Number of etcd members: 1 (non-HA) or 3 (HA), as Anthos makes them. */
  members: number;
  /**
   * kube-etcd's podManagementPolicy; default Parallel. With OrderedReady (and the members'
   * readiness probe, `endpoint health`, which needs quorum) scaling up from 0 deadlocks:
   * pod-0 never becomes Ready alone, so pod-1 is never created. The sandbox creates such a
   * set Parallel, and switches it to OrderedReady once the members are healthy (see
   * pod-management.ts).
   */
  podManagementPolicy?: "OrderedReady" | "Parallel";
  /**
   * A size limit, in MB, on each member's PVC: a tmpfs of that size is mounted at the PVC's
   * host folder before the member starts (etcd preallocates 64 MB of WAL: give it room).
   */
  volumeLimitMb?: number;
}

export const DEFAULT_USER_CLUSTERS: readonly UserClusterSpec[] = [
  { name: "uc1", members: 3 },
  { name: "uc2", members: 1 },
];

export const ADMIN_MASTER = "admin-master";
export const CLUSTER_NAME_LABEL = "kubernetes.googleapis.com/cluster-name";
export const CONTROL_PLANE_LABEL = "node-role.kubernetes.io/control-plane";
export const HOSTNAME_LABEL = "kubernetes.io/hostname";

/** The sandbox network has room for eight nodes: the master and seven workers. */
const MAX_NODES = 8;
const NAMESPACE_NAME = /^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/;
const RESERVED_NAMESPACES = new Set(["default", "kube-system", "kube-public", "kube-node-lease"]);

export interface NodePlan {
  name: string;
  labels: Record<string, string>;
  controlPlane: boolean;
  /** The user cluster whose control plane the node hosts, for workers. */
  userCluster?: string;
}

export interface MemberPlan {
  cluster: string;
  memberNumber: number;
  pod: string;
  node: string;
}

export interface ClusterPlan {
  nodes: NodePlan[];
  members: MemberPlan[];
}

/**
 * Checks the user cluster list and lays out the nodes: `admin-master`, then
 * `admin-node-0`, `admin-node-1`, ... one per etcd member, the first user cluster's first.
 */
export function planCluster(userClusters: readonly UserClusterSpec[]): ClusterPlan {
  checkUserClusters(userClusters);
  const nodes: NodePlan[] = [
    {
      name: ADMIN_MASTER,
      labels: { [HOSTNAME_LABEL]: ADMIN_MASTER, [CONTROL_PLANE_LABEL]: "" },
      controlPlane: true,
    },
  ];
  const members: MemberPlan[] = [];
  for (const cluster of userClusters) {
    for (let memberNumber = 0; memberNumber < cluster.members; memberNumber++) {
      const node = `admin-node-${nodes.length - 1}`;
      nodes.push({
        name: node,
        labels: { [HOSTNAME_LABEL]: node, [CLUSTER_NAME_LABEL]: cluster.name },
        controlPlane: false,
        userCluster: cluster.name,
      });
      members.push({ cluster: cluster.name, memberNumber, pod: `kube-etcd-${memberNumber}`, node });
    }
  }
  return { nodes, members };
}

function checkUserClusters(userClusters: readonly UserClusterSpec[]): void {
  const seen = new Set<string>();
  for (const cluster of userClusters) {
    if (!NAMESPACE_NAME.test(cluster.name) || RESERVED_NAMESPACES.has(cluster.name)) {
      throw new Error(
        `user cluster name "${cluster.name}" is not usable: expected a namespace name (lowercase letters, digits and '-') other than ${[...RESERVED_NAMESPACES].join(", ")}.`,
      );
    }
    if (seen.has(cluster.name)) {
      throw new Error(`user cluster "${cluster.name}" is listed twice: expected each name once.`);
    }
    seen.add(cluster.name);
    if (
      cluster.volumeLimitMb !== undefined &&
      !(Number.isInteger(cluster.volumeLimitMb) && cluster.volumeLimitMb >= 100)
    ) {
      throw new Error(
        `user cluster "${cluster.name}" has a volume limit of ${cluster.volumeLimitMb} MB: expected a whole number of MB, 100 or more (etcd preallocates 64 MB of WAL).`,
      );
    }
    if (!Number.isInteger(cluster.members) || cluster.members < 1 || cluster.members > 5) {
      throw new Error(
        `user cluster "${cluster.name}" has ${cluster.members} etcd members: expected a whole number from 1 to 5 (Anthos uses 1 or 3).`,
      );
    }
  }
  const memberCount = userClusters.reduce((sum, cluster) => sum + cluster.members, 0);
  if (memberCount + 1 > MAX_NODES) {
    throw new Error(
      `the user clusters have ${memberCount} etcd members in all, each on its own node: the sandbox has room for at most ${MAX_NODES - 1}.`,
    );
  }
}

/**
 * Parses `--user-clusters uc1:3,uc2:1`. Every entry must be `<name>:<members>`, optionally
 * followed by `:OrderedReady` (or `:Parallel`, the default) for kube-etcd's podManagementPolicy.
 */
export function parseUserClusters(text: string): UserClusterSpec[] {
  const entries = text.split(",").map((entry) => entry.trim());
  return entries.map((entry) => {
    const match = /^([^:\s]+):(\d+)(?::(OrderedReady|Parallel))?$/.exec(entry);
    if (!match) {
      throw new Error(
        `--user-clusters entry "${entry}" is not usable: expected <name>:<members>, e.g. uc1:3,uc2:1. An entry may end in :OrderedReady or :Parallel (kube-etcd's podManagementPolicy, default Parallel), e.g. uc1:3:OrderedReady.`,
      );
    }
    const policy = match[3] as UserClusterSpec["podManagementPolicy"];
    return {
      name: match[1] as string,
      members: Number(match[2]),
      ...(policy ? { podManagementPolicy: policy } : {}),
    };
  });
}
