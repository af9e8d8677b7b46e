/**
 * The shell run inside a utility pod (or on a node) by a restore, one small POSIX `sh`
 * script per runbook step, each taking its values as positional arguments (never spliced
 * into the script) and each safe to run again after an interruption: it checks the state
 * before it acts, and a rerun of a finished step changes nothing.
 *
 * Layout on a member's data volume (the data dir is the volume's root for kube-etcd):
 *   <dataDir>/member                      the live data
 *   <dataDir>/restore-<stamp>/member      the restored data, until the swap
 *   <dataDir>/restore-<stamp>.db          the snapshot streamed in, until restored
 *   <dataDir>/pre-restore-<stamp>/member  the data the restore displaced (never deleted by it)
 * etcd logs a warning for the extra folders and otherwise ignores them.
 */

/** Exit codes the scripts use for failures a sentence can explain. */
export const RESTORE_EXIT = {
  /** Some process holds the bbolt lock on member/snap/db: etcd still runs on the data. */
  dataInUse: 20,
  /** The restored folder is missing or incomplete (no member/snap/db). */
  restoredMissing: 21,
  /** Nothing to undo: no pre-restore folder. */
  nothingToUndo: 22,
  /** `flock` is missing, so no proof that the data is free can be given. */
  noFlock: 23,
  /** The volume has less room than needed. */
  noRoom: 24,
  /** The folders are in a state no step of ours leaves them in: look before going on. */
  inconsistent: 25,
} as const;

/** Lists what the image offers, one `name=value` per line; never fails. */
export const PROBE_SCRIPT = `for tool in etcdctl etcdutl openssl sha256sum flock df du stat chown mv; do
  if command -v "$tool" >/dev/null 2>&1; then echo "$tool=yes"; else echo "$tool=no"; fi
done
for tool in etcdutl etcdctl; do
  if command -v "$tool" >/dev/null 2>&1; then
    help=$(ETCDCTL_API=3 "$tool" snapshot restore --help 2>&1)
    case "$help" in *--bump-revision*--mark-compacted*|*--mark-compacted*--bump-revision*) echo "$tool.bump=yes";; *) echo "$tool.bump=no";; esac
    version=$(ETCDCTL_API=3 "$tool" version 2>/dev/null | sed -n 's/^[a-z]* version: *//p' | head -n 1)
    echo "$tool.version=$version"
  fi
done`;

/** etcd's WAL segment (wal.SegmentSizeBytes), always preallocated in full. */
export const WAL_SEGMENT_BYTES = 64_000_000;

/**
 * The room a restored member needs beyond twice the snapshot (the streamed file and the
 * restored db): the WAL segment `snapshot restore` writes, the next one etcd preallocates (a
 * `.tmp` file) as soon as it starts on the data, and a MiB for the rest. The restore's room
 * check and the drill's memory volume both count it.
 */
export const RESTORE_HEADROOM_BYTES = 2 * WAL_SEGMENT_BYTES + 1024 * 1024;

/**
 * Free room on the data volume, the live data's size, and the live WAL's preallocated
 * segments (`member/wal/*.tmp`, given back when its etcd stops), in KiB:
 * `free=<KiB> used=<KiB of dataDir/member> spare=<KiB of *.tmp>`. Arguments: dataDir, the KiB
 * needed while the live etcd still runs (the restore), the KiB needed once the restored
 * data's etcd runs (after the stop, with the spare segments freed).
 */
export const ROOM_SCRIPT = `data=$1 need=$2 needRunning=$3
set -- $(df -Pk "$data" | tail -n 1)
free=$4
case $free in ''|*[!0-9]*) echo "df printed no free space for $data" >&2; exit 1 ;; esac
used=$(du -sk "$data/member" 2>/dev/null | cut -f 1)
spare=0
for tmp in "$data"/member/wal/*.tmp; do
  if [ -f "$tmp" ]; then spare=$((spare + $(du -k "$tmp" | cut -f 1))); fi
done
echo "free=$free used=\${used:-0} spare=$spare"
if [ "$free" -lt "$need" ] || [ $((free + spare)) -lt "\${needRunning:-0}" ]; then exit ${RESTORE_EXIT.noRoom}; fi`;

/**
 * Restores the streamed snapshot into restore-<stamp> (a leftover of an interrupted run is
 * removed first: restore refuses a non-empty folder), then removes the snapshot (plaintext
 * has no business on the volume longer than needed). Arguments: dataDir, stamp, then the
 * restore command's argv. A rerun after it finished (snapshot gone, restored folder there)
 * changes nothing.
 */
export const RESTORE_SCRIPT = `data=$1 stamp=$2; shift 2
restored="$data/restore-$stamp" snapshot="$data/restore-$stamp.db"
if [ ! -f "$snapshot" ] && [ -f "$restored/member/snap/db" ]; then echo "already restored"; exit 0; fi
rm -rf "$restored"
ETCDCTL_API=3 "$@" >&2 || { status=$?; rm -rf "$restored"; exit $status; }
[ -f "$restored/member/snap/db" ] || exit ${RESTORE_EXIT.restoredMissing}
chmod 700 "$restored/member"
rm -f "$snapshot"
sync
du -sk "$restored/member" | cut -f 1`;

/**
 * The swap, on one member: proves no process holds the live data (bbolt keeps an exclusive
 * flock on member/snap/db while etcd runs), then moves the live member folder aside to
 * pre-restore-<stamp>/member and the restored one into its place, with the old one's owner
 * and mode. Arguments: dataDir, stamp, and optionally `check`: then only the checks run
 * (restored data there, flock present, no process on the live data) and nothing moves, so a
 * refusal is known to have moved nothing. Prints `swapped`, `already swapped`, or `placed`
 * (there was no live member folder); with `check`, `free` or `already swapped`.
 */
export const SWAP_SCRIPT = `data=$1 stamp=$2 mode=\${3:-swap}
restored="$data/restore-$stamp" aside="$data/pre-restore-$stamp"
if [ ! -d "$restored/member" ]; then
  if [ -d "$data/member" ] && [ -d "$aside" ]; then echo "already swapped"; exit 0; fi
  exit ${RESTORE_EXIT.restoredMissing}
fi
command -v flock >/dev/null 2>&1 || exit ${RESTORE_EXIT.noFlock}
if [ "$mode" = check ]; then
  if [ -f "$data/member/snap/db" ] && [ ! -d "$aside/member" ] && ! flock -n -x "$data/member/snap/db" true; then exit ${RESTORE_EXIT.dataInUse}; fi
  echo free; exit 0
fi
mkdir -p "$aside"
if [ -d "$data/member" ] && [ ! -d "$aside/member" ]; then
  if [ -f "$data/member/snap/db" ] && ! flock -n -x "$data/member/snap/db" true; then exit ${RESTORE_EXIT.dataInUse}; fi
  owner=$(stat -c %u:%g "$data/member") mode=$(stat -c %a "$data/member")
  chown -R "$owner" "$restored/member"
  chmod "$mode" "$restored/member"
  mv "$data/member" "$aside/member"
  result=swapped
elif [ -d "$aside/member" ] && [ ! -d "$data/member" ]; then
  result=swapped
elif [ -d "$aside/member" ]; then
  echo "both $data/member and $aside/member exist, and $restored/member is still there: an etcd may have started between the two renames; look before going on" >&2
  exit ${RESTORE_EXIT.inconsistent}
else
  : > "$aside/.no-member"
  result=placed
fi
mv "$restored/member" "$data/member"
rmdir "$restored"
sync
echo "$result"`;

/**
 * Undo: puts the data of one restore's pre-restore-<restored> folder back, moving what is
 * live now aside to pre-undo-<stamp>/member (nothing is deleted). Arguments: dataDir, stamp,
 * the restore's stamp. A member that restore never swapped has no such folder: exit
 * nothingToUndo, nothing moved. Prints the pre-restore folder it put back.
 */
export const UNDO_SCRIPT = `data=$1 stamp=$2 restored=$3
undo="$data/pre-undo-$stamp" kept="$data/pre-restore-$restored"
if [ -f "$undo/.done" ]; then echo "already undone"; exit 0; fi
if [ -d "$undo" ] && [ -d "$data/member" ] && [ ! -d "$kept/member" ]; then
  : > "$undo/.done"; echo "already undone"; exit 0
fi
[ -d "$kept/member" ] || exit ${RESTORE_EXIT.nothingToUndo}
command -v flock >/dev/null 2>&1 || exit ${RESTORE_EXIT.noFlock}
if [ -f "$data/member/snap/db" ] && ! flock -n -x "$data/member/snap/db" true; then exit ${RESTORE_EXIT.dataInUse}; fi
mkdir -p "$undo"
if [ -d "$data/member" ]; then mv "$data/member" "$undo/member"; elif [ ! -d "$undo/member" ]; then : > "$undo/.no-member"; fi
mv "$kept/member" "$data/member"
rm -f "$kept/.no-member"
rmdir "$kept"
: > "$undo/.done"
sync
basename "$kept"`;

/**
 * Removes pre-restore folders beyond the newest `keep` (run only once the restored cluster is
 * proven healthy). Arguments: dataDir, keep. Prints each folder removed.
 */
export const PRUNE_SCRIPT = `data=$1 keep=$2
ls -1d "$data"/pre-restore-* 2>/dev/null | sort -r | tail -n +$((keep + 1)) | while read -r old; do
  rm -rf "$old" && basename "$old"
done`;

/** `sh -c <script> sh <args...>`: the script's values as positional parameters. */
export function shellCommand(script: string, ...args: string[]): string[] {
  return ["sh", "-c", script, "sh", ...args];
}

/** The capabilities PROBE_SCRIPT printed. */
export interface UtilityImageFacts {
  tools: Record<string, boolean>;
  restoreTool?: "etcdutl" | "etcdctl";
  bump: boolean;
  /** The etcd version the restore tool reports, e.g. `3.4.23`. */
  version?: string;
}

export function parseProbe(output: string): UtilityImageFacts {
  const values = new Map<string, string>();
  for (const line of output.split("\n")) {
    const separator = line.indexOf("=");
    if (separator > 0)
      values.set(line.slice(0, separator).trim(), line.slice(separator + 1).trim());
  }
  const tools: Record<string, boolean> = {};
  for (const [key, value] of values) if (!key.includes(".")) tools[key] = value === "yes";
  // etcdutl from 3.5 on; etcdctl's restore is deprecated there and gone in 3.6.
  const restoreTool = tools.etcdutl ? "etcdutl" : tools.etcdctl ? "etcdctl" : undefined;
  const version = restoreTool ? values.get(`${restoreTool}.version`) || undefined : undefined;
  return {
    tools,
    ...(restoreTool ? { restoreTool } : {}),
    bump: restoreTool ? values.get(`${restoreTool}.bump`) === "yes" : false,
    ...(version ? { version } : {}),
  };
}

/** `20261207T013000Z`: the stamp of restore and pre-restore folders, sortable as text. */
export function restoreStamp(time: Date): string {
  return time
    .toISOString()
    .replace(/[-:]/g, "")
    .replace(/\.\d+Z$/, "Z");
}
