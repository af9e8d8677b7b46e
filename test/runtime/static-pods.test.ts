import { existsSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";

import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { stringify } from "yaml";

import { runCommand } from "../sandbox/runtime/commands.ts";
import type { Fixture } from "./fixtures.ts";
import { ETCD_IMAGE, execIn, startFixture, statusOf, waitFor, waitForReady } from "./fixtures.ts";

const MIRROR = "etcd-admin-master";
let fixture: Fixture;
let manifestsDir: string;
let parkedDir: string;

/** kubeadm's etcd static pod at sandbox scale: host network, data and certs from hostPath. */
const etcdManifest = (extraAnnotation?: string) => ({
  apiVersion: "v1",
  kind: "Pod",
  metadata: {
    name: "etcd",
    namespace: "kube-system",
    labels: { component: "etcd", tier: "control-plane" },
    ...(extraAnnotation ? { annotations: { "sandbox/revision": extraAnnotation } } : {}),
  },
  spec: {
    hostNetwork: true,
    containers: [
      {
        name: "etcd",
        image: ETCD_IMAGE,
        command: [
          "etcd",
          "--name=admin-master",
          "--data-dir=/var/lib/etcd",
          "--listen-client-urls=http://127.0.0.1:2379",
          "--advertise-client-urls=http://127.0.0.1:2379",
          "--listen-peer-urls=http://127.0.0.1:2380",
        ],
        volumeMounts: [{ name: "etcd-data", mountPath: "/var/lib/etcd" }],
        readinessProbe: {
          exec: { command: ["etcdctl", "--endpoints=http://127.0.0.1:2379", "endpoint", "health"] },
        },
      },
    ],
    volumes: [
      { name: "etcd-data", hostPath: { path: "/var/lib/etcd", type: "DirectoryOrCreate" } },
    ],
  },
});

beforeAll(async () => {
  fixture = await startFixture([
    { name: "admin-master", controlPlane: true },
    { name: "admin-node-0" },
  ]);
  manifestsDir = fixture.runtime.nodes[0]?.manifestsDir ?? "";
  parkedDir = join(fixture.dir, "parked");
  mkdirSync(parkedDir);
});

afterAll(async () => {
  await fixture?.runtime.stop();
  if (fixture) rmSync(fixture.dir, { recursive: true, force: true });
});

/** The etcd manifest in place and its mirror pod Ready, so each test can stand alone. */
async function etcdRunning() {
  const manifest = join(manifestsDir, "etcd.yaml");
  if (!existsSync(manifest)) writeFileSync(manifest, stringify(etcdManifest()));
  return waitForReady(fixture.store, "kube-system", MIRROR);
}

/** etcd of the node answering on the node's loopback, asked from the node namespace. */
async function nodeEtcdHealthy(): Promise<boolean> {
  const master = fixture.runtime.nodes[0];
  const health = await runCommand(
    "nsenter",
    [
      `--net=${master?.netnsPath}`,
      "etcdctl",
      "--endpoints=http://127.0.0.1:2379",
      "--dial-timeout=1s",
      "--command-timeout=1s",
      "endpoint",
      "health",
    ],
    { allowFailure: true },
  );
  return health.exitCode === 0;
}

describe("static pods on the control-plane node", () => {
  it("runs a manifest from the manifests folder as a mirror pod on the node's network", async () => {
    expect(manifestsDir).toBe(join(fixture.dir, "nodes/admin-master/etc/kubernetes/manifests"));
    writeFileSync(join(manifestsDir, "etcd.yaml"), stringify(etcdManifest()));
    const status = await waitForReady(fixture.store, "kube-system", MIRROR);
    const mirror = fixture.store.require("pods", "kube-system", MIRROR);
    expect(mirror.metadata.labels).toEqual({ component: "etcd", tier: "control-plane" });
    expect(mirror.metadata.annotations?.["kubernetes.io/config.source"]).toBe("file");
    expect(mirror.metadata.annotations?.["kubernetes.io/config.mirror"]).toMatch(/^[0-9a-f]{32}$/);
    expect((mirror.spec as { nodeName: string }).nodeName).toBe("admin-master");
    // hostNetwork: the pod's address is the node's.
    expect(status.podIP).toBe(fixture.runtime.nodes[0]?.ip);
    const put = await execIn(fixture.runtime, "kube-system", MIRROR, [
      "etcdctl",
      "--endpoints=http://127.0.0.1:2379",
      "put",
      "/registry/ok",
      "kept",
    ]);
    expect(put.exitCode).toBe(0);
    // Its data is the node's /var/lib/etcd.
    expect(existsSync(join(fixture.dir, "nodes/admin-master/var/lib/etcd/member"))).toBe(true);
  });

  it("stops the pod when its manifest is moved out and starts it again when it comes back", async () => {
    await etcdRunning();
    expect(await nodeEtcdHealthy()).toBe(true);
    const etcdctl = ["etcdctl", "--endpoints=http://127.0.0.1:2379"];
    await execIn(fixture.runtime, "kube-system", MIRROR, [
      ...etcdctl,
      "put",
      "/registry/survives",
      "yes",
    ]);
    renameSync(join(manifestsDir, "etcd.yaml"), join(parkedDir, "etcd.yaml"));
    await waitFor(
      "the mirror pod to go",
      () => !fixture.store.get("pods", "kube-system", MIRROR),
      15_000,
    );
    expect(await nodeEtcdHealthy()).toBe(false);

    renameSync(join(parkedDir, "etcd.yaml"), join(manifestsDir, "etcd.yaml"));
    await waitForReady(fixture.store, "kube-system", MIRROR);
    expect(await nodeEtcdHealthy()).toBe(true);
    const get = await execIn(fixture.runtime, "kube-system", MIRROR, [
      ...etcdctl,
      "get",
      "/registry/survives",
      "--print-value-only",
    ]);
    expect(get.stdout).toBe("yes\n");
  });

  it("replaces the pod when its manifest changes", async () => {
    await etcdRunning();
    const before = fixture.store.require("pods", "kube-system", MIRROR);
    writeFileSync(join(manifestsDir, "etcd.yaml"), stringify(etcdManifest("2")));
    const replaced = await waitFor(
      "a new mirror pod",
      () => {
        const current = fixture.store.get("pods", "kube-system", MIRROR);
        return current && current.metadata.uid !== before.metadata.uid && current;
      },
      15_000,
    );
    expect(replaced.metadata.annotations?.["sandbox/revision"]).toBe("2");
    await waitForReady(fixture.store, "kube-system", MIRROR);
    expect(
      statusOf(fixture.store, "kube-system", MIRROR)?.containerStatuses?.[0]?.restartCount,
    ).toBe(0);
  });

  it("warns about a manifest it cannot read and runs nothing for it", async () => {
    await etcdRunning();
    writeFileSync(join(manifestsDir, "broken.yaml"), "kind: Pod\nmetadata: {}\n");
    await waitFor("a warning naming the manifest", () =>
      fixture.logger.lines.find(
        (line) => line.startsWith("warning: ") && line.includes("broken.yaml"),
      ),
    );
    expect(fixture.store.list("pods", "kube-system").items.map((pod) => pod.metadata.name)).toEqual(
      [MIRROR],
    );
    expect(readFileSync(join(manifestsDir, "broken.yaml"), "utf8")).toContain("kind: Pod");
  });
});
