/**
 * Kubernetes-shaped etcd values for the tests, written the way kube-apiserver writes them:
 * the protobuf envelope (`k8s\0` + runtime.Unknown) around an object whose field 1 is
 * ObjectMeta; JSON for custom resources; `k8s:enc:...` prefixes for encryption at rest.
 * The encoder is a tiny protobuf writer, independent of the decoder under test.
 */

/** Appends protobuf fields to a growing buffer. */
export class ProtoWriter {
  private readonly chunks: Buffer[] = [];

  private varint(value: number | bigint): void {
    let remaining = BigInt.asUintN(64, BigInt(value));
    const bytes: number[] = [];
    do {
      let byte = Number(remaining & 0x7fn);
      remaining >>= 7n;
      if (remaining > 0n) byte |= 0x80;
      bytes.push(byte);
    } while (remaining > 0n);
    this.chunks.push(Buffer.from(bytes));
  }

  uint(field: number, value: number | bigint): this {
    this.varint(field * 8);
    this.varint(value);
    return this;
  }

  bytes(field: number, value: Buffer | string): this {
    const data = typeof value === "string" ? Buffer.from(value) : value;
    this.varint(field * 8 + 2);
    this.varint(data.length);
    this.chunks.push(data);
    return this;
  }

  message(field: number, build: (writer: ProtoWriter) => void): this {
    const inner = new ProtoWriter();
    build(inner);
    return this.bytes(field, inner.finish());
  }

  finish(): Buffer {
    return Buffer.concat(this.chunks);
  }
}

export interface TestObjectMeta {
  name: string;
  namespace?: string;
  uid: string;
  generation?: number;
  creationTimestamp: string;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
  ownerReferences?: Array<{
    apiVersion: string;
    kind: string;
    name: string;
    uid: string;
    controller?: boolean;
  }>;
  finalizers?: string[];
}

/** A protobuf-encoded object as kube-apiserver stores it (e.g. a ConfigMap or a Pod). */
export function protobufObject(options: {
  apiVersion: string;
  kind: string;
  metadata: TestObjectMeta;
  /** Fields after metadata (a ConfigMap's data=2, a Pod's spec=2 and status=3), raw. */
  body?: Array<{ field: number; bytes: Buffer }>;
}): Buffer {
  const object = new ProtoWriter().message(1, (meta) => writeObjectMeta(meta, options.metadata));
  for (const field of options.body ?? []) object.bytes(field.field, field.bytes);
  const unknown = new ProtoWriter()
    .message(1, (typeMeta) => typeMeta.bytes(1, options.apiVersion).bytes(2, options.kind))
    .bytes(2, object.finish())
    .bytes(4, "application/vnd.kubernetes.protobuf");
  return Buffer.concat([Buffer.from("k8s\0", "latin1"), unknown.finish()]);
}

function writeObjectMeta(writer: ProtoWriter, meta: TestObjectMeta): void {
  writer.bytes(1, meta.name);
  if (meta.namespace) writer.bytes(3, meta.namespace);
  writer.bytes(5, meta.uid);
  if (meta.generation) writer.uint(7, meta.generation);
  writer.message(8, (time) => time.uint(1, Date.parse(meta.creationTimestamp) / 1000));
  for (const [key, value] of Object.entries(meta.labels ?? {})) {
    writer.message(11, (entry) => entry.bytes(1, key).bytes(2, value));
  }
  for (const [key, value] of Object.entries(meta.annotations ?? {})) {
    writer.message(12, (entry) => entry.bytes(1, key).bytes(2, value));
  }
  for (const owner of meta.ownerReferences ?? []) {
    writer.message(13, (reference) => {
      reference
        .bytes(1, owner.kind)
        .bytes(3, owner.name)
        .bytes(4, owner.uid)
        .bytes(5, owner.apiVersion);
      if (owner.controller) reference.uint(6, 1);
    });
  }
  for (const finalizer of meta.finalizers ?? []) writer.bytes(14, finalizer);
}

/** A ConfigMap's data map as its protobuf field 2 entries. */
export function configMapData(
  data: Record<string, string>,
): Array<{ field: number; bytes: Buffer }> {
  return Object.entries(data).map(([key, value]) => ({
    field: 2,
    bytes: new ProtoWriter().bytes(1, key).bytes(2, value).finish(),
  }));
}

/** A value encrypted at rest: the provider's prefix, then bytes that must never be decoded. */
export function encryptedValue(prefix: string, ciphertextBytes = 64): Buffer {
  const ciphertext = Buffer.alloc(ciphertextBytes);
  for (let index = 0; index < ciphertextBytes; index++)
    ciphertext[index] = (index * 37 + 11) & 0xff;
  return Buffer.concat([Buffer.from(prefix, "latin1"), ciphertext]);
}
