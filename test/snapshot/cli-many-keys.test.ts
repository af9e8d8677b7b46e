/**
 * `snapshot ls` of a store with more keys than a JavaScript call can take arguments: the
 * listing is written as it is read, so it neither builds one table in memory nor spreads
 * every row into one call (which died with "Maximum call stack size exceeded" at 150,000).
 */
import { spawnSync } from "node:child_process";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { cleanup, Etcd, makeTempDir } from "./etcd-fixture.ts";
import { BIN } from "./run-cli.ts";

const KEYS = 150_000;

/** The CLI through its bin, with room for a listing of ~10 MB (spawnSync's default is 1 MB). */
function ls(...args: string[]) {
  const result = spawnSync(process.execPath, [BIN, "snapshot", "ls", ...args], {
    encoding: "utf8",
    maxBuffer: 256 * 1024 * 1024,
    timeout: 120_000,
  });
  return { status: result.status, stdout: result.stdout, stderr: result.stderr };
}

describe("snapshot ls of a large store", () => {
  let snapshot: string;

  beforeAll(async () => {
    const etcd = await Etcd.start();
    await etcd.putMany(
      Array.from({ length: KEYS }, (_, index) => ({
        key: `/registry/configmaps/ns-${index % 50}/config-${String(index).padStart(6, "0")}`,
        value: "v",
      })),
    );
    snapshot = await etcd.saveSnapshot(join(makeTempDir("many-keys"), "many.db"));
    await etcd.stop();
  }, 300_000);

  afterAll(async () => {
    await cleanup();
  });

  it(`lists all ${KEYS} keys in order as a table, with the count and the per-resource line`, () => {
    const result = ls(snapshot);
    expect(result.stderr).toBe("");
    expect(result.status).toBe(0);
    const lines = result.stdout.split("\n");
    expect(lines[0]).toMatch(/^KEY +RESOURCE +NAMESPACE +MOD REV +SIZE +ENCODING$/);
    const rows = lines.filter((line) => line.startsWith("/registry/"));
    expect(rows).toHaveLength(KEYS);
    const keys = rows.map((row) => row.split(" ")[0]!);
    expect(keys).toEqual([...keys].sort());
    expect(result.stdout).toContain(`\n${KEYS} keys at revision `);
    expect(result.stdout).toMatch(new RegExp(`\\nconfigmaps +${KEYS} +`));
  });

  it("prints the same keys as JSON", () => {
    const result = ls(snapshot, "--output", "json");
    expect(result.status).toBe(0);
    const listing = JSON.parse(result.stdout) as { keys: Array<{ key: string }> };
    expect(listing.keys).toHaveLength(KEYS);
    expect(listing.keys[0]!.key).toBe("/registry/configmaps/ns-0/config-000000");
  });
});
