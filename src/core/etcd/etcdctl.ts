/**
 * etcdctl command lines, built as argv arrays (never shell strings) so that no path or name
 * can be misread by a shell. Each mirrors a runbook command, with the profile's certificates.
 */
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
