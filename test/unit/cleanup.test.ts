/**
 * The clean-up registry and the cancel message: pure logic, with real folders for the
 * runner-path clean-ups. The cluster side runs in test/faults/cancel.test.ts.
 */
import { existsSync } from "node:fs";
import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { cancelMessage } from "../../src/core/cancel.ts";
import {
  CleanupRegistry,
  parseCleanupTargets,
  removeTargets,
  type CleanupTarget,
} from "../../src/core/cleanup.ts";
import { recordingLogger } from "../../src/core/log/logger.ts";

let root: string;

beforeEach(async () => {
  root = await mkdtemp(join(tmpdir(), "cleanup-unit-"));
});

afterEach(async () => {
  await rm(root, { recursive: true, force: true });
});

const podFile: CleanupTarget = {
  kind: "pod-file",
  namespace: "uc1",
  pod: "kube-etcd-0",
  container: "kube-etcd",
  path: "/tmp/etcd-backup-20261207T010154-1f35f347.db",
};

describe("the clean-up registry", () => {
  it("tells every change, so the saved state always lists what is still to remove", () => {
    const saved: string[] = [];
    const registry = new CleanupRegistry({
      onChange: (targets) => saved.push(JSON.stringify(targets)),
    });
    const forgetFolder = registry.register({ kind: "runner-path", path: "/w/etcd-backup-a" });
    const forgetFile = registry.register(podFile, async () => undefined);
    forgetFile();
    forgetFile(); // twice is harmless and not a change
    forgetFolder();

    expect(saved.map((json) => (JSON.parse(json) as CleanupTarget[]).length)).toEqual([1, 2, 1, 0]);
    expect(saved[1]).not.toMatch(/remove|function/);
  });

  it("runs what is pending, newest first; a failed one stays pending and is reported", async () => {
    const folder = join(root, "etcd-backup-x");
    await mkdir(folder);
    await writeFile(join(folder, "snapshot-1.db"), "plaintext");
    const order: string[] = [];
    const registry = new CleanupRegistry();
    registry.register({ kind: "runner-path", path: folder });
    registry.register(podFile, async () => {
      order.push("pod");
      throw new Error("the API server did not answer");
    });
    const logger = recordingLogger();

    const report = await registry.runAll(logger, 1000);

    expect(order).toEqual(["pod"]);
    expect(existsSync(folder)).toBe(false);
    expect(report.done).toEqual([{ kind: "runner-path", path: folder }]);
    expect(report.failed).toEqual([{ target: podFile, error: "the API server did not answer" }]);
    expect(registry.targets).toEqual([podFile]);
    expect(logger.lines.join("\n")).toContain(
      `kubectl exec -n uc1 kube-etcd-0 -c kube-etcd -- rm -f ${podFile.path} ${podFile.path}.part`,
    );
  });

  it("gives up on a clean-up that hangs, after its time limit", async () => {
    const registry = new CleanupRegistry();
    registry.register(podFile, () => new Promise(() => undefined));
    const report = await registry.runAll(recordingLogger(), 200);
    expect(report.failed[0]?.error).toMatch(/took longer than/);
  });
});

describe("the saved clean-up list, read by the post step", () => {
  it("keeps the targets this tool writes and ignores anything else", () => {
    const logger = recordingLogger();
    const saved = JSON.stringify([
      podFile,
      { kind: "runner-path", path: "/home/runner/_work/_temp/etcd-backup-AbC123" },
      { kind: "runner-path", path: "/home/runner" },
      { kind: "runner-path", path: "relative/etcd-backup-x" },
      { ...podFile, path: "/var/lib/etcd/member" },
      { kind: "shell", command: "rm -rf /" },
    ]);

    expect(parseCleanupTargets(saved, logger)).toEqual([
      podFile,
      { kind: "runner-path", path: "/home/runner/_work/_temp/etcd-backup-AbC123" },
    ]);
    expect(logger.lines.filter((line) => line.startsWith("warning:"))).toHaveLength(4);
    expect(parseCleanupTargets("", logger)).toEqual([]);
    expect(parseCleanupTargets("not json", logger)).toEqual([]);
  });

  it("removes saved runner paths without the procedure that made them", async () => {
    const folder = join(root, "etcd-backup-left");
    await mkdir(folder);
    const report = await removeTargets(
      [{ kind: "runner-path", path: folder }],
      {},
      recordingLogger(),
    );
    expect(report.done).toHaveLength(1);
    expect(existsSync(folder)).toBe(false);
  });

  it("reports a pod file it cannot reach without a kubeconfig, with the command to run", async () => {
    const logger = recordingLogger();
    const report = await removeTargets([podFile], {}, logger);
    expect(report.failed[0]?.error).toBe("no kubeconfig to reach uc1/kube-etcd-0");
  });
});

describe("the cancel message", () => {
  it("names what was removed, by the procedure or the registry, and what is left", () => {
    const folder: CleanupTarget = { kind: "runner-path", path: "/t/etcd-backup-a" };
    expect(cancelMessage("SIGINT", [folder, podFile], [], { done: [podFile], failed: [] })).toBe(
      `The run was cancelled (SIGINT) before it finished (a backup it had not finished is never listed); removed /t/etcd-backup-a on this machine, ${podFile.path} in uc1/kube-etcd-0.`,
    );
    expect(
      cancelMessage("SIGTERM", [podFile], [podFile], {
        done: [],
        failed: [{ target: podFile, error: "timeout" }],
      }),
    ).toBe(
      `The run was cancelled (SIGTERM) before it finished (a backup it had not finished is never listed); could not remove ${podFile.path} in uc1/kube-etcd-0 (see the warnings above).`,
    );
  });
});
