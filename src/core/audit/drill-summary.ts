/**
 * The restore drill's job summary: one row per cluster, failures first (the row an operator
 * must act on is the one seen first), each failure's sentence in full below the table.
 */
import { formatBytes } from "../format.ts";

/** What a cluster's drill reports for the summary (the drill's DrillResult extends it). */
export interface DrillSummaryRow {
  cluster: string;
  backup: string;
  /** The backup's age when the drill began. */
  ageSeconds?: number;
  revision?: number;
  keys?: number;
  /** Kubernetes resources whose keys and sample values were checked. */
  resources?: number;
  dbSize?: number;
  result: "passed" | "failed";
  node?: string;
  /** From the first byte streamed to the restored data in place. */
  restoreMs?: number;
  /** From the start marker to etcd answering. */
  startMs?: number;
  error?: string;
}

export function drillSummaryMarkdown(rows: DrillSummaryRow[], runUrl?: string): string {
  const failed = rows.filter((row) => row.result === "failed");
  const ordered = [...failed, ...rows.filter((row) => row.result !== "failed")];
  const title = failed.length
    ? `etcd restore drill: ${failed.length} of ${rows.length} failed`
    : `etcd restore drill: ${rows.length} passed`;
  const lines = [
    `### ${title}`,
    "",
    "| cluster | result | backup | age | revision | keys | resources | db size | restore | start |",
    "| --- | --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
    ...ordered
      .map((row) =>
        [
          row.cluster,
          row.result === "passed" ? "✅ passed" : "❌ failed",
          row.backup ? `\`${row.backup}\`` : "none",
          row.ageSeconds === undefined ? "" : formatAge(row.ageSeconds),
          row.revision ?? "",
          row.keys ?? "",
          row.resources ?? "",
          row.dbSize === undefined ? "" : formatBytes(row.dbSize),
          seconds(row.restoreMs),
          seconds(row.startMs),
        ]
          .map((cell) => String(cell).replace(/\|/g, "\\|"))
          .join(" | "),
      )
      .map((line) => `| ${line} |`),
  ];
  for (const row of failed) {
    lines.push("", `**${row.cluster}:** ${(row.error ?? "failed").replace(/\n/g, " ")}`);
  }
  if (runUrl) lines.push("", `[This run](${runUrl})`);
  return lines.join("\n");
}

function seconds(ms: number | undefined): string {
  return ms === undefined ? "" : `${(ms / 1000).toFixed(1)} s`;
}

/** `40 s`, `12 min`, `27 h`, `3 d 4 h`. */
export function formatAge(seconds: number): string {
  if (seconds < 120) return `${Math.round(seconds)} s`;
  if (seconds < 7200) return `${Math.round(seconds / 60)} min`;
  if (seconds < 172_800) return `${Math.round(seconds / 3600)} h`;
  return `${Math.floor(seconds / 86_400)} d ${Math.round((seconds % 86_400) / 3600)} h`;
}

/** `26h`, `90m`, `2d`, `3600s` -> milliseconds; undefined for anything else. */
export function parseAge(text: string): number | undefined {
  const match = /^(\d{1,6})\s*(s|m|h|d)$/.exec(text.trim());
  if (!match) return undefined;
  const unit = { s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 }[
    match[2] as "s" | "m" | "h" | "d"
  ];
  const ms = Number(match[1]) * unit;
  return ms > 0 ? ms : undefined;
}
