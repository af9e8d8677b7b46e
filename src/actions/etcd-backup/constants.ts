/** Every input and output name of the etcd-backup action, declared once. */
export const Inputs = {
  AdminKubeconfig: "admin-kubeconfig",
  AdminKubeconfigPath: "admin-kubeconfig-path",
  Clusters: "clusters",
  Destination: "destination",
  EncryptionRecipients: "encryption-recipients",
  AllowUnencrypted: "allow-unencrypted",
  Compression: "compression",
  RetentionCount: "retention-count",
  RetentionDays: "retention-days",
  ArtifactRetentionDays: "artifact-retention-days",
  S3Endpoint: "s3-endpoint",
  S3Region: "s3-region",
  S3ForcePathStyle: "s3-force-path-style",
  DryRun: "dry-run",
} as const;

export const Outputs = {
  Backups: "backups",
} as const;
