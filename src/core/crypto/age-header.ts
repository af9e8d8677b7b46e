/**
 * The age v1 header (age-encryption.org/v1): the version line, one stanza per recipient,
 * and an HMAC-SHA-256 over all of it keyed from the file key. Only X25519 stanzas are
 * made or opened here; other stanza types are parsed and skipped, as age does.
 */
import {
  createCipheriv,
  createDecipheriv,
  createHmac,
  diffieHellman,
  generateKeyPairSync,
  hkdfSync,
  timingSafeEqual,
} from "node:crypto";
import {
  publicKeyFromRaw,
  rawPublicKey,
  type X25519Identity,
  type X25519Recipient,
} from "./age-keys.ts";

export const VERSION_LINE = "age-encryption.org/v1";
const X25519_LABEL = "age-encryption.org/v1/X25519";
const BODY_COLUMNS = 64;
/** Far above any real header; it stops a corrupt file being read whole as a "header". */
export const MAX_HEADER_BYTES = 1024 * 1024;

export interface Stanza {
  type: string;
  args: string[];
  body: Buffer;
}

export class AgeHeaderError extends Error {}

/** age's base64: the standard alphabet without padding, and only the canonical encoding. */
export function encodeBase64(data: Buffer): string {
  return data.toString("base64").replace(/=+$/, "");
}

export function decodeBase64(text: string, what: string): Buffer {
  const decoded = Buffer.from(text, "base64");
  if (!/^[A-Za-z0-9+/]*$/.test(text) || encodeBase64(decoded) !== text) {
    throw new AgeHeaderError(`the age header's ${what} is not canonical unpadded base64`);
  }
  return decoded;
}

export function hkdf(key: Buffer, salt: Buffer, info: string, length = 32): Buffer {
  return Buffer.from(hkdfSync("sha256", key, salt, info, length));
}

function sealWithZeroNonce(key: Buffer, plaintext: Buffer): Buffer {
  const cipher = createCipheriv("chacha20-poly1305", key, Buffer.alloc(12), { authTagLength: 16 });
  return Buffer.concat([cipher.update(plaintext), cipher.final(), cipher.getAuthTag()]);
}

function openWithZeroNonce(key: Buffer, sealed: Buffer): Buffer | undefined {
  const decipher = createDecipheriv("chacha20-poly1305", key, Buffer.alloc(12), {
    authTagLength: 16,
  });
  decipher.setAuthTag(sealed.subarray(sealed.length - 16));
  try {
    return Buffer.concat([
      decipher.update(sealed.subarray(0, sealed.length - 16)),
      decipher.final(),
    ]);
  } catch {
    return undefined;
  }
}

/** Wraps the file key to one recipient with a fresh ephemeral key (age's X25519 recipient). */
export function wrapFileKey(fileKey: Buffer, recipient: X25519Recipient): Stanza {
  const ephemeral = generateKeyPairSync("x25519");
  const ephemeralShare = rawPublicKey(ephemeral.publicKey);
  const sharedSecret = diffieHellman({
    privateKey: ephemeral.privateKey,
    publicKey: recipient.publicKey,
  });
  const wrapKey = hkdf(sharedSecret, Buffer.concat([ephemeralShare, recipient.raw]), X25519_LABEL);
  return {
    type: "X25519",
    args: [encodeBase64(ephemeralShare)],
    body: sealWithZeroNonce(wrapKey, fileKey),
  };
}

/** Tries to unwrap the file key from an X25519 stanza; undefined when it is for someone else. */
export function unwrapFileKey(stanza: Stanza, identity: X25519Identity): Buffer | undefined {
  if (stanza.args.length !== 1)
    throw new AgeHeaderError("an X25519 stanza must have exactly one argument");
  const ephemeralShare = decodeBase64(stanza.args[0]!, "X25519 ephemeral share");
  if (ephemeralShare.length !== 32)
    throw new AgeHeaderError("an X25519 ephemeral share must be 32 bytes");
  if (stanza.body.length !== 32) throw new AgeHeaderError("an X25519 stanza body must be 32 bytes");
  let sharedSecret: Buffer;
  try {
    sharedSecret = diffieHellman({
      privateKey: identity.privateKeyForUnwrap(),
      publicKey: publicKeyFromRaw(ephemeralShare),
    });
  } catch {
    // OpenSSL refuses low-order points (an all-zero shared secret), as the spec requires.
    throw new AgeHeaderError("an X25519 stanza carries a low-order ephemeral share");
  }
  if (sharedSecret.every((byte) => byte === 0)) {
    throw new AgeHeaderError("an X25519 stanza carries a low-order ephemeral share");
  }
  const salt = Buffer.concat([ephemeralShare, identity.recipient.raw]);
  return openWithZeroNonce(hkdf(sharedSecret, salt, X25519_LABEL), stanza.body);
}

function headerMac(fileKey: Buffer, headerUpToDashes: Buffer): Buffer {
  return createHmac("sha256", hkdf(fileKey, Buffer.alloc(0), "header"))
    .update(headerUpToDashes)
    .digest();
}

function encodeStanza(stanza: Stanza): string {
  const body = encodeBase64(stanza.body);
  const lines: string[] = [];
  for (let start = 0; start < body.length; start += BODY_COLUMNS)
    lines.push(body.slice(start, start + BODY_COLUMNS));
  // A body line of full width means "more follows", so a full last line needs an empty one after it.
  if (body.length % BODY_COLUMNS === 0) lines.push("");
  return `-> ${[stanza.type, ...stanza.args].join(" ")}\n${lines.join("\n")}\n`;
}

/** The complete header bytes, MAC line included, for a file key and its stanzas. */
export function encodeHeader(fileKey: Buffer, stanzas: Stanza[]): Buffer {
  const upToDashes = Buffer.from(
    `${VERSION_LINE}\n${stanzas.map(encodeStanza).join("")}---`,
    "latin1",
  );
  return Buffer.concat([
    upToDashes,
    Buffer.from(` ${encodeBase64(headerMac(fileKey, upToDashes))}\n`, "latin1"),
  ]);
}

export interface ParsedHeader {
  stanzas: Stanza[];
  /** The header bytes the MAC covers: everything up to and including "---". */
  macInput: Buffer;
  mac: Buffer;
  /** Bytes of the header including the MAC line's newline; the payload starts here. */
  length: number;
}

const ARGUMENT = /^[\x21-\x7e]+$/;

/**
 * Parses a header from the start of `data`. Returns undefined when `data` does not yet hold
 * the whole header (the caller reads more); throws AgeHeaderError when it is malformed.
 */
export function parseHeader(data: Buffer): ParsedHeader | undefined {
  let offset = 0;
  const nextLine = (): string | undefined => {
    const end = data.indexOf(0x0a, offset);
    if (end < 0) return undefined;
    const line = data.subarray(offset, end).toString("latin1");
    offset = end + 1;
    return line;
  };
  const version = nextLine();
  if (version === undefined) return checkPrefix(data);
  if (version !== VERSION_LINE) {
    checkPrefix(data);
    throw new AgeHeaderError(
      `it does not start with the line "${VERSION_LINE}" (not an age file, or another version)`,
    );
  }
  const stanzas: Stanza[] = [];
  while (true) {
    const lineStart = offset;
    const line = nextLine();
    if (line === undefined) return undefined;
    if (line.startsWith("--- ")) {
      const mac = decodeBase64(line.slice(4), "MAC");
      if (mac.length !== 32) throw new AgeHeaderError("the age header's MAC is not 32 bytes");
      if (stanzas.length === 0) throw new AgeHeaderError("the age header names no recipients");
      return { stanzas, macInput: data.subarray(0, lineStart + 3), mac, length: offset };
    }
    if (!line.startsWith("-> "))
      throw new AgeHeaderError("a header line is neither a stanza (->) nor the MAC (---)");
    const [type, ...args] = line.slice(3).split(" ");
    if (!type || ![type, ...args].every((arg) => ARGUMENT.test(arg))) {
      throw new AgeHeaderError("a stanza line has an empty or non-printable argument");
    }
    const bodyParts: Buffer[] = [];
    while (true) {
      const bodyLine = nextLine();
      if (bodyLine === undefined) return undefined;
      if (bodyLine.length > BODY_COLUMNS)
        throw new AgeHeaderError("a stanza body line is longer than 64 columns");
      bodyParts.push(decodeBase64(bodyLine, "stanza body"));
      if (bodyLine.length < BODY_COLUMNS) break;
    }
    stanzas.push({ type, args, body: Buffer.concat(bodyParts) });
  }
}

function checkPrefix(data: Buffer): undefined {
  if (data.subarray(0, 10).toString("latin1") === "-----BEGIN") {
    throw new AgeHeaderError(
      "it is ASCII-armored (age -a); store and restore binary age files, without -a",
    );
  }
  const expected = Buffer.from(`${VERSION_LINE}\n`, "latin1");
  const length = Math.min(data.length, expected.length);
  if (!data.subarray(0, length).equals(expected.subarray(0, length))) {
    throw new AgeHeaderError(
      `it does not start with the line "${VERSION_LINE}" (not an age file, or another version)`,
    );
  }
  return undefined;
}

/** Finds the file key for one of the identities and checks the header MAC with it. */
export function openHeader(header: ParsedHeader, identities: readonly X25519Identity[]): Buffer {
  for (const stanza of header.stanzas) {
    if (stanza.type !== "X25519") continue;
    for (const identity of identities) {
      const fileKey = unwrapFileKey(stanza, identity);
      if (fileKey === undefined) continue;
      if (fileKey.length !== 16)
        throw new AgeHeaderError("an X25519 stanza wraps a file key of the wrong size");
      const expected = headerMac(fileKey, header.macInput);
      if (!timingSafeEqual(expected, header.mac)) {
        throw new AgeHeaderError(
          "the age header's MAC does not match: the header was changed after it was written",
        );
      }
      return fileKey;
    }
  }
  const x25519Count = header.stanzas.filter((stanza) => stanza.type === "X25519").length;
  throw new NoMatchingIdentityError(
    `none of the ${identities.length} given age identit${identities.length === 1 ? "y" : "ies"} (${identities
      .map((identity) => identity.recipient.toString())
      .join(
        ", ",
      )}) can open it; it is encrypted to ${x25519Count} X25519 recipient${x25519Count === 1 ? "" : "s"} and ${
      header.stanzas.length - x25519Count
    } of other types`,
  );
}

export class NoMatchingIdentityError extends AgeHeaderError {}
