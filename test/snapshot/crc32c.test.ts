import { randomBytes } from "node:crypto";
import { describe, expect, it } from "vitest";
import { Crc32c, crc32c } from "../../src/core/snapshot/crc32c.ts";

describe("CRC-32C, the hash of etcdctl snapshot status", () => {
  it("gives the Castagnoli check value for '123456789'", () => {
    expect(crc32c(Buffer.from("123456789"))).toBe(0xe3069283);
    expect(crc32c(Buffer.alloc(0))).toBe(0);
    expect(crc32c(Buffer.alloc(32, 0xff))).toBe(0x62a8ab43); // RFC 3720 B.4 test vector
  });

  it("gives the same value fed in pieces at any alignment as in one go", () => {
    const bytes = randomBytes(10_000);
    const whole = crc32c(bytes);
    for (const pieceSize of [1, 3, 7, 16, 17, 4095]) {
      const running = new Crc32c();
      for (let offset = 0; offset < bytes.length; offset += pieceSize)
        running.update(bytes.subarray(offset, offset + pieceSize));
      expect(running.value).toBe(whole);
    }
  });

  it("gives the same value when pieces come from different buffers in turn, pooled or not", () => {
    const bytes = randomBytes(4_000);
    const whole = crc32c(bytes);
    // Buffer.from copies small data into Node's shared pool at arbitrary offsets.
    const copies = [Buffer.from(bytes), Buffer.from(bytes.toString("latin1"), "latin1")];
    const running = new Crc32c();
    for (let offset = 0, turn = 0; offset < bytes.length; offset += 250, turn++) {
      running.update(copies[turn % 2]!.subarray(offset, offset + 250));
    }
    expect(running.value).toBe(whole);
  });
});
