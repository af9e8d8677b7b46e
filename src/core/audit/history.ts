/**
 * A cluster's backup history, read from the manifests alone (never a payload): the points
 * the job summary charts and the `history` command lists, and the two warnings an operator
 * wants before etcd refuses writes: a database close to its quota, and one growing fast.
 * Pure functions: the caller lists the store and reads the member's quota.
 */
import { formatBytes } from "../format.ts";
import { errorMessage } from "../errors.ts";
import { isPkiKind } from "../storage/layout.ts";
import { parseManifest, type BackupManifest } from "../storage/manifest.ts";
import type { BackupKind, BackupLocation } from "../storage/types.ts";

/** One backup as the history shows it. */
export interface HistoryPoint {
  cluster: string;
  kind: BackupKind;
  /** The backup's folder name, `YYYYMMDDTHHMMSSZ`. */
  timestamp: string;
  createdAt: Date;
  uri: string;
  revision?: number;
  keys?: number;
  /** The snapshot's size: etcd's database size when it was taken. */
  sizeBytes: number;
  storedBytes: number;
  /** `age (2 recipients)` or `none`. */
  encryption: string;
  member?: string;
  node?: string;
}

export interface History {
  /** Oldest first, as a chart reads. */
  points: HistoryPoint[];
  /** Listed backups whose manifest could not be read: named, never charted. */
  unreadable: Array<{ uri: string; reason: string }>;
}

/** Above this share of the quota the summary warns: etcd raises NOSPACE at 100%. */
export const QUOTA_WARNING_SHARE = 0.8;
/** Growth above this ratio within GROWTH_WINDOW_MS warns. */
export const GROWTH_WARNING_RATIO = 1.5;
export const GROWTH_WINDOW_MS = 7 * 86_400_000;
/** How many of the newest backups a chart shows (warnings look at every listed backup). */
export const DEFAULT_CHART_POINTS = 20;

export function historyPoint(location: BackupLocation, manifest: BackupManifest): HistoryPoint {
  const encryption = manifest.payload.encryption;
  return {
    cluster: manifest.cluster,
    kind: manifest.kind,
    timestamp: manifest.timestamp,
    createdAt: new Date(manifest.createdAt),
    uri: location.uri,
    ...(manifest.etcd?.revision !== undefined ? { revision: manifest.etcd.revision } : {}),
    ...(manifest.etcd?.keyCount !== undefined ? { keys: manifest.etcd.keyCount } : {}),
    sizeBytes: manifest.payload.plaintext.bytes,
    storedBytes: manifest.payload.stored.bytes,
    encryption:
      encryption.method === "age"
        ? `age (${encryption.recipients.length} recipient${encryption.recipients.length === 1 ? "" : "s"})`
        : "none",
    ...(manifest.source.member ? { member: manifest.source.member } : {}),
    ...(manifest.source.node ? { node: manifest.source.node } : {}),
  };
}

/** What a store's `list` returned, as history points; a damaged manifest is set aside, named. */
export function readHistory(
  listed: Array<{ location: BackupLocation; manifest: Buffer }>,
): History {
  const history: History = { points: [], unreadable: [] };
  for (const { location, manifest } of listed) {
    try {
      history.points.push(historyPoint(location, parseManifest(manifest, location.uri)));
    } catch (error) {
      history.unreadable.push({ uri: location.uri, reason: errorMessage(error) });
    }
  }
  history.points.sort((a, b) => a.timestamp.localeCompare(b.timestamp));
  return history;
}

/** The warnings for the newest backup of one cluster and kind, each one line. */
export function historyWarnings(
  points: HistoryPoint[],
  quota?: { bytes: number; source: string },
): string[] {
  const newest = points.at(-1);
  // A PKI archive has no quota, and its size says nothing of the database's.
  if (!newest || isPkiKind(newest.kind)) return [];
  const warnings: string[] = [];
  if (quota && newest.sizeBytes > QUOTA_WARNING_SHARE * quota.bytes) {
    const percent = Math.floor((100 * newest.sizeBytes) / quota.bytes);
    warnings.push(
      `${newest.cluster}: the database (${formatBytes(newest.sizeBytes)}) is at ${percent}% of its quota (${formatBytes(quota.bytes)}, ${quota.source}); at 100% etcd refuses every write: compact and defragment it, or raise --quota-backend-bytes.`,
    );
  }
  const growth = weeklyGrowth(points);
  if (growth && growth.ratio > GROWTH_WARNING_RATIO) {
    warnings.push(
      `${newest.cluster}: the database grew ${Math.round((growth.ratio - 1) * 100)}% within a week (${formatBytes(growth.from.sizeBytes)} on ${shortTime(growth.from.createdAt)} to ${formatBytes(newest.sizeBytes)} on ${shortTime(newest.createdAt)} UTC); check what writes so much before the quota is reached.`,
    );
  }
  return warnings;
}

/**
 * The newest backup's size against the oldest backup of the week before it: the net growth
 * over the week (a dip after a defragmentation in between is not counted as growth).
 */
export function weeklyGrowth(
  points: HistoryPoint[],
): { from: HistoryPoint; ratio: number } | undefined {
  const newest = points.at(-1);
  if (!newest || points.length < 2) return undefined;
  const since = newest.createdAt.getTime() - GROWTH_WINDOW_MS;
  const from = points.find((point) => point !== newest && point.createdAt.getTime() >= since);
  if (!from || from.sizeBytes === 0) return undefined;
  return { from, ratio: newest.sizeBytes / from.sizeBytes };
}

/** A unit that keeps the largest value readable, for a chart's axis. */
function sizeUnit(maxBytes: number): { name: string; bytes: number } {
  const units = ["B", "KiB", "MiB", "GiB", "TiB"];
  let index = 0;
  while (index < units.length - 1 && maxBytes >= 1024 ** (index + 1)) index++;
  return { name: units[index]!, bytes: 1024 ** index };
}

/** `MM-DD HH:MM` in UTC: short enough for a chart's axis; seconds only when needed apart. */
function axisLabels(points: HistoryPoint[]): string[] {
  const minutes = points.map((point) => shortTime(point.createdAt));
  if (new Set(minutes).size === minutes.length) return minutes;
  return points.map((point) => point.createdAt.toISOString().slice(5, 19).replace("T", " "));
}

function shortTime(time: Date): string {
  return time.toISOString().slice(5, 16).replace("T", " ");
}

/** One measure of a cluster's history: a Mermaid chart and the same points as a table. */
export interface Measure {
  title: string;
  /** The axis label, with its unit. */
  axis: string;
  labels: string[];
  values: number[];
}

export function sizeMeasure(cluster: string, points: HistoryPoint[]): Measure {
  const unit = sizeUnit(Math.max(0, ...points.map((point) => point.sizeBytes)));
  return {
    title: `${cluster}: ${points[0] && isPkiKind(points[0].kind) ? "PKI archive size" : "database size"}`,
    axis: unit.name,
    labels: axisLabels(points),
    values: points.map((point) => round(point.sizeBytes / unit.bytes, 2)),
  };
}

/** Key counts of the backups that recorded one (a manifest without etcd facts has none). */
export function keysMeasure(cluster: string, points: HistoryPoint[]): Measure {
  const counted = points.filter((point) => point.keys !== undefined);
  return {
    title: `${cluster}: keys`,
    axis: "keys",
    labels: axisLabels(counted),
    values: counted.map((point) => point.keys!),
  };
}

function round(value: number, digits: number): number {
  const factor = 10 ** digits;
  return Math.round(value * factor) / factor;
}

/** A Mermaid `xychart-beta` block: one line, one y-axis from 0. */
export function mermaidChart(measure: Measure): string {
  const top = Math.max(1, ...measure.values);
  // Headroom above the highest point, rounded so the axis reads cleanly.
  const axisTop = niceCeiling(top * 1.1);
  return [
    "```mermaid",
    "xychart-beta",
    `  title "${mermaidText(measure.title)}"`,
    `  x-axis [${measure.labels.map((label) => `"${mermaidText(label)}"`).join(", ")}]`,
    `  y-axis "${mermaidText(measure.axis)}" 0 --> ${axisTop}`,
    `  line [${measure.values.join(", ")}]`,
    "```",
  ].join("\n");
}

/** Rounded up to two significant digits: 1007 -> 1100, 20.9 -> 21. */
function niceCeiling(value: number): number {
  const step = 10 ** (Math.floor(Math.log10(value)) - 1);
  return round(Math.ceil(value / step) * step, 6);
}

/** Mermaid strings end at a double quote; nothing else in them needs escaping. */
function mermaidText(text: string): string {
  return text.replace(/"/g, "'");
}

/** The chart's points as a table, so the numbers are there wherever the chart is not drawn. */
export function measureTable(measure: Measure): string {
  return [
    `| backup (UTC) | ${measure.axis} |`,
    "| --- | ---: |",
    ...measure.labels.map((label, index) => `| ${label} | ${measure.values[index]} |`),
  ].join("\n");
}

export interface TrendOptions {
  /** The member's quota and where it was read, for the quota warning. */
  quota?: { bytes: number; source: string };
  /** How many of the newest backups to chart; default DEFAULT_CHART_POINTS. */
  chartPoints?: number;
}

/**
 * One cluster's section of the job summary: its warnings first (one line each), then size
 * and key count as a chart each, each followed by its table.
 */
export function trendMarkdown(
  cluster: string,
  history: History,
  options: TrendOptions = {},
): string {
  const lines = [`#### ${cluster}: the last backups`, ""];
  const warnings = historyWarnings(history.points, options.quota);
  for (const warning of warnings) lines.push(`> ⚠️ ${warning}`, "");
  const shown = history.points.slice(-(options.chartPoints ?? DEFAULT_CHART_POINTS));
  if (shown.length === 0) {
    lines.push("No backup of this cluster is listed at the destination yet.", "");
  } else {
    for (const measure of [sizeMeasure(cluster, shown), keysMeasure(cluster, shown)]) {
      if (measure.values.length === 0) continue;
      lines.push(mermaidChart(measure), "", measureTable(measure), "");
    }
  }
  if (history.unreadable.length) {
    lines.push(
      `${history.unreadable.length} listed backup(s) left out: their manifest could not be read (${history.unreadable.map((entry) => entry.uri).join(", ")}).`,
      "",
    );
  }
  return lines.join("\n");
}
