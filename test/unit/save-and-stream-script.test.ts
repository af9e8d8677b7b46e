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
let savePidFile: string;

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), "save-and-stream-"));
  snapshotPath = join(dir, "etcd-backup-test.db");
  savePidFile = `${dir}.save-pid`;
});

afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
  await rm(savePidFile, { force: true });
});

function isRunning(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** Polls until `done` holds; a generous limit only to turn a hang into a failure. */
async function eventually(done: () => Promise<boolean>, limitMs = 20_000): Promise<boolean> {
  const deadline = Date.now() + limitMs;
  while (Date.now() < deadline) {
    if (await done()) return true;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  return done();
}

/**
 * A stand-in for etcdctl: `chunks` pieces of 256 KiB, `pauseSeconds` apart, then `ending`.
 * It writes its process id to `savePidFile` (outside the snapshot folder).
 */
function fakeSave(chunks: number, pauseSeconds: number, ending: string): string[] {
  const script = `out=$1
echo $$ > "${savePidFile}"
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

/**
 * Runs the script; `readLimit` bytes in, stdout is closed as by a client that went away, or
 * (`killGroup`) the script's whole process group is killed, as a runtime does that ends an
 * exec whose client is gone.
 */
function runScript(
  seconds: number,
  save: string[],
  readLimit?: number,
  onLimit: "close-stdout" | "kill-group" = "close-stdout",
): Promise<Run> {
  const [command, ...args] = saveAndStreamCommand(seconds, snapshotPath, save);
  const child = spawn(command!, args, { stdio: ["ignore", "pipe", "pipe"], detached: true });
  const chunks: Buffer[] = [];
  let received = 0;
  let stderr = "";
  let firstBytesWhileWriting = false;
  child.stdout.on("data", (chunk: Buffer) => {
    if (received === 0) firstBytesWhileWriting = existsSync(`${snapshotPath}.part`);
    received += chunk.length;
    chunks.push(chunk);
    if (readLimit === undefined || received < readLimit) return;
    if (onLimit === "kill-group") process.kill(-child.pid!, "SIGKILL");
    else child.stdout.destroy();
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

  it("stops the save and removes its files when the exec's whole process group is killed", async () => {
    // The shell is gone at once (SIGKILL); timeout keeps the save alive in a group of its own.
    const run = await runScript(30, fakeSave(200, 0.1, RENAME), 262144, "kill-group");

    expect(run.exitCode).toBe(null);
    const savePid = Number(await readFile(savePidFile, "utf8"));
    expect(await eventually(async () => !isRunning(savePid))).toBe(true);
    expect(await eventually(async () => (await readdir(dir)).length === 0)).toBe(true);
    expect(existsSync(snapshotPath)).toBe(false);
    expect(existsSync(`${snapshotPath}.part`)).toBe(false);
  });

  it("leaves the finished file for its size and sha256: the guard stands down on success", async () => {
    const run = await runScript(30, fakeSave(2, 0.1, RENAME));

    expect(run.exitCode).toBe(0);
    // The guard checks every second whether the shell is gone; give it three chances.
    await new Promise((resolve) => setTimeout(resolve, 3000));
    expect((await readFile(snapshotPath)).length).toBe(2 * 262144);
  });

  it("reports a path where the .part file cannot be created (exit 125)", async () => {
    snapshotPath = join(dir, "missing-folder", "etcd-backup-test.db");
    const run = await runScript(30, fakeSave(1, 0, RENAME));

    expect(run.exitCode).toBe(125);
    expect(await readdir(dir)).toEqual([]);
  });
});
