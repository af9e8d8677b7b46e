/**
 * The etcd static pod of a control-plane node (`/etc/kubernetes/manifests/etcd.yaml`), as a
 * restore over SSH needs it: the image (so the restore runs the member's own etcd version),
 * the member's flags (member-config.ts), and where its data dir is on the node itself. The
 * data dir is read from the manifest and mapped through the pod's volumes: on newer releases
 * it is `/opt/data/var/lib/etcd` on the node, mounted at `/var/lib/etcd` in the pod.
 *
 * Also the one-shot static pod that restores a snapshot with that image: the runbook's
 * `docker run etcd-util`, for nodes that run containerd and have no docker.
 */
import { posix } from "node:path";
import { parse } from "yaml";
import { memberConfigFromContainer, type EtcdMemberConfig } from "./member-config.ts";
import { snapshotRestore, type RestoreTool } from "./etcdctl.ts";

export const MANIFESTS_DIR = "/etc/kubernetes/manifests";
export const ETCD_MANIFEST = "etcd.yaml";
export const API_SERVER_MANIFEST = "kube-apiserver.yaml";
export const RESTORE_MANIFEST = "etcd-restore.yaml";
/** The one-shot pod's name in its manifest (its mirror is `etcd-restore-<node>`). */
export const RESTORE_POD = "etcd-restore";

interface ManifestVolume {
  name: string;
  hostPath?: { path: string };
}

interface ManifestContainer {
  name: string;
  image?: string;
  command?: string[];
  args?: string[];
  env?: { name: string; value?: string; valueFrom?: { fieldRef?: { fieldPath?: string } } }[];
  volumeMounts?: { name: string; mountPath: string }[];
}

interface PodManifest {
  metadata?: { name?: string; namespace?: string };
  spec?: { containers?: ManifestContainer[]; volumes?: ManifestVolume[] };
}

export interface StaticEtcdMember {
  image: string;
  config: EtcdMemberConfig;
  /** The data dir as etcd sees it in its container, e.g. `/var/lib/etcd`. */
  containerDataDir: string;
  /** The same folder on the node, e.g. `/opt/data/var/lib/etcd`. */
  hostDataDir: string;
  /** The container path the data volume is mounted at (the restore pod mounts it there too). */
  dataMountPath: string;
  /** The node folder that volume is. */
  dataHostPath: string;
  /** TCP ports etcd listens on for clients and peers (from its listen URLs). */
  ports: number[];
}

/** Reads etcd.yaml; one sentence naming the file and what was expected when it is not usable. */
export function readEtcdStaticPod(text: string, nodeName: string, where: string): StaticEtcdMember {
  let manifest: PodManifest;
  try {
    manifest = parse(text) as PodManifest;
  } catch (error) {
    throw new Error(
      `${where} is not YAML (${(error as Error).message.split("\n")[0]}); expected kubeadm's etcd static pod manifest.`,
      { cause: error },
    );
  }
  const containers = manifest?.spec?.containers ?? [];
  const container = containers.find((item) => item.name === "etcd") ?? containers[0];
  if (!container?.image) {
    throw new Error(`${where} has no container with an image; expected kubeadm's etcd static pod.`);
  }
  const config = memberConfigFromContainer(
    container,
    { name: `${manifest.metadata?.name ?? "etcd"}-${nodeName}`, namespace: "kube-system" },
    where,
  );
  const mount = dataMount(container, manifest.spec?.volumes ?? [], config.dataDir, where);
  const relative = posix.relative(mount.mountPath, config.dataDir);
  return {
    image: container.image,
    config,
    containerDataDir: config.dataDir,
    hostDataDir: relative ? posix.join(mount.hostPath, relative) : mount.hostPath,
    dataMountPath: mount.mountPath,
    dataHostPath: mount.hostPath,
    ports: listenPorts(container),
  };
}

/** The hostPath volume whose mount holds the data dir (the deepest one, as the kubelet mounts). */
function dataMount(
  container: ManifestContainer,
  volumes: ManifestVolume[],
  dataDir: string,
  where: string,
): { mountPath: string; hostPath: string } {
  if (!posix.isAbsolute(dataDir)) {
    throw new Error(
      `${where}: etcd's --data-dir is ${dataDir}, not an absolute path; expected e.g. --data-dir=/var/lib/etcd.`,
    );
  }
  const candidates = (container.volumeMounts ?? [])
    .filter((mount) => {
      const relative = posix.relative(mount.mountPath, dataDir);
      return !relative.startsWith("..") && !posix.isAbsolute(relative);
    })
    .sort((a, b) => b.mountPath.length - a.mountPath.length);
  for (const mount of candidates) {
    const volume = volumes.find((item) => item.name === mount.name);
    if (volume?.hostPath?.path)
      return { mountPath: mount.mountPath, hostPath: volume.hostPath.path };
  }
  throw new Error(
    `${where}: no hostPath volume is mounted over etcd's data dir ${dataDir}; expected a volume such as etcd-data (hostPath /var/lib/etcd or /opt/data/var/lib/etcd) mounted there.`,
  );
}

function listenPorts(container: ManifestContainer): number[] {
  const argv = [...(container.command ?? []), ...(container.args ?? [])];
  const ports = new Set<number>();
  for (const word of argv) {
    const match = /^--listen-(?:client|peer)-urls=(.*)$/.exec(word);
    if (!match) continue;
    for (const url of match[1]!.split(",")) {
      const port = /:(\d+)\/?$/.exec(url.trim())?.[1];
      if (port) ports.add(Number(port));
    }
  }
  return ports.size ? [...ports].sort((a, b) => a - b) : [2379, 2380];
}

export interface RestorePodOptions {
  member: StaticEtcdMember;
  tool: RestoreTool;
  /** The snapshot's file name inside the data dir, e.g. `restore-<stamp>.db`. */
  snapshotName: string;
  /** The new folder inside the data dir the restore writes, e.g. `restore-<stamp>`. */
  restoredName: string;
  bumpRevision?: number;
  /** The pod's name; default RESTORE_POD. A fresh one never meets an earlier run's pod. */
  podName?: string;
}

/**
 * The one-shot static pod (`restartPolicy: Never`) that restores the snapshot with the
 * member's own image, flags and data volume: `etcdctl`/`etcdutl snapshot restore` as its
 * command, no shell (newer etcd images have none), into a new folder inside the data dir.
 */
export function restorePodManifest(options: RestorePodOptions): Record<string, unknown> {
  const { member } = options;
  const inContainer = (name: string) => posix.join(member.containerDataDir, name);
  const command = snapshotRestore(options.tool, inContainer(options.snapshotName), {
    member: member.config,
    dataDir: inContainer(options.restoredName),
    ...(options.bumpRevision ? { bumpRevision: options.bumpRevision } : {}),
  });
  return {
    apiVersion: "v1",
    kind: "Pod",
    metadata: {
      name: options.podName ?? RESTORE_POD,
      namespace: "kube-system",
      labels: { component: RESTORE_POD, tier: "control-plane" },
    },
    spec: {
      restartPolicy: "Never",
      hostNetwork: true,
      priorityClassName: "system-node-critical",
      containers: [
        {
          name: RESTORE_POD,
          image: member.image,
          command,
          env: [{ name: "ETCDCTL_API", value: "3" }],
          volumeMounts: [{ name: "etcd-data", mountPath: member.dataMountPath }],
        },
      ],
      volumes: [{ name: "etcd-data", hostPath: { path: member.dataHostPath, type: "Directory" } }],
    },
  };
}

/** etcdutl from 3.5 on (etcdctl's restore is deprecated there, gone in 3.6); etcdctl before. */
export function restoreToolFor(version: string | undefined): RestoreTool {
  if (!version) return "etcdctl";
  const [major = 0, minor = 0] = version.split(".").map(Number);
  return major > 3 || (major === 3 && minor >= 5) ? "etcdutl" : "etcdctl";
}

/** `--bump-revision` arrived in etcd 3.4.26 and 3.5.10. */
export function versionOffersBump(version: string | undefined): boolean {
  if (!version) return false;
  const [major = 0, minor = 0, patch = 0] = version.split(".").map(Number);
  if (major > 3 || (major === 3 && minor >= 6)) return true;
  if (major === 3 && minor === 5) return patch >= 10;
  return major === 3 && minor === 4 && patch >= 26;
}
