/**
 * Hashing on the way through a stream: a pass-through that counts bytes and computes their
 * sha256 (OpenSSL, ~1 GB/s), and a checking variant that fails the stream at its end when
 * the bytes are not the ones expected.
 */
import { createHash } from "node:crypto";
import { Transform, type TransformCallback } from "node:stream";

export interface Digest {
  bytes: number;
  /** Lower-case hex. */
  sha256: string;
}

/** A pass-through whose `digest()` is the size and sha256 of everything that went through. */
export class HashingStream extends Transform {
  private readonly hash = createHash("sha256");
  private bytes = 0;
  private result: Digest | undefined;

  override _transform(data: Buffer, _encoding: BufferEncoding, done: TransformCallback): void {
    this.hash.update(data);
    this.bytes += data.length;
    done(null, data);
  }

  override _flush(done: TransformCallback): void {
    this.result = { bytes: this.bytes, sha256: this.hash.digest("hex") };
    done();
  }

  /** Available once the stream has ended. */
  digest(): Digest {
    if (!this.result)
      throw new Error("The digest was read before the stream ended (a bug in the caller).");
    return this.result;
  }
}

/**
 * A pass-through that errors at its end, before signalling success downstream, when size or
 * sha256 differ from `expected`. `mismatch` builds the error sentence.
 */
export class VerifyingStream extends HashingStream {
  private readonly expected: Digest;
  private readonly mismatch: (actual: Digest, expected: Digest) => Error;

  constructor(expected: Digest, mismatch: (actual: Digest, expected: Digest) => Error) {
    super();
    this.expected = expected;
    this.mismatch = mismatch;
  }

  override _flush(done: TransformCallback): void {
    super._flush((error) => {
      if (error) return done(error);
      const actual = this.digest();
      if (actual.bytes !== this.expected.bytes || actual.sha256 !== this.expected.sha256) {
        return done(this.mismatch(actual, this.expected));
      }
      done();
    });
  }
}

/** sha256 of a whole buffer, lower-case hex. */
export function sha256Hex(data: Buffer | string): string {
  return createHash("sha256").update(data).digest("hex");
}
