/**
 * SSH in the cluster sandbox (issue 6): the real sshd on `admin-master`, in the node's own
 * network namespace at its ExternalIP, user `ubuntu` with passwordless sudo and the key whose
 * private half is in secret kube-system/sshkeys; and a forwarding-only jump host with one leg
 * on the sandbox bridge and one on a point-to-point link to the runner (this machine).
 * In private-network mode an `unreachable` host route for the node's address leaves the jump
 * host as the runner's only way in. Every namespace, link and route is written down in the
 * runtime's record before it is made, so stop() and the clean-up of a killed sandbox remove it.
 */
import { execFile } from "node:child_process";
import { chmod, mkdir, readFile, rm, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { promisify } from "node:util";
import { ipBatch, runCommand } from "../runtime/commands.ts";
import type { Attachment, NetworkInfo, RuntimeNode } from "../runtime/index.ts";
import { startSshHost, type SshHost } from "./host.ts";

const run = promisify(execFile);

export const NODE_SSH_USER = "ubuntu";
export const JUMP_SSH_USER = "jump";
/** Marks private-network mode's unreachable route (the sandbox subnets are 10.213.X.0/24). */
const PRIVATE_ROUTE_METRIC = 213;

export interface SandboxSshEndpoint {
  /** The address to dial (for the node, through the jump host in private-network mode). */
  host: string;
  port: number;
  user: string;
  /** SHA256:... of the host key, as `ssh-keygen -l` prints it. */
  hostKeyFingerprint: string;
  /** A known_hosts line pinning this host key at host and port. */
  knownHostsLine: string;
}

export interface SandboxSshLayout {
  /** sshd on admin-master; the private key is base64 in kube-system/sshkeys, field vsphere_tmp. */
  node: SandboxSshEndpoint;
  jumpHost: SandboxSshEndpoint & {
    /** The jump host's leg on the sandbox bridge (the address it forwards from). */
    bridgeAddress: string;
    /** The jump user's private key (ed25519, mode 0600), made at start, removed by stop(). */
    privateKeyPath: string;
  };
  /** Both knownHostsLines, one file, for `ssh -o UserKnownHostsFile=...`. */
  knownHostsPath: string;
  /** True once the runner can reach the node only through the jump host. */
  privateNetwork: boolean;
}

/** What the SSH hosts need of the node runtime. */
export interface SandboxSshRuntime {
  readonly nodes: RuntimeNode[];
  readonly network: NetworkInfo;
  attachHelper(name: string): Promise<Attachment>;
  recordHostResource(kind: "links" | "routes", value: string): void;
}

export interface SandboxSsh {
  layout: SandboxSshLayout;
  /** Cuts the runner's direct route to the node: from now on only the jump host reaches it. */
  closeDirectRoute(): Promise<void>;
}

export async function startSandboxSsh(options: {
  runtime: SandboxSshRuntime;
  sandboxId: string;
  /** The sandbox's work folder: host keys, the jump host's root and client key go under it. */
  workDir: string;
  nodeName: string;
  nodeRoot: string;
  /**
   * Given each stop step as soon as the thing it stops exists (sshds, key folder); links and
   * routes are the runtime's to remove.
   */
  onTeardown: (step: () => Promise<unknown>) => void;
}): Promise<SandboxSsh> {
  const { runtime, workDir } = options;
  const node = runtime.nodes.find((candidate) => candidate.name === options.nodeName);
  if (!node) throw new Error(`the sandbox runtime has no node ${options.nodeName} to run sshd on`);

  // Both settle before a failure is thrown, so the caller's teardown never races a start.
  const [nodeStart, jumpStart] = await Promise.allSettled([
    startNodeSshd(node, options.nodeRoot, workDir, options.onTeardown),
    startJumpHost(options.runtime, options.sandboxId, workDir, options.onTeardown),
  ]);
  if (nodeStart.status === "rejected") throw nodeStart.reason;
  if (jumpStart.status === "rejected") throw jumpStart.reason;
  const nodeHost = nodeStart.value;
  const jump = jumpStart.value;

  const knownHostsPath = join(workDir, "ssh", "known_hosts");
  await writeFile(knownHostsPath, `${nodeHost.knownHostsLine}\n${jump.host.knownHostsLine}\n`);
  const layout: SandboxSshLayout = {
    node: endpoint(nodeHost, NODE_SSH_USER),
    jumpHost: {
      ...endpoint(jump.host, JUMP_SSH_USER),
      bridgeAddress: jump.bridgeAddress,
      privateKeyPath: jump.privateKeyPath,
    },
    knownHostsPath,
    privateNetwork: false,
  };
  return {
    layout,
    closeDirectRoute: async () => {
      const route = `unreachable ${node.ip}/32 metric ${PRIVATE_ROUTE_METRIC}`;
      runtime.recordHostResource("routes", route);
      await ipBatch([`route add ${route}`]);
      layout.privateNetwork = true;
    },
  };
}

function endpoint(host: SshHost, user: string): SandboxSshEndpoint {
  return {
    host: host.address,
    port: host.port,
    user,
    hostKeyFingerprint: host.hostKeyFingerprint,
    knownHostsLine: host.knownHostsLine,
  };
}

/**
 * sshd in the node's network namespace at its address. The `ubuntu` key is already in the
 * node root's authorized_keys (prepareAdminControlPlane); startSshHost makes its owner and
 * modes what StrictModes wants.
 */
export async function startNodeSshd(
  node: RuntimeNode,
  nodeRoot: string,
  workDir: string,
  onTeardown: (step: () => Promise<unknown>) => void,
): Promise<SshHost> {
  const host = await startSshHost({
    id: node.name,
    dir: workDir,
    nodeRoot,
    netns: node.netns,
    address: node.ip,
    users: [{ name: NODE_SSH_USER, sudo: "nopasswd" }],
  });
  onTeardown(() => host.stop());
  return host;
}

/**
 * The jump host: a helper namespace on the bridge, plus a veth to the runner on
 * 10.212.X.0/30 (X: the sandbox subnet's own third octet, which the sandbox holds a lock on),
 * the runner at .1 and the jump host's sshd at .2.
 */
async function startJumpHost(
  runtime: SandboxSshRuntime,
  sandboxId: string,
  workDir: string,
  onTeardown: (step: () => Promise<unknown>) => void,
): Promise<{ host: SshHost; bridgeAddress: string; privateKeyPath: string }> {
  const octet = /^10\.213\.(\d+)\.0\/24$/.exec(runtime.network.subnet)?.[1];
  if (octet === undefined) {
    throw new Error(
      `the sandbox subnet ${runtime.network.subnet} is not a 10.213.X.0/24: cannot derive the jump host's runner link.`,
    );
  }
  const runnerSubnet = `10.212.${octet}.0/30`;
  const { stdout: routes } = await runCommand("ip", ["-4", "route", "show", "table", "all"]);
  if (routes.includes(`10.212.${octet}.`)) {
    throw new Error(
      `the jump host's runner link ${runnerSubnet} is already routed on this machine (ip route show table all): remove that route or restart the sandbox to get another subnet.`,
    );
  }
  const runnerAddress = `10.212.${octet}.1`;
  const jumpAddress = `10.212.${octet}.2`;

  const attachment = await runtime.attachHelper("ssh-jump-host");
  const runnerLink = `esb${sandboxId}-jr`;
  runtime.recordHostResource("links", runnerLink);
  await ipBatch([
    `link add ${runnerLink} type veth peer name eth1 netns ${attachment.netns}`,
    `addr add ${runnerAddress}/30 dev ${runnerLink}`,
    `link set ${runnerLink} up`,
  ]);
  await ipBatch([`addr add ${jumpAddress}/30 dev eth1`, "link set eth1 up"], {
    netns: attachment.netns,
  });

  const jumpDir = join(workDir, "jump-host");
  onTeardown(() => rm(jumpDir, { recursive: true, force: true }));
  const jumpRoot = join(jumpDir, "root");
  await mkdir(jumpRoot, { recursive: true, mode: 0o700 });
  const privateKeyPath = join(jumpDir, "id_ed25519");
  await run("ssh-keygen", [
    "-q",
    "-t",
    "ed25519",
    "-N",
    "",
    "-C",
    `${JUMP_SSH_USER}@sandbox-${sandboxId}`,
    "-f",
    privateKeyPath,
  ]);
  await chmod(privateKeyPath, 0o600);
  const publicLine = (await readFile(`${privateKeyPath}.pub`, "utf8")).trim();

  const host = await startSshHost({
    id: "jump-host",
    dir: workDir,
    nodeRoot: jumpRoot,
    netns: attachment.netns,
    address: jumpAddress,
    users: [{ name: JUMP_SSH_USER, sudo: "none", authorizedKeys: publicLine }],
    forwardingOnly: true,
  });
  onTeardown(() => host.stop());
  return { host, bridgeAddress: attachment.ip, privateKeyPath };
}

/** How to ssh in, for `npm run sandbox`: the runbook's way of getting the key, host keys pinned. */
export function sshInstructions(layout: SandboxSshLayout, kubeconfigPath: string): string[] {
  const { node, jumpHost, knownHostsPath } = layout;
  const pinned = `-o UserKnownHostsFile=${knownHostsPath} -o StrictHostKeyChecking=yes`;
  const viaJump = `-o ProxyCommand='ssh -i ${jumpHost.privateKeyPath} ${pinned} -W %h:%p ${jumpHost.user}@${jumpHost.host}'`;
  return [
    `node key: kubectl --kubeconfig ${kubeconfigPath} get secret -n kube-system sshkeys -o jsonpath='{.data.vsphere_tmp}' | base64 -d > admin-master.key && chmod 600 admin-master.key`,
    layout.privateNetwork
      ? `direct: none (private network: ${node.host} is reachable only through the jump host)`
      : `direct: ssh -i admin-master.key ${pinned} ${node.user}@${node.host}`,
    `through the jump host: ssh -i admin-master.key ${pinned} ${viaJump} ${node.user}@${node.host}`,
    `host keys: ${node.host} ${node.hostKeyFingerprint}, jump host ${jumpHost.host} ${jumpHost.hostKeyFingerprint}`,
  ];
}
