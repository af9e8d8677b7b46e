/**
 * src/core/kube-client.ts imports @kubernetes/client-node file by file (paths into its
 * `dist`, which has no `exports` map to keep them stable). These tests fail when an upgrade
 * moves those files or changes what they hold: the pin in package.json, the same classes as
 * the package root, calls that work against the sandbox's API server, and no value import
 * from the root creeping back into src/ (it would load the whole client again in a bundle).
 */
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import * as root from "@kubernetes/client-node";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { AppsV1Api, CoreV1Api, KubeConfig } from "../../src/core/kube-client.ts";
import { describeApiError } from "../../src/core/kube/errors.ts";
import { loadKubeconfig } from "../../src/core/kube/kubeconfig.ts";
import { startTestCluster, type TestCluster } from "../apiserver/harness.ts";

const projectRoot = new URL("../../", import.meta.url);
const readJson = (path: string) =>
  JSON.parse(readFileSync(new URL(path, projectRoot), "utf8")) as {
    version?: string;
    dependencies?: Record<string, string>;
  };

describe("the pinned @kubernetes/client-node", () => {
  it("is pinned to one exact version, the one installed", () => {
    const wanted = readJson("package.json").dependencies?.["@kubernetes/client-node"];
    const installed = readJson("node_modules/@kubernetes/client-node/package.json").version;
    expect(wanted, "package.json must pin an exact version (no ^ or ~)").toMatch(/^\d+\.\d+\.\d+$/);
    expect(installed).toBe(wanted);
  });

  it("has, at the deep paths, the very classes the package root exports", () => {
    expect(KubeConfig).toBe(root.KubeConfig);
    expect(CoreV1Api).toBe(root.CoreV1Api);
    expect(AppsV1Api).toBe(root.AppsV1Api);
  });

  it("is imported for values only through src/core/kube-client.ts", () => {
    const offenders = sourceFiles(new URL("src/", projectRoot).pathname).filter((file) =>
      importsValuesFromRoot(readFileSync(file, "utf8")),
    );
    expect(offenders).toEqual([]);
  });
});

describe("the deep imports against the sandbox's API server", () => {
  let cluster: TestCluster;
  let config: KubeConfig;

  beforeAll(async () => {
    cluster = await startTestCluster();
    config = await loadKubeconfig({ path: cluster.kubeconfigPath });
  });
  afterAll(async () => {
    await cluster?.stop();
  });

  it("loads a kubeconfig into the deep KubeConfig class", () => {
    expect(config).toBeInstanceOf(KubeConfig);
    expect(config.getCurrentCluster()?.server).toMatch(/^https:\/\/127\.0\.0\.1:\d+$/);
  });

  it("lists and reads pods with CoreV1Api", async () => {
    const core = config.makeApiClient(CoreV1Api);
    const members = await core.listNamespacedPod({ namespace: "uc1", labelSelector: "app=etcd" });
    expect(members.items.map((pod) => pod.metadata?.name)).toEqual([
      "kube-etcd-0",
      "kube-etcd-1",
      "kube-etcd-2",
    ]);
    const pod = await core.readNamespacedPod({ name: "kube-etcd-1", namespace: "uc1" });
    expect(pod.spec?.nodeName).toBe("admin-node-1");
  });

  it("reads a StatefulSet and its scale with AppsV1Api", async () => {
    const apps = config.makeApiClient(AppsV1Api);
    const set = await apps.readNamespacedStatefulSet({ name: "kube-etcd", namespace: "uc1" });
    expect(set.spec?.replicas).toBe(3);
    const scale = await apps.readNamespacedStatefulSetScale({
      name: "kube-etcd",
      namespace: "uc1",
    });
    expect(scale.spec?.replicas).toBe(3);
  });

  it("fails a missing object with the code and Status that describeApiError reads", async () => {
    const core = config.makeApiClient(CoreV1Api);
    const error = await core.readNamespacedPod({ name: "no-such-pod", namespace: "uc1" }).then(
      () => undefined,
      (caught: unknown) => caught,
    );
    expect(error).toBeInstanceOf(root.ApiException);
    expect(describeApiError(error, "pod uc1/no-such-pod")).toBe(
      "pod uc1/no-such-pod not found (404).",
    );
  });
});

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true, recursive: true })
    .filter((entry) => entry.isFile() && entry.name.endsWith(".ts"))
    .map((entry) => join(entry.parentPath, entry.name));
}

/** A static or dynamic import of the package root that brings in at least one value. */
function importsValuesFromRoot(text: string): boolean {
  if (/import\(\s*"@kubernetes\/client-node"\s*\)/.test(text)) return true;
  for (const match of text.matchAll(
    /import\s+(type\s+)?\{([^}]*)\}\s*from\s*"@kubernetes\/client-node"/g,
  )) {
    if (match[1]) continue;
    const names = (match[2] ?? "").split(",").map((name) => name.trim());
    if (names.some((name) => name !== "" && !name.startsWith("type "))) return true;
  }
  return /import\s+(\*\s+as\s+\w+|\w+)\s+from\s*"@kubernetes\/client-node"/.test(text);
}
