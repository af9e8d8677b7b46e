/**
 * The runbook's kubectl commands, verbatim, with the real `kubectl` against one sandbox
 * (PROCEDURES.md sections 1-5), then the same key operations through
 * @kubernetes/client-node. The tests share the sandbox and run in order.
 */
import { createHash, randomBytes } from "node:crypto";
import { createReadStream, existsSync } from "node:fs";
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { PassThrough } from "node:stream";
import {
  AppsV1Api,
  CoreV1Api,
  Exec,
  KubeConfig,
  PatchStrategy,
  PolicyV1Api,
  setHeaderOptions,
  type V1PodDisruptionBudget,
  type V1Status,
} from "@kubernetes/client-node";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { recordingLogger } from "../../src/core/log/logger.ts";
import { startSandbox, type Sandbox } from "../sandbox/index.ts";
import {
  ADMIN_ETCDCTL,
  runbookShell,
  USER_ETCDCTL,
  utilityPodManifest,
  waitFor,
  type RunbookShell,
} from "./helpers.ts";

let sandbox: Sandbox;
let workDir: string;
let shell: RunbookShell;

/**
 * Generous limits: on an idle 2-core machine the whole file takes about 3 minutes, but a
 * machine busy with other work can make each kubectl call ten times slower.
 */
const SLOW_MACHINE_MS = 300_000;

beforeAll(async () => {
  workDir = await mkdtemp(join(tmpdir(), "runbook-e2e-"));
  sandbox = await startSandbox({ logger: recordingLogger() });
  shell = runbookShell({
    kubeconfigPath: sandbox.kubeconfigPath,
    workDir,
    env: { USER_CLUSTER_NAME: "uc1", GKE_ON_PREM_VERSION: sandbox.layout.gkeOnPremVersion },
  });
}, SLOW_MACHINE_MS);

afterAll(async () => {
  await sandbox?.stop();
  if (workDir) await rm(workDir, { recursive: true, force: true });
}, SLOW_MACHINE_MS);

const sha256 = (path: string) =>
  new Promise<string>((resolve, reject) => {
    const hash = createHash("sha256");
    createReadStream(path)
      .on("data", (chunk) => hash.update(chunk))
      .on("end", () => resolve(hash.digest("hex")))
      .on("error", reject);
  });

/** `kubectl exec` of the runbook's etcdctl in a user cluster member; output merged. */
const inMember = (namespace: string, pod: string, etcdctlArgs: string) =>
  shell.bash(
    `kubectl --kubeconfig "$ADMIN_CLUSTER_KUBECONFIG" exec ${pod} --container kube-etcd --namespace ${namespace} -- bin/sh -ec '${USER_ETCDCTL} ${etcdctlArgs} 2>&1'`,
  );

const podField = async (namespace: string, pod: string, jsonpath: string) =>
  (
    await shell.bash(
      `kubectl --kubeconfig "$ADMIN_CLUSTER_KUBECONFIG" get pod ${pod} --namespace ${namespace} -o jsonpath='${jsonpath}'`,
    )
  ).stdout;

const isReady = async (namespace: string, pod: string) =>
  (await podField(namespace, pod, '{.status.conditions[?(@.type=="Ready")].status}')) === "True";

/** Runbook section 5's first step: a static pod's manifest moved out of the kubelet's folder. */
const manifestEnv = () => ({
  MANIFESTS: sandbox.layout.admin.manifestsDir,
  ASIDE: join(sandbox.layout.admin.nodeRoot, "etc/kubernetes/manifests-aside"),
});
const moveManifestOut = (file: string) =>
  shell.ok(`mkdir -p "$ASIDE" && mv "$MANIFESTS/${file}" "$ASIDE/${file}"`, manifestEnv());
const moveManifestBack = (file: string) =>
  shell.ok(`mv "$ASIDE/${file}" "$MANIFESTS/${file}"`, manifestEnv());

/** kubectl fails as against a stopped kube-apiserver: the connection is refused. */
const waitForApiRefused = () =>
  waitFor("the sandbox API server to refuse connections", async () => {
    const result = await shell.bash(
      'kubectl --kubeconfig "$ADMIN_CLUSTER_KUBECONFIG" get pods -n kube-system --request-timeout=5s',
    );
    if (result.exitCode === 0) return undefined;
    return /connection to the server .* was refused/.test(result.stderr)
      ? result.stderr
      : undefined;
  });

/** The API answers again, and both static pods are Ready. */
const waitForAdminControlPlane = () =>
  waitFor("the API to answer with etcd and kube-apiserver Ready on admin-master", async () =>
    (await isReady("kube-system", "etcd-admin-master")) &&
    (await isReady("kube-system", "kube-apiserver-admin-master"))
      ? true
      : undefined,
  );

describe(
  "user cluster runbook (sections 1-3) with the real kubectl",
  { timeout: SLOW_MACHINE_MS },
  () => {
    it("lists the etcd members, each on its own node: get pods --output wide | grep kube-etcd", async () => {
      const output = await shell.ok(
        'kubectl --kubeconfig "$ADMIN_CLUSTER_KUBECONFIG" get pods --namespace "$USER_CLUSTER_NAME" --output wide | grep kube-etcd',
      );
      const rows = output
        .trim()
        .split("\n")
        .map((line) => line.split(/\s+/));
      expect(rows.map((row) => row[0])).toEqual(["kube-etcd-0", "kube-etcd-1", "kube-etcd-2"]);
      for (const row of rows) {
        expect(row[1]).toBe("1/1");
        expect(row[2]).toBe("Running");
      }
      const nodes = rows.map((row) => row[6]);
      expect(new Set(nodes).size).toBe(3);
      const members = sandbox.layout.userClusters.find((c) => c.name === "uc1")?.members ?? [];
      expect(nodes).toEqual(members.map((member) => member.node));
    });

    it("every member of every user cluster answers endpoint health with the runbook's certificates", async () => {
      const checks = sandbox.layout.userClusters.flatMap((cluster) =>
        cluster.members.map(async (member) => ({
          member: `${cluster.name}/${member.pod}`,
          result: await inMember(cluster.namespace, member.pod, "endpoint health"),
        })),
      );
      for (const { member, result } of await Promise.all(checks)) {
        expect(result.exitCode, `${member}: ${result.stdout}${result.stderr}`).toBe(0);
        expect(result.stdout).toContain("https://127.0.0.1:2379 is healthy");
      }
    });

    it("backs up kube-etcd-0 as section 1 does: snapshot save in the pod, kubectl cp out", async () => {
      const saved = await inMember("uc1", "kube-etcd-0", "snapshot save snapshot.db");
      expect(saved.exitCode, saved.stdout).toBe(0);
      await shell.ok(
        'kubectl --kubeconfig "$ADMIN_CLUSTER_KUBECONFIG" cp "$USER_CLUSTER_NAME/kube-etcd-0:snapshot.db" --container kube-etcd snapshot.db',
      );
      const status = JSON.parse(
        await shell.ok("ETCDCTL_API=3 etcdctl snapshot status snapshot.db -w json"),
      ) as { totalKey: number; revision: number };
      // The seeded content is in it: every key the sandbox wrote, plus etcd's own.
      expect(status.totalKey).toBeGreaterThan(sandbox.layout.content.uc1?.keys ?? Infinity);
      expect(status.revision).toBeGreaterThan(0);
      await shell.ok(
        'kubectl --kubeconfig "$ADMIN_CLUSTER_KUBECONFIG" exec kube-etcd-0 --container kube-etcd --namespace "$USER_CLUSTER_NAME" -- rm snapshot.db',
      );
    });

    it("copies a 50 MB file into a member and back out byte for byte", async () => {
      await writeFile(join(workDir, "big.bin"), randomBytes(50 * 1024 * 1024));
      await shell.ok(
        'kubectl --kubeconfig "$ADMIN_CLUSTER_KUBECONFIG" cp big.bin "$USER_CLUSTER_NAME/kube-etcd-1:/tmp/big.bin" --container kube-etcd',
      );
      await shell.ok(
        'kubectl --kubeconfig "$ADMIN_CLUSTER_KUBECONFIG" cp "$USER_CLUSTER_NAME/kube-etcd-1:/tmp/big.bin" big.out --container kube-etcd',
      );
      expect(await sha256(join(workDir, "big.out"))).toBe(await sha256(join(workDir, "big.bin")));
      await shell.ok(
        'kubectl --kubeconfig "$ADMIN_CLUSTER_KUBECONFIG" exec kube-etcd-1 --container kube-etcd --namespace "$USER_CLUSTER_NAME" -- rm /tmp/big.bin; rm big.bin big.out',
      );
    });

    it("runs section 2.1's utility pod on kube-etcd-0's node, where it sees the member's data; pinned to another node it stays Pending", async () => {
      const nodeName = await podField("uc1", "kube-etcd-0", "{.spec.nodeName}");
      const wrongNode = await podField("uc1", "kube-etcd-1", "{.spec.nodeName}");
      const manifest = (node: string) =>
        utilityPodManifest({
          memberNumber: 0,
          userClusterName: "uc1",
          gkeOnPremVersion: sandbox.layout.gkeOnPremVersion,
          nodeName: node,
        });
      await writeFile(join(workDir, "etcd-utility.yaml"), manifest(nodeName));
      // The same manifest with another name, pinned to the node of kube-etcd-1.
      await writeFile(
        join(workDir, "etcd-utility-misplaced.yaml"),
        manifest(wrongNode).replace("name: etcd-utility-0", "name: etcd-utility-misplaced"),
      );
      await shell.ok(
        'kubectl --kubeconfig "$ADMIN_CLUSTER_KUBECONFIG" create -f etcd-utility.yaml --namespace "$USER_CLUSTER_NAME" && ' +
          'kubectl --kubeconfig "$ADMIN_CLUSTER_KUBECONFIG" create -f etcd-utility-misplaced.yaml --namespace "$USER_CLUSTER_NAME"',
      );

      await waitFor("etcd-utility-0 to be Ready", async () =>
        (await isReady("uc1", "etcd-utility-0")) ? true : undefined,
      );
      expect(await podField("uc1", "etcd-utility-0", "{.spec.nodeName}")).toBe(nodeName);
      const listing = await shell.ok(
        'kubectl --kubeconfig "$ADMIN_CLUSTER_KUBECONFIG" exec etcd-utility-0 --container etcd-utility --namespace "$USER_CLUSTER_NAME" -- bin/sh -ec "ls var/lib/etcd/member; ls /etcd.local.config/certificates"',
      );
      expect(listing.split("\n")).toEqual(
        expect.arrayContaining(["snap", "wal", "etcd.crt", "etcd.key", "etcdCA.crt"]),
      );

      const reason = await waitFor(
        "the misplaced utility pod to be reported unschedulable",
        async () => {
          const value = await podField(
            "uc1",
            "etcd-utility-misplaced",
            '{.status.conditions[?(@.type=="PodScheduled")].reason}',
          );
          return value === "Unschedulable" ? value : undefined;
        },
      );
      expect(reason).toBe("Unschedulable");
      expect(await podField("uc1", "etcd-utility-misplaced", "{.status.phase}")).toBe("Pending");
      expect(await podField("uc1", "etcd-utility-misplaced", "{.spec.nodeName}")).toBe("");

      await shell.ok(
        'kubectl --kubeconfig "$ADMIN_CLUSTER_KUBECONFIG" delete pod etcd-utility-0 etcd-utility-misplaced --namespace "$USER_CLUSTER_NAME" && rm etcd-utility.yaml etcd-utility-misplaced.yaml',
      );
    });

    it("recreates kube-etcd-0 after delete pod, with the same data", async () => {
      const put = await inMember(
        "uc1",
        "kube-etcd-0",
        "put /runbook-test/marker kept-across-restarts",
      );
      expect(put.stdout.trim()).toBe("OK");
      const uidBefore = await podField("uc1", "kube-etcd-0", "{.metadata.uid}");
      await shell.ok(
        'kubectl --kubeconfig "$ADMIN_CLUSTER_KUBECONFIG" delete pod kube-etcd-0 --namespace "$USER_CLUSTER_NAME"',
      );
      await shell.ok(
        'kubectl --kubeconfig "$ADMIN_CLUSTER_KUBECONFIG" wait --for=condition=Ready pod/kube-etcd-0 --namespace "$USER_CLUSTER_NAME" --timeout=180s',
      );
      expect(await podField("uc1", "kube-etcd-0", "{.metadata.uid}")).not.toBe(uidBefore);
      const read = await inMember(
        "uc1",
        "kube-etcd-0",
        "get /runbook-test/marker --print-value-only",
      );
      expect(read.stdout.trim()).toBe("kept-across-restarts");
    });

    it("saves and deletes the PDB, scales kube-apiserver and the maintenance Deployment to 0 and back, re-applies the PDB (section 3)", async () => {
      await shell.ok(
        'kubectl --kubeconfig "$ADMIN_CLUSTER_KUBECONFIG" get pdb --namespace "$USER_CLUSTER_NAME" kube-apiserver-pdb --output yaml > kube-apiserver-pdb.yaml',
      );
      await shell.ok(
        'kubectl --kubeconfig "$ADMIN_CLUSTER_KUBECONFIG" delete pdb --namespace "$USER_CLUSTER_NAME" kube-apiserver-pdb',
      );
      const gone = await shell.bash(
        'kubectl --kubeconfig "$ADMIN_CLUSTER_KUBECONFIG" get pdb --namespace "$USER_CLUSTER_NAME" kube-apiserver-pdb',
      );
      expect(gone.exitCode).not.toBe(0);
      expect(gone.stderr).toContain('poddisruptionbudgets.policy "kube-apiserver-pdb" not found');

      await shell.ok(
        'kubectl --kubeconfig "$ADMIN_CLUSTER_KUBECONFIG" --namespace "$USER_CLUSTER_NAME" scale --replicas 0 statefulset kube-apiserver && ' +
          'kubectl --kubeconfig "$ADMIN_CLUSTER_KUBECONFIG" --namespace "$USER_CLUSTER_NAME" scale --replicas 0 deployment gke-master-etcd-maintenance',
      );
      await waitFor("every kube-apiserver and maintenance pod to be gone", async () => {
        const pods = await shell.ok(
          'kubectl --kubeconfig "$ADMIN_CLUSTER_KUBECONFIG" get pods --namespace "$USER_CLUSTER_NAME" -o name',
        );
        return /kube-apiserver|gke-master-etcd-maintenance/.test(pods) ? undefined : pods;
      });

      await shell.ok(
        'kubectl --kubeconfig "$ADMIN_CLUSTER_KUBECONFIG" scale statefulset --replicas 3 --namespace "$USER_CLUSTER_NAME" kube-apiserver && ' +
          'kubectl --kubeconfig "$ADMIN_CLUSTER_KUBECONFIG" scale deployment --replicas 1 --namespace="$USER_CLUSTER_NAME" gke-master-etcd-maintenance',
      );
      await shell.ok(
        'kubectl --kubeconfig "$ADMIN_CLUSTER_KUBECONFIG" rollout status statefulset kube-apiserver --namespace "$USER_CLUSTER_NAME" --timeout=180s && ' +
          'kubectl --kubeconfig "$ADMIN_CLUSTER_KUBECONFIG" rollout status deployment gke-master-etcd-maintenance --namespace "$USER_CLUSTER_NAME" --timeout=180s',
      );

      await shell.ok(
        'kubectl --kubeconfig "$ADMIN_CLUSTER_KUBECONFIG" apply -f kube-apiserver-pdb.yaml',
      );
      const restored = await waitFor(
        "the re-applied PDB to count three healthy API servers",
        async () => {
          const fields = await shell.ok(
            `kubectl --kubeconfig "$ADMIN_CLUSTER_KUBECONFIG" get pdb --namespace "$USER_CLUSTER_NAME" kube-apiserver-pdb -o jsonpath='{.spec.minAvailable} {.status.currentHealthy} {.status.disruptionsAllowed}'`,
          );
          return fields === "1 3 2" ? fields : undefined;
        },
      );
      expect(restored).toBe("1 3 2");
    });

    it("rolls out a restart of kube-etcd one member at a time, and the cluster is healthy after", async () => {
      const uidsBefore = await Promise.all(
        [0, 1, 2].map((memberNumber) =>
          podField("uc1", `kube-etcd-${memberNumber}`, "{.metadata.uid}"),
        ),
      );
      await shell.ok(
        'kubectl --kubeconfig "$ADMIN_CLUSTER_KUBECONFIG" rollout restart statefulset --namespace "$USER_CLUSTER_NAME" kube-etcd',
      );
      // Watch the members while the rollout runs: never more than one down at a time.
      let watching = true;
      let mostDown = 0;
      const watcher = (async () => {
        while (watching) {
          const listing = await shell.bash(
            `kubectl --kubeconfig "$ADMIN_CLUSTER_KUBECONFIG" get pods --namespace "$USER_CLUSTER_NAME" -l component=kube-etcd -o jsonpath='{range .items[*]}{.metadata.name} {.status.conditions[?(@.type=="Ready")].status} {.metadata.deletionTimestamp}{"\\n"}{end}'`,
          );
          const rows = listing.stdout.split("\n").map((row) => row.trim().split(/\s+/));
          // Up: Ready and not terminating (no deletionTimestamp column); a missing pod is down.
          const up = rows.filter((row) => row[1] === "True" && row.length === 2).length;
          mostDown = Math.max(mostDown, 3 - up);
        }
      })();
      await shell.ok(
        'kubectl --kubeconfig "$ADMIN_CLUSTER_KUBECONFIG" rollout status statefulset kube-etcd --namespace "$USER_CLUSTER_NAME" --timeout=240s',
      );
      watching = false;
      await watcher;
      expect(mostDown).toBeLessThanOrEqual(1);
      const uidsAfter = await Promise.all(
        [0, 1, 2].map((memberNumber) =>
          podField("uc1", `kube-etcd-${memberNumber}`, "{.metadata.uid}"),
        ),
      );
      uidsAfter.forEach((uid, index) => expect(uid).not.toBe(uidsBefore[index]));
      const health = await inMember("uc1", "kube-etcd-2", "endpoint health --cluster");
      expect(health.exitCode, health.stdout).toBe(0);
      expect(health.stdout.match(/is healthy/g)).toHaveLength(3);
      const read = await inMember(
        "uc1",
        "kube-etcd-1",
        "get /runbook-test/marker --print-value-only",
      );
      expect(read.stdout.trim()).toBe("kept-across-restarts");
    });

    it("scales the etcd StatefulSet of a user cluster to 0 and back, keeping its data", async () => {
      const put = await inMember("uc2", "kube-etcd-0", "put /runbook-test/uc2 still-here");
      expect(put.stdout.trim()).toBe("OK");
      await shell.ok(
        'kubectl --kubeconfig "$ADMIN_CLUSTER_KUBECONFIG" scale statefulset --replicas 0 --namespace uc2 kube-etcd',
      );
      await waitFor("uc2's kube-etcd-0 to be gone", async () => {
        const result = await shell.bash(
          'kubectl --kubeconfig "$ADMIN_CLUSTER_KUBECONFIG" get pod kube-etcd-0 --namespace uc2',
        );
        return result.stderr.includes("not found") ? true : undefined;
      });
      await shell.ok(
        'kubectl --kubeconfig "$ADMIN_CLUSTER_KUBECONFIG" scale statefulset --replicas 1 --namespace uc2 kube-etcd && ' +
          'kubectl --kubeconfig "$ADMIN_CLUSTER_KUBECONFIG" rollout status statefulset kube-etcd --namespace uc2 --timeout=180s',
      );
      const read = await inMember("uc2", "kube-etcd-0", "get /runbook-test/uc2 --print-value-only");
      expect(read.stdout.trim()).toBe("still-here");
    });
  },
);

describe(
  "admin cluster runbook (sections 4-5) with the real kubectl",
  { timeout: SLOW_MACHINE_MS },
  () => {
    it("finds the control-plane node's external IP and the etcd pod by its labels", async () => {
      const master = await shell.ok(
        'kubectl --kubeconfig "$ADMIN_CLUSTER_KUBECONFIG" get nodes -n kube-system -o wide | grep master',
      );
      const columns = master.trim().split(/\s+/);
      expect(columns[0]).toBe("admin-master");
      expect(columns[2]).toBe("control-plane");
      expect(columns[6]).toBe(
        sandbox.layout.nodes.find((node) => node.name === "admin-master")?.externalIP,
      );
      const etcdPod = await shell.ok(
        `kubectl --kubeconfig "$ADMIN_CLUSTER_KUBECONFIG" get pods -n kube-system -l component=etcd,tier=control-plane -ojsonpath='{.items[0].metadata.name}'`,
      );
      expect(etcdPod).toBe("etcd-admin-master");
      const health = await shell.bash(
        `kubectl --kubeconfig "$ADMIN_CLUSTER_KUBECONFIG" exec ${etcdPod} -n kube-system -- /bin/sh -ec '${ADMIN_ETCDCTL} endpoint health 2>&1'`,
      );
      expect(health.stdout).toContain("https://127.0.0.1:2379 is healthy");
    });

    it("keeps the admin etcd's data at /opt/data/var/lib/etcd on the node, mounted at /var/lib/etcd in its pod", async () => {
      const { etcdDataDir, etcdDataDirOnNode, etcdDataDirInPod, nodeRoot } = sandbox.layout.admin;
      expect(etcdDataDirOnNode).toBe("/opt/data/var/lib/etcd");
      expect(etcdDataDirInPod).toBe("/var/lib/etcd");
      expect(etcdDataDir).toBe(join(nodeRoot, "opt/data/var/lib/etcd"));
      const spec = JSON.parse(
        await shell.ok(
          `kubectl --kubeconfig "$ADMIN_CLUSTER_KUBECONFIG" get pod etcd-admin-master -n kube-system -o jsonpath='{.spec}'`,
        ),
      ) as {
        containers: Array<{
          command: string[];
          volumeMounts: Array<{ name: string; mountPath: string }>;
        }>;
        volumes: Array<{ name: string; hostPath?: { path: string } }>;
      };
      expect(spec.containers[0]?.command).toContain("--data-dir=/var/lib/etcd");
      expect(spec.containers[0]?.volumeMounts).toContainEqual({
        name: "etcd-data",
        mountPath: "/var/lib/etcd",
      });
      expect(spec.volumes.find((volume) => volume.name === "etcd-data")?.hostPath?.path).toBe(
        "/opt/data/var/lib/etcd",
      );
      // A file put in the node's folder is what the container sees in its data dir.
      const marker = `marker-${randomBytes(4).toString("hex")}`;
      await writeFile(join(etcdDataDir, marker), "");
      try {
        const listing = await shell.ok(
          `kubectl --kubeconfig "$ADMIN_CLUSTER_KUBECONFIG" exec etcd-admin-master -n kube-system -- ls /var/lib/etcd /var/lib/etcd/member`,
        );
        expect(listing).toContain(marker);
        expect(listing).toContain("snap");
        expect(listing).toContain("wal");
      } finally {
        await rm(join(etcdDataDir, marker), { force: true });
      }
      // Nothing of etcd's under the node's own /var/lib/etcd.
      expect(existsSync(join(nodeRoot, "var/lib/etcd"))).toBe(false);
    });

    it("keeps the node's SSH key in secret sshkeys, field vsphere_tmp, matching the node's authorized_keys", async () => {
      await shell.ok(
        `kubectl --kubeconfig "$ADMIN_CLUSTER_KUBECONFIG" get secrets sshkeys -n kube-system -o jsonpath='{.data.vsphere_tmp}' | base64 -d > vsphere_tmp && chmod 600 vsphere_tmp`,
      );
      const derivedPublicKey = (
        await shell.ok("ssh-keygen -y -f vsphere_tmp && rm vsphere_tmp")
      ).trim();
      const authorized = await readFile(
        join(sandbox.layout.admin.nodeRoot, "home/ubuntu/.ssh/authorized_keys"),
        "utf8",
      );
      expect(derivedPublicKey).toMatch(/^ssh-ed25519 /);
      expect(authorized).toContain(derivedPublicKey.split(" ")[1]);
    });

    it("refuses API connections while the etcd manifest is moved out, and answers again once it is back", async () => {
      expect(sandbox.layout.admin.apiDependsOnControlPlane).toBe(true);
      const before = await podField(
        "kube-system",
        "kube-apiserver-admin-master",
        "{.status.containerStatuses[0].restartCount}",
      );
      await moveManifestOut("etcd.yaml");
      try {
        await waitForApiRefused();
      } finally {
        await moveManifestBack("etcd.yaml");
      }
      await waitForAdminControlPlane();
      const health = await waitFor("the admin etcd to answer endpoint health", async () => {
        const result = await shell.bash(
          `kubectl --kubeconfig "$ADMIN_CLUSTER_KUBECONFIG" exec etcd-admin-master -n kube-system -- /bin/sh -ec '${ADMIN_ETCDCTL} endpoint health 2>&1'`,
        );
        return result.exitCode === 0 ? result.stdout : undefined;
      });
      expect(health).toContain("is healthy");
      // The stand-in kube-apiserver kept running: not Ready without its etcd, never restarted.
      expect(
        await podField(
          "kube-system",
          "kube-apiserver-admin-master",
          "{.status.containerStatuses[0].restartCount}",
        ),
      ).toBe(before);
    });

    it("refuses API connections while the kube-apiserver manifest is moved out, and answers again once it is back", async () => {
      const etcdStarted = await podField("kube-system", "etcd-admin-master", "{.status.startTime}");
      await moveManifestOut("kube-apiserver.yaml");
      try {
        await waitForApiRefused();
      } finally {
        await moveManifestBack("kube-apiserver.yaml");
      }
      await waitForAdminControlPlane();
      // The kubelet kept the etcd static pod running all along.
      expect(await podField("kube-system", "etcd-admin-master", "{.status.startTime}")).toBe(
        etcdStarted,
      );
      expect(
        await podField(
          "kube-system",
          "etcd-admin-master",
          "{.status.containerStatuses[0].restartCount}",
        ),
      ).toBe("0");
    });

    it("refuses a request with a wrong token", async () => {
      const result = await shell.bash(
        'kubectl --kubeconfig "$ADMIN_CLUSTER_KUBECONFIG" --token not-the-sandbox-token get pods --namespace "$USER_CLUSTER_NAME"',
      );
      expect(result.exitCode).not.toBe(0);
      expect(result.stderr).toMatch(/Unauthorized|must be logged in/);
    });
  },
);

describe(
  "the same operations through @kubernetes/client-node",
  { timeout: SLOW_MACHINE_MS },
  () => {
    let config: KubeConfig;
    beforeAll(() => {
      config = new KubeConfig();
      config.loadFromString(sandbox.kubeconfig);
    });

    it("lists the members, execs etcdctl in one, scales and patches, and saves, deletes and recreates the PDB", async () => {
      const core = config.makeApiClient(CoreV1Api);
      const apps = config.makeApiClient(AppsV1Api);
      const policy = config.makeApiClient(PolicyV1Api);

      const members = await core.listNamespacedPod({
        namespace: "uc1",
        labelSelector: "component=kube-etcd",
      });
      expect(members.items.map((pod) => pod.metadata?.name)).toEqual([
        "kube-etcd-0",
        "kube-etcd-1",
        "kube-etcd-2",
      ]);

      const output = new PassThrough();
      let text = "";
      output.on("data", (chunk: Buffer) => (text += chunk.toString()));
      const status = await new Promise<V1Status>((resolve, reject) => {
        new Exec(config)
          .exec(
            "uc1",
            "kube-etcd-2",
            "kube-etcd",
            ["/bin/sh", "-ec", `${USER_ETCDCTL} endpoint health 2>&1`],
            output,
            output,
            null,
            false,
            resolve,
          )
          .catch(reject);
      });
      expect(status.status).toBe("Success");
      expect(text).toContain("https://127.0.0.1:2379 is healthy");

      const saved: V1PodDisruptionBudget = await policy.readNamespacedPodDisruptionBudget({
        name: "kube-apiserver-pdb",
        namespace: "uc1",
      });
      await policy.deleteNamespacedPodDisruptionBudget({
        name: "kube-apiserver-pdb",
        namespace: "uc1",
      });
      await apps.patchNamespacedStatefulSetScale(
        { name: "kube-apiserver", namespace: "uc1", body: { spec: { replicas: 0 } } },
        setHeaderOptions("Content-Type", PatchStrategy.MergePatch),
      );
      await waitFor("kube-apiserver to be scaled to 0", async () => {
        const pods = await core.listNamespacedPod({
          namespace: "uc1",
          labelSelector: "component=kube-apiserver",
        });
        return pods.items.length === 0 ? true : undefined;
      });
      await apps.patchNamespacedStatefulSetScale(
        { name: "kube-apiserver", namespace: "uc1", body: { spec: { replicas: 3 } } },
        setHeaderOptions("Content-Type", PatchStrategy.MergePatch),
      );
      await waitFor("kube-apiserver to have 3 ready replicas", async () => {
        const set = await apps.readNamespacedStatefulSet({
          name: "kube-apiserver",
          namespace: "uc1",
        });
        return set.status?.readyReplicas === 3 ? true : undefined;
      });

      const patched = await apps.patchNamespacedDeployment(
        {
          name: "gke-master-etcd-maintenance",
          namespace: "uc1",
          body: { metadata: { labels: { "backup.example.com/paused": "false" } } },
        },
        setHeaderOptions("Content-Type", PatchStrategy.MergePatch),
      );
      expect(patched.metadata?.labels).toMatchObject({ "backup.example.com/paused": "false" });

      const recreated = await policy.createNamespacedPodDisruptionBudget({
        namespace: "uc1",
        body: {
          apiVersion: "policy/v1",
          kind: "PodDisruptionBudget",
          metadata: {
            name: "kube-apiserver-pdb",
            namespace: "uc1",
            labels: saved.metadata?.labels ?? {},
          },
          spec: saved.spec ?? {},
        },
      });
      expect(recreated.spec?.minAvailable).toBe(1);
      const reread = await waitFor("the recreated PDB's status", async () => {
        const pdb = await policy.readNamespacedPodDisruptionBudget({
          name: "kube-apiserver-pdb",
          namespace: "uc1",
        });
        return pdb.status?.currentHealthy === 3 ? pdb : undefined;
      });
      expect(reread.status?.disruptionsAllowed).toBe(2);
    });
  },
);

describe("a member whose data is corrupt", { timeout: SLOW_MACHINE_MS }, () => {
  it("crash-loops and shows CrashLoopBackOff", async () => {
    const member = sandbox.layout.userClusters.find((c) => c.name === "uc2")?.members[0];
    if (!member) throw new Error("uc2 has no member in the layout");
    // What a failed disk does: the bolt database's meta pages overwritten with noise.
    await shell.ok('dd if=/dev/urandom of="$DB" bs=4096 count=4 conv=notrunc status=none', {
      DB: join(member.pvcPath, "member/snap/db"),
    });
    await shell.ok(
      'kubectl --kubeconfig "$ADMIN_CLUSTER_KUBECONFIG" delete pod kube-etcd-0 --namespace uc2',
    );
    // Once it has crashed and been restarted: STATUS CrashLoopBackOff, RESTARTS at least 1.
    const columns = await waitFor(
      "kube-etcd-0 in uc2 to show CrashLoopBackOff after a restart",
      async () => {
        const listing = await shell.bash(
          'kubectl --kubeconfig "$ADMIN_CLUSTER_KUBECONFIG" get pods --namespace uc2 | grep kube-etcd-0',
        );
        const row = listing.stdout.trim().split(/\s+/);
        return row[2] === "CrashLoopBackOff" && Number(row[3]) >= 1 ? row : undefined;
      },
      180_000,
      500,
    );
    expect(columns[1]).toBe("0/1");
  });
});
