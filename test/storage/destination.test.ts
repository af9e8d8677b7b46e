import { Readable } from "node:stream";
import { describe, expect, it } from "vitest";
import { X25519Identity } from "../../src/core/crypto/age.ts";
import { recordingLogger } from "../../src/core/log/logger.ts";
import { localRunContext } from "../../src/core/run-context.ts";
import { openStore, parseBackupUri, parseDestination } from "../../src/core/storage/destination.ts";
import { findBackup, readBackup, storeBackup } from "../../src/core/storage/pipeline.ts";
import { hashingSink } from "./support/data.ts";
import { temporaryFolders } from "./support/folders.ts";

const newFolder = temporaryFolders("destination-test");

describe("destinations", () => {
  it("reads the three kinds of destination", () => {
    expect(parseDestination("file:///var/backups/etcd/")).toEqual({
      type: "file",
      path: "/var/backups/etcd",
      uri: "file:///var/backups/etcd",
    });
    expect(parseDestination("s3://etcd-backups/prod/admin/")).toEqual({
      type: "s3",
      bucket: "etcd-backups",
      prefix: "prod/admin",
      uri: "s3://etcd-backups/prod/admin",
    });
    expect(parseDestination("s3://etcd-backups")).toMatchObject({
      bucket: "etcd-backups",
      prefix: "",
    });
    expect(parseDestination(" artifact ")).toEqual({ type: "artifact", uri: "artifact" });
  });

  it.each([
    [
      "/var/backups",
      'destination: "/var/backups" is a bare path; write it as a URL, file:///var/backups.',
    ],
    [
      "file://backups/etcd",
      /names a host or a relative path; expected a local absolute folder with three slashes/,
    ],
    [
      "s3://Etcd_Backups/x",
      /is not a valid S3 location; expected s3:\/\/bucket\[\/prefix\] with a bucket name of 3-63/,
    ],
    ["s3://bucket/a/../b", /has an S3 prefix with empty, "." or ".." parts/],
    [
      "gs://bucket",
      'destination: "gs://bucket" is not understood; expected file:///absolute/folder, s3://bucket[/prefix] or artifact.',
    ],
    ["", /is not understood/],
  ])("rejects %j with one clear sentence", (text, message) => {
    expect(() => parseDestination(text)).toThrow(message);
  });

  it("splits a backup URI as printed by a backup into destination and backup", () => {
    expect(parseBackupUri("s3://etcd-backups/prod/uc1/user-etcd/20261127T101010Z/")).toEqual({
      destination: {
        type: "s3",
        bucket: "etcd-backups",
        prefix: "prod",
        uri: "s3://etcd-backups/prod",
      },
      cluster: "uc1",
      kind: "user-etcd",
      timestamp: "20261127T101010Z",
    });
    expect(parseBackupUri("artifact/uc1/admin-pki/20261127T101010Z")).toEqual({
      destination: { type: "artifact", uri: "artifact" },
      cluster: "uc1",
      kind: "admin-pki",
      timestamp: "20261127T101010Z",
    });
    expect(() => parseBackupUri("s3://etcd-backups/uc1/user-etcd/")).toThrow(
      'The backup URI "s3://etcd-backups/uc1/user-etcd/" is not complete; expected <destination>/<cluster>/<kind>/<timestamp>/',
    );
    expect(() => parseBackupUri("file:///b/uc1/user-etcd/2026-11-27")).toThrow(
      /is not valid: The backup timestamp "2026-11-27" is not valid; expected UTC time as YYYYMMDDTHHMMSSZ/,
    );
    expect(() => parseBackupUri("s3://etcd-backups/uc1/etcd/20261127T101010Z")).toThrow(
      /The backup kind "etcd" is not known/,
    );
  });

  it("opens the folder backend from a file:// URL, and a backup back from its printed URI", async () => {
    const folder = await newFolder();
    const logger = recordingLogger();
    const store = await openStore(parseDestination(`file://${folder}`), {
      logger,
      context: localRunContext(),
    });
    const owner = X25519Identity.generate().identity;
    const backup = await storeBackup(store, {
      cluster: "admin",
      kind: "admin-etcd",
      source: Readable.from([Buffer.from("admin snapshot")]),
      recipients: [owner.recipient],
      logger,
    });
    const place = parseBackupUri(backup.location.uri);
    const reopened = await openStore(place.destination, { logger, context: localRunContext() });
    const sink = hashingSink();
    await readBackup(reopened, await findBackup(reopened, place), sink.sink, {
      identities: [owner],
      logger,
    });
    expect(sink.digest().bytes).toBe("admin snapshot".length);
  });

  it("builds the artifact backend for artifact, reading another run when told to", async () => {
    const store = await openStore(parseDestination("artifact"), {
      logger: recordingLogger(),
      context: localRunContext(),
      artifact: {
        otherRun: {
          token: "t",
          workflowRunId: 42,
          repositoryOwner: "example",
          repositoryName: "infra",
        },
      },
    });
    expect(store.description).toBe("GitHub artifacts of run 42 in example/infra");
  });

  it("builds the S3 backend for s3:// without contacting it", async () => {
    const store = await openStore(parseDestination("s3://etcd-backups/prod"), {
      logger: recordingLogger(),
      context: localRunContext(),
      s3: { endpoint: "http://127.0.0.1:9", region: "us-east-1", forcePathStyle: true },
    });
    expect(store.description).toMatch(/^s3:\/\/etcd-backups\/prod/);
  });
});
