/**
 * The inputs every backup action shares (the admin kubeconfig, where backups go, how they
 * are encrypted, compressed and kept), read and checked in one place so each action names
 * them, and fails on them, the same way.
 */
import * as core from "@actions/core";
import type { KubeConfig } from "@kubernetes/client-node";
import { parseRecipients } from "../../core/crypto/age.ts";
import { kubeconfigSecrets, loadKubeconfig } from "../../core/kube/kubeconfig.ts";
import { loadUserKubeconfigs, type UserClusterAccess } from "../../core/kube/user-kubeconfigs.ts";
import type { Logger } from "../../core/log/logger.ts";
import { secretLookalike } from "../../core/redact.ts";
import { COMPRESSIONS, type Compression } from "../../core/storage/compression.ts";
import type { RunContext } from "../../core/run-context.ts";
import {
  openStore,
  parseDestination,
  parseS3Endpoint,
  type Destination,
} from "../../core/storage/destination.ts";
import type { RetentionPolicy } from "../../core/storage/retention.ts";
import type { SnapshotStore } from "../../core/storage/types.ts";
import {
  checkedInput,
  getInput,
  getInputAsBool,
  getInputAsChoice,
  getInputAsInt,
  getInputAsList,
  failureMessage,
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
 * Core's names for the settings (ConfigurationError.field) -> the inputs the actions take
 * them from: the one table an action's failure is translated with.
 */
/** The input every action that takes Controlplane V2 clusters names them by. */
export const USER_KUBECONFIGS_INPUT = "user-kubeconfigs";

export const INPUT_OF_FIELD: Readonly<Record<string, string>> = {
  kubeconfig: SharedInputs.AdminKubeconfigPath,
  kubeconfigContent: SharedInputs.AdminKubeconfig,
  destination: SharedInputs.Destination,
  s3Endpoint: SharedInputs.S3Endpoint,
  recipients: SharedInputs.EncryptionRecipients,
  compression: SharedInputs.Compression,
  keepLast: SharedInputs.RetentionCount,
  maxAge: SharedInputs.RetentionDays,
  clusters: "clusters",
  userKubeconfigs: USER_KUBECONFIGS_INPUT,
  allowUnencrypted: "allow-unencrypted",
  paths: "paths",
  jumpHost: "jump-host",
  sshPrivateKey: "ssh-private-key",
  sshUser: "ssh-user",
  controlPlaneAddress: "control-plane-address",
  knownHosts: "ssh-known-hosts",
  hostKeyFingerprints: "ssh-host-key-fingerprints",
};

/**
 * Refuses any input not meant for a secret that holds what looks like one (an age identity,
 * a private key, a kubeconfig with credentials): such inputs come from variables and
 * workflow files and are shown in logs, so the value is never repeated, only described.
 * The recipients are left to their own parser, which says what to give instead.
 */
export function refuseSecretsInPlainInputs(
  inputs: Readonly<Record<string, string>>,
  secretInputs: readonly string[],
): void {
  for (const name of Object.values(inputs)) {
    if (secretInputs.includes(name) || name === SharedInputs.EncryptionRecipients) continue;
    const looksLike = secretLookalike(getInput(name));
    if (looksLike) {
      throw new InputError(
        `Input ${name} holds a value that looks like ${looksLike}, not shown: this input is not a secret and may be logged; check which value went into which input, and rotate that secret if the workflow or variable it came from is shared.`,
      );
    }
  }
}

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
      `Input ${SharedInputs.AdminKubeconfigPath}: give either ${SharedInputs.AdminKubeconfig} (the content) or ${SharedInputs.AdminKubeconfigPath}, not both.`,
    );
  }
  if (!content && !path) {
    if (!options.required) return undefined;
    throw new InputError(
      `Input ${SharedInputs.AdminKubeconfig} (the admin cluster's kubeconfig, from a secret) or ${SharedInputs.AdminKubeconfigPath} is required.`,
    );
  }
  const config = await loadKubeconfig(content ? { content } : { path }).catch((error: unknown) => {
    throw new InputError(failureMessage(error, INPUT_OF_FIELD), { cause: error });
  });
  for (const secret of kubeconfigSecrets(config)) core.setSecret(secret);
  return config;
}

/**
 * The Controlplane V2 clusters' own kubeconfigs from user-kubeconfigs (paths on the runner,
 * one per line; a folder means every file in it), their credentials masked. Empty when the
 * input is.
 */
export async function readUserKubeconfigs(): Promise<UserClusterAccess[]> {
  // One path per line, commas included: a path may hold one.
  const paths = getInput(USER_KUBECONFIGS_INPUT)
    .split(/\r?\n/)
    .map((line) => line.trim())
    .filter(Boolean);
  if (paths.length === 0) return [];
  const clusters = await loadUserKubeconfigs(paths).catch((error: unknown) => {
    throw new InputError(failureMessage(error, INPUT_OF_FIELD), { cause: error });
  });
  for (const cluster of clusters) {
    for (const secret of kubeconfigSecrets(cluster.config)) core.setSecret(secret);
  }
  return clusters;
}

/** The age recipients; each must parse. Emptiness is the caller's to judge. */
export function readRecipients(): string[] {
  const recipients = getInputAsList(SharedInputs.EncryptionRecipients);
  checkedInput(SharedInputs.EncryptionRecipients, () => parseRecipients(recipients));
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
  const destination = checkedInput(SharedInputs.Destination, () =>
    parseDestination(destinationText),
  );
  checkArtifactRuntime(destination);
  const s3EndpointText = getInput(SharedInputs.S3Endpoint);
  const s3Endpoint = s3EndpointText
    ? checkedInput(SharedInputs.S3Endpoint, () => parseS3Endpoint(s3EndpointText))
    : "";
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

/**
 * GitHub artifacts need the job's runtime token and results service; without them (a
 * self-hosted runner's shell, a local run) the backup would fail only after the snapshot
 * was taken, so the input is refused now.
 */
function checkArtifactRuntime(destination: Destination): void {
  if (destination.type !== "artifact") return;
  if (process.env.ACTIONS_RUNTIME_TOKEN && process.env.ACTIONS_RESULTS_URL) return;
  throw new InputError(
    `Input ${SharedInputs.Destination} is artifact, but this is not a GitHub Actions job step (ACTIONS_RUNTIME_TOKEN and ACTIONS_RESULTS_URL are not set); use file:///absolute/folder or s3://bucket/prefix here.`,
  );
}
