/**
 * Cancelling a backup, as the Actions runner does it (SIGINT, then SIGTERM 7.5 s later, then
 * SIGKILL 2.5 s after that) or with one signal, at several points of a backup of a few tens
 * of MB, for both action bundles (built locally: `npm run build`) and the CLI; after the
 * action, its `post:` step as the runner runs it. After each: one clean cancel message (or
 * none, after SIGKILL), no snapshot file in any etcd pod's /tmp, nothing left in RUNNER_TEMP
 * or the CLI's temporary folder, no partial backup listed, and the next run succeeds.
 */
import { execFile, spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { mkdir, mkdtemp, readdir, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { adminClusterProfile, userClusterProfile } from "../../src/core/etcd/profiles.ts";
import { execChecked } from "../../src/core/kube/exec.ts";
import { loadKubeconfig } from "../../src/core/kube/kubeconfig.ts";
import { recordingLogger } from "../../src/core/log/logger.ts";
import { localRunContext } from "../../src/core/run-context.ts";
import { openStore, parseDestination } from "../../src/core/storage/destination.ts";
import {
  errorLines,
  NODE24,
  runAction,
  runPostStep,
  type ActionRun,
  type CancelPlan,
} from "../e2e/action-runner.ts";
import { startSandbox, type Sandbox } from "../sandbox/index.ts";

const run = promisify(execFile);
const CLI = resolve(import.meta.dirname, "../../bin/etcd-backup-actions.mjs");

let sandbox: Sandbox;
let work: string;
let recipient: string;

beforeAll(async () => {
  for (const action of ["etcd-backup", "admin-pki-backup"]) {
    if (!existsSync(join("actions", action, "dist", "post", "index.js"))) {
      throw new Error(`actions/${action}/dist/post is missing: run npm run build first.`);
    }
  }
  work = await mkdtemp(join(tmpdir(), "cancel-faults-"));
  sandbox = await startSandbox({ userClusters: [{ name: "uc1", members: 1 }], etcdDataMb: 48 });
  await run("age-keygen", ["-o", join(work, "key.txt")]);
  recipient = (await run("age-keygen", ["-y", join(work, "key.txt")])).stdout.trim();
});

afterAll(async () => {
  await sandbox?.stop();
  if (work) await rm(work, { recursive: true, force: true });
});

/** Snapshot files (`etcd-backup-*`) in /tmp of uc1's member and the admin etcd pod. */
async function podSnapshotFiles(): Promise<string[]> {
  const config = await loadKubeconfig({ path: sandbox.kubeconfigPath });
  const pods = [
    { profile: userClusterProfile("uc1"), pod: "kube-etcd-0" },
    { profile: adminClusterProfile(), pod: sandbox.layout.admin.etcdPod },
  ];
  const found: string[] = [];
  for (const { profile, pod } of pods) {
    const { stdout } = await execChecked(config, {
      namespace: profile.namespace,
      pod,
      container: profile.container,
      command: ["ls", "-a", "/tmp"],
    });
    for (const name of stdout.split("\n")) {
      if (name.startsWith("etcd-backup-")) found.push(`${profile.namespace}/${pod}:/tmp/${name}`);
    }
  }
  return found;
}

/** Files this tool writes on the machine that runs it (the work folder of a backup). */
async function ourTemporaryFiles(folder: string): Promise<string[]> {
  return (await filesUnder(folder)).filter((path) => path.includes("etcd-backup"));
}

async function filesUnder(folder: string): Promise<string[]> {
  if (!existsSync(folder)) return [];
  const entries = await readdir(folder, { recursive: true, withFileTypes: true });
  return entries.map((entry) => join(entry.parentPath, entry.name));
}

async function listedBackups(folder: string): Promise<string[]> {
  const store = await openStore(parseDestination(`file://${folder}`), {
    logger: recordingLogger(),
    context: localRunContext(),
  });
  return (await store.list({ cluster: "uc1" })).map((backup) => backup.location.uri);
}

/** Every file in the destination belongs to a listed (complete) backup. */
async function unlistedFiles(folder: string): Promise<string[]> {
  const listed = await listedBackups(folder);
  const files = (await readdir(folder, { recursive: true, withFileTypes: true }))
    .filter((entry) => entry.isFile())
    .map((entry) => join(entry.parentPath, entry.name));
  return files.filter((file) => !listed.some((uri) => file.startsWith(uri.replace("file://", ""))));
}

const at = (step: string) => (log: string) => log.includes(`▶ ${step}`);

function etcdInputs(folder: string): Record<string, string> {
  return {
    "admin-kubeconfig": sandbox.kubeconfig,
    clusters: "uc1",
    destination: `file://${folder}`,
    "encryption-recipients": recipient,
  };
}

/**
 * What an operator checks after a cancelled run, then that the next run succeeds. `partial`:
 * after SIGKILL the file store's half-written payload (`.partial-*`, encrypted) stays in the
 * destination folder, never listed; nothing else may.
 */
async function expectCleanAfter(
  folder: string,
  runs: ActionRun[],
  listedBefore: string[],
  partial: "none" | "encrypted-unlisted" = "none",
) {
  expect(await podSnapshotFiles()).toEqual([]);
  for (const done of runs) expect(await filesUnder(done.runnerTemp)).toEqual([]);
  expect(await listedBackups(folder)).toEqual(listedBefore);
  const unlisted = await unlistedFiles(folder);
  if (partial === "none") expect(unlisted).toEqual([]);
  else
    for (const file of unlisted)
      expect(file).toMatch(/\/\.partial-[0-9a-f]+-snapshot\.db\.zst\.age$/);
  const next = await runAction("etcd-backup", work, etcdInputs(folder));
  expect(next.exitCode, next.log).toBe(0);
  expect(await listedBackups(folder)).toHaveLength(listedBefore.length + 1);
  expect(await podSnapshotFiles()).toEqual([]);
}

function expectOneCancelMessage(result: ActionRun, signal: string) {
  const errors = errorLines(result.log);
  expect(errors, result.log).toHaveLength(1);
  expect(errors[0]).toMatch(new RegExp(`^::error::The run was cancelled \\(${signal}\\)`));
  // No stack trace, and the run ended with the failure code the runner reports as cancelled.
  expect(result.log).not.toMatch(/^\s+at /m);
  expect(result.exitCode).toBe(1);
}

describe("cancelling the etcd-backup action", { timeout: 300_000 }, () => {
  const cases: Array<{
    name: string;
    cancel: CancelPlan;
    signal: string;
    removesPodFile: boolean;
  }> = [
    {
      name: "SIGINT (the runner's sequence) while the snapshot streams",
      cancel: { at: at("saveAndStream") },
      signal: "SIGINT",
      removesPodFile: true,
    },
    {
      name: "SIGINT 300 ms into the stream",
      cancel: { at: at("saveAndStream"), sequence: [{ signal: "SIGINT", afterMs: 300 }] },
      signal: "SIGINT",
      removesPodFile: true,
    },
    {
      name: "SIGTERM alone while the snapshot streams",
      cancel: { at: at("saveAndStream"), sequence: [{ signal: "SIGTERM", afterMs: 0 }] },
      signal: "SIGTERM",
      removesPodFile: true,
    },
    {
      name: "SIGINT while it checks the members' health (nothing created in the pod yet)",
      cancel: { at: at("checkHealth"), sequence: [{ signal: "SIGINT", afterMs: 0 }] },
      signal: "SIGINT",
      removesPodFile: false,
    },
  ];

  for (const { name, cancel, signal, removesPodFile } of cases) {
    it(`${name}: one cancel message, nothing left, post finds nothing, the next run succeeds`, async () => {
      const folder = join(work, `etcd-${signal}-${Math.random().toString(36).slice(2)}`);
      await mkdir(folder);
      const listedBefore = await listedBackups(folder);

      const main = await runAction("etcd-backup", work, etcdInputs(folder), {}, { cancel });

      expect(main.signalsSent[0]).toBe(signal);
      expectOneCancelMessage(main, signal);
      const message = errorLines(main.log)[0]!;
      expect(message).toContain("on this machine"); // the work folder with the plaintext copy
      if (removesPodFile) {
        // The cancel reached the transfer itself, and the procedure reported that step failed.
        expect(main.log).toMatch(/^✘ saveAndStream .*was (aborted|cancelled)/m);
        expect(message).toMatch(/\/tmp\/etcd-backup-\S+\.db in uc1\/kube-etcd-0/);
      }
      expect(main.state.cleanups).toBe("[]");

      const post = await runPostStep("etcd-backup", work, main, etcdInputs(folder));
      expect(post.exitCode, post.log).toBe(0);
      expect(post.log).toContain("The main step left nothing to clean up.");
      await expectCleanAfter(folder, [main, post], listedBefore);
    });
  }

  it("SIGKILL while the snapshot streams: the pod's guard and the post step remove everything", async () => {
    const folder = join(work, "etcd-sigkill");
    await mkdir(folder);
    const main = await runAction(
      "etcd-backup",
      work,
      etcdInputs(folder),
      {},
      { cancel: { at: at("saveAndStream"), sequence: [{ signal: "SIGKILL", afterMs: 200 }] } },
    );
    expect(main.signal).toBe("SIGKILL");
    // The state the post step gets names what the killed step had created.
    const recorded = JSON.parse(main.state.cleanups ?? "[]") as Array<{ kind: string }>;
    expect(recorded.map((target) => target.kind).sort()).toEqual(["pod-file", "runner-path"]);
    expect((await filesUnder(main.runnerTemp)).length).toBeGreaterThan(0);
    // What the artifact backend stages there is not recorded; post removes it all the same.
    const staging = join(main.runnerTemp, "etcd-backup-artifact-Xy12Ab");
    await mkdir(staging);
    await writeFile(join(staging, "snapshot.db.zst.age"), "staged payload");

    const post = await runPostStep("etcd-backup", work, main, etcdInputs(folder));

    expect(post.exitCode, post.log).toBe(0);
    expect(errorLines(post.log)).toEqual([]);
    expect(post.log).toContain("removing the 3 thing(s) it left");
    expect(post.log).toContain(`Cleaned up ${staging} on this machine.`);
    expect(post.log).toMatch(/Cleaned up \/tmp\/etcd-backup-\S+\.db in uc1\/kube-etcd-0\./);
    expect(post.log).toMatch(/Cleaned up \S+\/etcd-backup-\S+ on this machine\./);
    await expectCleanAfter(folder, [main, post], [], "encrypted-unlisted");
  });

  it("the runner's SIGKILL alone leaves the pod clean even before post: the in-pod guard", async () => {
    const folder = join(work, "etcd-sigkill-guard");
    await mkdir(folder);
    await runAction(
      "etcd-backup",
      work,
      etcdInputs(folder),
      {},
      { cancel: { at: at("saveAndStream"), sequence: [{ signal: "SIGKILL", afterMs: 200 }] } },
    );
    // The exec's socket closed with the process; the sandbox ends the exec's process group
    // and the guard (its own session) removes the file within a few seconds.
    const deadline = Date.now() + 20_000;
    let left = await podSnapshotFiles();
    while (left.length && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 250));
      left = await podSnapshotFiles();
    }
    expect(left).toEqual([]);
  });

  it("sweeps a snapshot a killed run left, older than the save's timeout, saying so", async () => {
    const folder = join(work, "etcd-sweep");
    await mkdir(folder);
    const config = await loadKubeconfig({ path: sandbox.kubeconfigPath });
    const profile = userClusterProfile("uc1");
    const stale = "/tmp/etcd-backup-20260101T000000Z-deadbeef.db";
    const fresh = "/tmp/etcd-backup-20260101T000001Z-0a0b0c0d.db";
    await execChecked(config, {
      namespace: profile.namespace,
      pod: "kube-etcd-0",
      container: profile.container,
      command: [
        "sh",
        "-c",
        `head -c 1048576 /dev/zero > ${stale} && touch -d '-3 hours' ${stale} && : > ${fresh}`,
      ],
    });

    const next = await runAction("etcd-backup", work, etcdInputs(folder));

    expect(next.exitCode, next.log).toBe(0);
    expect(next.log).toContain(
      `Removed ${stale} from uc1/kube-etcd-0: a snapshot left by an earlier run`,
    );
    // A file written just now may be another run's live save: it stays.
    expect(await podSnapshotFiles()).toEqual([`uc1/kube-etcd-0:${fresh}`]);
    await execChecked(config, {
      namespace: profile.namespace,
      pod: "kube-etcd-0",
      container: profile.container,
      command: ["rm", "-f", fresh],
    });
  });
});

describe("cancelling the admin-pki-backup action", { timeout: 120_000 }, () => {
  it("SIGINT while it connects: one cancel message, the post step finds nothing, the next run succeeds", async () => {
    const folder = join(work, "pki");
    await mkdir(folder);
    const inputs = {
      "admin-kubeconfig": sandbox.kubeconfig,
      "ssh-known-hosts": sandbox.layout.ssh.node.knownHostsLine,
      destination: `file://${folder}`,
      "encryption-recipients": recipient,
    };
    const main = await runAction(
      "admin-pki-backup",
      work,
      inputs,
      {},
      {
        cancel: { at: at("connect"), sequence: [{ signal: "SIGINT", afterMs: 0 }] },
      },
    );
    expectOneCancelMessage(main, "SIGINT");
    expect(errorLines(main.log)[0]).toContain("nothing in a cluster or on this machine to remove");

    const post = await runPostStep("admin-pki-backup", work, main, inputs);
    expect(post.exitCode, post.log).toBe(0);
    expect(post.log).toContain("The main step left nothing to clean up.");
    expect(await filesUnder(main.runnerTemp)).toEqual([]);
    const store = await openStore(parseDestination(`file://${folder}`), {
      logger: recordingLogger(),
      context: localRunContext(),
    });
    expect(await store.list()).toEqual([]);
    expect(await filesUnder(folder)).toEqual([]);

    const next = await runAction("admin-pki-backup", work, inputs);
    expect(next.exitCode, next.log).toBe(0);
    expect(await store.list()).toHaveLength(1);
  });
});

describe("cancelling the CLI's backup", { timeout: 120_000 }, () => {
  /** Runs `backup` with NODE24; `signal` is sent when the log first shows `step`. */
  function cliBackup(
    folder: string,
    tempDir: string,
    cancel?: { step: string; signal: NodeJS.Signals },
  ) {
    const args = [
      CLI,
      "backup",
      "--kubeconfig",
      sandbox.kubeconfigPath,
      "--clusters",
      "uc1",
      "--destination",
      `file://${folder}`,
      "--recipient",
      recipient,
    ];
    const child = spawn(NODE24, args, {
      env: { PATH: process.env.PATH, HOME: process.env.HOME, TMPDIR: tempDir },
      stdio: ["ignore", "pipe", "pipe"],
    });
    let stderr = "";
    let sent = false;
    child.stderr.on("data", (chunk: Buffer) => {
      stderr += chunk.toString("utf8");
      if (cancel && !sent && stderr.includes(`▶ ${cancel.step}`)) {
        sent = true;
        child.kill(cancel.signal);
      }
    });
    child.stdout.resume();
    return new Promise<{ exitCode: number | null; stderr: string }>((done) =>
      child.once("close", (exitCode) => done({ exitCode, stderr })),
    );
  }

  for (const { signal, exitCode } of [
    { signal: "SIGINT" as const, exitCode: 130 },
    { signal: "SIGTERM" as const, exitCode: 143 },
  ]) {
    it(`${signal} while the snapshot streams: exit ${exitCode}, one line, nothing left, the next run succeeds`, async () => {
      const folder = join(work, `cli-${signal}`);
      const tempDir = join(work, `cli-temp-${signal}`);
      await mkdir(folder);
      await mkdir(tempDir);

      const cancelled = await cliBackup(folder, tempDir, { step: "saveAndStream", signal });

      expect(cancelled.exitCode, cancelled.stderr).toBe(exitCode);
      const lines = cancelled.stderr.trim().split("\n");
      expect(lines.at(-1)).toMatch(
        new RegExp(
          `^The run was cancelled \\(${signal}\\).*removed .*\\/tmp\\/etcd-backup-\\S+\\.db in uc1\\/kube-etcd-0`,
        ),
      );
      expect(lines.filter((line) => line.startsWith("The run was cancelled"))).toHaveLength(1);
      expect(cancelled.stderr).not.toMatch(/^\s+at /m);
      expect(await podSnapshotFiles()).toEqual([]);
      // (tsx keeps its compile cache there too: not ours.)
      expect(await ourTemporaryFiles(tempDir)).toEqual([]);
      expect(await listedBackups(folder)).toEqual([]);
      expect(await unlistedFiles(folder)).toEqual([]);

      const next = await cliBackup(folder, tempDir);
      expect(next.exitCode, next.stderr).toBe(0);
      expect(await listedBackups(folder)).toHaveLength(1);
      expect(await ourTemporaryFiles(tempDir)).toEqual([]);
    });
  }
});
