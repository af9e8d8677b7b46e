/**
 * The control-plane nodes of a Controlplane V2 user cluster (issue 16), as the vendor's SSH
 * how-to (`how-to/ssh-cluster-node`) reaches them: their addresses are the INTERNAL-IP of
 * `kubectl --kubeconfig USER_KUBECONFIG get nodes -o wide`, and the nodes' private key is
 * in the ADMIN cluster, secret `ssh-keys` (field `ssh.key`) in the namespace named after
 * the user cluster:
 *
 *   kubectl --kubeconfig ADMIN get secrets -n USER_CLUSTER ssh-keys -o jsonpath='{.data.ssh\.key}'
 *
 * The how-to gives that key for "a user cluster node"; a Controlplane V2 control-plane node
 * is a node of the user cluster, so the same key applies (inferred: the vendor's Controlplane
 * V2 backup page only says to SSH to each control-plane node). The key stays in memory.
 */
import type { KubeConfig, V1Node } from "@kubernetes/client-node";
import { CoreV1Api } from "../kube-client.ts";
import { ConfigurationError, errorMessage } from "../errors.ts";

/**
 * The role labels a control-plane node carries (the second on older releases). The same
 * pair as kube/admin-node.ts: core/kube already depends on core/ssh (through storage), so
 * ssh keeps its own copy rather than close a loop between the two concerns.
 */
export const CONTROL_PLANE_ROLE_LABELS = [
  "node-role.kubernetes.io/control-plane",
  "node-role.kubernetes.io/master",
] as const;

/** Where the vendor keeps a user cluster's node key: secret `<cluster>/ssh-keys`, field `ssh.key`. */
export const USER_CLUSTER_SSH_KEY_SECRET = { name: "ssh-keys", field: "ssh.key" } as const;

/** The setting that gives the user cluster nodes' key instead, in core's words. */
export const USER_SSH_PRIVATE_KEY_FIELD = "userSshPrivateKey";

export interface ControlPlaneNodeTarget {
  /** The Node's name, e.g. `uc3-cp-0`: what the manifest records. */
  name: string;
  /** Its InternalIP, the address the vendor's how-to connects to. */
  address: string;
}

export interface ControlPlaneNodesAccess {
  cluster: string;
  /** In name order, so runs and manifests list them the same way every time. */
  nodes: ControlPlaneNodeTarget[];
  /** The nodes' SSH key; never logged, never written to disk. */
  privateKey: string | Buffer;
  /** Where the key came from, for the log: `given`, or `secret uc3/ssh-keys`. */
  keySource: string;
}

export interface ControlPlaneNodesOptions {
  /** The user cluster's name: the namespace of its key secret in the admin cluster. */
  cluster: string;
  /** The user cluster's own kubeconfig: its Nodes are only in its own API. */
  userConfig: KubeConfig;
  /** The admin cluster, to read the key from; not needed when `privateKey` is given. */
  adminConfig?: KubeConfig;
  /** The nodes' key, when the user gives it; the secret is then not read. */
  privateKey?: string | Buffer;
  /**
   * The nodes as an unfinished restore journalled them: then the user cluster's API (which
   * that restore stopped) is not asked.
   */
  nodes?: ControlPlaneNodeTarget[];
}

/** `<cluster>/ssh-keys` as a sentence names it. */
export function userClusterSshKeySecretName(cluster: string): string {
  return `${cluster}/${USER_CLUSTER_SSH_KEY_SECRET.name}`;
}

/** The nodes and the key to reach them; one clear error when either cannot be had. */
export async function controlPlaneNodesAccess(
  options: ControlPlaneNodesOptions,
): Promise<ControlPlaneNodesAccess> {
  const { cluster } = options;
  if (!options.privateKey && !options.adminConfig) {
    throw new ConfigurationError(
      USER_SSH_PRIVATE_KEY_FIELD,
      `no SSH key for the control-plane nodes of user cluster ${cluster}: it is read from secret ${userClusterSshKeySecretName(cluster)} of the admin cluster, so give the admin kubeconfig, or give the nodes' private key here.`,
    );
  }
  const nodes = options.nodes ?? (await listControlPlaneNodes(options.userConfig, cluster));
  if (options.privateKey)
    return { cluster, nodes, privateKey: options.privateKey, keySource: "given" };
  const privateKey = await readUserClusterSshKey(options.adminConfig!, cluster);
  return {
    cluster,
    nodes,
    privateKey,
    keySource: `secret ${userClusterSshKeySecretName(cluster)}`,
  };
}

/** A failed read as a sentence: who refused, or that the API server could not be reached. */
function describeReadFailure(error: unknown, what: string): string {
  const code = (error as { code?: number }).code;
  if (code === 401 || code === 403) {
    return `the API server refused to let this kubeconfig read ${what} (HTTP ${code}); check the kubeconfig's credentials and its user's RBAC.`;
  }
  if (code) return `reading ${what} failed with HTTP ${code}.`;
  return `cannot reach the API server while reading ${what} (${errorMessage(error)}); check the kubeconfig's server address and that this runner can reach it.`;
}

function isControlPlane(node: V1Node): boolean {
  const labels = node.metadata?.labels ?? {};
  return CONTROL_PLANE_ROLE_LABELS.some((label) => label in labels);
}

/** The user cluster's control-plane nodes (role label), each with its InternalIP, in name order. */
export async function listControlPlaneNodes(
  userConfig: KubeConfig,
  cluster: string,
): Promise<ControlPlaneNodeTarget[]> {
  let nodes: V1Node[];
  try {
    nodes = (await userConfig.makeApiClient(CoreV1Api).listNode()).items;
  } catch (error) {
    throw new Error(describeReadFailure(error, `the nodes of user cluster ${cluster}`), {
      cause: error,
    });
  }
  const controlPlane = nodes.filter(isControlPlane);
  if (controlPlane.length === 0) {
    throw new Error(
      `user cluster ${cluster} has no node with the control-plane role (label ${CONTROL_PLANE_ROLE_LABELS.join(" or ")}), ` +
        `so it is not a Controlplane V2 cluster, or its kubeconfig points at another cluster; check with \`kubectl get nodes --show-labels\` using that kubeconfig (a kubeception cluster's control plane runs in the admin cluster and needs no user kubeconfig).`,
    );
  }
  return controlPlane
    .map((node) => ({ name: node.metadata?.name ?? "", address: internalAddress(node, cluster) }))
    .sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
}

function internalAddress(node: V1Node, cluster: string): string {
  const name = node.metadata?.name ?? "(unnamed)";
  const address = node.status?.addresses?.find((entry) => entry.type === "InternalIP")?.address;
  if (!address) {
    throw new Error(
      `control-plane node ${name} of user cluster ${cluster} reports no InternalIP address, so it cannot be reached over SSH; check its status with \`kubectl get node ${name} -o wide\` (its kubelet may be down or the node being replaced) and run again once it has one.`,
    );
  }
  return address;
}

/**
 * The nodes' key from the admin cluster's secret `<cluster>/ssh-keys`, field `ssh.key`. The
 * API returns Secret data base64-encoded; the decoded bytes are the key text. A missing
 * secret or field is the user's to fix, by giving the key: a ConfigurationError naming it.
 */
export async function readUserClusterSshKey(
  adminConfig: KubeConfig,
  cluster: string,
): Promise<Buffer> {
  const { name, field } = USER_CLUSTER_SSH_KEY_SECRET;
  const what = `secret ${userClusterSshKeySecretName(cluster)}`;
  let data: Record<string, string> | undefined;
  try {
    data = (
      await adminConfig.makeApiClient(CoreV1Api).readNamespacedSecret({ name, namespace: cluster })
    ).data;
  } catch (error) {
    const code = (error as { code?: number }).code;
    if (code === 404) {
      throw new ConfigurationError(
        USER_SSH_PRIVATE_KEY_FIELD,
        `${what} was not found in the admin cluster; the SSH key of user cluster ${cluster}'s control-plane nodes is read from it (field ${field}), so give that key here instead.`,
        { cause: error },
      );
    }
    throw new Error(
      `${describeReadFailure(error, what)} The SSH key of user cluster ${cluster}'s control-plane nodes is read from it; give the key explicitly instead if the admin cluster cannot be read.`,
      { cause: error },
    );
  }
  const encoded = data?.[field];
  if (!encoded) {
    throw new ConfigurationError(
      USER_SSH_PRIVATE_KEY_FIELD,
      `${what} has no field ${field}; expected the SSH private key of user cluster ${cluster}'s nodes there (base64-encoded), or give that key here instead.`,
    );
  }
  return Buffer.from(encoded, "base64");
}
