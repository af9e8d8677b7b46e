/**
 * `etcd-backup-actions backup` as an operator runs it: the real CLI in a child process.
 * Bad flags are refused with one sentence and exit code 2 before any cluster is touched;
 * a real backup of the sandbox's uc2 lands in a folder, encrypted to an age key, and the
 * real `age`, `zstd` and `etcdctl` CLIs read it back as a valid snapshot.
 */
import { execFile } from "node:child_process";
import { mkdtemp, readdir, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { FlagError, parseBackupFlags } from "../../src/cli/backup.ts";
import type { ClusterBackupResult } from "../../src/procedures/etcd-backup.ts";
import { startSandbox, type Sandbox } from "../sandbox/index.ts";
import { runCli, type CliResult } from "../support/cli-process.ts";

const run = promisify(execFile);

/** The CLI without the caller's KUBECONFIG: every test names its own. */
function cli(args: string[], env: Record<string, string | undefined> = {}): Promise<CliResult> {
  return runCli(args, { KUBECONFIG: undefined, ...env });
}

let work: string;
let recipient: string;
// parseBackupFlags only checks flags; the file is read later, so it need not exist.
const kubeconfigPath = "/srv/admin.kubeconfig";

beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), "cli-backup-"));
  await run("age-keygen", ["-o", join(work, "key.txt")]);
  recipient = (await run("age-keygen", ["-y", join(work, "key.txt")])).stdout.trim();
});

afterAll(async () => {
  if (work) await rm(work, { recursive: true, force: true });
});

describe("backup flags", () => {
  // Checked in-process: every CLI start compiles the sources, which is slow on a busy machine.
  const valid = (): Parameters<typeof parseBackupFlags>[0] => ({
    kubeconfig: kubeconfigPath,
    clusters: "uc1,uc2",
    destination: `file://${work}/backups`,
    recipient: [recipient],
    compression: "zstd",
    output: "table",
  });

  it("turns valid flags into a request: cluster list, file destination, recipients, retention", () => {
    const request = parseBackupFlags({ ...valid(), keepLast: "7", maxAge: "30d" }, {});
    expect(request).toMatchObject({
      kubeconfigPath,
      clusters: ["uc1", "uc2"],
      destination: { type: "file", path: `${work}/backups` },
      recipients: [recipient],
      allowUnencrypted: false,
      retention: { keepLast: 7, maxAgeMs: 30 * 86_400_000 },
      dryRun: false,
    });
  });

  it("takes the kubeconfig from KUBECONFIG when --kubeconfig is absent", () => {
    const request = parseBackupFlags(
      { ...valid(), kubeconfig: undefined },
      { KUBECONFIG: "/etc/admin.kubeconfig" },
    );
    expect(request.kubeconfigPath).toBe("/etc/admin.kubeconfig");
  });

  it.each([
    {
      problem: "no kubeconfig and no KUBECONFIG",
      flags: { kubeconfig: undefined },
      says: /^--kubeconfig is required \(or set KUBECONFIG\)/,
    },
    {
      problem: "no clusters",
      flags: { clusters: undefined },
      says: /^--clusters is required/,
    },
    {
      problem: "a cluster name that is not a namespace name",
      flags: { clusters: "uc1,UC_2" },
      says: /^--clusters: "UC_2" is not a cluster name/,
    },
    {
      problem: "no destination",
      flags: { destination: undefined },
      says: /^--destination is required/,
    },
    {
      problem: "a bare path as destination",
      flags: { destination: "/var/backups" },
      says: /^--destination: .*bare path; write it as a URL, file:\/\/\/var\/backups/,
    },
    {
      problem: "artifact outside GitHub Actions",
      flags: { destination: "artifact" },
      says: /^--destination artifact works only inside a GitHub Actions job/,
    },
    {
      problem: "no recipient and no --allow-unencrypted",
      flags: { recipient: [] },
      says: /^--recipient is required: .*--allow-unencrypted/,
    },
    {
      problem: "a recipient that is not an age public key",
      flags: { recipient: ["ssh-ed25519-not-a-key"] },
      says: /^--recipient: /,
    },
    {
      problem: "both a recipient and --allow-unencrypted",
      flags: { allowUnencrypted: true },
      says: /--recipient or --allow-unencrypted, not both/,
    },
    {
      problem: "a keep-last of zero",
      flags: { keepLast: "0" },
      says: /^--keep-last: .*whole number of 1 or more/,
    },
    {
      problem: "a max-age without a unit",
      flags: { maxAge: "30" },
      says: /^--max-age: .*such as 30d/,
    },
  ])("refuses $problem with one sentence naming the flag", ({ flags, says }) => {
    expect(() => parseBackupFlags({ ...valid(), ...flags }, {})).toThrow(FlagError);
    expect(() => parseBackupFlags({ ...valid(), ...flags }, {})).toThrow(says);
  });

  it("exits 2 from the command line, before any cluster is touched, for a kubeconfig it cannot read", async () => {
    const missing = join(work, "from-env.kubeconfig");
    const result = await cli(
      [
        "backup",
        "--clusters",
        "uc1",
        "--destination",
        `file://${work}/backups`,
        "--recipient",
        recipient,
      ],
      { KUBECONFIG: missing },
    );
    expect(result.exitCode).toBe(2);
    expect(result.stderr).toContain(`--kubeconfig: cannot read "${missing}" (ENOENT)`);
    expect(result.stdout).toBe("");
  }, 300_000);
});

describe("backup against the sandbox", () => {
  let sandbox: Sandbox;

  beforeAll(async () => {
    sandbox = await startSandbox({});
  });

  afterAll(async () => {
    await sandbox?.stop();
  });

  it("backs up uc2 to a folder, encrypted so that age -d with the key, zstd -d and etcdctl read a valid snapshot", async () => {
    const destination = join(work, "backups");
    const result = await cli(
      [
        "backup",
        "--clusters",
        "uc2",
        "--destination",
        `file://${destination}`,
        "--recipient",
        recipient,
        "--output",
        "json",
      ],
      { KUBECONFIG: sandbox.kubeconfigPath },
    );
    expect(result.stderr).toContain("Back up etcd of uc2");
    expect(result.exitCode).toBe(0);
    const results = JSON.parse(result.stdout) as ClusterBackupResult[];
    expect(results).toHaveLength(1);
    const [backup] = results;
    expect(backup).toMatchObject({ cluster: "uc2", kind: "user-etcd", outcome: "stored" });
    expect(backup!.member).toBe("kube-etcd-0");
    expect(backup!.uri).toMatch(
      new RegExp(`^file://${destination}/uc2/user-etcd/\\d{8}T\\d{6}Z/$`),
    );
    expect(backup!.keys).toBeGreaterThan(0);

    const folder = backup!.uri!.replace(/^file:\/\//, "");
    expect((await readdir(folder)).sort()).toEqual(["manifest.json", "snapshot.db.zst.age"]);
    const manifest = JSON.parse(await readFile(join(folder, "manifest.json"), "utf8")) as {
      payload: { plaintext: { sha256: string } };
    };
    expect(manifest.payload.plaintext.sha256).toBe(backup!.sha256);
    const encrypted = await readFile(join(folder, "snapshot.db.zst.age"));
    expect(encrypted.subarray(0, 21).toString()).toBe("age-encryption.org/v1");

    const snapshot = join(work, "restored.db");
    await run("bash", [
      "-o",
      "pipefail",
      "-c",
      'age -d -i "$1" "$2" | zstd -d -q -o "$3"',
      "decrypt",
      join(work, "key.txt"),
      join(folder, "snapshot.db.zst.age"),
      snapshot,
    ]);
    const sha256 = (await run("sha256sum", [snapshot])).stdout.split(" ")[0];
    expect(sha256).toBe(backup!.sha256);
    const status = JSON.parse(
      (
        await run("etcdctl", ["snapshot", "status", snapshot, "-w", "json"], {
          env: { ...process.env, ETCDCTL_API: "3" },
        })
      ).stdout,
    ) as { revision: number; totalKey: number };
    expect(status.revision).toBe(backup!.revision);
    expect(status.totalKey).toBeGreaterThanOrEqual(backup!.keys!);
  }, 300_000);
});
