/**
 * A member deleted while its snapshot streams: the backup of that cluster fails saying the
 * member went away (not that it "did not finish within" a time limit far from reached),
 * nothing is stored for it, and the other clusters are unaffected.
 */
import { execFile } from "node:child_process";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { X25519Identity } from "../../src/core/crypto/age.ts";
import { loadKubeconfig } from "../../src/core/kube/kubeconfig.ts";
import { recordingLogger, type Logger } from "../../src/core/log/logger.ts";
import { FileStore } from "../../src/core/storage/file.ts";
import { runEtcdBackup } from "../../src/procedures/etcd-backup.ts";
import { startSandbox, type Sandbox } from "../sandbox/index.ts";

const run = promisify(execFile);

let sandbox: Sandbox;
let work: string;

beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), "member-gone-"));
  // Big enough that the snapshot takes a while to stream on a busy machine.
  sandbox = await startSandbox({ etcdDataMb: 256 });
}, 600_000);

afterAll(async () => {
  await sandbox?.stop();
  if (work) await rm(work, { recursive: true, force: true });
});

describe("a member deleted during its backup", () => {
  it("is reported as gone, and nothing is stored for its cluster", async () => {
    const recorded = recordingLogger();
    let streamingFrom: string | undefined;
    const logger: Logger = {
      ...recorded,
      info: (message) => {
        recorded.info(message);
        // The room check names the member the snapshot is about to be taken from.
        const started = /^✔ checkRoom .* in (kube-etcd-\d+)$/.exec(message);
        if (started) streamingFrom = started[1];
      },
    };
    let deletion: Promise<unknown> | undefined;
    const store = new FileStore(join(work, "backups"));
    const results = await runEtcdBackup({
      config: await loadKubeconfig({ path: sandbox.kubeconfigPath }),
      clusters: ["uc1"],
      store,
      recipients: [X25519Identity.generate().identity.recipient.toString()],
      allowUnencrypted: false,
      compression: "zstd",
      retention: {},
      dryRun: false,
      workDir: work,
      logger,
      progressIntervalMs: 100,
      // The first bytes have arrived: the member is mid-snapshot. Delete its pod now.
      onProgress: (progress) => {
        if (deletion || progress.bytes === 0 || !streamingFrom) return;
        deletion = run("kubectl", [
          "--kubeconfig",
          sandbox.kubeconfigPath,
          "delete",
          "pod",
          "-n",
          "uc1",
          streamingFrom,
          "--wait=false",
        ]);
      },
    });
    await deletion;
    expect(deletion, "the snapshot ended before the pod could be deleted").toBeDefined();
    const [uc1] = results;
    expect(uc1?.outcome, recorded.lines.join("\n")).toBe("failed");
    expect(uc1?.error).toMatch(
      /the member went away \(its pod was deleted, evicted or restarted\)/,
    );
    expect(uc1?.error).not.toMatch(/did not finish within/);
    expect(await store.list({ cluster: "uc1" })).toEqual([]);
  }, 600_000);
});
