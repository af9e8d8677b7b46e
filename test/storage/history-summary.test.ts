/**
 * The history part of a backup's job summary, from a real folder destination: a PKI
 * archive's size is charted alone (no key count, no quota), and a destination that cannot
 * be listed becomes one line in the summary and one warning, never a thrown error that
 * would fail a backup that succeeded.
 */
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Readable } from "node:stream";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { recordingLogger } from "../../src/core/log/logger.ts";
import { FileStore } from "../../src/core/storage/file.ts";
import { storeBackup } from "../../src/core/storage/pipeline.ts";
import { backupHistoryMarkdown } from "../../src/procedures/backup-history.ts";

let work: string;

beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), "history-summary-"));
});

afterAll(async () => {
  if (work) await rm(work, { recursive: true, force: true });
});

describe("the history section of a backup's job summary", () => {
  it("charts the PKI archive's size from the manifests at the destination", async () => {
    const store = new FileStore(join(work, "pki"), { logger: recordingLogger() });
    for (const [index, day] of ["2026-12-01", "2026-12-02"].entries()) {
      await storeBackup(store, {
        cluster: "admin",
        kind: "admin-pki",
        source: Readable.from([Buffer.alloc(2048 * (index + 1), 1)]),
        allowUnencrypted: true,
        compression: "none",
        createdAt: new Date(`${day}T03:00:00Z`),
        logger: recordingLogger(),
      });
    }
    const logger = recordingLogger();
    const markdown = await backupHistoryMarkdown({
      store,
      logger,
      targets: [{ cluster: "admin", kind: "admin-pki" }],
    });
    expect(markdown).toContain(`### Backup history at ${store.description}`);
    expect(markdown).toContain('title "admin: PKI archive size"');
    expect(markdown).toContain("  line [2, 4]");
    expect(markdown).toContain("| 12-02 03:00 | 4 |");
    expect(markdown).not.toContain("keys");
    expect(logger.lines.filter((line) => /warn/i.test(line))).toEqual([]);
  });

  it("turns a destination that cannot be listed into one line, not a failure", async () => {
    // A regular file where the backup folder should be: the listing fails for real.
    const notAFolder = join(work, "not-a-folder");
    await writeFile(notAFolder, "x");
    const store = new FileStore(notAFolder, { logger: recordingLogger() });
    const logger = recordingLogger();
    const markdown = await backupHistoryMarkdown({
      store,
      logger,
      targets: [{ cluster: "uc1", kind: "user-etcd" }],
    });
    expect(markdown).toMatch(
      /#### uc1\n\nthe backups of uc1 could not be listed for the history: .+/,
    );
    expect(
      logger.lines.some((line) => line.includes("History: the backups of uc1 could not be listed")),
    ).toBe(true);
  });
});
