import { ArtifactRunInputs } from "../common/backup-source.ts";
import { SharedInputs } from "../common/shared-inputs.ts";

/** Every input and output name of the etcd-restore-ha action, declared once. */
export const Inputs = {
  AdminKubeconfig: SharedInputs.AdminKubeconfig,
  AdminKubeconfigPath: SharedInputs.AdminKubeconfigPath,
  Destination: SharedInputs.Destination,
  S3Endpoint: SharedInputs.S3Endpoint,
  S3Region: SharedInputs.S3Region,
  S3ForcePathStyle: SharedInputs.S3ForcePathStyle,
  RunId: ArtifactRunInputs.RunId,
  GithubToken: ArtifactRunInputs.GithubToken,
  DryRun: SharedInputs.DryRun,
  Cluster: "cluster",
  Backup: "backup",
  DecryptionIdentity: "decryption-identity",
  DecryptionIdentityPath: "decryption-identity-path",
  Confirm: "confirm",
  UtilityImage: "utility-image",
  GkeOnPremVersion: "gke-on-prem-version",
  RevisionBump: "revision-bump",
  Undo: "undo",
  WaitTimeoutMinutes: "wait-timeout-minutes",
  // Controlplane V2 user clusters (issue 16): their own API, and SSH to their control-plane nodes.
  UserKubeconfigs: "user-kubeconfigs",
  ControlPlaneNodes: "control-plane-nodes",
  SshUser: "ssh-user",
  SshPrivateKey: "ssh-private-key",
  SshKnownHosts: "ssh-known-hosts",
  SshHostKeyFingerprints: "ssh-host-key-fingerprints",
  InsecureAcceptUnknownHostKey: "insecure-accept-unknown-host-key",
  JumpHost: "jump-host",
  JumpPrivateKey: "jump-private-key",
} as const;

export const Outputs = {
  Restore: "restore",
} as const;
