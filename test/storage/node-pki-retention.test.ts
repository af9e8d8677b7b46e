/**
 * node-pki backups (one archive per control-plane node, issue 16) in a real folder store:
 * listed beside the other kinds without disturbing them, and kept per node by retention,
 * so a cluster's three nodes each keep their own last N.
 */
import { Readable } from "node:stream";
import { describe, expect, it } from "vitest";
import { X25519Identity } from "../../src/core/crypto/age.ts";
import { recordingLogger } from "../../src/core/log/logger.ts";
import { FileStore } from "../../src/core/storage/file.ts";
import {
  checkedManifest,
  storeBackup,
  verifyStoredBackup,
} from "../../src/core/storage/pipeline.ts";
import { applyRetention } from "../../src/core/storage/retention.ts";
import { temporaryFolders } from "./support/folders.ts";

const newFolder = temporaryFolders("node-pki-retention-test");
const owner = X25519Identity.generate().identity;
const HOUR = 3_600_000;
const NOW = new Date("2026-11-27T12:00:00Z");
const NODES = ["uc3-cp-0", "uc3-cp-1", "uc3-cp-2"];

async function storeNodeArchive(
  store: FileStore,
  node: string,
  hoursAgo: number,
  offsetSeconds: number,
) {
  const backup = await storeBackup(store, {
    cluster: "uc3",
    kind: "node-pki",
    source: Readable.from([Buffer.from(`${node} pki, ${hoursAgo} h old`)]),
    recipients: [owner.recipient],
    payloadBaseName: "pki.tar",
    sourceInfo: { node, topology: "controlplane-v2" },
    createdAt: new Date(NOW.getTime() - hoursAgo * HOUR + offsetSeconds * 1000),
    logger: recordingLogger(),
  });
  return verifyStoredBackup(store, backup);
}

describe("node-pki backups", () => {
  it("are kept per node: keep-last 2 leaves each node its own newest two", async () => {
    const store = new FileStore(await newFolder());
    // Three rounds, 3 h, 2 h and 1 h ago, each node in its own second of the round.
    for (const hoursAgo of [3, 2, 1]) {
      for (const [index, node] of NODES.entries())
        await storeNodeArchive(store, node, hoursAgo, index);
    }
    // An etcd backup of the same cluster: another kind, never touched by node-pki retention.
    await storeBackup(store, {
      cluster: "uc3",
      kind: "user-etcd",
      source: Readable.from([Buffer.from("snapshot")]),
      recipients: [owner.recipient],
      createdAt: new Date(NOW.getTime() - 10 * HOUR),
      logger: recordingLogger(),
    });
    const newest = await storeNodeArchive(store, "uc3-cp-1", 0, 0);
    const logger = recordingLogger();

    const result = await applyRetention(store, newest, { keepLast: 2 }, { logger, now: NOW });

    // Only uc3-cp-1's series was counted: its 4 archives, the 2 oldest deleted.
    expect(result.deleted.map((location) => location.timestamp)).toEqual([
      "20261127T100001Z",
      "20261127T090001Z",
    ]);
    expect(logger.lines.join("\n")).toContain(
      "Retention for uc3/node-pki of node uc3-cp-1 (keep the last 2): 4 backups, deleting 2.",
    );
    const left = await store.list({ cluster: "uc3", kind: "node-pki" });
    const nodesLeft = left.map(
      (entry) => checkedManifest(entry.location, entry.manifest).source.node,
    );
    expect(nodesLeft.filter((node) => node === "uc3-cp-0")).toHaveLength(3);
    expect(nodesLeft.filter((node) => node === "uc3-cp-1")).toHaveLength(2);
    expect(nodesLeft.filter((node) => node === "uc3-cp-2")).toHaveLength(3);
    expect(await store.list({ cluster: "uc3", kind: "user-etcd" })).toHaveLength(1);
    // Listing all kinds at once shows both, newest first.
    const all = await store.list({ cluster: "uc3" });
    expect(all.map((entry) => entry.location.kind)).toEqual([
      ...Array(8).fill("node-pki"),
      "user-etcd",
    ]);
    expect(all[0]?.location.uri).toMatch(/\/uc3\/node-pki\/20261127T120000Z\/?$/);
  });
});
