import { ArtifactRunInputs } from "../common/backup-source.ts";
import { SharedInputs } from "../common/shared-inputs.ts";

/** Every input and output name of the admin-pki-backup action, declared once. */
export const Inputs = {
  ...SharedInputs,
  GithubToken: ArtifactRunInputs.GithubToken,
  SshPrivateKey: "ssh-private-key",
  SshUser: "ssh-user",
  ControlPlaneAddress: "control-plane-address",
  JumpHost: "jump-host",
  JumpPrivateKey: "jump-private-key",
  SshKnownHosts: "ssh-known-hosts",
  SshHostKeyFingerprints: "ssh-host-key-fingerprints",
  InsecureAcceptUnknownHostKey: "insecure-accept-unknown-host-key",
  Paths: "paths",
  UserKubeconfigs: "user-kubeconfigs",
  UserSshPrivateKey: "user-ssh-private-key",
} as const;

export const Outputs = {
  Backup: "backup",
  HostKeyFingerprint: "host-key-fingerprint",
  NodeBackups: "node-backups",
} as const;
