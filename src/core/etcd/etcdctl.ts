/**
 * etcdctl command lines, built as argv arrays (never shell strings) so that no path or name
 * can be misread by a shell. Each mirrors a runbook command, with the profile's certificates.
 */
import type { EtcdMemberConfig } from "./member-config.ts";
import type { EtcdClusterProfile } from "./profiles.ts";

/** `etcdctl --endpoints=... --cacert=... --cert=... --key=... <args>` */
export function etcdctl(profile: EtcdClusterProfile, ...args: string[]): string[] {
  const { caPath, certPath, keyPath } = profile.certificates;
  return [
    "etcdctl",
    `--endpoints=${profile.endpoint}`,
    `--cacert=${caPath}`,
    `--cert=${certPath}`,
    `--key=${keyPath}`,
    ...args,
  ];
}

export const endpointHealth = (profile: EtcdClusterProfile) =>
  etcdctl(profile, "endpoint", "health", "--command-timeout=10s");

export const endpointStatusJson = (profile: EtcdClusterProfile) =>
  etcdctl(profile, "endpoint", "status", "-w", "json", "--command-timeout=10s");

export const snapshotSave = (profile: EtcdClusterProfile, path: string) =>
  etcdctl(profile, "snapshot", "save", path);

/**
 * `get "" --prefix --keys-only --limit=1 -w json`, at a revision if given: the key count and the
 * current revision without listing the keys (parse with parseKeyCount). Arguments only: the
 * caller adds etcdctl and its certificates (etcdctl() or a node's own container).
 */
export function countKeysArgs(revision?: number): string[] {
  const at = revision === undefined ? [] : [`--rev=${revision}`];
  return ["get", "", "--prefix", "--keys-only", "--limit=1", ...at, "-w", "json"];
}

/** What countKeysArgs prints: the store's current revision and the key count. */
export function parseKeyCount(json: string): { revision: number; keys: number } {
  const parsed = JSON.parse(json) as { header?: { revision: number }; count?: number };
  return { revision: Number(parsed.header?.revision), keys: Number(parsed.count ?? 0) };
}

/** What `etcdctl endpoint status -w json` says of one endpoint (the fields we use). */
export interface EndpointStatus {
  memberId: string;
  leaderId: string;
  revision: number;
  dbSize: number;
  raftTerm: number;
  version: string;
}

/** Parses `etcdctl endpoint status -w json` (3.4: an array of {Endpoint, Status}). */
export function parseEndpointStatus(json: string): EndpointStatus {
  let parsed: unknown;
  try {
    parsed = JSON.parse(json);
  } catch {
    throw new Error(
      `etcdctl endpoint status printed something that is not JSON: ${json.slice(0, 200)}`,
    );
  }
  const first = Array.isArray(parsed) ? parsed[0] : parsed;
  const status = (first as { Status?: Record<string, unknown> } | undefined)?.Status;
  const header = status?.header as Record<string, unknown> | undefined;
  if (!status || !header) {
    throw new Error(`etcdctl endpoint status printed no status: ${json.slice(0, 200)}`);
  }
  // etcdctl's JSON prints uint64 ids as numbers beyond 2^53; the ids are only compared.
  const idText = (name: string, value: unknown) => {
    const match = new RegExp(`"${name}":\\s*(\\d+)`).exec(json);
    return match?.[1] ?? String(value);
  };
  return {
    memberId: idText("member_id", header.member_id),
    leaderId: idText("leader", status.leader),
    revision: Number(header.revision),
    dbSize: Number(status.dbSize),
    raftTerm: Number(header.raft_term),
    version: String(status.version),
  };
}

/** The tool that restores a snapshot: `etcdctl` up to 3.5 (deprecated there), `etcdutl` from 3.5 on. */
export type RestoreTool = "etcdctl" | "etcdutl";

/** What etcd's recovery guide and OpenShift bump by, so every watch cache relists. */
export const DEFAULT_REVISION_BUMP = 1_000_000_000;

export interface SnapshotRestoreOptions {
  /** The member's own name, token, cluster and peer URLs, read from its pod (member-config.ts). */
  member: Pick<EtcdMemberConfig, "name" | "initialCluster" | "initialClusterToken" | "peerUrls">;
  /** A new, absent folder: restore refuses a non-empty one and writes straight into it. */
  dataDir: string;
  /** Revisions to bump by, with `--mark-compacted`; absent: no bump. */
  bumpRevision?: number;
}

/**
 * `snapshot restore` for one member, with every value that decides its member and cluster
 * ID given explicitly (the runbook's nameless single-member restore leaves
 * `http://localhost:2380` as the peer URL). Never `--skip-hash-check`: a file from
 * `snapshot save` carries a sha256 trailer, and restore must check it.
 */
export function snapshotRestore(
  tool: RestoreTool,
  snapshotPath: string,
  options: SnapshotRestoreOptions,
): string[] {
  const { member } = options;
  return [
    tool,
    "snapshot",
    "restore",
    snapshotPath,
    `--name=${member.name}`,
    `--initial-cluster=${member.initialCluster}`,
    `--initial-cluster-token=${member.initialClusterToken}`,
    `--initial-advertise-peer-urls=${member.peerUrls.join(",")}`,
    `--data-dir=${options.dataDir}`,
    ...(options.bumpRevision
      ? [`--bump-revision=${options.bumpRevision}`, "--mark-compacted"]
      : []),
  ];
}

/** Whether a restore tool offers the revision bump, from its `snapshot restore --help`. */
export function restoreHelpOffersBump(help: string): boolean {
  return /--bump-revision\b/.test(help) && /--mark-compacted\b/.test(help);
}
