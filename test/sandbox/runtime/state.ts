/**
 * What a sandbox has created on the host, written down before it is created, so that a
 * sandbox whose owning process was killed can be cleaned up at the next start by its own ids
 * and nothing else. One JSON file per sandbox id under /run/etcd-backup-sandbox/, plus one
 * lock file per claimed subnet so two sandboxes started at once never share a bridge subnet.
 */
import { mkdirSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";

import type { Logger } from "../../../src/core/log/logger.ts";
import { ipBatch } from "./commands.ts";
import { isAlive, killGroup, pidsInNetns, processStat, signal } from "./processes.ts";
import { unmountMemoryVolumes } from "./volumes.ts";

export const STATE_DIR = "/run/etcd-backup-sandbox";

export interface SandboxRecord {
  sandboxId: string;
  ownerPid: number;
  ownerStartTicks: string;
  dir: string;
  /** Third octet of 10.213.X.0/24, once claimed. */
  subnetOctet?: number;
  bridge?: string;
  /** Host-side veth names. */
  links: string[];
  /** `ip netns` names. */
  netns: string[];
  /** Process group ids of containers and execs. */
  processGroups: number[];
  /**
   * Host routes the sandbox added outside its bridge (`ip route` specs, e.g. private-network
   * mode's `unreachable <node ip>/32`); optional because older records have none.
   */
  routes?: string[];
}

const SANDBOX_ID = /^[a-z0-9]{1,8}$/;

export function checkSandboxId(sandboxId: string): void {
  if (!SANDBOX_ID.test(sandboxId)) {
    throw new Error(
      `sandboxId "${sandboxId}" is not usable: expected 1 to 8 lowercase letters or digits (it goes into 15-character link names).`,
    );
  }
}

export function subnetLockPath(octet: number): string {
  return join(STATE_DIR, `subnet-10.213.${octet}.0.lock`);
}

type RecordList = "links" | "netns" | "processGroups" | "routes";

/** The live record of this process's sandbox: every change is written through at once. */
export class SandboxState {
  readonly record: SandboxRecord;
  private readonly path: string;

  constructor(sandboxId: string, dir: string) {
    mkdirSync(STATE_DIR, { recursive: true });
    this.path = join(STATE_DIR, `${sandboxId}.json`);
    const owner = processStat(process.pid);
    this.record = {
      sandboxId,
      ownerPid: process.pid,
      ownerStartTicks: owner?.startTicks ?? "",
      dir,
      links: [],
      netns: [],
      processGroups: [],
      routes: [],
    };
    this.save();
  }

  update(change: (record: SandboxRecord) => void): void {
    change(this.record);
    this.save();
  }

  add(list: RecordList, value: string | number): void {
    this.update((record) => {
      ((record[list] ??= []) as Array<string | number>).push(value);
    });
  }

  remove(list: RecordList, value: string | number): void {
    this.update((record) => {
      const values = (record[list] ?? []) as Array<string | number>;
      const at = values.indexOf(value);
      if (at >= 0) values.splice(at, 1);
    });
  }

  /** The sandbox is gone from the host: forget it. */
  discard(): void {
    rmSync(this.path, { force: true });
  }

  private save(): void {
    const temporary = `${this.path}.tmp`;
    writeFileSync(temporary, JSON.stringify(this.record, null, 2));
    renameSync(temporary, this.path);
  }
}

function readRecord(path: string): SandboxRecord | undefined {
  try {
    return JSON.parse(readFileSync(path, "utf8")) as SandboxRecord;
  } catch {
    return undefined;
  }
}

/** The record of a sandbox id, if one is on file (for tests and for a refusal message). */
export function readSandboxRecord(sandboxId: string): SandboxRecord | undefined {
  return readRecord(join(STATE_DIR, `${sandboxId}.json`));
}

export function ownerIsAlive(record: SandboxRecord): boolean {
  return isAlive(record.ownerPid, record.ownerStartTicks);
}

/**
 * Removes what a dead sandbox left behind, using only the names and ids in its record:
 * processes inside its network namespaces or in its recorded process groups (checked to
 * still be in one of its namespaces, so a reused pid is never touched), its veths, its
 * namespaces, its bridge, its routes and its subnet lock. Returns the ids cleaned up.
 */
export async function cleanupStaleSandboxes(logger?: Logger): Promise<string[]> {
  let files: string[];
  try {
    files = readdirSync(STATE_DIR).filter((file) => file.endsWith(".json"));
  } catch {
    return [];
  }
  const cleaned: string[] = [];
  for (const file of files) {
    const record = readRecord(join(STATE_DIR, file));
    if (!record || ownerIsAlive(record)) continue;
    logger?.info(
      `cleaning up sandbox ${record.sandboxId} left by dead process ${record.ownerPid} (${record.dir})`,
    );
    await removeSandboxResources(record);
    rmSync(join(STATE_DIR, file), { force: true });
    cleaned.push(record.sandboxId);
  }
  return cleaned;
}

/** Ends the processes in the record's namespaces, then removes links, namespaces, bridge, routes. */
export async function removeSandboxResources(record: SandboxRecord): Promise<void> {
  for (const name of record.netns) {
    for (const pid of pidsInNetns(`/run/netns/${name}`)) {
      const group = processStat(pid)?.pgrp;
      if (group !== undefined && record.processGroups.includes(group)) killGroup(group);
      signal(pid, "SIGKILL");
    }
  }
  const removals = [
    ...record.links.map((link) => `link del ${link}`),
    ...record.netns.map((name) => `netns del ${name}`),
    ...(record.bridge ? [`link del ${record.bridge}`] : []),
    ...(record.routes ?? []).map((route) => `route del ${route}`),
  ];
  if (removals.length > 0) await ipBatch(removals, { force: true });
  // Memory-backed emptyDirs of its pods: the folder under them cannot go while they are mounted.
  try {
    unmountMemoryVolumes(record.dir);
  } catch {
    // Nothing mounted, or already gone: the folder's removal says what is left.
  }
  if (record.subnetOctet !== undefined) {
    const lock = subnetLockPath(record.subnetOctet);
    try {
      if (readFileSync(lock, "utf8").trim() === record.sandboxId) rmSync(lock, { force: true });
    } catch {
      // No lock: the subnet was never claimed.
    }
  }
}
