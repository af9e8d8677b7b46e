/**
 * The restore's command line against the real etcd 3.4: each member's configuration read
 * from its pod's command line as etcd reads it, `snapshot restore` built from it for every
 * member from one snapshot, and the restored members started together: one cluster ID,
 * the expected names and peer URLs, the snapshot's keys.
 */
import { execFile, spawn, type ChildProcess } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { afterAll, describe, expect, it } from "vitest";
import { snapshotRestore, restoreHelpOffersBump } from "../../src/core/etcd/etcdctl.ts";
import {
  expandReferences,
  memberConfigFromContainer,
  type ContainerCommandLine,
} from "../../src/core/etcd/member-config.ts";
import { cleanup, Etcd, freePorts } from "../snapshot/etcd-fixture.ts";

const run = promisify(execFile);
const work = mkdtempSync(join(tmpdir(), "member-restore-"));
const started: ChildProcess[] = [];

afterAll(async () => {
  for (const child of started) child.kill("SIGKILL");
  await cleanup();
  rmSync(work, { recursive: true, force: true });
});

/** The sandbox's (and the vendor's) kube-etcd container, for a cluster of `members`. */
function kubeEtcdContainer(members: number): ContainerCommandLine {
  const initialCluster = Array.from(
    { length: members },
    (_, n) => `kube-etcd-${n}=https://kube-etcd-${n}.kube-etcd:2380`,
  ).join(",");
  return {
    command: ["/usr/bin/etcd"],
    args: [
      "--name=$(POD_NAME)",
      "--data-dir=/var/lib/etcd",
      "--listen-peer-urls=https://$(POD_IP):2380",
      "--initial-advertise-peer-urls=https://$(POD_NAME).kube-etcd:2380",
      `--initial-cluster=${initialCluster}`,
      "--initial-cluster-token=etcd-cluster-1",
      "--quota-backend-bytes=4294967296",
    ],
    env: [
      { name: "POD_NAME", valueFrom: { fieldRef: { fieldPath: "metadata.name" } } },
      { name: "POD_IP", valueFrom: { fieldRef: { fieldPath: "status.podIP" } } },
    ],
  };
}

describe("a member's configuration, as etcd reads its command line", () => {
  it("expands $(POD_NAME) for each member of a StatefulSet", () => {
    const config = memberConfigFromContainer(
      kubeEtcdContainer(3),
      { name: "kube-etcd-2", namespace: "uc1" },
      "statefulset uc1/kube-etcd",
    );
    expect(config).toEqual({
      name: "kube-etcd-2",
      dataDir: "/var/lib/etcd",
      initialCluster:
        "kube-etcd-0=https://kube-etcd-0.kube-etcd:2380,kube-etcd-1=https://kube-etcd-1.kube-etcd:2380,kube-etcd-2=https://kube-etcd-2.kube-etcd:2380",
      initialClusterMembers: [0, 1, 2].map((n) => ({
        name: `kube-etcd-${n}`,
        peerUrls: [`https://kube-etcd-${n}.kube-etcd:2380`],
      })),
      initialClusterToken: "etcd-cluster-1",
      peerUrls: ["https://kube-etcd-2.kube-etcd:2380"],
      quotaBackendBytes: 4294967296,
    });
  });

  it("applies etcd's defaults, ETCD_* variables and separate flag values", () => {
    const bare = memberConfigFromContainer(
      { command: ["etcd"] },
      { name: "p", namespace: "n" },
      "pod n/p",
    );
    expect(bare).toMatchObject({
      name: "default",
      dataDir: "default.etcd",
      initialCluster: "default=http://localhost:2380",
      initialClusterToken: "etcd-cluster",
      peerUrls: ["http://localhost:2380"],
      quotaBackendBytes: 2 * 1024 ** 3,
    });
    const fromEnv = memberConfigFromContainer(
      {
        command: [
          "/bin/sh",
          "-c",
          'exec etcd --name "$(NAME)" --data-dir /opt/data/var/lib/etcd; echo done',
        ],
        env: [
          { name: "NAME", value: "etcd-cp-1" },
          { name: "ETCD_INITIAL_CLUSTER_TOKEN", value: "cp-token" },
          { name: "ETCD_INITIAL_ADVERTISE_PEER_URLS", value: "https://10.0.0.1:2380" },
        ],
      },
      { name: "etcd-cp-1", namespace: "kube-system" },
      "static pod etcd",
    );
    expect(fromEnv).toMatchObject({
      name: "etcd-cp-1",
      dataDir: "/opt/data/var/lib/etcd",
      initialCluster: "etcd-cp-1=https://10.0.0.1:2380",
      initialClusterToken: "cp-token",
      peerUrls: ["https://10.0.0.1:2380"],
    });
  });

  it("expands references as the kubelet does: $$ is a literal $, unknown ones stay", () => {
    const env = new Map([["A", "x"]]);
    expect(expandReferences("$(A)-$$(A)-$(B)", env)).toBe("x-$(A)-$(B)");
  });

  it("says which pod does not run etcd, and which --initial-cluster entry is malformed", () => {
    expect(() =>
      memberConfigFromContainer(
        { command: ["sleep", "infinity"] },
        { name: "p", namespace: "n" },
        "pod n/p",
      ),
    ).toThrow('pod n/p does not run etcd (its command is ["sleep","infinity"]...)');
    expect(() =>
      memberConfigFromContainer(
        { command: ["etcd", "--initial-cluster=a=http://a:2380,b"] },
        { name: "p", namespace: "n" },
        "pod n/p",
      ),
    ).toThrow('pod n/p: --initial-cluster entry "b" is not name=peer-url');
  });
});

describe("snapshot restore for every member, with the real etcd 3.4", () => {
  it("gives three members restored from one snapshot one cluster ID, their names, peer URLs and the keys", async () => {
    const source = await Etcd.start();
    await source.put("/registry/configmaps/default/before", "A");
    const snapshot = join(work, "snapshot.db");
    await source.saveSnapshot(snapshot);
    await source.stop();

    const ports = await freePorts(6);
    const peer = (n: number) => `http://127.0.0.1:${ports[2 * n]}`;
    const client = (n: number) => `http://127.0.0.1:${ports[2 * n + 1]}`;
    // The same command line shape as kube-etcd, with loopback URLs that can run here.
    const container = (n: number): ContainerCommandLine => ({
      command: ["/usr/bin/etcd"],
      args: [
        "--name=$(POD_NAME)",
        `--initial-advertise-peer-urls=${peer(n)}`,
        `--initial-cluster=${[0, 1, 2].map((m) => `member-${m}=${peer(m)}`).join(",")}`,
        "--initial-cluster-token=drill-token",
      ],
      env: [{ name: "POD_NAME", valueFrom: { fieldRef: { fieldPath: "metadata.name" } } }],
    });
    for (const n of [0, 1, 2]) {
      const member = memberConfigFromContainer(
        container(n),
        { name: `member-${n}`, namespace: "t" },
        "test",
      );
      const dataDir = join(work, `member-${n}`, "restored");
      const argv = snapshotRestore("etcdctl", snapshot, { member, dataDir });
      expect(argv).not.toContain("--skip-hash-check");
      await run(argv[0]!, argv.slice(1), { env: { ...process.env, ETCDCTL_API: "3" } });
      const child = spawn(
        "/usr/bin/etcd",
        [
          `--name=member-${n}`,
          `--data-dir=${dataDir}`,
          `--listen-peer-urls=${peer(n)}`,
          `--listen-client-urls=${client(n)}`,
          `--advertise-client-urls=${client(n)}`,
          "--log-level=error",
          "--logger=zap",
        ],
        { stdio: "ignore" },
      );
      started.push(child);
    }
    const etcdctl = async (n: number, ...args: string[]) =>
      (
        await run("etcdctl", [`--endpoints=${client(n)}`, ...args], {
          env: { ...process.env, ETCDCTL_API: "3" },
        })
      ).stdout;
    const clusterIds = new Set<string>();
    for (const n of [0, 1, 2]) {
      const status = await retry(() => etcdctl(n, "endpoint", "status", "-w", "json"));
      clusterIds.add(/"cluster_id":(\d+)/.exec(status)![1]!);
    }
    expect(clusterIds.size).toBe(1);
    const members = JSON.parse(await etcdctl(0, "member", "list", "-w", "json")) as {
      members: { name: string; peerURLs: string[] }[];
    };
    expect(members.members.map((member) => [member.name, member.peerURLs]).sort()).toEqual(
      [0, 1, 2].map((n) => [`member-${n}`, [peer(n)]]),
    );
    expect(
      await etcdctl(2, "get", "/registry/configmaps/default/before", "--print-value-only"),
    ).toBe("A\n");
  });

  it("adds the revision bump only when asked, and knows from --help whether the tool offers it", async () => {
    const member = {
      name: "kube-etcd-0",
      initialCluster: "kube-etcd-0=https://kube-etcd-0.kube-etcd:2380",
      initialClusterToken: "etcd-cluster-1",
      peerUrls: ["https://kube-etcd-0.kube-etcd:2380"],
    };
    expect(
      snapshotRestore("etcdutl", "/s.db", { member, dataDir: "/d", bumpRevision: 1_000_000_000 }),
    ).toEqual([
      "etcdutl",
      "snapshot",
      "restore",
      "/s.db",
      "--name=kube-etcd-0",
      "--initial-cluster=kube-etcd-0=https://kube-etcd-0.kube-etcd:2380",
      "--initial-cluster-token=etcd-cluster-1",
      "--initial-advertise-peer-urls=https://kube-etcd-0.kube-etcd:2380",
      "--data-dir=/d",
      "--bump-revision=1000000000",
      "--mark-compacted",
    ]);
    // Debian's etcd 3.4.23 predates the bump (etcd#16193): its help must say so.
    const { stdout, stderr } = await run("etcdctl", ["snapshot", "restore", "--help"], {
      env: { ...process.env, ETCDCTL_API: "3" },
    });
    expect(`${stdout}${stderr}`).toContain("--initial-cluster-token");
    expect(restoreHelpOffersBump(`${stdout}${stderr}`)).toBe(false);
    expect(
      restoreHelpOffersBump(
        "--bump-revision=0  How much to increase the latest revision after restore\n--mark-compacted[=false]  Mark the latest revision after restore as the point of scheduled compaction",
      ),
    ).toBe(true);
  });
});

async function retry<T>(attempt: () => Promise<T>): Promise<T> {
  const deadline = Date.now() + 30_000;
  for (;;) {
    try {
      return await attempt();
    } catch (error) {
      if (Date.now() > deadline) throw error;
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
  }
}
