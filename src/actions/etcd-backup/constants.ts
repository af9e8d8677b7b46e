import { ArtifactRunInputs } from "../common/backup-source.ts";
import { SharedInputs } from "../common/shared-inputs.ts";

/** Every input and output name of the etcd-backup action, declared once. */
export const Inputs = {
  ...SharedInputs,
  GithubToken: ArtifactRunInputs.GithubToken,
  Clusters: "clusters",
  UserKubeconfigs: "user-kubeconfigs",
  AllowUnencrypted: "allow-unencrypted",
} as const;

export const Outputs = {
  Backups: "backups",
} as const;
