/**
 * age X25519 keys: recipients (`age1...`, public, all the backup side ever needs) and
 * identities (`AGE-SECRET-KEY-1...`, secret, needed only to restore). Raw 32-byte keys are
 * wrapped in DER so that Node's crypto (OpenSSL) does the curve arithmetic.
 */
import {
  createPrivateKey,
  createPublicKey,
  generateKeyPairSync,
  type KeyObject,
} from "node:crypto";
import { ConfigurationError, errorMessage } from "../errors.ts";
import { quoteValue } from "../redact.ts";
import { bech32Decode, bech32Encode } from "./bech32.ts";

const RECIPIENT_HRP = "age";
const IDENTITY_HRP = "AGE-SECRET-KEY-";
/** The setting recipients come from, in core's words (each front door names it its own way). */
export const RECIPIENTS_FIELD = "recipients";
// The fixed DER prefixes of an X25519 SubjectPublicKeyInfo and PKCS#8 PrivateKeyInfo.
const SPKI_PREFIX = Buffer.from("302a300506032b656e032100", "hex");
const PKCS8_PREFIX = Buffer.from("302e020100300506032b656e04220420", "hex");

export function publicKeyFromRaw(raw: Buffer): KeyObject {
  return createPublicKey({ key: Buffer.concat([SPKI_PREFIX, raw]), format: "der", type: "spki" });
}

export function rawPublicKey(key: KeyObject): Buffer {
  return key.export({ format: "der", type: "spki" }).subarray(SPKI_PREFIX.length);
}

/** An X25519 recipient: who a backup is encrypted to. */
export class X25519Recipient {
  readonly publicKey: KeyObject;
  readonly raw: Buffer;
  private constructor(raw: Buffer) {
    this.raw = raw;
    this.publicKey = publicKeyFromRaw(raw);
  }

  static parse(text: string): X25519Recipient {
    const trimmed = text.trim();
    if (/^age-secret-key-1/i.test(trimmed)) {
      // The most common mix-up, and the dangerous one: never quote it, say what to give.
      throw new ConfigurationError(
        RECIPIENTS_FIELD,
        "an entry looks like an age identity (a private key, not shown here), not a recipient; give its recipient instead, age1..., as printed by age-keygen -y key.txt, and keep the identity out of this setting (rotate it if this log is shared).",
      );
    }
    let decoded: { hrp: string; data: Buffer };
    try {
      decoded = bech32Decode(trimmed);
    } catch (error) {
      throw new ConfigurationError(
        RECIPIENTS_FIELD,
        `the age recipient ${quoteValue(trimmed)} is not valid: ${errorMessage(error)}; expected a public key like age1... as printed by age-keygen.`,
        { cause: error },
      );
    }
    if (
      decoded.hrp !== RECIPIENT_HRP ||
      decoded.data.length !== 32 ||
      trimmed !== trimmed.toLowerCase()
    ) {
      throw new ConfigurationError(
        RECIPIENTS_FIELD,
        `the age recipient ${quoteValue(trimmed)} is not an X25519 public key; expected a lower-case key like age1... (32 bytes) as printed by age-keygen.`,
      );
    }
    return new X25519Recipient(decoded.data);
  }

  static fromRaw(raw: Buffer): X25519Recipient {
    return new X25519Recipient(Buffer.from(raw));
  }

  toString(): string {
    return bech32Encode(RECIPIENT_HRP, this.raw);
  }
}

/**
 * An X25519 identity. Its secret never leaves this object: it prints, logs and serialises
 * as its public recipient only.
 */
export class X25519Identity {
  readonly #privateKey: KeyObject;
  readonly recipient: X25519Recipient;

  private constructor(privateKey: KeyObject) {
    this.#privateKey = privateKey;
    this.recipient = X25519Recipient.fromRaw(rawPublicKey(createPublicKey(privateKey)));
  }

  /** Parses one `AGE-SECRET-KEY-1...` line. The error never repeats the secret. */
  static parse(text: string): X25519Identity {
    const trimmed = text.trim();
    let decoded: { hrp: string; data: Buffer } | undefined;
    let reason = "";
    try {
      decoded = bech32Decode(trimmed);
    } catch (error) {
      reason = `: ${errorMessage(error)}`;
    }
    if (
      !decoded ||
      decoded.hrp !== IDENTITY_HRP.toLowerCase() ||
      decoded.data.length !== 32 ||
      trimmed !== trimmed.toUpperCase()
    ) {
      throw new Error(
        `The age identity is not valid${reason}; expected one secret key line AGE-SECRET-KEY-1... as written by age-keygen (the key itself is not shown here).`,
      );
    }
    const privateKey = createPrivateKey({
      key: Buffer.concat([PKCS8_PREFIX, decoded.data]),
      format: "der",
      type: "pkcs8",
    });
    decoded.data.fill(0);
    return new X25519Identity(privateKey);
  }

  /** A fresh identity, and its secret line to hand to an operator (tests and key set-up). */
  static generate(): { identity: X25519Identity; secret: string } {
    const { privateKey } = generateKeyPairSync("x25519");
    const raw = privateKey.export({ format: "der", type: "pkcs8" }).subarray(PKCS8_PREFIX.length);
    return { identity: new X25519Identity(privateKey), secret: bech32Encode(IDENTITY_HRP, raw) };
  }

  /** For the header code only: the key to derive shared secrets with. */
  privateKeyForUnwrap(): KeyObject {
    return this.#privateKey;
  }

  toString(): string {
    return `[age identity for ${this.recipient}]`;
  }

  toJSON(): string {
    return this.toString();
  }

  [Symbol.for("nodejs.util.inspect.custom")](): string {
    return this.toString();
  }
}

/**
 * Parses an identity file as age writes it: one `AGE-SECRET-KEY-1...` per line, `#`
 * comments and blank lines ignored.
 */
export function parseIdentities(text: string): X25519Identity[] {
  const lines = text
    .split(/\r?\n/)
    .map((line) => line.trim())
    .filter((line) => line !== "" && !line.startsWith("#"));
  if (lines.length === 0) {
    throw new Error(
      "The age identity input is empty; expected at least one line AGE-SECRET-KEY-1... as written by age-keygen.",
    );
  }
  return lines.map((line) => X25519Identity.parse(line));
}

/** Parses recipients given as a list or as text with one per line (comments allowed). */
export function parseRecipients(input: string | readonly string[]): X25519Recipient[] {
  // Each entry may itself be several lines (a whole recipients file given as one value).
  const keys = (typeof input === "string" ? [input] : [...input])
    .flatMap((entry) => entry.split(/\r?\n/))
    .map((line) => line.trim())
    .filter((line) => !line.startsWith("#"))
    .flatMap((line) => line.split(/[\s,]+/))
    .filter((key) => key !== "");
  return keys.map((key) => X25519Recipient.parse(key));
}
