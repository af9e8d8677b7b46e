/**
 * The script that streams a snapshot while etcdctl writes it, run by the same /bin/sh the
 * sandbox pods use, with stand-ins for `etcdctl snapshot save` that behave as etcdctl 3.4
 * does (truncate `<path>.part`, write it front to back, rename it; remove it on failure) but
 * slowly or badly on purpose: cases real etcd cannot be made to produce on demand. The
 * real etcdctl runs in test/e2e/etcd-backup.test.ts.
 */
import { spawn } from "node:child_process";
import { createHash } from "node:crypto";
import { existsSync } from "node:fs";
import { mkdtemp, readFile, readdir, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { saveAndStreamCommand } from "../../src/core/etcd/pod-snapshot.ts";

let dir: string;
let snapshotPath: string;

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), "save-and-stream-"));
  snapshotPath = join(dir, "etcd-backup-test.db");
});

afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

/** A stand-in for etcdctl: `chunks` pieces of 256 KiB, `pauseSeconds` apart, then `ending`. */
function fakeSave(chunks: number, pauseSeconds: number, ending: string): string[] {
  const script = `out=$1
{ i=0; while [ $i -lt ${chunks} ]; do head -c 262144 /dev/urandom; sleep ${pauseSeconds}; i=$((i+1)); done; } > "$out.part" || exit 1
${ending}`;
  return ["sh", "-c", script, "fake-etcdctl", snapshotPath];
}

const RENAME = 'mv "$out.part" "$out"; echo "Snapshot saved at $out"';

interface Run {
  exitCode: number | null;
  stdout: Buffer;
  stderr: string;
  /** Whether the first bytes came while the save was still writing (`.part` still there). */
  firstBytesWhileWriting: boolean;
}

/** Runs the script; `readLimit` bytes in, stdout is closed as by a client that went away. */
function runScript(seconds: number, save: string[], readLimit?: number): Promise<Run> {
  const [command, ...args] = saveAndStreamCommand(seconds, snapshotPath, save);
  const child = spawn(command!, args, { stdio: ["ignore", "pipe", "pipe"] });
  const chunks: Buffer[] = [];
  let received = 0;
  let stderr = "";
  let firstBytesWhileWriting = false;
  child.stdout.on("data", (chunk: Buffer) => {
    if (received === 0) firstBytesWhileWriting = existsSync(`${snapshotPath}.part`);
    received += chunk.length;
    chunks.push(chunk);
    if (readLimit !== undefined && received >= readLimit) child.stdout.destroy();
  });
  child.stderr.on("data", (chunk: Buffer) => (stderr += chunk.toString("utf8")));
  return new Promise((resolve) =>
    child.on("close", (exitCode) =>
      resolve({ exitCode, stdout: Buffer.concat(chunks), stderr, firstBytesWhileWriting }),
    ),
  );
}

const sha256 = (bytes: Buffer) => createHash("sha256").update(bytes).digest("hex");

describe("the save-and-stream script", () => {
  it("streams exactly the finished file while the save is still writing it", async () => {
    const run = await runScript(30, fakeSave(12, 0.15, RENAME));

    expect(run.exitCode).toBe(0);
    expect(run.firstBytesWhileWriting).toBe(true);
    const finished = await readFile(snapshotPath);
    expect(finished.length).toBe(12 * 262144);
    expect(run.stdout.length).toBe(finished.length);
    expect(sha256(run.stdout)).toBe(sha256(finished));
    expect(existsSync(`${snapshotPath}.part`)).toBe(false);
    // The save's own output goes to stderr, so stdout carries nothing but the snapshot.
    expect(run.stderr).toContain(`Snapshot saved at ${snapshotPath}`);
  });

  it("fails with the save's exit code and message, and removes both files", async () => {
    const failing =
      'rm -f "$out.part"; echo "Error: rpc error: code = Unavailable desc = transport is closing" >&2; exit 5';
    const run = await runScript(30, fakeSave(4, 0.1, failing));

    expect(run.exitCode).toBe(5);
    expect(run.stderr).toContain(
      "Error: rpc error: code = Unavailable desc = transport is closing",
    );
    expect(run.stdout.length).toBeGreaterThan(0);
    expect(await readdir(dir)).toEqual([]);
  });

  it("kills a save that outlives its seconds (exit 137) and removes what it left", async () => {
    const run = await runScript(1, fakeSave(2, 30, RENAME));

    expect(run.exitCode).toBe(137);
    expect(await readdir(dir)).toEqual([]);
  });

  it("stops the save and removes its files when the reader goes away", async () => {
    const run = await runScript(30, fakeSave(40, 0.1, RENAME), 262144);

    expect(run.exitCode).toBe(141);
    expect(await readdir(dir)).toEqual([]);
  });

  it("reports a path where the .part file cannot be created (exit 125)", async () => {
    snapshotPath = join(dir, "missing-folder", "etcd-backup-test.db");
    const run = await runScript(30, fakeSave(1, 0, RENAME));

    expect(run.exitCode).toBe(125);
    expect(await readdir(dir)).toEqual([]);
  });
});
