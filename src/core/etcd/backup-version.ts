/**
 * A snapshot restores only into the etcd major.minor version that wrote it (the on-disk
 * format and the raft state change between minors). The restore refuses another version
 * before it changes anything; the drill fails the same backup the same way, so a drill that
 * passes means the restore would accept it too.
 */

/** `gcr.io/.../etcd:v3.4.13-0-gke.0` -> `3.4.13`; undefined for a tag without a version. */
export function etcdVersionOfImage(image: string): string | undefined {
  return /:v?(\d+\.\d+\.\d+)/.exec(image)?.[1];
}

/** `3.4.23` -> `3.4`. */
export function majorMinor(version: string): string {
  return version.split(".").slice(0, 2).join(".");
}

/**
 * Throws one sentence when the backup's recorded etcd version and the image's differ in
 * major.minor; either one unknown (an older manifest, an image by digest) is no refusal.
 * `runs` says what runs the image, for the message ("the members run", "the drill runs").
 */
export function checkBackupEtcdVersion(
  backup: { uri: string; etcdVersion: string | undefined },
  image: string,
  runs: string,
): void {
  const imageVersion = etcdVersionOfImage(image);
  const { uri, etcdVersion } = backup;
  if (etcdVersion && imageVersion && majorMinor(etcdVersion) !== majorMinor(imageVersion)) {
    throw new Error(
      `${uri} was taken from etcd ${etcdVersion}, but ${runs} ${image} (etcd ${imageVersion}): a snapshot restores only into the same etcd major.minor version.`,
    );
  }
}
