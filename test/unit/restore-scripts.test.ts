/**
 * The restore's in-pod scripts, run under dash (the POSIX sh of Debian and of busybox-like
 * images) on real folders with the real etcd 3.4, etcdctl and flock: each one checks before
 * it acts, a rerun after an interruption finishes the step, and the swap refuses while a
 * live etcd holds the data.
 */
import { execFile } from "node:child_process";
import {
  chmodSync,
  chownSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  rmSync,
  statSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { afterAll, describe, expect, it } from "vitest";
import { snapshotRestore } from "../../src/core/etcd/etcdctl.ts";
import {
  parseProbe,
  PROBE_SCRIPT,
  PRUNE_SCRIPT,
  RESTORE_EXIT,
  RESTORE_SCRIPT,
  restoreStamp,
  ROOM_SCRIPT,
  shellCommand,
  SWAP_SCRIPT,
  UNDO_SCRIPT,
} from "../../src/core/etcd/restore-scripts.ts";
import { cleanup, Etcd } from "../snapshot/etcd-fixture.ts";

const execFileAsync = promisify(execFile);
const work = mkdtempSync(join(tmpdir(), "restore-scripts-"));
afterAll(async () => {
  await cleanup();
  rmSync(work, { recursive: true, force: true });
});

/** Runs a script under dash; resolves with its exit code and output, never rejects. */
async function dash(script: string, ...args: string[]) {
  const [, ...rest] = shellCommand(script, ...args);
  try {
    const { stdout, stderr } = await execFileAsync("dash", rest);
    return { code: 0, stdout: stdout.trim(), stderr };
  } catch (error) {
    const failed = error as { code: number; stdout: string; stderr: string };
    return { code: failed.code, stdout: failed.stdout.trim(), stderr: failed.stderr };
  }
}

let folders = 0;
/** A data volume with a live member folder (owner 1234:1234, mode 0700, a snap/db). */
function volumeWithLiveMember(): string {
  const data = join(work, `volume-${folders++}`);
  mkdirSync(join(data, "member", "snap"), { recursive: true });
  writeFileSync(join(data, "member", "snap", "db"), "old data");
  chownSync(join(data, "member"), 1234, 1234);
  chmodSync(join(data, "member"), 0o700);
  return data;
}

/** A snapshot of a real etcd holding one key. */
async function snapshotFile(): Promise<string> {
  const etcd = await Etcd.start();
  await etcd.put("/registry/configmaps/default/a", "A");
  const file = join(work, `snapshot-${folders++}.db`);
  await etcd.saveSnapshot(file);
  await etcd.stop();
  return file;
}

const member = {
  name: "kube-etcd-0",
  initialCluster: "kube-etcd-0=https://kube-etcd-0.kube-etcd:2380",
  initialClusterToken: "etcd-cluster-1",
  peerUrls: ["https://kube-etcd-0.kube-etcd:2380"],
};

describe("the restore's in-pod scripts", () => {
  it("probe reports the restore tool, its version and whether it can bump the revision", async () => {
    const { code, stdout } = await dash(PROBE_SCRIPT);
    expect(code).toBe(0);
    const facts = parseProbe(stdout);
    expect(facts).toMatchObject({ restoreTool: "etcdctl", bump: false, version: "3.4.23" });
    expect(facts.tools).toMatchObject({ flock: true, sha256sum: true, etcdutl: false });
  });

  it("room reports free and used KiB, and fails when the volume has too little", async () => {
    const data = volumeWithLiveMember();
    const enough = await dash(ROOM_SCRIPT, data, "1");
    expect(enough.code).toBe(0);
    expect(enough.stdout).toMatch(/^free=\d+ used=\d+ spare=0$/);
    const tooMuch = await dash(ROOM_SCRIPT, data, String(1024 ** 4));
    expect(tooMuch.code).toBe(RESTORE_EXIT.noRoom);
  });

  it("room counts the live WAL's preallocated segment as free once its etcd stops, and only that", async () => {
    const data = volumeWithLiveMember();
    const spareKiB = 32 * 1024;
    mkdirSync(join(data, "member", "wal"), { recursive: true });
    // A running etcd keeps its next WAL segment preallocated as a .tmp file; a stop frees it.
    writeFileSync(join(data, "member", "wal", "0.tmp"), Buffer.alloc(spareKiB * 1024, 1));
    const freeKiB = (stdout: string) => Number(/free=(\d+)/.exec(stdout)?.[1]);
    const measured = await dash(ROOM_SCRIPT, data, "1", "0");
    expect(measured.stdout).toMatch(new RegExp(`^free=\\d+ used=\\d+ spare=${spareKiB}$`));
    // Half the spare segment beyond today's free room: there once the live etcd stops.
    const withSpare = await dash(
      ROOM_SCRIPT,
      data,
      "1",
      String(freeKiB(measured.stdout) + spareKiB / 2),
    );
    expect(withSpare.code, withSpare.stdout).toBe(0);
    rmSync(join(data, "member", "wal", "0.tmp"));
    const without = await dash(ROOM_SCRIPT, data, "1", "0");
    expect(without.stdout).toMatch(/ spare=0$/);
    const refused = await dash(
      ROOM_SCRIPT,
      data,
      "1",
      String(freeKiB(without.stdout) + spareKiB / 2),
    );
    expect(refused.code, refused.stdout).toBe(RESTORE_EXIT.noRoom);
  });

  it("restore writes restore-<stamp>/member from the snapshot, removes the snapshot, and a rerun changes nothing", async () => {
    const data = volumeWithLiveMember();
    const stamp = restoreStamp(new Date("2026-12-07T01:30:00.123Z"));
    expect(stamp).toBe("20261207T013000Z");
    const snapshot = join(data, `restore-${stamp}.db`);
    await execFileAsync("cp", [await snapshotFile(), snapshot]);
    // A leftover of an interrupted restore is removed first (restore refuses a non-empty folder).
    mkdirSync(join(data, `restore-${stamp}`, "member", "wal"), { recursive: true });
    const argv = snapshotRestore("etcdctl", snapshot, {
      member,
      dataDir: join(data, `restore-${stamp}`),
    });
    const first = await dash(RESTORE_SCRIPT, data, stamp, ...argv);
    expect(first.code, first.stderr).toBe(0);
    expect(Number(first.stdout)).toBeGreaterThan(0);
    expect(existsSync(join(data, `restore-${stamp}`, "member", "snap", "db"))).toBe(true);
    expect(statSync(join(data, `restore-${stamp}`, "member")).mode & 0o777).toBe(0o700);
    expect(existsSync(snapshot)).toBe(false);
    const again = await dash(RESTORE_SCRIPT, data, stamp, ...argv);
    expect(again).toMatchObject({ code: 0, stdout: "already restored" });
  });

  it("swap moves the live data aside with its owner and mode kept, and a rerun changes nothing", async () => {
    const data = volumeWithLiveMember();
    mkdirSync(join(data, "restore-S1", "member", "snap"), { recursive: true });
    writeFileSync(join(data, "restore-S1", "member", "snap", "db"), "restored data");
    const swapped = await dash(SWAP_SCRIPT, data, "S1");
    expect(swapped, swapped.stderr).toMatchObject({ code: 0, stdout: "swapped" });
    expect(readdirSync(data).sort()).toEqual(["member", "pre-restore-S1"]);
    const live = statSync(join(data, "member"));
    expect([live.uid, live.gid, live.mode & 0o777]).toEqual([1234, 1234, 0o700]);
    expect(statSync(join(data, "member", "snap", "db")).uid).toBe(1234);
    expect(existsSync(join(data, "pre-restore-S1", "member", "snap", "db"))).toBe(true);
    expect(await dash(SWAP_SCRIPT, data, "S1")).toMatchObject({
      code: 0,
      stdout: "already swapped",
    });
  });

  it("swap finishes a swap interrupted between its two renames", async () => {
    const data = volumeWithLiveMember();
    mkdirSync(join(data, "restore-S2", "member", "snap"), { recursive: true });
    mkdirSync(join(data, "pre-restore-S2"));
    await execFileAsync("mv", [join(data, "member"), join(data, "pre-restore-S2", "member")]);
    expect(await dash(SWAP_SCRIPT, data, "S2")).toMatchObject({ code: 0, stdout: "swapped" });
    expect(readdirSync(data).sort()).toEqual(["member", "pre-restore-S2"]);
  });

  it("swap refuses when a live member folder reappeared between its two renames", async () => {
    const data = volumeWithLiveMember();
    mkdirSync(join(data, "restore-S5", "member"), { recursive: true });
    mkdirSync(join(data, "pre-restore-S5", "member"), { recursive: true });
    const refused = await dash(SWAP_SCRIPT, data, "S5");
    expect(refused.code).toBe(RESTORE_EXIT.inconsistent);
    expect(readdirSync(join(data, "member"))).toEqual(["snap"]);
  });

  it("swap places the restored data where no live member folder is left", async () => {
    const data = join(work, `volume-${folders++}`);
    mkdirSync(join(data, "restore-S3", "member"), { recursive: true });
    expect(await dash(SWAP_SCRIPT, data, "S3")).toMatchObject({ code: 0, stdout: "placed" });
    expect(existsSync(join(data, "member"))).toBe(true);
  });

  it("swap refuses, moving nothing, while a live etcd holds the data", async () => {
    const data = join(work, `volume-${folders++}`);
    const etcd = await Etcd.start({ dataDir: data });
    try {
      mkdirSync(join(data, "restore-S4", "member"), { recursive: true });
      const refused = await dash(SWAP_SCRIPT, data, "S4");
      expect(refused.code).toBe(RESTORE_EXIT.dataInUse);
      expect(readdirSync(data).sort()).toEqual(["member", "pre-restore-S4", "restore-S4"]);
      expect(readdirSync(join(data, "pre-restore-S4"))).toEqual([]);
    } finally {
      await etcd.stop();
    }
    expect(await dash(SWAP_SCRIPT, data, "S4")).toMatchObject({ code: 0, stdout: "swapped" });
  });

  it("undo puts the newest pre-restore data back and keeps what it displaces", async () => {
    const data = volumeWithLiveMember();
    mkdirSync(join(data, "pre-restore-20261201T000000Z", "member"), { recursive: true });
    writeFileSync(join(data, "pre-restore-20261201T000000Z", "member", "older"), "");
    mkdirSync(join(data, "pre-restore-20261207T000000Z", "member"), { recursive: true });
    writeFileSync(join(data, "pre-restore-20261207T000000Z", "member", "newest"), "");
    const undone = await dash(UNDO_SCRIPT, data, "U1", "20261207T000000Z");
    expect(undone, undone.stderr).toMatchObject({
      code: 0,
      stdout: "pre-restore-20261207T000000Z",
    });
    expect(readdirSync(join(data, "member"))).toEqual(["newest"]);
    expect(readdirSync(data).sort()).toEqual([
      "member",
      "pre-restore-20261201T000000Z",
      "pre-undo-U1",
    ]);
    expect(readdirSync(join(data, "pre-undo-U1", "member"))).toEqual(["snap"]);
    // A rerun of the same undo changes nothing: the older pre-restore data stays where it is.
    expect(await dash(UNDO_SCRIPT, data, "U1")).toMatchObject({
      code: 0,
      stdout: "already undone",
    });
    expect(readdirSync(join(data, "member"))).toEqual(["newest"]);
    const empty = join(work, `volume-${folders++}`);
    mkdirSync(empty);
    expect((await dash(UNDO_SCRIPT, empty, "U2", "20261207T000000Z")).code).toBe(
      RESTORE_EXIT.nothingToUndo,
    );
    // A member the restore never swapped keeps its live data, whatever older folders it has.
    const unswapped = volumeWithLiveMember();
    mkdirSync(join(unswapped, "pre-restore-20261201T000000Z", "member"), { recursive: true });
    expect((await dash(UNDO_SCRIPT, unswapped, "U3", "20261207T000000Z")).code).toBe(
      RESTORE_EXIT.nothingToUndo,
    );
    expect(readdirSync(unswapped).sort()).toEqual(["member", "pre-restore-20261201T000000Z"]);
  });

  it("prune keeps the newest pre-restore folders and names each one it removes", async () => {
    const data = volumeWithLiveMember();
    for (const stamp of [
      "20261201T000000Z",
      "20261202T000000Z",
      "20261203T000000Z",
      "20261204T000000Z",
    ]) {
      mkdirSync(join(data, `pre-restore-${stamp}`, "member"), { recursive: true });
    }
    const pruned = await dash(PRUNE_SCRIPT, data, "2");
    expect(pruned.code).toBe(0);
    expect(pruned.stdout.split("\n").sort()).toEqual([
      "pre-restore-20261201T000000Z",
      "pre-restore-20261202T000000Z",
    ]);
    expect(readdirSync(data).sort()).toEqual([
      "member",
      "pre-restore-20261203T000000Z",
      "pre-restore-20261204T000000Z",
    ]);
  });
});
