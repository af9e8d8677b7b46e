/**
 * The CLI runs on Node 24 (the Actions runtime); on an older Node it says so, and how to run
 * it, instead of failing on a missing node:zlib export. Debian 12's own /usr/bin/node is
 * Node 18 or 20: that is the older Node used here when the machine has it.
 */
import { execFile, execFileSync } from "node:child_process";
import { existsSync } from "node:fs";
import { resolve } from "node:path";
import { describe, expect, it } from "vitest";

const CLI = resolve(import.meta.dirname, "../../bin/etcd-backup-actions.mjs");
const SYSTEM_NODE = "/usr/bin/node";
const systemMajor = existsSync(SYSTEM_NODE)
  ? Number(execFileSync(SYSTEM_NODE, ["-p", "process.versions.node"]).toString().split(".")[0])
  : undefined;

function runWith(node: string, args: string[]) {
  return new Promise<{ code: number; stdout: string; stderr: string }>((done) => {
    execFile(node, [CLI, ...args], (error, stdout, stderr) =>
      done({ code: error ? Number(error.code ?? 1) : 0, stdout, stderr }),
    );
  });
}

describe("the CLI's Node version check", () => {
  it("runs on the Node the tests run on (24 or newer)", async () => {
    expect(Number(process.versions.node.split(".")[0])).toBeGreaterThanOrEqual(24);
    const result = await runWith(process.execPath, ["--version"]);
    expect(result.code, result.stderr).toBe(0);
    expect(result.stdout.trim()).toMatch(/^\d+\.\d+\.\d+$/);
  });

  it.skipIf(!(systemMajor && systemMajor < 24))(
    "on an older Node, exits 2 with one sentence saying what to run instead",
    async () => {
      const result = await runWith(SYSTEM_NODE, ["--version"]);
      expect(result.code).toBe(2);
      expect(result.stdout).toBe("");
      expect(result.stderr).toBe(
        `error: etcd-backup-actions needs Node 24 or newer (the Actions runtime); this is Node ${execFileSync(SYSTEM_NODE, ["-p", "process.versions.node"]).toString().trim()}. ` +
          "Run it as `npx etcd-backup-actions ...` from the project (npx uses its node@24 dev dependency), or install Node 24.\n",
      );
    },
  );
});
