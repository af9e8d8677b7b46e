import { randomBytes } from "node:crypto";
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Readable } from "node:stream";
import { inspect } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { X25519Recipient } from "../../src/core/crypto/age.ts";
import {
  AgeDecryptionError,
  createAgeDecryptStream,
  createAgeEncryptStream,
  parseIdentities,
  parseRecipients,
  X25519Identity,
} from "../../src/core/crypto/age.ts";
import { sha256Hex } from "../../src/core/crypto/hash.ts";
import { ageDecrypt, ageEncrypt, ageKeygen, recipientOfSecret } from "./support/age-cli.ts";

const CHUNK = 64 * 1024;
// Sizes around age's 64 KiB chunk boundaries, where a STREAM implementation goes wrong.
// Then around the 16-chunk batches the stream seals and opens per output buffer.
const SIZES = [
  0,
  1,
  CHUNK - 1,
  CHUNK,
  CHUNK + 1,
  2 * CHUNK,
  3 * CHUNK + 17,
  16 * CHUNK,
  16 * CHUNK + 1,
  17 * CHUNK,
  33 * CHUNK - 1,
];

async function collect(stream: NodeJS.ReadableStream): Promise<Buffer> {
  const parts: Buffer[] = [];
  for await (const part of stream) parts.push(part as Buffer);
  return Buffer.concat(parts);
}

function encrypt(data: Buffer, recipients: X25519Recipient[]): Promise<Buffer> {
  return collect(Readable.from([data]).pipe(createAgeEncryptStream(recipients)));
}

async function decrypt(data: Buffer, identities: X25519Identity[]): Promise<Buffer> {
  const stream = createAgeDecryptStream(identities, "the test file");
  // Feed in odd-sized pieces so header and chunk parsing must cope with any split.
  const pieces: Buffer[] = [];
  for (let offset = 0; offset < data.length; offset += 7777)
    pieces.push(data.subarray(offset, offset + 7777));
  return collect(Readable.from(pieces.length ? pieces : [Buffer.alloc(0)]).pipe(stream));
}

let folder: string;
let keyPath: string;
let cliRecipient: string;

beforeAll(async () => {
  folder = await mkdtemp(join(tmpdir(), "age-test-"));
  keyPath = join(folder, "key.txt");
  cliRecipient = await ageKeygen(keyPath);
});

afterAll(async () => {
  await rm(folder, { recursive: true, force: true });
});

describe("age interoperability with the age CLI", () => {
  it.each(SIZES)("a %i-byte file encrypted here decrypts with age -d -i key", async (size) => {
    const plaintext = randomBytes(size);
    const encrypted = await encrypt(plaintext, parseRecipients([cliRecipient]));
    await writeFile(join(folder, "ours.age"), encrypted);
    await ageDecrypt(join(folder, "ours.age"), join(folder, "ours.out"), keyPath);
    expect(sha256Hex(await readFile(join(folder, "ours.out")))).toBe(sha256Hex(plaintext));
  });

  it.each(SIZES)("a %i-byte file made with age -r reads back here", async (size) => {
    const plaintext = randomBytes(size);
    await writeFile(join(folder, "plain"), plaintext);
    await ageEncrypt(join(folder, "plain"), join(folder, "theirs.age"), [cliRecipient]);
    const identities = parseIdentities(await readFile(keyPath, "utf8"));
    const decrypted = await decrypt(await readFile(join(folder, "theirs.age")), identities);
    expect(sha256Hex(decrypted)).toBe(sha256Hex(plaintext));
  });

  it("reads a file age made for several recipients with the identity of the second", async () => {
    const other = X25519Identity.generate();
    await writeFile(join(folder, "plain"), "for two recipients\n");
    await ageEncrypt(join(folder, "plain"), join(folder, "two.age"), [
      cliRecipient,
      other.identity.recipient.toString(),
    ]);
    const decrypted = await decrypt(await readFile(join(folder, "two.age")), [other.identity]);
    expect(decrypted.toString()).toBe("for two recipients\n");
  });

  it("writes a file for several recipients that each of them can open with the age CLI", async () => {
    const second = X25519Identity.generate();
    const encrypted = await encrypt(Buffer.from("shared\n"), [
      parseRecipients([cliRecipient])[0]!,
      second.identity.recipient,
    ]);
    await writeFile(join(folder, "shared.age"), encrypted);
    await writeFile(join(folder, "second.key"), `${second.secret}\n`, { mode: 0o600 });
    await ageDecrypt(join(folder, "shared.age"), join(folder, "a.out"), keyPath);
    await ageDecrypt(join(folder, "shared.age"), join(folder, "b.out"), join(folder, "second.key"));
    expect((await readFile(join(folder, "a.out"))).toString()).toBe("shared\n");
    expect((await readFile(join(folder, "b.out"))).toString()).toBe("shared\n");
  });

  it("encodes generated keys exactly as age-keygen does", async () => {
    const generated = X25519Identity.generate();
    await writeFile(join(folder, "generated.key"), `${generated.secret}\n`, { mode: 0o600 });
    expect(await recipientOfSecret(join(folder, "generated.key"))).toBe(
      generated.identity.recipient.toString(),
    );
    const cliIdentity = parseIdentities(await readFile(keyPath, "utf8"))[0]!;
    expect(cliIdentity.recipient.toString()).toBe(cliRecipient);
  });
});

describe("age decryption failures", () => {
  const owner = X25519Identity.generate().identity;
  const plaintext = randomBytes(3 * CHUNK + 100);
  let encrypted: Buffer;
  beforeAll(async () => {
    encrypted = await encrypt(plaintext, [owner.recipient]);
  });

  it("names the identity that was tried when it is the wrong one", async () => {
    const stranger = X25519Identity.generate().identity;
    const failure = decrypt(encrypted, [stranger]);
    await expect(failure).rejects.toThrow(AgeDecryptionError);
    await expect(failure).rejects.toThrow(
      `none of the 1 given age identity (${stranger.recipient}) can open it`,
    );
  });

  it("refuses a payload with one changed byte, naming the chunk", async () => {
    const tampered = Buffer.from(encrypted);
    const offset = tampered.length - CHUNK; // inside the third chunk, number 2
    tampered[offset] = tampered[offset]! ^ 0x01;
    await expect(decrypt(tampered, [owner])).rejects.toThrow(
      /chunk number 2 does not authenticate/,
    );
  });

  it("refuses a header with a changed recipient stanza", async () => {
    const tampered = Buffer.from(encrypted);
    const stanza = tampered.indexOf("-> X25519 ");
    tampered[stanza + 12] = tampered[stanza + 12] === 0x41 ? 0x42 : 0x41;
    await expect(decrypt(tampered, [owner])).rejects.toThrow(AgeDecryptionError);
  });

  it("refuses a file truncated exactly at a chunk boundary", async () => {
    const headerAndNonce = encrypted.length - (plaintext.length + 4 * 16);
    const truncated = encrypted.subarray(0, headerAndNonce + 2 * (CHUNK + 16));
    await expect(decrypt(truncated, [owner])).rejects.toThrow(/truncated or changed/);
  });

  it("refuses a file truncated in the middle of a chunk", async () => {
    await expect(decrypt(encrypted.subarray(0, encrypted.length - 1000), [owner])).rejects.toThrow(
      /truncated/,
    );
  });

  it("refuses a file cut off inside its header", async () => {
    await expect(decrypt(encrypted.subarray(0, 40), [owner])).rejects.toThrow(
      /before its payload starts/,
    );
  });

  it("says so when the input is not an age file, or is armored", async () => {
    await expect(
      decrypt(Buffer.from("SQLite format 3\0 not age at all\n"), [owner]),
    ).rejects.toThrow(/does not start with the line "age-encryption.org\/v1"/);
    await expect(
      decrypt(Buffer.from("-----BEGIN AGE ENCRYPTED FILE-----\nYWdl\n"), [owner]),
    ).rejects.toThrow(/ASCII-armored/);
  });
});

describe("age keys", () => {
  it("rejects a recipient with a typo, naming it and what was expected", () => {
    const { identity } = X25519Identity.generate();
    const text = identity.recipient.toString();
    const typo = `${text.slice(0, 10)}${text[10] === "q" ? "p" : "q"}${text.slice(11)}`;
    expect(() => parseRecipients([typo])).toThrow(
      `recipients: the age recipient "${typo}" is not valid: its checksum does not match`,
    );
    expect(() => parseRecipients(["ssh-ed25519 AAAA"])).toThrow(/expected a public key like age1/);
  });

  it("parses recipient lists with comments, commas and blank lines", () => {
    const a = X25519Identity.generate().identity.recipient.toString();
    const b = X25519Identity.generate().identity.recipient.toString();
    expect(parseRecipients(`# backup keys\n${a}, ${b}\n\n`).map(String)).toEqual([a, b]);
  });

  it("never shows the secret of an identity, not even in an error", () => {
    const { identity, secret } = X25519Identity.generate();
    for (const shown of [
      String(identity),
      JSON.stringify({ identity }),
      inspect(identity),
      inspect({ nested: identity }),
    ]) {
      expect(shown).not.toContain(secret);
      expect(shown).not.toContain(secret.slice(15, 40));
      expect(shown).toContain(identity.recipient.toString());
    }
    const broken = `${secret.slice(0, -1)}${secret.endsWith("Q") ? "P" : "Q"}`;
    let message = "";
    try {
      parseIdentities(broken);
    } catch (error) {
      message = (error as Error).message;
    }
    expect(message).toMatch(/The age identity is not valid: its checksum does not match/);
    expect(message).not.toContain(broken.slice(15, 40));
  });

  it("reads identity files with comments as age-keygen writes them", async () => {
    const text = await readFile(keyPath, "utf8");
    expect(text).toMatch(/^# created: /m);
    expect(parseIdentities(text)).toHaveLength(1);
    expect(() => parseIdentities("# only a comment\n")).toThrow(/The age identity input is empty/);
  });
});
