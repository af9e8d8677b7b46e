/**
 * The job summary: one row per cluster, what an operator checks the morning after. Built
 * as Markdown here (no Actions dependency); the action writes it to GITHUB_STEP_SUMMARY.
 */
import { formatBytes } from "../format.ts";

const BADGES: Record<BackupRow["result"], string> = {
  stored: "✅ stored",
  planned: "📝 planned",
  skipped: "⏭ skipped",
  failed: "❌ failed",
};

function badge(result: BackupRow["result"]): string {
  return BADGES[result];
}

/** What every summary row shows of one backup. */
interface BackupRow {
  cluster: string;
  result: "stored" | "failed" | "planned" | "skipped";
  node?: string;
  size?: number;
  storedSize?: number;
  durationMs: number;
  destination: string;
  uri?: string;
  error?: string;
}

export interface SummaryRow extends BackupRow {
  member?: string;
  revision?: number;
  keys?: number;
}

export function backupSummaryMarkdown(title: string, rows: SummaryRow[], runUrl?: string): string {
  const header =
    "| cluster | result | member (node) | revision | keys | size | stored | duration | throughput | destination |";
  const lines = [
    `### ${title}`,
    "",
    header,
    "| --- | --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | --- |",
    ...rows.map((row) =>
      [
        row.cluster,
        badge(row.result),
        row.member ? `${row.member}${row.node ? ` (${row.node})` : ""}` : "",
        row.revision ?? "",
        row.keys ?? "",
        row.size !== undefined ? formatBytes(row.size) : "",
        row.storedSize !== undefined ? formatBytes(row.storedSize) : "",
        `${(row.durationMs / 1000).toFixed(1)} s`,
        row.size !== undefined && row.result === "stored" && row.durationMs > 0
          ? `${formatBytes(row.size / (row.durationMs / 1000))}/s`
          : "",
        row.uri ? `\`${row.uri}\`` : row.destination,
      ]
        .map((cell) => escapeCell(String(cell)))
        .join(" | ")
        .replace(/^/, "| ")
        .replace(/$/, " |"),
    ),
  ];
  for (const [heading, result] of [
    ["Failures", "failed"],
    ["Skipped", "skipped"],
  ] as const) {
    const listed = rows.filter((row) => row.error && row.result === result);
    if (!listed.length) continue;
    lines.push("", `**${heading}**`, "");
    for (const row of listed)
      lines.push(`- **${escapeCell(row.cluster)}**: ${escapeCell(row.error ?? "")}`);
  }
  if (runUrl) lines.push("", `Run: ${runUrl}`);
  return lines.join("\n") + "\n";
}

function escapeCell(text: string): string {
  return text.replace(/\|/g, "\\|").replace(/\n/g, " ");
}

export interface PkiSummaryRow extends Omit<BackupRow, "cluster"> {
  target?: string;
  hostKeyFingerprint?: string;
  fileCount?: number;
}

/** The job summary of a PKI backup: one row, with the host key that was verified. */
export function pkiSummaryMarkdown(title: string, row: PkiSummaryRow, runUrl?: string): string {
  const result = badge(row.result);
  const cells = [
    result,
    row.target ? `${row.target}${row.node ? ` (${row.node})` : ""}` : (row.node ?? ""),
    row.hostKeyFingerprint ? `\`${row.hostKeyFingerprint}\`` : "",
    row.fileCount ?? "",
    row.size !== undefined ? formatBytes(row.size) : "",
    row.storedSize !== undefined ? formatBytes(row.storedSize) : "",
    `${(row.durationMs / 1000).toFixed(1)} s`,
    row.uri ? `\`${row.uri}\`` : row.destination,
  ].map((cell) => escapeCell(String(cell)));
  const lines = [
    `### ${title}`,
    "",
    "| result | node | host key | files | archive | stored | duration | destination |",
    "| --- | --- | --- | ---: | ---: | ---: | ---: | --- |",
    `| ${cells.join(" | ")} |`,
  ];
  if (row.error) lines.push("", `**Failure**: ${escapeCell(row.error)}`);
  if (runUrl) lines.push("", `Run: ${runUrl}`);
  return lines.join("\n") + "\n";
}
