/**
 * The inputs every backup action shares (the admin kubeconfig, where backups go, how they
 * are encrypted, compressed and kept), read and checked in one place so each action names
 * them, and fails on them, the same way.
 */
import * as core from "@actions/core";
import type { KubeConfig } from "@kubernetes/client-node";
import { parseRecipients } from "../../core/crypto/age.ts";
import { kubeconfigSecrets, loadKubeconfig } from "../../core/kube/kubeconfig.ts";
import type { Logger } from "../../core/log/logger.ts";
import { COMPRESSIONS, type Compression } from "../../core/storage/compression.ts";
import type { RunContext } from "../../core/run-context.ts";
import { openStore, parseDestination } from "../../core/storage/destination.ts";
import type { RetentionPolicy } from "../../core/storage/retention.ts";
import type { SnapshotStore } from "../../core/storage/types.ts";
import {
  getInput,
  getInputAsBool,
  getInputAsChoice,
  getInputAsInt,
  getInputAsList,
  InputError,
} from "./inputs.ts";

export const SharedInputs = {
  AdminKubeconfig: "admin-kubeconfig",
  AdminKubeconfigPath: "admin-kubeconfig-path",
  Destination: "destination",
  EncryptionRecipients: "encryption-recipients",
  Compression: "compression",
  RetentionCount: "retention-count",
  RetentionDays: "retention-days",
  ArtifactRetentionDays: "artifact-retention-days",
  S3Endpoint: "s3-endpoint",
  S3Region: "s3-region",
  S3ForcePathStyle: "s3-force-path-style",
  DryRun: "dry-run",
} as const;

/**
 * The admin cluster's kubeconfig from admin-kubeconfig (content) or admin-kubeconfig-path.
 * Its credentials are masked (not the whole file: the runner would mask every line of it,
 * and lines such as "kind: Config" would vanish from the log). Undefined when neither is
 * given and `required` is false.
 */
export async function readAdminKubeconfig(options: {
  required: boolean;
}): Promise<KubeConfig | undefined> {
  const content = getInput(SharedInputs.AdminKubeconfig);
  const path = getInput(SharedInputs.AdminKubeconfigPath);
  if (content && path) {
    throw new InputError(
      `Give either ${SharedInputs.AdminKubeconfig} or ${SharedInputs.AdminKubeconfigPath}, not both.`,
    );
  }
  if (!content && !path) {
    if (!options.required) return undefined;
    throw new InputError(
      `Input ${SharedInputs.AdminKubeconfig} (the admin cluster's kubeconfig, from a secret) or ${SharedInputs.AdminKubeconfigPath} is required.`,
    );
  }
  const config = await loadKubeconfig(content ? { content } : { path });
  for (const secret of kubeconfigSecrets(config)) core.setSecret(secret);
  return config;
}

/** The age recipients; each must parse. Emptiness is the caller's to judge. */
export function readRecipients(): string[] {
  const recipients = getInputAsList(SharedInputs.EncryptionRecipients);
  try {
    parseRecipients(recipients);
  } catch (error) {
    throw new InputError(`Input ${SharedInputs.EncryptionRecipients}: ${(error as Error).message}`);
  }
  return recipients;
}

export function readCompression(): Compression {
  return getInputAsChoice(SharedInputs.Compression, COMPRESSIONS, "zstd");
}

export function readRetention(): RetentionPolicy {
  const keepLast = getInputAsInt(SharedInputs.RetentionCount, { min: 1, max: 10_000 });
  const maxAgeDays = getInputAsInt(SharedInputs.RetentionDays, { min: 1, max: 36_500 });
  return {
    ...(keepLast !== undefined ? { keepLast } : {}),
    ...(maxAgeDays !== undefined ? { maxAgeMs: maxAgeDays * 86_400_000 } : {}),
  };
}

export function readDryRun(): boolean {
  return getInputAsBool(SharedInputs.DryRun, false);
}

/**
 * The destination inputs, checked now; the store is opened later, by `open`, once every
 * other input has been checked too. `artifact` is the default inside GitHub Actions;
 * outside it a destination must be given.
 */
export function readDestination(): {
  open: (logger: Logger, context: RunContext) => Promise<SnapshotStore>;
} {
  const destinationText =
    getInput(SharedInputs.Destination) || (process.env.GITHUB_ACTIONS === "true" ? "artifact" : "");
  if (!destinationText) {
    throw new InputError(
      `Input ${SharedInputs.Destination} is required outside GitHub Actions: expected file:///folder, s3://bucket/prefix or artifact.`,
    );
  }
  let destination: ReturnType<typeof parseDestination>;
  try {
    destination = parseDestination(destinationText);
  } catch (error) {
    throw new InputError(`Input ${SharedInputs.Destination}: ${(error as Error).message}`);
  }
  const s3Endpoint = getInput(SharedInputs.S3Endpoint);
  const s3Region = getInput(SharedInputs.S3Region);
  const forcePathStyle = getInputAsBool(SharedInputs.S3ForcePathStyle, Boolean(s3Endpoint));
  const artifactRetentionDays = getInputAsInt(SharedInputs.ArtifactRetentionDays, {
    min: 1,
    max: 90,
  });
  return {
    open: (logger, context) =>
      openStore(destination, {
        logger,
        context,
        artifact:
          artifactRetentionDays !== undefined ? { retentionDays: artifactRetentionDays } : {},
        s3: {
          ...(s3Endpoint ? { endpoint: s3Endpoint } : {}),
          ...(s3Region ? { region: s3Region } : {}),
          forcePathStyle,
        },
      }),
  };
}
