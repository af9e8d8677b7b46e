/**
 * The check a Controlplane V2 restore makes of its nodes' etcd manifests before anything
 * changes: together they must describe one cluster of exactly these nodes, or the restored
 * members would never form one cluster (etcd#9096). Pure logic, from real etcd.yaml text.
 */
import { describe, expect, it } from "vitest";
import { stringify } from "yaml";
import type { StaticPodNode } from "../../src/core/etcd/static-pod-node.ts";
import { readEtcdStaticPod } from "../../src/core/etcd/static-pod.ts";
import { CancelledError } from "../../src/core/errors.ts";
import {
  checkNodeImages,
  checkOneCluster,
  withDeadline,
} from "../../src/procedures/controlplane-v2-restore.ts";

const ADDRESSES: Record<string, string> = {
  "uc3-cp-0": "10.0.0.10",
  "uc3-cp-1": "10.0.0.11",
  "uc3-cp-2": "10.0.0.12",
};
const INITIAL_CLUSTER = Object.entries(ADDRESSES)
  .map(([name, ip]) => `${name}=https://${ip}:2380`)
  .join(",");

interface MemberFlags {
  name?: string;
  peerUrl?: string;
  initialCluster?: string;
  token?: string;
  image?: string;
}

function node(nodeName: string, flags: MemberFlags = {}): StaticPodNode {
  const ip = ADDRESSES[nodeName]!;
  const text = stringify({
    apiVersion: "v1",
    kind: "Pod",
    metadata: { name: "etcd", namespace: "kube-system" },
    spec: {
      containers: [
        {
          name: "etcd",
          image: flags.image ?? "gcr.io/gke-on-prem-release/etcd:v3.4.33-0-gke.1",
          command: [
            "etcd",
            `--name=${flags.name ?? nodeName}`,
            "--data-dir=/var/lib/etcd",
            `--initial-cluster=${flags.initialCluster ?? INITIAL_CLUSTER}`,
            `--initial-advertise-peer-urls=${flags.peerUrl ?? `https://${ip}:2380`}`,
            `--initial-cluster-token=${flags.token ?? "etcd-cluster-uc3"}`,
          ],
          volumeMounts: [{ name: "etcd-data", mountPath: "/var/lib/etcd" }],
        },
      ],
      volumes: [{ name: "etcd-data", hostPath: { path: "/opt/data/var/lib/etcd" } }],
    },
  });
  return {
    name: nodeName,
    member: readEtcdStaticPod(text, nodeName, `etcd.yaml on ${nodeName}`),
    manifestIn: "/etc/kubernetes/manifests",
  };
}

describe("the nodes of a Controlplane V2 restore describe one cluster", () => {
  it("accepts three members that list each other with one token", () => {
    expect(() =>
      checkOneCluster("uc3", [node("uc3-cp-0"), node("uc3-cp-1"), node("uc3-cp-2")]),
    ).not.toThrow();
  });

  it("refuses a node whose token differs, naming it", () => {
    expect(() =>
      checkOneCluster("uc3", [
        node("uc3-cp-0"),
        node("uc3-cp-1", { token: "other" }),
        node("uc3-cp-2"),
      ]),
    ).toThrow(/uc3-cp-1's --initial-cluster-token differs from uc3-cp-0's.*Nothing was changed/);
  });

  it("refuses a member whose peer URL is not the one its initial cluster lists", () => {
    expect(() =>
      checkOneCluster("uc3", [
        node("uc3-cp-0"),
        node("uc3-cp-1", { peerUrl: "https://10.9.9.9:2380" }),
        node("uc3-cp-2"),
      ]),
    ).toThrow(
      /uc3-cp-1's peer URLs https:\/\/10\.9\.9\.9:2380 differ from its --initial-cluster's/,
    );
  });

  it("refuses when the initial cluster names a member on none of the nodes given", () => {
    expect(() => checkOneCluster("uc3", [node("uc3-cp-0"), node("uc3-cp-1")])).toThrow(
      /the initial cluster names uc3-cp-2, which run on none of the nodes given \(uc3-cp-0, uc3-cp-1\)/,
    );
  });

  it("refuses nodes whose initial clusters differ", () => {
    const two = "uc3-cp-0=https://10.0.0.10:2380,uc3-cp-1=https://10.0.0.11:2380";
    expect(() =>
      checkOneCluster("uc3", [
        node("uc3-cp-0"),
        node("uc3-cp-1", { initialCluster: two }),
        node("uc3-cp-2"),
      ]),
    ).toThrow(/uc3-cp-1's --initial-cluster .* differs from uc3-cp-0's/);
  });
});

describe("the etcd image of a Controlplane V2 restore's nodes", () => {
  const uri = "file:///backups/uc3/user-etcd/20261207T080000Z/";

  it("accepts one image on every node and a backup of the same etcd major.minor", () => {
    expect(() =>
      checkNodeImages("uc3", [node("uc3-cp-0"), node("uc3-cp-1"), node("uc3-cp-2")], {
        uri,
        etcdVersion: "3.4.27",
      }),
    ).not.toThrow();
  });

  it("refuses nodes that run different etcd images, naming each", () => {
    expect(() =>
      checkNodeImages("uc3", [
        node("uc3-cp-0"),
        node("uc3-cp-1", { image: "gcr.io/gke-on-prem-release/etcd:v3.5.16-0-gke.1" }),
        node("uc3-cp-2"),
      ]),
    ).toThrow(
      /run different etcd images \(uc3-cp-0: .*etcd:v3\.4\.33-0-gke\.1, uc3-cp-1: .*etcd:v3\.5\.16-0-gke\.1, .*Nothing was changed/,
    );
  });

  it("refuses a backup taken from another etcd major.minor than the nodes run", () => {
    expect(() =>
      checkNodeImages("uc3", [node("uc3-cp-0"), node("uc3-cp-1"), node("uc3-cp-2")], {
        uri,
        etcdVersion: "3.5.16",
      }),
    ).toThrow(
      /was taken from etcd 3\.5\.16, but its members run .*etcd 3\.4\.33.*same etcd major\.minor/,
    );
  });
});

describe("a call through the user cluster's API in the health gate", () => {
  it("ends with a CancelledError when the run is cancelled, though the call never answers", async () => {
    const controller = new AbortController();
    let handed: AbortSignal | undefined;
    const call = withDeadline(
      "etcdctl in kube-system/etcd-uc3-cp-0",
      controller.signal,
      (signal) => {
        handed = signal;
        return new Promise<string>(() => {});
      },
    );
    controller.abort();
    await expect(call).rejects.toThrow(
      new CancelledError("cancelled while waiting for etcdctl in kube-system/etcd-uc3-cp-0"),
    );
    await expect(call).rejects.toBeInstanceOf(CancelledError);
    // The call itself was handed a signal that the cancellation aborted too.
    expect(handed?.aborted).toBe(true);
  });

  it("passes the call's answer through", async () => {
    await expect(withDeadline("a read", undefined, async () => "answer")).resolves.toBe("answer");
  });
});
