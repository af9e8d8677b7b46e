/**
 * `snapshot diff A B`: which keys two backups disagree on, per resource, with the
 * revisions on each side; answers "what changed between these two backups?".
 */
import { listSnapshotKeys, NOT_KUBERNETES, type ListOptions, type SnapshotKey } from "./keys.ts";

export interface DiffEntry {
  key: string;
  resource?: string;
  namespace?: string;
  name?: string;
  modRevision: number;
  valueSize: number;
}

export interface ChangedEntry {
  key: string;
  resource?: string;
  namespace?: string;
  name?: string;
  fromModRevision: number;
  toModRevision: number;
  fromValueSize: number;
  toValueSize: number;
  /** False when the key was rewritten with the very same bytes (only its revision moved). */
  valueChanged: boolean;
}

export interface ResourceDiffCount {
  resource: string;
  added: number;
  removed: number;
  changed: number;
}

export interface SnapshotDiff {
  from: { file: string; revision: number; keys: number };
  to: { file: string; revision: number; keys: number };
  /** In `to`, not in `from`. */
  added: DiffEntry[];
  /** In `from`, not in `to`. */
  removed: DiffEntry[];
  /** In both, with another value or revision. */
  changed: ChangedEntry[];
  unchanged: number;
  resources: ResourceDiffCount[];
}

/** Compares the live keys of two snapshots; `options` filter both sides alike. */
export function diffSnapshots(
  fromFile: string,
  toFile: string,
  options: Omit<ListOptions, "digest"> = {},
): SnapshotDiff {
  const from = listSnapshotKeys(fromFile, { ...options, digest: true });
  const to = listSnapshotKeys(toFile, { ...options, digest: true });
  const before = new Map(from.keys.map((key) => [key.key, key]));
  const diff: SnapshotDiff = {
    from: { file: fromFile, revision: from.revision, keys: from.keys.length },
    to: { file: toFile, revision: to.revision, keys: to.keys.length },
    added: [],
    removed: [],
    changed: [],
    unchanged: 0,
    resources: [],
  };
  for (const after of to.keys) {
    const previous = before.get(after.key);
    before.delete(after.key);
    if (!previous) diff.added.push(entryOf(after));
    else if (
      previous.modRevision !== after.modRevision ||
      previous.valueSha256 !== after.valueSha256
    ) {
      diff.changed.push(changeOf(previous, after));
    } else diff.unchanged++;
  }
  diff.removed = [...before.values()].map(entryOf);
  diff.resources = countChanges(diff);
  return diff;
}

function identity(key: SnapshotKey): Pick<DiffEntry, "key" | "resource" | "namespace" | "name"> {
  return {
    key: key.key,
    ...(key.resource ? { resource: key.resource } : {}),
    ...(key.namespace ? { namespace: key.namespace } : {}),
    ...(key.name ? { name: key.name } : {}),
  };
}

function entryOf(key: SnapshotKey): DiffEntry {
  return { ...identity(key), modRevision: key.modRevision, valueSize: key.valueSize };
}

function changeOf(previous: SnapshotKey, after: SnapshotKey): ChangedEntry {
  return {
    ...identity(after),
    fromModRevision: previous.modRevision,
    toModRevision: after.modRevision,
    fromValueSize: previous.valueSize,
    toValueSize: after.valueSize,
    valueChanged: previous.valueSha256 !== after.valueSha256,
  };
}

function countChanges(diff: SnapshotDiff): ResourceDiffCount[] {
  const counts = new Map<string, ResourceDiffCount>();
  const count = (resource: string | undefined, kind: "added" | "removed" | "changed") => {
    const name = resource ?? NOT_KUBERNETES;
    const entry = counts.get(name) ?? { resource: name, added: 0, removed: 0, changed: 0 };
    entry[kind]++;
    counts.set(name, entry);
  };
  for (const entry of diff.added) count(entry.resource, "added");
  for (const entry of diff.removed) count(entry.resource, "removed");
  for (const entry of diff.changed) count(entry.resource, "changed");
  return [...counts.values()].sort((a, b) => a.resource.localeCompare(b.resource));
}
