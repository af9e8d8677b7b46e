export { SshError, RemoteCommandError, type SshFailureReason } from "./errors.ts";
export { UnpinnedHostKeyError } from "./session.ts";
export {
  connectSsh,
  parseJumpHostSpec,
  SshSession,
  type SshConnectOptions,
  type JumpHostOptions,
} from "./session.ts";
export {
  sha256Fingerprint,
  knownHostsLineFor,
  parseFingerprints,
  parseKnownHosts,
  verifyHostKey,
  type HostKeyPins,
} from "./host-keys.ts";
export { loadPrivateKey, type SshPrivateKey } from "./keys.ts";
export type { RemoteCommand, RemoteCommandOutcome, RemoteCommandOptions } from "./command.ts";
export { sudoCommand, execWithSudo } from "./sudo.ts";
export { shellQuote, shellCommand } from "./shell.ts";
export {
  streamPkiArchive,
  listNodeFiles,
  checkNodePathsExist,
  validateNodePaths,
  type NodeFileEntry,
  type NodeFileType,
  type PkiArchiveStream,
} from "./pki.ts";
export { readArchiveEntries, compareArchiveWithListing } from "./archive.ts";
