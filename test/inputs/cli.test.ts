/**
 * Hostile and mistaken flags to the real CLI (`backup` and `pki-backup`, in a child process
 * on Node 24, against the sandbox): each exits 2 with exactly one `error:` line naming the
 * flag, echoes no secret it was given, and leaves the pods, the node's PKI and the
 * destination as they were.
 */
import { execFile } from "node:child_process";
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startSandbox, type Sandbox } from "../sandbox/index.ts";
import { NODE24 } from "../e2e/action-runner.ts";
import { clusterAndFolderState, refusalProblems, type BadInputCase } from "./support.ts";

const run = promisify(execFile);
const CLI = resolve(import.meta.dirname, "../../bin/etcd-backup-actions.mjs");

let sandbox: Sandbox;
let work: string;
let destination: string;
let recipient: string;
let identityFile: string;
let identity: string;
let strayKey: string;

beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), "hostile-cli-"));
  destination = join(work, "backups");
  sandbox = await startSandbox({});
  await run("age-keygen", ["-o", join(work, "key.txt")]);
  recipient = (await run("age-keygen", ["-y", join(work, "key.txt")])).stdout.trim();
  identityFile = await readFile(join(work, "key.txt"), "utf8");
  identity = identityFile.split("\n").find((line) => line.startsWith("AGE-SECRET-KEY-1"))!;
  await run("ssh-keygen", ["-q", "-t", "ed25519", "-N", "", "-f", join(work, "stray")]);
  strayKey = await readFile(join(work, "stray"), "utf8");
  await writeFile(join(work, "identity-as-ssh-key"), identityFile);
  await writeFile(join(work, "key-as-known-hosts"), strayKey);
}, 300_000);

afterAll(async () => {
  await sandbox?.stop();
  if (work) await rm(work, { recursive: true, force: true });
});

interface CliCase extends BadInputCase {
  args: string[];
  env?: Record<string, string | undefined>;
}

function cli(
  args: string[],
  env: Record<string, string | undefined> = {},
): Promise<{ exitCode: number; stdout: string; stderr: string }> {
  return new Promise((done) => {
    execFile(
      NODE24,
      [CLI, ...args],
      {
        env: { ...process.env, KUBECONFIG: undefined, GITHUB_ACTIONS: undefined, ...env },
        maxBuffer: 16 * 1024 * 1024,
      },
      (error, stdout, stderr) => {
        const exitCode = error ? (typeof error.code === "number" ? error.code : -1) : 0;
        done({ exitCode, stdout: String(stdout), stderr: String(stderr) });
      },
    );
  });
}

function cases(): CliCase[] {
  const backup = [
    "backup",
    "--kubeconfig",
    sandbox.kubeconfigPath,
    "--clusters",
    "all",
    "--destination",
    `file://${destination}`,
  ];
  const pki = [
    "pki-backup",
    "--kubeconfig",
    sandbox.kubeconfigPath,
    "--known-hosts",
    sandbox.layout.ssh.knownHostsPath,
    "--destination",
    `file://${destination}`,
  ];
  const withRecipient = (args: string[]) => [...args, "--recipient", recipient];
  return [
    {
      name: "backup: an age identity as --recipient",
      args: [...backup, "--recipient", identity],
      names: "--recipient",
      says: "looks like an age identity (a private key, not shown here)",
      secrets: [identity],
    },
    {
      name: "backup: a lower-cased age identity as --recipient",
      args: [...backup, "--recipient", identity.toLowerCase()],
      names: "--recipient",
      says: "looks like an age identity",
      secrets: [identity],
    },
    {
      name: "backup: a whole identity file as --recipient",
      args: [...backup, "--recipient", identityFile],
      names: "--recipient",
      says: "looks like an age identity",
      secrets: [identity],
    },
    {
      name: "backup: the file system's root as --destination",
      args: withRecipient([...backup, "--destination", "file:///"]),
      names: "--destination",
      says: "is the file system's root",
    },
    {
      name: "backup: artifact from a terminal",
      args: withRecipient([...backup, "--destination", "artifact"]),
      names: "--destination",
      says: "works only inside a GitHub Actions job",
    },
    {
      name: "backup: an age identity as --destination",
      args: withRecipient([...backup, "--destination", identity]),
      names: "--destination",
      says: "not shown",
      secrets: [identity],
    },
    {
      name: "backup: a malformed --s3-endpoint",
      args: withRecipient([
        ...backup,
        "--destination",
        "s3://etcd-backups/x",
        "--s3-endpoint",
        "minio:9000",
      ]),
      names: "--s3-endpoint",
      says: "is not an endpoint URL",
    },
    {
      name: "backup: shell metacharacters in --clusters",
      args: withRecipient([...backup, "--clusters", "uc1;reboot"]),
      names: "--clusters",
      says: '"uc1;reboot" is not a cluster name',
    },
    {
      name: "backup: a user cluster that does not exist",
      args: withRecipient([...backup, "--clusters", "uc9"]),
      names: "--clusters",
      says: "no user cluster named uc9",
    },
    {
      name: "backup: the kubeconfig's content as --kubeconfig",
      args: withRecipient([...backup, "--kubeconfig", sandbox.kubeconfig]),
      names: "--kubeconfig",
      says: "looks like a kubeconfig with credentials, not shown",
      secrets: [sandbox.token],
    },
    {
      name: "backup: KUBECONFIG listing several files",
      args: withRecipient(backup.filter((_, index) => index !== 1 && index !== 2)),
      env: { KUBECONFIG: `${sandbox.kubeconfigPath}:/etc/other.kubeconfig` },
      names: "--kubeconfig",
      says: "KUBECONFIG lists several files",
    },
    {
      name: "backup: --keep-last 0",
      args: withRecipient([...backup, "--keep-last", "0"]),
      names: "--keep-last",
      says: "expected a whole number of 1 or more",
    },
    {
      name: "backup: --max-age without a unit",
      args: withRecipient([...backup, "--max-age", "30"]),
      names: "--max-age",
      says: "expected a number and a unit",
    },
    {
      name: "backup: an unknown --compression",
      args: withRecipient([...backup, "--compression", "lz4"]),
      names: "--compression",
      says: "Allowed choices are zstd, gzip, none",
    },
    {
      name: "backup: --recipient and --allow-unencrypted together",
      args: withRecipient([...backup, "--allow-unencrypted"]),
      names: "--allow-unencrypted",
      says: "not both",
    },
    {
      name: "pki-backup: a --path starting with '-' after the slash",
      args: withRecipient([...pki, "--path", "/--remove-files", "--path", "/etc/kubernetes/pki"]),
      names: "--path",
      says: "has a part starting with '-'",
    },
    {
      name: "pki-backup: a relative --path",
      args: withRecipient([...pki, "--path", "etc/kubernetes/pki"]),
      names: "--path",
      says: "is not absolute",
    },
    {
      name: "pki-backup: a malformed --host-key-fingerprint",
      args: withRecipient([...pki, "--host-key-fingerprint", "MD5:00:11"]),
      names: "--host-key-fingerprint",
      says: "is not a SHA256 fingerprint",
    },
    {
      name: "pki-backup: a malformed --jump-host",
      args: withRecipient([...pki, "--jump-host", "203.0.113.10"]),
      names: "--jump-host",
      says: "is not of the form user@host[:port]",
    },
    {
      name: "pki-backup: --jump-key-file without --jump-host",
      args: withRecipient([...pki, "--jump-key-file", join(work, "stray")]),
      names: "--jump-key-file",
      says: "without --jump-host",
      secrets: [strayKey],
    },
    {
      name: "pki-backup: an age identity file as --ssh-key-file",
      args: withRecipient([...pki, "--ssh-key-file", join(work, "identity-as-ssh-key")]),
      names: "--ssh-key-file",
      says: "is not a private key",
      secrets: [identity],
    },
    {
      name: "pki-backup: a private key as --known-hosts",
      args: withRecipient([
        ...pki,
        "--known-hosts",
        join(work, "key-as-known-hosts"),
        "--host-key-fingerprint",
        sandbox.layout.ssh.node.hostKeyFingerprint,
      ]),
      names: "--known-hosts",
      says: "is not a known_hosts entry",
      secrets: [strayKey],
    },
    {
      name: "pki-backup: --port 0",
      args: withRecipient([...pki, "--port", "0"]),
      names: "--port",
      says: "expected a TCP port from 1 to 65535",
    },
    {
      name: "pki-backup: shell metacharacters in --address",
      args: withRecipient([...pki, "--address", "10.0.0.1;reboot"]),
      names: "--address",
      says: "expected a host name or IP address",
    },
    {
      name: "pki-backup: an age identity as --address",
      args: withRecipient([...pki, "--address", identity.toLowerCase()]),
      names: "--address",
      says: "not shown",
      secrets: [identity],
    },
    {
      name: "pki-backup: an --ssh-user with an @",
      args: withRecipient([...pki, "--ssh-user", "root@10.0.0.1"]),
      names: "--ssh-user",
      says: "expected a user name such as ubuntu",
    },
    {
      name: "pki-backup: an age identity as --ssh-user",
      args: withRecipient([...pki, "--ssh-user", identity]),
      names: "--ssh-user",
      says: "looks like an age identity (a private key), not shown",
      secrets: [identity],
    },
    {
      name: "pki-backup: a private key as --path",
      args: withRecipient([...pki, "--path", strayKey]),
      names: "--path",
      says: "looks like a private key block, not shown",
      secrets: [strayKey],
    },
    {
      name: "pki-backup: no --recipient",
      args: pki,
      names: "--recipient",
      says: "always encrypted",
    },
  ];
}

describe("the CLI refuses bad flags", () => {
  it("with exit code 2 and one error line naming the flag, no secret echoed, nothing changed", async () => {
    const all = cases();
    expect(all.length).toBeGreaterThanOrEqual(20);
    let before = await clusterAndFolderState(sandbox, [destination]);
    const problems: string[] = [];
    for (const badCase of all) {
      const result = await cli(badCase.args, badCase.env);
      const errors = result.stderr.split("\n").filter((line) => /^error\b/i.test(line));
      problems.push(
        ...refusalProblems(badCase, {
          exitCode: result.exitCode,
          expectedExitCode: 2,
          errors,
          output: `${result.stdout}\n${result.stderr}`,
        }),
      );
      const after = await clusterAndFolderState(sandbox, [destination]);
      if (after !== before) {
        problems.push(`${badCase.name}: the cluster or the destination changed`);
        before = after;
      }
    }
    expect(problems).toEqual([]);
  }, 600_000);
});
