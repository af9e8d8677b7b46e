/**
 * The sandbox's Controlplane V2 user cluster (issue 16), checked the vendor's way: the real
 * `kubectl` against the USER cluster's own API server (nodes, the etcd static pods, exec of
 * etcdctl in a member), `ssh` as ubuntu to each control-plane node with the key from the
 * admin cluster's `<cluster>/ssh-keys`, and a stop that leaves nothing on the host. The tests
 * share one sandbox and run in order; the last one stops it.
 */
import { execFileSync } from "node:child_process";
import { existsSync, readdirSync, readFileSync, renameSync } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { recordingLogger } from "../../src/core/log/logger.ts";
import type { ControlPlaneV2Layout } from "../sandbox/cluster/controlplane-v2.ts";
import { startSandbox, type Sandbox } from "../sandbox/index.ts";
import { runbookShell, waitFor, type RunbookShell } from "./helpers.ts";

const SLOW_MACHINE_MS = 300_000;
/** The vendor's etcdctl flags for a Controlplane V2 member (how-to/back-up-user-cluster). */
const CPV2_ETCDCTL =
  "ETCDCTL_API=3 etcdctl --endpoints=https://127.0.0.1:2379 " +
  "--cacert=/etc/kubernetes/pki/etcd/ca.crt --cert=/etc/kubernetes/pki/etcd/server.crt " +
  "--key=/etc/kubernetes/pki/etcd/server.key";

let sandbox: Sandbox | undefined;
let cluster: ControlPlaneV2Layout;
let workDir: string;
let shell: RunbookShell;

beforeAll(async () => {
  workDir = await mkdtemp(join(tmpdir(), "cpv2-e2e-"));
  sandbox = await startSandbox({
    userClusters: [{ name: "uc1", members: 1 }],
    controlPlaneV2Clusters: [{ name: "uc3", nodes: 3 }],
    logger: recordingLogger(),
  });
  cluster = sandbox.layout.controlPlaneV2Clusters[0] as ControlPlaneV2Layout;
  shell = runbookShell({
    kubeconfigPath: sandbox.kubeconfigPath,
    workDir,
    env: { USER_CLUSTER_KUBECONFIG: cluster.kubeconfigPath, USER_CLUSTER_NAME: "uc3" },
  });
}, SLOW_MACHINE_MS);

afterAll(async () => {
  await sandbox?.stop();
  if (workDir) await rm(workDir, { recursive: true, force: true });
}, SLOW_MACHINE_MS);

interface PodList {
  items: Array<{
    metadata: { name: string; labels: Record<string, string> };
    spec: { nodeName: string; containers: Array<{ name: string }> };
    status: { phase: string; conditions: Array<{ type: string; status: string }> };
  }>;
}

describe("a Controlplane V2 user cluster in the sandbox", { timeout: SLOW_MACHINE_MS }, () => {
  it("has its own API server whose Nodes are the three control-plane nodes", async () => {
    const nodes = JSON.parse(
      await shell.ok('kubectl --kubeconfig "$USER_CLUSTER_KUBECONFIG" get nodes -o json'),
    ) as { items: Array<{ metadata: { name: string; labels: Record<string, string> } }> };
    expect(nodes.items.map((node) => node.metadata.name).sort()).toEqual([
      "uc3-cp-0",
      "uc3-cp-1",
      "uc3-cp-2",
    ]);
    for (const node of nodes.items)
      expect(node.metadata.labels).toHaveProperty("node-role.kubernetes.io/control-plane", "");
    // The admin cluster's API knows nothing of them; the kubeconfig names the user cluster.
    const adminNodes = await shell.ok(
      'kubectl --kubeconfig "$ADMIN_CLUSTER_KUBECONFIG" get nodes -o name',
    );
    expect(adminNodes).not.toContain("uc3-cp-");
    expect(adminNodes).toContain("admin-master");
    const clusterName = await shell.ok(
      "kubectl --kubeconfig \"$USER_CLUSTER_KUBECONFIG\" config view -o jsonpath='{.clusters[0].name}'",
    );
    expect(clusterName).toBe("uc3");
    expect(cluster.apiServerUrl).not.toBe(sandbox?.layout.apiServerUrl);
  });

  it("runs etcd as static pods etcd-<node> in kube-system, Running and Ready", async () => {
    const pods = JSON.parse(
      await shell.ok(
        'kubectl --kubeconfig "$USER_CLUSTER_KUBECONFIG" get pods -n kube-system -l component=etcd,tier=control-plane -o json',
      ),
    ) as PodList;
    expect(pods.items.map((pod) => pod.metadata.name).sort()).toEqual([
      "etcd-uc3-cp-0",
      "etcd-uc3-cp-1",
      "etcd-uc3-cp-2",
    ]);
    for (const pod of pods.items) {
      expect(pod.spec.nodeName).toBe(pod.metadata.name.replace(/^etcd-/, ""));
      expect(pod.spec.containers.map((container) => container.name)).toEqual(["etcd"]);
      expect(pod.status.phase).toBe("Running");
      expect(pod.status.conditions).toContainEqual(
        expect.objectContaining({ type: "Ready", status: "True" }),
      );
    }
    const apiservers = await shell.ok(
      'kubectl --kubeconfig "$USER_CLUSTER_KUBECONFIG" get pods -n kube-system -l component=kube-apiserver -o name',
    );
    expect(apiservers.trim().split("\n").sort()).toEqual([
      "pod/kube-apiserver-uc3-cp-0",
      "pod/kube-apiserver-uc3-cp-1",
      "pod/kube-apiserver-uc3-cp-2",
    ]);
  });

  it("answers exec into etcd-uc3-cp-1 through its API: one cluster of three members, the vendor's data dir", async () => {
    const members = await shell.ok(
      `kubectl --kubeconfig "$USER_CLUSTER_KUBECONFIG" exec -n kube-system etcd-uc3-cp-1 -c etcd -- /bin/sh -c '${CPV2_ETCDCTL} member list -w json'`,
    );
    const list = JSON.parse(members) as {
      header: { cluster_id: number };
      members: Array<{ name: string; peerURLs: string[] }>;
    };
    expect(list.members.map((member) => member.name).sort()).toEqual([
      "uc3-cp-0",
      "uc3-cp-1",
      "uc3-cp-2",
    ]);
    // The seeded content is there, and the pod sees its data at /var/lib/etcd.
    const count = await shell.ok(
      `kubectl --kubeconfig "$USER_CLUSTER_KUBECONFIG" exec -n kube-system etcd-uc3-cp-1 -c etcd -- /bin/sh -c '${CPV2_ETCDCTL} get / --prefix --keys-only --limit=1 -w json'`,
    );
    expect((JSON.parse(count) as { count: number }).count).toBe(sandbox?.layout.content.uc3?.keys);
    const member = await shell.ok(
      'kubectl --kubeconfig "$USER_CLUSTER_KUBECONFIG" exec -n kube-system etcd-uc3-cp-1 -c etcd -- ls /var/lib/etcd',
    );
    expect(member.trim()).toBe("member");
    const node = cluster.nodes[1];
    expect(existsSync(join(node?.etcdDataDir ?? "", "member/snap/db"))).toBe(true);
    expect(existsSync(join(node?.rootDir ?? "", "var/lib/etcd"))).toBe(false);
  });

  it("lets ubuntu ssh to each node with the key from the admin cluster's uc3/ssh-keys, host keys pinned", async () => {
    await shell.ok(
      "kubectl --kubeconfig \"$ADMIN_CLUSTER_KUBECONFIG\" get secrets -n uc3 ssh-keys -o jsonpath='{.data.ssh\\.key}' | base64 -d > uc3.key && chmod 600 uc3.key",
    );
    for (const node of cluster.nodes) {
      const out = await shell.ok(
        `ssh -i uc3.key -o BatchMode=yes -o UserKnownHostsFile=${cluster.knownHostsPath} -o StrictHostKeyChecking=yes ${node.ssh.user}@${node.ssh.host} 'hostname; sudo ls /etc/kubernetes/pki/etcd; sudo ls /opt/data/var/lib/etcd; ls /etc/kubernetes/manifests'`,
      );
      const lines = out.trim().split("\n");
      expect(lines[0]).toBe(node.name);
      expect(lines).toEqual(expect.arrayContaining(["ca.crt", "server.crt", "server.key"]));
      expect(lines).toContain("member");
      expect(lines).toEqual(expect.arrayContaining(["etcd.yaml", "kube-apiserver.yaml"]));
    }
    // A stranger's key is refused.
    execFileSync("ssh-keygen", ["-q", "-t", "ed25519", "-N", "", "-f", join(workDir, "other")]);
    const refused = await shell.bash(
      `ssh -i other -o BatchMode=yes -o UserKnownHostsFile=${cluster.knownHostsPath} -o StrictHostKeyChecking=yes ubuntu@${cluster.nodes[0]?.ssh.host} true`,
    );
    expect(refused.exitCode).toBe(255);
  });

  it("serves its API while a majority of nodes run kube-apiserver, and refuses once two of three are stopped", async () => {
    const getNodes =
      'kubectl --kubeconfig "$USER_CLUSTER_KUBECONFIG" get nodes -o name --request-timeout=5s';
    const apiserverPods = async () =>
      (
        await shell.ok(
          'kubectl --kubeconfig "$USER_CLUSTER_KUBECONFIG" get pods -n kube-system -l component=kube-apiserver -o name',
        )
      )
        .trim()
        .split("\n")
        .sort();
    const stopped = cluster.nodes.slice(1).map((node) => ({
      manifest: join(node.manifestsDir, "kube-apiserver.yaml"),
      aside: join(node.rootDir, "etc/kubernetes/kube-apiserver.yaml.stopped"),
    }));
    try {
      // One of three stopped: its mirror pod goes, as seen through the API, which still answers.
      renameSync(stopped[1]!.manifest, stopped[1]!.aside);
      await waitFor("kube-apiserver-uc3-cp-2 to go", async () =>
        (await apiserverPods()).includes("pod/kube-apiserver-uc3-cp-2") ? undefined : true,
      );
      expect(await apiserverPods()).toEqual([
        "pod/kube-apiserver-uc3-cp-0",
        "pod/kube-apiserver-uc3-cp-1",
      ]);
      // Two of three: no majority, the API refuses connections as a real one behind its VIP.
      renameSync(stopped[0]!.manifest, stopped[0]!.aside);
      const refused = await waitFor("uc3's API to refuse", async () => {
        const result = await shell.bash(getNodes);
        return result.exitCode !== 0 ? result : undefined;
      });
      expect(refused.stderr).toMatch(/The connection to the server .* was refused/);
    } finally {
      for (const { manifest, aside } of stopped) if (existsSync(aside)) renameSync(aside, manifest);
    }
    const back = await waitFor("uc3's API to answer again", async () => {
      const result = await shell.bash(getNodes);
      return result.exitCode === 0 ? result.stdout : undefined;
    });
    expect(back.trim().split("\n").sort()).toEqual([
      "node/uc3-cp-0",
      "node/uc3-cp-1",
      "node/uc3-cp-2",
    ]);
  });

  it("stops leaving no network namespace, link, process or mount of the cluster's nodes", async () => {
    const dir = sandbox?.dir ?? "";
    const runtimeId = cluster.runtimeId;
    // One per node: the static pods run in their node's namespace (hostNetwork).
    expect(netnsOf(runtimeId)).toHaveLength(3);
    await sandbox?.stop();
    sandbox = undefined;
    expect(netnsOf(runtimeId)).toEqual([]);
    expect(linksOf(runtimeId)).toEqual([]);
    expect(existsSync(`/run/etcd-backup-sandbox/${runtimeId}.json`)).toBe(false);
    expect(processesUsing(dir)).toEqual([]);
    expect(readFileSync("/proc/self/mountinfo", "utf8")).not.toContain(dir);
  });
});

function netnsOf(sandboxId: string): string[] {
  return execFileSync("ip", ["netns", "list"], { encoding: "utf8" })
    .split("\n")
    .map((line) => line.split(" ")[0] ?? "")
    .filter((name) => name.startsWith(`esb-${sandboxId}-`));
}

function linksOf(sandboxId: string): string[] {
  return execFileSync("ip", ["-o", "link", "show"], { encoding: "utf8" })
    .split("\n")
    .map((line) => line.split(": ")[1]?.split("@")[0] ?? "")
    .filter((name) => name.startsWith(`esb${sandboxId}`));
}

function processesUsing(dir: string): number[] {
  const pids: number[] = [];
  for (const entry of readdirSync("/proc")) {
    if (!/^\d+$/.test(entry) || Number(entry) === process.pid) continue;
    try {
      if (readFileSync(`/proc/${entry}/cmdline`, "utf8").includes(dir)) pids.push(Number(entry));
    } catch {
      // the process ended while we looked
    }
  }
  return pids;
}
