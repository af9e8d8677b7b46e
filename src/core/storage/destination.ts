/**
 * Where backups go, as the user writes it: `file:///path`, `s3://bucket/prefix`, or
 * `artifact`. parseDestination checks the text (one clear sentence when it is wrong);
 * openStore builds the backend, loading the S3 and artifact code only when used.
 */
import { isAbsolute } from "node:path";
import { fileURLToPath } from "node:url";
import { ConfigurationError, errorMessage } from "../errors.ts";
import type { Logger } from "../log/logger.ts";
import type { RunContext } from "../run-context.ts";
import { looksSecret, quoteValue } from "../redact.ts";
import type { ArtifactStoreOptions } from "./artifact.ts";
import { FileStore } from "./file.ts";
import { checkClusterName, parseBackupKind, parseS3Location, parseTimestamp } from "./layout.ts";
import type { BackupKind, SnapshotStore } from "./types.ts";

export type Destination =
  | { type: "file"; path: string; uri: string }
  | { type: "s3"; bucket: string; prefix: string; uri: string }
  | { type: "artifact"; uri: "artifact" };

const EXPECTED = "expected file:///absolute/folder, s3://bucket[/prefix] or artifact";
/** The settings this file checks, in core's words; each front door names them its own way. */
export const DESTINATION_FIELD = "destination";
export const S3_ENDPOINT_FIELD = "s3Endpoint";

function badDestination(problem: string, cause?: unknown): ConfigurationError {
  return new ConfigurationError(DESTINATION_FIELD, problem, cause ? { cause } : undefined);
}

export function parseDestination(text: string): Destination {
  const trimmed = text.trim();
  if (trimmed === "artifact" || trimmed === "artifact:")
    return { type: "artifact", uri: "artifact" };
  if (trimmed.startsWith("file:")) return parseFileDestination(trimmed);
  if (trimmed.startsWith("s3:")) return parseS3Destination(trimmed);
  if (isAbsolute(trimmed)) {
    throw badDestination(
      `${quoteValue(text)} is a bare path; write it as a URL, ${looksSecret(trimmed) ? "file:///absolute/folder" : `file://${trimmed}`}.`,
    );
  }
  throw badDestination(`${quoteValue(text)} is not understood; ${EXPECTED}.`);
}

function parseFileDestination(text: string): Destination {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw badDestination(
      `${quoteValue(text)} is not a valid file URL; expected file:///absolute/folder.`,
    );
  }
  if (url.host !== "" || !text.startsWith("file:///")) {
    throw badDestination(
      `${quoteValue(text)} names a host or a relative path; expected a local absolute folder with three slashes, file:///var/backups/etcd.`,
    );
  }
  if (url.search || url.hash) {
    throw badDestination(
      `${quoteValue(text)} has a query or fragment; expected only a folder, file:///var/backups/etcd.`,
    );
  }
  let path: string;
  try {
    path = fileURLToPath(url).replace(/(.)\/+$/, "$1");
  } catch (error) {
    throw badDestination(
      `${quoteValue(text)} is not a local folder (${errorMessage(error)}); expected file:///absolute/folder.`,
      error,
    );
  }
  if (path === "/") {
    throw badDestination(
      `${quoteValue(text)} is the file system's root; expected a folder for the backups, such as file:///var/backups/etcd.`,
    );
  }
  return { type: "file", path, uri: `file://${path}` };
}

function parseS3Destination(text: string): Destination {
  const { bucket, prefix } = parseS3Location(text);
  return { type: "s3", bucket, prefix, uri: `s3://${bucket}${prefix ? `/${prefix}` : ""}` };
}

/**
 * An S3-compatible endpoint (MinIO, GCS interop...): an http(s) URL with a host and nothing
 * after it but an optional path. Checked with the other settings, before anything runs.
 */
export function parseS3Endpoint(text: string): string {
  const trimmed = text.trim();
  let url: URL | undefined;
  try {
    url = new URL(trimmed);
  } catch {
    url = undefined;
  }
  if (
    !url ||
    !["http:", "https:"].includes(url.protocol) ||
    !url.hostname ||
    url.username ||
    url.password ||
    url.search ||
    url.hash
  ) {
    throw new ConfigurationError(
      S3_ENDPOINT_FIELD,
      `${quoteValue(trimmed)} is not an endpoint URL; expected http(s)://host[:port] such as https://minio.example.com:9000 (credentials go in the AWS environment, not in the URL).`,
    );
  }
  return trimmed;
}

/**
 * A backup's URI, as printed after a backup and pasted into a restore:
 * `<destination>/<cluster>/<kind>/<timestamp>/` (for artifacts `artifact/<cluster>/<kind>/<timestamp>`). Splits it into the destination and the backup.
 */
export function parseBackupUri(text: string): {
  destination: Destination;
  cluster: string;
  kind: BackupKind;
  timestamp: string;
} {
  const trimmed = text.trim().replace(/\/+$/, "");
  const parts = trimmed.split("/");
  const [cluster, kind, timestamp] = parts.slice(-3);
  const prefix = parts.slice(0, -3).join("/");
  if (
    parts.length < 4 ||
    !cluster ||
    !kind ||
    !timestamp ||
    !(/^(file|s3):\/\/./.test(prefix) || prefix === "artifact")
  ) {
    throw new Error(
      `The backup URI ${quoteValue(text)} is not complete; expected <destination>/<cluster>/<kind>/<timestamp>/, e.g. s3://bucket/prefix/uc1/user-etcd/20260131T235959Z/ as printed by the backup.`,
    );
  }
  try {
    return {
      destination: parseDestination(prefix),
      cluster: checkClusterName(cluster),
      kind: parseBackupKind(kind),
      timestamp: (parseTimestamp(timestamp), timestamp),
    };
  } catch (error) {
    throw new Error(`The backup URI ${quoteValue(text)} is not valid: ${errorMessage(error)}`, {
      cause: error,
    });
  }
}

export interface StoreOptions {
  logger: Logger;
  /** The run's facts (artifact runtime, temporary folder, AWS region), from the front door. */
  context: RunContext;
  s3?: {
    endpoint?: string;
    region?: string;
    forcePathStyle?: boolean;
    credentials?: { accessKeyId: string; secretAccessKey: string; sessionToken?: string };
  };
  /** For `artifact`: retention days, another run to read from, staging folder. */
  artifact?: Omit<ArtifactStoreOptions, "logger" | "context">;
}

/** Builds the backend for a destination. */
export async function openStore(
  destination: Destination,
  options: StoreOptions,
): Promise<SnapshotStore> {
  switch (destination.type) {
    case "file":
      return new FileStore(destination.path, { logger: options.logger });
    case "s3": {
      const { createS3Store } = await import("./s3.ts");
      return createS3Store({
        url: destination.uri,
        logger: options.logger,
        ...(options.context.awsRegion ? { defaultRegion: options.context.awsRegion } : {}),
        ...options.s3,
      });
    }
    case "artifact": {
      const { createArtifactStore } = await import("./artifact.ts");
      return createArtifactStore({
        logger: options.logger,
        context: options.context,
        ...options.artifact,
      });
    }
  }
}
