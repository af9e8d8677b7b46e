/**
 * Host-key pinning and input checks, against what the real OpenSSH tools produce:
 * ssh-keygen's fingerprints, its hashed known_hosts lines (-H), its key formats.
 */
import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  loadPrivateKey,
  parseFingerprints,
  parseJumpHostSpec,
  parseKnownHosts,
  sha256Fingerprint,
  shellCommand,
  validateNodePaths,
  verifyHostKey,
} from "../../src/core/ssh/index.ts";
import { describeSeenHostKey } from "../../src/core/ssh/host-keys.ts";
import { generateClientKey, secretFragments, type ClientKey } from "./fixtures.ts";

let dir: string;
let hostKey: ClientKey;
let otherHostKey: ClientKey;
let rsaKey: ClientKey;

const blobOf = (publicLine: string) => Buffer.from(publicLine.split(" ")[1]!, "base64");
const seen = (key: ClientKey) => describeSeenHostKey(blobOf(key.publicLine));
const keyPart = (key: ClientKey) => key.publicLine.split(" ").slice(0, 2).join(" ");

/** A known_hosts line hashed by the real `ssh-keygen -H`. */
function hashedLine(hostName: string, key: ClientKey): string {
  const file = join(dir, `known_hosts_${Math.random().toString(16).slice(2)}`);
  writeFileSync(file, `${hostName} ${keyPart(key)}\n`);
  execFileSync("ssh-keygen", ["-q", "-H", "-f", file], { stdio: "ignore" });
  return readFileSync(file, "utf8").trim();
}

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), "ssh-keys-"));
  hostKey = generateClientKey(dir, "host");
  otherHostKey = generateClientKey(dir, "other-host");
  rsaKey = generateClientKey(dir, "rsa", "rsa");
});

afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe("host-key pinning", () => {
  it("computes the same SHA256 fingerprint as ssh-keygen -l", () => {
    expect(sha256Fingerprint(blobOf(hostKey.publicLine))).toBe(hostKey.publicFingerprint);
    expect(sha256Fingerprint(blobOf(rsaKey.publicLine))).toBe(rsaKey.publicFingerprint);
  });

  it("accepts a key pinned by a plain, a hashed, a [host]:port and a wildcard known_hosts line", () => {
    const node = { host: "10.0.0.2", port: 22 };
    expect(
      verifyHostKey(node, seen(hostKey), { knownHosts: [`10.0.0.2 ${keyPart(hostKey)}`] }).kind,
    ).toBe("pinned");
    expect(
      verifyHostKey(node, seen(hostKey), { knownHosts: [hashedLine("10.0.0.2", hostKey)] }).kind,
    ).toBe("pinned");
    const onPort = { host: "10.0.0.2", port: 2222 };
    expect(
      verifyHostKey(onPort, seen(hostKey), { knownHosts: [hashedLine("[10.0.0.2]:2222", hostKey)] })
        .kind,
    ).toBe("pinned");
    expect(
      verifyHostKey(node, seen(hostKey), { knownHosts: [`10.0.0.*,!10.0.0.9 ${keyPart(hostKey)}`] })
        .kind,
    ).toBe("pinned");
  });

  it("treats a line for another host or another port as no pin at all", () => {
    const pins = { knownHosts: [`10.0.0.3 ${keyPart(hostKey)}`, hashedLine("10.0.0.2", hostKey)] };
    expect(verifyHostKey({ host: "10.0.0.4", port: 22 }, seen(hostKey), pins).kind).toBe("unknown");
    expect(verifyHostKey({ host: "10.0.0.2", port: 2222 }, seen(hostKey), pins).kind).toBe(
      "unknown",
    );
    const negated = { knownHosts: [`10.0.0.*,!10.0.0.9 ${keyPart(hostKey)}`] };
    expect(verifyHostKey({ host: "10.0.0.9", port: 22 }, seen(hostKey), negated).kind).toBe(
      "unknown",
    );
  });

  it("reports a mismatch with every pinned fingerprint when the host shows another key", () => {
    const verdict = verifyHostKey({ host: "10.0.0.2", port: 22 }, seen(otherHostKey), {
      knownHosts: [`10.0.0.2 ${keyPart(hostKey)}`],
      fingerprints: [rsaKey.publicFingerprint],
    });
    expect(verdict).toEqual({
      kind: "mismatch",
      expected: [hostKey.publicFingerprint, rsaKey.publicFingerprint],
    });
  });

  it("accepts a pinned SHA256 fingerprint, with or without the trailing =", () => {
    const node = { host: "node", port: 22 };
    expect(
      verifyHostKey(node, seen(hostKey), { fingerprints: [hostKey.publicFingerprint] }).kind,
    ).toBe("pinned");
    expect(
      verifyHostKey(node, seen(hostKey), { fingerprints: [`${hostKey.publicFingerprint}=`] }).kind,
    ).toBe("pinned");
  });

  it("refuses a key marked @revoked even when another line pins it", () => {
    const pins = { knownHosts: [`node ${keyPart(hostKey)}`, `@revoked * ${keyPart(hostKey)}`] };
    expect(verifyHostKey({ host: "node", port: 22 }, seen(hostKey), pins).kind).toBe("revoked");
  });

  it("says which fingerprint or known_hosts line is malformed", () => {
    expect(() =>
      parseFingerprints(["MD5:16:27:ac:a5:76:28:2d:36:63:1b:56:4d:eb:df:a6:48"]),
    ).toThrow(
      'SSH host key fingerprint "MD5:16:27:ac:a5:76:28:2d:36:63:1b:56:4d:eb:df:a6:48" is not a SHA256 fingerprint; expected "SHA256:" followed by 43 base64 characters',
    );
    expect(() =>
      parseKnownHosts([`# pinned by hand\n10.0.0.2 ${keyPart(hostKey)}\n10.0.0.3 ssh-ed25519`]),
    ).toThrow("SSH known_hosts line 3 is not a known_hosts entry");
  });
});

describe("client keys", () => {
  it("reads OpenSSH ed25519 and PEM RSA keys, and the base64 form, showing only the public fingerprint", () => {
    expect(loadPrivateKey(hostKey.privateKey, "the SSH private key")).toMatchObject({
      type: "ssh-ed25519",
      publicFingerprint: hostKey.publicFingerprint,
    });
    expect(rsaKey.privateKey).toContain("BEGIN RSA PRIVATE KEY");
    expect(loadPrivateKey(rsaKey.privateKey, "the SSH private key")).toMatchObject({
      type: "ssh-rsa",
      publicFingerprint: rsaKey.publicFingerprint,
    });
    const base64 = Buffer.from(hostKey.privateKey).toString("base64");
    expect(loadPrivateKey(base64, "the SSH private key").publicFingerprint).toBe(
      hostKey.publicFingerprint,
    );
  });

  it("says what is wrong with a key that is not one, without echoing it", () => {
    const notAKey = "this is not a key at all";
    expect(() => loadPrivateKey(notAKey, "the jump host's private key")).toThrow(
      "the jump host's private key is not a private key; expected an OpenSSH",
    );
    const broken = hostKey.privateKey.replace(/\n[A-Za-z0-9+/]{20,}\n/, "\nAAAA\n");
    let message = "";
    try {
      loadPrivateKey(broken, "the SSH private key");
    } catch (error) {
      message = (error as Error).message;
    }
    expect(message).toMatch(/^the SSH private key could not be read: /);
    for (const fragment of secretFragments(hostKey)) expect(message).not.toContain(fragment);
  });
});

describe("inputs", () => {
  it("parses jump hosts as user@host[:port] and rejects anything else in one sentence", () => {
    expect(parseJumpHostSpec("ubuntu@203.0.113.10")).toEqual({
      user: "ubuntu",
      host: "203.0.113.10",
      port: 22,
    });
    expect(parseJumpHostSpec("ops@jump.example.com:2222")).toEqual({
      user: "ops",
      host: "jump.example.com",
      port: 2222,
    });
    expect(parseJumpHostSpec("ops@[2001:db8::1]:22")).toEqual({
      user: "ops",
      host: "2001:db8::1",
      port: 22,
    });
    expect(() => parseJumpHostSpec("203.0.113.10")).toThrow(
      'jump host "203.0.113.10" is not of the form user@host[:port]; expected for example ubuntu@203.0.113.10',
    );
    expect(() => parseJumpHostSpec("ops@jump:99999")).toThrow(
      "is not of the form user@host[:port]",
    );
  });

  it("takes absolute node paths only, each once", () => {
    expect(
      validateNodePaths(["/etc/kubernetes/pki/", " /opt/data/gke-k8s-kms-plugin/generatedkeys"]),
    ).toEqual(["/etc/kubernetes/pki", "/opt/data/gke-k8s-kms-plugin/generatedkeys"]);
    expect(() => validateNodePaths(["etc/kubernetes/pki"])).toThrow(
      'path "etc/kubernetes/pki" is not absolute; expected an absolute path on the node, such as /etc/kubernetes/pki.',
    );
    expect(() => validateNodePaths(["/etc/kubernetes/../shadow"])).toThrow('contains ".."');
    expect(() => validateNodePaths(["/"])).toThrow("is the node's whole file system");
    expect(() => validateNodePaths(["/etc/kubernetes/pki", "/etc/kubernetes/pki/etcd"])).toThrow(
      "path /etc/kubernetes/pki/etcd is inside /etc/kubernetes/pki, which is listed too; list each folder once.",
    );
    expect(() => validateNodePaths([])).toThrow("no paths given");
  });

  it("quotes arguments so the remote shell passes them through unchanged", () => {
    const argv = ["plain", "with space", "it's", "$HOME", "a;b", "tab\there", "*"];
    const printed = execFileSync("/bin/bash", ["-c", `printf '%s\\n' ${shellCommand(argv)}`], {
      encoding: "utf8",
    });
    expect(printed).toBe(`${argv.join("\n")}\n`);
  });
});
