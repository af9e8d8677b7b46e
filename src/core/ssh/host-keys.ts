/**
 * Host-key pinning: the runbook's script ran with `StrictHostKeyChecking=no`, so any
 * machine answering on the node's address got the session (and the cluster's CA keys).
 * Here a host key is accepted only when it matches a pinned known_hosts line or a pinned
 * SHA256 fingerprint, or when the caller explicitly accepts an unknown key.
 */
import { ConfigurationError } from "../errors.ts";
import { quoteValue } from "../redact.ts";
import { createHash, createHmac } from "node:crypto";

/** Where the session connects: the name known_hosts lines are matched against. */
export interface SshEndpoint {
  host: string;
  port: number;
}

/** What the operator pinned: known_hosts lines and/or `SHA256:...` fingerprints. */
export interface HostKeyPins {
  knownHosts?: string[];
  fingerprints?: string[];
}

/** A host key as the server presented it: its SSH wire-format blob. */
export interface SeenHostKey {
  type: string;
  blob: Buffer;
  fingerprint: string;
}

export type HostKeyVerdict =
  | { kind: "pinned"; how: string }
  | { kind: "mismatch"; expected: string[] }
  | { kind: "revoked" }
  | { kind: "unknown" };

interface KnownHostsEntry {
  lineNumber: number;
  marker: "" | "@revoked" | "@cert-authority";
  hostPatterns: string;
  keyType: string;
  keyBlob: Buffer;
}

/** `SHA256:<unpadded base64 of sha256(key blob)>`, exactly as `ssh-keygen -l` prints it. */
export function sha256Fingerprint(keyBlob: Buffer): string {
  return `SHA256:${createHash("sha256").update(keyBlob).digest("base64").replace(/=+$/, "")}`;
}

/** Reads the key type (the first SSH string) out of a wire-format public key blob. */
export function keyTypeOfBlob(keyBlob: Buffer): string {
  if (keyBlob.length < 4) return "unknown";
  const length = keyBlob.readUInt32BE(0);
  if (length > keyBlob.length - 4 || length > 64) return "unknown";
  return keyBlob.subarray(4, 4 + length).toString("latin1");
}

export function describeSeenHostKey(keyBlob: Buffer): SeenHostKey {
  return { type: keyTypeOfBlob(keyBlob), blob: keyBlob, fingerprint: sha256Fingerprint(keyBlob) };
}

/** The name OpenSSH looks up in known_hosts: `host` on port 22, `[host]:port` elsewhere. */
export function knownHostsName(endpoint: SshEndpoint): string {
  return endpoint.port === 22 ? endpoint.host : `[${endpoint.host}]:${endpoint.port}`;
}

/** The known_hosts line that would pin this key for this endpoint (handy in error messages). */
export function knownHostsLineFor(endpoint: SshEndpoint, key: SeenHostKey): string {
  return `${knownHostsName(endpoint)} ${key.type} ${key.blob.toString("base64")}`;
}

const FINGERPRINT_PATTERN = /^SHA256:[A-Za-z0-9+/]{43}=?$/;

/** Checks and normalises pinned fingerprints: one clear sentence for a bad one. */
export function parseFingerprints(fingerprints: string[]): string[] {
  return fingerprints
    .map((fingerprint) => fingerprint.trim())
    .filter((fingerprint) => fingerprint !== "")
    .map((fingerprint) => {
      if (!FINGERPRINT_PATTERN.test(fingerprint)) {
        throw new ConfigurationError(
          "hostKeyFingerprints",
          `SSH host key fingerprint ${quoteValue(fingerprint)} is not a SHA256 fingerprint; expected ` +
            `"SHA256:" followed by 43 base64 characters, as "ssh-keygen -l -E sha256 -f <host key>.pub" prints it.`,
        );
      }
      return fingerprint.replace(/=$/, "");
    });
}

/** Parses known_hosts text; blank lines and comments are skipped, anything else must parse. */
export function parseKnownHosts(lines: string[]): KnownHostsEntry[] {
  const entries: KnownHostsEntry[] = [];
  const allLines = lines.flatMap((text) => text.split(/\r?\n/));
  allLines.forEach((rawLine, index) => {
    const line = rawLine.trim();
    if (line === "" || line.startsWith("#")) return;
    const fields = line.split(/\s+/);
    const marker =
      fields[0] === "@revoked" || fields[0] === "@cert-authority" ? fields.shift() : "";
    const [hostPatterns, keyType, keyBase64] = fields;
    const keyBlob =
      keyBase64 && /^[A-Za-z0-9+/]+={0,2}$/.test(keyBase64)
        ? Buffer.from(keyBase64, "base64")
        : null;
    if (!hostPatterns || !keyType || !keyBlob || keyTypeOfBlob(keyBlob) !== keyType) {
      throw new ConfigurationError(
        "knownHosts",
        `SSH known_hosts line ${index + 1} is not a known_hosts entry; expected ` +
          `"<host patterns> <key type> <base64 key>", as "ssh-keyscan <host>" prints it.`,
      );
    }
    entries.push({
      lineNumber: index + 1,
      marker: marker as KnownHostsEntry["marker"],
      hostPatterns,
      keyType,
      keyBlob,
    });
  });
  return entries;
}

/** OpenSSH's `|1|salt|hmac` form: HMAC-SHA1 of the host name keyed by the salt. */
function hashedNameMatches(hashedPattern: string, name: string): boolean {
  const [, , saltBase64, hashBase64] = hashedPattern.split("|");
  if (!saltBase64 || !hashBase64) return false;
  const digest = createHmac("sha1", Buffer.from(saltBase64, "base64"))
    .update(name)
    .digest("base64");
  return digest === hashBase64;
}

function wildcardToRegExp(pattern: string): RegExp {
  const escaped = pattern
    .replace(/[.+^${}()|[\]\\]/g, "\\$&")
    .replace(/\*/g, ".*")
    .replace(/\?/g, ".");
  return new RegExp(`^${escaped}$`, "i");
}

/** A comma-separated pattern list matches when some pattern does and no `!pattern` does. */
function hostPatternsMatch(hostPatterns: string, name: string): boolean {
  if (hostPatterns.startsWith("|1|")) return hashedNameMatches(hostPatterns, name);
  let matched = false;
  for (const pattern of hostPatterns.split(",")) {
    const negated = pattern.startsWith("!");
    const body = negated ? pattern.slice(1) : pattern;
    if (!wildcardToRegExp(body).test(name)) continue;
    if (negated) return false;
    matched = true;
  }
  return matched;
}

function entriesFor(endpoint: SshEndpoint, pins: HostKeyPins): KnownHostsEntry[] {
  const name = knownHostsName(endpoint);
  return parseKnownHosts(pins.knownHosts ?? []).filter((entry) =>
    hostPatternsMatch(entry.hostPatterns, name),
  );
}

/** Decides whether a seen host key is pinned, contradicts a pin, is revoked, or is unknown. */
export function verifyHostKey(
  endpoint: SshEndpoint,
  seen: SeenHostKey,
  pins: HostKeyPins,
): HostKeyVerdict {
  const entries = entriesFor(endpoint, pins);
  const fingerprints = parseFingerprints(pins.fingerprints ?? []);
  if (entries.some((entry) => entry.marker === "@revoked" && entry.keyBlob.equals(seen.blob))) {
    return { kind: "revoked" };
  }
  const plainEntries = entries.filter((entry) => entry.marker === "");
  const matchingEntry = plainEntries.find((entry) => entry.keyBlob.equals(seen.blob));
  if (matchingEntry) return { kind: "pinned", how: `known_hosts line ${matchingEntry.lineNumber}` };
  if (fingerprints.includes(seen.fingerprint)) return { kind: "pinned", how: "pinned fingerprint" };
  const expected = [
    ...plainEntries.map((entry) => sha256Fingerprint(entry.keyBlob)),
    ...fingerprints,
  ];
  if (expected.length > 0) return { kind: "mismatch", expected: [...new Set(expected)] };
  return { kind: "unknown" };
}

const HOST_KEY_ALGORITHMS_FOR_TYPE: Record<string, string[]> = {
  "ssh-ed25519": ["ssh-ed25519"],
  "ssh-rsa": ["rsa-sha2-512", "rsa-sha2-256", "ssh-rsa"],
  "ecdsa-sha2-nistp256": ["ecdsa-sha2-nistp256"],
  "ecdsa-sha2-nistp384": ["ecdsa-sha2-nistp384"],
  "ecdsa-sha2-nistp521": ["ecdsa-sha2-nistp521"],
};

/**
 * Host-key algorithms to offer first, as OpenSSH does: when known_hosts pins an RSA key for
 * this host, asking for ed25519 first would make a correct server look like a mismatch.
 */
export function preferredHostKeyAlgorithms(endpoint: SshEndpoint, pins: HostKeyPins): string[] {
  const types = entriesFor(endpoint, pins)
    .filter((entry) => entry.marker === "")
    .map((entry) => entry.keyType);
  return [...new Set(types.flatMap((type) => HOST_KEY_ALGORITHMS_FOR_TYPE[type] ?? []))];
}
