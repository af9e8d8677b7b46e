/**
 * The shell a restore runs on a control-plane node over SSH (`sudo -n sh -c SCRIPT sh ARGS`),
 * beside the member-level scripts it shares with the user-cluster restore (restore-scripts.ts:
 * room, swap, undo, prune). Values are positional arguments, never spliced in; each script
 * checks the state before it acts, so a rerun after a dropped connection changes nothing
 * that is already done.
 *
 * Layout, besides restore-scripts.ts's in the data dir:
 *   /etc/kubernetes/manifests-stopped-<stamp>/   etcd.yaml and kube-apiserver.yaml while stopped
 *   <dataDir>/admin-restore.journal              the restore's journal (root-only)
 */
import { RESTORE_EXIT } from "./restore-scripts.ts";

/** Exit codes beyond RESTORE_EXIT's. */
export const NODE_EXIT = {
  /** The snapshot received on the node does not have the backup's sha256. */
  checksum: 26,
  /** A manifest that must be there is neither in the manifests folder nor set aside. */
  manifestMissing: 27,
} as const;

/**
 * Receives the snapshot on stdin into <dataDir>/restore-<stamp>.db (root-only, on the data's
 * own volume), under a partial name until its sha256 is the backup's. Arguments: dataDir,
 * stamp, sha256. Prints the sha256.
 */
export const STAGE_SCRIPT = `data=$1 stamp=$2 sum=$3
file="$data/restore-$stamp.db"
[ -d "$data" ] || { echo "$data is not a folder" >&2; exit 1; }
umask 077
cat > "$file.part" || { rm -f "$file.part"; exit 1; }
actual=$(sha256sum "$file.part" | cut -d ' ' -f 1)
if [ "$actual" != "$sum" ]; then rm -f "$file.part"; echo "received sha256 $actual" >&2; exit ${NODE_EXIT.checksum}; fi
mv "$file.part" "$file"
sync
echo "$actual"`;

/**
 * Runbook 5: stops static pods by moving their manifests out of the manifests folder into a
 * dated folder beside it (never inside it: the kubelet reads every file there). Arguments:
 * manifestsDir, asideDir, manifest file names. Prints one line per file.
 */
export const STOP_SCRIPT = `manifests=$1 aside=$2; shift 2
mkdir -p "$aside" && chmod 700 "$aside"
for file in "$@"; do
  if [ -f "$manifests/$file" ] && [ -f "$aside/$file" ]; then
    echo "$file is both in $manifests and in $aside; look before going on" >&2; exit ${RESTORE_EXIT.inconsistent}
  elif [ -f "$manifests/$file" ]; then mv "$manifests/$file" "$aside/$file" && echo "moved $file"
  elif [ -f "$aside/$file" ]; then echo "already moved $file"
  else echo "$manifests/$file is missing" >&2; exit ${NODE_EXIT.manifestMissing}
  fi
done
sync`;

/**
 * Moves the manifests back from the dated folder (the kubelet starts the pods again), then
 * removes that folder once empty. Arguments: manifestsDir, asideDir, file names.
 */
export const START_SCRIPT = `manifests=$1 aside=$2; shift 2
for file in "$@"; do
  if [ -f "$aside/$file" ] && [ -f "$manifests/$file" ]; then
    echo "$file is both in $manifests and in $aside; look before going on" >&2; exit ${RESTORE_EXIT.inconsistent}
  elif [ -f "$aside/$file" ]; then mv "$aside/$file" "$manifests/$file" && echo "moved back $file"
  elif [ -f "$manifests/$file" ]; then echo "already back $file"
  else echo "$file is neither in $manifests nor in $aside" >&2; exit ${NODE_EXIT.manifestMissing}
  fi
done
[ -d "$aside" ] && rmdir "$aside" 2>/dev/null
sync`;

/**
 * Whether etcd (and whatever else listens on the given ports) is really gone: no process
 * holds member/snap/db (bbolt keeps an exclusive flock on it while etcd runs) and nothing
 * listens on the ports. Arguments: dataDir, ports. Prints `stopped`, or what still runs.
 */
export const STOPPED_SCRIPT = `data=$1; shift
busy=""
command -v flock >/dev/null 2>&1 || exit ${RESTORE_EXIT.noFlock}
if [ -f "$data/member/snap/db" ] && ! flock -n -x "$data/member/snap/db" true; then busy="a process holds $data/member/snap/db;"; fi
if command -v ss >/dev/null 2>&1; then
  for port in "$@"; do
    if ss -Hltn "sport = :$port" | grep -q .; then busy="$busy port $port is listening;"; fi
  done
fi
echo "\${busy:-stopped}"`;

/**
 * Writes a static pod manifest from stdin into the manifests folder: under a hidden name
 * first (the kubelet ignores those), then renamed, so the kubelet never reads half a file.
 * Arguments: manifestsDir, file name.
 */
export const WRITE_MANIFEST_SCRIPT = `manifests=$1 file=$2
umask 077
cat > "$manifests/.$file.part" || exit 1
mv "$manifests/.$file.part" "$manifests/$file"
sync`;

/**
 * Before the one-shot restore pod starts: prints `running` when an interrupted run's pod
 * manifest is still in place (its restore goes on: wait for it, never pull its folder from
 * under it), `already restored` when the snapshot was consumed and the restored data is
 * complete, else removes a leftover restored folder (restore refuses a non-empty one) and
 * prints `ready`. Arguments: dataDir, stamp, manifestsDir, the pod's manifest file name.
 */
export const PREPARE_RESTORE_SCRIPT = `data=$1 stamp=$2 manifests=$3 file=$4
restored="$data/restore-$stamp" snapshot="$data/restore-$stamp.db"
if [ -f "$manifests/$file" ]; then echo running; exit 0; fi
if [ ! -f "$snapshot" ] && [ -f "$restored/member/snap/db" ]; then echo "already restored"; exit 0; fi
[ -f "$snapshot" ] || { echo "$snapshot is missing" >&2; exit ${RESTORE_EXIT.restoredMissing}; }
rm -rf "$restored"
echo ready`;

/**
 * How far the one-shot restore got: `missing`, `incomplete`, `busy` (a process still holds
 * its files), or `complete <checksum of the names and sizes>`; the caller waits for the same
 * complete line twice. Arguments: dataDir, stamp.
 */
export const RESTORED_STATE_SCRIPT = `data=$1 stamp=$2
member="$data/restore-$stamp/member"
[ -f "$member/snap/db" ] || { echo missing; exit 0; }
if ! ls "$member"/wal/*.wal >/dev/null 2>&1 || ! ls "$member"/snap/*.snap >/dev/null 2>&1; then echo incomplete; exit 0; fi
flock -n -x "$member/snap/db" true || { echo busy; exit 0; }
if command -v fuser >/dev/null 2>&1 && fuser -s "$member"/snap/db "$member"/wal/*.wal 2>/dev/null; then echo busy; exit 0; fi
echo "complete $(find "$member" -type f -exec stat -c '%n %s' {} + | sort | cksum | cut -d ' ' -f 1)"`;

/**
 * After the one-shot pod: its manifest goes (the kubelet removes the pod), the restored
 * member gets etcd's mode, and the snapshot goes (plaintext has no business on the volume
 * longer than needed). Arguments: manifestsDir, manifest file, dataDir, stamp. Prints the
 * restored data's size in KiB.
 */
export const FINISH_RESTORE_SCRIPT = `manifests=$1 file=$2 data=$3 stamp=$4
rm -f "$manifests/$file"
restored="$data/restore-$stamp"
[ -f "$restored/member/snap/db" ] || exit ${RESTORE_EXIT.restoredMissing}
chmod 700 "$restored/member"
rm -f "$data/restore-$stamp.db"
sync
du -sk "$restored/member" | cut -f 1`;

/**
 * The node's side of a PKI restore: every entry under the paths as
 * `type<TAB>mode<TAB>uid<TAB>gid<TAB>size<TAB>path`, each file's `sha256  path`, and
 * `missing<TAB>path` for a path that is not there (a node whose PKI is lost). Arguments: paths.
 */
export const PKI_STATE_SCRIPT = `for path in "$@"; do
  if [ ! -e "$path" ]; then printf 'missing\\t%s\\n' "$path"; continue; fi
  find "$path" -printf '%y\\t%m\\t%U\\t%G\\t%s\\t%p\\n'
  find "$path" -type f -exec sha256sum {} +
done`;

/**
 * Puts PKI files back from the backup's tar on stdin, with their owners and modes. The tar
 * is unpacked into a root-only staging folder first; then either each whole path is moved
 * aside to `<path>.pre-restore-<stamp>` and the staged one put in its place (`always`), or
 * only the listed files are (`files`: each displaced file goes to the same place under
 * `<top path>.pre-restore-<stamp>/`; a folder the node lacks is made with the backup's owner
 * and mode). Nothing is deleted. Arguments: stamp, mode
 * (`always` | `files`), staging folder, then the top paths, `--`, and the files.
 */
export const PKI_RESTORE_SCRIPT = `stamp=$1 mode=$2 staging=$3; shift 3
tops=""
while [ "$#" -gt 0 ] && [ "$1" != "--" ]; do tops="$tops $1"; shift; done
[ "$#" -gt 0 ] && shift
set -e
rm -rf "$staging"; mkdir -p "$staging"; chmod 700 "$staging"
tar -x -f - --numeric-owner --same-owner --same-permissions -C "$staging"
if [ "$mode" = always ]; then
  for top in $tops; do
    [ -e "$staging$top" ] || continue
    if [ -e "$top" ] && [ ! -e "$top.pre-restore-$stamp" ]; then mv "$top" "$top.pre-restore-$stamp"; fi
    rm -rf "$top"
    mkdir -p "$(dirname "$top")"
    mv "$staging$top" "$top"
    echo "restored $top"
  done
else
  for file in "$@"; do
    top=""
    for candidate in $tops; do case "$file" in "$candidate"/*) top=$candidate ;; esac; done
    [ -n "$top" ] || { echo "$file is under none of$tops" >&2; exit 1; }
    kept="$top.pre-restore-$stamp\${file#"$top"}"
    # A rerun finds the node's own file kept already: never overwrite that copy.
    if [ -e "$file" ] && [ ! -e "$kept" ]; then
      mkdir -p "$(dirname "$kept")"
      mv "$file" "$kept"
    fi
    # A folder the node lost comes back with the backup's owner and mode (the keys folder is
    # root-only), not the umask's.
    created="" dir=$(dirname "$file")
    while [ ! -e "$dir" ]; do created="$dir $created"; dir=$(dirname "$dir"); done
    mkdir -p "$(dirname "$file")"
    for dir in $created; do
      if [ -d "$staging$dir" ]; then chown --reference="$staging$dir" "$dir"; chmod --reference="$staging$dir" "$dir"; fi
    done
    mv "$staging$file" "$file"
    echo "restored $file"
  done
fi
rm -rf "$staging"
sync`;

/**
 * Undo of a PKI restore: puts back what that restore moved aside to
 * `<path>.pre-restore-<restored>`, keeping what is there now in `<path>.pre-undo-<stamp>`
 * (nothing is deleted). `always` swaps each whole path; `files` swaps back each file kept
 * aside (a file the restore added where the node had none stays). A rerun finds what it
 * already moved gone from the kept folder and changes nothing more. Arguments: restored stamp,
 * undo stamp, mode (`always` | `files`), then the top paths. Prints one line per path or file.
 */
export const PKI_UNDO_SCRIPT = `restored=$1 stamp=$2 mode=$3; shift 3
set -e
for top in "$@"; do
  kept="$top.pre-restore-$restored" current="$top.pre-undo-$stamp"
  [ -e "$kept" ] || continue
  if [ "$mode" = always ]; then
    if [ -e "$top" ] && [ ! -e "$current" ]; then mv "$top" "$current"; fi
    if [ -e "$top" ]; then echo "both $top and $current exist while $kept is still there; look before going on" >&2; exit ${RESTORE_EXIT.inconsistent}; fi
    mv "$kept" "$top"
    echo "put back $top"
  else
    find "$kept" ! -type d | while read -r file; do
      target="$top\${file#"$kept"}" saved="$current\${file#"$kept"}"
      if [ -e "$target" ] && [ ! -e "$saved" ]; then mkdir -p "$(dirname "$saved")"; mv "$target" "$saved"; fi
      mkdir -p "$(dirname "$target")"
      mv "$file" "$target"
      echo "put back $target"
    done
    find "$kept" -depth -type d -empty -delete
  fi
done
sync`;
