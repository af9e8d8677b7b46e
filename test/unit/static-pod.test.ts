/**
 * Reading a control-plane node's etcd.yaml (member flags, image, and the data dir mapped
 * from the container to the node through the pod's volumes) and the one-shot restore pod.
 */
import { describe, expect, it } from "vitest";
import { stringify } from "yaml";
import {
  readEtcdStaticPod,
  restorePodManifest,
  restoreToolFor,
  versionOffersBump,
} from "../../src/core/etcd/static-pod.ts";

function manifest(hostPath: string, dataDir = "/var/lib/etcd", mountPath = "/var/lib/etcd") {
  return stringify({
    apiVersion: "v1",
    kind: "Pod",
    metadata: { name: "etcd", namespace: "kube-system" },
    spec: {
      containers: [
        {
          name: "etcd",
          image: "gcr.io/gke-on-prem-release/etcd:v3.5.21-0-gke.1",
          command: [
            "etcd",
            "--name=cp-1",
            `--data-dir=${dataDir}`,
            "--initial-cluster=cp-1=https://10.0.0.11:2380,cp-2=https://10.0.0.12:2380",
            "--initial-advertise-peer-urls=https://10.0.0.11:2380",
            "--initial-cluster-token=admin-etcd",
            "--listen-client-urls=https://127.0.0.1:2379,https://10.0.0.11:2379",
            "--listen-peer-urls=https://10.0.0.11:2380",
          ],
          volumeMounts: [
            { name: "etcd-certs", mountPath: "/etc/kubernetes/pki/etcd" },
            { name: "etcd-data", mountPath },
          ],
        },
      ],
      volumes: [
        { name: "etcd-certs", hostPath: { path: "/etc/kubernetes/pki/etcd" } },
        { name: "etcd-data", hostPath: { path: hostPath } },
      ],
    },
  });
}

describe("the etcd static pod manifest", () => {
  it("maps the data dir to the node through its hostPath volume (newer releases: /opt/data)", () => {
    const member = readEtcdStaticPod(manifest("/opt/data/var/lib/etcd"), "cp-1", "etcd.yaml");
    expect(member.containerDataDir).toBe("/var/lib/etcd");
    expect(member.hostDataDir).toBe("/opt/data/var/lib/etcd");
    expect(member.config.name).toBe("cp-1");
    expect(member.config.initialClusterToken).toBe("admin-etcd");
    expect(member.config.peerUrls).toEqual(["https://10.0.0.11:2380"]);
    expect(member.ports).toEqual([2379, 2380]);
  });

  it("keeps a data dir below the mount point below the host path too", () => {
    const member = readEtcdStaticPod(
      manifest("/opt/data/var/lib", "/var/lib/etcd", "/var/lib"),
      "cp-1",
      "etcd.yaml",
    );
    expect(member.hostDataDir).toBe("/opt/data/var/lib/etcd");
    expect(member.dataMountPath).toBe("/var/lib");
  });

  it("refuses a manifest whose data dir is on no hostPath volume, naming the file", () => {
    expect(() =>
      readEtcdStaticPod(manifest("/x", "/srv/etcd"), "cp-1", "/etc/kubernetes/manifests/etcd.yaml"),
    ).toThrow(/etcd\.yaml: no hostPath volume is mounted over etcd's data dir \/srv\/etcd/);
  });

  it("builds a one-shot restore pod with the member's image, flags and volume, and no shell", () => {
    const member = readEtcdStaticPod(manifest("/opt/data/var/lib/etcd"), "cp-1", "etcd.yaml");
    const pod = restorePodManifest({
      member,
      tool: restoreToolFor("3.5.21"),
      snapshotName: "restore-X.db",
      restoredName: "restore-X",
      bumpRevision: 1000,
    }) as {
      spec: {
        restartPolicy: string;
        containers: { image: string; command: string[] }[];
        volumes: { hostPath: { path: string } }[];
      };
    };
    expect(pod.spec.restartPolicy).toBe("Never");
    const [container] = pod.spec.containers;
    expect(container!.image).toBe(member.image);
    expect(container!.command).toEqual([
      "etcdutl",
      "snapshot",
      "restore",
      "/var/lib/etcd/restore-X.db",
      "--name=cp-1",
      "--initial-cluster=cp-1=https://10.0.0.11:2380,cp-2=https://10.0.0.12:2380",
      "--initial-cluster-token=admin-etcd",
      "--initial-advertise-peer-urls=https://10.0.0.11:2380",
      "--data-dir=/var/lib/etcd/restore-X",
      "--bump-revision=1000",
      "--mark-compacted",
    ]);
    expect(pod.spec.volumes[0]!.hostPath.path).toBe("/opt/data/var/lib/etcd");
  });

  it("knows which etcd versions restore with which tool and can bump", () => {
    expect(restoreToolFor("3.4.13")).toBe("etcdctl");
    expect(restoreToolFor(undefined)).toBe("etcdctl");
    expect(restoreToolFor("3.5.0")).toBe("etcdutl");
    expect(versionOffersBump("3.4.13")).toBe(false);
    expect(versionOffersBump("3.4.26")).toBe(true);
    expect(versionOffersBump("3.5.9")).toBe(false);
    expect(versionOffersBump("3.5.10")).toBe(true);
    expect(versionOffersBump(undefined)).toBe(false);
  });
});
