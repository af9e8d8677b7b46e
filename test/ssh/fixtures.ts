/** Shared pieces of the SSH tests: client keys from the real ssh-keygen, a fake node PKI, the truth on disk. */
import { execFile, execFileSync } from "node:child_process";
import { createHash } from "node:crypto";
import {
  chmodSync,
  chownSync,
  lstatSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  readlinkSync,
  writeFileSync,
} from "node:fs";
import { join } from "node:path";
import { promisify } from "node:util";
import {
  startSshHost,
  type SshHost,
  type SshHostUser,
  type SshTestNetwork,
} from "../sandbox/ssh/index.ts";

export interface ClientKey {
  privateKey: string;
  publicLine: string;
  /** `ssh-keygen -l` of the public half: what error messages may show. */
  publicFingerprint: string;
}

export function generateClientKey(
  dir: string,
  name: string,
  type: "ed25519" | "rsa" = "ed25519",
): ClientKey {
  const path = join(dir, name);
  const args = type === "rsa" ? ["-t", "rsa", "-b", "2048", "-m", "PEM"] : ["-t", "ed25519"];
  execFileSync("ssh-keygen", ["-q", ...args, "-N", "", "-C", `${name}@test`, "-f", path]);
  const fingerprint = execFileSync("ssh-keygen", ["-l", "-E", "sha256", "-f", `${path}.pub`], {
    encoding: "utf8",
  }).split(" ")[1]!;
  return {
    privateKey: readFileSync(path, "utf8"),
    publicLine: readFileSync(`${path}.pub`, "utf8").trim(),
    publicFingerprint: fingerprint,
  };
}

/** Several keys at once: each ssh-keygen is a process start, and they need not wait for each other. */
export async function generateClientKeys(
  dir: string,
  specs: { name: string; type?: "ed25519" | "rsa" }[],
): Promise<ClientKey[]> {
  const run = promisify(execFile);
  return Promise.all(
    specs.map(async ({ name, type = "ed25519" }) => {
      const path = join(dir, name);
      const args = type === "rsa" ? ["-t", "rsa", "-b", "2048", "-m", "PEM"] : ["-t", "ed25519"];
      await run("ssh-keygen", ["-q", ...args, "-N", "", "-C", `${name}@test`, "-f", path]);
      const { stdout } = await run("ssh-keygen", ["-l", "-E", "sha256", "-f", `${path}.pub`]);
      return {
        privateKey: readFileSync(path, "utf8"),
        publicLine: readFileSync(`${path}.pub`, "utf8").trim(),
        publicFingerprint: stdout.split(" ")[1]!,
      };
    }),
  );
}

/** Strings that would betray a private key if they showed up in a message or a log line. */
export function secretFragments(key: ClientKey): string[] {
  const bodyLines = key.privateKey
    .split("\n")
    .filter((line) => line.length >= 16 && !line.startsWith("-----"));
  return [key.privateKey.trim(), Buffer.from(key.privateKey).toString("base64"), ...bodyLines];
}

/** A control plane's PKI as the runbook knows it: keys 0600, certificates 0644, all owned by root. */
export const PKI_FILES: { path: string; mode: number; content: string }[] = [
  {
    path: "ca.crt",
    mode: 0o644,
    content: "-----BEGIN CERTIFICATE-----\nfake cluster CA\n-----END CERTIFICATE-----\n",
  },
  {
    path: "ca.key",
    mode: 0o600,
    content: "-----BEGIN PRIVATE KEY-----\nfake cluster CA key\n-----END PRIVATE KEY-----\n",
  },
  { path: "apiserver.crt", mode: 0o644, content: "fake apiserver certificate\n".repeat(40) },
  { path: "apiserver.key", mode: 0o600, content: "fake apiserver key\n".repeat(30) },
  { path: "sa.key", mode: 0o600, content: "fake service account signing key\n" },
  { path: "sa.pub", mode: 0o644, content: "fake service account public key\n" },
  { path: "etcd/ca.crt", mode: 0o644, content: "fake etcd CA\n" },
  { path: "etcd/ca.key", mode: 0o600, content: "fake etcd CA key\n" },
  {
    path: "etcd/healthcheck-client.key",
    mode: 0o600,
    content: "fake etcd healthcheck client key\n",
  },
];

export function makeNodeRoot(nodeRoot: string): string {
  const pki = join(nodeRoot, "etc/kubernetes/pki");
  mkdirSync(join(pki, "etcd"), { recursive: true });
  mkdirSync(join(nodeRoot, "etc/kubernetes/manifests"), { recursive: true });
  for (const file of PKI_FILES) {
    writeFileSync(join(pki, file.path), file.content);
    chmodSync(join(pki, file.path), file.mode);
    chownSync(join(pki, file.path), 0, 0);
  }
  return pki;
}

export interface DiskEntry {
  path: string;
  type: "file" | "directory" | "symlink" | "other";
  mode: number;
  uid: number;
  gid: number;
  size: number;
  sha256?: string;
  linkTarget?: string;
}

/** What is really on the node's disk under `nodeRoot + nodePath`, named by its path on the node. */
export function diskTree(nodeRoot: string, nodePath: string): DiskEntry[] {
  const entries: DiskEntry[] = [];
  const visit = (path: string) => {
    const stat = lstatSync(join(nodeRoot, path));
    const type = stat.isFile()
      ? "file"
      : stat.isDirectory()
        ? "directory"
        : stat.isSymbolicLink()
          ? "symlink"
          : "other";
    entries.push({
      path,
      type,
      mode: stat.mode & 0o7777,
      uid: stat.uid,
      gid: stat.gid,
      size: type === "file" ? stat.size : 0,
      ...(type === "file"
        ? {
            sha256: createHash("sha256")
              .update(readFileSync(join(nodeRoot, path)))
              .digest("hex"),
          }
        : {}),
      ...(type === "symlink" ? { linkTarget: readlinkSync(join(nodeRoot, path)) } : {}),
    });
    if (type === "directory")
      for (const name of readdirSync(join(nodeRoot, path))) visit(`${path}/${name}`);
  };
  visit(nodePath);
  return entries.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
}

/** Runs `fn`, expecting it to fail; returns the error so its one sentence can be checked. */
export async function failureOf(fn: () => Promise<unknown>): Promise<Error & { reason?: string }> {
  try {
    await fn();
  } catch (error) {
    return error as Error & { reason?: string };
  }
  throw new Error("expected a failure, but it succeeded");
}

export interface NodeAndJump {
  node: SshHost | undefined;
  jump: SshHost | undefined;
  /** The first start that failed; the other host may still be up and needs stopping. */
  failure: unknown;
}

/**
 * The node's sshd and a forwarding-only jump host (user `jump`), started side by side in a
 * test network. Both settle before this returns, so a test stops whichever started even
 * when the other failed.
 */
export async function startNodeAndJump(options: {
  dir: string;
  network: SshTestNetwork;
  nodeRoot: string;
  nodeUsers: SshHostUser[];
  jumpKey: ClientKey;
}): Promise<NodeAndJump> {
  const jumpRoot = join(options.dir, "nodes", "jump");
  mkdirSync(jumpRoot, { recursive: true });
  const [nodeStart, jumpStart] = await Promise.allSettled([
    startSshHost({
      id: "admin-master",
      dir: options.dir,
      nodeRoot: options.nodeRoot,
      netns: options.network.nodeNetns,
      address: options.network.nodeAddress,
      users: options.nodeUsers,
    }),
    startSshHost({
      id: "jump",
      dir: options.dir,
      nodeRoot: jumpRoot,
      netns: options.network.jumpNetns,
      address: options.network.jumpAddress,
      users: [{ name: "jump", authorizedKeys: options.jumpKey.publicLine, sudo: "none" }],
      forwardingOnly: true,
    }),
  ]);
  return {
    node: nodeStart.status === "fulfilled" ? nodeStart.value : undefined,
    jump: jumpStart.status === "fulfilled" ? jumpStart.value : undefined,
    failure: [nodeStart, jumpStart].find((start) => start.status === "rejected")?.reason,
  };
}

/** One `tar -tvf` line as compared: mode letters, owner, size (0 for folders), absolute path. */
function listingLine(permissions: string, owner: string, size: number | string, path: string) {
  return `${permissions} ${owner} ${permissions.startsWith("d") ? 0 : size} ${path}`;
}

/** `age -d -i identity | zstd -d | tar -tvf`: a stored PKI archive as an operator lists it. */
export function listStoredArchive(identityPath: string, payloadPath: string): string[] {
  const listing = execFileSync("sh", [
    "-c",
    'age -d -i "$1" "$2" | zstd -d -q | tar --numeric-owner -tvf -',
    "sh",
    identityPath,
    payloadPath,
  ]).toString("utf8");
  return listing
    .trim()
    .split("\n")
    .map((line) => {
      const [permissions, owner, size, , , name] = line.split(/\s+/);
      return listingLine(permissions!, owner!, size!, `/${name!.replace(/\/$/, "")}`);
    })
    .sort();
}

/** What `tar -tvf` must show for the node's files under `nodePath`, in the same form. */
export function expectedArchiveListing(nodeRoot: string, nodePath: string): string[] {
  return diskTree(nodeRoot, nodePath)
    .map((entry) => {
      const letters = ["r", "w", "x", "r", "w", "x", "r", "w", "x"]
        .map((letter, bit) => (entry.mode & (0o400 >> bit) ? letter : "-"))
        .join("");
      const type = entry.type === "directory" ? "d" : "-";
      return listingLine(`${type}${letters}`, `${entry.uid}/${entry.gid}`, entry.size, entry.path);
    })
    .sort();
}
