/**
 * The sandbox API server driven by the real kubectl, with the runbook's commands.
 */
import { spawn } from "node:child_process";
import { readFile, writeFile } from "node:fs/promises";
import { request } from "node:https";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { stringify } from "yaml";
import { writeKubeconfig } from "../sandbox/apiserver/index.ts";
import type { KubeObject } from "../sandbox/store.ts";
import { namespace, pod, startTestCluster, type TestCluster } from "./harness.ts";

let cluster: TestCluster;

beforeAll(async () => {
  cluster = await startTestCluster();
});
afterAll(async () => {
  await cluster?.stop();
});

type Loose = Record<string, unknown>;
const spec = (object: KubeObject) => object.spec as Loose;

async function kubectlOk(args: string[], input?: string): Promise<string> {
  const result = await cluster.kubectl(args, input === undefined ? {} : { input });
  if (result.code !== 0)
    throw new Error(`kubectl ${args.join(" ")} exited ${result.code}: ${result.stderr}`);
  // kubectl warns on stderr about what it finds odd in a server (discovery, OpenAPI, ...).
  expect(result.stderr).toBe("");
  return result.stdout;
}

/** The table kubectl prints, as rows of whitespace-separated cells keyed by header. */
function parseTable(output: string): Array<Record<string, string>> {
  const lines = output.trimEnd().split("\n");
  const header = lines[0] ?? "";
  const starts = [...header.matchAll(/\S+(?: \S+)*/g)].map((match) => ({
    name: match[0],
    at: match.index ?? 0,
  }));
  return lines.slice(1).map((line) => {
    const row: Record<string, string> = {};
    starts.forEach((column, index) => {
      const end = starts[index + 1]?.at ?? line.length;
      row[column.name] = line.slice(column.at, end).trim();
    });
    return row;
  });
}

async function waitFor<T>(
  check: () => T | undefined,
  what: string,
  timeoutMs = 10_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const value = check();
    if (value !== undefined && value !== false) return value;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error(`timed out waiting for ${what}`);
}

describe("kubectl get", () => {
  it("shows the etcd members with the columns and values of get pods -o wide", async () => {
    const output = await kubectlOk(["get", "pods", "-n", "uc1", "-o", "wide"]);
    expect(output.split("\n")[0]).toMatch(
      /^NAME\s+READY\s+STATUS\s+RESTARTS\s+AGE\s+IP\s+NODE\s+NOMINATED NODE\s+READINESS GATES$/,
    );
    const members = parseTable(output).filter((row) => row.NAME?.startsWith("kube-etcd"));
    expect(
      members.map((row) => [row.NAME, row.READY, row.STATUS, row.RESTARTS, row.IP, row.NODE]),
    ).toEqual([
      ["kube-etcd-0", "1/1", "Running", "0", "10.244.0.10", "admin-node-0"],
      ["kube-etcd-1", "1/1", "Running", "0", "10.244.0.11", "admin-node-1"],
      ["kube-etcd-2", "1/1", "Running", "0", "10.244.0.12", "admin-node-2"],
    ]);
    expect(members[0]?.AGE).toMatch(/^\d+s$/);
  });

  it("computes STATUS, READY and RESTARTS as kubectl's printer does", async () => {
    const store = cluster.store;
    store.create("namespaces", namespace("status-cases"));
    store.create(
      "pods",
      pod({
        namespace: "status-cases",
        name: "crashing",
        node: "admin-node-0",
        state: "crashloop",
        restarts: 4,
      }),
    );
    store.create(
      "pods",
      pod({
        namespace: "status-cases",
        name: "unknown-image",
        node: "admin-node-0",
        state: "imagepull",
      }),
    );
    store.create(
      "pods",
      pod({
        namespace: "status-cases",
        name: "two-containers",
        node: "admin-node-1",
        containers: ["a", "b"],
      }),
    );
    const unscheduled = pod({ namespace: "status-cases", name: "unscheduled", state: "creating" });
    (unscheduled.status as Loose).containerStatuses = undefined;
    store.create("pods", unscheduled);
    store.create(
      "pods",
      pod({ namespace: "status-cases", name: "stopping", node: "admin-node-1" }),
    );
    store.mutate("pods", "status-cases", "stopping", (object) => {
      object.metadata.deletionTimestamp = new Date().toISOString();
    });

    const rows = parseTable(await kubectlOk(["get", "pods", "-n", "status-cases", "-o", "wide"]));
    const byName = Object.fromEntries(rows.map((row) => [row.NAME, row]));
    expect(byName.crashing).toMatchObject({
      READY: "0/1",
      STATUS: "CrashLoopBackOff",
      RESTARTS: "4 (20m ago)",
    });
    expect(byName["unknown-image"]).toMatchObject({
      READY: "0/1",
      STATUS: "ImagePullBackOff",
      RESTARTS: "0",
    });
    expect(byName["two-containers"]).toMatchObject({ READY: "2/2", STATUS: "Running" });
    expect(byName.unscheduled).toMatchObject({
      READY: "0/1",
      STATUS: "Pending",
      IP: "<none>",
      NODE: "<none>",
    });
    expect(byName.stopping).toMatchObject({ STATUS: "Terminating" });
  });

  it("shows the control-plane node's role and external IP in get nodes -o wide", async () => {
    const rows = parseTable(await kubectlOk(["get", "nodes", "-o", "wide"]));
    expect(rows.find((row) => row.NAME === "admin-master")).toMatchObject({
      STATUS: "Ready",
      ROLES: "control-plane",
      "INTERNAL-IP": "10.200.0.2",
      "EXTERNAL-IP": "203.0.113.10",
    });
    expect(rows.find((row) => row.NAME === "admin-node-1")).toMatchObject({
      ROLES: "<none>",
      "EXTERNAL-IP": "<none>",
    });
  });

  it("prints the columns of statefulsets, deployments and PDBs, found by their short names", async () => {
    const sets = parseTable(await kubectlOk(["get", "sts", "-n", "uc1"]));
    expect(sets.find((row) => row.NAME === "kube-etcd")).toMatchObject({ READY: "3/3" });
    const deployments = parseTable(await kubectlOk(["get", "deploy", "-n", "uc1"]));
    expect(deployments[0]).toMatchObject({
      NAME: "gke-master-etcd-maintenance",
      READY: "1/1",
      "UP-TO-DATE": "1",
      AVAILABLE: "1",
    });
    const budgets = parseTable(await kubectlOk(["get", "pdb", "-n", "uc1"]));
    expect(budgets[0]).toMatchObject({
      NAME: "kube-apiserver-pdb",
      "MIN AVAILABLE": "2",
      "MAX UNAVAILABLE": "N/A",
      "ALLOWED DISRUPTIONS": "1",
    });
  });

  it("finds the admin etcd pod by its control-plane labels with jsonpath, as the runbook does", async () => {
    const output = await kubectlOk([
      "get",
      "pods",
      "-n",
      "kube-system",
      "-l",
      "component=etcd,tier=control-plane",
      "-ojsonpath={.items[*].metadata.name}",
    ]);
    expect(output).toBe("etcd-admin-master");
  });

  it("selects by set-based labels and by node with a field selector", async () => {
    const inSet = await kubectlOk([
      "get",
      "pods",
      "-A",
      "-l",
      "component in (etcd,kube-apiserver),tier",
      "-o",
      "name",
    ]);
    expect(inSet.trim().split("\n")).toEqual([
      "pod/etcd-admin-master",
      "pod/kube-apiserver-admin-master",
    ]);
    const notEtcd = await kubectlOk([
      "get",
      "pods",
      "-n",
      "kube-system",
      "-l",
      "component!=etcd",
      "-o",
      "name",
    ]);
    expect(notEtcd.trim()).toBe("pod/kube-apiserver-admin-master");
    const onNode = await kubectlOk([
      "get",
      "pods",
      "-A",
      "--field-selector",
      "spec.nodeName=admin-node-1,metadata.namespace=uc1",
      "-o",
      "name",
    ]);
    expect(onNode.trim()).toBe("pod/kube-etcd-1");
  });

  it("returns objects with kind and apiVersion for -o yaml and -o json", async () => {
    const budget = JSON.parse(
      await kubectlOk(["get", "pdb", "kube-apiserver-pdb", "-n", "uc1", "-o", "json"]),
    ) as KubeObject;
    expect(budget).toMatchObject({
      apiVersion: "policy/v1",
      kind: "PodDisruptionBudget",
      spec: { minAvailable: 2 },
    });
    const yaml = await kubectlOk(["get", "sts", "kube-etcd", "-n", "uc1", "-o", "yaml"]);
    expect(yaml).toMatch(/^apiVersion: apps\/v1\nkind: StatefulSet\n/);
  });

  it("reports a missing object as kubectl does for a real NotFound", async () => {
    const result = await cluster.kubectl(["get", "pdb", "no-such-pdb", "-n", "uc1"]);
    expect(result.code).toBe(1);
    expect(result.stderr.trim()).toBe(
      'Error from server (NotFound): poddisruptionbudgets.policy "no-such-pdb" not found',
    );
  });
});

const utilityPodManifest = (name: string, node: string) => ({
  apiVersion: "v1",
  kind: "Pod",
  metadata: { name, namespace: "uc1" },
  spec: {
    containers: [
      {
        name: "etcd-utility",
        image: "gcr.io/gke-on-prem-release/etcd-util:1.32.400-gke.1",
        command: ["/bin/sh", "-ec", "while :; do echo '.'; sleep 5 ; done"],
        volumeMounts: [
          { mountPath: "/var/lib/etcd", name: "data" },
          { mountPath: "/etcd.local.config/certificates", name: "etcd-certs" },
        ],
      },
    ],
    nodeSelector: {
      "kubernetes.googleapis.com/cluster-name": "uc1",
      "kubernetes.io/hostname": node,
    },
    tolerations: [
      {
        effect: "NoExecute",
        key: "node.kubernetes.io/not-ready",
        operator: "Exists",
        tolerationSeconds: 300,
      },
      {
        effect: "NoExecute",
        key: "node.kubernetes.io/unreachable",
        operator: "Exists",
        tolerationSeconds: 300,
      },
      { effect: "NoSchedule", key: "node.kubernetes.io/unschedulable", operator: "Exists" },
    ],
    volumes: [
      { name: "data", persistentVolumeClaim: { claimName: "data-kube-etcd-0" } },
      { name: "etcd-certs", secret: { defaultMode: 420, secretName: "kube-etcd-certs" } },
    ],
  },
});

describe("kubectl create, apply, scale, rollout restart, delete", () => {
  it("creates the runbook's etcd-utility pod with create -f and server-side validation", async () => {
    const file = join(cluster.dir, "etcd-utility-0.yaml");
    await writeFile(file, stringify(utilityPodManifest("etcd-utility-0", "admin-node-0")));
    expect(await kubectlOk(["create", "-f", file])).toBe("pod/etcd-utility-0 created\n");
    const stored = cluster.store.require("pods", "uc1", "etcd-utility-0");
    expect(spec(stored).nodeSelector).toEqual({
      "kubernetes.googleapis.com/cluster-name": "uc1",
      "kubernetes.io/hostname": "admin-node-0",
    });
    expect(stored.status).toMatchObject({ phase: "Pending" });
    expect(spec(stored).restartPolicy).toBe("Always");

    const again = await cluster.kubectl(["create", "-f", file]);
    expect(again.code).toBe(1);
    expect(again.stderr.trim()).toBe(
      'Error from server (AlreadyExists): error when creating "' +
        file +
        '": pods "etcd-utility-0" already exists',
    );
  });

  it("refuses a pod without containers with a 422 Invalid Status", async () => {
    const unknown = join(cluster.dir, "no-containers.yaml");
    await writeFile(
      unknown,
      stringify({
        apiVersion: "v1",
        kind: "Pod",
        metadata: { name: "no-containers", namespace: "uc1" },
        spec: {},
      }),
    );
    const result = await cluster.kubectl(["create", "-f", unknown]);
    expect(result.code).toBe(1);
    expect(result.stderr).toContain(
      'Pod "no-containers" is invalid: spec.containers: Required value',
    );
  });

  it("applies a manifest, then applies a change as a three-way strategic merge patch", async () => {
    const file = join(cluster.dir, "tools.yaml");
    const manifest = {
      apiVersion: "apps/v1",
      kind: "Deployment",
      metadata: { name: "tools", namespace: "uc1", labels: { app: "tools", tier: "debug" } },
      spec: {
        replicas: 1,
        selector: { matchLabels: { app: "tools" } },
        template: {
          metadata: { labels: { app: "tools" } },
          spec: {
            containers: [
              {
                name: "shell",
                image: "busybox:1.36",
                env: [
                  { name: "A", value: "1" },
                  { name: "B", value: "2" },
                ],
              },
              { name: "sidecar", image: "busybox:1.36" },
            ],
          },
        },
      },
    };
    await writeFile(file, stringify(manifest));
    expect(await kubectlOk(["apply", "-f", file])).toBe("deployment.apps/tools created\n");
    const created = cluster.store.require("deployments.apps", "uc1", "tools");
    expect(
      created.metadata.annotations?.["kubectl.kubernetes.io/last-applied-configuration"],
    ).toContain('"name":"tools"');

    // A controller writes status and another client adds an annotation: apply must keep both.
    cluster.store.mutate("deployments.apps", "uc1", "tools", (object) => {
      object.status = { replicas: 1, readyReplicas: 1 };
      object.metadata.annotations = {
        ...object.metadata.annotations,
        "example.com/owner": "night-shift",
      };
    });
    const shell = manifest.spec.template.spec.containers[0]!;
    shell.image = "busybox:1.37";
    shell.env = [{ name: "B", value: "3" }];
    manifest.spec.replicas = 2;
    delete (manifest.metadata.labels as Record<string, string>).tier;
    await writeFile(file, stringify(manifest));
    expect(await kubectlOk(["apply", "-f", file])).toBe("deployment.apps/tools configured\n");

    const updated = cluster.store.require("deployments.apps", "uc1", "tools");
    const containers = ((spec(updated).template as Loose).spec as Loose).containers as Loose[];
    expect(containers.map((c) => [c.name, c.image])).toEqual([
      ["shell", "busybox:1.37"],
      ["sidecar", "busybox:1.36"],
    ]);
    expect(containers[0]?.env).toEqual([{ name: "B", value: "3" }]);
    expect(spec(updated).replicas).toBe(2);
    expect(updated.metadata.labels).toEqual({ app: "tools" });
    expect(updated.metadata.annotations?.["example.com/owner"]).toBe("night-shift");
    expect(updated.status).toEqual({ replicas: 1, readyReplicas: 1 });
    expect(await kubectlOk(["apply", "-f", file])).toBe("deployment.apps/tools unchanged\n");
  });

  it("scales a statefulset to 0 through the scale subresource and back", async () => {
    expect(
      await kubectlOk(["scale", "sts", "kube-apiserver", "-n", "uc1", "--replicas", "0"]),
    ).toBe("statefulset.apps/kube-apiserver scaled\n");
    expect(spec(cluster.store.require("statefulsets.apps", "uc1", "kube-apiserver")).replicas).toBe(
      0,
    );
    expect(
      await kubectlOk([
        "scale",
        "deployment",
        "gke-master-etcd-maintenance",
        "-n",
        "uc1",
        "--replicas=0",
      ]),
    ).toBe("deployment.apps/gke-master-etcd-maintenance scaled\n");
    expect(
      spec(cluster.store.require("deployments.apps", "uc1", "gke-master-etcd-maintenance"))
        .replicas,
    ).toBe(0);
    await kubectlOk(["scale", "sts", "kube-apiserver", "-n", "uc1", "--replicas", "3"]);
    expect(spec(cluster.store.require("statefulsets.apps", "uc1", "kube-apiserver")).replicas).toBe(
      3,
    );
  });

  it("puts the restartedAt annotation into the pod template on rollout restart", async () => {
    const before = cluster.store.require("statefulsets.apps", "uc1", "kube-etcd");
    expect(await kubectlOk(["rollout", "restart", "statefulset", "kube-etcd", "-n", "uc1"])).toBe(
      "statefulset.apps/kube-etcd restarted\n",
    );
    const after = cluster.store.require("statefulsets.apps", "uc1", "kube-etcd");
    const template = spec(after).template as {
      metadata: { annotations?: Record<string, string> };
      spec: Loose;
    };
    expect(
      Date.parse(template.metadata.annotations?.["kubectl.kubernetes.io/restartedAt"] ?? ""),
    ).toBeGreaterThan(Date.now() - 60_000);
    expect(template.spec.containers).toEqual(
      (spec(before).template as Loose & { spec: Loose }).spec.containers,
    );
    expect(after.metadata.generation).toBe((before.metadata.generation ?? 0) + 1);
  });

  it("saves a PDB with get -o yaml, deletes it and recreates it with apply -f", async () => {
    const saved = await kubectlOk(["get", "pdb", "kube-apiserver-pdb", "-n", "uc1", "-o", "yaml"]);
    const file = join(cluster.dir, "kube-apiserver-pdb.yaml");
    await writeFile(file, saved);
    const original = cluster.store.require(
      "poddisruptionbudgets.policy",
      "uc1",
      "kube-apiserver-pdb",
    );

    expect(await kubectlOk(["delete", "pdb", "kube-apiserver-pdb", "-n", "uc1"])).toBe(
      'poddisruptionbudget.policy "kube-apiserver-pdb" deleted\n',
    );
    expect(
      cluster.store.get("poddisruptionbudgets.policy", "uc1", "kube-apiserver-pdb"),
    ).toBeUndefined();

    expect(await kubectlOk(["apply", "-f", file])).toBe(
      "poddisruptionbudget.policy/kube-apiserver-pdb created\n",
    );
    const restored = cluster.store.require(
      "poddisruptionbudgets.policy",
      "uc1",
      "kube-apiserver-pdb",
    );
    expect(restored.spec).toEqual(original.spec);
    expect(restored.metadata.uid).not.toBe(original.metadata.uid);
    expect(await readFile(file, "utf8")).toContain("minAvailable: 2");
  });

  it("deletes a pod gracefully and returns once the kubelet has removed it", async () => {
    const deletion = cluster.kubectl(["delete", "pod", "kube-etcd-2", "-n", "uc1"]);
    const marked = await waitFor(
      () => cluster.store.get("pods", "uc1", "kube-etcd-2")?.metadata.deletionTimestamp,
      "deletionTimestamp",
    );
    expect(Date.parse(marked)).toBeGreaterThan(Date.now() - 60_000);
    const rows = parseTable(await kubectlOk(["get", "pods", "-n", "uc1", "kube-etcd-2"]));
    expect(rows[0]?.STATUS).toBe("Terminating");
    // The kubelet's part: stop the containers, then remove the object.
    cluster.store.delete("pods", "uc1", "kube-etcd-2");
    const result = await deletion;
    expect(result.code).toBe(0);
    expect(result.stdout).toBe('pod "kube-etcd-2" deleted\n');
  });

  it("streams changes to kubectl get pods -w", async () => {
    const watcher = spawn(
      "kubectl",
      [
        "--kubeconfig",
        cluster.kubeconfigPath,
        "--cache-dir",
        join(cluster.dir, "kube-cache"),
        "get",
        "pods",
        "-n",
        "uc1",
        "-w",
      ],
      { stdio: ["ignore", "pipe", "pipe"] },
    );
    let output = "";
    watcher.stdout.on("data", (chunk: Buffer) => (output += chunk.toString()));
    try {
      await waitFor(() => output.includes("kube-etcd-0"), "the initial list");
      cluster.store.create(
        "pods",
        pod({
          namespace: "uc1",
          name: "watched-newcomer",
          node: "admin-node-1",
          state: "creating",
        }),
      );
      const line = await waitFor(
        () => output.split("\n").find((l) => l.startsWith("watched-newcomer")),
        "the new pod in the watch",
      );
      expect(line).toMatch(/^watched-newcomer\s+0\/1\s+ContainerCreating\s+0\s+\d+s$/);
    } finally {
      watcher.kill("SIGKILL");
    }
  });
});

describe("authentication", () => {
  it("refuses kubectl with a wrong token", async () => {
    const kubeconfigPath = await writeKubeconfig(join(cluster.dir, "wrong.kubeconfig"), {
      url: cluster.server.url,
      caPath: cluster.caPath,
      token: "not-the-token",
    });
    const result = await cluster.kubectl(["get", "pods", "-n", "uc1"], { kubeconfigPath });
    expect(result.code).toBe(1);
    expect(result.stderr).toContain("error: You must be logged in to the server (Unauthorized)");
  });

  it("answers a request without a token with a 401 Status", async () => {
    const ca = await readFile(cluster.caPath);
    const { status, body } = await new Promise<{ status: number; body: string }>(
      (resolve, reject) => {
        const req = request(
          `${cluster.server.url}/api/v1/namespaces/uc1/secrets`,
          { ca },
          (response) => {
            let body = "";
            response.on("data", (chunk: Buffer) => (body += chunk.toString()));
            response.on("end", () => resolve({ status: response.statusCode ?? 0, body }));
          },
        );
        req.on("error", reject);
        req.end();
      },
    );
    expect(status).toBe(401);
    expect(JSON.parse(body)).toEqual({
      kind: "Status",
      apiVersion: "v1",
      metadata: {},
      status: "Failure",
      message: "Unauthorized",
      reason: "Unauthorized",
      code: 401,
    });
  });
});
