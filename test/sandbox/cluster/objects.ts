/**
 * The shape of a real cluster's etcd, for benchmarks: hundreds of thousands of Kubernetes
 * objects of 1-20 KB under `/registry/<resource>/<namespace>/<name>`, each in the protobuf
 * envelope the API server writes. Per-key costs (the snapshot reader, compression ratio,
 * exec framing) only show with many small values; `largeObjects` in seed.ts makes the
 * other shape (a thousand values of ~512 KiB).
 *
 * Sizes follow what a lived-in cluster holds: half are small (events, leases, endpoint
 * slices: 1-2 KB), a third medium (pods, config maps, replica sets: 2-8 KB) and the rest
 * large (pods with many containers, CRDs with big specs: 8-20 KB); about 4.6 KB on average.
 * The bodies are text like a manifest's (labels, env, annotations) with random values, so
 * they compress about as well as real objects do, not like zeros or random bytes.
 */
import { randomBytes, randomUUID } from "node:crypto";

export interface RealisticObject {
  key: string;
  value: Buffer;
}

/** resource, kind, apiVersion, and its share of the keys (sums to 1). */
const RESOURCES: Array<[resource: string, kind: string, apiVersion: string, share: number]> = [
  ["pods", "Pod", "v1", 0.3],
  ["events", "Event", "v1", 0.2],
  ["replicasets", "ReplicaSet", "apps/v1", 0.1],
  ["configmaps", "ConfigMap", "v1", 0.1],
  ["secrets", "Secret", "v1", 0.08],
  ["endpointslices", "EndpointSlice", "discovery.k8s.io/v1", 0.07],
  ["services/specs", "Service", "v1", 0.05],
  ["leases", "Lease", "coordination.k8s.io/v1", 0.05],
  ["serviceaccounts", "ServiceAccount", "v1", 0.05],
];
const NAMESPACES = 200;
/** Text the bodies are cut from: bigger than zstd's window, so cuts do not repeat within it. */
const CORPUS_BYTES = 8 * 1024 * 1024;

/**
 * `count` objects, made on demand (a million values would not fit in memory at once).
 * Deterministic in layout (keys, sizes) for a given count; the contents are random.
 */
export function* realisticObjects(count: number, cluster: string): Generator<RealisticObject> {
  const corpus = makeCorpus();
  const draw = seededRandom(count);
  for (let index = 0; index < count; index++) {
    const [resource, kind, apiVersion] = pickResource(draw());
    const namespace = `ns-${String(index % NAMESPACES).padStart(3, "0")}`;
    const name = `${kind.toLowerCase()}-${index.toString(36).padStart(6, "0")}`;
    const size = objectSize(draw());
    const start = Math.floor(draw() * (CORPUS_BYTES - size));
    yield {
      key: `/registry/${resource}/${namespace}/${name}`,
      value: kubernetesProtobuf(
        apiVersion,
        kind,
        { name, namespace, cluster },
        corpus,
        start,
        size,
      ),
    };
  }
}

function pickResource(roll: number): (typeof RESOURCES)[number] {
  let cumulative = 0;
  for (const entry of RESOURCES) {
    cumulative += entry[3];
    if (roll < cumulative) return entry;
  }
  return RESOURCES[0]!;
}

/** A body size in bytes: 50% 1-2 KB, 35% 2-8 KB, 15% 8-20 KB. */
function objectSize(roll: number): number {
  if (roll < 0.5) return 1000 + Math.floor((roll / 0.5) * 1000);
  if (roll < 0.85) return 2000 + Math.floor(((roll - 0.5) / 0.35) * 6000);
  return 8000 + Math.floor(((roll - 0.85) / 0.15) * 12000);
}

/** Lines like a manifest's, each with a random value: compresses 3-5x, as real objects do. */
function makeCorpus(): Buffer {
  const words = ["app", "tier", "release", "team", "version", "zone", "owner", "track"];
  const fields = ["image", "env", "mountPath", "containerPort", "limits", "requests", "command"];
  const random = randomBytes(CORPUS_BYTES / 8);
  const lines: string[] = [];
  let length = 0;
  for (let at = 0; length < CORPUS_BYTES; at = (at + 6) % (random.length - 6)) {
    const word = words[random[at]! % words.length]!;
    const field = fields[random[at + 1]! % fields.length]!;
    const token = random.subarray(at + 2, at + 6).toString("hex");
    const line = `${field}: ${word}-${token}\n  app.kubernetes.io/${word}: "${token}"\n`;
    lines.push(line);
    length += line.length;
  }
  return Buffer.from(lines.join("")).subarray(0, CORPUS_BYTES);
}

/** A small fast PRNG (mulberry32): the layout is the same run after run. */
function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/**
 * `k8s\0` + runtime.Unknown{typeMeta, raw: object{metadata, field 2: body}}, the envelope
 * kube-apiserver writes, with the body a `size`-byte cut of the corpus.
 */
function kubernetesProtobuf(
  apiVersion: string,
  kind: string,
  meta: { name: string; namespace: string; cluster: string },
  corpus: Buffer,
  start: number,
  size: number,
): Buffer {
  const objectMeta = Buffer.concat([
    field(1, Buffer.from(meta.name)),
    field(3, Buffer.from(meta.namespace)),
    field(5, Buffer.from(randomUUID())),
    field(
      11,
      Buffer.concat([field(1, Buffer.from("cluster")), field(2, Buffer.from(meta.cluster))]),
    ),
  ]);
  const raw = Buffer.concat([field(1, objectMeta), field(2, corpus.subarray(start, start + size))]);
  const typeMeta = Buffer.concat([field(1, Buffer.from(apiVersion)), field(2, Buffer.from(kind))]);
  return Buffer.concat([K8S_MAGIC, field(1, typeMeta), field(2, raw)]);
}

const K8S_MAGIC = Buffer.from("k8s\0", "latin1");

/** A length-delimited protobuf field (wire type 2). */
function field(number: number, bytes: Buffer): Buffer {
  return Buffer.concat([varint((number << 3) | 2), varint(bytes.length), bytes]);
}

function varint(value: number): Buffer {
  const bytes: number[] = [];
  let rest = value;
  while (rest >= 0x80) {
    bytes.push((rest & 0x7f) | 0x80);
    rest >>>= 7;
  }
  bytes.push(rest);
  return Buffer.from(bytes);
}
