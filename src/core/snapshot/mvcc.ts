/**
 * etcd's MVCC layer inside bucket `key`: each entry's key is a revision (8-byte big-endian
 * main, `_`, 8-byte sub, and a trailing `t` for a deletion) and its value an
 * mvccpb.KeyValue (key=1, create_revision=2, mod_revision=3, version=4, value=5, lease=6).
 */
import type { LeafEntry } from "./bolt.ts";
import { ProtobufError, WireType } from "./protobuf.ts";

export interface Revision {
  main: number;
  sub: number;
  /** The entry records a deletion of its key (etcd's tombstone). */
  tombstone: boolean;
}

/** Parses a `key` bucket key; undefined when the bytes are not a revision. */
export function parseRevisionKey(key: Buffer): Revision | undefined {
  const tombstone = key.length === 18 && key[17] === 0x74; // 't'
  if (!(key.length === 17 || tombstone) || key[8] !== 0x5f /* '_' */) return undefined;
  return { main: uint64At(key, 0), sub: uint64At(key, 9), tombstone };
}

/** A big-endian u64 as a number (revisions stay far below 2^53). */
export function uint64At(bytes: Buffer, offset: number): number {
  return bytes.readUInt32BE(offset) * 0x1_0000_0000 + bytes.readUInt32BE(offset + 4);
}

export function compareRevisions(a: Revision, b: Revision): number {
  return a.main - b.main || a.sub - b.sub;
}

/**
 * A KeyValue without its value: what listing needs, read without loading big values.
 * `key` and `valueHead` may share the page's memory: copy them to keep them.
 */
export interface KeyValueHeader {
  key: Buffer;
  createRevision: number;
  modRevision: number;
  version: number;
  /** Lease id in hex, as `etcdctl lease list` shows it; "" for none. */
  lease: string;
  valueLength: number;
  /** Where the user value starts inside the bolt value, to read it later. */
  valueOffset: number;
  /** The first bytes of the user value (up to the requested head size). */
  valueHead: Buffer;
}

/** Bytes read at a time while parsing; KeyValue headers are far smaller than this. */
const WINDOW = 4096;
/**
 * The first read of a KeyValue whose start is not in the loaded page: key, revisions and
 * the value's first 256 bytes fit in it. It goes into one reused buffer: a fresh 4 KiB
 * buffer per key was most of what listing 150,000 keys allocated (and its peak memory).
 */
const HEADER_READ = 1024;
const headerScratch = Buffer.allocUnsafe(HEADER_READ);

/**
 * Reads the KeyValue of a `key` bucket entry, loading only the bytes around its fields:
 * a 1 MiB value costs two small reads, not 1 MiB. Throws ProtobufError when it is not one.
 * The header's `key` and `valueHead` are valid until the next call: copy them to keep them.
 */
export function readKeyValueHeader(entry: LeafEntry, headSize = 256): KeyValueHeader {
  const cursor = new ValueCursor(entry);
  const header: KeyValueHeader = {
    key: EMPTY,
    createRevision: 0,
    modRevision: 0,
    version: 0,
    lease: "",
    valueLength: 0,
    valueOffset: 0,
    valueHead: EMPTY,
  };
  while (cursor.position < entry.valueLength) {
    const tag = cursor.varint();
    const number = Math.floor(tag / 8);
    const wireType = tag & 7;
    if (wireType === WireType.varint && number === 6) {
      // Lease ids are random 63-bit numbers: exact only as a bigint.
      const lease = cursor.varintBig();
      header.lease = lease === 0n ? "" : lease.toString(16);
    } else if (wireType === WireType.varint) {
      const value = cursor.varint();
      if (number === 2) header.createRevision = value;
      else if (number === 3) header.modRevision = value;
      else if (number === 4) header.version = value;
    } else if (wireType === WireType.bytes) {
      const length = cursor.varint();
      if (cursor.position + length > entry.valueLength) {
        throw new ProtobufError(
          `field ${number} (${length} bytes) runs past the end of the KeyValue`,
        );
      }
      if (number === 1) header.key = cursor.bytes(length);
      if (number === 5) {
        header.valueLength = length;
        header.valueOffset = cursor.position;
        header.valueHead = cursor.bytes(Math.min(length, headSize));
      }
      cursor.position += length;
    } else if (wireType === WireType.fixed64) {
      cursor.position += 8;
    } else if (wireType === WireType.fixed32) {
      cursor.position += 4;
    } else {
      throw new ProtobufError(`field ${number} has unsupported wire type ${wireType}`);
    }
  }
  if (cursor.position !== entry.valueLength)
    throw new ProtobufError("the last field runs past the end");
  return header;
}

const EMPTY = Buffer.alloc(0);

/** Reads a bolt value through a small window that moves as parsing advances. */
class ValueCursor {
  position = 0;
  private window: Buffer;
  private windowStart = 0;

  private readonly entry: LeafEntry;

  constructor(entry: LeafEntry) {
    this.entry = entry;
    // The page usually holds the KeyValue's header already: no read for it.
    this.window = entry.valuePrefix(HEADER_READ, 512, headerScratch);
  }

  private byteAt(position: number): number {
    if (position >= this.entry.valueLength)
      throw new ProtobufError("a varint runs past the end of the KeyValue");
    if (position < this.windowStart || position >= this.windowStart + this.window.length) {
      this.windowStart = position;
      this.window = this.entry.valueRange(position, WINDOW);
    }
    return this.window[position - this.windowStart]!;
  }

  varint(): number {
    let value = 0;
    let scale = 1;
    for (let count = 0; count < 10; count++) {
      const byte = this.byteAt(this.position++);
      value += (byte & 0x7f) * scale;
      if (byte < 0x80) return value;
      scale *= 128;
    }
    throw new ProtobufError("a varint is longer than 10 bytes");
  }

  varintBig(): bigint {
    let value = 0n;
    for (let shift = 0n; shift < 70n; shift += 7n) {
      const byte = this.byteAt(this.position++);
      value |= BigInt(byte & 0x7f) << shift;
      if (byte < 0x80) return BigInt.asIntN(64, value);
    }
    throw new ProtobufError("a varint is longer than 10 bytes");
  }

  bytes(length: number): Buffer {
    const offset = this.position - this.windowStart;
    if (offset >= 0 && offset + length <= this.window.length)
      return this.window.subarray(offset, offset + length);
    return this.entry.valueRange(this.position, length);
  }
}
