/**
 * The CLI as it ships: bin/etcd-backup-actions.mjs running the built bundle (dist/cli) on
 * Node 24 alone. The other CLI tests run the same bin on the sources (vitest sets
 * ETCD_BACKUP_ACTIONS_FROM_SOURCES); these run the bundle, copied away from the project so
 * that no node_modules and no TypeScript loader can be found, and compare it with the
 * sources and with etcdctl. scripts/check-dist.sh checks that the bundle is fresh.
 */
import { spawnSync } from "node:child_process";
import { cpSync, existsSync, mkdirSync, readFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { cleanup, Etcd, etcdctlStatus, makeTempDir } from "../snapshot/etcd-fixture.ts";

const ROOT = resolve(import.meta.dirname, "../..");
const BUNDLE = join(ROOT, "dist", "cli");
const VERSION = (
  JSON.parse(readFileSync(join(ROOT, "package.json"), "utf8")) as { version: string }
).version;
const HANG_TIMEOUT_MS = 60_000;

/** The environment without the switch to the sources: what a user's shell has. */
function userEnv(): NodeJS.ProcessEnv {
  const env = { ...process.env };
  delete env.ETCD_BACKUP_ACTIONS_FROM_SOURCES;
  delete env.NODE_OPTIONS;
  return env;
}

function runBin(bin: string, args: string[], env: NodeJS.ProcessEnv, cwd: string) {
  const result = spawnSync(process.execPath, [bin, ...args], {
    env,
    cwd,
    encoding: "utf8",
    timeout: HANG_TIMEOUT_MS,
  });
  return {
    code: result.status,
    signal: result.signal,
    stdout: result.stdout,
    stderr: result.stderr,
  };
}

describe("the CLI bundle", () => {
  let copy: string;
  let copiedBin: string;
  let snapshot: string;

  beforeAll(async () => {
    // A checkout without node_modules: the bin and the bundle, nothing else.
    copy = makeTempDir("cli-bundle");
    mkdirSync(join(copy, "bin"));
    cpSync(
      join(ROOT, "bin", "etcd-backup-actions.mjs"),
      join(copy, "bin", "etcd-backup-actions.mjs"),
    );
    cpSync(BUNDLE, join(copy, "dist", "cli"), { recursive: true });
    copiedBin = join(copy, "bin", "etcd-backup-actions.mjs");
    const etcd = await Etcd.start();
    await etcd.putMany(
      Array.from({ length: 50 }, (_, index) => ({
        key: `/registry/configmaps/ns-${index % 3}/config-${index}`,
        value: `{"kind":"ConfigMap","apiVersion":"v1","data":{"n":"${index}"}}`,
      })),
    );
    snapshot = await etcd.saveSnapshot(join(makeTempDir("cli-bundle-snap"), "small.db"));
    await etcd.stop();
  });

  afterAll(async () => {
    await cleanup();
  });

  it("runs from a copy with Node 24 alone, and prints the package's version", () => {
    expect(existsSync(join(copy, "node_modules"))).toBe(false);
    const result = runBin(copiedBin, ["--version"], userEnv(), copy);
    expect(result.stderr).toBe("");
    expect(result.code).toBe(0);
    expect(result.stdout.trim()).toBe(VERSION);
  });

  it("answers snapshot status exactly as etcdctl snapshot status -w json does", async () => {
    const result = runBin(
      copiedBin,
      ["snapshot", "status", snapshot, "-o", "json"],
      userEnv(),
      copy,
    );
    expect(result.stderr).toBe("");
    expect(result.code).toBe(0);
    expect(JSON.parse(result.stdout)).toEqual(await etcdctlStatus(snapshot));
  });

  it("lists, verifies and refuses exactly as the sources do", () => {
    const sources = join(ROOT, "bin", "etcd-backup-actions.mjs");
    const sourcesEnv = { ...userEnv(), ETCD_BACKUP_ACTIONS_FROM_SOURCES: "1" };
    for (const args of [
      ["snapshot", "ls", snapshot, "--namespace", "ns-1"],
      ["snapshot", "ls", snapshot, "-o", "json"],
      ["snapshot", "verify", snapshot],
      ["snapshot", "status", join(copy, "no-such.db")],
      ["backup", "--clusters", "uc1", "--destination", "nowhere:/x"],
    ]) {
      const bundled = runBin(copiedBin, args, userEnv(), copy);
      const fromSources = runBin(sources, args, sourcesEnv, ROOT);
      expect(bundled.signal, args.join(" ")).toBeNull();
      expect(bundled, args.join(" ")).toEqual(fromSources);
    }
  });

  it("the bin in the project runs the bundle when not told to run the sources", () => {
    const result = runBin(
      join(ROOT, "bin", "etcd-backup-actions.mjs"),
      ["snapshot", "--help"],
      userEnv(),
      ROOT,
    );
    expect(result.code).toBe(0);
    expect(result.stdout).toContain("status");
    expect(result.stdout).toContain("verify");
  });

  it("says in one sentence what to do when the bundle is missing", () => {
    const bare = makeTempDir("cli-no-bundle");
    mkdirSync(join(bare, "bin"));
    cpSync(
      join(ROOT, "bin", "etcd-backup-actions.mjs"),
      join(bare, "bin", "etcd-backup-actions.mjs"),
    );
    const result = runBin(
      join(bare, "bin", "etcd-backup-actions.mjs"),
      ["--version"],
      userEnv(),
      bare,
    );
    expect(result.code).toBe(2);
    expect(result.stdout).toBe("");
    expect(result.stderr).toBe(
      `error: the CLI bundle ${join(bare, "dist", "cli", "index.js")} is missing; build it with \`npm run build\` (or check out the complete repository).\n`,
    );
  });
});
