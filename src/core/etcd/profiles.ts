/**
 * Where each kind of etcd lives and which certificates its etcdctl uses, exactly as the
 * runbook names them (PROCEDURES.md sections 1 and 4).
 */
import { isClusterName } from "../storage/layout.ts";

export type EtcdClusterKind = "user" | "admin";

export interface EtcdCertificatePaths {
  caPath: string;
  certPath: string;
  keyPath: string;
}

export interface EtcdClusterProfile {
  kind: EtcdClusterKind;
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

/** `admin`, or a user cluster's namespace (the pattern the storage layout checks too). */
export function isValidClusterName(name: string): boolean {
  return name === "admin" || isClusterName(name);
}
