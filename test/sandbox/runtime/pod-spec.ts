/**
 * The parts of a Pod the runtime reads, typed once. Objects come from the store as plain
 * JSON; these types say which fields the scheduler and the kubelets rely on.
 */
import type { KubeObject } from "../store.ts";

export interface EnvVar {
  name: string;
  value?: string;
  valueFrom?: { fieldRef?: { fieldPath: string } };
}

export interface VolumeMount {
  name: string;
  mountPath: string;
  readOnly?: boolean;
  subPath?: string;
}

export interface ExecProbe {
  exec?: { command: string[] };
  periodSeconds?: number;
  timeoutSeconds?: number;
  failureThreshold?: number;
  initialDelaySeconds?: number;
}

export interface Container {
  name: string;
  image: string;
  command?: string[];
  args?: string[];
  env?: EnvVar[];
  workingDir?: string;
  volumeMounts?: VolumeMount[];
  readinessProbe?: ExecProbe;
}

export interface KeyToPath {
  key: string;
  path: string;
  mode?: number;
}

export interface Volume {
  name: string;
  persistentVolumeClaim?: { claimName: string; readOnly?: boolean };
  secret?: { secretName: string; items?: KeyToPath[]; defaultMode?: number; optional?: boolean };
  configMap?: { name: string; items?: KeyToPath[]; defaultMode?: number; optional?: boolean };
  hostPath?: { path: string; type?: string };
  emptyDir?: Record<string, unknown>;
}

export interface Toleration {
  key?: string;
  operator?: "Exists" | "Equal";
  value?: string;
  effect?: string;
}

export interface Taint {
  key: string;
  value?: string;
  effect: string;
}

export interface PodSpec {
  nodeName?: string;
  nodeSelector?: Record<string, string>;
  tolerations?: Toleration[];
  containers: Container[];
  volumes?: Volume[];
  restartPolicy?: "Always" | "OnFailure" | "Never";
  hostNetwork?: boolean;
  hostname?: string;
  subdomain?: string;
  terminationGracePeriodSeconds?: number;
}

export interface Condition {
  type: string;
  status: "True" | "False" | "Unknown";
  reason?: string;
  message?: string;
  lastProbeTime: string | null;
  lastTransitionTime: string;
}

export function podSpec(pod: KubeObject): PodSpec {
  const spec = (pod.spec ?? {}) as PodSpec;
  return { ...spec, containers: spec.containers ?? [] };
}

export function podKey(namespace: string | undefined, name: string): string {
  return `${namespace ?? ""}/${name}`;
}

/** Kubernetes timestamps: RFC 3339, whole seconds. */
export function timestamp(at = new Date()): string {
  return at.toISOString().replace(/\.\d+Z$/, "Z");
}

export const POD_RESOURCE = "pods";
export const PVC_RESOURCE = "persistentvolumeclaims";
export const NODE_RESOURCE = "nodes";
export const SELECTED_NODE_ANNOTATION = "volume.kubernetes.io/selected-node";
export const CONTROL_PLANE_LABEL = "node-role.kubernetes.io/control-plane";
