/**
 * A backend that breaks off an upload after a number of bytes, as a network or a full
 * disk would, in front of a real backend that gets the bytes until then.
 */
import { pipeline, Transform, type Readable } from "node:stream";
import type {
  BackupKind,
  BackupLocation,
  PutOptions,
  SnapshotStore,
} from "../../../src/core/storage/types.ts";

export class FailingAfterBytesStore implements SnapshotStore {
  readonly description: string;
  private readonly inner: SnapshotStore;
  private readonly failAfterBytes: number;

  constructor(inner: SnapshotStore, failAfterBytes: number) {
    this.inner = inner;
    this.failAfterBytes = failAfterBytes;
    this.description = `${inner.description} (failing after ${failAfterBytes} bytes)`;
  }

  putPayload(
    options: PutOptions,
    payload: Readable,
  ): Promise<{ location: BackupLocation; storedBytes: number }> {
    let seen = 0;
    const limit = this.failAfterBytes;
    const breaker = new Transform({
      transform(data: Buffer, _encoding, done) {
        seen += data.length;
        if (seen > limit) return done(new Error(`connection reset by peer after ${limit} bytes`));
        done(null, data);
      },
    });
    return this.inner.putPayload(
      options,
      pipeline(payload, breaker, () => undefined),
    );
  }

  putManifest(location: BackupLocation, manifest: Buffer): Promise<void> {
    return this.inner.putManifest(location, manifest);
  }

  list(filter?: { cluster?: string; kind?: BackupKind }) {
    return this.inner.list(filter);
  }

  getPayload(location: BackupLocation, payloadName: string): Promise<Readable> {
    return this.inner.getPayload(location, payloadName);
  }

  delete(location: BackupLocation): Promise<void> {
    return this.inner.delete(location);
  }
}
