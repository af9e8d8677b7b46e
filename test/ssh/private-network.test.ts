/**
 * Private-network mode: the node's LAN has no route from the runner; only the jump host,
 * which also has a leg on the runner's side, can reach it.
 */
import { execFileSync } from "node:child_process";
import { createHash } from "node:crypto";
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { recordingLogger } from "../../src/core/log/logger.ts";
import {
  connectSsh,
  listNodeFiles,
  type SshConnectOptions,
  type SshSession,
} from "../../src/core/ssh/index.ts";
import {
  createSshTestNetwork,
  startSshHost,
  type SshHost,
  type SshTestNetwork,
} from "../sandbox/ssh/index.ts";
import {
  failureOf,
  generateClientKeys,
  makeNodeRoot,
  PKI_FILES,
  secretFragments,
  type ClientKey,
  startNodeAndJump,
} from "./fixtures.ts";

const logger = recordingLogger();
const seenMessages: string[] = [];
let dir: string;
let network: SshTestNetwork;
let node: SshHost;
let jump: SshHost;
let nodeKey: ClientKey;
let jumpKey: ClientKey;
const sessions: SshSession[] = [];

function options(overrides: Partial<SshConnectOptions> = {}): SshConnectOptions {
  return {
    host: network.nodeAddress,
    user: "ubuntu",
    privateKey: nodeKey.privateKey,
    hostKeys: { fingerprints: [node.hostKeyFingerprint, jump.hostKeyFingerprint] },
    connectTimeoutMs: 5_000,
    ...overrides,
  };
}

const viaJump = () => ({
  jumpHost: { user: "jump", host: jump.address, privateKey: jumpKey.privateKey },
});

async function failure(fn: () => Promise<unknown>) {
  const error = await failureOf(fn);
  seenMessages.push(error.message);
  return error;
}

/** The host's own account files: the sandbox must never change them. */
const HOST_ETC_FILES = ["/etc/passwd", "/etc/group", "/etc/shadow", "/etc/sudoers", "/etc/hosts"];
const hostEtc = () =>
  HOST_ETC_FILES.map((file) => createHash("sha256").update(readFileSync(file)).digest("hex"));
let hostEtcBefore: string[];
let hostHadEtcKubernetes: boolean;

beforeAll(async () => {
  hostEtcBefore = hostEtc();
  hostHadEtcKubernetes = existsSync("/etc/kubernetes");
  dir = mkdtempSync(join(tmpdir(), "ssh-private-"));
  const nodeRoot = join(dir, "nodes", "admin-master");
  makeNodeRoot(nodeRoot);
  [nodeKey, jumpKey] = (await generateClientKeys(dir, [
    { name: "node-key" },
    { name: "jump-key" },
  ])) as [ClientKey, ClientKey];
  network = await createSshTestNetwork({
    id: `sshprv${process.pid % 100000}`,
    privateNetwork: true,
  });

  const started = await startNodeAndJump({
    dir,
    network,
    nodeRoot: nodeRoot,
    nodeUsers: [{ name: "ubuntu", authorizedKeys: nodeKey.publicLine, sudo: "nopasswd" }],
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

describe("a node on a private network", () => {
  it("cannot be reached directly from the runner, and the error names the address and port", async () => {
    const error = await failure(() => connectSsh(options(), logger));
    expect(error.reason).toBe("unreachable");
    expect(error.message).toBe(
      `could not connect to the node ${network.nodeAddress}:22: no route to that address; check the address, or reach it through a jump host.`,
    );
  });

  it("is reached through the jump host, with both host keys pinned by fingerprint", async () => {
    const session = await connectSsh(options(viaJump()), logger);
    sessions.push(session);
    expect(session.hostKeyFingerprint).toBe(node.hostKeyFingerprint);
    expect(session.jumpHostKeyFingerprint).toBe(jump.hostKeyFingerprint);
    const listing = await listNodeFiles(session, { paths: ["/etc/kubernetes/pki"] });
    expect(listing.find((entry) => entry.path === "/etc/kubernetes/pki/ca.key")).toEqual({
      path: "/etc/kubernetes/pki/ca.key",
      type: "file",
      mode: 0o600,
      uid: 0,
      gid: 0,
      size: Buffer.byteLength(PKI_FILES.find((file) => file.path === "ca.key")!.content),
    });
    expect(logger.lines).toContain(
      `jump host jump@${jump.address}:22 verified: host key ${jump.hostKeyFingerprint}`,
    );
  });

  it("says when the jump host cannot open a connection to the node's port", async () => {
    const error = await failure(() => connectSsh(options({ ...viaJump(), port: 2222 }), logger));
    expect(error.reason).toBe("jump-forward");
    expect(error.message).toMatch(
      `the jump host jump@${jump.address}:22 could not open a connection to ${network.nodeAddress}:2222: connection refused; check the node's address and port`,
    );
  });

  it("says when nothing listens on the jump host's port", async () => {
    const error = await failure(() =>
      connectSsh(options({ jumpHost: { ...viaJump().jumpHost, port: 2222 } }), logger),
    );
    expect(error.reason).toBe("unreachable");
    expect(error.message).toMatch(
      `could not connect to the jump host ${jump.address}:2222: connection refused`,
    );
  });

  it("checks the jump host's key too: an unpinned jump host is refused", async () => {
    const error = await failure(() =>
      connectSsh(
        options({ ...viaJump(), hostKeys: { fingerprints: [node.hostKeyFingerprint] } }),
        logger,
      ),
    );
    expect(error.reason).toBe("host-key-mismatch");
    expect(error.message).toMatch(`host key mismatch for the jump host ${jump.address}:22`);
  });

  it("leaves the host's own /etc as it was while the node's view has its own", () => {
    expect(hostEtc()).toEqual(hostEtcBefore);
    expect(existsSync("/etc/kubernetes")).toBe(hostHadEtcKubernetes);
    expect(readFileSync("/etc/passwd", "utf8")).not.toMatch(/^ubuntu:x:1000:/m);
  });

  it("reports a configuration sshd -t rejects, and leaves nothing of that host behind", async () => {
    const attempt = startSshHost({
      id: "bad-port",
      dir,
      nodeRoot: join(dir, "nodes", "jump"),
      netns: network.jumpNetns,
      address: network.jumpAddress,
      port: 70000,
      users: [{ name: "jump", sudo: "none" }],
    });
    await expect(attempt).rejects.toThrow(
      /^sshd for bad-port rejected its configuration .*sshd_config \(sshd -t\); its log:\n.*bad port number/s,
    );
    expect(existsSync(join(dir, "ssh", "bad-port"))).toBe(false);
  });

  it("shows no key material in its messages or log", () => {
    const text = [...seenMessages, ...logger.lines].join("\n");
    expect(seenMessages).toHaveLength(4);
    for (const key of [nodeKey, jumpKey])
      for (const fragment of secretFragments(key)) expect(text).not.toContain(fragment);
  });

  it("stops without leaving a process, a namespace, a link or a route behind", async () => {
    const pids = [node.pid, jump.pid];
    const lanPrefix = network.nodeAddress.replace(/\.2$/, ".");
    const jumpPrefix = network.jumpAddress.replace(/\.2$/, ".");
    await node.stop();
    await jump.stop();
    await network.remove();
    for (const pid of pids) expect(existsSync(`/proc/${pid}`)).toBe(false);
    expect(existsSync(join(dir, "ssh", "admin-master"))).toBe(false);
    const namespaces = execFileSync("ip", ["netns", "list"], { encoding: "utf8" });
    for (const netns of [network.nodeNetns, network.jumpNetns])
      expect(namespaces).not.toContain(netns);
    const routes = execFileSync("ip", ["-4", "route", "show"], { encoding: "utf8" });
    expect(routes).not.toContain(lanPrefix);
    expect(routes).not.toContain(jumpPrefix);
  });
});
