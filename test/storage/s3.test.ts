/**
 * The S3-compatible backend against a real S3 server (s3rver) on 127.0.0.1.
 */
import { createServer } from "node:net";
import { Readable } from "node:stream";
import { ListObjectsV2Command, PutObjectCommand, S3Client } from "@aws-sdk/client-s3";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { X25519Identity } from "../../src/core/crypto/age.ts";
import { recordingLogger } from "../../src/core/log/logger.ts";
import {
  BackupIntegrityError,
  findBackup,
  readBackup,
  storeBackup,
  verifyStoredBackup,
} from "../../src/core/storage/pipeline.ts";
import { ConfigurationError } from "../../src/core/errors.ts";
import { parseS3Location } from "../../src/core/storage/layout.ts";
import { createS3Store, type S3StoreOptions } from "../../src/core/storage/s3.ts";
import type { BackupLocation, PutOptions } from "../../src/core/storage/types.ts";
import {
  generatedPayload,
  hashingDestination,
  payloadFailingAfter,
  sha256AndSizeOf,
  sha256Of,
} from "../support/s3-artifact-streams.ts";
import { S3RVER_CREDENTIALS, startS3Server, type S3TestServer } from "../support/s3-server.ts";
import { COMPRESSION_AND_ENCRYPTION, describeCase } from "./support/combinations.ts";

const BUCKET = "etcd-backups";

let server: S3TestServer;

beforeAll(async () => {
  server = await startS3Server({ buckets: [BUCKET] });
});

afterAll(async () => {
  await server?.stop();
});

function storeAt(url: string, overrides: Partial<S3StoreOptions> = {}) {
  return createS3Store({
    url,
    endpoint: server.endpoint,
    region: "us-east-1",
    forcePathStyle: true,
    credentials: S3RVER_CREDENTIALS,
    logger: recordingLogger(),
    ...overrides,
  });
}

function putOptions(overrides: Partial<PutOptions> = {}): PutOptions {
  return {
    cluster: "uc1",
    kind: "user-etcd",
    timestamp: "20261127T120000Z",
    payloadName: "snapshot.db.zst.age",
    ...overrides,
  };
}

/** A plain S3 client, as an operator with the AWS CLI would look at the bucket. */
function operatorClient(): S3Client {
  return new S3Client({
    endpoint: server.endpoint,
    region: "us-east-1",
    forcePathStyle: true,
    credentials: S3RVER_CREDENTIALS,
  });
}

/** Every object key in the bucket under a prefix, as `aws s3 ls --recursive` shows it. */
async function objectKeysUnder(prefix: string): Promise<string[]> {
  const client = operatorClient();
  const page = await client.send(new ListObjectsV2Command({ Bucket: BUCKET, Prefix: prefix }));
  client.destroy();
  return (page.Contents ?? []).map((object) => object.Key!).sort();
}

async function storeRawBackup(
  url: string,
  options: PutOptions,
  payload: Readable,
  manifest: object = { cluster: options.cluster, kind: options.kind },
): Promise<BackupLocation> {
  const store = storeAt(url);
  const { location } = await store.putPayload(options, payload);
  await store.putManifest(location, Buffer.from(JSON.stringify(manifest)));
  return location;
}

async function unusedLoopbackPort(): Promise<number> {
  const probe = createServer();
  await new Promise<void>((resolve) => probe.listen(0, "127.0.0.1", resolve));
  const port = (probe.address() as { port: number }).port;
  await new Promise((resolve) => probe.close(resolve));
  return port;
}

describe("S3 destination URLs", () => {
  it("splits s3://bucket/prefix into bucket and prefix", () => {
    expect(parseS3Location("s3://etcd-backups/site-a/prod/")).toEqual({
      bucket: "etcd-backups",
      prefix: "site-a/prod",
    });
    expect(parseS3Location("s3://etcd-backups")).toEqual({ bucket: "etcd-backups", prefix: "" });
  });

  it("rejects a destination that is not s3://bucket[/prefix] with a sentence naming it", () => {
    expect(() => parseS3Location("https://etcd-backups/x")).toThrow(
      'destination: "https://etcd-backups/x" is not a valid S3 location; expected s3://bucket[/prefix]',
    );
    expect(() => parseS3Location("s3://Bad_Bucket")).toThrow(
      /"s3:\/\/Bad_Bucket" is not a valid S3 location/,
    );
    expect(() => parseS3Location("s3://etcd-backups/a/../b")).toThrow(
      /has an S3 prefix with empty, "\." or "\.\." parts/,
    );
    expect(() => parseS3Location("s3://etcd-backups/a//b")).toThrow(ConfigurationError);
  });
});

describe("S3 backend round trips", () => {
  it.each([
    ["0 bytes", 0],
    ["1 byte", 1],
    ["6 MiB (two multipart parts)", 6 * 1024 * 1024 + 17],
  ])("stores and reads back %s byte-identical", async (_label, size) => {
    const url = `s3://${BUCKET}/roundtrip-${size}`;
    const store = storeAt(url, { partSizeBytes: 5 * 1024 * 1024 });
    const payload = generatedPayload(size);
    const { location, storedBytes } = await store.putPayload(putOptions(), payload);
    await store.putManifest(location, Buffer.from('{"cluster":"uc1"}'));

    expect(storedBytes).toBe(size);
    expect(location.uri).toBe(`s3://${BUCKET}/roundtrip-${size}/uc1/user-etcd/20261127T120000Z`);
    const readBack = await sha256AndSizeOf(await store.getPayload(location, "snapshot.db.zst.age"));
    expect(readBack).toEqual({ sha256: payload.sha256(), bytes: size });
    expect(await objectKeysUnder(`roundtrip-${size}/`)).toEqual([
      `roundtrip-${size}/uc1/user-etcd/20261127T120000Z/manifest.json`,
      `roundtrip-${size}/uc1/user-etcd/20261127T120000Z/snapshot.db.zst.age`,
    ]);
  });
});

describe("S3 backend round trips through the storage pipeline", () => {
  for (const [compression, encrypted] of COMPRESSION_AND_ENCRYPTION) {
    for (const size of [0, 1]) {
      it(`stores ${size === 1 ? "1 byte" : `${size} bytes`} ${describeCase(compression, encrypted)} and restores the data byte-identical`, async () => {
        const logger = recordingLogger();
        const { identity } = X25519Identity.generate();
        const store = storeAt(`s3://${BUCKET}/pipeline-${compression}-${encrypted}-${size}`);
        const source = generatedPayload(size);
        const stored = await storeBackup(store, {
          cluster: "uc1",
          kind: "user-etcd",
          source,
          compression,
          ...(encrypted ? { recipients: [identity.recipient] } : { allowUnencrypted: true }),
          logger,
        });
        const restored = hashingDestination();
        await readBackup(store, await findBackup(store, stored.location), restored.destination, {
          identities: [identity],
          logger,
        });

        expect(restored.received()).toEqual({ sha256: source.sha256(), bytes: size });
        expect(stored.manifest.payload.compression).toBe(compression);
        expect(stored.manifest.payload.encryption.method).toBe(encrypted ? "age" : "none");
        expect(await objectKeysUnder(`pipeline-${compression}-${encrypted}-${size}/`)).toEqual([
          `pipeline-${compression}-${encrypted}-${size}/uc1/user-etcd/${stored.location.timestamp}/manifest.json`,
          `pipeline-${compression}-${encrypted}-${size}/uc1/user-etcd/${stored.location.timestamp}/${stored.manifest.payload.name}`,
        ]);
      });
    }
  }
});

describe("S3 backend listing", () => {
  const url = `s3://${BUCKET}/listing`;

  beforeAll(async () => {
    const backups: Array<[string, PutOptions["kind"], string]> = [
      ["uc1", "user-etcd", "20261101T010000Z"],
      ["uc1", "user-etcd", "20261103T010000Z"],
      ["uc1", "user-etcd", "20261102T010000Z"],
      ["uc2", "user-etcd", "20261104T010000Z"],
      ["admin", "admin-pki", "20261105T010000Z"],
    ];
    for (const [cluster, kind, timestamp] of backups) {
      await storeRawBackup(url, putOptions({ cluster, kind, timestamp }), Readable.from(["x"]), {
        cluster,
        kind,
        timestamp,
      });
    }
    // A payload whose manifest was never written: an interrupted backup.
    await storeAt(url).putPayload(
      putOptions({ timestamp: "20261106T010000Z" }),
      Readable.from(["half"]),
    );
  });

  it("lists complete backups newest first, with their manifests", async () => {
    const backups = await storeAt(url).list();
    expect(backups.map((backup) => backup.location.timestamp)).toEqual([
      "20261105T010000Z",
      "20261104T010000Z",
      "20261103T010000Z",
      "20261102T010000Z",
      "20261101T010000Z",
    ]);
    expect(JSON.parse(backups[0]!.manifest.toString())).toEqual({
      cluster: "admin",
      kind: "admin-pki",
      timestamp: "20261105T010000Z",
    });
  });

  it("never lists a backup whose manifest is missing", async () => {
    const backups = await storeAt(url).list({ cluster: "uc1" });
    expect(backups.map((backup) => backup.location.timestamp)).not.toContain("20261106T010000Z");
    expect(await objectKeysUnder("listing/uc1/user-etcd/20261106T010000Z/")).toEqual([
      "listing/uc1/user-etcd/20261106T010000Z/snapshot.db.zst.age",
    ]);
  });

  it("lists one cluster and kind only when asked", async () => {
    const uc1 = await storeAt(url).list({ cluster: "uc1", kind: "user-etcd" });
    expect(uc1.map((backup) => `${backup.location.cluster}/${backup.location.timestamp}`)).toEqual([
      "uc1/20261103T010000Z",
      "uc1/20261102T010000Z",
      "uc1/20261101T010000Z",
    ]);
    const pki = await storeAt(url).list({ kind: "admin-pki" });
    expect(pki.map((backup) => backup.location.cluster)).toEqual(["admin"]);
  });

  it("reads nothing from a prefix that holds no backups", async () => {
    expect(await storeAt(`s3://${BUCKET}/nothing-here`).list()).toEqual([]);
  });
});

describe("S3 backend delete", () => {
  it("removes the payload and the manifest of one backup and leaves the others", async () => {
    const url = `s3://${BUCKET}/deleting`;
    const older = await storeRawBackup(
      url,
      putOptions({ timestamp: "20261001T000000Z" }),
      Readable.from(["a"]),
    );
    await storeRawBackup(url, putOptions({ timestamp: "20261002T000000Z" }), Readable.from(["b"]));

    await storeAt(url).delete(older);

    expect(await objectKeysUnder("deleting/uc1/user-etcd/20261001T000000Z/")).toEqual([]);
    const left = await storeAt(url).list();
    expect(left.map((backup) => backup.location.timestamp)).toEqual(["20261002T000000Z"]);
  });

  it("cleans up an incomplete backup that has a payload but no manifest", async () => {
    const url = `s3://${BUCKET}/deleting-incomplete`;
    const store = storeAt(url);
    const { location } = await store.putPayload(putOptions(), Readable.from(["partial"]));
    await store.delete(location);
    expect(await objectKeysUnder("deleting-incomplete/")).toEqual([]);
  });
});

describe("S3 backend failures", () => {
  it("a source stream that breaks mid-upload fails the put and leaves nothing listed", async () => {
    const url = `s3://${BUCKET}/broken-source`;
    const store = storeAt(url, { partSizeBytes: 5 * 1024 * 1024 });
    await expect(
      store.putPayload(putOptions(), payloadFailingAfter(12 * 1024 * 1024)),
    ).rejects.toThrow(
      /upload of the payload to s3:\/\/etcd-backups\/broken-source\/uc1\/user-etcd\/20261127T120000Z\/snapshot\.db\.zst\.age .*failed: source broke off mid-stream/,
    );
    expect(await store.list()).toEqual([]);
    expect(await objectKeysUnder("broken-source/")).toEqual([]);
  });

  it("a server that dies mid-upload fails the put, names the endpoint, and nothing is listed after it returns", async () => {
    const outage = await startS3Server({ buckets: [BUCKET] });
    try {
      const store = createS3Store({
        url: `s3://${BUCKET}/outage`,
        endpoint: outage.endpoint,
        forcePathStyle: true,
        credentials: S3RVER_CREDENTIALS,
        partSizeBytes: 5 * 1024 * 1024,
        queueSize: 1,
        logger: recordingLogger(),
      });
      const payload = generatedPayload(256 * 1024 * 1024);
      let sent = 0;
      payload.on("data", (chunk: Buffer) => {
        sent += chunk.length;
        // Kill the server once a few parts are through, as a crashed service would.
        if (sent === 16 * 1024 * 1024) void outage.kill();
      });
      const failed = await store.putPayload(putOptions(), payload).then(
        () => undefined,
        (error: Error) => error,
      );
      expect(failed?.message).toContain(outage.endpoint);
      expect(failed?.message).toContain(`bucket "${BUCKET}"`);
      expect(failed?.message).toMatch(
        /Cannot reach the S3 endpoint .* \((ECONNREFUSED|ECONNRESET|EPIPE)\)/,
      );

      const restarted = await startS3Server({ buckets: [BUCKET], dataDir: outage.dataDir });
      try {
        const afterOutage = createS3Store({
          url: `s3://${BUCKET}/outage`,
          endpoint: restarted.endpoint,
          credentials: S3RVER_CREDENTIALS,
          logger: recordingLogger(),
        });
        expect(await afterOutage.list()).toEqual([]);
      } finally {
        await restarted.stop();
      }
    } finally {
      await outage.stop();
    }
  });

  it("a missing bucket is named with the endpoint", async () => {
    const store = storeAt("s3://no-such-bucket/x");
    await expect(store.list()).rejects.toThrow(
      `S3 bucket "no-such-bucket" does not exist at ${server.endpoint}: create it, or correct the destination s3://no-such-bucket/x.`,
    );
    await expect(store.putPayload(putOptions(), Readable.from(["x"]))).rejects.toThrow(
      /S3 bucket "no-such-bucket" does not exist/,
    );
  });

  it("bad credentials are reported as such, naming endpoint and bucket", async () => {
    const store = storeAt(`s3://${BUCKET}/x`, {
      credentials: { accessKeyId: "WRONG", secretAccessKey: "WRONG" },
    });
    await expect(store.list()).rejects.toThrow(
      `${server.endpoint} refused the credentials for bucket "${BUCKET}" during the listing s3://${BUCKET}/x/ (InvalidAccessKeyId): check the access key and secret`,
    );
  });

  it("takes credentials from the usual AWS environment variables", async () => {
    const saved = { ...process.env };
    process.env.AWS_ACCESS_KEY_ID = S3RVER_CREDENTIALS.accessKeyId;
    process.env.AWS_SECRET_ACCESS_KEY = S3RVER_CREDENTIALS.secretAccessKey;
    process.env.AWS_REGION = "eu-west-1";
    try {
      const url = `s3://${BUCKET}/from-env`;
      const fromEnvironment = { credentials: undefined, region: undefined };
      const location = await storeRawBackup(url, putOptions(), Readable.from(["e"]));
      const backups = await storeAt(url, fromEnvironment).list();
      expect(backups.map((backup) => backup.location.uri)).toEqual([location.uri]);
      // s3rver checks the access key id but not SigV4 signatures, so a wrong key id is
      // what proves the environment is really read.
      process.env.AWS_ACCESS_KEY_ID = "NOT-A-KEY";
      await expect(storeAt(url, fromEnvironment).list()).rejects.toThrow(
        /refused the credentials for bucket "etcd-backups" .*\(InvalidAccessKeyId\)/,
      );
    } finally {
      process.env = saved;
    }
  });

  it("no credentials anywhere is reported as missing, not as refused", async () => {
    const saved = { ...process.env };
    for (const name of Object.keys(process.env))
      if (name.startsWith("AWS_")) delete process.env[name];
    // No profile files and no instance metadata service to fall back on.
    process.env.AWS_SHARED_CREDENTIALS_FILE = "/nonexistent/credentials";
    process.env.AWS_CONFIG_FILE = "/nonexistent/config";
    process.env.AWS_EC2_METADATA_DISABLED = "true";
    try {
      const store = storeAt(`s3://${BUCKET}/x`, { credentials: undefined });
      await expect(store.list()).rejects.toThrow(
        `No S3 credentials were found for bucket "${BUCKET}" at ${server.endpoint} during the listing s3://${BUCKET}/x/: set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY`,
      );
    } finally {
      process.env = saved;
    }
  });

  it("an unreachable endpoint is named with the bucket", async () => {
    const port = await unusedLoopbackPort();
    const store = storeAt(`s3://${BUCKET}/x`, { endpoint: `http://127.0.0.1:${port}` });
    await expect(store.list()).rejects.toThrow(
      `Cannot reach the S3 endpoint http://127.0.0.1:${port} for bucket "${BUCKET}" during the listing s3://${BUCKET}/x/ (ECONNREFUSED): check the endpoint address`,
    );
  });

  it("reading a payload that is not there says which one", async () => {
    const store = storeAt(`s3://${BUCKET}/absent`);
    const location: BackupLocation = {
      cluster: "uc1",
      kind: "user-etcd",
      timestamp: "20260101T000000Z",
      uri: "",
    };
    await expect(store.getPayload(location, "snapshot.db")).rejects.toThrow(
      `Backup payload s3://${BUCKET}/absent/uc1/user-etcd/20260101T000000Z/snapshot.db does not exist at ${server.endpoint}`,
    );
  });

  it("rejects bad backup facts before anything is uploaded", async () => {
    const store = storeAt(`s3://${BUCKET}/facts`);
    await expect(
      store.putPayload(putOptions({ timestamp: "2026-11-27 12:00" }), Readable.from(["x"])),
    ).rejects.toThrow(
      'The backup timestamp "2026-11-27 12:00" is not valid; expected UTC time as YYYYMMDDTHHMMSSZ',
    );
    await expect(
      store.putPayload(putOptions({ cluster: "UC 1" }), Readable.from(["x"])),
    ).rejects.toThrow('The cluster name "UC 1" is not valid');
    await expect(
      store.putPayload(putOptions({ payloadName: "manifest.json" }), Readable.from(["x"])),
    ).rejects.toThrow('The payload name "manifest.json" is not valid');
    expect(await objectKeysUnder("facts/")).toEqual([]);
  });
});

describe("S3 backend under the storage pipeline", () => {
  it.each([
    ["0 bytes", 0],
    ["1 byte", 1],
    ["24 MiB", 24 * 1024 * 1024 + 5],
  ])(
    "stores %s zstd-compressed and age-encrypted, then verifies and restores it byte-identical",
    async (_label, size) => {
      const logger = recordingLogger();
      const { identity } = X25519Identity.generate();
      const store = storeAt(`s3://${BUCKET}/pipeline-${size}`);
      const source = generatedPayload(size);
      const stored = await storeBackup(store, {
        cluster: "uc1",
        kind: "user-etcd",
        source,
        compression: "zstd",
        recipients: [identity.recipient],
        logger,
      });

      expect(stored.manifest.payload.name).toBe("snapshot.db.zst.age");
      const listed = await findBackup(store, stored.location);
      await verifyStoredBackup(store, listed);
      const restored = hashingDestination();
      await readBackup(store, listed, restored.destination, { identities: [identity], logger });
      expect(restored.received()).toEqual({ sha256: source.sha256(), bytes: size });
      // What sits in the bucket is an age file, not the snapshot.
      const storedHead = await sha256AndSizeOf(
        await store.getPayload(listed.location, "snapshot.db.zst.age"),
      );
      expect(storedHead).toEqual(stored.manifest.payload.stored);
      const keys = await objectKeysUnder(`pipeline-${size}/`);
      expect(keys.map((key) => key.split("/").pop())).toEqual([
        "manifest.json",
        "snapshot.db.zst.age",
      ]);
    },
  );

  it("refuses to restore a payload that was replaced in the bucket", async () => {
    const logger = recordingLogger();
    const { identity } = X25519Identity.generate();
    const store = storeAt(`s3://${BUCKET}/pipeline-tampered`);
    const stored = await storeBackup(store, {
      cluster: "uc1",
      kind: "user-etcd",
      source: generatedPayload(2 * 1024 * 1024),
      recipients: [identity.recipient],
      logger,
    });
    const client = operatorClient();
    await client.send(
      new PutObjectCommand({
        Bucket: BUCKET,
        Key: `pipeline-tampered/uc1/user-etcd/${stored.location.timestamp}/${stored.manifest.payload.name}`,
        Body: Buffer.alloc(1000, 1),
      }),
    );
    client.destroy();
    const listed = await findBackup(store, stored.location);
    await expect(verifyStoredBackup(store, listed)).rejects.toThrow(BackupIntegrityError);
    const restored = hashingDestination();
    await expect(
      readBackup(store, listed, restored.destination, { identities: [identity], logger }),
    ).rejects.toThrow(/s3:\/\/etcd-backups\/pipeline-tampered\/uc1\/user-etcd\/\d{8}T\d{6}Z/);
  });

  it("a backup whose source breaks is not listed and leaves no objects", async () => {
    const store = storeAt(`s3://${BUCKET}/pipeline-broken`, { partSizeBytes: 5 * 1024 * 1024 });
    await expect(
      storeBackup(store, {
        cluster: "uc1",
        kind: "user-etcd",
        source: payloadFailingAfter(12 * 1024 * 1024),
        allowUnencrypted: true,
        compression: "none",
        logger: recordingLogger(),
      }),
    ).rejects.toThrow(/No backup was listed for it/);
    expect(await store.list()).toEqual([]);
    expect(await objectKeysUnder("pipeline-broken/")).toEqual([]);
  });
});

// Keeps the helper honest: the generated payload's digest is the digest of its bytes.
it("generated payloads report the sha256 of exactly the bytes they produced", async () => {
  const payload = generatedPayload(3 * 1024 * 1024 + 5);
  const chunks: Buffer[] = [];
  for await (const chunk of payload) chunks.push(chunk as Buffer);
  expect(payload.sha256()).toBe(sha256Of(Buffer.concat(chunks)));
});
