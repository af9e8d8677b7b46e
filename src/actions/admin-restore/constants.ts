import { ArtifactRunInputs } from "../common/backup-source.ts";
import { SharedInputs } from "../common/shared-inputs.ts";

/** Every input and output name of the admin-restore action, declared once. */
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
  ControlPlaneAddress: "control-plane-address",
  SshUser: "ssh-user",
  SshPrivateKey: "ssh-private-key",
  SshKnownHosts: "ssh-known-hosts",
  SshHostKeyFingerprints: "ssh-host-key-fingerprints",
  InsecureAcceptUnknownHostKey: "insecure-accept-unknown-host-key",
  JumpHost: "jump-host",
  JumpPrivateKey: "jump-private-key",
  EtcdBackup: "etcd-backup",
  PkiBackup: "pki-backup",
  RestorePki: "restore-pki",
  AcceptForeignPki: "accept-foreign-pki",
  DecryptionIdentity: "decryption-identity",
  DecryptionIdentityPath: "decryption-identity-path",
  Confirm: "confirm",
  RevisionBump: "revision-bump",
  WaitTimeoutMinutes: "wait-timeout-minutes",
  Undo: "undo",
} as const;

export const Outputs = {
  Restore: "restore",
  AdminKubeconfigPath: "admin-kubeconfig-path",
  HostKeyFingerprint: "host-key-fingerprint",
} as const;

/** What the main step hands its post step. */
export const PostState = {
  /** Who ran the main step, so post acts only on its own work. */
  Owner: "admin-restore-owner",
  /** Set when the main step ended with the restore done (or planned): post has nothing to put back. */
  Finished: "admin-restore-finished",
  /** The fetched admin kubeconfig, removed by post. */
  KubeconfigPath: "admin-restore-kubeconfig",
} as const;
