/**
 * History at a glance, for real: a sandbox whose user cluster uc2 runs etcd with a small
 * `--quota-backend-bytes`, its database grown between ten real backups, then the bundled
 * etcd-backup action (as the runner runs it): its job summary charts every backup at the
 * destination, with the same points as the manifests, and warns that uc2 is near its quota
 * (read from the StatefulSet) but not the admin etcd (no quota flag: etcd's default).
 */
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { KubeConfig } from "@kubernetes/client-node";
import { etcdctl, endpointStatusJson, parseEndpointStatus } from "../../src/core/etcd/etcdctl.ts";
import { userClusterProfile } from "../../src/core/etcd/profiles.ts";
import { execChecked } from "../../src/core/kube/exec.ts";
import { loadKubeconfig } from "../../src/core/kube/kubeconfig.ts";
import { recordingLogger } from "../../src/core/log/logger.ts";
import { localRunContext } from "../../src/core/run-context.ts";
import { openStore, parseDestination } from "../../src/core/storage/destination.ts";
import { parseManifest } from "../../src/core/storage/manifest.ts";
import type { SnapshotStore } from "../../src/core/storage/types.ts";
import { startSandbox, type Sandbox } from "../sandbox/index.ts";
import { runAction } from "./action-runner.ts";
import { ageKeyPair, backUpEtcd } from "./restore-helpers.ts";

const QUOTA = 1024 * 1024;
const uc2 = userClusterProfile("uc2");

let sandbox: Sandbox;
let config: KubeConfig;
let work: string;
let recipient: string;

beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), "backup-history-"));
  sandbox = await startSandbox({
    userClusters: [{ name: "uc2", members: 1 }],
    quotaBackendBytes: QUOTA,
  });
  config = await loadKubeconfig({ path: sandbox.kubeconfigPath });
  ({ recipient } = await ageKeyPair(work));
});

afterAll(async () => {
  await sandbox?.stop();
  if (work) await rm(work, { recursive: true, force: true });
});

async function databaseBytes(): Promise<number> {
  const { stdout } = await execChecked(config, {
    namespace: "uc2",
    pod: "kube-etcd-0",
    container: uc2.container,
    command: endpointStatusJson(uc2),
  });
  return parseEndpointStatus(stdout).dbSize;
}

/** Writes 12 KB values into uc2's etcd until its database is at least `target` bytes. */
async function growDatabaseTo(target: number, round: number): Promise<number> {
  let size = await databaseBytes();
  let batch = 0;
  while (size < target) {
    const puts = Math.max(1, Math.floor((target - size) / 16_000));
    // One exec per batch: the values come from the pod's own /dev/urandom.
    const put = etcdctl(uc2, "put").join(" ");
    const script = `i=0; while [ $i -lt ${puts} ]; do head -c 9000 /dev/urandom | base64 -w0 | ${put} /history-test/r${round}-b${batch}-$i >/dev/null || exit 1; i=$((i+1)); done`;
    await execChecked(config, {
      namespace: "uc2",
      pod: "kube-etcd-0",
      container: uc2.container,
      command: ["sh", "-c", script],
    });
    batch++;
    size = await databaseBytes();
  }
  return size;
}

async function folderStore(folder: string): Promise<SnapshotStore> {
  return openStore(parseDestination(`file://${folder}`), {
    logger: recordingLogger(),
    context: localRunContext(),
  });
}

function mermaidBlocks(markdown: string): string[][] {
  return [...markdown.matchAll(/```mermaid\n([\s\S]*?)\n```/g)].map((match) =>
    match[1]!.split("\n").map((line) => line.trim()),
  );
}

function linePoints(block: string[]): number[] {
  const line = block.find((entry) => entry.startsWith("line ["));
  return line!.slice("line [".length, -1).split(", ").map(Number);
}

/** The summary's section of one cluster: from its heading to the next cluster's. */
function clusterSection(summary: string, cluster: string): string {
  const start = summary.indexOf(`#### ${cluster}: the last backups`);
  expect(start, summary).toBeGreaterThanOrEqual(0);
  const next = summary.indexOf("#### ", start + 5);
  return summary.slice(start, next < 0 ? undefined : next);
}

describe("backup history in the etcd-backup job summary", () => {
  it("charts ten backups of a growing database and warns when it nears its quota", async () => {
    const folder = join(work, "backups");
    const store = await folderStore(folder);
    // From the seeded size to 88% of the quota in ten steps, one real backup after each.
    const start = await databaseBytes();
    expect(start).toBeLessThan(0.5 * QUOTA);
    // The size after the last backup: the next round must write past it, or a round whose
    // target the previous one overshot would back up a database of the same size.
    let backedUp = start;
    for (let round = 0; round < 10; round++) {
      const target = start + ((0.88 * QUOTA - start) * round) / 9;
      if (round > 0) await growDatabaseTo(Math.max(target, backedUp + 16_000), round);
      await backUpEtcd({ config, store, recipient, work }, ["uc2"]);
      backedUp = await databaseBytes();
      // Backup folders are named by the second: the next one must not share it.
      await new Promise((resolve) => setTimeout(resolve, 1100));
    }
    const finalSize = await databaseBytes();
    expect(finalSize).toBeGreaterThan(0.8 * QUOTA);
    expect(finalSize).toBeLessThan(QUOTA);

    const action = await runAction("etcd-backup", work, {
      "admin-kubeconfig": sandbox.kubeconfig,
      clusters: "admin,uc2",
      "encryption-recipients": recipient,
      destination: `file://${folder}`,
    });
    expect(action.exitCode, action.log).toBe(0);

    // The manifests at the destination, oldest first: what the chart must show.
    const manifests = (await store.list({ cluster: "uc2", kind: "user-etcd" }))
      .map((entry) => parseManifest(entry.manifest, entry.location.uri))
      .reverse();
    expect(manifests).toHaveLength(11);
    const sizes = manifests.map((manifest) => manifest.payload.plaintext.bytes);
    for (let index = 1; index < 10; index++)
      expect(sizes[index]).toBeGreaterThan(sizes[index - 1]!);

    const section = clusterSection(action.summary, "uc2");
    const [sizeChart, keysChart] = mermaidBlocks(section) as [string[], string[]];
    expect(sizeChart[0]).toBe("xychart-beta");
    expect(sizeChart[1]).toBe('title "uc2: database size"');
    expect(sizeChart[3]).toMatch(/^y-axis "KiB" 0 --> \d+/);
    expect(linePoints(sizeChart)).toEqual(
      sizes.map((bytes) => Math.round((bytes / 1024) * 100) / 100),
    );
    expect(keysChart[1]).toBe('title "uc2: keys"');
    expect(linePoints(keysChart)).toEqual(manifests.map((manifest) => manifest.etcd!.keyCount!));
    // Each chart's points again, as a table under it.
    const tableValues = [...section.matchAll(/^\| (\d\d-\d\d [\d:]+) \| ([\d.]+) \|$/gm)].map(
      (match) => Number(match[2]),
    );
    expect(tableValues).toEqual([...linePoints(sizeChart), ...linePoints(keysChart)]);

    const warnings = section.split("\n").filter((line) => line.startsWith("> ⚠️"));
    expect(warnings[0]).toMatch(
      /^> ⚠️ uc2: the database \([\d.]+ KiB\) is at (8\d|9\d)% of its quota \(1\.0 MiB, --quota-backend-bytes of statefulset uc2\/kube-etcd\); at 100% etcd refuses every write/,
    );
    // The admin etcd sets no quota: etcd's 2 GiB default, far away.
    const admin = clusterSection(action.summary, "admin");
    expect(mermaidBlocks(admin)).toHaveLength(2);
    expect(admin).not.toContain("⚠️");
    // Both quotas were read (the StatefulSet's and the static pod's): no history warning.
    expect(action.log).not.toContain("History: ");
  });
});
