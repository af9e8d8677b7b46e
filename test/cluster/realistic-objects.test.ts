/**
 * The many-small-objects shape (`--etcd-objects N`): written into a real etcd in
 * transactions over cleartext gRPC, then read back through `etcdctl` and the snapshot
 * reader, as a benchmark would see them.
 */
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { seedRealisticObjects } from "../sandbox/cluster/seed.ts";
import { decodeValue, listSnapshotKeys, readSnapshotKey } from "../../src/core/snapshot/index.ts";
import { cleanup, Etcd, etcdctlStatus, makeTempDir } from "../snapshot/etcd-fixture.ts";

const OBJECTS = 3000;

describe("Kubernetes-like objects for benchmarks", () => {
  let etcd: Etcd;
  let snapshot: string;
  let written: { keys: number; bytes: number };

  beforeAll(async () => {
    etcd = await Etcd.start();
    written = await seedRealisticObjects(
      { url: etcd.clientUrl, servername: "localhost" },
      OBJECTS,
      "uc1",
    );
    snapshot = await etcd.saveSnapshot(join(makeTempDir("objects"), "objects.db"));
  });

  afterAll(async () => {
    await cleanup();
  });

  it("writes every object, and etcd holds exactly those keys", async () => {
    expect(written.keys).toBe(OBJECTS);
    const keys = await etcd.listKeys();
    expect(keys).toHaveLength(OBJECTS);
    expect(new Set(keys.map((key) => key.key)).size).toBe(OBJECTS);
    expect((await etcdctlStatus(snapshot)).totalKey).toBeGreaterThanOrEqual(OBJECTS);
  });

  it("puts them under /registry/<resource>/<namespace>/<name> with mixed sizes of 1-20 KB", () => {
    const listing = listSnapshotKeys(snapshot);
    expect(listing.keys).toHaveLength(OBJECTS);
    const sizes = listing.keys.map((key) => key.valueSize);
    expect(Math.min(...sizes)).toBeGreaterThanOrEqual(1000);
    expect(Math.max(...sizes)).toBeLessThan(21 * 1024);
    // Each size class is well represented: small (<2 KB), medium, large (>8 KB).
    expect(sizes.filter((size) => size < 2200).length).toBeGreaterThan(OBJECTS * 0.4);
    expect(sizes.filter((size) => size > 8200).length).toBeGreaterThan(OBJECTS * 0.1);
    const total = sizes.reduce((sum, size) => sum + size, 0);
    expect(total).toBe(written.bytes);
    expect(total / OBJECTS).toBeGreaterThan(3500);
    expect(total / OBJECTS).toBeLessThan(6000);
    expect(listing.keys.every((key) => key.namespace?.startsWith("ns-"))).toBe(true);
    expect(listing.keys.every((key) => key.encoding === "protobuf")).toBe(true);
    const resources = listing.resources.map((count) => count.resource);
    expect(resources).toEqual(expect.arrayContaining(["pods", "events", "configmaps", "secrets"]));
    expect(listing.resources.find((count) => count.resource === "pods")!.count).toBeGreaterThan(
      OBJECTS * 0.2,
    );
  });

  it("writes values the API server's protobuf envelope decodes", () => {
    const [first] = listSnapshotKeys(snapshot, { resource: "pods" }).keys;
    const value = readSnapshotKey(snapshot, first!.key)!;
    const decoded = decodeValue(value.value);
    expect(decoded.encoding).toBe("protobuf");
    if (decoded.encoding !== "protobuf") return;
    expect(decoded.kind).toBe("Pod");
    expect(decoded.apiVersion).toBe("v1");
    expect(decoded.metadata.name).toBe(first!.name);
    expect(decoded.metadata.namespace).toBe(first!.namespace);
    expect(decoded.metadata.uid).toMatch(/^[0-9a-f-]{36}$/);
  });
});
