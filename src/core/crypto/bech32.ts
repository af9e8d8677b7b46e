/**
 * Bech32 (BIP 173, the original checksum constant), as age uses it for `age1...`
 * recipients and `AGE-SECRET-KEY-1...` identities. Unlike BIP 173, age sets no 90-character
 * limit, so neither do we.
 */
const CHARSET = "qpzry9x8gf2tvdw0s3jn54khce6mua7l";
const GENERATOR = [0x3b6a57b2, 0x26508e6d, 0x1ea119fa, 0x3d4233dd, 0x2a1462b3];

function polymod(values: number[]): number {
  let checksum = 1;
  for (const value of values) {
    const top = checksum >>> 25;
    checksum = ((checksum & 0x1ffffff) << 5) ^ value;
    for (let bit = 0; bit < 5; bit++) {
      if ((top >>> bit) & 1) checksum ^= GENERATOR[bit]!;
    }
  }
  return checksum;
}

function expandHrp(hrp: string): number[] {
  const high = [...hrp].map((char) => char.charCodeAt(0) >>> 5);
  const low = [...hrp].map((char) => char.charCodeAt(0) & 31);
  return [...high, 0, ...low];
}

function checksumFor(hrp: string, words: number[]): number[] {
  const mod = polymod([...expandHrp(hrp), ...words, 0, 0, 0, 0, 0, 0]) ^ 1;
  return Array.from({ length: 6 }, (_, index) => (mod >>> (5 * (5 - index))) & 31);
}

/** Regroups bits between 8-bit bytes and 5-bit words; strict about padding on decode. */
function convertBits(data: ArrayLike<number>, from: number, to: number, pad: boolean): number[] {
  let accumulator = 0;
  let bits = 0;
  const result: number[] = [];
  const maxValue = (1 << to) - 1;
  for (let index = 0; index < data.length; index++) {
    accumulator = (accumulator << from) | data[index]!;
    bits += from;
    while (bits >= to) {
      bits -= to;
      result.push((accumulator >>> bits) & maxValue);
    }
    accumulator &= (1 << bits) - 1;
  }
  if (pad) {
    if (bits > 0) result.push((accumulator << (to - bits)) & maxValue);
  } else if (bits >= from || accumulator !== 0) {
    throw new Error("it has leftover padding bits");
  }
  return result;
}

/** Encodes bytes under a human-readable prefix; the case of the prefix is kept for the whole string. */
export function bech32Encode(hrp: string, data: Uint8Array): string {
  const lowerHrp = hrp.toLowerCase();
  const words = convertBits(data, 8, 5, true);
  const encoded =
    lowerHrp +
    "1" +
    [...words, ...checksumFor(lowerHrp, words)].map((word) => CHARSET[word]).join("");
  return hrp === hrp.toUpperCase() && hrp !== lowerHrp ? encoded.toUpperCase() : encoded;
}

/** Decodes a bech32 string; throws an Error whose message completes "... is not valid bech32: ". */
export function bech32Decode(text: string): { hrp: string; data: Buffer } {
  if (text !== text.toLowerCase() && text !== text.toUpperCase()) {
    throw new Error("it mixes upper and lower case");
  }
  const lower = text.toLowerCase();
  const separator = lower.lastIndexOf("1");
  if (separator < 1 || separator + 7 > lower.length) {
    throw new Error("it has no prefix, separator '1' and 6-character checksum");
  }
  const hrp = lower.slice(0, separator);
  const words: number[] = [];
  for (const char of lower.slice(separator + 1)) {
    const word = CHARSET.indexOf(char);
    if (word < 0) throw new Error(`it contains the character '${char}'`);
    words.push(word);
  }
  if (polymod([...expandHrp(hrp), ...words]) !== 1) {
    throw new Error("its checksum does not match (a typo or a truncated copy?)");
  }
  return { hrp, data: Buffer.from(convertBits(words.slice(0, -6), 5, 8, false)) };
}
