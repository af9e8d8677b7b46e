/**
 * The sandbox's SSH side as an operator meets it, with the real OpenSSH client: the key from
 * secret kube-system/sshkeys (read with the real kubectl, as the runbook does), host keys
 * pinned from the layout, admin-master's sshd directly and through the jump host; in
 * private-network mode only through the jump host. stop() leaves no sshd, namespace, link or
 * route behind.
 */
import { execFile, execFileSync } from "node:child_process";
import { createHash, randomBytes } from "node:crypto";
import { existsSync, readdirSync, readFileSync, readlinkSync, statSync } from "node:fs";
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { recordingLogger } from "../../src/core/log/logger.ts";
import { startSandbox, type Sandbox } from "../sandbox/index.ts";
import { runbookShell } from "./helpers.ts";

const SANDBOX_START_MS = 180_000;

interface SshResult {
  exitCode: number;
  stdout: string;
  stderr: string;
}

/** The real ssh client, strict: no config file, no agent, no prompt, host keys from our file only. */
function ssh(args: string[]): Promise<SshResult> {
  return new Promise((resolve) => {
    execFile(
      "ssh",
      ["-F", "/dev/null", "-o", "BatchMode=yes", "-o", "IdentitiesOnly=yes", ...args],
      { timeout: 30_000, env: { ...process.env, SSH_AUTH_SOCK: "" } },
      (error, stdout, stderr) => {
        const exitCode = error ? (typeof error.code === "number" ? error.code : 1) : 0;
        resolve({ exitCode, stdout: String(stdout), stderr: String(stderr) });
      },
    );
  });
}

/** What the operator has: the node key from the secret and a known_hosts file of the layout's lines. */
interface Client {
  workDir: string;
  nodeKeyPath: string;
  knownHostsPath: string;
}

async function prepareClient(sandbox: Sandbox): Promise<Client> {
  const workDir = await mkdtemp(join(tmpdir(), "sandbox-ssh-client-"));
  const shell = runbookShell({ kubeconfigPath: sandbox.kubeconfigPath, workDir });
  await shell.ok(
    `kubectl --kubeconfig "$ADMIN_CLUSTER_KUBECONFIG" get secret -n kube-system sshkeys -o jsonpath={.data.vsphere_tmp} | base64 -d > node.key && chmod 600 node.key`,
  );
  const knownHostsPath = join(workDir, "known_hosts");
  const { node, jumpHost } = sandbox.layout.ssh;
  await writeFile(knownHostsPath, `${node.knownHostsLine}\n${jumpHost.knownHostsLine}\n`);
  return { workDir, nodeKeyPath: join(workDir, "node.key"), knownHostsPath };
}

/** Host keys only from our file, never learned; a dead route fails within 3 s. */
function pinnedOptions(knownHostsPath: string): string[] {
  return [`UserKnownHostsFile=${knownHostsPath}`, "StrictHostKeyChecking=yes", "ConnectTimeout=3"];
}

function pinned(knownHostsPath: string): string[] {
  return pinnedOptions(knownHostsPath).flatMap((option) => ["-o", option]);
}

function sshToNode(sandbox: Sandbox, client: Client, command: string): Promise<SshResult> {
  const { node } = sandbox.layout.ssh;
  return ssh([
    ...pinned(client.knownHostsPath),
    "-i",
    client.nodeKeyPath,
    "-p",
    String(node.port),
    `${node.user}@${node.host}`,
    command,
  ]);
}

/** Through the jump host: `ssh -W` as the ProxyCommand, the jump host's key pinned too. */
function sshToNodeViaJump(sandbox: Sandbox, client: Client, command: string): Promise<SshResult> {
  const { node, jumpHost } = sandbox.layout.ssh;
  const proxy = [
    "ssh -F /dev/null -o BatchMode=yes -o IdentitiesOnly=yes",
    ...pinnedOptions(client.knownHostsPath).map((option) => `-o ${option}`),
    `-i ${jumpHost.privateKeyPath} -p ${jumpHost.port} -W %h:%p ${jumpHost.user}@${jumpHost.host}`,
  ].join(" ");
  return ssh([
    ...pinned(client.knownHostsPath),
    "-o",
    `ProxyCommand=${proxy}`,
    "-i",
    client.nodeKeyPath,
    "-p",
    String(node.port),
    `${node.user}@${node.host}`,
    command,
  ]);
}

function expectSuccess(result: SshResult): string {
  expect(result, `ssh failed: ${result.stderr}`).toMatchObject({ exitCode: 0 });
  return result.stdout.trim();
}

/** The address a session on the node came from, as sshd tells the shell ($SSH_CLIENT). */
function clientAddress(stdout: string): string {
  return stdout.trim().split(" ")[0] ?? "";
}

const hashOf = (file: string) => createHash("sha256").update(readFileSync(file)).digest("hex");

/**
 * The sandbox's SSH processes (the namespace holders and the sshds in them, all named by
 * their state folder under the sandbox's), as "pid program".
 */
function sshProcesses(sandbox: Sandbox): string[] {
  const stateDirs = join(sandbox.layout.dir, "work", "ssh");
  return readdirSync("/proc")
    .filter((entry) => /^\d+$/.test(entry))
    .flatMap((pid) => {
      try {
        const cmdline = readFileSync(`/proc/${pid}/cmdline`, "utf8");
        return cmdline.includes(stateDirs) ? [`${pid} ${readlinkSync(`/proc/${pid}/exe`)}`] : [];
      } catch {
        return [];
      }
    });
}

/** What the sandbox still has on the host: its SSH processes, namespaces, links, routes. */
function leftovers(sandbox: Sandbox) {
  const { sandboxId } = sandbox.layout;
  const subnetOctet = sandbox.layout.network.subnet.split(".")[2];
  const sshds = sshProcesses(sandbox);
  const netns = execFileSync("ip", ["netns", "list"], { encoding: "utf8" })
    .split("\n")
    .filter((line) => line.startsWith(`esb-${sandboxId}-`));
  const links = execFileSync("ip", ["-o", "link", "show"], { encoding: "utf8" })
    .split("\n")
    .filter((line) => line.includes(`esb${sandboxId}`));
  const routes = execFileSync("ip", ["-4", "route", "show", "table", "all"], { encoding: "utf8" })
    .split("\n")
    .filter(
      (line) => line.includes(`10.213.${subnetOctet}.`) || line.includes(`10.212.${subnetOctet}.`),
    );
  return { sshds, netns, links, routes };
}

function expectPkiListing(sandbox: Sandbox, stdout: string): void {
  const onDisk = readdirSync(join(sandbox.layout.admin.nodeRoot, "etc/kubernetes/pki"));
  expect(onDisk.length).toBeGreaterThan(3);
  const expected = ["/etc/kubernetes/pki", ...onDisk.map((name) => `/etc/kubernetes/pki/${name}`)];
  expect(stdout.trim().split("\n").sort()).toEqual(expected.sort());
}

describe("sandbox SSH, normal network", { timeout: SANDBOX_START_MS }, () => {
  let sandbox: Sandbox;
  let client: Client;
  let passwdBefore: string;

  beforeAll(async () => {
    passwdBefore = hashOf("/etc/passwd");
    sandbox = await startSandbox({
      userClusters: [{ name: "uc1", members: 1 }],
      logger: recordingLogger(),
    });
    client = await prepareClient(sandbox);
  }, SANDBOX_START_MS);

  afterAll(async () => {
    await sandbox?.stop();
    if (client) await rm(client.workDir, { recursive: true, force: true });
  });

  it("describes both hosts in the layout and in sandbox.json", async () => {
    const { ssh: layout } = sandbox.layout;
    const master = sandbox.layout.nodes.find((node) => node.name === "admin-master");
    expect(layout.node).toMatchObject({ host: master?.externalIP, port: 22, user: "ubuntu" });
    expect(layout.jumpHost).toMatchObject({ port: 22, user: "jump" });
    for (const host of [layout.node, layout.jumpHost]) {
      expect(host.hostKeyFingerprint).toMatch(/^SHA256:[A-Za-z0-9+/]{43}$/);
      expect(host.knownHostsLine).toMatch(new RegExp(`^${host.host} ssh-ed25519 AAAA`));
    }
    expect(layout.privateNetwork).toBe(false);
    expect(readFileSync(layout.jumpHost.privateKeyPath, "utf8")).toContain("PRIVATE KEY");
    expect(statSync(layout.jumpHost.privateKeyPath).mode & 0o777).toBe(0o600);
    const written = JSON.parse(await readFile(join(sandbox.dir, "sandbox.json"), "utf8"));
    expect(written.ssh).toEqual(layout);
  });

  it("lets ubuntu in with the key from kube-system/sshkeys, host key pinned", async () => {
    const whoami = expectSuccess(await sshToNode(sandbox, client, "id -un; hostname"));
    expect(whoami.split("\n")).toEqual(["ubuntu", "admin-master"]);
  });

  it("shows the node's PKI at /etc/kubernetes/pki to sudo -n", async () => {
    const listing = expectSuccess(
      await sshToNode(sandbox, client, "sudo -n find /etc/kubernetes/pki -maxdepth 1"),
    );
    expectPkiListing(sandbox, listing);
  });

  it("lands whatever sudo writes on the node in the node root, never on the host", async () => {
    const { nodeRoot, etcdDataDirOnNode } = sandbox.layout.admin;
    const tag = `sandbox-ssh-${randomBytes(4).toString("hex")}`;
    const paths = [
      `/var/lib/${tag}/staging`,
      `/opt/data/${tag}`,
      `/etc/kubernetes/${tag}`,
      `/root/${tag}`,
      `/tmp/${tag}`,
      `/etc/${tag}`,
    ];
    const script = [
      "set -e",
      "umask 077",
      `mkdir -p /var/lib/${tag}`,
      ...paths.map((path) => `echo ${tag} > ${path}`),
      `stat -c %U:%a ${paths.join(" ")}`,
    ].join("; ");
    const owners = expectSuccess(await sshToNode(sandbox, client, `sudo -n sh -c '${script}'`));
    expect(owners.split("\n")).toEqual(paths.map(() => "root:600"));
    for (const path of paths) {
      expect(readFileSync(join(nodeRoot, path), "utf8"), path).toBe(`${tag}\n`);
      expect(existsSync(path), `${path} on the host`).toBe(false);
    }
    // The view is the node's: its etcd data where the manifest says, nothing at /var/lib/etcd.
    const dataDir = expectSuccess(
      await sshToNode(
        sandbox,
        client,
        `sudo -n ls ${etcdDataDirOnNode}/member; test ! -e /var/lib/etcd && echo no-var-lib-etcd`,
      ),
    );
    expect(dataDir.split("\n")).toEqual(["snap", "wal", "no-var-lib-etcd"]);
    await Promise.all(
      [`var/lib/${tag}`, ...paths.slice(1)].map((path) =>
        rm(join(nodeRoot, path), { recursive: true, force: true }),
      ),
    );
  });

  it("refuses a node whose host key is not the pinned one", async () => {
    const wrongPin = join(client.workDir, "wrong_known_hosts");
    const { node, jumpHost } = sandbox.layout.ssh;
    // The jump host's key, claimed for the node's address.
    await writeFile(
      wrongPin,
      `${node.host} ${jumpHost.knownHostsLine.split(" ").slice(1).join(" ")}\n`,
    );
    const result = await sshToNode(sandbox, { ...client, knownHostsPath: wrongPin }, "id -un");
    expect(result.exitCode).toBe(255);
    expect(result.stderr).toContain("Host key verification failed");
  });

  it("reaches the node through the jump host as well as directly", async () => {
    const { jumpHost } = sandbox.layout.ssh;
    const viaJump = expectSuccess(
      await sshToNodeViaJump(sandbox, client, 'id -un; echo "$SSH_CLIENT"'),
    );
    const [user, sshClient] = viaJump.split("\n");
    expect(user).toBe("ubuntu");
    expect(clientAddress(sshClient ?? "")).toBe(jumpHost.bridgeAddress);
    const direct = expectSuccess(await sshToNode(sandbox, client, 'echo "$SSH_CLIENT"'));
    expect(clientAddress(direct)).toBe(sandbox.layout.network.gateway);
  });

  it("has a jump host that runs no command", async () => {
    const { jumpHost } = sandbox.layout.ssh;
    const result = await ssh([
      ...pinned(client.knownHostsPath),
      "-i",
      jumpHost.privateKeyPath,
      `${jumpHost.user}@${jumpHost.host}`,
      "id -un",
    ]);
    expect(result.exitCode).not.toBe(0);
    expect(result.stdout).toBe("");
    expect(result.stderr).toContain("this is a jump host");
  });

  it("leaves the host's /etc/passwd as it was", () => {
    expect(hashOf("/etc/passwd")).toBe(passwdBefore);
  });

  it("stops without leaving an sshd, a namespace, a link or a route", async () => {
    const listening = sshProcesses(sandbox).filter((line) => line.endsWith(" /usr/sbin/sshd"));
    expect(listening).toHaveLength(2);
    await sandbox.stop();
    expect(leftovers(sandbox)).toEqual({ sshds: [], netns: [], links: [], routes: [] });
    expect(existsSync(sandbox.layout.ssh.jumpHost.privateKeyPath)).toBe(false);
  });
});

describe("sandbox SSH, private network", { timeout: SANDBOX_START_MS }, () => {
  let sandbox: Sandbox;
  let client: Client;

  beforeAll(async () => {
    sandbox = await startSandbox({
      userClusters: [{ name: "uc1", members: 1 }],
      privateNetwork: true,
      logger: recordingLogger(),
    });
    client = await prepareClient(sandbox);
  }, SANDBOX_START_MS);

  afterAll(async () => {
    await sandbox?.stop();
    if (client) await rm(client.workDir, { recursive: true, force: true });
  });

  it("says so in the layout", () => {
    expect(sandbox.layout.ssh.privateNetwork).toBe(true);
  });

  it("cannot reach the node directly from the runner", async () => {
    const result = await sshToNode(sandbox, client, "id -un");
    expect(result.exitCode).toBe(255);
    expect(result.stdout).toBe("");
    expect(result.stderr).toMatch(
      new RegExp(
        `connect to host ${sandbox.layout.ssh.node.host.replace(/\./g, "\\.")} port 22: (No route to host|Network is unreachable)`,
      ),
    );
  });

  it("reaches the node through the jump host, where sudo -n lists the PKI", async () => {
    const { jumpHost } = sandbox.layout.ssh;
    const session = expectSuccess(
      await sshToNodeViaJump(sandbox, client, 'id -un; echo "$SSH_CLIENT"'),
    );
    const [user, sshClient] = session.split("\n");
    expect(user).toBe("ubuntu");
    expect(clientAddress(sshClient ?? "")).toBe(jumpHost.bridgeAddress);
    const listing = expectSuccess(
      await sshToNodeViaJump(sandbox, client, "sudo -n find /etc/kubernetes/pki -maxdepth 1"),
    );
    expectPkiListing(sandbox, listing);
  });

  it("stops without leaving an sshd, a namespace, a link or the unreachable route", async () => {
    const before = leftovers(sandbox);
    expect(before.routes.some((route) => route.startsWith("unreachable "))).toBe(true);
    expect(before.sshds.length).toBeGreaterThan(0);
    await sandbox.stop();
    expect(leftovers(sandbox)).toEqual({ sshds: [], netns: [], links: [], routes: [] });
  });
});
