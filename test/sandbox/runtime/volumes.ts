/**
 * Volumes as the kubelet materialises them, as host folders the pod view binds in:
 * a PVC is `<dir>/volumes/<ns>/<claim>` and outlives its pods; a secret or configMap is
 * written out as files (items and modes honoured); a hostPath is that path under the node's
 * root folder; an emptyDir lives and dies with the pod (with `medium: Memory`, a tmpfs of
 * its `sizeLimit`, as the kubelet mounts one, so nothing written there reaches a disk).
 */
import { execFileSync } from "node:child_process";
import { chmodSync, mkdirSync, readFileSync, rmSync, writeFileSync, existsSync } from "node:fs";
import { dirname, join } from "node:path";

import type { KubeObject, ObjectStore } from "../store.ts";
import type { KeyToPath, Volume } from "./pod-spec.ts";
import { PVC_RESOURCE } from "./pod-spec.ts";

export interface VolumeContext {
  store: ObjectStore;
  namespace: string;
  /** The sandbox folder: PVCs live under <dir>/volumes. */
  sandboxDir: string;
  /** The node's root folder: hostPath volumes resolve under it. */
  nodeRoot: string;
  /** The pod's runtime folder: secrets, configMaps and emptyDirs live under it. */
  podDir: string;
}

/** A volume that cannot be set up yet (missing Secret or PVC): the kubelet retries. */
export class VolumeNotReady extends Error {}

export function pvcFolder(sandboxDir: string, namespace: string, claim: string): string {
  return join(sandboxDir, "volumes", namespace, claim);
}

/** Host folders (or files) for every volume of the pod, by volume name. */
export function materialiseVolumes(volumes: Volume[], context: VolumeContext): Map<string, string> {
  const hostPaths = new Map<string, string>();
  for (const volume of volumes) hostPaths.set(volume.name, materialise(volume, context));
  return hostPaths;
}

function materialise(volume: Volume, context: VolumeContext): string {
  if (volume.persistentVolumeClaim)
    return claimFolder(volume.persistentVolumeClaim.claimName, context);
  if (volume.secret) {
    const { secretName, items, defaultMode, optional } = volume.secret;
    const secret = context.store.get("secrets", context.namespace, secretName);
    if (!secret && !optional) {
      throw new VolumeNotReady(
        `MountVolume.SetUp failed for volume "${volume.name}" : secret "${secretName}" not found`,
      );
    }
    const files = decodeBase64Map((secret?.data ?? {}) as Record<string, string>);
    return writeKeyFiles(volume.name, files, items, defaultMode, context);
  }
  if (volume.configMap) {
    const { name, items, defaultMode, optional } = volume.configMap;
    const configMap = context.store.get("configmaps", context.namespace, name);
    if (!configMap && !optional) {
      throw new VolumeNotReady(
        `MountVolume.SetUp failed for volume "${volume.name}" : configmap "${name}" not found`,
      );
    }
    return writeKeyFiles(volume.name, configMapFiles(configMap), items, defaultMode, context);
  }
  if (volume.hostPath) return nodeHostPath(volume.name, volume.hostPath, context);
  if (volume.emptyDir?.medium === "Memory")
    return memoryFolder(volume.name, volume.emptyDir, context);
  // emptyDir, and any volume type the sandbox does not model, is an empty pod-lifetime folder.
  const folder = join(context.podDir, "volumes", volume.name);
  mkdirSync(folder, { recursive: true });
  return folder;
}

function claimFolder(claimName: string, context: VolumeContext): string {
  if (!context.store.get(PVC_RESOURCE, context.namespace, claimName)) {
    throw new VolumeNotReady(`persistentvolumeclaim "${claimName}" not found`);
  }
  const folder = pvcFolder(context.sandboxDir, context.namespace, claimName);
  mkdirSync(folder, { recursive: true });
  return folder;
}

function decodeBase64Map(data: Record<string, string>): Map<string, Buffer> {
  return new Map(Object.entries(data).map(([key, value]) => [key, Buffer.from(value, "base64")]));
}

function configMapFiles(configMap: KubeObject | undefined): Map<string, Buffer> {
  const files = new Map<string, Buffer>();
  for (const [key, value] of Object.entries((configMap?.data ?? {}) as Record<string, string>)) {
    files.set(key, Buffer.from(value));
  }
  const binary = decodeBase64Map((configMap?.binaryData ?? {}) as Record<string, string>);
  for (const [key, value] of binary) files.set(key, value);
  return files;
}

/** Writes each key (or the listed items) as a file; re-written from scratch each time. */
function writeKeyFiles(
  volumeName: string,
  files: Map<string, Buffer>,
  items: KeyToPath[] | undefined,
  defaultMode: number | undefined,
  context: VolumeContext,
): string {
  const folder = join(context.podDir, "volumes", volumeName);
  rmSync(folder, { recursive: true, force: true });
  mkdirSync(folder, { recursive: true });
  const wanted = items ?? [...files.keys()].map((key) => ({ key, path: key }) as KeyToPath);
  for (const item of wanted) {
    const content = files.get(item.key);
    if (content === undefined) {
      throw new VolumeNotReady(
        `MountVolume.SetUp failed for volume "${volumeName}" : key "${item.key}" not found`,
      );
    }
    const file = join(folder, item.path);
    mkdirSync(dirname(file), { recursive: true });
    writeFileSync(file, content);
    chmodSync(file, item.mode ?? defaultMode ?? 0o644);
  }
  return folder;
}

/** hostPath resolves under the node's root: `/etc/kubernetes/pki` of admin-master is <node root>/etc/kubernetes/pki. */
function nodeHostPath(
  volumeName: string,
  hostPath: { path: string; type?: string },
  context: VolumeContext,
): string {
  const path = join(context.nodeRoot, hostPath.path);
  const type = hostPath.type ?? "";
  if (type === "FileOrCreate") {
    mkdirSync(dirname(path), { recursive: true });
    if (!existsSync(path)) writeFileSync(path, "");
  } else if (type === "Directory" || type === "File") {
    if (!existsSync(path)) {
      throw new VolumeNotReady(
        `MountVolume.SetUp failed for volume "${volumeName}" : hostPath type check failed: ${hostPath.path} is not a ${type === "File" ? "file" : "directory"}`,
      );
    }
  } else if (!existsSync(path)) {
    mkdirSync(path, { recursive: true });
  }
  return path;
}

/** A tmpfs for `emptyDir: {medium: Memory}`, limited to its sizeLimit (the kubelet's default: no limit given, half the RAM). */
function memoryFolder(
  volumeName: string,
  emptyDir: Record<string, unknown>,
  context: VolumeContext,
): string {
  const folder = join(context.podDir, "volumes", volumeName);
  mkdirSync(folder, { recursive: true });
  if (mountsUnder(folder).includes(folder)) return folder; // set up on an earlier try
  const limit =
    emptyDir.sizeLimit === undefined ? "50%" : String(quantityBytes(emptyDir.sizeLimit));
  execFileSync("mount", ["-t", "tmpfs", "-o", `size=${limit},mode=0777`, "tmpfs", folder]);
  return folder;
}

/** `512Mi`, `1G`, `1048576`: a Kubernetes quantity in bytes. */
function quantityBytes(quantity: unknown): number {
  const match = /^(\d+)(Ki|Mi|Gi|Ti|k|M|G|T)?$/.exec(String(quantity));
  if (!match) {
    throw new Error(`emptyDir sizeLimit "${String(quantity)}" is not a quantity the sandbox reads`);
  }
  const factors: Record<string, number> = {
    Ki: 2 ** 10,
    Mi: 2 ** 20,
    Gi: 2 ** 30,
    Ti: 2 ** 40,
    k: 1e3,
    M: 1e6,
    G: 1e9,
    T: 1e12,
  };
  return Number(match[1]) * (match[2] ? factors[match[2]]! : 1);
}

/** Mount points at or below `folder`, deepest first (the order to unmount them in). */
function mountsUnder(folder: string): string[] {
  return readFileSync("/proc/self/mounts", "utf8")
    .split("\n")
    .map((line) => line.split(" ")[1] ?? "")
    .map((field) => field.replace(/\\040/g, " "))
    .filter((mount) => mount === folder || mount.startsWith(`${folder}/`))
    .sort((a, b) => b.length - a.length);
}

/** Unmounts the memory volumes under a pod's (or a stale sandbox's) folder, before it is removed. */
export function unmountMemoryVolumes(folder: string): void {
  for (const mount of mountsUnder(folder)) {
    execFileSync("umount", ["-l", mount]);
  }
}
