/**
 * The sandbox network: one Linux bridge on the host with a private /24 from 10.213.0.0/16
 * (the host holds the gateway, .1), node network namespaces at .2-.9 and pod network
 * namespaces from .10 up. Every name carries the sandbox id: bridge `esb<id>-br`, namespace
 * `esb-<id>-<octet>`, host-side veth `esb<id>-<octet>` (at most 15 characters).
 */
import { closeSync, openSync, writeSync } from "node:fs";

import { ipBatch } from "./commands.ts";
import type { SandboxState } from "./state.ts";
import { subnetLockPath } from "./state.ts";

const FIRST_NODE_OCTET = 2;
const FIRST_POD_OCTET = 10;
const LAST_OCTET = 254;

export interface NetworkInfo {
  bridge: string;
  /** e.g. "10.213.7.0/24" */
  subnet: string;
  gateway: string;
}

export interface Attachment {
  ip: string;
  /** `ip netns` name. */
  netns: string;
  /** /run/netns/<name>, for nsenter. */
  netnsPath: string;
  veth: string;
}

export class SandboxNetwork {
  readonly info: NetworkInfo;
  /** Stable pod addresses: "namespace/name" -> last octet, for the sandbox's life. */
  private readonly podOctets = new Map<string, number>();
  private readonly attachments = new Map<number, Attachment>();
  private closing = false;

  private constructor(
    private readonly state: SandboxState,
    private readonly octet: number,
  ) {
    const id = state.record.sandboxId;
    this.info = {
      bridge: `esb${id}-br`,
      subnet: `10.213.${octet}.0/24`,
      gateway: `10.213.${octet}.1`,
    };
  }

  /** Claims a free subnet and brings the bridge up with the gateway address on the host. */
  static async create(state: SandboxState): Promise<SandboxNetwork> {
    const octet = await claimSubnet(state);
    const network = new SandboxNetwork(state, octet);
    const { bridge, gateway } = network.info;
    state.update((record) => (record.bridge = bridge));
    await ipBatch([
      `link add ${bridge} type bridge`,
      `addr add ${gateway}/24 dev ${bridge}`,
      `link set ${bridge} up`,
    ]);
    return network;
  }

  nodeAddress(index: number): string {
    if (FIRST_NODE_OCTET + index >= FIRST_POD_OCTET) {
      throw new Error(
        `the sandbox runtime supports at most ${FIRST_POD_OCTET - FIRST_NODE_OCTET} nodes`,
      );
    }
    return this.address(FIRST_NODE_OCTET + index);
  }

  /** The pod's address, the same every time the same namespace/name asks. */
  podAddress(namespace: string, name: string, inUse: (key: string) => boolean): string {
    const key = `${namespace}/${name}`;
    let octet = this.podOctets.get(key);
    if (octet === undefined) {
      octet = this.freePodOctet(inUse);
      this.podOctets.set(key, octet);
    }
    return this.address(octet);
  }

  knownPodAddress(namespace: string, name: string): string | undefined {
    const octet = this.podOctets.get(`${namespace}/${name}`);
    return octet === undefined ? undefined : this.address(octet);
  }

  /** A network namespace with loopback up and a veth into the bridge holding address. */
  async attach(address: string): Promise<Attachment> {
    const octet = Number(address.split(".")[3]);
    const id = this.state.record.sandboxId;
    const attachment: Attachment = {
      ip: address,
      netns: `esb-${id}-${octet}`,
      netnsPath: `/run/netns/esb-${id}-${octet}`,
      veth: `esb${id}-${octet}`,
    };
    this.state.add("netns", attachment.netns);
    this.state.add("links", attachment.veth);
    const ns = attachment.netns;
    await ipBatch([
      `netns add ${ns}`,
      `link add ${attachment.veth} type veth peer name eth0 netns ${ns}`,
      `link set ${attachment.veth} master ${this.info.bridge} up`,
    ]);
    await ipBatch(
      [
        `addr add ${address}/24 dev eth0`,
        "link set lo up",
        "link set eth0 up",
        `route add default via ${this.info.gateway}`,
      ],
      { netns: ns },
    );
    this.attachments.set(octet, attachment);
    return attachment;
  }

  /** Removes the veth (its peer goes with it) and the namespace. */
  async detach(attachment: Attachment): Promise<void> {
    // While the whole sandbox goes down, destroy() removes every namespace in one batch.
    if (this.closing) return;
    await ipBatch([`link del ${attachment.veth}`, `netns del ${attachment.netns}`], {
      force: true,
    });
    this.state.remove("links", attachment.veth);
    this.state.remove("netns", attachment.netns);
    this.attachments.delete(Number(attachment.ip.split(".")[3]));
  }

  /** From now on detach() leaves the namespaces to destroy(). */
  beginClosing(): void {
    this.closing = true;
  }

  async destroy(): Promise<void> {
    const attachments = [...this.attachments.values()];
    await ipBatch(
      [
        ...attachments.map((attachment) => `link del ${attachment.veth}`),
        ...attachments.map((attachment) => `netns del ${attachment.netns}`),
        `link del ${this.info.bridge}`,
      ],
      { force: true },
    );
    this.state.update((record) => {
      record.links = record.links.filter(
        (link) => !attachments.some((attachment) => attachment.veth === link),
      );
      record.netns = record.netns.filter(
        (name) => !attachments.some((attachment) => attachment.netns === name),
      );
      delete record.bridge;
    });
    this.attachments.clear();
  }

  private address(octet: number): string {
    return `10.213.${this.octet}.${octet}`;
  }

  /** The lowest unassigned octet; when all are taken, one whose pod no longer exists. */
  private freePodOctet(inUse: (key: string) => boolean): number {
    const taken = new Set(this.podOctets.values());
    for (let octet = FIRST_POD_OCTET; octet <= LAST_OCTET; octet++) {
      if (!taken.has(octet)) return octet;
    }
    for (const [key, octet] of this.podOctets) {
      if (!inUse(key) && !this.attachments.has(octet)) {
        this.podOctets.delete(key);
        return octet;
      }
    }
    throw new Error(`the sandbox subnet ${this.info.subnet} has no free pod address left`);
  }
}

/**
 * A /24 of 10.213.0.0/16 that no interface or route on the host uses, claimed with a lock
 * file created exclusively, so two sandboxes starting at the same moment never share it.
 */
async function claimSubnet(state: SandboxState): Promise<number> {
  const used = await subnetsInUse();
  const start = Math.floor(Math.random() * 256);
  for (let step = 0; step < 256; step++) {
    const octet = (start + step) % 256;
    if (used.has(octet)) continue;
    state.update((record) => (record.subnetOctet = octet));
    try {
      const fd = openSync(subnetLockPath(octet), "wx");
      writeSync(fd, state.record.sandboxId);
      closeSync(fd);
      return octet;
    } catch {
      state.update((record) => delete record.subnetOctet);
    }
  }
  throw new Error(
    "no free /24 left in 10.213.0.0/16 for the sandbox bridge: remove stale sandboxes (see /run/etcd-backup-sandbox)",
  );
}

async function subnetsInUse(): Promise<Set<number>> {
  const used = new Set<number>();
  const { stdout } = await ipBatch(["addr show", "route show"]);
  for (const match of stdout.matchAll(/\b10\.213\.(\d+)\./g)) {
    used.add(Number(match[1]));
  }
  return used;
}
