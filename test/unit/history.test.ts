/**
 * The history the backup's job summary charts, from real manifests (built and parsed as the
 * backup writes them): Mermaid blocks whose points are the manifests' sizes and key counts,
 * the same points as tables, and the quota and growth warnings.
 */
import { describe, expect, it } from "vitest";
import { ETCD_DEFAULTS } from "../../src/core/etcd/member-config.ts";
import {
  historyWarnings,
  readHistory,
  trendMarkdown,
  type History,
} from "../../src/core/audit/history.ts";
import {
  buildManifest,
  serializeManifest,
  type ManifestFacts,
} from "../../src/core/storage/manifest.ts";
import type { BackupKind, BackupLocation } from "../../src/core/storage/types.ts";

const RECIPIENT = "age1qyqszqgpqyqszqgpqyqszqgpqyqszqgpqyqszqgpqyqszqgpqyqs3290gq";
const MiB = 1024 ** 2;

interface Backup {
  createdAt: Date;
  sizeBytes: number;
  keys?: number;
  kind?: BackupKind;
}

function listed(cluster: string, backups: Backup[]) {
  return backups.map((backup) => {
    const kind = backup.kind ?? "user-etcd";
    const facts: ManifestFacts = {
      cluster,
      kind,
      createdAt: backup.createdAt,
      source: {
        namespace: cluster,
        pod: "kube-etcd-1",
        member: "kube-etcd-1",
        node: "admin-node-1",
      },
      ...(backup.keys !== undefined
        ? { etcd: { revision: 1000 + backup.keys, keyCount: backup.keys } }
        : {}),
      payloadName: "snapshot.db.zst.age",
      compression: "zstd",
      encryption: { method: "age", recipients: [RECIPIENT] },
      plaintext: { bytes: backup.sizeBytes, sha256: "a".repeat(64) },
      stored: { bytes: Math.round(backup.sizeBytes / 3), sha256: "b".repeat(64) },
    };
    const manifest = buildManifest(facts);
    const location: BackupLocation = {
      cluster,
      kind,
      timestamp: manifest.timestamp,
      uri: `file:///backups/${cluster}/${kind}/${manifest.timestamp}/`,
    };
    return { location, manifest: serializeManifest(manifest) };
  });
}

/** Ten backups six hours apart, from 10 MiB growing by 1 MiB each, with 500 keys more each time. */
function tenGrowingBackups(): Backup[] {
  const start = Date.parse("2026-11-30T00:00:00Z");
  return Array.from({ length: 10 }, (_, index) => ({
    createdAt: new Date(start + index * 6 * 3_600_000),
    sizeBytes: (10 + index) * MiB,
    keys: 1000 + 500 * index,
  }));
}

/** The Mermaid blocks of a summary, each split into its lines. */
function mermaidBlocks(markdown: string): string[][] {
  return [...markdown.matchAll(/```mermaid\n([\s\S]*?)\n```/g)].map((match) =>
    match[1]!.split("\n").map((line) => line.trim()),
  );
}

function listOf(line: string | undefined, keyword: string): string[] {
  const match = new RegExp(`^${keyword} \\[(.*)\\]$`).exec(line ?? "");
  if (!match) throw new Error(`expected "${keyword} [...]", got ${line}`);
  return match[1]!.split(", ");
}

/** The rows of the Markdown table that follows each chart: [label, value]. */
function tables(markdown: string): string[][][] {
  return markdown
    .split(/\n\n/)
    .filter((block) => block.startsWith("| backup (UTC) |"))
    .map((block) =>
      block
        .split("\n")
        .slice(2)
        .filter(Boolean)
        .map((row) => row.replace(/^\| | \|$/g, "").split(" | ")),
    );
}

describe("backup history in the job summary", () => {
  const markdown = trendMarkdown("uc1", readHistory(listed("uc1", tenGrowingBackups())));

  it("charts database size and key count as one xychart-beta block each, oldest first", () => {
    const blocks = mermaidBlocks(markdown);
    expect(blocks).toHaveLength(2);
    const [size, keys] = blocks as [string[], string[]];
    expect(size[0]).toBe("xychart-beta");
    expect(size[1]).toBe('title "uc1: database size"');
    const labels = listOf(size[2], "x-axis");
    expect(labels).toEqual([
      '"11-30 00:00"',
      '"11-30 06:00"',
      '"11-30 12:00"',
      '"11-30 18:00"',
      '"12-01 00:00"',
      '"12-01 06:00"',
      '"12-01 12:00"',
      '"12-01 18:00"',
      '"12-02 00:00"',
      '"12-02 06:00"',
    ]);
    // One y-axis, from 0, in the unit the values are in, above the largest point.
    const axis = /^y-axis "MiB" 0 --> (\d+(\.\d+)?)$/.exec(size[3] ?? "");
    expect(axis).not.toBeNull();
    expect(Number(axis![1])).toBe(21);
    expect(listOf(size[4], "line").map(Number)).toEqual([10, 11, 12, 13, 14, 15, 16, 17, 18, 19]);
    expect(size).toHaveLength(5);

    expect(keys[1]).toBe('title "uc1: keys"');
    expect(listOf(keys[2], "x-axis")).toEqual(labels);
    expect(keys[3]).toMatch(/^y-axis "keys" 0 --> \d+$/);
    expect(listOf(keys[4], "line").map(Number)).toEqual([
      1000, 1500, 2000, 2500, 3000, 3500, 4000, 4500, 5000, 5500,
    ]);
  });

  it("follows each chart with a table of the same points", () => {
    const blocks = mermaidBlocks(markdown);
    const [sizeTable, keysTable] = tables(markdown) as [string[][], string[][]];
    for (const [table, block] of [
      [sizeTable, blocks[0]!],
      [keysTable, blocks[1]!],
    ] as const) {
      expect(table.map(([label]) => `"${label}"`)).toEqual(listOf(block[2], "x-axis"));
      expect(table.map(([, value]) => value)).toEqual(listOf(block[4], "line"));
    }
    // Each table sits right after its chart.
    expect(markdown.indexOf("| backup (UTC) | MiB |")).toBeGreaterThan(
      markdown.indexOf("database size"),
    );
    expect(markdown.indexOf("| backup (UTC) | keys |")).toBeGreaterThan(
      markdown.indexOf('"uc1: keys"'),
    );
  });

  it("warns in one line when the newest database is above 80% of the member's quota", () => {
    const history = readHistory(listed("uc1", tenGrowingBackups()));
    const quota = { bytes: 20 * MiB, source: "--quota-backend-bytes of statefulset uc1/kube-etcd" };
    const warned = trendMarkdown("uc1", history, { quota });
    const warnings = warned.split("\n").filter((line) => line.startsWith("> ⚠️"));
    expect(warnings).toEqual([
      "> ⚠️ uc1: the database (19.0 MiB) is at 95% of its quota (20.0 MiB, --quota-backend-bytes of statefulset uc1/kube-etcd); at 100% etcd refuses every write: compact and defragment it, or raise --quota-backend-bytes.",
      // These ten backups grew fast too: each warning is its own line.
      expect.stringMatching(/^> ⚠️ uc1: the database grew 90% within a week /),
    ]);
    // 19 MiB is not above 80% of 24 MiB (19.2 MiB), nor of etcd's default (the newest
    // backup alone: no growth to warn of).
    const newest = history.points.slice(-1);
    expect(historyWarnings(newest, { bytes: 24 * MiB, source: "x" })).toEqual([]);
    expect(
      historyWarnings(newest, { bytes: ETCD_DEFAULTS.quotaBackendBytes, source: "x" }),
    ).toEqual([]);
  });

  it("warns when the database grew more than 50% within a week, not when it grew slower", () => {
    // 10 -> 19 MiB in 54 hours: 90%.
    const fast = readHistory(listed("uc1", tenGrowingBackups()));
    expect(historyWarnings(fast.points)).toEqual([
      "uc1: the database grew 90% within a week (10.0 MiB on 11-30 00:00 to 19.0 MiB on 12-02 06:00 UTC); check what writes so much before the quota is reached.",
    ]);
    // 10 MiB two weeks ago, 14 MiB a week ago, 20 MiB now: 43% within the week.
    const day = 86_400_000;
    const now = Date.parse("2026-12-14T00:00:00Z");
    const slow = readHistory(
      listed("uc2", [
        { createdAt: new Date(now - 14 * day), sizeBytes: 10 * MiB, keys: 1 },
        { createdAt: new Date(now - 7 * day), sizeBytes: 14 * MiB, keys: 1 },
        { createdAt: new Date(now), sizeBytes: 20 * MiB, keys: 1 },
      ]),
    );
    expect(historyWarnings(slow.points)).toEqual([]);
  });

  it("charts only the newest points it is asked for, and sets aside a damaged manifest by name", () => {
    const entries = listed("uc1", tenGrowingBackups());
    entries[3]!.manifest = Buffer.from("{ not json");
    const history: History = readHistory(entries);
    expect(history.points).toHaveLength(9);
    expect(history.unreadable.map((entry) => entry.uri)).toEqual([entries[3]!.location.uri]);
    const shown = trendMarkdown("uc1", history, { chartPoints: 4 });
    expect(listOf(mermaidBlocks(shown)[0]![4], "line").map(Number)).toEqual([16, 17, 18, 19]);
    expect(shown).toContain(
      `1 listed backup(s) left out: their manifest could not be read (${entries[3]!.location.uri})`,
    );
  });

  it("says so when a cluster has no backup yet, and charts a PKI archive's size only", () => {
    expect(trendMarkdown("uc3", { points: [], unreadable: [] })).toContain(
      "No backup of this cluster is listed at the destination yet.",
    );
    const pki = readHistory(
      listed("admin", [
        { createdAt: new Date("2026-12-01T00:00:00Z"), sizeBytes: 40_000, kind: "admin-pki" },
        { createdAt: new Date("2026-12-02T00:00:00Z"), sizeBytes: 90_000, kind: "admin-pki" },
      ]),
    );
    const blocks = mermaidBlocks(trendMarkdown("admin", pki));
    expect(blocks).toHaveLength(1);
    expect(blocks[0]![1]).toBe('title "admin: PKI archive size"');
    expect(listOf(blocks[0]![4], "line").map(Number)).toEqual([39.06, 87.89]);
    expect(historyWarnings(pki.points)).toEqual([]);
  });
});
