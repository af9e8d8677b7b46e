/**
 * CRC-32C (Castagnoli), the checksum `etcdctl snapshot status` reports as `hash`.
 * Slicing-by-16 over 32-bit words: sixteen table lookups per 16 bytes keep the pure-JS
 * loop within a small factor of a hardware CRC, and need no native addon inside a
 * bundled action. Words are read in the host's byte order, which is little-endian on
 * every platform etcd's bolt files come from (amd64, arm64), as bolt itself assumes.
 */
const CASTAGNOLI_REFLECTED = 0x82f63b78;
const SLICES = 16;

/** TABLES[s * 256 + b]: the CRC of byte b followed by s zero bytes. */
const TABLES = buildTables();

function buildTables(): Int32Array {
  const tables = new Int32Array(256 * SLICES);
  for (let byte = 0; byte < 256; byte++) {
    let crc = byte;
    for (let bit = 0; bit < 8; bit++)
      crc = crc & 1 ? (crc >>> 1) ^ CASTAGNOLI_REFLECTED : crc >>> 1;
    tables[byte] = crc;
  }
  for (let slice = 1; slice < SLICES; slice++) {
    for (let byte = 0; byte < 256; byte++) {
      const previous = tables[(slice - 1) * 256 + byte]!;
      tables[slice * 256 + byte] = (previous >>> 8) ^ tables[previous & 0xff]!;
    }
  }
  return tables;
}

/** A running CRC-32C: feed it bytes in order, read `value` at the end. */
export class Crc32c {
  /** The register before the final inversion, so updates chain without extra work. */
  private register = -1;

  update(bytes: Uint8Array): this {
    this.register = updateRegister(this.register, bytes);
    return this;
  }

  get value(): number {
    return (this.register ^ -1) >>> 0;
  }
}

/** The CRC-32C of one buffer. */
export function crc32c(bytes: Uint8Array): number {
  return new Crc32c().update(bytes).value;
}

/**
 * An Int32Array over the whole of the last ArrayBuffer hashed, from its start so that its
 * words are aligned. status hashes every entry of a page from one reused page buffer: a
 * view per entry (a typed array per ~250 bytes) cost more than the CRC of the bytes.
 * Holds one buffer until another is hashed.
 */
let viewedBuffer: ArrayBufferLike | undefined;
let viewedWords: Int32Array<ArrayBufferLike> = new Int32Array(0);

function wordsOf(buffer: ArrayBufferLike): Int32Array<ArrayBufferLike> {
  if (buffer !== viewedBuffer) {
    viewedWords = new Int32Array(buffer, 0, buffer.byteLength >>> 2);
    viewedBuffer = buffer;
  }
  return viewedWords;
}

function updateRegister(register: number, bytes: Uint8Array): number {
  const T = TABLES;
  let crc = register;
  let index = 0;
  const length = bytes.length;
  // Bytes up to the first 4-byte boundary, so the rest can be read as whole words.
  while (index < length && (bytes.byteOffset + index) & 3) {
    crc = (crc >>> 8) ^ T[(crc ^ bytes[index]!) & 0xff]!;
    index++;
  }
  const wordCount = (length - index) >>> 2;
  if (wordCount >= 4) {
    const words = wordsOf(bytes.buffer);
    const first = (bytes.byteOffset + index) >>> 2;
    const end = first + wordCount - (wordCount % 4);
    for (let w = first; w < end; w += 4) {
      const a = words[w]! ^ crc;
      const b = words[w + 1]!;
      const c = words[w + 2]!;
      const d = words[w + 3]!;
      crc =
        T[3840 + (a & 0xff)]! ^
        T[3584 + ((a >>> 8) & 0xff)]! ^
        T[3328 + ((a >>> 16) & 0xff)]! ^
        T[3072 + (a >>> 24)]! ^
        T[2816 + (b & 0xff)]! ^
        T[2560 + ((b >>> 8) & 0xff)]! ^
        T[2304 + ((b >>> 16) & 0xff)]! ^
        T[2048 + (b >>> 24)]! ^
        T[1792 + (c & 0xff)]! ^
        T[1536 + ((c >>> 8) & 0xff)]! ^
        T[1280 + ((c >>> 16) & 0xff)]! ^
        T[1024 + (c >>> 24)]! ^
        T[768 + (d & 0xff)]! ^
        T[512 + ((d >>> 8) & 0xff)]! ^
        T[256 + ((d >>> 16) & 0xff)]! ^
        T[d >>> 24]!;
    }
    index += (end - first) * 4;
  }
  while (index < length) {
    crc = (crc >>> 8) ^ T[(crc ^ bytes[index]!) & 0xff]!;
    index++;
  }
  return crc;
}
