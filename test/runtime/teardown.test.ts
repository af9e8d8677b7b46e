import { spawn } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { PassThrough } from "node:stream";

import { afterEach, describe, expect, it } from "vitest";

import { ObjectStore } from "../sandbox/store.ts";
import { runCommand } from "../sandbox/runtime/commands.ts";
import {
  cleanupStaleSandboxes,
  readSandboxRecord,
  startRuntime,
  STATE_DIR,
} from "../sandbox/runtime/index.ts";
import type { Fixture } from "./fixtures.ts";
import {
  ETCD_IMAGE,
  newSandboxId,
  pod,
  sleeper,
  startFixture,
  TEST_IMAGES,
  waitFor,
  waitForReady,
} from "./fixtures.ts";

const cleanups: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** What of a sandbox id is still on the host: namespaces, links, mounts. */
async function leftovers(sandboxId: string) {
  const namespaces = (await runCommand("ip", ["netns", "list"])).stdout
    .split("\n")
    .filter((line) => line.startsWith(`esb-${sandboxId}-`));
  const links = (await runCommand("ip", ["-o", "link", "show"])).stdout
    .split("\n")
    .filter((line) => line.includes(`esb${sandboxId}-`));
  const mounts = readFileSync("/proc/mounts", "utf8")
    .split("\n")
    .filter((line) => line.includes(`esb-${sandboxId}-`));
  return { namespaces, links, mounts };
}

describe("runtime teardown", () => {
  it("stop() leaves no process, network namespace, link or mount behind", async () => {
    const fixture: Fixture = await startFixture([
      { name: "admin-master", controlPlane: true },
      { name: "admin-node-0" },
    ]);
    cleanups.push(() => rmSync(fixture.dir, { recursive: true, force: true }));
    cleanups.push(() => fixture.runtime.stop());
    const { store, runtime, sandboxId } = fixture;
    store.create("pods", pod("uc1", "sleeper", { containers: [sleeper()] }));
    store.create(
      "pods",
      pod("uc1", "etcd", {
        containers: [{ name: "etcd", image: ETCD_IMAGE, args: ["--data-dir=/var/lib/etcd"] }],
      }),
    );
    store.create(
      "pods",
      pod("kube-system", "host-net", {
        hostNetwork: true,
        nodeSelector: { "kubernetes.io/hostname": "admin-master" },
        containers: [sleeper()],
      }),
    );
    store.create(
      "pods",
      pod("uc1", "crasher", {
        containers: [{ ...sleeper(), command: ["sh", "-c", "sleep 0.2; exit 1"] }],
      }),
    );
    for (const name of ["sleeper", "etcd"]) await waitForReady(store, "uc1", name);
    await waitForReady(store, "kube-system", "host-net");
    // An exec still running when the sandbox stops is ended with it.
    const runningExec = runtime.exec(
      { namespace: "uc1", pod: "sleeper", container: "", command: ["sleep", "600"], tty: false },
      { stdin: null, stdout: new PassThrough(), stderr: null },
    );
    const record = await waitFor("the exec to be recorded", () => {
      const current = readSandboxRecord(sandboxId);
      return current && current.processGroups.length >= 4 && current;
    });
    const before = await leftovers(sandboxId);
    expect(before.namespaces.length).toBeGreaterThanOrEqual(5);
    expect(before.links.some((line) => line.includes(`esb${sandboxId}-br`))).toBe(true);

    await runtime.stop();

    expect((await runningExec).exitCode).not.toBe(0);
    expect(record.processGroups.filter(alive)).toEqual([]);
    expect(await leftovers(sandboxId)).toEqual({ namespaces: [], links: [], mounts: [] });
    expect(existsSync(join(STATE_DIR, `${sandboxId}.json`))).toBe(false);
    // The sandbox folder is the caller's to remove.
    expect(existsSync(join(fixture.dir, "nodes/admin-master"))).toBe(true);
  });

  it("refuses a second runtime with the id of one that is running", async () => {
    const fixture = await startFixture([{ name: "admin-node-0" }]);
    cleanups.push(() => rmSync(fixture.dir, { recursive: true, force: true }));
    cleanups.push(() => fixture.runtime.stop());
    const attempt = startRuntime({
      store: new ObjectStore(),
      dir: join(fixture.dir, "second"),
      sandboxId: fixture.sandboxId,
      nodes: [{ name: "admin-node-0" }],
      images: TEST_IMAGES,
      logger: fixture.logger,
    });
    await expect(attempt).rejects.toThrow(
      `sandbox id "${fixture.sandboxId}" is in use by running process ${process.pid}`,
    );
  });

  it("rejects a sandbox id that cannot fit in link names, naming what is expected", async () => {
    const attempt = startRuntime({
      store: new ObjectStore(),
      dir: "/tmp/unused",
      sandboxId: "Not-An-Id-At-All",
      nodes: [{ name: "admin-node-0" }],
      images: TEST_IMAGES,
    });
    await expect(attempt).rejects.toThrow(
      'sandboxId "Not-An-Id-At-All" is not usable: expected 1 to 8 lowercase letters or digits',
    );
  });

  it("cleans up a sandbox whose owning process was killed, by its own ids only", async () => {
    const dir = mkdtempSync(join(tmpdir(), "runtime-stale-"));
    cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
    const sandboxId = newSandboxId();
    const owner = spawn(
      process.execPath,
      ["--import", "tsx", "test/runtime/stale-owner.ts", dir, sandboxId],
      {
        stdio: ["ignore", "pipe", "inherit"],
      },
    );
    cleanups.push(() => {
      if (owner.exitCode === null && owner.signalCode === null && owner.pid)
        process.kill(owner.pid, "SIGKILL");
    });
    await new Promise<void>((resolve, reject) => {
      owner.stdout?.on("data", (chunk: Buffer) => chunk.toString().includes("ready") && resolve());
      owner.once("exit", (code) => reject(new Error(`stale-owner exited early with ${code}`)));
    });
    const record = readSandboxRecord(sandboxId);
    expect(record?.ownerPid).toBe(owner.pid);
    // Someone else's sandbox, alive, must survive the clean-up.
    const bystander = await startFixture([{ name: "admin-node-0" }]);
    cleanups.push(() => rmSync(bystander.dir, { recursive: true, force: true }));
    cleanups.push(() => bystander.runtime.stop());

    owner.kill("SIGKILL");
    await new Promise((resolve) => owner.once("exit", resolve));
    // --die-with-parent: the pod's processes died with their owner...
    await waitFor("the pod processes to die with their owner", () =>
      record?.processGroups.every((pid) => !alive(pid)),
    );
    // ...but its namespaces, links and bridge stay until someone cleans them up.
    expect((await leftovers(sandboxId)).namespaces.length).toBeGreaterThan(0);

    expect(await cleanupStaleSandboxes()).toContain(sandboxId);
    expect(await leftovers(sandboxId)).toEqual({ namespaces: [], links: [], mounts: [] });
    expect(readSandboxRecord(sandboxId)).toBeUndefined();
    expect((await leftovers(bystander.sandboxId)).namespaces.length).toBeGreaterThan(0);
    expect(readSandboxRecord(bystander.sandboxId)?.ownerPid).toBe(process.pid);
  });
});
