/**
 * The artifact backend speaks @actions/artifact's protocol without loading the package (its
 * upload alone peaked at 214-247 MiB on a 1 GB backup). This proves the two agree, against
 * Azurite and the results-service stand-in: the official client (what actions/upload-artifact
 * and actions/download-artifact run) lists and downloads what our store uploaded, byte for
 * byte, and our store lists and reads a backup the official client uploaded raw.
 */
import { createHash } from "node:crypto";
import { mkdtemp, readdir, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { Readable } from "node:stream";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { recordingLogger } from "../../src/core/log/logger.ts";
import { runContextFromEnvironment } from "../../src/core/run-context.ts";
import type { ArtifactSnapshotStore } from "../../src/core/storage/artifact.ts";
import { startArtifactService, type ArtifactService } from "../support/artifact-service.ts";
import { startAzurite, type AzuriteBlob } from "../support/azurite.ts";

let azurite: AzuriteBlob;
let service: ArtifactService;
let work: string;
let ourStore: () => ArtifactSnapshotStore;
const savedEnvironment = { ...process.env };

const sha256 = (data: Buffer) => createHash("sha256").update(data).digest("hex");

/** Deterministic, not compressible: what an encrypted payload looks like. */
function payloadBytes(size: number): Buffer {
  const out = Buffer.alloc(size);
  let block = createHash("sha256").update("interop").digest();
  for (let offset = 0; offset < size; offset += block.length) {
    block.copy(out, offset);
    block = createHash("sha256").update(block).digest();
  }
  return out;
}

beforeAll(async () => {
  azurite = await startAzurite();
  service = await startArtifactService({ azuriteAccountUrl: azurite.accountUrl });
  work = await mkdtemp(path.join(tmpdir(), "artifact-interop-"));
  process.env.ACTIONS_RESULTS_URL = `${service.url}/`;
  // @actions/github fixes its API base URL when first imported: set it before that.
  process.env.GITHUB_API_URL = service.url;
  delete process.env.GITHUB_SERVER_URL;
  delete process.env.GITHUB_RETENTION_DAYS;
  const { createArtifactStore } = await import("../../src/core/storage/artifact.ts");
  ourStore = () =>
    createArtifactStore({
      logger: recordingLogger(),
      context: runContextFromEnvironment(process.env),
      stagingDir: work,
    });
});

afterAll(async () => {
  process.env = savedEnvironment;
  await service?.close();
  await azurite?.stop();
  if (work) await rm(work, { recursive: true, force: true });
});

async function officialClient() {
  const { DefaultArtifactClient } = await import("@actions/artifact");
  return new DefaultArtifactClient();
}

describe("artifacts: our backend and the official @actions/artifact client agree", () => {
  it("the official client lists and downloads what our store uploaded, byte for byte", async () => {
    process.env.ACTIONS_RUNTIME_TOKEN = service.newRun().runtimeToken;
    const payload = payloadBytes(9 * 1024 * 1024 + 17); // more than two 4 MiB blocks
    const manifest = Buffer.from('{"cluster":"uc1"}\n');
    const store = ourStore();
    const { location } = await store.putPayload(
      {
        cluster: "uc1",
        kind: "user-etcd",
        timestamp: "20261127T120000Z",
        payloadName: "snapshot.db.zst.age",
      },
      Readable.from([payload]),
    );
    await store.putManifest(location, manifest);

    const client = await officialClient();
    const { artifacts } = await client.listArtifacts();
    const byName = new Map(artifacts.map((artifact) => [artifact.name, artifact]));
    const payloadName = "etcd-backup.uc1.user-etcd.20261127T120000Z.snapshot.db.zst.age";
    const manifestName = "etcd-backup.uc1.user-etcd.20261127T120000Z.manifest.json";
    expect([...byName.keys()].sort()).toEqual([manifestName, payloadName]);
    expect(byName.get(payloadName)!.size).toBe(payload.length);

    for (const [name, expected] of [
      [payloadName, payload],
      [manifestName, manifest],
    ] as const) {
      const folder = await mkdtemp(path.join(work, "download-"));
      const { digestMismatch } = await client.downloadArtifact(byName.get(name)!.id, {
        path: folder,
        expectedHash: `sha256:${sha256(expected)}`,
      });
      expect(digestMismatch).toBe(false);
      const files = await readdir(folder);
      expect(files).toHaveLength(1);
      expect(sha256(await readFile(path.join(folder, files[0]!)))).toBe(sha256(expected));
    }
  });

  it("our store lists and reads a backup the official client uploaded raw (skipArchive)", async () => {
    process.env.ACTIONS_RUNTIME_TOKEN = service.newRun().runtimeToken;
    const folder = await mkdtemp(path.join(work, "upload-"));
    const payload = payloadBytes(5 * 1024 * 1024 + 3);
    const payloadFile = path.join(
      folder,
      "etcd-backup.admin.admin-pki.20261127T130000Z.pki.tar.zst.age",
    );
    const manifestFile = path.join(
      folder,
      "etcd-backup.admin.admin-pki.20261127T130000Z.manifest.json",
    );
    await writeFile(payloadFile, payload);
    await writeFile(manifestFile, '{"cluster":"admin"}\n');
    const client = await officialClient();
    for (const file of [payloadFile, manifestFile]) {
      await client.uploadArtifact(path.basename(file), [file], folder, { skipArchive: true });
    }

    const store = ourStore();
    const listed = await store.list({ cluster: "admin", kind: "admin-pki" });
    expect(listed.map((backup) => backup.location.uri)).toEqual([
      "artifact/admin/admin-pki/20261127T130000Z",
    ]);
    expect(listed[0]!.manifest.toString()).toBe('{"cluster":"admin"}\n');
    const chunks: Buffer[] = [];
    for await (const chunk of await store.getPayload(listed[0]!.location, "pki.tar.zst.age")) {
      chunks.push(chunk as Buffer);
    }
    expect(sha256(Buffer.concat(chunks))).toBe(sha256(payload));
  });
});
