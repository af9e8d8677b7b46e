/**
 * The secret detector every quoted input goes through: an age identity, a private key block
 * or a kubeconfig credential is described, never repeated, whatever form it was pasted in.
 */
import { execFile } from "node:child_process";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parseRecipients } from "../../src/core/crypto/age.ts";
import { ConfigurationError } from "../../src/core/errors.ts";
import { looksSecret, quoteValue, redactSecrets, secretLookalike } from "../../src/core/redact.ts";

const run = promisify(execFile);

let work: string;
let identityFile: string;
let identity: string;
let sshKey: string;

beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), "redact-"));
  await run("age-keygen", ["-o", join(work, "key.txt")]);
  identityFile = await readFile(join(work, "key.txt"), "utf8");
  identity = identityFile.split("\n").find((line) => line.startsWith("AGE-SECRET-KEY-1"))!;
  await run("ssh-keygen", ["-q", "-t", "ed25519", "-N", "", "-f", join(work, "id")]);
  sshKey = await readFile(join(work, "id"), "utf8");
});

afterAll(async () => {
  if (work) await rm(work, { recursive: true, force: true });
});

const base64 = (text: string) => Buffer.from(text).toString("base64");

describe("the secret detector", () => {
  it("describes an age identity as is, lower-cased, as a whole file and in base64, never quoting it", () => {
    for (const form of [
      identity,
      identity.toLowerCase(),
      identityFile,
      base64(identity),
      base64(identityFile),
    ]) {
      const quoted = quoteValue(form);
      expect(quoted).toMatch(
        /looks like (the base64 of )?an age identity \(a private key\), not shown/,
      );
      expect(quoted).not.toContain(identity.slice(20));
      expect(quoted.toLowerCase()).not.toContain(identity.toLowerCase().slice(20));
      expect(quoted).not.toContain(base64(identity).slice(8, 40));
    }
  });

  it("describes OpenSSH and PEM private keys, and their base64", async () => {
    await run("openssl", [
      "genpkey",
      "-algorithm",
      "EC",
      "-pkeyopt",
      "ec_paramgen_curve:P-256",
      "-out",
      join(work, "ec.pem"),
    ]);
    const pem = await readFile(join(work, "ec.pem"), "utf8");
    for (const form of [sshKey, pem, base64(sshKey), base64(pem)]) {
      expect(secretLookalike(form)).toMatch(/a private key block/);
      expect(quoteValue(form)).not.toContain(form.slice(40, 80));
    }
    // The first body line of an OpenSSH key alone is still recognised (openssh-key-v1).
    expect(looksSecret(sshKey.split("\n")[1]!)).toBe(true);
  });

  it("describes kubeconfig credentials: token, client-key-data, password, in YAML and JSON", () => {
    for (const form of [
      "apiVersion: v1\nusers:\n- name: a\n  user:\n    token: abc123def456",
      "    client-key-data: LS0tLS1CRUdJTiBFQyBQUklWQVRFIEtFWS0tLS0t",
      "password: hunter2hunter2",
      '{"users":[{"user":{"token":"abc123def456"}}]}',
    ]) {
      expect(secretLookalike(form), form).toBeDefined();
      expect(quoteValue(form)).not.toMatch(/abc123|hunter2|LS0tLS1/);
    }
  });

  it("quotes ordinary values as JSON (control characters visible), long ones cut short", () => {
    expect(quoteValue("uc1")).toBe('"uc1"');
    expect(quoteValue("/etc/kubernetes/pki\n")).toBe('"/etc/kubernetes/pki\\n"');
    expect(quoteValue("s3://etcd-backups/prefix")).toBe('"s3://etcd-backups/prefix"');
    const long = "x".repeat(500);
    expect(quoteValue(long)).toContain("(500 characters)");
    expect(quoteValue(long).length).toBeLessThan(200);
    // Words that merely mention secrets are not secrets.
    for (const text of [
      "sudo on 10.0.0.2 needs a password for user auditor",
      "give the age identity (AGE-SECRET-KEY-1...) of one of them",
      'expected an OpenSSH ("-----BEGIN OPENSSH PRIVATE KEY-----") or PEM private key',
      "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOkpzgS8zXUdU9i2C5w2y5m8gG0KfM3cY4bJmIYnxQ3z",
    ]) {
      expect(looksSecret(text), text).toBe(false);
    }
  });

  it("redacts a secret that slipped into a finished message, and leaves other lines alone", () => {
    const message = `Input x: bad value ${identity} given\nsecond line stays`;
    const redacted = redactSecrets(message);
    expect(redacted).not.toContain(identity.slice(15));
    expect(redacted).toContain("[an age identity (a private key), not shown]");
    expect(redacted).toContain("Input x: bad value");
    expect(redacted).toContain("second line stays");
    expect(redactSecrets("    token: abc123def456")).not.toContain("abc123def456");
    expect(redactSecrets("nothing secret here")).toBe("nothing secret here");
  });

  it("refuses an identity given as a recipient with a ConfigurationError that never quotes it", () => {
    for (const form of [identity, identity.toLowerCase(), identityFile]) {
      let caught: unknown;
      try {
        parseRecipients(form);
      } catch (error) {
        caught = error;
      }
      expect(caught).toBeInstanceOf(ConfigurationError);
      const error = caught as ConfigurationError;
      expect(error.field).toBe("recipients");
      expect(error.problem).toMatch(/looks like an age identity \(a private key, not shown here\)/);
      expect(error.problem).toContain("age-keygen -y");
      expect(error.message.toLowerCase()).not.toContain(identity.toLowerCase().slice(16));
    }
  });
});
