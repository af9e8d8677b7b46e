/**
 * Realistic content for the sandbox's etcd stores, so backups have something true to
 * carry: Kubernetes-shaped keys (`/registry/<resource>/<namespace>/<name>`), values in the
 * protobuf envelope the API server writes (`k8s\0` + runtime.Unknown) and JSON for custom
 * resources, objects updated and deleted (so the history has revisions and tombstones) and
 * events attached to a lease, as the API server does. Written over etcd's gRPC API with
 * mutual TLS, many requests in flight: far faster than one `etcdctl` process per key.
 */
import { randomBytes, randomUUID } from "node:crypto";
import { connect, type ClientHttp2Session } from "node:http2";
import { realisticObjects } from "./objects.ts";

export interface EtcdClientEndpoint {
  /** e.g. https://10.213.7.11:2379 */
  url: string;
  /** The name the server certificate is checked against (e.g. kube-etcd-0.kube-etcd). */
  servername: string;
  /** TLS material; all three absent for a plain `http://` etcd (the tests' own). */
  caCert?: string;
  cert?: string;
  key?: string;
}

export interface SeedOptions {
  /** The cluster the content pretends to belong to: namespaces and names mention it. */
  cluster: string;
  /** Grow the store to about this many MB with large ConfigMaps (benchmarks). */
  dataMb?: number;
  /** Add this many Kubernetes-like objects of 1-20 KB (objects.ts; benchmarks). */
  objects?: number;
}

export interface SeedSummary {
  /** Keys present after seeding. */
  keys: number;
  deleted: number;
  leased: number;
  bytes: number;
  /** Seconds it took to write the `objects` (benchmarks report it). */
  objectSeconds?: number;
}

const CONCURRENCY = 16;
const LARGE_VALUE_BYTES = 512 * 1024;
/** Large values are disk-bound in etcd: a few in flight is as fast as many. */
const LARGE_VALUE_CONCURRENCY = 4;
const APP_NAMESPACES = ["default", "kube-system", "monitoring", "payments", "storefront"];

/** Fills one etcd with Kubernetes-shaped content; resolves once every write is confirmed. */
export async function seedEtcd(
  endpoint: EtcdClientEndpoint,
  options: SeedOptions,
): Promise<SeedSummary> {
  const client = new EtcdGrpc(endpoint);
  try {
    const summary: SeedSummary = { keys: 0, deleted: 0, leased: 0, bytes: 0 };
    const objects = clusterObjects(options.cluster);
    await inParallel(objects, async ({ key, value }) => {
      await client.put(key, value);
      summary.keys++;
      summary.bytes += value.length;
    });
    // Updates and deletions, so the history holds older revisions and tombstones.
    await inParallel(objects.filter(isUpdatable).slice(0, 40), async ({ key, value }) => {
      // Another (empty) contentEncoding field: a changed value that is still the API server's protobuf.
      await client.put(key, Buffer.concat([value, stringField(4, "")]));
    });
    const doomed = objects.filter((object) => object.key.startsWith("/registry/pods/")).slice(-10);
    await inParallel(doomed, async ({ key }) => {
      await client.deleteKey(key);
      summary.keys--;
      summary.deleted++;
    });
    const lease = await client.grantLease(3600);
    const events = eventObjects(options.cluster);
    await inParallel(events, async ({ key, value }) => {
      await client.put(key, value, lease);
      summary.keys++;
      summary.leased++;
      summary.bytes += value.length;
    });
    if (options.dataMb) {
      const large = largeObjects(options.dataMb);
      await inParallel(
        large,
        async ({ key, value }) => {
          await client.put(key, value);
          summary.keys++;
          summary.bytes += value.length;
        },
        LARGE_VALUE_CONCURRENCY,
      );
    }
    if (options.objects) {
      const started = performance.now();
      const written = await putRealisticObjects(client, options.objects, options.cluster);
      summary.keys += written.keys;
      summary.bytes += written.bytes;
      summary.objectSeconds = (performance.now() - started) / 1000;
    }
    return summary;
  } finally {
    client.close();
  }
}

interface Entry {
  key: string;
  value: Buffer;
}

/** etcd's default --max-txn-ops. */
const PUTS_PER_TXN = 128;
/** Below etcd's default --max-request-bytes (1.5 MiB), with room for the framing. */
const TXN_BYTES = 1024 * 1024;
/** Each txn is one raft entry and one fsync: a few in flight keep etcd's disk busy. */
const TXN_CONCURRENCY = 4;

/**
 * Writes `count` Kubernetes-like objects (objects.ts) into the etcd at `endpoint`, in
 * transactions of up to 128 puts: hundreds of thousands of keys in tens of seconds, where
 * a put per request would take minutes. For benchmarks that need the many-small-objects
 * shape without a whole sandbox.
 */
export async function seedRealisticObjects(
  endpoint: EtcdClientEndpoint,
  count: number,
  cluster: string,
): Promise<{ keys: number; bytes: number }> {
  const client = new EtcdGrpc(endpoint);
  try {
    return await putRealisticObjects(client, count, cluster);
  } finally {
    client.close();
  }
}

async function putRealisticObjects(
  client: EtcdGrpc,
  count: number,
  cluster: string,
): Promise<{ keys: number; bytes: number }> {
  const objects = realisticObjects(count, cluster);
  const written = { keys: 0, bytes: 0 };
  // The workers share one generator: each takes the next batch when its txn is confirmed.
  const nextBatch = (): Entry[] => {
    const batch: Entry[] = [];
    let bytes = 0;
    while (batch.length < PUTS_PER_TXN && bytes < TXN_BYTES - 32 * 1024) {
      const next = objects.next();
      if (next.done) break;
      batch.push(next.value);
      bytes += next.value.key.length + next.value.value.length;
    }
    return batch;
  };
  const worker = async () => {
    for (let batch = nextBatch(); batch.length > 0; batch = nextBatch()) {
      await client.putAll(batch);
      written.keys += batch.length;
      for (const entry of batch) written.bytes += entry.value.length;
    }
  };
  await Promise.all(Array.from({ length: TXN_CONCURRENCY }, worker));
  return written;
}

const isUpdatable = (entry: Entry) =>
  entry.key.startsWith("/registry/configmaps/") || entry.key.startsWith("/registry/leases/");

/** The objects a small but lived-in cluster has. */
function clusterObjects(cluster: string): Entry[] {
  const entries: Entry[] = [];
  const add = (
    resource: string,
    kind: string,
    apiVersion: string,
    namespace: string | undefined,
    name: string,
    extra?: Buffer,
  ) =>
    entries.push({
      key: `/registry/${resource}/${namespace ? `${namespace}/` : ""}${name}`,
      value: protobufObject(
        apiVersion,
        kind,
        { name, namespace, labels: { app: name.split("-")[0] ?? name, cluster } },
        extra,
      ),
    });
  for (const namespace of [...APP_NAMESPACES, "kube-public", "kube-node-lease"]) {
    add("namespaces", "Namespace", "v1", undefined, namespace);
  }
  for (let node = 0; node < 3; node++) {
    add("minions", "Node", "v1", undefined, `${cluster}-worker-${node}`);
    add(
      "leases",
      "Lease",
      "coordination.k8s.io/v1",
      "kube-node-lease",
      `${cluster}-worker-${node}`,
    );
  }
  for (const namespace of APP_NAMESPACES) {
    for (let app = 0; app < 4; app++) {
      const name = `app${app}`;
      add("deployments", "Deployment", "apps/v1", namespace, name);
      add("services/specs", "Service", "v1", namespace, name);
      add(
        "configmaps",
        "ConfigMap",
        "v1",
        namespace,
        `${name}-config`,
        stringMap(2, { "settings.yaml": `replicas: ${app + 1}\nnamespace: ${namespace}\n` }),
      );
      add(
        "secrets",
        "Secret",
        "v1",
        namespace,
        `${name}-token`,
        bytesMap(2, { token: randomBytes(32) }),
      );
      for (let replica = 0; replica < 3; replica++) {
        add("pods", "Pod", "v1", namespace, `${name}-7d9f8c6b5-${suffix(replica)}`);
      }
    }
    add("serviceaccounts", "ServiceAccount", "v1", namespace, "default");
  }
  for (let index = 0; index < 6; index++) {
    entries.push({
      key: `/registry/monitoring.coreos.com/servicemonitors/monitoring/${cluster}-monitor-${index}`,
      value: Buffer.from(JSON.stringify(customResource(cluster, index))),
    });
  }
  return entries;
}

function eventObjects(cluster: string): Entry[] {
  return Array.from({ length: 20 }, (_, index) => {
    const name = `app${index % 4}-7d9f8c6b5-${suffix(index % 3)}.${(0x17a0000000 + index).toString(16)}`;
    return {
      key: `/registry/events/default/${name}`,
      value: protobufObject("v1", "Event", { name, namespace: "default", labels: { cluster } }),
    };
  });
}

/** ConfigMaps of about 512 KiB each until the total reaches dataMb. */
function largeObjects(dataMb: number): Entry[] {
  const count = Math.ceil((dataMb * 1024 * 1024) / LARGE_VALUE_BYTES);
  return Array.from({ length: count }, (_, index) => {
    const name = `bulk-${String(index).padStart(5, "0")}`;
    // Base64 of random bytes: about as compressible as real configuration blobs are not.
    const payload = randomBytes((LARGE_VALUE_BYTES * 3) / 4).toString("base64");
    return {
      key: `/registry/configmaps/bulk-data/${name}`,
      value: protobufObject(
        "v1",
        "ConfigMap",
        { name, namespace: "bulk-data" },
        stringMap(2, { payload }),
      ),
    };
  });
}

function customResource(cluster: string, index: number): Record<string, unknown> {
  return {
    apiVersion: "monitoring.coreos.com/v1",
    kind: "ServiceMonitor",
    metadata: {
      name: `${cluster}-monitor-${index}`,
      namespace: "monitoring",
      uid: randomUUID(),
      creationTimestamp: new Date().toISOString().replace(/\.\d+Z$/, "Z"),
      generation: 1,
    },
    spec: {
      endpoints: [{ port: "metrics", interval: "30s" }],
      selector: { matchLabels: { app: `app${index % 4}` } },
    },
  };
}

function suffix(index: number): string {
  return ["x2kq9", "b7m4d", "z5wtl"][index % 3] as string;
}

// --- the protobuf envelope, written by hand: a few field types are all it takes ---

interface MetaFields {
  name: string;
  namespace?: string | undefined;
  labels?: Record<string, string>;
}

/** `k8s\0` + runtime.Unknown{typeMeta{apiVersion, kind}, raw: object{metadata, ...extra}}. */
export function protobufObject(
  apiVersion: string,
  kind: string,
  meta: MetaFields,
  extra?: Buffer,
): Buffer {
  const typeMeta = Buffer.concat([stringField(1, apiVersion), stringField(2, kind)]);
  const raw = Buffer.concat([bytesField(1, objectMeta(meta)), extra ?? Buffer.alloc(0)]);
  const unknown = Buffer.concat([
    bytesField(1, typeMeta),
    bytesField(2, raw),
    stringField(3, ""),
    stringField(4, ""),
  ]);
  return Buffer.concat([Buffer.from("k8s\0", "binary"), unknown]);
}

function objectMeta(meta: MetaFields): Buffer {
  const seconds = Math.floor(Date.now() / 1000);
  const parts = [stringField(1, meta.name)];
  if (meta.namespace) parts.push(stringField(3, meta.namespace));
  parts.push(stringField(5, randomUUID()));
  parts.push(bytesField(8, Buffer.concat([tag(1, 0), varint(seconds), tag(2, 0), varint(0)])));
  for (const [key, value] of Object.entries(meta.labels ?? {})) {
    parts.push(bytesField(11, Buffer.concat([stringField(1, key), stringField(2, value)])));
  }
  return Buffer.concat(parts);
}

/** A map<string,string> field (ConfigMap.data is field 2). */
function stringMap(field: number, map: Record<string, string>): Buffer {
  return Buffer.concat(
    Object.entries(map).map(([key, value]) =>
      bytesField(field, Buffer.concat([stringField(1, key), stringField(2, value)])),
    ),
  );
}

/** A map<string,bytes> field (Secret.data is field 2). */
function bytesMap(field: number, map: Record<string, Buffer>): Buffer {
  return Buffer.concat(
    Object.entries(map).map(([key, value]) =>
      bytesField(field, Buffer.concat([stringField(1, key), bytesField(2, value)])),
    ),
  );
}

function tag(field: number, wireType: number): Buffer {
  return varint((field << 3) | wireType);
}

function varint(value: number): Buffer {
  const bytes: number[] = [];
  let rest = value;
  while (rest >= 0x80) {
    bytes.push((rest % 0x80) | 0x80);
    rest = Math.floor(rest / 0x80);
  }
  bytes.push(rest);
  return Buffer.from(bytes);
}

function bytesField(field: number, bytes: Buffer): Buffer {
  return Buffer.concat([tag(field, 2), varint(bytes.length), bytes]);
}

function stringField(field: number, text: string): Buffer {
  return bytesField(field, Buffer.from(text, "utf8"));
}

// --- etcd's gRPC API, spoken over Node's own HTTP/2 (a gRPC call is one HTTP/2 stream) ---

/**
 * A minimal etcd v3 client: Put, DeleteRange and LeaseGrant over one HTTP/2 session with
 * mutual TLS. Measured here against etcd's JSON grpc-gateway, it is 5 to 10 times faster
 * (the gateway re-encodes every request), which keeps sandbox start-up short.
 */
class EtcdGrpc {
  private readonly session: ClientHttp2Session;

  constructor(private readonly endpoint: EtcdClientEndpoint) {
    // An http:// URL speaks gRPC over cleartext HTTP/2 (prior knowledge), as etcdctl does.
    this.session = endpoint.url.startsWith("http:")
      ? connect(endpoint.url)
      : connect(endpoint.url, {
          ...(endpoint.caCert ? { ca: endpoint.caCert } : {}),
          ...(endpoint.cert ? { cert: endpoint.cert } : {}),
          ...(endpoint.key ? { key: endpoint.key } : {}),
          servername: endpoint.servername,
        });
    this.session.on("error", () => {}); // each call reports its own failure
  }

  async put(key: string, value: Buffer, lease?: bigint): Promise<void> {
    const fields = [bytesField(1, Buffer.from(key)), bytesField(2, value)];
    if (lease !== undefined) fields.push(Buffer.concat([tag(3, 0), bigVarint(lease)]));
    await this.call("/etcdserverpb.KV/Put", Buffer.concat(fields));
  }

  /** Puts every entry in one transaction (TxnRequest.success: RequestOp.request_put). */
  async putAll(entries: Entry[]): Promise<void> {
    const operations = entries.map(({ key, value }) =>
      bytesField(
        2,
        bytesField(2, Buffer.concat([bytesField(1, Buffer.from(key)), bytesField(2, value)])),
      ),
    );
    await this.call("/etcdserverpb.KV/Txn", Buffer.concat(operations));
  }

  async deleteKey(key: string): Promise<void> {
    await this.call("/etcdserverpb.KV/DeleteRange", bytesField(1, Buffer.from(key)));
  }

  async grantLease(ttlSeconds: number): Promise<bigint> {
    const reply = await this.call(
      "/etcdserverpb.Lease/LeaseGrant",
      Buffer.concat([tag(1, 0), varint(ttlSeconds)]),
    );
    const id = varintField(reply, 2);
    if (!id) throw new Error(`etcd at ${this.endpoint.url} granted no lease`);
    return id;
  }

  close(): void {
    this.session.close();
  }

  private call(path: string, message: Buffer): Promise<Buffer> {
    const prefix = Buffer.alloc(5);
    prefix.writeUInt32BE(message.length, 1);
    return new Promise((resolve, reject) => {
      const fail = (why: string) =>
        reject(new Error(`etcd at ${this.endpoint.url} refused ${path}: ${why}`));
      const stream = this.session.request({
        ":method": "POST",
        ":path": path,
        "content-type": "application/grpc",
        te: "trailers",
      });
      const chunks: Buffer[] = [];
      let status: string | undefined;
      let statusMessage = "";
      const readStatus = (headers: Record<string, unknown>) => {
        if (headers["grpc-status"] !== undefined) status = String(headers["grpc-status"]);
        if (headers["grpc-message"])
          statusMessage = decodeURIComponent(String(headers["grpc-message"]));
      };
      stream.on("response", readStatus);
      stream.on("trailers", readStatus);
      stream.on("data", (chunk: Buffer) => chunks.push(chunk));
      stream.on("error", (error) => fail(error.message));
      stream.on("end", () => {
        if (status !== "0") {
          fail(`gRPC status ${status ?? "missing"}${statusMessage ? ` (${statusMessage})` : ""}`);
          return;
        }
        resolve(Buffer.concat(chunks).subarray(5));
      });
      stream.end(Buffer.concat([prefix, message]));
    });
  }
}

function bigVarint(value: bigint): Buffer {
  const bytes: number[] = [];
  let rest = BigInt.asUintN(64, value);
  while (rest >= 0x80n) {
    bytes.push(Number(rest & 0x7fn) | 0x80);
    rest >>= 7n;
  }
  bytes.push(Number(rest));
  return Buffer.from(bytes);
}

/** The value of a top-level varint field of a protobuf message (undefined if absent). */
function varintField(message: Buffer, wanted: number): bigint | undefined {
  let offset = 0;
  const readVarint = (): bigint => {
    let result = 0n;
    let shift = 0n;
    for (;;) {
      const byte = message[offset++];
      if (byte === undefined) throw new Error("truncated protobuf message");
      result |= BigInt(byte & 0x7f) << shift;
      if (byte < 0x80) return result;
      shift += 7n;
    }
  };
  while (offset < message.length) {
    const key = Number(readVarint());
    const field = key >> 3;
    const wireType = key & 7;
    if (wireType === 0) {
      const value = readVarint();
      if (field === wanted) return value;
    } else if (wireType === 2) {
      const length = Number(readVarint()); // read first: `offset +=` would use the old offset
      offset += length;
    } else if (wireType === 1) {
      offset += 8;
    } else if (wireType === 5) {
      offset += 4;
    } else {
      throw new Error(`unexpected protobuf wire type ${wireType}`);
    }
  }
  return undefined;
}

/** Runs work over items with a bounded number in flight; the first failure fails the lot. */
async function inParallel<T>(
  items: T[],
  work: (item: T) => Promise<void>,
  limit = CONCURRENCY,
): Promise<void> {
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const item = items[next++] as T;
      await work(item);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
}
