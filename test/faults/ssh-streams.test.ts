/**
 * SSH streams settle, against a real OpenSSH server in namespaces this test creates:
 * a remote command fed from a stream (backpressure; a failing source, a failing command, a
 * command that stops reading early, a dropped connection: one error each, and never an EOF
 * that would make a cut input look whole), and the PKI backup when the node's tar is killed
 * or the destination disk fills up: one error, nothing stored, no `.partial` left.
 * Unhandled errors fail the run (vitest.config.ts), so "no unhandled event" is checked too.
 */
import { execFileSync } from "node:child_process";
import { createHash, randomBytes } from "node:crypto";
import { chownSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { readFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Readable } from "node:stream";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { recordingLogger } from "../../src/core/log/logger.ts";
import { connectSsh, type SshSession } from "../../src/core/ssh/index.ts";
import { FileStore } from "../../src/core/storage/file.ts";
import { runAdminPkiBackup, type PkiBackupOptions } from "../../src/procedures/admin-pki-backup.ts";
import {
  createSshTestNetwork,
  startSshHost,
  type SshHost,
  type SshTestNetwork,
} from "../sandbox/ssh/index.ts";
import { ageKeygen } from "../storage/support/age-cli.ts";
import { filesUnder } from "../storage/support/folders.ts";
import { generateClientKeys, makeNodeRoot, type ClientKey } from "../ssh/fixtures.ts";

let dir: string;
let nodeRoot: string;
let network: SshTestNetwork;
let node: SshHost;
let ubuntuKey: ClientKey;
let recipient: string;
let session: SshSession;
const mounts: string[] = [];
const UBUNTU_UID = 1000;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), "ssh-streams-"));
  nodeRoot = join(dir, "nodes", "admin-master");
  makeNodeRoot(nodeRoot);
  // A big sparse file, so faults happen while tar is still streaming.
  mkdirSync(join(nodeRoot, "opt/bulk"), { recursive: true });
  execFileSync("truncate", ["-s", "4G", join(nodeRoot, "opt/bulk/big.img")]);
  // Where fed commands write on the node, as ubuntu.
  mkdirSync(join(nodeRoot, "opt/inbox"));
  chownSync(join(nodeRoot, "opt/inbox"), UBUNTU_UID, UBUNTU_UID);
  const keysDir = join(dir, "client-keys");
  mkdirSync(keysDir);
  [ubuntuKey] = (await generateClientKeys(keysDir, [{ name: "ubuntu" }])) as [ClientKey];
  recipient = await ageKeygen(join(dir, "age-identity.txt"));
  network = await createSshTestNetwork({
    id: `sshstr${process.pid % 10000}`,
    privateNetwork: false,
  });
  node = await startSshHost({
    id: "admin-master",
    dir,
    nodeRoot,
    netns: network.nodeNetns,
    address: network.nodeAddress,
    users: [
      { name: "ubuntu", authorizedKeys: ubuntuKey.publicLine, sudo: "nopasswd", uid: UBUNTU_UID },
    ],
  });
});

afterAll(async () => {
  await session?.close().catch(() => undefined);
  for (const path of mounts) execFileSync("umount", [path]);
  await node?.stop();
  await network?.remove();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

async function connect(): Promise<SshSession> {
  return connectSsh(
    {
      host: network.nodeAddress,
      user: "ubuntu",
      privateKey: ubuntuKey.privateKey,
      hostKeys: { knownHosts: [node.knownHostsLine] },
      connectTimeoutMs: 5_000,
    },
    recordingLogger(),
  );
}

/** A fresh session for each test: a drop in one must not decide the next. */
async function freshSession(): Promise<SshSession> {
  await session?.close().catch(() => undefined);
  session = await connect();
  return session;
}

/** `total` bytes made on demand in 64 KiB pieces; counts what was pulled, can break off. */
function generated(total: number, options: { failAfter?: number; failure?: Error } = {}) {
  const hash = createHash("sha256");
  let pulled = 0;
  const stream = new Readable({
    highWaterMark: 64 * 1024,
    read() {
      if (options.failAfter !== undefined && pulled >= options.failAfter) {
        this.destroy(options.failure ?? new Error("the source broke off"));
        return;
      }
      if (pulled >= total) return void this.push(null);
      const piece = randomBytes(Math.min(64 * 1024, total - pulled));
      pulled += piece.length;
      hash.update(piece);
      this.push(piece);
    },
  });
  return { stream, pulled: () => pulled, sha256: () => hash.digest("hex") };
}

const onNode = (path: string) => join(nodeRoot, path);
const sha256Of = (path: string) => createHash("sha256").update(readFileSync(path)).digest("hex");

describe("a remote command fed from a stream", () => {
  it("delivers every byte, in order, and succeeds only once the command exited 0", async () => {
    const ssh = await freshSession();
    const source = generated(24 * 1024 * 1024);
    const { outcome } = await ssh.run(
      "cat > /opt/inbox/whole.part && mv /opt/inbox/whole.part /opt/inbox/whole && echo stored",
      { stdin: source.stream, describe: "the upload of whole" },
    );
    expect(outcome.exitCode).toBe(0);
    expect(sha256Of(onNode("opt/inbox/whole"))).toBe(source.sha256());
  });

  it("reads the source only as fast as the node takes it (backpressure)", async () => {
    const ssh = await freshSession();
    const source = generated(64 * 1024 * 1024);
    // The node reads nothing until the marker file appears.
    const marker = "/opt/inbox/go";
    const running = ssh.run(`while [ ! -e ${marker} ]; do sleep 0.1; done; cat > /dev/null`, {
      stdin: source.stream,
      describe: "a slow reader",
    });
    // Give a source without backpressure every chance to run ahead: 1.5 s is many times
    // what 64 MiB of random bytes takes to generate here.
    await new Promise((resolve) => setTimeout(resolve, 1500));
    const pulledWhileBlocked = source.pulled();
    execFileSync("touch", [onNode(marker)]);
    await running;
    // The SSH window (2 MiB with OpenSSH) and the stream buffers on the way: a few MiB.
    expect(pulledWhileBlocked).toBeLessThan(16 * 1024 * 1024);
    expect(source.pulled()).toBe(64 * 1024 * 1024);
  });

  it("fails once, naming the input, when the source breaks off, and never sends the command an end of input", async () => {
    const ssh = await freshSession();
    const source = generated(64 * 1024 * 1024, {
      failAfter: 4 * 1024 * 1024,
      failure: new Error("the snapshot download broke off"),
    });
    const running = ssh.run("cat > /opt/inbox/cut.part && mv /opt/inbox/cut.part /opt/inbox/cut", {
      stdin: source.stream,
      describe: "the upload of cut",
      describeStdin: "the snapshot",
    });
    await expect(running).rejects.toThrow(
      `the snapshot of the upload of cut on ubuntu@${network.nodeAddress}:22 failed: the snapshot download broke off; the command was stopped before it got all of it.`,
    );
    // The command was stopped, not told its input was complete: it never renamed the file.
    await waitUntilNoCommand("cat");
    expect(existsSync(onNode("opt/inbox/cut"))).toBe(false);
  });

  it("fails once with the command's status and stderr when it fails mid-stream, and stops reading the source", async () => {
    const ssh = await freshSession();
    const source = generated(256 * 1024 * 1024);
    const running = ssh.run(
      "head -c 1000000 > /dev/null; echo 'no space left on the node' >&2; exit 3",
      { stdin: source.stream, describe: "the upload of full" },
    );
    await expect(running).rejects.toThrow(
      `the upload of full on ubuntu@${network.nodeAddress}:22 exited with status 3: no space left on the node`,
    );
    expect(source.stream.destroyed).toBe(true);
    expect(source.pulled()).toBeLessThan(64 * 1024 * 1024);
  });

  it("fails when the command exits 0 before it read all of its input", async () => {
    const ssh = await freshSession();
    const source = generated(64 * 1024 * 1024);
    await expect(
      ssh.run("head -c 1000 > /dev/null", { stdin: source.stream, describe: "the short reader" }),
    ).rejects.toThrow(
      /^the short reader on ubuntu@.*:22 exited before it read all of the input \(\d+ bytes sent\); it did not get the whole input\.$/,
    );
    expect(source.stream.destroyed).toBe(true);
  });

  it("fails once as a drop when the connection drops mid-stream", async () => {
    const ssh = await freshSession();
    const source = generated(1024 * 1024 * 1024);
    const running = ssh.run("cat > /dev/null", {
      stdin: source.stream,
      describe: "the long upload",
    });
    running.catch(() => undefined);
    while (source.pulled() < 8 * 1024 * 1024)
      await new Promise((resolve) => setTimeout(resolve, 50));
    expect(await node.killSessions()).toBeGreaterThan(0);
    await expect(running).rejects.toThrow(
      `the SSH connection to ubuntu@${network.nodeAddress}:22 dropped while the long upload was running; what was sent and received is incomplete`,
    );
    expect(source.stream.destroyed).toBe(true);
  });
});

describe("a remote command nobody reads", () => {
  it("settles through `completed` when the connection drops, with no unhandled error", async () => {
    const ssh = await freshSession();
    // Its stdout is never read: only `completed` is awaited.
    const command = ssh.exec("sleep 60", { describe: "the idle command" });
    await waitForCommand("sleep");
    expect(await node.killSessions()).toBeGreaterThan(0);
    await expect(command.completed).rejects.toThrow(
      `the SSH connection to ubuntu@${network.nodeAddress}:22 dropped while the idle command was running`,
    );
    expect(command.stdout.destroyed).toBe(true);
  });

  it("stays failed with its own error when the connection drops after it failed", async () => {
    const ssh = await freshSession();
    const command = ssh.exec("echo 'tar: cannot open' >&2; exit 2", {
      describe: "the failing tar",
    });
    await expect(command.completed).rejects.toThrow(
      `the failing tar on ubuntu@${network.nodeAddress}:22 exited with status 2: tar: cannot open`,
    );
    const sleeper = ssh.exec("sleep 60", { describe: "the next command" });
    await waitForCommand("sleep");
    await node.killSessions();
    await expect(sleeper.completed).rejects.toThrow(/dropped while the next command was running/);
    // The first command settled once: its error is still the exit status, not the drop.
    await expect(command.completed).rejects.toThrow(/exited with status 2/);
  });
});

/** Waits (generously) until no process named `name` runs in the node's sessions. */
async function waitUntilNoCommand(name: string): Promise<void> {
  const deadline = Date.now() + 30_000;
  while (Date.now() < deadline) {
    const names = await Promise.all(
      (await node.sessionPids()).map((pid) =>
        readFile(`/proc/${pid}/comm`, "utf8").then(
          (comm) => comm.trim(),
          () => "",
        ),
      ),
    );
    if (!names.includes(name)) return;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`${name} still runs on the node after 30 s`);
}

describe("the PKI backup when the stream fails", () => {
  async function backUp(storeDir: string, overrides: Partial<PkiBackupOptions> = {}) {
    const logger = recordingLogger();
    const running = runAdminPkiBackup({
      host: network.nodeAddress,
      privateKey: ubuntuKey.privateKey,
      user: "ubuntu",
      hostKeys: { knownHosts: [node.knownHostsLine] },
      acceptUnknownHostKey: false,
      paths: ["/opt/bulk"],
      store: new FileStore(storeDir),
      recipients: [recipient],
      compression: "zstd",
      retention: {},
      dryRun: false,
      logger,
      ...overrides,
    });
    return { running, logger };
  }

  it("fails with one clear message, stores nothing and leaves no .partial when tar is killed on the node", async () => {
    const storeDir = mkdtempSync(join(dir, "store-"));
    // gzip is slower than tar of zeros: the tee waits for the store when tar dies.
    const { running, logger } = await backUp(storeDir, { compression: "gzip" });
    const tar = await waitForCommand("tar");
    // Bytes are flowing into the store when tar dies.
    const deadline = Date.now() + 60_000;
    while (!(await filesUnder(storeDir)).length && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    process.kill(tar, "SIGKILL");
    const result = await running;
    expect(result.outcome).toBe("failed");
    expect(result.error).toMatch(
      /tar of \/opt\/bulk on ubuntu@\S+:22 (was killed by signal (SIG)?KILL|exited with status \d+)/,
    );
    expect(logger.lines.filter((line) => line.startsWith("✘ "))).toHaveLength(1);
    expect(await filesUnder(storeDir)).toEqual([]);
  });

  it("fails with one clear message, stores nothing and leaves no .partial when the destination disk fills up", async () => {
    const storeDir = join(dir, "full");
    mkdirSync(storeDir);
    execFileSync("mount", ["-t", "tmpfs", "-o", "size=1m", "tmpfs", storeDir]);
    mounts.push(storeDir);
    // Uncompressed, so 4 GB of zeros fill 1 MiB at once.
    const { running, logger } = await backUp(storeDir, { compression: "none" });
    const result = await running;
    expect(result.outcome).toBe("failed");
    expect(result.error).toMatch(
      /^Storing the admin-pki backup of admin at \S+ failed: file:\S+ failed: Writing the payload to \S+ failed: ENOSPC: no space left on device, write\. No backup was listed for it\.$/,
    );
    expect(logger.lines.filter((line) => line.startsWith("✘ "))).toHaveLength(1);
    expect(await filesUnder(storeDir)).toEqual([]);
    // tar was stopped on the node, not left blocked on a full SSH window.
    await waitUntilNoCommand("tar");
  });
});

/** The pid of the first process named `name` in the node's sessions, once it runs. */
async function waitForCommand(name: string): Promise<number> {
  const deadline = Date.now() + 60_000;
  while (Date.now() < deadline) {
    for (const pid of await node.sessionPids()) {
      const comm = await readFile(`/proc/${pid}/comm`, "utf8").catch(() => "");
      if (comm.trim() === name) return pid;
    }
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error(`${name} did not start on the node within 60 s`);
}
