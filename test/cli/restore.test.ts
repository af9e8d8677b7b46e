/**
 * `etcd-backup-actions restore-ha` as an operator runs it: the real CLI in a child process.
 * Bad flags are refused with one sentence and exit code 2 before any cluster is touched; a
 * dry run prints the plan and changes nothing; a restore of the sandbox's uc2 from the
 * latest backup in a folder brings back what the backup held.
 */
import { execFile } from "node:child_process";
import { readFileSync } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import { hostname, tmpdir, userInfo } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { loadKubeconfig } from "../../src/core/kube/kubeconfig.ts";
import { startSandbox, type Sandbox } from "../sandbox/index.ts";
import { etcdctlIn as etcdctlInMember } from "../e2e/restore-helpers.ts";
import { runCli, type CliResult } from "../support/cli-process.ts";

const run = promisify(execFile);

/** The CLI without the caller's KUBECONFIG: every test names its own. */
function cli(args: string[]): Promise<CliResult> {
  return runCli(args, { KUBECONFIG: undefined });
}

let sandbox: Sandbox;
let work: string;
let recipient: string;
let keyFile: string;

beforeAll(async () => {
  sandbox = await startSandbox({ userClusters: [{ name: "uc2", members: 1 }] });
  work = await mkdtemp(join(tmpdir(), "cli-restore-"));
  keyFile = join(work, "key.txt");
  await run("age-keygen", ["-o", keyFile]);
  recipient = (await run("age-keygen", ["-y", keyFile])).stdout.trim();
});

afterAll(async () => {
  await sandbox?.stop();
  if (work) await rm(work, { recursive: true, force: true });
});

async function etcdctlIn(...args: string[]): Promise<string> {
  const config = await loadKubeconfig({ path: sandbox.kubeconfigPath });
  return etcdctlInMember(config, "uc2", "kube-etcd-0", ...args);
}

describe("restore-ha from a terminal", () => {
  it("refuses bad flags with one sentence and exit code 2", async () => {
    const base = ["restore-ha", "--kubeconfig", sandbox.kubeconfigPath];
    const cases: Array<[string[], RegExp]> = [
      [[], /^error: --cluster is required/],
      [["--cluster", "admin"], /^error: --cluster is required: expected a user cluster's name/],
      [["--cluster", "uc2"], /^error: --destination is required with --backup latest/],
      [
        ["--cluster", "uc2", "--destination", `file://${work}`],
        /^error: --identity-file is required/,
      ],
      [
        ["--cluster", "uc2", "--backup", "file:///x/uc1/user-etcd/20261207T000000Z/"],
        /^error: --backup is a user-etcd backup of uc1, not a user-etcd backup of uc2/,
      ],
      [
        [
          "--cluster",
          "uc2",
          "--destination",
          `file://${work}`,
          "--identity-file",
          keyFile,
          "--revision-bump",
          "lots",
        ],
        /^error: --revision-bump: expected auto, none, or a whole number/,
      ],
      [
        [
          "--cluster",
          "uc2",
          "--destination",
          `file://${work}`,
          "--identity-file",
          join(work, "missing"),
        ],
        /^error: --identity-file: cannot read/,
      ],
      [
        [
          "--cluster",
          "uc2",
          "--destination",
          `file://${work}`,
          "--identity-file",
          keyFile,
          "--gke-on-prem-version",
          "latest",
        ],
        /^error: --gke-on-prem-version: "latest" is not an Anthos version; expected e\.g\. 1\.32\.400-gke\.68/,
      ],
      [
        [
          "--cluster",
          "uc2",
          "--destination",
          `file://${work}`,
          "--identity-file",
          keyFile,
          "--gke-on-prem-version",
          "1.32.400-gke.68",
          "--utility-image",
          "gcr.io/gke-on-prem-release/etcd-util:1.32.400-gke.68",
        ],
        /^error: --gke-on-prem-version: is given together with utility-image; give one/,
      ],
    ];
    for (const [args, message] of cases) {
      const result = await cli([...base, ...args]);
      expect(result.exitCode, result.stderr).toBe(2);
      expect(result.stderr.trim().split("\n")).toHaveLength(1);
      expect(result.stderr.trim()).toMatch(message);
    }
  });

  it("plans, then restores uc2 from the latest backup in a folder", async () => {
    const destination = `file://${join(work, "backups")}`;
    await etcdctlIn("put", "/cli-test/A", "before");
    const backup = await cli([
      "backup",
      "--kubeconfig",
      sandbox.kubeconfigPath,
      "--clusters",
      "uc2",
      "--destination",
      destination,
      "--recipient",
      recipient,
    ]);
    expect(backup.exitCode, backup.stderr).toBe(0);
    await etcdctlIn("put", "/cli-test/B", "after");
    const common = ["restore-ha", "--kubeconfig", sandbox.kubeconfigPath, "--cluster", "uc2"];

    const dry = await cli([...common, "--destination", destination, "--dry-run", "-o", "json"]);
    expect(dry.exitCode, dry.stderr).toBe(0);
    expect(JSON.parse(dry.stdout)).toMatchObject({ outcome: "planned", cluster: "uc2" });
    expect(dry.stderr).toContain("Plan: restore etcd of uc2 from file://");
    expect(await etcdctlIn("get", "/cli-test/B", "--print-value-only")).toBe("after\n");

    const restored = await cli([
      ...common,
      "--destination",
      destination,
      "--identity-file",
      keyFile,
      "--confirm",
      "uc2",
      "-o",
      "json",
    ]);
    expect(restored.exitCode, restored.stderr).toBe(0);
    expect(JSON.parse(restored.stdout)).toMatchObject({
      outcome: "restored",
      members: ["kube-etcd-0"],
    });
    expect(await etcdctlIn("get", "/cli-test/A", "--print-value-only")).toBe("before\n");
    expect(await etcdctlIn("get", "/cli-test/B", "--keys-only")).toBe("");
    // The audit trail: a record beside the backups, naming who restored from this terminal.
    const record = JSON.parse(restored.stdout).record as string;
    expect(record).toMatch(new RegExp(`^${destination}/uc2/restores/\\d{8}T\\d{6}Z\\.json$`));
    expect(JSON.parse(readFileSync(fileURLToPath(record), "utf8"))).toMatchObject({
      kind: "restore",
      outcome: "restored",
      via: "cli",
      actor: `${userInfo().username}@${hostname()}`,
    });
    const identity = (await run("cat", [keyFile])).stdout
      .split("\n")
      .find((line) => line.startsWith("AGE-SECRET-KEY-1"))!;
    expect(`${restored.stdout}${restored.stderr}`).not.toContain(identity);
  });
});
