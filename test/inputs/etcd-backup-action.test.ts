/**
 * Hostile and mistaken inputs to the bundled etcd-backup action (as the runner runs it,
 * against the sandbox): each is refused with exactly one ::error:: naming the input, echoes
 * no secret it was given, and leaves the cluster (pods, their /tmp) and the destination as
 * they were. The cases fail before anything in the cluster changes, so they share a sandbox.
 */
import { execFile } from "node:child_process";
import { mkdtemp, readdir, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startSandbox, type Sandbox } from "../sandbox/index.ts";
import { errorLines, runAction } from "../e2e/action-runner.ts";
import { clusterAndFolderState, refusalProblems, type BadInputCase } from "./support.ts";

const run = promisify(execFile);

let sandbox: Sandbox;
let work: string;
let destination: string;
let recipient: string;
let identityFile: string;
let identity: string;
let sshKey: string;

beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), "hostile-etcd-backup-"));
  destination = join(work, "backups");
  sandbox = await startSandbox({});
  await run("age-keygen", ["-o", join(work, "key.txt")]);
  recipient = (await run("age-keygen", ["-y", join(work, "key.txt")])).stdout.trim();
  identityFile = await readFile(join(work, "key.txt"), "utf8");
  identity = identityFile.split("\n").find((line) => line.startsWith("AGE-SECRET-KEY-1"))!;
  await run("ssh-keygen", ["-q", "-t", "ed25519", "-N", "", "-f", join(work, "id")]);
  sshKey = await readFile(join(work, "id"), "utf8");
}, 300_000);

afterAll(async () => {
  await sandbox?.stop();
  if (work) await rm(work, { recursive: true, force: true });
});

/** The recipient with its last character changed: a one-character typo. */
function withTypo(key: string): string {
  return `${key.slice(0, -1)}${key.endsWith("q") ? "p" : "q"}`;
}

interface ActionCase extends BadInputCase {
  inputs: Record<string, string>;
  env?: Record<string, string>;
}

function cases(): ActionCase[] {
  const base = {
    "admin-kubeconfig": sandbox.kubeconfig,
    clusters: "all",
    destination: `file://${destination}`,
    "encryption-recipients": recipient,
  };
  const token = sandbox.token;
  const kubeconfigWithToken = `apiVersion: v1\nkind: Config\nusers:\n- name: a\n  user:\n    token: ${token}\n`;
  return [
    {
      name: "an age identity given as the recipient",
      inputs: { ...base, "encryption-recipients": identity },
      names: "Input encryption-recipients",
      says: /looks like an age identity \(a private key, not shown here\).*age-keygen -y/,
      secrets: [identity],
    },
    {
      name: "a lower-cased age identity given as the recipient",
      inputs: { ...base, "encryption-recipients": identity.toLowerCase() },
      names: "Input encryption-recipients",
      says: "looks like an age identity",
      secrets: [identity],
    },
    {
      name: "a whole age identity file given as the recipients",
      inputs: { ...base, "encryption-recipients": identityFile },
      names: "Input encryption-recipients",
      says: "looks like an age identity",
      secrets: [identity],
    },
    {
      name: "the base64 of an age identity given as the recipient",
      inputs: { ...base, "encryption-recipients": Buffer.from(identity).toString("base64") },
      names: "Input encryption-recipients",
      says: "looks like the base64 of an age identity",
      secrets: [identity],
    },
    {
      name: "a recipient beside an identity, comma-separated",
      inputs: { ...base, "encryption-recipients": `${recipient}, ${identity}` },
      names: "Input encryption-recipients",
      secrets: [identity],
    },
    {
      name: "an SSH private key pasted as the recipients",
      inputs: { ...base, "encryption-recipients": sshKey },
      names: "Input encryption-recipients",
      secrets: [sshKey],
    },
    {
      name: "a recipient with a typo (bad checksum)",
      inputs: { ...base, "encryption-recipients": withTypo(recipient) },
      names: "Input encryption-recipients",
      says: "checksum does not match",
    },
    {
      name: "no recipient and no allow-unencrypted",
      inputs: { ...base, "encryption-recipients": "" },
      names: "Input encryption-recipients",
      says: "is empty: a snapshot holds every Secret",
    },
    {
      name: "the kubeconfig's content given as its path",
      inputs: { ...base, "admin-kubeconfig": "", "admin-kubeconfig-path": sandbox.kubeconfig },
      names: "Input admin-kubeconfig-path",
      says: "looks like a kubeconfig with credentials, not shown",
      secrets: [token],
    },
    {
      name: "a kubeconfig that is not YAML and holds a token",
      inputs: { ...base, "admin-kubeconfig": `${kubeconfigWithToken}: [` },
      names: "Input admin-kubeconfig",
      says: "is not a valid kubeconfig",
      secrets: [token],
    },
    {
      name: "a user-kubeconfigs path that does not exist",
      inputs: { ...base, "user-kubeconfigs": join(work, "no-such-kubeconfig") },
      names: "Input user-kubeconfigs",
      says: "expected a kubeconfig file or a folder of them",
    },
    {
      name: "a kubeconfig's content given as user-kubeconfigs",
      inputs: { ...base, "user-kubeconfigs": kubeconfigWithToken },
      names: "Input user-kubeconfigs",
      secrets: [token],
    },
    {
      name: "a kubeconfig without a current context",
      inputs: { ...base, "admin-kubeconfig": kubeconfigWithToken },
      names: "Input admin-kubeconfig",
      says: "has no current-context",
      secrets: [token],
    },
    {
      name: "a kubeconfig whose server is plain http",
      inputs: {
        ...base,
        "admin-kubeconfig": sandbox.kubeconfig.replace(/https:\/\//g, "http://"),
      },
      names: "Input admin-kubeconfig",
      says: "expected an https:// URL",
      secrets: [token],
    },
    {
      name: "both kubeconfig inputs",
      inputs: { ...base, "admin-kubeconfig-path": join(work, "admin.kubeconfig") },
      names: "Input admin-kubeconfig-path",
      says: "not both",
    },
    {
      name: "no kubeconfig at all",
      inputs: { ...base, "admin-kubeconfig": "" },
      names: "Input admin-kubeconfig",
      says: "is required",
    },
    {
      name: "a cluster name that is not a namespace name",
      inputs: { ...base, clusters: "uc1,UC_2" },
      names: "Input clusters",
      says: '"UC_2" is not a cluster name',
    },
    {
      name: "shell metacharacters in a cluster name",
      inputs: { ...base, clusters: "uc1;touch /tmp/pwned" },
      names: "Input clusters",
      says: "is not a cluster name",
    },
    {
      name: "an age identity given as the clusters",
      inputs: { ...base, clusters: identity },
      names: "Input clusters",
      says: "looks like an age identity (a private key), not shown",
      secrets: [identity],
    },
    {
      name: "a kubeconfig with its token given as the clusters",
      inputs: { ...base, clusters: sandbox.kubeconfig },
      names: "Input clusters",
      says: "looks like a kubeconfig with credentials, not shown",
      secrets: [token],
    },
    {
      name: "a user cluster that does not exist",
      inputs: { ...base, clusters: "uc9" },
      names: "Input clusters",
      says: "no user cluster named uc9",
    },
    {
      name: "a destination that is no URL",
      inputs: { ...base, destination: "ftp://backups" },
      names: "Input destination",
      says: '"ftp://backups" is not understood',
    },
    {
      name: "a bare path as destination",
      inputs: { ...base, destination: destination },
      names: "Input destination",
      says: `write it as a URL, file://${destination}`,
    },
    {
      name: "the file system's root as destination",
      inputs: { ...base, destination: "file:///" },
      names: "Input destination",
      says: "is the file system's root",
    },
    {
      name: "a file URL naming a host",
      inputs: { ...base, destination: "file://backup-host/var/backups" },
      names: "Input destination",
      says: "names a host or a relative path",
    },
    {
      name: "an S3 bucket name with capitals",
      inputs: { ...base, destination: "s3://Etcd_Backups/x" },
      names: "Input destination",
      says: "is not a valid S3 location",
    },
    {
      name: "an age identity given as the destination",
      inputs: { ...base, destination: identity },
      names: "Input destination",
      says: "looks like an age identity (a private key), not shown",
      secrets: [identity],
    },
    {
      name: "artifact outside a GitHub Actions job",
      inputs: { ...base, destination: "artifact" },
      names: "Input destination",
      says: "not a GitHub Actions job step",
    },
    {
      name: "a malformed s3-endpoint",
      inputs: { ...base, destination: "s3://etcd-backups/x", "s3-endpoint": "minio:9000 " },
      names: "Input s3-endpoint",
      says: "is not an endpoint URL",
    },
    {
      name: "credentials inside the s3-endpoint",
      inputs: {
        ...base,
        destination: "s3://etcd-backups/x",
        "s3-endpoint": "https://minio:hunter2-secret@127.0.0.1:9000",
      },
      names: "Input s3-endpoint",
      says: "credentials go in the AWS environment",
    },
    {
      name: "an unknown compression",
      inputs: { ...base, compression: "lz4" },
      names: "Input compression",
      says: 'is "lz4": expected one of zstd, gzip, none',
    },
    {
      name: "a retention count of zero",
      inputs: { ...base, "retention-count": "0" },
      names: "Input retention-count",
      says: "expected a whole number from 1",
    },
    {
      name: "a negative retention count",
      inputs: { ...base, "retention-count": "-3" },
      names: "Input retention-count",
      says: "expected a whole number from 1",
    },
    {
      name: "retention days with a unit",
      inputs: { ...base, "retention-days": "30d" },
      names: "Input retention-days",
      says: 'is "30d": expected a whole number',
    },
    {
      name: "artifact retention beyond 90 days",
      inputs: { ...base, "artifact-retention-days": "365" },
      names: "Input artifact-retention-days",
      says: "from 1 to 90",
    },
    {
      name: "dry-run that is not a boolean",
      inputs: { ...base, "dry-run": "maybe" },
      names: "Input dry-run",
      says: "expected true or false",
    },
    {
      name: "allow-unencrypted that is not a boolean",
      inputs: { ...base, "allow-unencrypted": "sure" },
      names: "Input allow-unencrypted",
      says: "expected true or false",
    },
    {
      name: "an age identity given as s3-force-path-style",
      inputs: { ...base, "s3-force-path-style": identity },
      names: "Input s3-force-path-style",
      says: "not shown",
      secrets: [identity],
    },
  ];
}

describe("the etcd-backup action refuses bad input", () => {
  it("with one ::error:: naming the input, no secret echoed, nothing changed in the cluster or destination", async () => {
    const all = cases();
    expect(all.length).toBeGreaterThanOrEqual(30);
    let before = await clusterAndFolderState(sandbox, [destination]);
    const problems: string[] = [];
    for (const badCase of all) {
      const result = await runAction("etcd-backup", work, badCase.inputs, badCase.env);
      problems.push(
        ...refusalProblems(badCase, {
          exitCode: result.exitCode,
          expectedExitCode: 1,
          errors: errorLines(result.log),
          output: [result.log, result.summary, JSON.stringify(result.outputs)].join("\n"),
        }),
      );
      if ((await clusterAndFolderState(sandbox, [destination])) !== before) {
        problems.push(`${badCase.name}: the cluster or the destination changed`);
        before = await clusterAndFolderState(sandbox, [destination]);
      }
      const leftInTemp = await readdir(result.runnerTemp);
      if (leftInTemp.length)
        problems.push(`${badCase.name}: left ${leftInTemp.join(", ")} in RUNNER_TEMP`);
    }
    expect(problems).toEqual([]);
  }, 600_000);
});
