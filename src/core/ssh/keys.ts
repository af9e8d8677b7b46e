/**
 * Client keys are held in memory only (the action reads them from a Secret or an input and
 * never writes them to disk). Only the PUBLIC half's fingerprint ever reaches a message.
 */
// ssh2 is CommonJS: Node's ESM loader sees only its default export.
import ssh2, { type ParsedKey } from "ssh2";
import { sha256Fingerprint } from "./host-keys.ts";
import { SshError } from "./errors.ts";

export interface SshPrivateKey {
  /** The key text as ssh2 reads it; never logged, never put in a message. */
  readonly material: Buffer;
  readonly type: string;
  /** SHA256 fingerprint of the public half: the one thing about a key that may be shown. */
  readonly publicFingerprint: string;
}

const PEM_OR_OPENSSH_HEADER = /-----BEGIN [A-Z0-9 ]*PRIVATE KEY-----/;

/**
 * Secret `kube-system/sshkeys` holds the key base64-encoded (field `vsphere_tmp`); accept
 * that form as well as the key text itself, so callers need not know which one they have.
 */
function keyText(key: string | Buffer): Buffer {
  const text = Buffer.isBuffer(key) ? key.toString("utf8") : key;
  if (PEM_OR_OPENSSH_HEADER.test(text)) return Buffer.from(text, "utf8");
  const compact = text.replace(/\s+/g, "");
  if (compact !== "" && /^[A-Za-z0-9+/]+={0,2}$/.test(compact)) {
    const decoded = Buffer.from(compact, "base64");
    if (PEM_OR_OPENSSH_HEADER.test(decoded.toString("utf8"))) return decoded;
  }
  return Buffer.from(text, "utf8");
}

/**
 * Parses a private key (OpenSSH or PEM format: ed25519, RSA, ECDSA). `what` names the input
 * in the error, e.g. "the SSH private key" or "the jump host's private key".
 */
export function loadPrivateKey(
  key: string | Buffer,
  what: string,
  passphrase?: string,
): SshPrivateKey {
  const material = keyText(key);
  if (!PEM_OR_OPENSSH_HEADER.test(material.toString("utf8"))) {
    throw new SshError(
      "bad-input",
      `${what} is not a private key; expected an OpenSSH ("-----BEGIN OPENSSH PRIVATE KEY-----") ` +
        `or PEM private key, or its base64 encoding as stored in secret kube-system/sshkeys.`,
    );
  }
  const parsed = ssh2.utils.parseKey(material, passphrase);
  const first: ParsedKey | Error | undefined = Array.isArray(parsed) ? parsed[0] : parsed;
  if (!first || first instanceof Error) {
    // ssh2's parse errors describe the format ("Unsupported key format"), never the key.
    const detail = first instanceof Error ? first.message : "no key found";
    throw new SshError("bad-input", `${what} could not be read: ${detail}.`);
  }
  if (!first.isPrivateKey()) {
    throw new SshError("bad-input", `${what} is a public key; expected the private key.`);
  }
  return { material, type: first.type, publicFingerprint: sha256Fingerprint(first.getPublicSSH()) };
}
