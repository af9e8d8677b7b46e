/**
 * The sandbox's life cycle on the host: a sandbox whose process is killed outright leaves
 * network namespaces, links and (in private-network mode) a route behind, and the next start
 * removes them by that sandbox's own ids; its sshds die with it; stop() leaves no process,
 * network namespace, link, route or mount.
 */
import { spawn, execFileSync, type ChildProcess } from "node:child_process";
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { recordingLogger } from "../../src/core/log/logger.ts";
import { startSandbox, type Sandbox } from "../sandbox/index.ts";
import { waitFor } from "./helpers.ts";

const STATE_DIR = "/run/etcd-backup-sandbox";

/** What a sandbox id still owns on the host: network namespaces, links, state record. */
function hostLeftovers(sandboxId: string): { netns: string[]; links: string[]; record: boolean } {
  const netns = execFileSync("ip", ["netns", "list"], { encoding: "utf8" })
    .split("\n")
    .map((line) => line.split(" ")[0] ?? "")
    .filter((name) => name.startsWith(`esb-${sandboxId}-`));
  const links = execFileSync("ip", ["-o", "link", "show"], { encoding: "utf8" })
    .split("\n")
    .map((line) => line.split(": ")[1]?.split("@")[0] ?? "")
    .filter((name) => name.startsWith(`esb${sandboxId}`));
  return { netns, links, record: existsSync(join(STATE_DIR, `${sandboxId}.json`)) };
}

/** Processes whose command line mentions the folder (pods run under it). */
function processesUsing(dir: string): number[] {
  const pids: number[] = [];
  for (const entry of readdirSync("/proc")) {
    if (!/^\d+$/.test(entry) || Number(entry) === process.pid) continue;
    try {
      const cmdline = readFileSync(`/proc/${entry}/cmdline`, "utf8");
      if (cmdline.includes(dir)) pids.push(Number(entry));
    } catch {
      // the process ended while we looked
    }
  }
  return pids;
}

/** Private-network mode's route to nowhere for the node's address, if it is still there. */
function unreachableRoute(nodeIP: string): string {
  return execFileSync("ip", ["route", "show", "type", "unreachable", `${nodeIP}/32`], {
    encoding: "utf8",
  }).trim();
}

function mountsUnder(dir: string): string[] {
  return readFileSync("/proc/self/mountinfo", "utf8")
    .split("\n")
    .filter((line) => line.includes(dir));
}

describe("sandbox life cycle", { timeout: 300_000 }, () => {
  let dir: string | undefined;
  let child: ChildProcess | undefined;
  let sandbox: Sandbox | undefined;

  afterAll(async () => {
    await sandbox?.stop();
    if (child?.pid && child.exitCode === null && child.signalCode === null) {
      process.kill(child.pid, "SIGKILL");
    }
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it("cleans up a SIGKILLed `npm run sandbox` at the next start, and stop() leaves nothing behind", async () => {
    dir = await mkdtemp(join(tmpdir(), "sandbox-lifecycle-"));
    child = spawn(
      join(process.cwd(), "node_modules/.bin/tsx"),
      ["test/sandbox/main.ts", "--dir", dir, "--user-clusters", "uc1:1", "--private-network"],
      { cwd: process.cwd(), stdio: "ignore" },
    );
    const exited = new Promise((resolve) => child?.once("exit", resolve));
    await waitFor(
      "the sandbox process to write DIR/ready",
      () => (existsSync(join(dir as string, "ready")) ? true : undefined),
      90_000,
    );
    const killedLayout = JSON.parse(await readFile(join(dir, "sandbox.json"), "utf8")) as {
      sandboxId: string;
      ssh: { node: { host: string }; privateNetwork: boolean };
    };
    const killedId = killedLayout.sandboxId;
    const killedNodeIP = killedLayout.ssh.node.host;
    const sshStateDirs = join(dir, "work", "ssh");
    expect(killedLayout.ssh.privateNetwork).toBe(true);
    expect(unreachableRoute(killedNodeIP)).not.toBe("");
    expect(processesUsing(sshStateDirs).length).toBeGreaterThan(0);
    const record = JSON.parse(readFileSync(join(STATE_DIR, `${killedId}.json`), "utf8")) as {
      ownerPid: number;
    };
    // The sandbox's own process, with no chance to clean up.
    process.kill(record.ownerPid, "SIGKILL");
    await exited;
    const left = hostLeftovers(killedId);
    expect(left.netns.length).toBeGreaterThan(0);
    expect(left.record).toBe(true);
    expect(unreachableRoute(killedNodeIP)).not.toBe("");
    // The sshds go with their parent (parent-death signal), before any clean-up runs.
    await waitFor(
      "the killed sandbox's sshds to end",
      () => (processesUsing(sshStateDirs).length === 0 ? true : undefined),
      10_000,
    );

    // The next start, in the same folder, removes the dead sandbox's namespaces and links.
    sandbox = await startSandbox({
      dir,
      userClusters: [{ name: "uc1", members: 1 }],
      logger: recordingLogger(),
    });
    expect(hostLeftovers(killedId)).toEqual({ netns: [], links: [], record: false });
    // This one runs without --private-network: no route to nowhere is left for that address.
    expect(unreachableRoute(killedNodeIP)).toBe("");
    const liveId = sandbox.layout.sandboxId;
    expect(liveId).not.toBe(killedId);
    expect(hostLeftovers(liveId).netns.length).toBeGreaterThan(0);
    expect(processesUsing(dir).length).toBeGreaterThan(0);

    await sandbox.stop();
    await sandbox.stop(); // twice is fine
    expect(hostLeftovers(liveId)).toEqual({ netns: [], links: [], record: false });
    expect(processesUsing(dir)).toEqual([]);
    expect(mountsUnder(dir)).toEqual([]);
    expect(existsSync(join(dir, "ready"))).toBe(false);
  });

  it('SIGTERM to `npm run sandbox`\'s process group tears it down to "stopped", leaving nothing', async () => {
    // tsx's CLI wrapper SIGKILLed the sandbox ~60 ms after relaying a signal it had not seen
    // acknowledged; the script now runs node --import tsx, with no wrapper in between.
    const groupDir = await mkdtemp(join(tmpdir(), "sandbox-sigterm-"));
    const npm = spawn(
      "npm",
      ["run", "sandbox", "--", "--dir", groupDir, "--user-clusters", "uc1:3,uc2:1"],
      {
        cwd: process.cwd(),
        detached: true,
        stdio: ["ignore", "pipe", "pipe"],
      },
    );
    let log = "";
    npm.stdout?.on("data", (chunk: Buffer) => (log += chunk.toString("utf8")));
    npm.stderr?.on("data", (chunk: Buffer) => (log += chunk.toString("utf8")));
    const exited = new Promise<void>((resolve) => npm.once("close", () => resolve()));
    try {
      await waitFor(
        "`npm run sandbox` to write DIR/ready",
        () => (existsSync(join(groupDir, "ready")) ? true : undefined),
        120_000,
      );
      const layout = JSON.parse(await readFile(join(groupDir, "sandbox.json"), "utf8")) as {
        sandboxId: string;
      };
      expect(hostLeftovers(layout.sandboxId).netns.length).toBeGreaterThan(0);

      process.kill(-npm.pid!, "SIGTERM");
      // npm itself ends by the signal it got; the sandbox's own words say how it ended.
      await exited;

      expect(log).toContain("sandbox: SIGTERM received, tearing down");
      expect(log).toContain("sandbox: stopped");
      expect(hostLeftovers(layout.sandboxId)).toEqual({ netns: [], links: [], record: false });
      expect(processesUsing(groupDir)).toEqual([]);
      expect(mountsUnder(groupDir)).toEqual([]);
    } finally {
      if (npm.exitCode === null && npm.signalCode === null) process.kill(-npm.pid!, "SIGKILL");
      await rm(groupDir, { recursive: true, force: true });
    }
  });
});
