/**
 * For every kind of store the issue lists, what we read from the snapshot file equals what
 * etcd says: `status` equals `etcdctl snapshot status -w json`, and `list` equals
 * `etcdctl get "" --prefix --keys-only` on an etcd restored from the same file.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  listSnapshotKeys,
  readSnapshotStatus,
  readSnapshotKey,
  verifySnapshot,
} from "../../src/core/snapshot/index.ts";
import { cleanup, etcdctlStatus, keysOfRestoredEtcd, type EtcdKey } from "./etcd-fixture.ts";
import { MANY_KEYS, scenarios, snapshotOf } from "./scenarios.ts";

const files = new Map<string, string>();
const restoredKeys = new Map<string, EtcdKey[]>();

/** Runs `work` on each item, a few at a time: etcd start-up is mostly waiting. */
async function eachConcurrently<T>(items: T[], work: (item: T) => Promise<void>): Promise<void> {
  const queue = [...items];
  const worker = async () => {
    for (let item = queue.shift(); item !== undefined; item = queue.shift()) await work(item);
  };
  await Promise.all([worker(), worker(), worker()]);
}

beforeAll(async () => {
  await eachConcurrently(scenarios, async (scenario) => {
    const file = await snapshotOf(scenario.fill, "agreement");
    files.set(scenario.name, file);
    restoredKeys.set(scenario.name, await keysOfRestoredEtcd(file));
  });
});

afterAll(cleanup);

function fileOf(name: string): string {
  const file = files.get(name);
  if (!file) throw new Error(`no snapshot for scenario ${name}`);
  return file;
}

describe.each(scenarios.map((scenario) => scenario.name))("a snapshot of %s", (name) => {
  it("has the status etcdctl snapshot status reports", async () => {
    const file = fileOf(name);
    expect(readSnapshotStatus(file)).toEqual(await etcdctlStatus(file));
  });

  it("lists the keys, revisions and leases an etcd restored from it serves", () => {
    const file = fileOf(name);
    const fromEtcd = restoredKeys.get(name);
    const listed = listSnapshotKeys(file).keys.map((key) => ({
      key: Buffer.from(key.key).toString("latin1"),
      createRevision: key.createRevision,
      modRevision: key.modRevision,
      version: key.version,
      ...(key.lease ? { lease: key.lease } : {}),
    }));
    expect(fromEtcd).toBeDefined();
    // A string comparison first: deep-comparing tens of thousands of objects is slow.
    if (JSON.stringify(listed) !== JSON.stringify(fromEtcd)) expect(listed).toEqual(fromEtcd);
    expect(listed.length).toBe(fromEtcd!.length);
  });

  it("verifies clean, sha256 trailer included", () => {
    const report = verifySnapshot(fileOf(name));
    expect(report.problems).toEqual([]);
    expect(report.ok).toBe(true);
    expect(report.trailer).toBe("verified");
  });
});

describe("the shapes the scenarios are meant to cover", () => {
  it("tens of thousands of keys sit under more than one level of branch pages", () => {
    const file = fileOf("tens of thousands of keys (multi-level branch pages)");
    const keyBucket = verifySnapshot(file).buckets.find((bucket) => bucket.name === "key");
    expect(keyBucket?.depth).toBeGreaterThanOrEqual(3);
    expect(keyBucket?.entries).toBe(MANY_KEYS);
    expect(listSnapshotKeys(file).resources).toEqual([
      { resource: "configmaps", count: MANY_KEYS, valueBytes: expect.any(Number) },
    ]);
  });

  it("big values span overflow pages and read back byte for byte", () => {
    const file = fileOf("values that need overflow pages");
    const keyBucket = verifySnapshot(file).buckets.find((bucket) => bucket.name === "key");
    expect(keyBucket?.overflowPages).toBeGreaterThan(240);
    const big = readSnapshotKey(file, "/big/1m");
    expect(big?.value.length).toBe(1_000_000);
    expect(big?.value[999_999]).toBe((999_999 * 31 + 2 * 7) & 0xff);
    expect(readSnapshotKey(file, "/big/200k")?.value.length).toBe(150_000);
  });

  it("deleted keys are gone and a key put back after its delete starts a new life", () => {
    const file = fileOf("deletes");
    const keys = listSnapshotKeys(file).keys.map((key) => key.key);
    expect(keys).not.toContain("/d/0");
    expect(keys).not.toContain("/d/25");
    expect(readSnapshotKey(file, "/d/21")).toMatchObject({
      version: 1,
      value: Buffer.from("back after delete"),
    });
  });

  it("a compacted snapshot reports its compaction revision", () => {
    const listing = listSnapshotKeys(fileOf("compaction"));
    expect(listing.compactRevision).toBeGreaterThan(0);
    expect(listing.compactRevision).toBe(listing.revision - 1);
    expect(listing.keys.find((key) => key.key === "/c/1")?.version).toBe(5);
  });
});
