/**
 * The admin control-plane node as the runbook finds it (PROCEDURES.md section 4 steps 1
 * and 2): its address from `kubectl get nodes -o wide`, and the SSH key from secret
 * kube-system/sshkeys, field vsphere_tmp. The key is returned in memory only.
 */
import type { KubeConfig, V1Node } from "@kubernetes/client-node";
import { CoreV1Api } from "../kube-client.ts";
import { describeApiError } from "./errors.ts";

/** Where Anthos keeps the admin control plane's SSH key. */
export const SSH_KEY_SECRET = {
  namespace: "kube-system",
  name: "sshkeys",
  field: "vsphere_tmp",
} as const;

/** The role labels a control-plane node carries (the second on older clusters). */
export const CONTROL_PLANE_LABELS = [
  "node-role.kubernetes.io/control-plane",
  "node-role.kubernetes.io/master",
] as const;

export interface ControlPlaneNode {
  name: string;
  address: string;
  addressType: "ExternalIP" | "InternalIP";
}

function isControlPlane(node: V1Node): boolean {
  const labels = node.metadata?.labels ?? {};
  return CONTROL_PLANE_LABELS.some((label) => label in labels);
}

/** The control-plane node's ExternalIP, else its InternalIP; one clear error when there is none or several. */
export async function findControlPlaneNode(config: KubeConfig): Promise<ControlPlaneNode> {
  let nodes: V1Node[];
  try {
    nodes = (await config.makeApiClient(CoreV1Api).listNode()).items;
  } catch (error) {
    throw new Error(describeApiError(error, "the nodes of the admin cluster"), { cause: error });
  }
  const controlPlane = nodes.filter(isControlPlane);
  if (controlPlane.length === 0) {
    throw new Error(
      `no node of the admin cluster has the control-plane role (label ${CONTROL_PLANE_LABELS.join(" or ")}); ` +
        `give the node's address explicitly (the control-plane address setting).`,
    );
  }
  if (controlPlane.length > 1) {
    throw new Error(
      `${controlPlane.length} nodes have the control-plane role (${controlPlane
        .map((node) => node.metadata?.name)
        .join(
          ", ",
        )}); give the address of the one to back up explicitly (the control-plane address setting).`,
    );
  }
  const node = controlPlane[0]!;
  const name = node.metadata?.name ?? "";
  const addresses = node.status?.addresses ?? [];
  for (const type of ["ExternalIP", "InternalIP"] as const) {
    const address = addresses.find((candidate) => candidate.type === type)?.address;
    if (address) return { name, address, addressType: type };
  }
  throw new Error(
    `control-plane node ${name} reports no ExternalIP or InternalIP address; give its address explicitly (the control-plane address setting).`,
  );
}

/**
 * Reads the SSH private key from secret kube-system/sshkeys (field vsphere_tmp). The API
 * returns Secret data base64-encoded; the decoded bytes are the key text.
 */
export async function readSshKeyFromSecret(config: KubeConfig): Promise<Buffer> {
  const { namespace, name, field } = SSH_KEY_SECRET;
  const what = `secret ${namespace}/${name}`;
  let data: Record<string, string> | undefined;
  try {
    data = (await config.makeApiClient(CoreV1Api).readNamespacedSecret({ name, namespace })).data;
  } catch (error) {
    throw new Error(
      `${describeApiError(error, what)} The admin control plane's SSH key is read from it; give the SSH private key explicitly instead if this cluster keeps it elsewhere.`,
      { cause: error },
    );
  }
  const encoded = data?.[field];
  if (!encoded) {
    throw new Error(
      `${what} has no field ${field}; expected the admin control plane's SSH private key there (base64-encoded), or give the SSH private key explicitly.`,
    );
  }
  return Buffer.from(encoded, "base64");
}
