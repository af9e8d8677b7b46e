import { ArtifactRunInputs } from "../common/backup-source.ts";
import { SharedInputs } from "../common/shared-inputs.ts";

/** Every input and output name of the etcd-restore-drill action, declared once. */
export const Inputs = {
  AdminKubeconfig: SharedInputs.AdminKubeconfig,
  AdminKubeconfigPath: SharedInputs.AdminKubeconfigPath,
  Destination: SharedInputs.Destination,
  S3Endpoint: SharedInputs.S3Endpoint,
  S3Region: SharedInputs.S3Region,
  S3ForcePathStyle: SharedInputs.S3ForcePathStyle,
  Clusters: "clusters",
  Backup: "backup",
  RunId: ArtifactRunInputs.RunId,
  GithubToken: ArtifactRunInputs.GithubToken,
  DecryptionIdentity: "decryption-identity",
  DecryptionIdentityPath: "decryption-identity-path",
  Namespace: "namespace",
  UtilityImage: "utility-image",
  FailIfOlderThan: "fail-if-older-than",
  WaitTimeoutMinutes: "wait-timeout-minutes",
} as const;

export const Outputs = {
  Drills: "drills",
} as const;
