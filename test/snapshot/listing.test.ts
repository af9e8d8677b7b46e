/**
 * `ls` keeps a key as the bytes etcd stored: listed in etcd's byte order, shown as UTF-8,
 * whether it is plain ASCII (read without decoding) or not.
 */
import { afterAll, describe, expect, it } from "vitest";
import { listSnapshotKeys } from "../../src/core/snapshot/index.ts";
import { cleanup } from "./etcd-fixture.ts";
import { snapshotOf } from "./scenarios.ts";

afterAll(cleanup);

describe("listing keys", () => {
  it("lists ASCII, UTF-8 and binary keys in etcd's byte order, decoded as UTF-8", async () => {
    let etcdOrder: string[] = [];
    const file = await snapshotOf(async (etcd) => {
      await etcd.put("/z", "last ASCII");
      await etcd.put("/registry/configmaps/default/café", "UTF-8");
      await etcd.put(Buffer.from([0x2f, 0xff]), "not UTF-8");
      await etcd.put("/a", "first");
      etcdOrder = (await etcd.listKeys()).map((key) => key.key);
    }, "listing");
    const listed = listSnapshotKeys(file).keys.map((key) => key.key);
    // etcd's own listing (its keys as latin1, one character per byte), read as UTF-8.
    expect(listed).toEqual(etcdOrder.map((key) => Buffer.from(key, "latin1").toString("utf8")));
    expect(listed).toEqual([
      "/a",
      "/registry/configmaps/default/café",
      "/z",
      "/\ufffd", // 0xff is not UTF-8: shown as the replacement character
    ]);
  });
});
