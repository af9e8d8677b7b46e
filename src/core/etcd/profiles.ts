/**
 * Where each kind of etcd lives and which certificates its etcdctl uses, exactly as the
 * runbook names them (PROCEDURES.md sections 1 and 4).
 */
import { isClusterName } from "../storage/layout.ts";

export type EtcdClusterKind = "user" | "admin";

/**
 * Where a cluster's etcd runs: `kubeception` (a user cluster's StatefulSet kube-etcd in the
 * admin cluster), `controlplane-v2` (static pods on the user cluster's own control-plane
 * nodes, reached through its own API server), or `admin` (the admin master's static pod).
 */
export type EtcdTopology = "kubeception" | "controlplane-v2" | "admin";

export interface EtcdCertificatePaths {
  caPath: string;
  certPath: string;
  keyPath: string;
}

export interface EtcdClusterProfile {
  kind: EtcdClusterKind;
  topology: EtcdTopology;
  /** The cluster's name as the user says it: `admin`, or the user cluster's namespace. */
  cluster: string;
  namespace: string;
  /** The etcd container in each member pod. */
  container: string;
  /** Label selector of the member pods (admin); user clusters use their StatefulSet's selector. */
  memberLabelSelector?: string;
  /** The StatefulSet whose pods are the members (user clusters). */
  statefulSet?: string;
  /** The client endpoint inside each member pod. */
  endpoint: string;
  certificates: EtcdCertificatePaths;
}

export const ETCD_CLIENT_ENDPOINT = "https://127.0.0.1:2379";

/** A user cluster's etcd: StatefulSet `kube-etcd` in the namespace named after the cluster. */
export function userClusterProfile(name: string): EtcdClusterProfile {
  return {
    kind: "user",
    topology: "kubeception",
    cluster: name,
    namespace: name,
    container: "kube-etcd",
    statefulSet: "kube-etcd",
    endpoint: ETCD_CLIENT_ENDPOINT,
    certificates: {
      caPath: "/etcd.local.config/certificates/etcdCA.crt",
      certPath: "/etcd.local.config/certificates/etcd.crt",
      keyPath: "/etcd.local.config/certificates/etcd.key",
    },
  };
}

/** The admin cluster's own etcd: the static pod `etcd-<node>` in kube-system. */
export function adminClusterProfile(): EtcdClusterProfile {
  return {
    kind: "admin",
    topology: "admin",
    cluster: "admin",
    namespace: "kube-system",
    container: "etcd",
    memberLabelSelector: "component=etcd,tier=control-plane",
    endpoint: ETCD_CLIENT_ENDPOINT,
    certificates: {
      caPath: "/etc/kubernetes/pki/etcd/ca.crt",
      certPath: "/etc/kubernetes/pki/etcd/healthcheck-client.crt",
      keyPath: "/etc/kubernetes/pki/etcd/healthcheck-client.key",
    },
  };
}

/**
 * A Controlplane V2 user cluster's etcd: the static pods `etcd-<node>` in kube-system of the
 * USER cluster, with the client certificates the vendor's backup uses
 * (how-to/back-up-user-cluster): the member's own server certificate.
 */
export function controlPlaneV2Profile(name: string): EtcdClusterProfile {
  return {
    kind: "user",
    topology: "controlplane-v2",
    cluster: name,
    namespace: "kube-system",
    container: "etcd",
    memberLabelSelector: "component=etcd,tier=control-plane",
    endpoint: ETCD_CLIENT_ENDPOINT,
    certificates: {
      caPath: "/etc/kubernetes/pki/etcd/ca.crt",
      certPath: "/etc/kubernetes/pki/etcd/server.crt",
      keyPath: "/etc/kubernetes/pki/etcd/server.key",
    },
  };
}

/** `admin`, or a user cluster's namespace (the pattern the storage layout checks too). */
export function isValidClusterName(name: string): boolean {
  return name === "admin" || isClusterName(name);
}
