/**
 * What an operator asks of a backup of a Kubernetes cluster: which objects are in it, what
 * one object looks like, and what changed between two backups. Values are written by a
 * real etcd in the shapes kube-apiserver stores (protobuf, JSON, encrypted at rest).
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { readFileSync, writeFileSync } from "node:fs";
import { readableObject } from "../../src/cli/snapshot.ts";
import { recordingLogger } from "../../src/core/log/logger.ts";
import {
  decodeValue,
  diffSnapshots,
  inspectSnapshot,
  listSnapshotKeys,
  readSnapshotKey,
} from "../../src/core/snapshot/index.ts";
import { cleanup } from "./etcd-fixture.ts";
import { protobufObject } from "./kube-fixture.ts";
import { fillKubernetesObjects, kubernetesObjects, snapshotOf } from "./scenarios.ts";

let noon: string;
let afternoon: string;

beforeAll(async () => {
  // One cluster, two backups: "12:00", then "14:00" after a delete, an edit and a new object.
  afternoon = await snapshotOf(async (etcd) => {
    await fillKubernetesObjects(etcd);
    noon = await etcd.saveSnapshot(`${etcd.dataDir}-noon.db`);
    await etcd.delete(kubernetesObjects.configMap.key);
    await etcd.put(
      kubernetesObjects.customResource.key,
      JSON.stringify({ kind: "Widget", spec: { size: 4 } }),
    );
    await etcd.put(kubernetesObjects.node.key, kubernetesObjects.node.value); // same bytes, new revision
    await etcd.put(
      "/registry/configmaps/default/added-at-13",
      protobufObject({
        apiVersion: "v1",
        kind: "ConfigMap",
        metadata: {
          name: "added-at-13",
          namespace: "default",
          uid: "u-13",
          creationTimestamp: "2024-06-01T13:00:00Z",
        },
      }),
    );
  }, "kubernetes");
});

afterAll(cleanup);

describe("listing a Kubernetes backup", () => {
  it("names each object's resource, namespace and name, and its encoding", () => {
    const keys = listSnapshotKeys(noon).keys;
    const byKey = new Map(keys.map((key) => [key.key, key]));
    expect(byKey.get(kubernetesObjects.configMap.key)).toMatchObject({
      resource: "configmaps",
      namespace: "kube-system",
      name: "cluster-info",
      encoding: "protobuf",
      valueSize: kubernetesObjects.configMap.value.length,
    });
    expect(byKey.get(kubernetesObjects.node.key)).toMatchObject({
      resource: "nodes",
      name: "admin-master",
    });
    expect(byKey.get(kubernetesObjects.node.key)?.namespace).toBeUndefined();
    expect(byKey.get(kubernetesObjects.service.key)).toMatchObject({
      resource: "services",
      namespace: "default",
      name: "kubernetes",
    });
    expect(byKey.get(kubernetesObjects.customResource.key)).toMatchObject({
      resource: "widgets.example.com",
      namespace: "team-a",
      name: "blue",
      encoding: "json",
    });
    expect(byKey.get(kubernetesObjects.secretAescbc.key)).toMatchObject({
      encoding: "encrypted",
      encryption: {
        provider: "aescbc",
        version: "v1",
        keyName: "key1",
        prefix: "k8s:enc:aescbc:v1:key1:",
      },
    });
    expect(byKey.get(kubernetesObjects.secretKmsV2.key)?.encryption).toMatchObject({
      provider: "kms",
      version: "v2",
      keyName: "vault-kms",
    });
    expect(byKey.get("compact_rev_key")).toMatchObject({ encoding: "other" });
    expect(byKey.get("compact_rev_key")?.resource).toBeUndefined();
    expect(byKey.has("/registry/secrets/default/deleted")).toBe(false);
  });

  it("filters by resource (kubectl's name or the stored one), namespace and key prefix, and counts per resource", () => {
    const secrets = listSnapshotKeys(noon, { resource: "secrets" });
    expect(secrets.keys.map((key) => key.name)).toEqual(["db-password", "etcd-ca"]);
    expect(secrets.resources).toEqual([
      { resource: "secrets", count: 2, valueBytes: expect.any(Number) },
    ]);
    expect(listSnapshotKeys(noon, { resource: "minions" }).keys.map((key) => key.name)).toEqual([
      "admin-master",
    ]);
    expect(listSnapshotKeys(noon, { resource: "widgets" }).keys).toHaveLength(1);
    expect(
      listSnapshotKeys(noon, { namespace: "kube-system" }).keys.map((key) => key.name),
    ).toEqual(["cluster-info", "kube-etcd-0", "etcd-ca"]);
    expect(listSnapshotKeys(noon, { prefix: "/registry/configmaps/" }).keys).toHaveLength(2);
    expect(
      listSnapshotKeys(noon, { resource: "configmaps", namespace: "default" }).keys.map(
        (key) => key.name,
      ),
    ).toEqual(["app-settings"]);
    const all = listSnapshotKeys(noon).resources;
    expect(all.find((count) => count.resource === "(none)")?.count).toBe(1);
    expect(all.reduce((sum, count) => sum + count.count, 0)).toBe(
      listSnapshotKeys(noon).keys.length,
    );
  });
});

describe("getting one object from a backup", () => {
  it("returns the raw bytes exactly as stored, to put back with etcdctl put", () => {
    expect(readSnapshotKey(noon, kubernetesObjects.pod.key)?.value).toEqual(
      kubernetesObjects.pod.value,
    );
    expect(readSnapshotKey(noon, kubernetesObjects.secretAescbc.key)?.value).toEqual(
      kubernetesObjects.secretAescbc.value,
    );
  });

  it("decodes a protobuf object's kind and ObjectMeta", () => {
    const value = readSnapshotKey(noon, kubernetesObjects.configMap.key);
    expect(value).toBeDefined();
    const decoded = readableObject(value!);
    expect(decoded).toMatchObject({
      encoding: "protobuf",
      apiVersion: "v1",
      kind: "ConfigMap",
      metadata: {
        name: "cluster-info",
        namespace: "kube-system",
        uid: "5f0c3d2e-1111-4a4a-9b9b-000000000001",
        resourceVersion: String(value!.modRevision),
        creationTimestamp: "2024-03-01T12:00:00Z",
        labels: { app: "bootstrap", tier: "control-plane" },
        annotations: { "kubectl.kubernetes.io/last-applied-configuration": "{}" },
        finalizers: ["example.com/keep"],
      },
      contentType: "application/vnd.kubernetes.protobuf",
    });
    const pod = decodeValue(kubernetesObjects.pod.value);
    expect(pod).toMatchObject({
      kind: "Pod",
      metadata: {
        generation: 3,
        ownerReferences: [
          {
            apiVersion: "apps/v1",
            kind: "StatefulSet",
            name: "kube-etcd",
            uid: "owner-uid-1",
            controller: true,
          },
        ],
      },
      undecodedFields: [
        { field: 2, bytes: 10 },
        { field: 3, bytes: 6 },
      ],
    });
  });

  it("shows JSON objects as stored and reports encrypted ones without decoding them", () => {
    expect(decodeValue(readSnapshotKey(noon, kubernetesObjects.customResource.key)!.value)).toEqual(
      {
        encoding: "json",
        object: JSON.parse(kubernetesObjects.customResource.value.toString()),
      },
    );
    expect(decodeValue(readSnapshotKey(noon, kubernetesObjects.secretKmsV2.key)!.value)).toEqual({
      encoding: "encrypted",
      encryption: {
        provider: "kms",
        version: "v2",
        keyName: "vault-kms",
        prefix: "k8s:enc:kms:v2:vault-kms:",
      },
      ciphertextBytes: 300,
    });
  });

  it("says a damaged protobuf value is damaged instead of throwing", () => {
    const damaged = Buffer.concat([
      Buffer.from("k8s\0", "latin1"),
      Buffer.from([0x0a, 0x7f, 0x01]),
    ]);
    expect(decodeValue(damaged)).toMatchObject({
      encoding: "other",
      problem: expect.stringMatching(/does not decode/),
    });
  });

  it("answers 'is the ConfigMap I deleted at 14:00 in the 12:00 backup?'", () => {
    expect(readSnapshotKey(noon, kubernetesObjects.configMap.key)).toBeDefined();
    expect(readSnapshotKey(afternoon, kubernetesObjects.configMap.key)).toBeUndefined();
  });
});

describe("inspecting a backup before it is stored or restored", () => {
  it("logs the revision, the verified trailer and what the store holds per resource", () => {
    const logger = recordingLogger();
    const summary = inspectSnapshot(noon, { logger });
    expect(summary.verification.ok).toBe(true);
    const lines = logger.lines.filter((line) => !line.startsWith("debug: "));
    expect(lines[0]).toBe(`Verifying snapshot ${noon}`);
    expect(lines[1]).toMatch(
      new RegExp(
        `revision ${summary.status.revision}, 10 live keys \\(\\d+ entries\\), hash [0-9a-f]{8}, \\d+ bytes; sha256 trailer verified`,
      ),
    );
    expect(lines[2]).toBe(
      `${noon} holds: 1 (none), 2 configmaps, 1 customresourcedefinitions.apiextensions.k8s.io, 1 nodes, 1 pods, 2 secrets, 1 services, 1 widgets.example.com`,
    );
  });

  it("refuses a damaged snapshot with the reason", () => {
    const damaged = `${noon}.damaged`;
    const bytes = readFileSync(noon);
    bytes[bytes.length - 1]! ^= 0x01;
    writeFileSync(damaged, bytes);
    expect(() => inspectSnapshot(damaged, { logger: recordingLogger() })).toThrow(
      /failed verification: .*sha256 trailer does not match/,
    );
  });
});

describe("diffing two backups", () => {
  it("lists added, removed and changed keys per resource, with the revisions", () => {
    const diff = diffSnapshots(noon, afternoon);
    expect(diff.added.map((entry) => entry.key)).toEqual([
      "/registry/configmaps/default/added-at-13",
    ]);
    expect(diff.removed).toEqual([
      expect.objectContaining({
        key: kubernetesObjects.configMap.key,
        resource: "configmaps",
        name: "cluster-info",
      }),
    ]);
    expect(diff.changed.map((entry) => [entry.key, entry.valueChanged])).toEqual([
      [kubernetesObjects.customResource.key, true],
      [kubernetesObjects.node.key, false],
    ]);
    const widget = diff.changed.find(
      (entry) => entry.key === kubernetesObjects.customResource.key,
    )!;
    expect(widget.toModRevision).toBeGreaterThan(widget.fromModRevision);
    expect(diff.to.revision).toBe(widget.toModRevision + 2);
    expect(diff.resources).toEqual([
      { resource: "configmaps", added: 1, removed: 1, changed: 0 },
      { resource: "nodes", added: 0, removed: 0, changed: 1 },
      { resource: "widgets.example.com", added: 0, removed: 0, changed: 1 },
    ]);
    expect(diff.unchanged).toBe(listSnapshotKeys(noon).keys.length - 3);
  });
});
