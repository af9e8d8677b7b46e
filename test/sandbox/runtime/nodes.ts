/**
 * Node objects as a kubelet registers them: labels (hostname, os, arch, the control-plane
 * role), InternalIP/ExternalIP/Hostname addresses, Ready and the pressure conditions,
 * nodeInfo and capacity, so `kubectl get nodes -o wide` reads as on a real cluster.
 */
import { randomBytes } from "node:crypto";
import { cpus, release, totalmem } from "node:os";

import type { KubeObject, ObjectStore } from "../store.ts";
import { CONTROL_PLANE_LABEL, NODE_RESOURCE, timestamp } from "./pod-spec.ts";

export const KUBELET_VERSION = "v1.32.4";

export interface NodeRegistration {
  name: string;
  labels: Record<string, string>;
  controlPlane: boolean;
  ip: string;
}

export function registerNode(store: ObjectStore, node: NodeRegistration): KubeObject {
  const now = timestamp();
  const capacity = {
    cpu: String(cpus().length),
    memory: `${Math.floor(totalmem() / 1024)}Ki`,
    pods: "110",
    "ephemeral-storage": "61255492Ki",
  };
  const condition = (type: string, status: string, reason: string, message: string) => ({
    type,
    status,
    reason,
    message,
    lastHeartbeatTime: now,
    lastTransitionTime: now,
  });
  const object: KubeObject = {
    apiVersion: "v1",
    kind: "Node",
    metadata: {
      name: node.name,
      labels: {
        "beta.kubernetes.io/arch": "amd64",
        "beta.kubernetes.io/os": "linux",
        "kubernetes.io/arch": "amd64",
        "kubernetes.io/os": "linux",
        ...node.labels,
        "kubernetes.io/hostname": node.name,
        ...(node.controlPlane ? { [CONTROL_PLANE_LABEL]: "" } : {}),
      },
      annotations: {
        "node.alpha.kubernetes.io/ttl": "0",
        "volumes.kubernetes.io/controller-managed-attach-detach": "true",
      },
    },
    spec: {},
    status: {
      addresses: [
        { type: "InternalIP", address: node.ip },
        { type: "ExternalIP", address: node.ip },
        { type: "Hostname", address: node.name },
      ],
      allocatable: capacity,
      capacity,
      conditions: [
        condition(
          "MemoryPressure",
          "False",
          "KubeletHasSufficientMemory",
          "kubelet has sufficient memory available",
        ),
        condition(
          "DiskPressure",
          "False",
          "KubeletHasNoDiskPressure",
          "kubelet has no disk pressure",
        ),
        condition(
          "PIDPressure",
          "False",
          "KubeletHasSufficientPID",
          "kubelet has sufficient PID available",
        ),
        condition("Ready", "True", "KubeletReady", "kubelet is posting ready status"),
      ],
      daemonEndpoints: { kubeletEndpoint: { Port: 10250 } },
      nodeInfo: {
        architecture: "amd64",
        bootID: randomUuidLike(),
        containerRuntimeVersion: "containerd://1.7.24-gke.0",
        kernelVersion: release(),
        kubeProxyVersion: KUBELET_VERSION,
        kubeletVersion: KUBELET_VERSION,
        machineID: randomBytes(16).toString("hex"),
        operatingSystem: "linux",
        osImage: "Ubuntu 22.04.5 LTS",
        systemUUID: randomUuidLike(),
      },
    },
  };
  if (store.get(NODE_RESOURCE, undefined, node.name))
    store.delete(NODE_RESOURCE, undefined, node.name);
  return store.create(NODE_RESOURCE, object);
}

function randomUuidLike(): string {
  const hex = randomBytes(16).toString("hex");
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}
