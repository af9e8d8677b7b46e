import { describe, expect, it } from "vitest";
import { drillSummaryMarkdown, formatAge, parseAge } from "../../src/core/audit/drill-summary.ts";
import { describeTarget, parseCleanupTargets } from "../../src/core/cleanup.ts";
import { recordingLogger } from "../../src/core/log/logger.ts";

describe("the restore drill's summary", () => {
  it("puts failures first and gives each failure's sentence below the table", () => {
    const markdown = drillSummaryMarkdown(
      [
        {
          cluster: "admin",
          backup: "file:///b/admin/admin-etcd/20261207T010000Z/",
          result: "passed",
          ageSeconds: 3600,
          revision: 42,
          keys: 7,
          restoreMs: 1500,
          startMs: 900,
        },
        {
          cluster: "uc1",
          backup: "",
          result: "failed",
          error: "There is no complete user-etcd backup of uc1 in folder /b.",
        },
        {
          cluster: "uc2",
          backup: "file:///b/uc2/user-etcd/20261207T010000Z/",
          result: "passed",
          revision: 9,
          keys: 3,
        },
      ],
      "https://github.com/o/r/actions/runs/1",
    );
    const rows = markdown.split("\n").filter((line) => /^\| (admin|uc\d) \|/.test(line));
    expect(rows.map((row) => row.split(" | ").slice(0, 2).join(" | "))).toEqual([
      "| uc1 | ❌ failed",
      "| admin | ✅ passed",
      "| uc2 | ✅ passed",
    ]);
    expect(rows[1]).toContain("| 60 min | 42 | 7 |");
    expect(rows[1]).toContain("| 1.5 s | 0.9 s |");
    expect(markdown).toMatch(/^### etcd restore drill: 1 of 3 failed/);
    expect(markdown).toContain(
      "**uc1:** There is no complete user-etcd backup of uc1 in folder /b.",
    );
    expect(markdown).toContain("[This run](https://github.com/o/r/actions/runs/1)");
  });

  it("reads ages with a unit and refuses anything else", () => {
    expect(parseAge("26h")).toBe(26 * 3_600_000);
    expect(parseAge("90m")).toBe(90 * 60_000);
    expect(parseAge("2d")).toBe(2 * 86_400_000);
    expect(parseAge("3600s")).toBe(3_600_000);
    for (const bad of ["", "26", "daily", "0h", "-1h", "1.5h", "26 hours"]) {
      expect(parseAge(bad), bad).toBeUndefined();
    }
    expect(formatAge(27 * 3600)).toBe("27 h");
    expect(formatAge(50 * 3600)).toBe("2 d 2 h");
  });

  it("lets a post step delete only the drill's own pods", () => {
    const logger = recordingLogger();
    const targets = parseCleanupTargets(
      JSON.stringify([
        { kind: "pod", namespace: "uc1", name: "etcd-drill-uc1-a1b2c3" },
        { kind: "pod", namespace: "uc1", name: "kube-etcd-0" },
        { kind: "pod", namespace: "", name: "etcd-drill-uc1-a1b2c3" },
      ]),
      logger,
    );
    expect(targets).toEqual([{ kind: "pod", namespace: "uc1", name: "etcd-drill-uc1-a1b2c3" }]);
    expect(logger.lines.filter((line) => line.startsWith("warning:"))).toHaveLength(2);
    expect(describeTarget(targets[0]!)).toBe("pod uc1/etcd-drill-uc1-a1b2c3");
  });
});
