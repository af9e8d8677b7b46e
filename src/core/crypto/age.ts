/**
 * Streaming age encryption and decryption (age-encryption.org/v1, X25519 recipients).
 * The payload is age's STREAM: ChaCha20-Poly1305 over 64 KiB chunks, the nonce an 11-byte
 * big-endian chunk counter and a last-chunk flag. Node's crypto does the cipher natively
 * (~1 GB/s), which a pure-JS age cannot (~100 MB/s); the format stays exactly age's so the
 * `age` CLI reads our files and we read its.
 */
import { createCipheriv, createDecipheriv, randomBytes } from "node:crypto";
import { Transform, type TransformCallback } from "node:stream";
import {
  AgeHeaderError,
  NoMatchingIdentityError,
  encodeHeader,
  hkdf,
  MAX_HEADER_BYTES,
  openHeader,
  parseHeader,
  wrapFileKey,
  type ParsedHeader,
} from "./age-header.ts";
import type { X25519Identity, X25519Recipient } from "./age-keys.ts";
import { ChunkQueue } from "./chunker.ts";

export { X25519Identity, X25519Recipient, parseIdentities, parseRecipients } from "./age-keys.ts";
export { AgeHeaderError, NoMatchingIdentityError } from "./age-header.ts";

const CHUNK_SIZE = 64 * 1024;
const TAG_SIZE = 16;
const SEALED_CHUNK_SIZE = CHUNK_SIZE + TAG_SIZE;
const NONCE_PREFIX_SIZE = 16;
/**
 * Chunks sealed or opened per output buffer: one push of 128 KiB instead of two pushes per
 * 64 KiB chunk, so the stages after age (hash, write) take the pipeline's batch size too
 * (storage/batching.ts says why not larger).
 */
const CHUNKS_PER_BATCH = 2;

/** Raised for any failure to decrypt: the message says what to check. */
export class AgeDecryptionError extends Error {}

function chunkNonce(counter: number, last: boolean): Buffer {
  const nonce = Buffer.alloc(12);
  // 11-byte big-endian counter: 2^53 chunks is far beyond any backup, so the top bytes stay 0.
  nonce.writeUIntBE(counter, 5, 6);
  nonce[11] = last ? 1 : 0;
  return nonce;
}

function payloadKey(fileKey: Buffer, noncePrefix: Buffer): Buffer {
  return hkdf(fileKey, noncePrefix, "payload");
}

/** A Transform from plaintext to an age file for the given recipients. */
export function createAgeEncryptStream(recipients: readonly X25519Recipient[]): Transform {
  if (recipients.length === 0) {
    throw new Error("age encryption needs at least one recipient (an age1... public key).");
  }
  const fileKey = randomBytes(16);
  const header = encodeHeader(
    fileKey,
    recipients.map((recipient) => wrapFileKey(fileKey, recipient)),
  );
  const noncePrefix = randomBytes(NONCE_PREFIX_SIZE);
  const key = payloadKey(fileKey, noncePrefix);
  fileKey.fill(0);
  const queue = new ChunkQueue(CHUNK_SIZE);
  let counter = 0;

  /** Seals `plaintext` (one chunk) into `out` at `offset`; returns the offset after its tag. */
  const sealInto = (out: Buffer, offset: number, plaintext: Buffer, last: boolean): number => {
    const cipher = createCipheriv("chacha20-poly1305", key, chunkNonce(counter++, last), {
      authTagLength: TAG_SIZE,
    });
    offset += cipher.update(plaintext).copy(out, offset);
    cipher.final();
    return offset + cipher.getAuthTag().copy(out, offset);
  };

  /** Seals every queued chunk but the last, up to CHUNKS_PER_BATCH into each pushed buffer. */
  const sealQueued = (stream: Transform) => {
    while (queue.hasChunkBeforeLast()) {
      const chunks = Math.min(CHUNKS_PER_BATCH, Math.ceil(queue.length / CHUNK_SIZE) - 1);
      const out = Buffer.allocUnsafeSlow(chunks * SEALED_CHUNK_SIZE);
      let offset = 0;
      for (let sealed = 0; sealed < chunks; sealed++) {
        offset = sealInto(out, offset, queue.take(), false);
      }
      stream.push(out);
    }
  };

  const sealLast = (stream: Transform) => {
    const plaintext = queue.takeRest();
    const out = Buffer.allocUnsafe(plaintext.length + TAG_SIZE);
    sealInto(out, 0, plaintext, true);
    stream.push(out);
  };

  let started = false;
  const start = (stream: Transform) => {
    if (started) return;
    started = true;
    stream.push(header);
    stream.push(noncePrefix);
  };

  return new Transform({
    transform(data: Buffer, _encoding, done: TransformCallback) {
      start(this);
      queue.push(data);
      sealQueued(this);
      done();
    },
    flush(done: TransformCallback) {
      start(this);
      // The final chunk may be full-size; it is empty only when the whole payload is.
      sealLast(this);
      key.fill(0);
      done();
    },
  });
}

/**
 * A Transform from an age file to its plaintext, for the first identity that opens it.
 * Errors are AgeDecryptionError sentences; `describe` names the file in them.
 */
export function createAgeDecryptStream(
  identities: readonly X25519Identity[],
  describe = "the age file",
): Transform {
  if (identities.length === 0) {
    throw new Error(
      `Decrypting ${describe} needs an age identity (AGE-SECRET-KEY-1...), and none was given.`,
    );
  }
  let headerBytes: Buffer = Buffer.alloc(0);
  let key: Buffer | undefined;
  const queue = new ChunkQueue(SEALED_CHUNK_SIZE);
  let counter = 0;

  const fail = (message: string) =>
    new AgeDecryptionError(`Decrypting ${describe} failed: ${message}.`);

  const open = (sealed: Buffer, last: boolean): Buffer => {
    const decipher = createDecipheriv("chacha20-poly1305", key!, chunkNonce(counter, last), {
      authTagLength: TAG_SIZE,
    });
    decipher.setAuthTag(sealed.subarray(sealed.length - TAG_SIZE));
    const plaintext = decipher.update(sealed.subarray(0, sealed.length - TAG_SIZE));
    try {
      decipher.final();
    } catch {
      throw fail(
        last
          ? `the last chunk (number ${counter}) does not authenticate: the file was truncated or changed after it was written`
          : `chunk number ${counter} does not authenticate: the file was changed or damaged after it was written`,
      );
    }
    counter++;
    return plaintext;
  };

  /** Collects header bytes; once whole, opens it and returns the file key and the bytes after it. */
  const readHeader = (data: Buffer): { fileKey: Buffer; rest: Buffer } | undefined => {
    headerBytes = headerBytes.length === 0 ? data : Buffer.concat([headerBytes, data]);
    let header: ParsedHeader | undefined;
    let unwrapped: Buffer;
    try {
      header = parseHeader(headerBytes);
      if (!header) {
        if (headerBytes.length > MAX_HEADER_BYTES)
          throw fail("no complete age header in its first MiB");
        return undefined;
      }
      unwrapped = openHeader(header, identities);
    } catch (error) {
      if (error instanceof NoMatchingIdentityError) throw fail(error.message);
      if (error instanceof AgeHeaderError) throw fail(`its header is not valid: ${error.message}`);
      throw error;
    }
    const rest = headerBytes.subarray(header.length);
    headerBytes = Buffer.alloc(0);
    return { fileKey: unwrapped, rest };
  };

  let noncePrefixBytes: Buffer = Buffer.alloc(0);
  let fileKey: Buffer | undefined;

  const takePayload = (stream: Transform, data: Buffer) => {
    if (!key) {
      noncePrefixBytes = Buffer.concat([noncePrefixBytes, data]);
      if (noncePrefixBytes.length < NONCE_PREFIX_SIZE) return;
      key = payloadKey(fileKey!, noncePrefixBytes.subarray(0, NONCE_PREFIX_SIZE));
      fileKey!.fill(0);
      data = noncePrefixBytes.subarray(NONCE_PREFIX_SIZE);
    }
    queue.push(data);
    openQueued(stream);
  };

  /** Opens every queued chunk but the last, up to CHUNKS_PER_BATCH into each pushed buffer. */
  const openQueued = (stream: Transform) => {
    while (queue.hasChunkBeforeLast()) {
      const chunks = Math.min(CHUNKS_PER_BATCH, Math.ceil(queue.length / SEALED_CHUNK_SIZE) - 1);
      const out = Buffer.allocUnsafeSlow(chunks * CHUNK_SIZE);
      let offset = 0;
      for (let opened = 0; opened < chunks; opened++) {
        offset += open(queue.take(), false).copy(out, offset);
      }
      stream.push(out);
    }
  };

  return new Transform({
    transform(data: Buffer, _encoding, done: TransformCallback) {
      try {
        if (fileKey === undefined) {
          const opened = readHeader(data);
          if (opened === undefined) return done();
          fileKey = opened.fileKey;
          data = opened.rest;
        }
        takePayload(this, data);
        done();
      } catch (error) {
        done(error as Error);
      }
    },
    flush(done: TransformCallback) {
      try {
        if (!key) throw fail("it ends before its payload starts (the file was truncated)");
        const last = queue.takeRest();
        if (last.length < TAG_SIZE) {
          throw fail("it ends in the middle of a chunk (the file was truncated)");
        }
        if (last.length === TAG_SIZE && counter > 0) {
          throw fail(
            "its last chunk is empty, which age never writes (the file was truncated or changed)",
          );
        }
        this.push(open(last, true));
        key.fill(0);
        done();
      } catch (error) {
        done(error as Error);
      }
    },
  });
}
