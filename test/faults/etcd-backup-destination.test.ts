/**
 * The etcd-backup procedure against the sandbox when the destination fails: a file where the
 * folder should be, a read-only folder, a full disk (a small tmpfs this test mounts), and
 * the folder removed while the payload is written. Each time: one clear error per cluster,
 * no hang (the test timeout is the hang detector, never a speed limit), every cluster still
 * reported, nothing left in the member's /tmp, no plaintext left in the work folder, and
 * nothing listed as a backup.
 */
import { execFile, execFileSync } from "node:child_process";
import { rmSync } from "node:fs";
import { mkdir, mkdtemp, readdir, readFile, rm, stat, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Transform, pipeline, type Readable } from "node:stream";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { loadKubeconfig } from "../../src/core/kube/kubeconfig.ts";
import { recordingLogger } from "../../src/core/log/logger.ts";
import { FileStore } from "../../src/core/storage/file.ts";
import type {
  BackupKind,
  BackupLocation,
  PutOptions,
  SnapshotStore,
} from "../../src/core/storage/types.ts";
import { runEtcdBackup, type ClusterBackupResult } from "../../src/procedures/etcd-backup.ts";
import { errorLines, runAction } from "../e2e/action-runner.ts";
import { startSandbox, type Sandbox } from "../sandbox/index.ts";

const run = promisify(execFile);

let sandbox: Sandbox;
let work: string;
let recipient: string;
const mounts: string[] = [];

beforeAll(async () => {
  // uc1 grows to ~24 MB: more than every stream buffer on the way, so a destination that
  // fails mid-stream leaves writes waiting; uc2 stays small (~90 kB).
  sandbox = await startSandbox({ etcdDataMb: 24 });
  work = await mkdtemp(join(tmpdir(), "etcd-backup-destination-"));
  await run("age-keygen", ["-o", join(work, "key.txt")]);
  recipient = (await run("age-keygen", ["-y", join(work, "key.txt")])).stdout.trim();
});

afterAll(async () => {
  for (const path of mounts) execFileSync("umount", [path]);
  await sandbox?.stop();
  if (work) await rm(work, { recursive: true, force: true });
});

async function tmpfs(name: string, options: string): Promise<string> {
  const path = join(work, name);
  await mkdir(path);
  execFileSync("mount", ["-t", "tmpfs", "-o", options, "tmpfs", path]);
  mounts.push(path);
  return path;
}

/** Runs the backup of uc1 and uc2 into `store`, with a work folder of its own. */
async function backUp(
  store: SnapshotStore,
  compression: "zstd" | "none" = "zstd",
  runnerTemp = work,
) {
  const workDir = await mkdtemp(join(runnerTemp, "runner-temp-"));
  const logger = recordingLogger();
  const results = await runEtcdBackup({
    config: await loadKubeconfig({ path: sandbox.kubeconfigPath }),
    clusters: ["uc1", "uc2"],
    store,
    recipients: [recipient],
    allowUnencrypted: false,
    compression,
    retention: {},
    dryRun: false,
    workDir,
    logger,
  });
  return { results, workDir, logger };
}

/** The host folder behind a running pod's root (`/`): <sandbox>/pods/<ns>_<pod>_<uid>/root. */
async function podRootOf(namespace: string, pod: string): Promise<string> {
  const podsDir = join(sandbox.dir, "pods");
  const candidates = (await readdir(podsDir)).filter((name) =>
    name.startsWith(`${namespace}_${pod}_`),
  );
  const withTimes = await Promise.all(
    candidates.map(async (name) => ({ name, time: (await stat(join(podsDir, name))).mtimeMs })),
  );
  const newest = withTimes.sort((a, b) => b.time - a.time)[0];
  if (!newest) throw new Error(`no pod folder for ${namespace}/${pod} under ${podsDir}`);
  return join(podsDir, newest.name, "root");
}

/** What a failed run must leave: one error per cluster, nothing in the pods or the work folder. */
async function expectCleanFailures(
  results: ClusterBackupResult[],
  workDir: string,
  logger: ReturnType<typeof recordingLogger>,
  error: RegExp,
) {
  expect(results.map((result) => [result.cluster, result.outcome])).toEqual([
    ["uc1", "failed"],
    ["uc2", "failed"],
  ]);
  for (const result of results) {
    expect(result.error).toMatch(error);
    expect(result.error).toMatch(/No backup was listed for it\.$/);
    // The step that failed is logged once; the error itself is reported once, by the caller.
    expect(result.steps.filter((entry) => entry.outcome === "failed")).toHaveLength(1);
    const tmp = join(await podRootOf(result.cluster, result.member!), "tmp");
    expect((await readdir(tmp)).filter((name) => name.startsWith("etcd-backup-"))).toEqual([]);
  }
  expect(logger.lines.filter((line) => line.startsWith("error:"))).toEqual([]);
  // The verification copy (plaintext: every Secret of the cluster) is gone from the runner.
  expect(await readdir(workDir)).toEqual([]);
}

/** A real folder backend whose folder is removed (rm -r) once `afterBytes` reached it. */
class FolderRemovedMidWrite implements SnapshotStore {
  readonly description: string;
  removed = 0;

  constructor(
    private readonly inner: FileStore,
    private readonly root: string,
    private readonly afterBytes: number,
  ) {
    this.description = inner.description;
  }

  putPayload(options: PutOptions, payload: Readable) {
    let seen = 0;
    const remover = new Transform({
      transform: (data: Buffer, _encoding, done) => {
        seen += data.length;
        if (seen > this.afterBytes && seen - data.length <= this.afterBytes) {
          rmSync(this.root, { recursive: true, force: true });
          this.removed++;
        }
        done(null, data);
      },
    });
    return this.inner.putPayload(
      options,
      pipeline(payload, remover, () => undefined),
    );
  }
  putManifest(location: BackupLocation, manifest: Buffer) {
    return this.inner.putManifest(location, manifest);
  }
  list(filter?: { cluster?: string; kind?: BackupKind }) {
    return this.inner.list(filter);
  }
  getPayload(location: BackupLocation, payloadName: string) {
    return this.inner.getPayload(location, payloadName);
  }
  delete(location: BackupLocation) {
    return this.inner.delete(location);
  }
}

describe("etcd-backup when the destination fails", () => {
  it("reports a file where the destination folder should be, for every cluster", async () => {
    const notAFolder = join(work, "not-a-folder");
    await writeFile(notAFolder, "an operator's notes, not a backup folder\n");
    const { results, workDir, logger } = await backUp(new FileStore(notAFolder));
    await expectCleanFailures(results, workDir, logger, /failed: .*(ENOTDIR|EEXIST)/);
    expect(await readFile(notAFolder, "utf8")).toBe("an operator's notes, not a backup folder\n");
  });

  it("reports a read-only destination folder, for every cluster", async () => {
    const readOnly = await tmpfs("read-only", "ro,size=1m");
    const store = new FileStore(readOnly);
    const { results, workDir, logger } = await backUp(store);
    // Node's recursive mkdir reports a read-only parent as ENOENT of the folder it wanted.
    await expectCleanFailures(results, workDir, logger, /failed: .*(EROFS|ENOENT)/);
    expect(await readdir(readOnly)).toEqual([]);
  });

  it("reports a disk that fills up mid-stream, and still backs up the next cluster", async () => {
    // 2 MiB: uc1's ~24 MB snapshot fills it mid-stream; uc2's ~90 kB fits once uc1's
    // partial payload is gone.
    const full = await tmpfs("full", "size=2m");
    const store = new FileStore(full);
    const { results, workDir, logger } = await backUp(store, "none");
    expect(results.map((result) => [result.cluster, result.outcome])).toEqual([
      ["uc1", "failed"],
      ["uc2", "stored"],
    ]);
    const [uc1, uc2] = results as [ClusterBackupResult, ClusterBackupResult];
    expect(uc1.error).toMatch(
      /^Storing the user-etcd backup of uc1 at \S+ failed: .*ENOSPC.*No backup was listed for it\.$/,
    );
    expect(uc1.steps.filter((entry) => entry.outcome === "failed")).toHaveLength(1);
    for (const result of results) {
      const tmp = join(await podRootOf(result.cluster, result.member!), "tmp");
      expect((await readdir(tmp)).filter((name) => name.startsWith("etcd-backup-"))).toEqual([]);
    }
    expect(logger.lines.filter((line) => line.startsWith("error:"))).toEqual([]);
    expect(await readdir(workDir)).toEqual([]);
    expect((await store.list()).map((listed) => listed.location.uri)).toEqual([uc2.uri]);
    const { stdout } = await run("find", [full, "-type", "f", "-name", ".partial-*"]);
    expect(stdout.trim()).toBe("");
  });

  it("reports the destination folder removed while the payload is written", async () => {
    const root = join(work, "removed-mid-write");
    const store = new FolderRemovedMidWrite(new FileStore(root), root, 4096);
    const { results, workDir, logger } = await backUp(store, "none");
    expect(store.removed).toBe(2);
    await expectCleanFailures(results, workDir, logger, /failed: .*ENOENT/);
    expect(await new FileStore(root).list()).toEqual([]);
  });

  it("reports a full work folder (the verification copy) and still backs up the next cluster", async () => {
    // RUNNER_TEMP on 2 MiB: uc1's ~24 MB copy fills it; uc2's ~90 kB fits.
    const runnerTemp = await tmpfs("runner-temp-full", "size=2m");
    const store = new FileStore(join(work, "store-for-full-runner-temp"));
    const { results, workDir, logger } = await backUp(store, "zstd", runnerTemp);
    expect(results.map((result) => [result.cluster, result.outcome])).toEqual([
      ["uc1", "failed"],
      ["uc2", "stored"],
    ]);
    expect(results[0]!.error).toMatch(
      /failed: reading, hashing, compressing or encrypting the data failed: writing the runner's verification copy \S+ failed: ENOSPC: no space left on device, write; check the free space and permissions of the work folder \(RUNNER_TEMP\)\. No backup was listed for it\.$/,
    );
    for (const result of results) {
      const tmp = join(await podRootOf(result.cluster, result.member!), "tmp");
      expect((await readdir(tmp)).filter((name) => name.startsWith("etcd-backup-"))).toEqual([]);
    }
    expect(logger.lines.filter((line) => line.startsWith("error:"))).toEqual([]);
    expect(await readdir(workDir)).toEqual([]);
    expect((await store.list()).map((listed) => listed.location.uri)).toEqual([results[1]!.uri]);
  });

  // The bundle as the runner runs it (built from this tree by `npm run build`): it used to
  // exit 13 ("unsettled top-level await") with no ::error:: and no summary.
  it("the etcd-backup action fails with one ::error:: and a summary when the destination is a file", async () => {
    const notAFolder = join(work, "not-a-folder-for-the-action");
    await writeFile(notAFolder, "not a folder\n");
    const result = await runAction("etcd-backup", work, {
      "admin-kubeconfig": sandbox.kubeconfig,
      clusters: "uc1,uc2",
      destination: `file://${notAFolder}`,
      "encryption-recipients": recipient,
    });
    expect(result.exitCode, result.log).toBe(1);
    const errors = errorLines(result.log);
    expect(errors, result.log).toHaveLength(1);
    expect(errors[0]).toMatch(/uc1.*(ENOTDIR|EEXIST).*uc2.*(ENOTDIR|EEXIST)/);
    expect(result.summary).toMatch(/\| uc1 \| .*failed/);
    expect(result.summary).toMatch(/\| uc2 \| .*failed/);
    expect(await readdir(result.runnerTemp)).toEqual([]);
  });
});
