/**
 * The few protobuf wire-format reads the snapshot needs (mvccpb.KeyValue, the Kubernetes
 * envelope and ObjectMeta). No schema compiler: each message is a handful of known fields.
 */

export const WireType = { varint: 0, fixed64: 1, bytes: 2, fixed32: 5 } as const;

/** Thrown when bytes are not the protobuf they should be; callers add where they are. */
export class ProtobufError extends Error {
  override readonly name = "ProtobufError";
}

export interface Field {
  number: number;
  wireType: number;
  /** For varint fields: the value (exact up to 2^53). */
  varint: number;
  /** For length-delimited fields: the bytes. */
  bytes: Buffer;
}

/** Reads fields one after another from a buffer. */
export class ProtoReader {
  position = 0;

  readonly buffer: Buffer;

  constructor(buffer: Buffer) {
    this.buffer = buffer;
  }

  get done(): boolean {
    return this.position >= this.buffer.length;
  }

  readVarint(): number {
    let value = 0;
    let scale = 1;
    for (let shift = 0; shift < 70; shift += 7) {
      if (this.position >= this.buffer.length)
        throw new ProtobufError("a varint runs past the end of the message");
      const byte = this.buffer[this.position++]!;
      value += (byte & 0x7f) * scale;
      if (byte < 0x80) return value;
      scale *= 128;
    }
    throw new ProtobufError("a varint is longer than 10 bytes");
  }

  /** The next field's number and wire type. */
  readTag(): { number: number; wireType: number } {
    const tag = this.readVarint();
    const number = Math.floor(tag / 8);
    if (number === 0) throw new ProtobufError("a field has number 0");
    return { number, wireType: tag & 7 };
  }

  /** The length of a length-delimited field, checked against what is left. */
  readLength(): number {
    const length = this.readVarint();
    if (this.position + length > this.buffer.length) {
      throw new ProtobufError(`a ${length}-byte field runs past the end of the message`);
    }
    return length;
  }

  readField(): Field {
    const { number, wireType } = this.readTag();
    const field: Field = { number, wireType, varint: 0, bytes: EMPTY };
    switch (wireType) {
      case WireType.varint:
        field.varint = this.readVarint();
        break;
      case WireType.bytes: {
        const length = this.readLength();
        field.bytes = this.buffer.subarray(this.position, this.position + length);
        this.position += length;
        break;
      }
      case WireType.fixed64:
        this.skip(8);
        break;
      case WireType.fixed32:
        this.skip(4);
        break;
      default:
        throw new ProtobufError(`field ${number} has unsupported wire type ${wireType}`);
    }
    return field;
  }

  skip(length: number): void {
    if (this.position + length > this.buffer.length) {
      throw new ProtobufError("a field runs past the end of the message");
    }
    this.position += length;
  }
}

const EMPTY = Buffer.alloc(0);

/** Every field of a message, in order. */
export function* fieldsOf(message: Buffer): Generator<Field> {
  const reader = new ProtoReader(message);
  while (!reader.done) yield reader.readField();
}
