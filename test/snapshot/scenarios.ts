/**
 * The stores the snapshot tests look into, each made by real etcd: what the issue lists
 * (empty, a few keys, tens of thousands of keys, overflow values, deletes, compaction,
 * leases, Kubernetes-shaped values). Each returns facts the tests check against.
 */
import { join } from "node:path";
import { Etcd, makeTempDir } from "./etcd-fixture.ts";
import { configMapData, encryptedValue, protobufObject } from "./kube-fixture.ts";

export interface Scenario {
  name: string;
  fill(etcd: Etcd): Promise<void>;
}

export const MANY_KEYS = 20_000;

export const scenarios: Scenario[] = [
  { name: "an empty store", fill: async () => {} },
  {
    name: "a few keys",
    fill: async (etcd) => {
      await etcd.put("/a", "1");
      await etcd.put("/b", "two");
      await etcd.put("/a", "one again");
    },
  },
  {
    name: "tens of thousands of keys (multi-level branch pages)",
    fill: async (etcd) => {
      await etcd.putMany(
        Array.from({ length: MANY_KEYS }, (_, index) => ({
          key: `/registry/configmaps/ns-${index % 40}/config-${index}`,
          value: `{"data":"${"v".repeat(100 + (index % 50))}"}`,
        })),
      );
    },
  },
  {
    name: "values that need overflow pages",
    fill: async (etcd) => {
      await etcd.put("/big/200k", bytesOf(200_000, 1));
      await etcd.put("/big/1m", bytesOf(1_000_000, 2));
      await etcd.put("/small", "next to big ones");
      await etcd.put("/big/200k", bytesOf(150_000, 3));
    },
  },
  {
    name: "deletes",
    fill: async (etcd) => {
      await etcd.putMany(
        Array.from({ length: 300 }, (_, index) => ({ key: `/d/${index}`, value: `v${index}` })),
      );
      for (let index = 0; index < 300; index += 7) await etcd.delete(`/d/${index}`);
      await etcd.delete("/d/2", { prefix: true });
      await etcd.put("/d/21", "back after delete");
    },
  },
  {
    name: "compaction",
    fill: async (etcd) => {
      for (let round = 0; round < 5; round++) {
        await etcd.putMany(
          Array.from({ length: 200 }, (_, index) => ({ key: `/c/${index}`, value: `r${round}` })),
        );
      }
      for (let index = 0; index < 200; index += 3) await etcd.delete(`/c/${index}`);
      await etcd.compact(await etcd.revision());
      await etcd.put("/c/after-compaction", "x");
    },
  },
  {
    name: "leases",
    fill: async (etcd) => {
      const lease = await etcd.grantLease(3600);
      const other = await etcd.grantLease(7200);
      await etcd.put("/leased/one", "a", lease);
      await etcd.put("/leased/two", "b", lease);
      await etcd.put("/leased/three", "c", other);
      await etcd.put("/not-leased", "d");
    },
  },
  {
    name: "Kubernetes-shaped protobuf and JSON values",
    fill: (etcd) => fillKubernetesObjects(etcd),
  },
];

function bytesOf(length: number, seed: number): Buffer {
  const bytes = Buffer.alloc(length);
  for (let index = 0; index < length; index++) bytes[index] = (index * 31 + seed * 7) & 0xff;
  return bytes;
}

/** Objects as a kube-apiserver would have written them, with what a reader should show. */
export const kubernetesObjects = {
  configMap: {
    key: "/registry/configmaps/kube-system/cluster-info",
    value: protobufObject({
      apiVersion: "v1",
      kind: "ConfigMap",
      metadata: {
        name: "cluster-info",
        namespace: "kube-system",
        uid: "5f0c3d2e-1111-4a4a-9b9b-000000000001",
        creationTimestamp: "2024-03-01T12:00:00Z",
        labels: { app: "bootstrap", tier: "control-plane" },
        annotations: { "kubectl.kubernetes.io/last-applied-configuration": "{}" },
        finalizers: ["example.com/keep"],
      },
      body: configMapData({ kubeconfig: "apiVersion: v1" }),
    }),
  },
  pod: {
    key: "/registry/pods/kube-system/kube-etcd-0",
    value: protobufObject({
      apiVersion: "v1",
      kind: "Pod",
      metadata: {
        name: "kube-etcd-0",
        namespace: "kube-system",
        uid: "5f0c3d2e-1111-4a4a-9b9b-000000000002",
        generation: 3,
        creationTimestamp: "2024-03-02T08:30:15Z",
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
      body: [
        { field: 2, bytes: Buffer.from("spec-bytes") },
        { field: 3, bytes: Buffer.from("status") },
      ],
    }),
  },
  node: {
    key: "/registry/minions/admin-master",
    value: protobufObject({
      apiVersion: "v1",
      kind: "Node",
      metadata: {
        name: "admin-master",
        uid: "node-uid-1",
        creationTimestamp: "2024-01-01T00:00:00Z",
      },
    }),
  },
  service: {
    key: "/registry/services/specs/default/kubernetes",
    value: protobufObject({
      apiVersion: "v1",
      kind: "Service",
      metadata: {
        name: "kubernetes",
        namespace: "default",
        uid: "svc-uid-1",
        creationTimestamp: "2024-01-01T00:00:01Z",
      },
    }),
  },
  customResource: {
    key: "/registry/example.com/widgets/team-a/blue",
    value: Buffer.from(
      JSON.stringify({
        apiVersion: "example.com/v1",
        kind: "Widget",
        metadata: { name: "blue", namespace: "team-a", uid: "widget-uid-1" },
        spec: { size: 3 },
      }),
    ),
  },
  crd: {
    key: "/registry/apiextensions.k8s.io/customresourcedefinitions/widgets.example.com",
    value: Buffer.from(
      JSON.stringify({ apiVersion: "apiextensions.k8s.io/v1", kind: "CustomResourceDefinition" }),
    ),
  },
  secretAescbc: {
    key: "/registry/secrets/kube-system/etcd-ca",
    value: encryptedValue("k8s:enc:aescbc:v1:key1:"),
  },
  secretKmsV2: {
    key: "/registry/secrets/default/db-password",
    value: encryptedValue("k8s:enc:kms:v2:vault-kms:", 300),
  },
  compactRevKey: { key: "compact_rev_key", value: Buffer.from("12345") },
};

export async function fillKubernetesObjects(etcd: Etcd): Promise<void> {
  for (const object of Object.values(kubernetesObjects)) await etcd.put(object.key, object.value);
  // A second ConfigMap namespace, and a deleted Secret that must not be listed.
  await etcd.put(
    "/registry/configmaps/default/app-settings",
    protobufObject({
      apiVersion: "v1",
      kind: "ConfigMap",
      metadata: {
        name: "app-settings",
        namespace: "default",
        uid: "cm-uid-2",
        creationTimestamp: "2024-05-05T05:05:05Z",
      },
    }),
  );
  await etcd.put("/registry/secrets/default/deleted", encryptedValue("k8s:enc:aesgcm:v1:key2:"));
  await etcd.delete("/registry/secrets/default/deleted");
}

/** Starts an etcd, fills it, saves one snapshot, stops etcd; returns the snapshot file. */
export async function snapshotOf(
  fill: (etcd: Etcd) => Promise<void>,
  label: string,
): Promise<string> {
  const etcd = await Etcd.start();
  try {
    await fill(etcd);
    return await etcd.saveSnapshot(join(makeTempDir(label), `${label}.db`));
  } finally {
    await etcd.stop();
  }
}
