/**
 * The node side and the client side of issue 6 together: a real OpenSSH server in namespaces
 * this test creates, holding a fake /etc/kubernetes/pki, reached by the product's ssh2 client
 * directly and through a forwarding-only jump host.
 */
import { execFileSync, spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Readable } from "node:stream";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { recordingLogger } from "../../src/core/log/logger.ts";
import {
  compareArchiveWithListing,
  connectSsh,
  execWithSudo,
  listNodeFiles,
  readArchiveEntries,
  streamPkiArchive,
  type SshConnectOptions,
  type SshSession,
} from "../../src/core/ssh/index.ts";
import { createSshTestNetwork, type SshHost, type SshTestNetwork } from "../sandbox/ssh/index.ts";
import {
  diskTree,
  failureOf,
  generateClientKeys,
  makeNodeRoot,
  secretFragments,
  type ClientKey,
  startNodeAndJump,
} from "./fixtures.ts";

const logger = recordingLogger();
/** Every message an operator could read: errors and log lines; scanned for key material at the end. */
const seenMessages: string[] = [];
const failure = async (fn: () => Promise<unknown>) => {
  const error = await failureOf(fn);
  seenMessages.push(error.message, String(error.stack));
  return error;
};

let dir: string;
let nodeRoot: string;
let network: SshTestNetwork;
let node: SshHost;
let jump: SshHost;
let ubuntuKey: ClientKey;
let auditorKey: ClientKey;
let jumpKey: ClientKey;
let strangerKey: ClientKey;
const sessions: SshSession[] = [];

function nodeOptions(overrides: Partial<SshConnectOptions> = {}): SshConnectOptions {
  return {
    host: network.nodeAddress,
    user: "ubuntu",
    privateKey: ubuntuKey.privateKey,
    hostKeys: { knownHosts: [node.knownHostsLine, jump.knownHostsLine] },
    connectTimeoutMs: 5_000,
    ...overrides,
  };
}

function throughJump(): Pick<SshConnectOptions, "jumpHost"> {
  return { jumpHost: { user: "jump", host: jump.address, privateKey: jumpKey.privateKey } };
}

async function open(options: SshConnectOptions): Promise<SshSession> {
  const session = await connectSsh(options, logger);
  sessions.push(session);
  return session;
}

/** Listing entries carry no content hash; drop it from the disk truth to compare. */
function withoutHashes(entries: object[]): object[] {
  return entries.map((entry) => {
    const copy: Record<string, unknown> = { ...entry };
    delete copy.sha256;
    return copy;
  });
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), "ssh-pki-"));
  nodeRoot = join(dir, "nodes", "admin-master");
  makeNodeRoot(nodeRoot);
  // A big sparse file elsewhere on the node, for the streaming and dropped-connection cases.
  mkdirSync(join(nodeRoot, "opt/data"), { recursive: true });
  execFileSync("truncate", ["-s", "4G", join(nodeRoot, "opt/data/big.img")]);
  const keysDir = join(dir, "client-keys");
  mkdirSync(keysDir);
  [ubuntuKey, auditorKey, jumpKey, strangerKey] = (await generateClientKeys(keysDir, [
    { name: "ubuntu" },
    { name: "auditor", type: "rsa" },
    { name: "jump" },
    { name: "stranger" },
  ])) as [ClientKey, ClientKey, ClientKey, ClientKey];

  network = await createSshTestNetwork({
    id: `sshpki${process.pid % 100000}`,
    privateNetwork: false,
  });

  const started = await startNodeAndJump({
    dir,
    network,
    nodeRoot: nodeRoot,
    nodeUsers: [
      { name: "ubuntu", authorizedKeys: ubuntuKey.publicLine, sudo: "nopasswd" },
      { name: "auditor", authorizedKeys: auditorKey.publicLine, sudo: "password" },
    ],
    jumpKey,
  });
  ({ node, jump } = started as { node: SshHost; jump: SshHost });
  if (started.failure) throw started.failure;
});

afterAll(async () => {
  await Promise.all(sessions.map((session) => session.close().catch(() => undefined)));
  await node?.stop();
  await jump?.stop();
  await network?.remove();
  rmSync(dir, { recursive: true, force: true });
});

describe("PKI archive over SSH", () => {
  it("streams exactly the node's PKI files with their modes and owners, directly", async () => {
    const before = diskTree(nodeRoot, "/etc/kubernetes/pki");
    const session = await open(nodeOptions());
    expect(session.hostKeyFingerprint).toBe(node.hostKeyFingerprint);

    const listing = await listNodeFiles(session, { paths: ["/etc/kubernetes/pki"], sudo: true });
    const stream = await streamPkiArchive(session, { paths: ["/etc/kubernetes/pki"], sudo: true });
    const archive = await readArchiveEntries(stream.archive);
    await stream.completed;

    expect(archive).toEqual(before);
    expect(withoutHashes(listing)).toEqual(withoutHashes(before));
    expect(compareArchiveWithListing(archive, listing)).toEqual([]);
    expect(
      archive.filter((entry) => entry.path.endsWith(".key")).map((entry) => entry.mode),
    ).toEqual([0o600, 0o600, 0o600, 0o600, 0o600]);
    expect(stream.command).toBe(
      "sudo -n tar --create --numeric-owner --preserve-permissions -f - -C / -- etc/kubernetes/pki",
    );
    // No chmod, no copy: the node's files, modes and owners are as they were.
    expect(diskTree(nodeRoot, "/etc/kubernetes/pki")).toEqual(before);
  });

  it("streams the same archive through the jump host, and the real tar lists it the same way", async () => {
    const before = diskTree(nodeRoot, "/etc/kubernetes/pki");
    const session = await open(nodeOptions({ ...throughJump() }));
    expect(session.jumpHostKeyFingerprint).toBe(jump.hostKeyFingerprint);
    expect(session.target).toContain(`through jump@${jump.address}:22`);

    const stream = await streamPkiArchive(session, { paths: ["/etc/kubernetes/pki/"], sudo: true });
    const chunks: Buffer[] = [];
    for await (const chunk of stream.archive) chunks.push(chunk as Buffer);
    await stream.completed;
    const tarListing = spawnSync("tar", ["--numeric-owner", "-tvf", "-"], {
      input: Buffer.concat(chunks),
      encoding: "utf8",
    });
    expect(tarListing.status).toBe(0);
    const listed = tarListing.stdout
      .trim()
      .split("\n")
      .map((line) => {
        const [permissions, owner, , , , name] = line.split(/\s+/);
        return `${permissions} ${owner} /${name!.replace(/\/$/, "")}`;
      })
      .sort();
    const expected = before
      .map((entry) => {
        const letters = ["r", "w", "x", "r", "w", "x", "r", "w", "x"]
          .map((letter, bit) => (entry.mode & (0o400 >> bit) ? letter : "-"))
          .join("");
        return `${entry.type === "directory" ? "d" : "-"}${letters} 0/0 ${entry.path}`;
      })
      .sort();
    expect(listed).toEqual(expected);
    expect(diskTree(nodeRoot, "/etc/kubernetes/pki")).toEqual(before);
  });

  it("accepts the key as the base64 form stored in secret kube-system/sshkeys", async () => {
    const session = await open(
      nodeOptions({ privateKey: Buffer.from(ubuntuKey.privateKey).toString("base64") }),
    );
    const listing = await listNodeFiles(session, { paths: ["/etc/kubernetes/pki/etcd"] });
    expect(listing.map((entry) => entry.path)).toEqual([
      "/etc/kubernetes/pki/etcd",
      "/etc/kubernetes/pki/etcd/ca.crt",
      "/etc/kubernetes/pki/etcd/ca.key",
      "/etc/kubernetes/pki/etcd/healthcheck-client.key",
    ]);
  });

  it("refuses a node whose host key differs from the pinned one", async () => {
    const error = await failure(() =>
      open(nodeOptions({ hostKeys: { fingerprints: [jump.hostKeyFingerprint] } })),
    );
    expect(error.reason).toBe("host-key-mismatch");
    expect(error.message).toMatch(
      `host key mismatch for the node ${network.nodeAddress}:22: expected ${jump.hostKeyFingerprint}, got ${node.hostKeyFingerprint}`,
    );
  });

  it("refuses an unpinned host key and says exactly how to pin it, unless told to accept it", async () => {
    const error = await failure(() => open(nodeOptions({ hostKeys: {} })));
    expect(error.reason).toBe("host-key-unknown");
    expect(error.message).toContain(`give the host key fingerprint ${node.hostKeyFingerprint}`);
    expect(error.message).toContain(node.knownHostsLine);

    const before = logger.lines.length;
    const session = await open(nodeOptions({ hostKeys: {}, acceptUnknownHostKey: true }));
    expect(session.hostKeyFingerprint).toBe(node.hostKeyFingerprint);
    expect(
      logger.lines
        .slice(before)
        .some((line) => line.startsWith("warning:") && line.includes(node.hostKeyFingerprint)),
    ).toBe(true);
  });

  it("says which key the node refused, by its public fingerprint only", async () => {
    const error = await failure(() => open(nodeOptions({ privateKey: strangerKey.privateKey })));
    expect(error.reason).toBe("key-refused");
    expect(error.message).toContain(
      `the node ${network.nodeAddress}:22 refused key ${strangerKey.publicFingerprint} (ssh-ed25519) for user ubuntu`,
    );
  });

  it("says sudo needs a password, before anything is streamed, for a user without passwordless sudo", async () => {
    const session = await open(nodeOptions({ user: "auditor", privateKey: auditorKey.privateKey }));
    const error = await failure(() =>
      streamPkiArchive(session, { paths: ["/etc/kubernetes/pki"], sudo: true }),
    );
    expect(error.reason).toBe("sudo-needs-password");
    expect(error.message).toMatch(
      `sudo on ${network.nodeAddress} needs a password for user auditor; give user auditor passwordless sudo for tar and find`,
    );
  });

  it("runs other commands as root with sudo -n, and names the program sudo refused", async () => {
    const session = await open(nodeOptions());
    const asRoot = execWithSudo(session, ["id", "-u"]);
    const chunks: Buffer[] = [];
    for await (const chunk of asRoot.stdout) chunks.push(chunk as Buffer);
    expect(Buffer.concat(chunks).toString("utf8")).toBe("0\n");

    const auditor = await open(nodeOptions({ user: "auditor", privateKey: auditorKey.privateKey }));
    const refused = execWithSudo(auditor, ["id", "-u"]);
    refused.stdout.on("error", () => undefined).resume();
    const error = await failure(() => refused.completed);
    expect(error.reason).toBe("sudo-needs-password");
    expect(error.message).toContain(
      'give user auditor passwordless sudo for id (a sudoers line such as "auditor ALL=(root) NOPASSWD: /usr/bin/id")',
    );
  });

  it("names a path that does not exist, before anything is streamed", async () => {
    const session = await open(nodeOptions());
    const error = await failure(() =>
      streamPkiArchive(session, {
        paths: ["/etc/kubernetes/pki", "/opt/data/gke-k8s-kms-plugin/generatedkeys"],
      }),
    );
    expect(error.reason).toBe("path-missing");
    expect(error.message).toMatch(
      `path /opt/data/gke-k8s-kms-plugin/generatedkeys does not exist on ${network.nodeAddress}`,
    );
  });

  it("holds a paused stream in bounded memory, and errors (never ends) when the connection drops", async () => {
    const session = await open(nodeOptions({ ...throughJump() }));
    const stream = await streamPkiArchive(session, { paths: ["/opt/data"] });
    const received = await readAtLeast(stream.archive, 16 * 1024 * 1024);
    stream.archive.pause();
    // The node has 4 GiB to send; a paused reader must stop it at the SSH window, not buffer it.
    await settle(stream.archive);
    expect(stream.archive.readableLength).toBeLessThan(8 * 1024 * 1024);

    let ended = false;
    stream.archive.on("end", () => (ended = true));
    expect(await node.killSessions()).toBeGreaterThan(0);
    const error = await failure(async () => {
      for await (const _chunk of stream.archive) {
        // drain what arrived before the drop
      }
    });
    expect(ended).toBe(false);
    expect(received).toBeGreaterThanOrEqual(16 * 1024 * 1024);
    expect(error.reason).toBe("dropped");
    expect(error.message).toMatch(`the SSH connection to ubuntu@${network.nodeAddress}:22`);
    expect(error.message).toContain("dropped while tar of /opt/data was running");
    await expect(stream.completed).rejects.toThrow(/dropped/);
  });

  it("errors (never ends) when the node kills the session of a direct connection mid-stream", async () => {
    const session = await open(nodeOptions());
    const stream = await streamPkiArchive(session, { paths: ["/opt/data"] });
    await readAtLeast(stream.archive, 4 * 1024 * 1024);
    let ended = false;
    stream.archive.on("end", () => (ended = true));
    expect(await node.killSessions()).toBeGreaterThan(0);
    const error = await failure(async () => {
      for await (const _chunk of stream.archive) {
        // drain what arrived before the drop
      }
    });
    expect(ended).toBe(false);
    expect(error.reason).toBe("dropped");
    expect(error.message).toBe(
      `the SSH connection to ubuntu@${network.nodeAddress}:22 dropped while tar of /opt/data was running; ` +
        "what was received is incomplete and must not be used. Check the node and the network, then run again.",
    );
  });

  it("stops tar on the node when the reader gives up, and the session stays usable", async () => {
    const session = await open(nodeOptions());
    const stream = await streamPkiArchive(session, { paths: ["/opt/data"] });
    await readAtLeast(stream.archive, 1024 * 1024);
    expect(await programsOnNode()).toContain("tar");

    stream.archive.destroy();
    await expect(stream.completed).rejects.toThrow(
      `tar of /opt/data on ubuntu@${network.nodeAddress}:22 was stopped before it finished.`,
    );
    await waitUntil("tar ends on the node", async () => !(await programsOnNode()).includes("tar"));
    const listing = await listNodeFiles(session, { paths: ["/etc/kubernetes/pki/etcd"] });
    expect(listing).toHaveLength(4);
  });

  it("cuts an unread stream short, without an error event, when the caller closes the session", async () => {
    const session = await open(nodeOptions());
    const stream = await streamPkiArchive(session, { paths: ["/opt/data"] });
    const events: string[] = [];
    stream.archive.on("error", () => events.push("error"));
    stream.archive.on("end", () => events.push("end"));
    stream.archive.on("close", () => events.push("close"));
    await session.close();
    await expect(stream.completed).rejects.toThrow(
      `tar of /opt/data on ubuntu@${network.nodeAddress}:22 was cut short: the session was closed before it finished.`,
    );
    expect(stream.archive.destroyed).toBe(true);
    expect(events).not.toContain("end");
    expect(events).not.toContain("error");
  });

  it("lets the jump host forward but never run a command", async () => {
    const session = await open({
      host: jump.address,
      user: "jump",
      privateKey: jumpKey.privateKey,
      hostKeys: { knownHosts: [jump.knownHostsLine] },
    });
    const error = await failure(() => session.run("id"));
    expect(error.message).toContain(
      "this is a jump host: it forwards SSH connections and runs no commands",
    );
  });

  it("never shows the private key in any error message or log line", () => {
    const text = [...seenMessages, ...logger.lines, node.log(), jump.log()].join("\n");
    expect(seenMessages.length).toBeGreaterThanOrEqual(7);
    for (const key of [ubuntuKey, auditorKey, jumpKey, strangerKey]) {
      for (const fragment of secretFragments(key)) expect(text).not.toContain(fragment);
    }
  });
});

/** The programs the node's sessions run right now (tar, sudo, sshd, ...), by their pids. */
async function programsOnNode(): Promise<string[]> {
  const pids = await node.sessionPids();
  return pids.map((pid) => {
    try {
      return readFileSync(`/proc/${pid}/comm`, "utf8").trim();
    } catch {
      return "";
    }
  });
}

async function waitUntil(what: string, condition: () => Promise<boolean>): Promise<void> {
  for (let attempt = 0; attempt < 100; attempt++) {
    if (await condition()) return;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`gave up waiting until ${what}`);
}

async function readAtLeast(stream: Readable, bytes: number): Promise<number> {
  let received = 0;
  return new Promise((resolve, reject) => {
    const onData = (chunk: Buffer) => {
      received += chunk.length;
      if (received >= bytes) {
        stream.off("data", onData);
        stream.off("error", reject);
        stream.pause();
        resolve(received);
      }
    };
    stream.on("data", onData);
    stream.once("error", reject);
  });
}

/** Waits until the paused stream's buffer stops growing: everything in flight has landed. */
async function settle(stream: Readable): Promise<void> {
  let previous = -1;
  while (stream.readableLength !== previous) {
    previous = stream.readableLength;
    await new Promise((resolve) => setTimeout(resolve, 300));
  }
}
