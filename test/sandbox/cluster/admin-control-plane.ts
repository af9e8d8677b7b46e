/**
 * The admin cluster's control-plane node, `admin-master`, as the runbook finds it: a node
 * root with the kubeadm PKI in /etc/kubernetes/pki, static pod manifests for etcd and
 * kube-apiserver in /etc/kubernetes/manifests (the node's kubelet runs them), the etcd data
 * in /opt/data/var/lib/etcd on the node's data disk (mounted at /var/lib/etcd in the etcd
 * pod, as newer releases lay it out: a path-mapping bug cannot pass), /etc/kubernetes/admin.conf,
 * and user `ubuntu`'s authorized SSH key whose private half is in secret kube-system/sshkeys
 * (field vsphere_tmp), as on Anthos.
 */
import { execFile } from "node:child_process";
import { randomBytes } from "node:crypto";
import { chmod, copyFile, mkdir, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { promisify } from "node:util";
import { stringify } from "yaml";
import {
  createCertificateAuthority,
  issueCertificate,
  type CertificateAuthority,
  type CertificateRequest,
} from "../pki.ts";
import type { KubeObject } from "../store.ts";
import { ADMIN_MASTER, IMAGES } from "./topology.ts";

const run = promisify(execFile);

export const KUBE_SYSTEM = "kube-system";
export const SSH_KEYS_SECRET = "sshkeys";
export const SSH_KEY_FIELD = "vsphere_tmp";

export interface AdminControlPlaneOptions {
  /** The node's root folder: `<sandbox dir>/nodes/admin-master`. */
  nodeRoot: string;
  /** A scratch folder for the CSRs and serial files openssl leaves behind. */
  workDir: string;
  /** The kubeconfig text for /etc/kubernetes/admin.conf. */
  adminKubeconfig: string;
}

/** The admin etcd's data dir on the node (the hostPath of volume etcd-data). */
export const ADMIN_ETCD_DATA_DIR_ON_NODE = "/opt/data/var/lib/etcd";
/** ... and where the etcd container sees it (its --data-dir). */
export const ADMIN_ETCD_DATA_DIR_IN_POD = "/var/lib/etcd";
/** The secrets-encryption keys folder on the node, as Anthos keeps it (root-only). */
export const ADMIN_ENCRYPTION_KEYS_DIR = "/opt/data/gke-k8s-kms-plugin/generatedkeys";

export interface AdminControlPlane {
  pkiDir: string;
  manifestsDir: string;
  /** The data dir's folder on this machine: `<node root>/opt/data/var/lib/etcd`. */
  etcdDataDir: string;
  /** kube-system/sshkeys, holding the private key; the public half is in authorized_keys. */
  sshKeysSecret: KubeObject;
}

/** Writes the node root; the kubelet starts the static pods once its manifests are there. */
export async function prepareAdminControlPlane(
  options: AdminControlPlaneOptions,
): Promise<AdminControlPlane> {
  const { nodeRoot } = options;
  const pkiDir = join(nodeRoot, "etc/kubernetes/pki");
  const manifestsDir = join(nodeRoot, "etc/kubernetes/manifests");
  const etcdDataDir = join(nodeRoot, ADMIN_ETCD_DATA_DIR_ON_NODE);
  await Promise.all([
    mkdir(join(pkiDir, "etcd"), { recursive: true }),
    mkdir(manifestsDir, { recursive: true }),
    mkdir(etcdDataDir, { recursive: true, mode: 0o700 }),
  ]);
  const [, sshKeysSecret] = await Promise.all([
    writeKubeadmPki(pkiDir, options.workDir),
    makeSshKey(nodeRoot, options.workDir),
    writeEncryptionKeys(join(nodeRoot, ADMIN_ENCRYPTION_KEYS_DIR)),
    writeFile(join(nodeRoot, "etc/kubernetes/admin.conf"), options.adminKubeconfig, {
      mode: 0o600,
    }),
  ]);
  // Manifests last: the kubelet may start etcd the moment they appear, and etcd needs its PKI.
  await writeFile(join(manifestsDir, "etcd.yaml"), stringify(etcdManifest()));
  await writeFile(join(manifestsDir, "kube-apiserver.yaml"), stringify(apiserverManifest()));
  return { pkiDir, manifestsDir, etcdDataDir, sshKeysSecret };
}

/**
 * Two random keys in the secrets-encryption keys folder, root-only as on a real node: what
 * admin-pki-backup archives with the PKI and admin-restore puts back. Nothing in the sandbox
 * encrypts with them; the tests only need the files.
 */
async function writeEncryptionKeys(folder: string): Promise<void> {
  await mkdir(folder, { recursive: true, mode: 0o700 });
  await chmod(folder, 0o700);
  for (const name of ["kms-key-1", "kms-key-2"]) {
    await writeFile(join(folder, name), `${randomBytes(32).toString("base64")}\n`, {
      mode: 0o600,
    });
  }
}

/** The files kubeadm's `init phase certs all` writes, with the names the runbook uses. */
async function writeKubeadmPki(pkiDir: string, workDir: string): Promise<void> {
  const scratch = join(workDir, "admin-pki");
  const [kubernetesCa, etcdCa, frontProxyCa] = await Promise.all([
    createCertificateAuthority(scratch, "ca", "kubernetes"),
    createCertificateAuthority(scratch, "etcd-ca", "etcd-ca"),
    createCertificateAuthority(scratch, "front-proxy-ca", "front-proxy-ca"),
  ]);
  const issue = (
    ca: CertificateAuthority,
    target: string,
    request: Omit<CertificateRequest, "dir" | "baseName">,
  ) => issueInto(ca, scratch, join(pkiDir, target), request);
  // One CA's certificates one after the other: openssl updates the CA's serial file.
  const kubernetesCerts = async () => {
    await installPair(kubernetesCa, join(pkiDir, "ca"));
    await issue(kubernetesCa, "apiserver", {
      commonName: "kube-apiserver",
      dnsNames: [
        ADMIN_MASTER,
        "kubernetes",
        "kubernetes.default",
        "kubernetes.default.svc",
        "kubernetes.default.svc.cluster.local",
        "localhost",
      ],
      ipAddresses: ["127.0.0.1", "10.96.0.1"],
      usage: ["serverAuth"],
    });
    await issue(kubernetesCa, "apiserver-kubelet-client", {
      commonName: "kube-apiserver-kubelet-client",
      organization: "system:masters",
      usage: ["clientAuth"],
    });
  };
  const frontProxyCerts = async () => {
    await installPair(frontProxyCa, join(pkiDir, "front-proxy-ca"));
    await issue(frontProxyCa, "front-proxy-client", {
      commonName: "front-proxy-client",
      usage: ["clientAuth"],
    });
  };
  const etcdCerts = async () => {
    await installPair(etcdCa, join(pkiDir, "etcd/ca"));
    const member = { dnsNames: [ADMIN_MASTER, "localhost"], ipAddresses: ["127.0.0.1"] };
    await issue(etcdCa, "etcd/server", { commonName: ADMIN_MASTER, ...member });
    await issue(etcdCa, "etcd/peer", { commonName: ADMIN_MASTER, ...member });
    await issue(etcdCa, "etcd/healthcheck-client", {
      commonName: "kube-etcd-healthcheck-client",
      usage: ["clientAuth"],
    });
    await issue(etcdCa, "apiserver-etcd-client", {
      commonName: "kube-apiserver-etcd-client",
      usage: ["clientAuth"],
    });
  };
  await Promise.all([
    kubernetesCerts(),
    frontProxyCerts(),
    etcdCerts(),
    serviceAccountKeys(pkiDir),
  ]);
}

/** Issues in the scratch folder, then copies only the .crt and .key into the PKI folder. */
async function issueInto(
  ca: CertificateAuthority,
  scratch: string,
  target: string,
  request: Omit<CertificateRequest, "dir" | "baseName">,
): Promise<void> {
  const baseName = target.replace(/[^a-z0-9-]/gi, "_");
  const files = await issueCertificate(ca, { ...request, dir: scratch, baseName });
  await installPair(files, target);
}

async function installPair(files: { certPath: string; keyPath: string }, target: string) {
  await copyFile(files.certPath, `${target}.crt`);
  await copyFile(files.keyPath, `${target}.key`);
  await chmod(`${target}.key`, 0o600);
}

async function serviceAccountKeys(pkiDir: string): Promise<void> {
  const keyPath = join(pkiDir, "sa.key");
  await run("openssl", [
    "genpkey",
    "-algorithm",
    "EC",
    "-pkeyopt",
    "ec_paramgen_curve:P-256",
    "-out",
    keyPath,
  ]);
  await chmod(keyPath, 0o600);
  await run("openssl", ["pkey", "-in", keyPath, "-pubout", "-out", join(pkiDir, "sa.pub")]);
}

/**
 * An ed25519 key made by ssh-keygen: the public half authorised for `ubuntu` on the node,
 * the private half only in the secret (the scratch copy is removed at once).
 */
async function makeSshKey(nodeRoot: string, workDir: string): Promise<KubeObject> {
  const privateKey = await authorizeNewSshKey([nodeRoot], workDir, "ubuntu@admin-master");
  return {
    apiVersion: "v1",
    kind: "Secret",
    metadata: { name: SSH_KEYS_SECRET, namespace: KUBE_SYSTEM },
    type: "Opaque",
    data: { [SSH_KEY_FIELD]: privateKey.toString("base64") },
  };
}

/**
 * A new ed25519 key whose public half is user `ubuntu`'s authorized_keys on every node root
 * given; returns the private half (the scratch copy is removed at once).
 */
export async function authorizeNewSshKey(
  nodeRoots: string[],
  workDir: string,
  comment: string,
): Promise<Buffer> {
  const scratch = await mkdtemp(join(workDir, "sshkey-"));
  try {
    const keyPath = join(scratch, "id_ed25519");
    await run("ssh-keygen", ["-q", "-t", "ed25519", "-N", "", "-C", comment, "-f", keyPath]);
    const privateKey = await readFile(keyPath);
    const publicKey = await readFile(`${keyPath}.pub`, "utf8");
    for (const nodeRoot of nodeRoots) {
      const sshDir = join(nodeRoot, "home/ubuntu/.ssh");
      await mkdir(sshDir, { recursive: true, mode: 0o700 });
      await writeFile(join(sshDir, "authorized_keys"), publicKey, { mode: 0o600 });
    }
    return privateKey;
  } finally {
    await rm(scratch, { recursive: true, force: true });
  }
}

const ADMIN_ETCD_ARGS = [
  "--name=admin-master",
  `--data-dir=${ADMIN_ETCD_DATA_DIR_IN_POD}`,
  // The node address too, as kubeadm does: the sandbox seeds content through it.
  "--listen-client-urls=https://127.0.0.1:2379,https://$(HOST_IP):2379",
  "--advertise-client-urls=https://127.0.0.1:2379",
  "--listen-peer-urls=https://127.0.0.1:2380",
  "--initial-advertise-peer-urls=https://127.0.0.1:2380",
  "--initial-cluster=admin-master=https://127.0.0.1:2380",
  "--initial-cluster-state=new",
  "--client-cert-auth=true",
  "--trusted-ca-file=/etc/kubernetes/pki/etcd/ca.crt",
  "--cert-file=/etc/kubernetes/pki/etcd/server.crt",
  "--key-file=/etc/kubernetes/pki/etcd/server.key",
  "--peer-client-cert-auth=true",
  "--peer-trusted-ca-file=/etc/kubernetes/pki/etcd/ca.crt",
  "--peer-cert-file=/etc/kubernetes/pki/etcd/peer.crt",
  "--peer-key-file=/etc/kubernetes/pki/etcd/peer.key",
  "--snapshot-count=10000",
  "--logger=zap",
  "--log-outputs=stderr",
];

/** kubeadm's etcd static pod, running the real etcd on the node's loopback. */
export function etcdManifest(): KubeObject {
  return {
    apiVersion: "v1",
    kind: "Pod",
    metadata: {
      name: "etcd",
      namespace: KUBE_SYSTEM,
      labels: { component: "etcd", tier: "control-plane" },
      annotations: { "kubeadm.kubernetes.io/etcd.advertise-client-urls": "https://127.0.0.1:2379" },
    },
    spec: {
      hostNetwork: true,
      priorityClassName: "system-node-critical",
      containers: [
        {
          name: "etcd",
          image: IMAGES.etcd,
          command: ["/usr/bin/etcd", ...ADMIN_ETCD_ARGS],
          env: [
            { name: "HOST_IP", valueFrom: { fieldRef: { fieldPath: "status.hostIP" } } },
            { name: "ETCDCTL_API", value: "3" },
          ],
          volumeMounts: [
            { name: "etcd-data", mountPath: ADMIN_ETCD_DATA_DIR_IN_POD },
            { name: "etcd-certs", mountPath: "/etc/kubernetes/pki/etcd" },
          ],
        },
      ],
      volumes: [
        {
          name: "etcd-data",
          hostPath: { path: ADMIN_ETCD_DATA_DIR_ON_NODE, type: "DirectoryOrCreate" },
        },
        {
          name: "etcd-certs",
          hostPath: { path: "/etc/kubernetes/pki/etcd", type: "DirectoryOrCreate" },
        },
      ],
    },
  };
}

/**
 * Ready only while the admin etcd answers `endpoint health` with the API server's own etcd
 * client certificate; the sandbox API server serves only while this pod is Ready
 * (admin-api-gate.ts). Three failures in a row, so one or two slow answers on a busy machine are not
 * an outage.
 */
const APISERVER_READINESS_PROBE = {
  exec: {
    command: [
      "etcdctl",
      "--endpoints=https://127.0.0.1:2379",
      "--cacert=/etc/kubernetes/pki/etcd/ca.crt",
      "--cert=/etc/kubernetes/pki/apiserver-etcd-client.crt",
      "--key=/etc/kubernetes/pki/apiserver-etcd-client.key",
      "--dial-timeout=2s",
      "--command-timeout=3s",
      "endpoint",
      "health",
    ],
  },
  periodSeconds: 1,
  timeoutSeconds: 5,
  failureThreshold: 3,
};

/** A stand-in kube-apiserver static pod: a client of the admin etcd, as the real one is. */
export function apiserverManifest(): KubeObject {
  const loop = [
    "while :; do",
    "if etcdctl --endpoints=https://127.0.0.1:2379 --cacert=/etc/kubernetes/pki/etcd/ca.crt",
    "--cert=/etc/kubernetes/pki/apiserver-etcd-client.crt --key=/etc/kubernetes/pki/apiserver-etcd-client.key",
    "--command-timeout=3s endpoint health >/dev/null 2>&1;",
    'then echo "$(date -u +%FT%TZ) etcd reachable"; else echo "$(date -u +%FT%TZ) etcd unreachable" >&2; fi;',
    "sleep 15; done",
  ].join(" ");
  return {
    apiVersion: "v1",
    kind: "Pod",
    metadata: {
      name: "kube-apiserver",
      namespace: KUBE_SYSTEM,
      labels: { component: "kube-apiserver", tier: "control-plane" },
    },
    spec: {
      hostNetwork: true,
      priorityClassName: "system-node-critical",
      containers: [
        {
          name: "kube-apiserver",
          image: IMAGES.kubeApiserver,
          command: ["/bin/sh", "-c", loop],
          env: [{ name: "ETCDCTL_API", value: "3" }],
          readinessProbe: APISERVER_READINESS_PROBE,
          volumeMounts: [{ name: "k8s-certs", mountPath: "/etc/kubernetes/pki", readOnly: true }],
        },
      ],
      volumes: [
        { name: "k8s-certs", hostPath: { path: "/etc/kubernetes/pki", type: "DirectoryOrCreate" } },
      ],
    },
  };
}
