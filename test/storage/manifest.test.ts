import { describe, expect, it } from "vitest";
import {
  buildManifest,
  parseManifest,
  serializeManifest,
  type ManifestFacts,
} from "../../src/core/storage/manifest.ts";
import { runInfoFromEnvironment } from "../../src/core/run-context.ts";
import { TOOL_VERSION } from "../../src/core/version.ts";

const facts: ManifestFacts = {
  cluster: "uc1",
  kind: "user-etcd",
  createdAt: new Date("2026-11-27T10:20:30.456Z"),
  source: { namespace: "uc1", pod: "kube-etcd-0", member: "kube-etcd-0", node: "admin-node-1" },
  etcd: { revision: 123456, keyCount: 789 },
  payloadName: "snapshot.db.zst.age",
  compression: "zstd",
  encryption: {
    method: "age",
    recipients: ["age1qyqszqgpqyqszqgpqyqszqgpqyqszqgpqyqszqgpqyqszqgpqyqs3290gq"],
  },
  plaintext: { bytes: 1000, sha256: "a".repeat(64) },
  stored: { bytes: 600, sha256: "b".repeat(64) },
};

const actionsEnvironment = {
  GITHUB_ACTIONS: "true",
  GITHUB_SERVER_URL: "https://github.com",
  GITHUB_REPOSITORY: "example/infra",
  GITHUB_RUN_ID: "4242",
  GITHUB_RUN_ATTEMPT: "2",
  GITHUB_WORKFLOW: "Nightly etcd backup",
  GITHUB_ACTOR: "octocat",
  GITHUB_SHA: "0123456789abcdef0123456789abcdef01234567",
  GITHUB_REF: "refs/heads/main",
};

describe("backup manifest", () => {
  it("records what an auditor needs and reads back the same", () => {
    const manifest = buildManifest({ ...facts, run: runInfoFromEnvironment(actionsEnvironment)! });
    expect(manifest).toMatchObject({
      cluster: "uc1",
      kind: "user-etcd",
      timestamp: "20261127T102030Z",
      createdAt: "2026-11-27T10:20:30.456Z",
      source: { pod: "kube-etcd-0", member: "kube-etcd-0", node: "admin-node-1" },
      etcd: { revision: 123456, keyCount: 789 },
      payload: {
        compression: "zstd",
        plaintext: facts.plaintext,
        stored: facts.stored,
        encryption: facts.encryption,
      },
      tool: { name: "etcd-backup-actions", version: TOOL_VERSION },
      run: {
        url: "https://github.com/example/infra/actions/runs/4242/attempts/2",
        workflow: "Nightly etcd backup",
        actor: "octocat",
        commit: "0123456789abcdef0123456789abcdef01234567",
      },
    });
    expect(parseManifest(serializeManifest(manifest), "test")).toEqual(manifest);
  });

  it("has no run facts outside GitHub Actions and leaves unknown etcd facts out", () => {
    const manifest = buildManifest({
      ...facts,
      etcd: {},
      run: runInfoFromEnvironment({ GITHUB_ACTOR: "someone" }),
    });
    expect(manifest.run).toBeUndefined();
    expect(manifest.etcd).toBeUndefined();
    expect(runInfoFromEnvironment({})).toBeUndefined();
  });

  it("records the explicit opt-in when stored unencrypted", () => {
    const manifest = buildManifest({
      ...facts,
      encryption: { method: "none", allowUnencrypted: true },
    });
    expect(JSON.parse(serializeManifest(manifest).toString()).payload.encryption).toEqual({
      method: "none",
      allowUnencrypted: true,
    });
  });

  const valid = () => JSON.parse(serializeManifest(buildManifest(facts)).toString());
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- edits reach into any field, as a hand edit would
  const parseEdited = (edit: (manifest: Record<string, any>) => void) => {
    const manifest = valid();
    edit(manifest);
    return () =>
      parseManifest(JSON.stringify(manifest), "file:///b/uc1/user-etcd/20261127T102030Z/");
  };

  it("names the field and what was expected when a manifest is wrong", () => {
    expect(parseEdited((m) => (m.payload.stored.sha256 = "xyz"))).toThrow(
      'The manifest of file:///b/uc1/user-etcd/20261127T102030Z/ is not valid: field payload.stored.sha256 should be 64 lower-case hex digits, but it is "xyz".',
    );
    expect(parseEdited((m) => delete m.cluster)).toThrow(
      /field cluster should be a non-empty string, but it is nothing/,
    );
    expect(parseEdited((m) => (m.kind = "user"))).toThrow(
      /field kind should be one of user-etcd, admin-etcd, admin-pki/,
    );
    expect(parseEdited((m) => (m.payload.plaintext.bytes = -1))).toThrow(
      /payload.plaintext.bytes should be a whole number/,
    );
    expect(parseEdited((m) => (m.timestamp = "20261127T102031Z"))).toThrow(
      /field timestamp should be the folder name of createdAt/,
    );
    expect(parseEdited((m) => (m.payload.name = "../../etc/passwd"))).toThrow(
      /field payload.name should be valid/,
    );
    expect(parseEdited((m) => (m.payload.encryption.recipients = ["age1notakey"]))).toThrow(
      /field payload.encryption.recipients\[0\] should be valid \(recipients: the age recipient "age1notakey" is not valid/,
    );
  });

  it("refuses an unencrypted manifest that lacks the explicit opt-in", () => {
    expect(parseEdited((m) => (m.payload.encryption = { method: "none" }))).toThrow(
      /payload.encryption.allowUnencrypted should be true \(unencrypted storage is an explicit opt-in\)/,
    );
  });

  it("says a manifest that is not JSON is damaged", () => {
    expect(() =>
      parseManifest('{"cluster": "uc1",', "s3://b/uc1/user-etcd/20261127T102030Z/"),
    ).toThrow(
      /^The manifest of s3:\/\/b\/uc1\/user-etcd\/20261127T102030Z\/ is not valid JSON .*damaged or was edited by hand\.$/,
    );
  });
});
