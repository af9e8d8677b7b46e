/**
 * The sandbox API server refuses, as kube-apiserver does, to create an object that carries
 * metadata.resourceVersion (an object read back and posted again as it was): the PDB a
 * restore re-creates must be saved without it. Checked with the real kubectl: `kubectl
 * create -f` clears resourceVersion itself (resource.Helper.Create with modify=true), so
 * the raw body goes through `kubectl create --raw`, as any other client would send it.
 */
import { readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startTestCluster, type TestCluster } from "../apiserver/harness.ts";

let cluster: TestCluster;

beforeAll(async () => {
  cluster = await startTestCluster();
}, 60_000);
afterAll(async () => {
  await cluster?.stop();
});

const PDBS = "/apis/policy/v1/namespaces/uc1/poddisruptionbudgets";
const REFUSAL = "Error from server: resourceVersion should not be set on objects to be created";

/** The object as `kubectl get -o json` shows it, in a file for `kubectl create --raw -f`. */
async function savedAsFile(kind: string, name: string, file: string): Promise<string> {
  const read = await cluster.kubectl(["get", kind, "-n", "uc1", name, "-o", "json"]);
  expect(read.code).toBe(0);
  const object = JSON.parse(read.stdout) as { metadata: { resourceVersion?: string } };
  expect(object.metadata.resourceVersion).toMatch(/^\d+$/);
  const path = join(cluster.dir, file);
  await writeFile(path, read.stdout);
  return path;
}

describe("create with metadata.resourceVersion", () => {
  it("is refused with kube-apiserver's own sentence, and nothing is created", async () => {
    const saved = await savedAsFile("pdb", "kube-apiserver-pdb", "pdb.json");
    expect((await cluster.kubectl(["delete", "pdb", "-n", "uc1", "kube-apiserver-pdb"])).code).toBe(
      0,
    );

    const created = await cluster.kubectl(["create", "--raw", PDBS, "-f", saved]);
    expect(created.code).toBe(1);
    expect(created.stderr.trim()).toBe(REFUSAL);
    const after = await cluster.kubectl(["get", "pdb", "-n", "uc1", "kube-apiserver-pdb"]);
    expect(after.stderr.trim()).toBe(
      'Error from server (NotFound): poddisruptionbudgets.policy "kube-apiserver-pdb" not found',
    );

    // kubectl create -f clears resourceVersion before it posts, so the same file goes in.
    const recreated = await cluster.kubectl(["create", "-f", saved]);
    expect(recreated.stderr).toBe("");
    expect(recreated.stdout.trim()).toBe("poddisruptionbudget.policy/kube-apiserver-pdb created");
  });

  it("is refused for that reason even when the name is taken: etcd3's store checks it first", async () => {
    const saved = await savedAsFile("pdb", "kube-apiserver-pdb", "existing-pdb.json");
    const created = await cluster.kubectl(["create", "--raw", PDBS, "-f", saved]);
    expect(created.code).toBe(1);
    expect(created.stderr.trim()).toBe(REFUSAL);
  });

  it("is not refused on a dry run, which never reaches the storage", async () => {
    const saved = await savedAsFile("pdb", "kube-apiserver-pdb", "dry-run-pdb.json");
    const object = JSON.parse(await readFile(saved, "utf8")) as { metadata: object };
    object.metadata = { ...object.metadata, name: "dry-run-pdb", uid: undefined };
    await writeFile(saved, JSON.stringify(object));
    const created = await cluster.kubectl(["create", "--raw", `${PDBS}?dryRun=All`, "-f", saved]);
    expect(created.stderr).toBe("");
    expect(JSON.parse(created.stdout)).toMatchObject({
      kind: "PodDisruptionBudget",
      metadata: { name: "dry-run-pdb" },
    });
    const after = await cluster.kubectl(["get", "pdb", "-n", "uc1", "dry-run-pdb"]);
    expect(after.code).toBe(1);
  });
});
