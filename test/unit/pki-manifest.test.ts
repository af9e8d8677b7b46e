/** The PKI record of an admin-pki manifest: what it keeps, and each damage named by its field. */
import { describe, expect, it } from "vitest";
import {
  buildManifest,
  parseManifest,
  serializeManifest,
  type ManifestFacts,
  type PkiRecord,
} from "../../src/core/storage/manifest.ts";

const pki: PkiRecord = {
  node: {
    host: "10.0.0.10",
    port: 22,
    user: "ubuntu",
    hostKeyFingerprint: "SHA256:G1fNliwINHhyH+b05DI3KdGZZlhU08VbOCC976EdYVU",
  },
  jumpHost: {
    host: "203.0.113.7",
    port: 2222,
    user: "jump",
    hostKeyFingerprint: "SHA256:IXSOXJmrephUHXeISSOttvM2aUhErS/6FYHU+E0ouhM",
  },
  paths: ["/etc/kubernetes/pki"],
  fileCount: 3,
  files: [
    { path: "/etc/kubernetes/pki", type: "directory", mode: "0755", uid: 0, gid: 0, size: 0 },
    {
      path: "/etc/kubernetes/pki/ca.key",
      type: "file",
      mode: "0600",
      uid: 0,
      gid: 0,
      size: 1675,
      sha256: "c".repeat(64),
    },
    {
      path: "/etc/kubernetes/pki/current.pem",
      type: "symlink",
      mode: "0777",
      uid: 0,
      gid: 0,
      size: 0,
      linkTarget: "ca.crt",
    },
  ],
};

const facts: ManifestFacts = {
  cluster: "admin",
  kind: "admin-pki",
  createdAt: new Date("2026-11-27T10:20:30Z"),
  source: { node: "admin-master" },
  pki,
  payloadName: "pki.tar.zst.age",
  compression: "zstd",
  encryption: {
    method: "age",
    recipients: ["age1qyqszqgpqyqszqgpqyqszqgpqyqszqgpqyqszqgpqyqszqgpqyqs3290gq"],
  },
  plaintext: { bytes: 10240, sha256: "a".repeat(64) },
  stored: { bytes: 2000, sha256: "b".repeat(64) },
};

/** The manifest as JSON with one change made by `edit`, parsed back. */
function parseEdited(edit: (manifest: { pki: Record<string, unknown> }) => void) {
  const json = JSON.parse(serializeManifest(buildManifest(facts)).toString()) as {
    pki: Record<string, unknown>;
  };
  edit(json);
  return () => parseManifest(JSON.stringify(json), "file:///backups/admin/admin-pki/x/");
}

describe("admin-pki manifest", () => {
  it("keeps the listing and both host keys, and reads back the same", () => {
    const manifest = buildManifest(facts);
    expect(manifest.pki).toEqual(pki);
    expect(parseManifest(serializeManifest(manifest), "here")).toEqual(manifest);
  });

  it.each([
    [
      "a file without its hash",
      (m: { pki: Record<string, unknown> }) =>
        delete (m.pki.files as Array<Record<string, unknown>>)[1]!.sha256,
      "field pki.files[1].sha256 should be the file's sha256 (every regular file has one), but it is nothing",
    ],
    [
      "a mode that is not four octal digits",
      (m: { pki: Record<string, unknown> }) =>
        ((m.pki.files as Array<Record<string, unknown>>)[1]!.mode = "rw-------"),
      'field pki.files[1].mode should be valid (four octal digits such as 0600), but it is "rw-------"',
    ],
    [
      "a count that disagrees with the list",
      (m: { pki: Record<string, unknown> }) => (m.pki.fileCount = 4),
      "field pki.fileCount should be the number of entries in pki.files (3), but it is 4",
    ],
    [
      "a host key that is not a SHA256 fingerprint",
      (m: { pki: Record<string, unknown> }) =>
        ((m.pki.node as Record<string, unknown>).hostKeyFingerprint = "MD5:aa:bb"),
      'field pki.node.hostKeyFingerprint should be valid (SHA256: and 43 base64 digits), but it is "MD5:aa:bb"',
    ],
    [
      "a relative path",
      (m: { pki: Record<string, unknown> }) => (m.pki.paths = ["etc/kubernetes/pki"]),
      'field pki.paths[0] should be valid (an absolute path), but it is "etc/kubernetes/pki"',
    ],
    [
      "a port out of range",
      (m: { pki: Record<string, unknown> }) =>
        ((m.pki.jumpHost as Record<string, unknown>).port = 70000),
      "field pki.jumpHost.port should be a TCP port (1 to 65535), but it is 70000",
    ],
  ])("names the field of %s", (_name, edit, message) => {
    expect(parseEdited(edit)).toThrow(
      `The manifest of file:///backups/admin/admin-pki/x/ is not valid: ${message}.`,
    );
  });
});
