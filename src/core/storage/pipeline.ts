/**
 * The one storage pipeline every backup and restore shares.
 *
 * Write: source -> sha256 of the plaintext -> compression -> age -> sha256 of the stored
 * bytes -> backend, one stream with backpressure end to end (constant memory whatever the
 * size); the manifest goes last, once both hashes are known.
 * Read: backend -> stored sha256 check -> age -> decompression -> plaintext sha256 check.
 *
 * A backup job runs storeBackup, then verifyStoredBackup, and only then applyRetention
 * (retention.ts), which accepts nothing but a verified backup.
 */
import { randomBytes } from "node:crypto";
import { createWriteStream } from "node:fs";
import { rename, rm } from "node:fs/promises";
import { basename, dirname, join } from "node:path";
import { Writable, type Readable, type Transform } from "node:stream";
import { pipeline } from "node:stream/promises";
import {
  buildManifest,
  parseManifest,
  serializeManifest,
  type BackupManifest,
  type BackupSource,
  type Encryption,
  type PkiRecord,
} from "./manifest.ts";
import {
  AgeDecryptionError,
  createAgeDecryptStream,
  createAgeEncryptStream,
  parseRecipients,
  X25519Recipient,
  type X25519Identity,
} from "../crypto/age.ts";
import { HashingStream, VerifyingStream, type Digest } from "../crypto/hash.ts";
import { RECIPIENTS_FIELD } from "../crypto/age-keys.ts";
import { ConfigurationError, errorMessage } from "../errors.ts";
import type { Logger } from "../log/logger.ts";
import type { RunInfo } from "../run-context.ts";
import {
  compressionSuffix,
  createCompressStream,
  createDecompressStream,
  type Compression,
} from "./compression.ts";
import {
  checkClusterName,
  checkPayloadName,
  defaultPayloadBaseName,
  formatTimestamp,
  parseBackupKind,
  parseTimestamp,
} from "./layout.ts";
import { createBatcher } from "./batching.ts";
import { createMemoryPacer, memoryPacerStages } from "./memory-pacer.ts";
import type { BackupKind, BackupLocation, SnapshotStore } from "./types.ts";

export interface BackupOptions {
  cluster: string;
  kind: BackupKind;
  /** The plaintext: an etcd snapshot stream, a PKI tar stream. */
  source: Readable;
  /** Default zstd. */
  compression?: Compression;
  /** age recipients (`age1...`): public keys only, the identity is needed only to restore. */
  recipients?: ReadonlyArray<string | X25519Recipient>;
  /** Stores the payload in clear text when no recipient is given. Recorded in the manifest. */
  allowUnencrypted?: boolean;
  /** Default `snapshot.db` (etcd) or `pki.tar` (PKI); suffixes such as `.zst.age` are added. */
  payloadBaseName?: string;
  sourceInfo?: BackupSource;
  etcd?: { revision?: number; keyCount?: number };
  /**
   * Runs once the payload is stored and before the manifest is written: the caller's own
   * verification of what it sent (an etcd snapshot checked by the snapshot reader). Facts it
   * returns go into the manifest; if it throws, the payload is removed and nothing is listed.
   */
  beforeManifest?: (plaintext: Digest) => Promise<VerifiedFacts | void>;
  /**
   * How often the pipeline asks V8 for a young-generation collection (memory-pacer.ts);
   * default every MiB. A snapshot transfer from a pod asks for none (NO_PACING).
   */
  memoryPacingBytes?: number;
  /** Default now. Its UTC second names the backup's folder. */
  createdAt?: Date;
  /** The GitHub run making the backup (the run context's), recorded in the manifest. */
  run?: RunInfo;
  logger: Logger;
}

/** What the caller's own verification learnt, recorded in the manifest. */
export interface VerifiedFacts {
  etcd?: { revision?: number; keyCount?: number };
  /** The PKI archive's listing and the verified SSH endpoints it came from. */
  pki?: PkiRecord;
}

/** A backup with its manifest, as listed by a backend. */
export interface StoredBackup {
  location: BackupLocation;
  manifest: BackupManifest;
}

declare const verifiedBrand: unique symbol;
/** A stored backup whose stored bytes were read back and matched its manifest. */
export type VerifiedBackup = StoredBackup & { readonly [verifiedBrand]: true };

/** Raised when stored or restored bytes are not the ones the manifest records. */
export class BackupIntegrityError extends Error {}

interface EncryptionPlan {
  encryption: Encryption;
  recipients: X25519Recipient[];
}

/** Encryption is the default; clear text only with the explicit opt-in, and said loudly. */
function planEncryption(options: BackupOptions, what: string): EncryptionPlan {
  const recipients = (options.recipients ?? []).map((recipient) =>
    recipient instanceof X25519Recipient ? recipient : parseRecipients([recipient])[0]!,
  );
  if (recipients.length > 0) {
    return { encryption: { method: "age", recipients: recipients.map(String) }, recipients };
  }
  if (!options.allowUnencrypted) {
    throw new ConfigurationError(
      RECIPIENTS_FIELD,
      `no age recipient was given for ${what}: backups are encrypted by default because a snapshot holds every Secret of the cluster; give at least one recipient (age1... from age-keygen), or allow unencrypted backups explicitly to store it in clear text.`,
    );
  }
  options.logger.warning(
    `${what} is stored UNENCRYPTED because unencrypted backups were explicitly allowed: anyone who can read the destination can read every Secret in it. The manifest records this choice.`,
  );
  return { encryption: { method: "none", allowUnencrypted: true }, recipients: [] };
}

export function payloadFileName(
  baseName: string,
  compression: Compression,
  encrypted: boolean,
): string {
  return checkPayloadName(`${baseName}${compressionSuffix(compression)}${encrypted ? ".age" : ""}`);
}

/**
 * Streams one backup to the store and writes its manifest last. On any failure nothing is
 * listed: the payload is removed (the backend cleans a failed upload, we remove a stored
 * payload whose manifest could not follow), and the error says which side failed.
 */
export async function storeBackup(
  store: SnapshotStore,
  options: BackupOptions,
): Promise<StoredBackup> {
  const cluster = checkClusterName(options.cluster);
  const kind = parseBackupKind(options.kind);
  const createdAt = new Date(Math.floor((options.createdAt ?? new Date()).getTime() / 1000) * 1000);
  const timestamp = formatTimestamp(createdAt);
  const what = `the ${kind} backup of ${cluster} at ${timestamp}`;
  const compression = options.compression ?? "zstd";
  const plan = planEncryption(options, what);
  const payloadName = payloadFileName(
    options.payloadBaseName ?? defaultPayloadBaseName(kind),
    compression,
    plan.recipients.length > 0,
  );
  const logger = options.logger;
  logger.info(
    `Storing ${what} to ${store.description} as ${payloadName} (compression ${compression}, ${
      plan.encryption.method === "age"
        ? `encrypted to ${plan.encryption.recipients.join(", ")}`
        : "NOT encrypted"
    }).`,
  );

  const plaintext = new HashingStream();
  const stored = new HashingStream();
  const stages: Array<Readable | Transform> = [
    options.source,
    createBatcher(),
    ...memoryPacerStages(options.memoryPacingBytes),
    plaintext,
    createCompressStream(compression),
  ];
  if (plan.recipients.length > 0) stages.push(createAgeEncryptStream(plan.recipients));
  stages.push(stored);

  const put = await streamToStore(
    store,
    stages,
    stored,
    { cluster, kind, timestamp, payloadName },
    what,
    logger,
  );
  const plaintextDigest = plaintext.digest();
  const storedDigest = stored.digest();
  if (put.storedBytes !== storedDigest.bytes) {
    await removeQuietly(store, put.location, logger);
    throw new BackupIntegrityError(
      `${store.description} reports ${put.storedBytes} bytes stored for ${what}, but the pipeline sent ${storedDigest.bytes}; the incomplete backup was removed.`,
    );
  }
  let etcd = options.etcd;
  let pki: PkiRecord | undefined;
  if (options.beforeManifest) {
    try {
      const facts = await options.beforeManifest(plaintextDigest);
      if (facts?.etcd) etcd = { ...etcd, ...facts.etcd };
      pki = facts?.pki;
    } catch (error) {
      await removeQuietly(store, put.location, logger);
      throw new BackupIntegrityError(
        `Verifying ${what} failed: ${errorMessage(error)} The stored payload was removed, so no unverified backup is listed.`,
        { cause: error },
      );
    }
  }
  const manifest = buildManifest({
    cluster,
    kind,
    // A backend may move a backup to the next free second (another run took this one).
    createdAt:
      put.location.timestamp === timestamp ? createdAt : parseTimestamp(put.location.timestamp),
    source: options.sourceInfo,
    etcd,
    ...(pki ? { pki } : {}),
    payloadName,
    compression,
    encryption: plan.encryption,
    plaintext: plaintextDigest,
    stored: storedDigest,
    ...(options.run ? { run: options.run } : {}),
  });
  try {
    await store.putManifest(put.location, serializeManifest(manifest));
  } catch (error) {
    await removeQuietly(store, put.location, logger);
    throw new Error(
      `Writing the manifest of ${what} to ${put.location.uri} failed: ${errorMessage(error)}. The payload was removed, so no incomplete backup is listed.`,
      { cause: error },
    );
  }
  logger.info(
    `Stored ${what} at ${put.location.uri}: ${plaintextDigest.bytes} bytes (sha256 ${plaintextDigest.sha256}) as ${storedDigest.bytes} stored bytes (sha256 ${storedDigest.sha256}).`,
  );
  return { location: put.location, manifest };
}

/**
 * Runs the stages into the backend. Whichever side fails first names the error: stream
 * errors propagate to every stage, so the origin is the first stage that emitted one (the
 * last stage when the backend broke off its input), or the backend when no stream failed.
 */
async function streamToStore(
  store: SnapshotStore,
  stages: Array<Readable | Transform>,
  last: HashingStream,
  put: { cluster: string; kind: BackupKind; timestamp: string; payloadName: string },
  what: string,
  logger: Logger,
): Promise<{ location: BackupLocation; storedBytes: number }> {
  let origin: { side: "source" | "store"; error: Error } | undefined;
  for (const stage of stages) {
    stage.on("error", (error: NodeJS.ErrnoException) => {
      // A premature close is the echo of another stage's failure, never its origin.
      if (error.code === "ERR_STREAM_PREMATURE_CLOSE") return;
      origin ??= { side: stage === last ? "store" : "source", error };
    });
  }
  const streaming = (pipeline as (...streams: Array<Readable | Transform>) => Promise<void>)(
    ...stages,
  ).catch(() => undefined);
  let storeError: Error | undefined;
  const storing = store
    .putPayload(put, last)
    .then((result) => {
      // A backend that returns before it read everything would leave the pipeline (and
      // whatever feeds it) waiting for a reader that is gone: that is its failure.
      if (!last.readableEnded) {
        throw new Error("it returned before it read all of the payload");
      }
      return result;
    })
    .catch((error: Error) => {
      storeError = error;
      origin ??= { side: "store", error };
      // A backend that gave up without draining must not leave the pipeline waiting on it.
      last.destroy(error);
      return undefined;
    });
  const [, result] = await Promise.all([streaming, storing]);
  if (origin || !result) {
    const failure = origin ?? {
      side: "store",
      error: new Error("the backend returned no location"),
    };
    // A backend that claims success for a stream that failed must not keep the bytes.
    if (result) await removeQuietly(store, result.location, logger);
    const stage =
      failure.side === "source"
        ? `reading, hashing, compressing or encrypting the data failed: ${failure.error.message}`
        : `${store.description} failed: ${(storeError ?? failure.error).message}`;
    throw new Error(`Storing ${what} failed: ${stage}. No backup was listed for it.`, {
      cause: failure.error,
    });
  }
  return result;
}

async function removeQuietly(
  store: SnapshotStore,
  location: BackupLocation,
  logger: Logger,
): Promise<void> {
  try {
    await store.delete(location);
  } catch (error) {
    logger.warning(
      `Could not remove the incomplete backup at ${location.uri}: ${errorMessage(error)}`,
    );
  }
}

/** Finds a listed backup by its place; the manifest must agree with where it is stored. */
export async function findBackup(
  store: SnapshotStore,
  place: { cluster: string; kind: BackupKind; timestamp: string },
): Promise<StoredBackup> {
  const listed = await store.list({ cluster: place.cluster, kind: place.kind });
  const entry = listed.find((candidate) => candidate.location.timestamp === place.timestamp);
  if (!entry) {
    const newest = listed[0]?.location.timestamp;
    throw new Error(
      `No complete ${place.kind} backup of ${place.cluster} at ${place.timestamp} in ${store.description}${
        newest ? `; the newest there is ${newest}` : "; there is none for this cluster and kind"
      }.`,
    );
  }
  return { location: entry.location, manifest: checkedManifest(entry.location, entry.manifest) };
}

/** Parses a listed manifest and checks it describes the folder it sits in (moved or edited otherwise). */
export function checkedManifest(location: BackupLocation, data: Buffer): BackupManifest {
  const manifest = parseManifest(data, location.uri);
  const described = `${manifest.cluster}/${manifest.kind}/${manifest.timestamp}`;
  const actual = `${location.cluster}/${location.kind}/${location.timestamp}`;
  if (described !== actual) {
    throw new BackupIntegrityError(
      `The manifest at ${location.uri} describes backup ${described}, but it is stored as ${actual}: it was moved or edited; do not trust this backup without checking it by hand.`,
    );
  }
  return manifest;
}

function mismatch(backup: StoredBackup, what: "stored payload" | "restored data") {
  return (actual: Digest, expected: Digest) =>
    new BackupIntegrityError(
      actual.bytes !== expected.bytes
        ? `The ${what} of ${backup.location.uri} is ${actual.bytes} bytes, but the manifest records ${expected.bytes}: it was ${
            actual.bytes < expected.bytes
              ? "truncated (an interrupted upload or download)"
              : "changed after it was written"
          }, or the manifest was edited.`
        : `The ${what} of ${backup.location.uri} has sha256 ${actual.sha256}, but the manifest records ${expected.sha256}: it was changed or damaged after it was written, or the manifest was edited.`,
    );
}

/** Reads the stored bytes back and checks size and sha256 against the manifest; no identity needed. */
export async function verifyStoredBackup(
  store: SnapshotStore,
  backup: StoredBackup,
): Promise<VerifiedBackup> {
  const payload = await store.getPayload(backup.location, backup.manifest.payload.name);
  await pipeline(
    payload,
    createBatcher(),
    createMemoryPacer(),
    new VerifyingStream(backup.manifest.payload.stored, mismatch(backup, "stored payload")),
    new Writable({ write: (_data, _encoding, done) => done() }),
  );
  return backup as VerifiedBackup;
}

export interface ReadOptions {
  /** Needed only when the backup is encrypted. */
  identities?: readonly X25519Identity[];
  logger: Logger;
}

/** Refuses identities that cannot open the backup, before anything is read or changed. */
export function checkIdentities(backup: StoredBackup, identities: readonly X25519Identity[]): void {
  const encryption = backup.manifest.payload.encryption;
  if (encryption.method !== "age") return;
  if (identities.length === 0) {
    throw new Error(
      `The backup ${backup.location.uri} is encrypted to ${encryption.recipients.join(", ")}; give the age identity (AGE-SECRET-KEY-1...) of one of them to restore it.`,
    );
  }
  const ours = identities.map((identity) => identity.recipient.toString());
  if (!ours.some((recipient) => encryption.recipients.includes(recipient))) {
    throw new Error(
      `None of the given age identities (for ${ours.join(", ")}) can decrypt ${backup.location.uri}: it is encrypted to ${encryption.recipients.join(", ")}.`,
    );
  }
}

/**
 * Streams the plaintext of a backup into `destination`, checking the stored bytes and the
 * plaintext against the manifest. The check of the last bytes happens at the end: when
 * this rejects, whatever `destination` received must be thrown away (restoreBackupToFile
 * does that for files).
 */
export async function readBackup(
  store: SnapshotStore,
  backup: StoredBackup,
  destination: Writable,
  options: ReadOptions,
): Promise<Digest> {
  const manifest = backup.manifest;
  checkIdentities(backup, options.identities ?? []);
  options.logger.info(
    `Reading backup ${backup.location.uri} (${manifest.payload.name}, ${manifest.payload.plaintext.bytes} bytes).`,
  );
  const payload = await store.getPayload(backup.location, manifest.payload.name);
  const decompress = createDecompressStream(manifest.payload.compression);
  let decompressError: Error | undefined;
  decompress.once("error", (error) => (decompressError = error));
  const plaintext = new VerifyingStream(
    manifest.payload.plaintext,
    mismatch(backup, "restored data"),
  );
  const stages: Array<Readable | Transform | Writable> = [
    payload,
    createBatcher(),
    createMemoryPacer(),
    new VerifyingStream(manifest.payload.stored, mismatch(backup, "stored payload")),
  ];
  if (manifest.payload.encryption.method === "age") {
    stages.push(createAgeDecryptStream(options.identities ?? [], `backup ${backup.location.uri}`));
  }
  stages.push(decompress, plaintext, destination);
  try {
    await (pipeline as (...streams: Array<Readable | Transform | Writable>) => Promise<void>)(
      ...stages,
    );
  } catch (error) {
    if (error instanceof BackupIntegrityError || error instanceof AgeDecryptionError) throw error;
    if (error === decompressError) {
      throw new BackupIntegrityError(
        `Decompressing (${manifest.payload.compression}) the payload of ${backup.location.uri} failed: ${errorMessage(error)}; the payload is damaged.`,
        { cause: error },
      );
    }
    throw new Error(`Reading backup ${backup.location.uri} failed: ${errorMessage(error)}`, {
      cause: error,
    });
  }
  return plaintext.digest();
}

/**
 * Restores a backup's plaintext to a file: written under a temporary name beside it and
 * renamed only once every check passed, so a bad backup never leaves a plausible file.
 */
export async function restoreBackupToFile(
  store: SnapshotStore,
  backup: StoredBackup,
  path: string,
  options: ReadOptions,
): Promise<Digest> {
  const partial = join(
    dirname(path),
    `.${basename(path)}.partial-${randomBytes(6).toString("hex")}`,
  );
  try {
    const digest = await readBackup(
      store,
      backup,
      createWriteStream(partial, { flags: "wx", flush: true }),
      options,
    );
    await rename(partial, path);
    return digest;
  } finally {
    await rm(partial, { force: true });
  }
}

/**
 * The newest backup of a cluster and kind whose stored bytes still match its manifest. A
 * newer one that does not verify is never skipped silently: the error names it and the next
 * candidate, so that choosing an older backup stays the operator's decision.
 */
export async function findNewestVerifiedBackup(
  store: SnapshotStore,
  place: { cluster: string; kind: BackupKind },
): Promise<VerifiedBackup> {
  const { backup, next } = await newestListed(store, place);
  try {
    return await verifyStoredBackup(store, backup);
  } catch (error) {
    throw new BackupIntegrityError(
      `The newest ${place.kind} backup of ${place.cluster}, ${backup.location.uri}, does not verify: ${errorMessage(error)} ${
        next
          ? `The next candidate is ${next}: give its URI as the backup input to use it (an older backup stays your choice).`
          : "There is no older backup."
      }`,
      { cause: error },
    );
  }
}

/**
 * The newest backup of a cluster and kind, its manifest checked but its payload not read:
 * for a reader that verifies the payload as it reads it anyway (the restore drill).
 */
export async function findNewestBackup(
  store: SnapshotStore,
  place: { cluster: string; kind: BackupKind },
): Promise<StoredBackup> {
  return (await newestListed(store, place)).backup;
}

async function newestListed(
  store: SnapshotStore,
  place: { cluster: string; kind: BackupKind },
): Promise<{ backup: StoredBackup; next?: string }> {
  const listed = await store.list({ cluster: place.cluster, kind: place.kind });
  const newest = listed[0];
  if (!newest) {
    throw new Error(
      `There is no complete ${place.kind} backup of ${place.cluster} in ${store.description}.`,
    );
  }
  const backup: StoredBackup = {
    location: newest.location,
    manifest: checkedManifest(newest.location, newest.manifest),
  };
  const next = listed[1]?.location.uri;
  return next ? { backup, next } : { backup };
}
