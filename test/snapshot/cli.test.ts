/**
 * The command line an operator types: `etcd-backup-actions snapshot ...` through the real
 * bin script, tables by default, JSON with --output json, exit code 1 and one sentence on
 * stderr when something is wrong.
 */
import { execFileSync } from "node:child_process";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { cleanup, etcdctlStatus, makeTempDir } from "./etcd-fixture.ts";
import { bin, cli } from "./run-cli.ts";
import { fillKubernetesObjects, kubernetesObjects, snapshotOf } from "./scenarios.ts";

let before: string;
let after: string;
let workDir: string;

beforeAll(async () => {
  workDir = makeTempDir("cli");
  after = await snapshotOf(async (etcd) => {
    await fillKubernetesObjects(etcd);
    before = await etcd.saveSnapshot(join(workDir, "before.db"));
    await etcd.delete(kubernetesObjects.secretAescbc.key);
  }, "cli");
});

afterAll(cleanup);

describe("etcd-backup-actions snapshot", () => {
  it("status prints a table, and with --output json the numbers etcdctl prints", async () => {
    const table = bin("status", before);
    expect(table.status).toBe(0);
    expect(table.stdout).toMatch(/^FILE\s+HASH\s+REVISION\s+TOTAL KEYS\s+TOTAL SIZE\n/);
    const expected = await etcdctlStatus(before);
    expect(table.stdout).toContain(expected.hash.toString(16).padStart(8, "0"));
    const json = bin("status", before, after, "--output", "json");
    expect(JSON.parse(json.stdout)).toEqual([
      { file: before, ...expected },
      { file: after, ...(await etcdctlStatus(after)) },
    ]);
  });

  it("status --output json of one file prints the very object etcdctl prints, so etcdctl scripts run unchanged", () => {
    const etcdctl = execFileSync("etcdctl", ["snapshot", "status", before, "-w", "json"], {
      env: { ...process.env, ETCDCTL_API: "3" },
      encoding: "utf8",
    });
    const ours = cli("status", before, "--output", "json");
    expect(ours.status).toBe(0);
    expect(ours.stdout.trim()).toBe(etcdctl.trim());
    expect(cli("status", "--help").stdout).toMatch(/one file prints one object exactly as/);
  });

  it("verify says ok for a good file and exits 1 naming the problem for a damaged one", () => {
    expect(cli("verify", before)).toMatchObject({
      status: 0,
      stdout: expect.stringMatching(/before\.db\s+ok\s+\d+\s+\d+\s+sha256 verified/),
    });
    const damaged = join(workDir, "damaged.db");
    const bytes = readFileSync(before);
    bytes[bytes.length - 5]! ^= 0x01;
    writeFileSync(damaged, bytes);
    const result = cli("verify", before, damaged, "-o", "json");
    expect(result.status).toBe(1);
    const reports = JSON.parse(result.stdout) as Array<{
      ok: boolean;
      problems: Array<{ message: string }>;
    }>;
    expect(reports.map((report) => report.ok)).toEqual([true, false]);
    expect(reports[1]?.problems[0]?.message).toMatch(/sha256 trailer does not match/);
  });

  it("ls lists objects with their resource and encoding, filters, and counts per resource", () => {
    const table = cli("ls", before, "--resource", "secrets");
    expect(table.status).toBe(0);
    expect(table.stdout).toMatch(
      /\/registry\/secrets\/kube-system\/etcd-ca\s+secrets\s+kube-system\s+\d+\s+\d+\s+encrypted \(k8s:enc:aescbc:v1:key1:\)/,
    );
    expect(table.stdout).not.toContain("configmaps");
    expect(table.stdout).toMatch(/RESOURCE\s+KEYS\s+VALUE BYTES\nsecrets\s+2\s/);
    const json = JSON.parse(
      cli("ls", before, "--namespace", "default", "--prefix", "/registry/configmaps/", "-o", "json")
        .stdout,
    );
    expect(json.keys.map((key: { name: string }) => key.name)).toEqual(["app-settings"]);
  });

  it("get prints the decoded object, and --raw the exact stored bytes", () => {
    const readable = cli("get", before, kubernetesObjects.configMap.key);
    expect(readable.status).toBe(0);
    expect(readable.stdout).toContain("kind: ConfigMap");
    expect(readable.stdout).toContain("name: cluster-info");
    expect(readable.stdout).toContain("creationTimestamp: 2024-03-01T12:00:00Z");
    expect(cli("get", before, kubernetesObjects.secretAescbc.key).stdout).toMatch(
      /encrypted at rest by provider aescbc v1, key key1; 64 bytes of ciphertext, not decoded/,
    );
    expect(cli("get", before, kubernetesObjects.pod.key, "--raw").bytes).toEqual(
      kubernetesObjects.pod.value,
    );
  });

  it("get of a key that is not in the backup exits 1 with one sentence", () => {
    const result = cli("get", after, kubernetesObjects.secretAescbc.key);
    expect(result.status).toBe(1);
    expect(result.stdout).toBe("");
    expect(result.stderr).toMatch(
      /^error: .*cli\.db: key \/registry\/secrets\/kube-system\/etcd-ca is not in this snapshot/,
    );
  });

  it("diff shows what changed between two backups", () => {
    const result = cli("diff", before, after);
    expect(result.status).toBe(0);
    expect(result.stdout).toMatch(/removed\s+\/registry\/secrets\/kube-system\/etcd-ca\s+\d+\s+-/);
    expect(result.stdout).toContain("0 added, 1 removed, 0 changed");
  });

  it("a file that is not a snapshot, or a bad --output, is one clear error", () => {
    const notes = join(workDir, "notes.txt");
    writeFileSync(notes, "x".repeat(10_000));
    const result = cli("status", notes);
    expect(result.status).toBe(1);
    expect(result.stderr).toMatch(/notes\.txt: is not an etcd snapshot/);
    const badFormat = cli("status", before, "--output", "yaml");
    expect(badFormat.status).not.toBe(0);
    expect(badFormat.stderr).toMatch(
      /argument 'yaml' is invalid\. Allowed choices are table, json/,
    );
  });
});
