/**
 * A pod's filesystem view, built with `bwrap`: the pod root folder is `/` (writable, kept
 * for the pod's life like a container's writable layer, shared by its containers and every
 * exec), the host's `/usr` read-only with the merged-usr symlinks, the few host files under
 * /etc that dynamic linking, TLS and name lookup need, a fresh /proc and /dev, and each
 * volume at its mountPath. Every process runs inside the pod's network namespace via nsenter.
 */
import {
  copyFileSync,
  existsSync,
  mkdirSync,
  renameSync,
  symlinkSync,
  writeFileSync,
  chmodSync,
} from "node:fs";
import { join } from "node:path";

import type { VolumeMount } from "./pod-spec.ts";

/** Host files bound read-only into every pod (those that exist on this machine). */
const HOST_ETC_READ_ONLY = [
  "/etc/ld.so.cache",
  "/etc/ld.so.conf",
  "/etc/ld.so.conf.d",
  "/etc/alternatives",
  "/etc/ssl",
  "/etc/ca-certificates",
  "/etc/localtime",
  "/etc/protocols",
  "/etc/services",
].filter((path) => existsSync(path));

const MERGED_USR_LINKS = ["bin", "sbin", "lib", "lib64", "lib32", "libx32"].filter((link) =>
  existsSync(`/usr/${link}`),
);

export interface PodView {
  rootDir: string;
  hostname: string;
  /** Volume mounts of one container, with the host folder of each volume. */
  mounts: Array<{ hostPath: string; mountPath: string; readOnly: boolean }>;
  workingDir?: string;
  environment: Record<string, string>;
  netnsPath: string;
  /** A distroless image's programs: /usr/bin holds only these (see ImageRule.binaries). */
  binaries?: readonly string[];
}

/** Creates the pod root once: the directories and /etc files a Linux userland expects. */
export function preparePodRoot(rootDir: string, hostname: string): void {
  for (const folder of ["etc", "root", "run", "var/tmp", "var/lib", "dev", "proc", "usr"]) {
    mkdirSync(join(rootDir, folder), { recursive: true });
  }
  mkdirSync(join(rootDir, "tmp"), { recursive: true });
  chmodSync(join(rootDir, "tmp"), 0o1777);
  for (const link of MERGED_USR_LINKS) {
    if (!existsSync(join(rootDir, link))) symlinkSync(`usr/${link}`, join(rootDir, link));
  }
  for (const file of ["passwd", "group"]) copyFileSync(`/etc/${file}`, join(rootDir, "etc", file));
  writeFileSync(join(rootDir, "etc/hostname"), `${hostname}\n`);
  writeFileSync(
    join(rootDir, "etc/nsswitch.conf"),
    "passwd: files\ngroup: files\nshadow: files\nhosts: files dns\nnetworks: files\nprotocols: files\nservices: files\n",
  );
  // No cluster DNS: an unknown name must fail at once, not after resolver time-outs.
  writeFileSync(
    join(rootDir, "etc/resolv.conf"),
    "nameserver 127.0.0.1\noptions timeout:1 attempts:1\n",
  );
}

/** Replaces /etc/hosts atomically, so a process reading it never sees half a file. */
export function writeHostsFile(rootDir: string, content: string): void {
  const hostsPath = join(rootDir, "etc/hosts");
  const temporary = `${hostsPath}.new`;
  writeFileSync(temporary, content);
  renameSync(temporary, hostsPath);
}

/** The argv (for spawn) that runs argv inside the pod's network namespace and view. */
export function podCommand(view: PodView, argv: string[]): string[] {
  return [
    "nsenter",
    `--net=${view.netnsPath}`,
    "--",
    "bwrap",
    ...bwrapArguments(view),
    "--",
    ...argv,
  ];
}

function bwrapArguments(view: PodView): string[] {
  const args = [
    "--die-with-parent",
    "--unshare-pid",
    "--unshare-ipc",
    "--unshare-uts",
    "--hostname",
    view.hostname,
    "--bind",
    view.rootDir,
    "/",
    "--ro-bind",
    "/usr",
    "/usr",
  ];
  if (view.binaries) {
    // An empty /usr/bin with only the image's programs: no /bin/sh to exec into.
    args.push("--tmpfs", "/usr/bin");
    for (const name of view.binaries)
      args.push("--ro-bind", `/usr/bin/${name}`, `/usr/bin/${name}`);
  }
  for (const path of HOST_ETC_READ_ONLY) args.push("--ro-bind", path, path);
  args.push("--proc", "/proc", "--dev", "/dev", "--tmpfs", "/dev/shm");
  // Parents before children, so a volume inside another volume is not hidden by it.
  const mounts = [...view.mounts].sort((a, b) => depth(a.mountPath) - depth(b.mountPath));
  for (const mount of mounts) {
    args.push(mount.readOnly ? "--ro-bind" : "--bind", mount.hostPath, mount.mountPath);
  }
  args.push("--chdir", view.workingDir ?? "/", "--clearenv");
  for (const [name, value] of Object.entries(view.environment)) args.push("--setenv", name, value);
  return args;
}

function depth(path: string): number {
  return path.split("/").filter(Boolean).length;
}

/** The host folders for a container's volumeMounts (subPath inside its volume). */
export function containerMounts(
  volumeMounts: VolumeMount[],
  volumeHostPaths: Map<string, string>,
  podName: string,
): PodView["mounts"] {
  return volumeMounts.map((mount) => {
    const volumePath = volumeHostPaths.get(mount.name);
    if (volumePath === undefined) {
      throw new Error(
        `pod ${podName}: volumeMount "${mount.name}" names no volume of the pod: expected one of ${[...volumeHostPaths.keys()].join(", ") || "(none)"}`,
      );
    }
    let hostPath = volumePath;
    if (mount.subPath) {
      hostPath = join(volumePath, mount.subPath);
      if (!existsSync(hostPath)) mkdirSync(hostPath, { recursive: true });
    }
    return { hostPath, mountPath: mount.mountPath, readOnly: mount.readOnly ?? false };
  });
}

/**
 * The argv that runs argv inside a running container's namespaces (mount, UTS, IPC, network,
 * pid; its root and working directory) with the container's environment: what `kubectl exec`
 * does, so the command sees the container's own /proc and processes.
 */
export function enterContainerCommand(
  mainPid: number,
  environment: Record<string, string>,
  argv: string[],
): string[] {
  const assignments = Object.entries(environment).map(([name, value]) => `${name}=${value}`);
  return [
    "nsenter",
    `--target=${mainPid}`,
    "--mount",
    "--uts",
    "--ipc",
    "--net",
    "--pid",
    "--root",
    "--wd",
    "--",
    "/usr/bin/env",
    "-i",
    ...assignments,
    ...argv,
  ];
}
