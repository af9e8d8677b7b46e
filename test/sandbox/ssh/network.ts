/**
 * Network namespaces for SSH tests and the demo: a node and a jump host on a private LAN,
 * the jump host also linked to the runner (this machine). In private-network mode the LAN
 * is not reachable from the runner at all (an `unreachable` route for its subnet, so the
 * attempt fails at once instead of leaking packets out of the default route); otherwise
 * the runner is on the LAN too. Every name carries the network's id, so teardown (and the
 * cleanup of a killed run) removes exactly what this created.
 */
import { execFile } from "node:child_process";
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

async function addNetns(name: string): Promise<void> {
  await ip("netns", "add", name);
  await ip("-n", name, "link", "set", "lo", "up");
}

/** A veth pair from namespace `from` (or the runner, when null) to `to`, each end named and addressed. */
async function addVeth(
  from: { netns: string | null; name: string; address?: string },
  to: { netns: string; name: string; address?: string; bridge?: string },
): Promise<void> {
  const temporary = `v${createHash("sha1").update(`${from.name}${to.name}`).digest("hex").slice(0, 10)}`;
  const fromArgs = from.netns ? ["-n", from.netns] : [];
  await ip(...fromArgs, "link", "add", from.name, "type", "veth", "peer", "name", temporary);
  await ip(...fromArgs, "link", "set", temporary, "netns", to.netns);
  await ip("-n", to.netns, "link", "set", temporary, "name", to.name);
  if (from.address) await ip(...fromArgs, "addr", "add", from.address, "dev", from.name);
  if (to.address) await ip("-n", to.netns, "addr", "add", to.address, "dev", to.name);
  if (to.bridge) await ip("-n", to.netns, "link", "set", to.name, "master", to.bridge);
  await ip(...fromArgs, "link", "set", from.name, "up");
  await ip("-n", to.netns, "link", "set", to.name, "up");
}

/** Removes everything a network with this id may have left, including a killed run's. */
export async function removeSshTestNetwork(id: string): Promise<void> {
  const names = namesFor(id);
  for (const link of [names.runnerToLan, names.runnerToJump]) await ipQuiet("link", "del", link);
  // The unreachable route of private-network mode carries this id's own metric.
  const routes = await ip("-4", "route", "show").catch(() => "");
  for (const match of routes.matchAll(/^unreachable (\S+) .*metric (\d+)/gm)) {
    if (Number(match[2]) === names.routeMetric)
      await ipQuiet("route", "del", "unreachable", match[1]!, "metric", String(names.routeMetric));
  }
  for (const netns of [names.node, names.jump, names.lan]) {
    if (existsSync(`/run/netns/${netns}`)) await ipQuiet("netns", "del", netns);
  }
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
    for (const netns of [names.lan, names.node, names.jump]) await addNetns(netns);
    await ip("-n", names.lan, "link", "add", "br0", "type", "bridge");
    await ip("-n", names.lan, "link", "set", "br0", "up");
    await addVeth(
      { netns: names.node, name: "eth0", address: `${network.nodeAddress}/24` },
      { netns: names.lan, name: "node", bridge: "br0" },
    );
    await addVeth(
      { netns: names.jump, name: "eth1", address: `10.214.${octet}.3/24` },
      { netns: names.lan, name: "jump", bridge: "br0" },
    );
    await addVeth(
      { netns: null, name: names.runnerToJump, address: `10.213.${octet}.1/30` },
      { netns: names.jump, name: "eth0", address: `${network.jumpAddress}/30` },
    );
    if (options.privateNetwork) {
      await ip("route", "add", "unreachable", lanSubnet, "metric", String(names.routeMetric));
    } else {
      await addVeth(
        { netns: null, name: names.runnerToLan, address: `10.214.${octet}.1/24` },
        { netns: names.lan, name: "runner", bridge: "br0" },
      );
    }
    return network;
  } catch (error) {
    await network.remove();
    throw error;
  }
}
