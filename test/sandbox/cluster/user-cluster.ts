/**
 * A user cluster's control plane as Anthos runs it inside the admin cluster, in the
 * namespace named after the cluster: etcd TLS in secret `kube-etcd-certs`, headless service
 * and StatefulSet `kube-etcd` (real etcd, PVCs `data-kube-etcd-N`), StatefulSet
 * `kube-apiserver`, Deployment `gke-master-etcd-maintenance` and PDB `kube-apiserver-pdb`:
 * every name the runbook uses.
 */
import { join } from "node:path";
import { createCertificateAuthority, issueCertificate, readPem } from "../pki.ts";
import type { KubeObject } from "../store.ts";
import { CLUSTER_NAME_LABEL, IMAGES, type MemberPlan, type UserClusterSpec } from "./topology.ts";

export const ETCD_CERTS_SECRET = "kube-etcd-certs";
export const ETCD_CERTS_MOUNT = "/etcd.local.config/certificates";
export const ETCD_DATA_MOUNT = "/var/lib/etcd";
export const ETCD_SERVICE = "kube-etcd";
export const ETCD_LABELS = { component: "kube-etcd" };
export const APISERVER_LABELS = { component: "kube-apiserver" };
const MAINTENANCE_LABELS = { app: "gke-master-etcd-maintenance" };
/** Peer names in the certificate: enough for any member count the sandbox allows. */
const MAX_MEMBERS = 5;

export interface EtcdTlsFiles {
  /** PEM text of etcdCA.crt, etcd.crt and etcd.key: what the secret holds. */
  caCert: string;
  cert: string;
  key: string;
}

/**
 * The user cluster's etcd CA and the one member certificate every member, utility pod and
 * kube-apiserver uses (as Anthos's kube-etcd-certs does): valid for 127.0.0.1, localhost and
 * every peer name, for both server and client authentication.
 */
export async function makeEtcdCertificates(pkiDir: string, cluster: string): Promise<EtcdTlsFiles> {
  const dir = join(pkiDir, cluster);
  const ca = await createCertificateAuthority(dir, "etcdCA", `${cluster}-etcd-ca`);
  const peerNames: string[] = [];
  for (let memberNumber = 0; memberNumber < MAX_MEMBERS; memberNumber++) {
    peerNames.push(
      `kube-etcd-${memberNumber}.${ETCD_SERVICE}`,
      `kube-etcd-${memberNumber}.${ETCD_SERVICE}.${cluster}.svc.cluster.local`,
    );
  }
  const files = await issueCertificate(ca, {
    dir,
    baseName: "etcd",
    commonName: "kube-etcd",
    dnsNames: [
      "localhost",
      ETCD_SERVICE,
      `*.${ETCD_SERVICE}`,
      `*.${ETCD_SERVICE}.${cluster}.svc.cluster.local`,
      ...peerNames,
    ],
    ipAddresses: ["127.0.0.1"],
    usage: ["serverAuth", "clientAuth"],
  });
  const pem = await readPem(files);
  const caPem = await readPem(ca);
  return { caCert: caPem.cert, cert: pem.cert, key: pem.key };
}

export interface UserClusterOptions {
  cluster: UserClusterSpec;
  /** Which node each member lives on: its PVC is bound there before the pod exists. */
  members: MemberPlan[];
  tls: EtcdTlsFiles;
  /** etcd's --quota-backend-bytes, large enough for the content the sandbox puts in. */
  quotaBackendBytes: number;
}

/** Every object of one user cluster, in creation order, with its resource key. */
export function userClusterObjects(options: UserClusterOptions): Array<[string, KubeObject]> {
  const { cluster } = options;
  return [
    ["namespaces", namespace(cluster.name)],
    ["secrets", etcdCertsSecret(cluster.name, options.tls)],
    ["services", etcdService(cluster.name)],
    ...options.members.map((member): [string, KubeObject] => [
      "persistentvolumeclaims",
      memberClaim(cluster.name, member),
    ]),
    ["statefulsets.apps", etcdStatefulSet(cluster, options.quotaBackendBytes)],
    ["statefulsets.apps", apiserverStatefulSet(cluster)],
    ["deployments.apps", maintenanceDeployment(cluster.name)],
    ["poddisruptionbudgets.policy", apiserverDisruptionBudget(cluster.name)],
  ];
}

function namespace(name: string): KubeObject {
  return {
    apiVersion: "v1",
    kind: "Namespace",
    metadata: { name, labels: { "kubernetes.io/metadata.name": name } },
    spec: { finalizers: ["kubernetes"] },
    status: { phase: "Active" },
  };
}

function etcdCertsSecret(cluster: string, tls: EtcdTlsFiles): KubeObject {
  const base64 = (text: string) => Buffer.from(text).toString("base64");
  return {
    apiVersion: "v1",
    kind: "Secret",
    metadata: { name: ETCD_CERTS_SECRET, namespace: cluster },
    type: "Opaque",
    data: {
      "etcdCA.crt": base64(tls.caCert),
      "etcd.crt": base64(tls.cert),
      "etcd.key": base64(tls.key),
    },
  };
}

function etcdService(cluster: string): KubeObject {
  return {
    apiVersion: "v1",
    kind: "Service",
    metadata: { name: ETCD_SERVICE, namespace: cluster, labels: ETCD_LABELS },
    spec: {
      clusterIP: "None",
      publishNotReadyAddresses: true,
      selector: ETCD_LABELS,
      ports: [
        { name: "client", port: 2379, protocol: "TCP", targetPort: 2379 },
        { name: "peer", port: 2380, protocol: "TCP", targetPort: 2380 },
      ],
    },
  };
}

/**
 * The member's data volume, made before the StatefulSet so it can be bound to the member's
 * own node: that is what keeps each member on its node, as local volumes do on Anthos.
 */
function memberClaim(cluster: string, member: MemberPlan): KubeObject {
  return {
    apiVersion: "v1",
    kind: "PersistentVolumeClaim",
    metadata: {
      name: `data-${member.pod}`,
      namespace: cluster,
      labels: ETCD_LABELS,
      annotations: { "volume.kubernetes.io/selected-node": member.node },
    },
    spec: {
      accessModes: ["ReadWriteOnce"],
      resources: { requests: { storage: "20Gi" } },
      volumeMode: "Filesystem",
    },
    status: { phase: "Bound", accessModes: ["ReadWriteOnce"], capacity: { storage: "20Gi" } },
  };
}

const certificateFlags = (prefix: string) => [
  `--${prefix}trusted-ca-file=${ETCD_CERTS_MOUNT}/etcdCA.crt`,
  `--${prefix}cert-file=${ETCD_CERTS_MOUNT}/etcd.crt`,
  `--${prefix}key-file=${ETCD_CERTS_MOUNT}/etcd.key`,
  `--${prefix}client-cert-auth=true`,
];

/** The runbook's etcdctl flags, for probes and the kube-apiserver stand-in. */
export const ETCDCTL_TLS_FLAGS = [
  `--cacert=${ETCD_CERTS_MOUNT}/etcdCA.crt`,
  `--cert=${ETCD_CERTS_MOUNT}/etcd.crt`,
  `--key=${ETCD_CERTS_MOUNT}/etcd.key`,
].join(" ");

export function initialCluster(members: number): string {
  return Array.from(
    { length: members },
    (_, memberNumber) =>
      `kube-etcd-${memberNumber}=https://kube-etcd-${memberNumber}.${ETCD_SERVICE}:2380`,
  ).join(",");
}

function etcdStatefulSet(cluster: UserClusterSpec, quotaBackendBytes: number): KubeObject {
  return {
    apiVersion: "apps/v1",
    kind: "StatefulSet",
    metadata: { name: "kube-etcd", namespace: cluster.name, labels: ETCD_LABELS },
    spec: {
      replicas: cluster.members,
      serviceName: ETCD_SERVICE,
      // Parallel: a three-member cluster only becomes healthy once all three run.
      podManagementPolicy: "Parallel",
      revisionHistoryLimit: 10,
      selector: { matchLabels: ETCD_LABELS },
      updateStrategy: { type: "RollingUpdate", rollingUpdate: { partition: 0 } },
      persistentVolumeClaimRetentionPolicy: { whenDeleted: "Retain", whenScaled: "Retain" },
      template: {
        metadata: { labels: ETCD_LABELS },
        spec: {
          nodeSelector: { [CLUSTER_NAME_LABEL]: cluster.name },
          terminationGracePeriodSeconds: 30,
          containers: [
            {
              name: "kube-etcd",
              image: IMAGES.etcd,
              command: ["/usr/bin/etcd"],
              args: [
                "--name=$(POD_NAME)",
                `--data-dir=${ETCD_DATA_MOUNT}`,
                "--listen-client-urls=https://127.0.0.1:2379,https://$(POD_IP):2379",
                `--advertise-client-urls=https://$(POD_NAME).${ETCD_SERVICE}:2379`,
                "--listen-peer-urls=https://$(POD_IP):2380",
                `--initial-advertise-peer-urls=https://$(POD_NAME).${ETCD_SERVICE}:2380`,
                `--initial-cluster=${initialCluster(cluster.members)}`,
                "--initial-cluster-token=etcd-cluster-1",
                "--initial-cluster-state=new",
                ...certificateFlags(""),
                ...certificateFlags("peer-"),
                `--quota-backend-bytes=${quotaBackendBytes}`,
                "--snapshot-count=10000",
                "--logger=zap",
                "--log-outputs=stderr",
              ],
              env: [
                { name: "POD_NAME", valueFrom: { fieldRef: { fieldPath: "metadata.name" } } },
                { name: "POD_IP", valueFrom: { fieldRef: { fieldPath: "status.podIP" } } },
                { name: "ETCDCTL_API", value: "3" },
              ],
              ports: [
                { name: "client", containerPort: 2379, protocol: "TCP" },
                { name: "peer", containerPort: 2380, protocol: "TCP" },
              ],
              readinessProbe: {
                exec: {
                  command: [
                    "/bin/sh",
                    "-ec",
                    `ETCDCTL_API=3 etcdctl --endpoints=https://127.0.0.1:2379 ${ETCDCTL_TLS_FLAGS} --command-timeout=3s endpoint health`,
                  ],
                },
                periodSeconds: 10,
                timeoutSeconds: 5,
                failureThreshold: 3,
              },
              volumeMounts: [
                { name: "data", mountPath: ETCD_DATA_MOUNT },
                { name: "etcd-certs", mountPath: ETCD_CERTS_MOUNT },
              ],
            },
          ],
          volumes: [
            { name: "etcd-certs", secret: { secretName: ETCD_CERTS_SECRET, defaultMode: 420 } },
          ],
        },
      },
      volumeClaimTemplates: [
        {
          apiVersion: "v1",
          kind: "PersistentVolumeClaim",
          metadata: { name: "data" },
          spec: {
            accessModes: ["ReadWriteOnce"],
            resources: { requests: { storage: "20Gi" } },
            volumeMode: "Filesystem",
          },
        },
      ],
    },
  };
}

/**
 * A stand-in for the user cluster's kube-apiserver: a process that talks to its etcd every
 * few seconds, so that scaling it down (runbook 3.3) really stops a client of etcd.
 */
function apiserverStatefulSet(cluster: UserClusterSpec): KubeObject {
  const endpoints = Array.from(
    { length: cluster.members },
    (_, memberNumber) => `https://kube-etcd-${memberNumber}.${ETCD_SERVICE}:2379`,
  ).join(",");
  const loop = [
    "while :; do",
    `if etcdctl --endpoints=${endpoints} ${ETCDCTL_TLS_FLAGS} --command-timeout=3s endpoint health >/dev/null 2>&1;`,
    'then echo "$(date -u +%FT%TZ) etcd reachable"; else echo "$(date -u +%FT%TZ) etcd unreachable" >&2; fi;',
    "sleep 15; done",
  ].join(" ");
  return {
    apiVersion: "apps/v1",
    kind: "StatefulSet",
    metadata: { name: "kube-apiserver", namespace: cluster.name, labels: APISERVER_LABELS },
    spec: {
      replicas: cluster.members >= 3 ? 3 : 1,
      serviceName: "kube-apiserver",
      podManagementPolicy: "Parallel",
      selector: { matchLabels: APISERVER_LABELS },
      updateStrategy: { type: "RollingUpdate", rollingUpdate: { partition: 0 } },
      template: {
        metadata: { labels: APISERVER_LABELS },
        spec: {
          nodeSelector: { [CLUSTER_NAME_LABEL]: cluster.name },
          terminationGracePeriodSeconds: 5,
          containers: [
            {
              name: "kube-apiserver",
              image: IMAGES.kubeApiserver,
              command: ["/bin/sh", "-c", loop],
              env: [{ name: "ETCDCTL_API", value: "3" }],
              volumeMounts: [{ name: "etcd-certs", mountPath: ETCD_CERTS_MOUNT, readOnly: true }],
            },
          ],
          volumes: [
            { name: "etcd-certs", secret: { secretName: ETCD_CERTS_SECRET, defaultMode: 420 } },
          ],
        },
      },
    },
  };
}

/** The maintenance job Anthos runs against etcd; here it checks status now and then. */
function maintenanceDeployment(cluster: string): KubeObject {
  const loop = [
    "while :; do",
    `etcdctl --endpoints=https://kube-etcd-0.${ETCD_SERVICE}:2379 ${ETCDCTL_TLS_FLAGS} --command-timeout=3s endpoint status >/dev/null 2>&1 || true;`,
    "sleep 60; done",
  ].join(" ");
  return {
    apiVersion: "apps/v1",
    kind: "Deployment",
    metadata: {
      name: "gke-master-etcd-maintenance",
      namespace: cluster,
      labels: MAINTENANCE_LABELS,
    },
    spec: {
      replicas: 1,
      selector: { matchLabels: MAINTENANCE_LABELS },
      strategy: {
        type: "RollingUpdate",
        rollingUpdate: { maxSurge: "25%", maxUnavailable: "25%" },
      },
      template: {
        metadata: { labels: MAINTENANCE_LABELS },
        spec: {
          nodeSelector: { [CLUSTER_NAME_LABEL]: cluster },
          terminationGracePeriodSeconds: 5,
          containers: [
            {
              name: "gke-master-etcd-maintenance",
              image: IMAGES.etcdMaintenance,
              command: ["/bin/sh", "-c", loop],
              env: [{ name: "ETCDCTL_API", value: "3" }],
              volumeMounts: [{ name: "etcd-certs", mountPath: ETCD_CERTS_MOUNT, readOnly: true }],
            },
          ],
          volumes: [
            { name: "etcd-certs", secret: { secretName: ETCD_CERTS_SECRET, defaultMode: 420 } },
          ],
        },
      },
    },
  };
}

function apiserverDisruptionBudget(cluster: string): KubeObject {
  return {
    apiVersion: "policy/v1",
    kind: "PodDisruptionBudget",
    metadata: { name: "kube-apiserver-pdb", namespace: cluster },
    spec: { minAvailable: 1, selector: { matchLabels: APISERVER_LABELS } },
  };
}
