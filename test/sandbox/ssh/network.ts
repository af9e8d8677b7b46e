/**
 * Network namespaces for SSH tests and the demo: a node and a jump host on a private LAN,
 * the jump host also linked to the runner (this machine). In private-network mode the LAN
 * is not reachable from the runner at all (an `unreachable` route for its subnet, so the
 * attempt fails at once instead of leaking packets out of the default route); otherwise
 * the runner is on the LAN too. Every name carries the network's id, so teardown (and the
 * cleanup of a killed run) removes exactly what this created.
 */
import { execFile, spawn } from "node:child_process";
import { createHash } from "node:crypto";
import { existsSync } from "node:fs";
import { promisify } from "node:util";

const run = promisify(execFile);

async function ip(...args: string[]): Promise<string> {
  try {
    const { stdout } = await run("ip", args);
    return stdout;
  } catch (error) {
    const stderr = (error as { stderr?: string }).stderr?.trim() ?? String(error);
    throw new Error(`"ip ${args.join(" ")}" failed: ${stderr}`, { cause: error });
  }
}

async function ipQuiet(...args: string[]): Promise<void> {
  await run("ip", args).catch(() => undefined);
}

export interface SshTestNetwork {
  id: string;
  /** Namespace of the node (the admin control-plane machine). */
  nodeNetns: string;
  /** The node's address on the LAN: the address the client (or the jump host) dials. */
  nodeAddress: string;
  jumpNetns: string;
  /** The jump host's address on its link to the runner. */
  jumpAddress: string;
  privateNetwork: boolean;
  remove(): Promise<void>;
}

interface Names {
  lan: string;
  node: string;
  jump: string;
  runnerToLan: string;
  runnerToJump: string;
  /** Marks this network's unreachable route, so a stale one is found by id. */
  routeMetric: number;
}

function namesFor(id: string): Names {
  if (!/^[a-z0-9-]{1,20}$/.test(id)) {
    throw new Error(`network id "${id}" must be 1 to 20 lowercase letters, digits or dashes.`);
  }
  const token = `s${createHash("sha1").update(id).digest("hex").slice(0, 8)}`;
  return {
    lan: `${id}-lan`,
    node: `${id}-node`,
    jump: `${id}-jump`,
    runnerToLan: `${token}l`,
    runnerToJump: `${token}j`,
    routeMetric: 4000 + (parseInt(token.slice(1, 5), 16) % 1000),
  };
}

/** Picks a third octet whose 10.213.N.0/24 (jump link) and 10.214.N.0/24 (LAN) are unused here. */
async function freeSubnetOctet(): Promise<number> {
  const routes = await ip("-4", "route", "show", "table", "all");
  const used = new Set<number>();
  for (const match of routes.matchAll(/10\.21[34]\.(\d+)\./g)) used.add(Number(match[1]));
  const candidates = Array.from({ length: 250 }, (_, index) => index + 2).filter(
    (octet) => !used.has(octet),
  );
  const octet = candidates[Math.floor(Math.random() * candidates.length)];
  if (octet === undefined)
    throw new Error("no free 10.213.N.0/24 and 10.214.N.0/24 subnet left for an SSH test network.");
  return octet;
}

/**
 * Runs many `ip` commands in one process (`ip -batch -`), inside `netns` when given: under
 * load every `ip` start costs tens to hundreds of milliseconds, a batch pays it once.
 */
function ipBatch(netns: string | null, commands: string[]): Promise<void> {
  return new Promise((resolve, reject) => {
    const args = [...(netns ? ["-n", netns] : []), "-batch", "-"];
    const child = spawn("ip", args, { stdio: ["pipe", "ignore", "pipe"] });
    let stderr = "";
    child.stderr.on("data", (chunk: Buffer) => (stderr += chunk.toString("utf8")));
    child.on("error", reject);
    child.on("exit", (code) => {
      if (code === 0) return resolve();
      const failed = Number(/Command failed -:(\d+)/.exec(stderr)?.[1] ?? 0);
      const where = netns ? ` in network namespace ${netns}` : "";
      reject(
        new Error(
          `"ip ${commands[failed - 1] ?? commands.join("; ")}"${where} failed: ${stderr.trim()}`,
        ),
      );
    });
    child.stdin.end(`${commands.join("\n")}\n`);
  });
}

/** Removes everything a network with this id may have left, including a killed run's. */
export async function removeSshTestNetwork(id: string): Promise<void> {
  const names = namesFor(id);
  for (const link of [names.runnerToLan, names.runnerToJump]) {
    if (existsSync(`/sys/class/net/${link}`)) await ipQuiet("link", "del", link);
  }
  // The unreachable route of private-network mode carries this id's own metric.
  const routes = await ip("-4", "route", "show").catch(() => "");
  for (const match of routes.matchAll(/^unreachable (\S+) .*metric (\d+)/gm)) {
    if (Number(match[2]) === names.routeMetric)
      await ipQuiet("route", "del", "unreachable", match[1]!, "metric", String(names.routeMetric));
  }
  await Promise.all(
    [names.node, names.jump, names.lan]
      .filter((netns) => existsSync(`/run/netns/${netns}`))
      .map((netns) => ipQuiet("netns", "del", netns)),
  );
}

export async function createSshTestNetwork(options: {
  id: string;
  privateNetwork: boolean;
}): Promise<SshTestNetwork> {
  const names = namesFor(options.id);
  await removeSshTestNetwork(options.id);
  const octet = await freeSubnetOctet();
  const lanSubnet = `10.214.${octet}.0/24`;
  const network: SshTestNetwork = {
    id: options.id,
    nodeNetns: names.node,
    nodeAddress: `10.214.${octet}.2`,
    jumpNetns: names.jump,
    jumpAddress: `10.213.${octet}.2`,
    privateNetwork: options.privateNetwork,
    remove: () => removeSshTestNetwork(options.id),
  };
  try {
    const hostSide = [
      ...[names.lan, names.node, names.jump].map((netns) => `netns add ${netns}`),
      `link add eth0 netns ${names.node} type veth peer name node netns ${names.lan}`,
      `link add eth1 netns ${names.jump} type veth peer name jump netns ${names.lan}`,
      `link add ${names.runnerToJump} type veth peer name eth0 netns ${names.jump}`,
      `addr add 10.213.${octet}.1/30 dev ${names.runnerToJump}`,
      `link set ${names.runnerToJump} up`,
      ...(options.privateNetwork
        ? [`route add unreachable ${lanSubnet} metric ${names.routeMetric}`]
        : [
            `link add ${names.runnerToLan} type veth peer name runner netns ${names.lan}`,
            `addr add 10.214.${octet}.1/24 dev ${names.runnerToLan}`,
            `link set ${names.runnerToLan} up`,
          ]),
    ];
    await ipBatch(null, hostSide);
    const lanPorts = ["node", "jump", ...(options.privateNetwork ? [] : ["runner"])];
    await Promise.all([
      ipBatch(names.lan, [
        "link set lo up",
        "link add br0 type bridge",
        "link set br0 up",
        ...lanPorts.flatMap((port) => [`link set ${port} master br0`, `link set ${port} up`]),
      ]),
      ipBatch(names.node, [
        "link set lo up",
        `addr add ${network.nodeAddress}/24 dev eth0`,
        "link set eth0 up",
      ]),
      ipBatch(names.jump, [
        "link set lo up",
        `addr add 10.214.${octet}.3/24 dev eth1`,
        `addr add ${network.jumpAddress}/30 dev eth0`,
        "link set eth1 up",
        "link set eth0 up",
      ]),
    ]);
    return network;
  } catch (error) {
    await network.remove();
    throw error;
  }
}
