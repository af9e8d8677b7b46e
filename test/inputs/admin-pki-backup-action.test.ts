/**
 * Hostile and mistaken inputs to the bundled admin-pki-backup action against the sandbox's
 * real sshd: each is refused with exactly one ::error:: naming the input, echoes no secret
 * it was given (an age identity, a private key, wherever it was pasted), and leaves the
 * node's PKI (every file, mode and byte), the pods and the destination as they were. Paths
 * that reach the node (a '#' kept in the name, shell metacharacters) are looked up there
 * and refused as missing, without a shell ever running them.
 */
import { execFile } from "node:child_process";
import { mkdtemp, readdir, readFile, rm, stat } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startSandbox, type Sandbox } from "../sandbox/index.ts";
import { errorLines, runAction } from "../e2e/action-runner.ts";
import { clusterAndFolderState, refusalProblems, type BadInputCase } from "./support.ts";

const run = promisify(execFile);
const PKI = "/etc/kubernetes/pki";

let sandbox: Sandbox;
let work: string;
let destination: string;
let recipient: string;
let identityFile: string;
let identity: string;
let strayKey: string;

beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), "hostile-pki-backup-"));
  destination = join(work, "backups");
  sandbox = await startSandbox({});
  await run("age-keygen", ["-o", join(work, "key.txt")]);
  recipient = (await run("age-keygen", ["-y", join(work, "key.txt")])).stdout.trim();
  identityFile = await readFile(join(work, "key.txt"), "utf8");
  identity = identityFile.split("\n").find((line) => line.startsWith("AGE-SECRET-KEY-1"))!;
  await run("ssh-keygen", ["-q", "-t", "ed25519", "-N", "", "-f", join(work, "stray")]);
  strayKey = await readFile(join(work, "stray"), "utf8");
}, 300_000);

afterAll(async () => {
  await sandbox?.stop();
  if (work) await rm(work, { recursive: true, force: true });
});

interface ActionCase extends BadInputCase {
  inputs: Record<string, string>;
}

function cases(): ActionCase[] {
  const base = {
    "admin-kubeconfig": sandbox.kubeconfig,
    "ssh-known-hosts": sandbox.layout.ssh.node.knownHostsLine,
    destination: `file://${destination}`,
    "encryption-recipients": recipient,
  };
  const nodeAddress = sandbox.layout.ssh.node.host;
  return [
    {
      name: "a path part starting with '-' (tar would take --remove-files as an option)",
      inputs: { ...base, paths: `/--remove-files\n${PKI}` },
      names: "Input paths",
      says: "has a part starting with '-'",
    },
    {
      name: "a path part that is an option deeper down",
      inputs: { ...base, paths: `${PKI}/-exec` },
      names: "Input paths",
      says: "which tar and find would take as an option",
    },
    {
      name: "a relative path",
      inputs: { ...base, paths: "etc/kubernetes/pki" },
      names: "Input paths",
      says: '"etc/kubernetes/pki" is not absolute',
    },
    {
      name: "a path climbing out with ..",
      inputs: { ...base, paths: "/etc/kubernetes/../shadow" },
      names: "Input paths",
      says: 'contains ".."',
    },
    {
      name: "the node's whole file system",
      inputs: { ...base, paths: "/" },
      names: "Input paths",
      says: "is the node's whole file system",
    },
    {
      name: "a folder listed inside another",
      inputs: { ...base, paths: `${PKI}\n${PKI}/etcd` },
      names: "Input paths",
      says: "list each folder once",
    },
    {
      name: "a '#' inside a path is kept, not cut into a comment",
      inputs: { ...base, paths: `${PKI}#old` },
      names: "paths to back up",
      says: `path ${PKI}#old does not exist on ${nodeAddress}`,
    },
    {
      name: "shell metacharacters in a path reach find as a name, never a shell",
      inputs: { ...base, paths: `${PKI}/$(touch /tmp/pwned);touch /tmp/pwned2` },
      names: "paths to back up",
      says: "does not exist on",
    },
    {
      name: "an SSH key that is not a key",
      inputs: { ...base, "ssh-private-key": "not-a-key-but-a-secret-anyway" },
      names: "Input ssh-private-key",
      says: "is not a private key",
      secrets: ["not-a-key-but-a-secret-anyway"],
    },
    {
      name: "an age identity given as the SSH key",
      inputs: { ...base, "ssh-private-key": identityFile },
      names: "Input ssh-private-key",
      says: "is not a private key",
      secrets: [identity],
    },
    {
      name: "a public key given as the SSH key",
      inputs: { ...base, "ssh-private-key": sandbox.layout.ssh.node.knownHostsLine },
      names: "Input ssh-private-key",
      says: "is not a private key",
    },
    {
      name: "a jump host key without a jump host",
      inputs: { ...base, "jump-private-key": strayKey },
      names: "Input jump-private-key",
      says: "without jump-host",
      secrets: [strayKey],
    },
    {
      name: "a jump host that is not user@host[:port]",
      inputs: { ...base, "jump-host": "203.0.113.10" },
      names: "Input jump-host",
      says: 'jump host "203.0.113.10" is not of the form user@host[:port]',
    },
    {
      name: "a jump host with an out-of-range port",
      inputs: { ...base, "jump-host": "ubuntu@203.0.113.10:70000" },
      names: "Input jump-host",
      says: "is not of the form user@host[:port]",
    },
    {
      name: "an age identity given as the jump host",
      inputs: { ...base, "jump-host": identity },
      names: "Input jump-host",
      says: "looks like an age identity (a private key), not shown",
      secrets: [identity],
    },
    {
      name: "a private key pasted into ssh-known-hosts",
      inputs: { ...base, "ssh-known-hosts": strayKey },
      names: "Input ssh-known-hosts",
      says: "looks like a private key block, not shown",
      secrets: [strayKey],
    },
    {
      name: "a malformed fingerprint",
      inputs: { ...base, "ssh-host-key-fingerprints": "MD5:00:11:22" },
      names: "Input ssh-host-key-fingerprints",
      says: '"MD5:00:11:22" is not a SHA256 fingerprint',
    },
    {
      name: "an age identity given as a fingerprint",
      inputs: { ...base, "ssh-host-key-fingerprints": identity },
      names: "Input ssh-host-key-fingerprints",
      says: "looks like an age identity (a private key), not shown",
      secrets: [identity],
    },
    {
      name: "shell metacharacters in the control-plane address",
      inputs: { ...base, "control-plane-address": "10.0.0.1;reboot" },
      names: "Input control-plane-address",
      says: 'is "10.0.0.1;reboot": expected a host name or IP address',
    },
    {
      name: "an age identity given as the control-plane address",
      inputs: { ...base, "control-plane-address": identity.toLowerCase() },
      names: "Input control-plane-address",
      says: "not shown",
      secrets: [identity],
    },
    {
      name: "an age identity given as the ssh user",
      inputs: { ...base, "ssh-user": identity },
      names: "Input ssh-user",
      says: "looks like an age identity (a private key), not shown",
      secrets: [identity],
    },
    {
      name: "a private key given as the paths",
      inputs: { ...base, paths: strayKey },
      names: "Input paths",
      says: "looks like a private key block, not shown",
      secrets: [strayKey],
    },
    {
      name: "an ssh user with an @",
      inputs: { ...base, "ssh-user": "ubuntu@10.0.0.1" },
      names: "Input ssh-user",
      says: "expected a user name such as ubuntu",
    },
    {
      name: "no recipient (the PKI is always encrypted)",
      inputs: { ...base, "encryption-recipients": "" },
      names: "Input encryption-recipients",
      says: "always encrypted",
    },
    {
      name: "an age identity file given as the recipients",
      inputs: { ...base, "encryption-recipients": identityFile },
      names: "Input encryption-recipients",
      says: "looks like an age identity",
      secrets: [identity],
    },
    {
      name: "insecure-accept-unknown-host-key that is not a boolean",
      inputs: { ...base, "insecure-accept-unknown-host-key": "perhaps" },
      names: "Input insecure-accept-unknown-host-key",
      says: "expected true or false",
    },
    {
      name: "the file system's root as destination",
      inputs: { ...base, destination: "file:///" },
      names: "Input destination",
      says: "is the file system's root",
    },
    {
      name: "retention days of zero",
      inputs: { ...base, "retention-days": "0" },
      names: "Input retention-days",
      says: "expected a whole number from 1",
    },
  ];
}

describe("the admin-pki-backup action refuses bad input", () => {
  it("with one ::error:: naming the input, no secret echoed, the node's PKI and the destination unchanged", async () => {
    const all = cases();
    expect(all.length).toBeGreaterThanOrEqual(20);
    const nodeTmp = join(sandbox.layout.admin.nodeRoot, "tmp");
    let before = await clusterAndFolderState(sandbox, [destination, nodeTmp]);
    const problems: string[] = [];
    for (const badCase of all) {
      const result = await runAction("admin-pki-backup", work, badCase.inputs);
      problems.push(
        ...refusalProblems(badCase, {
          exitCode: result.exitCode,
          expectedExitCode: 1,
          errors: errorLines(result.log),
          output: [result.log, result.summary, JSON.stringify(result.outputs)].join("\n"),
        }),
      );
      const after = await clusterAndFolderState(sandbox, [destination, nodeTmp]);
      if (after !== before) {
        problems.push(`${badCase.name}: the node, the pods or the destination changed`);
        before = after;
      }
      const leftInTemp = await readdir(result.runnerTemp);
      if (leftInTemp.length) {
        problems.push(`${badCase.name}: left ${leftInTemp.join(", ")} in RUNNER_TEMP`);
      }
    }
    for (const name of ["pwned", "pwned2"]) {
      for (const folder of ["/tmp", nodeTmp]) {
        const made = await stat(join(folder, name)).then(
          () => true,
          () => false,
        );
        if (made) problems.push(`a shell ran the path: ${join(folder, name)} exists`);
      }
    }
    expect(problems).toEqual([]);
  }, 600_000);
});
