import { afterEach, describe, expect, it } from "vitest";
import {
  getInputAsBool,
  getInputAsChoice,
  getInputAsInt,
  getInputAsList,
  getRequiredInput,
} from "../../src/actions/common/inputs.ts";

const setInput = (name: string, value: string) => {
  process.env[`INPUT_${name.toUpperCase()}`] = value;
};
afterEach(() => {
  for (const key of Object.keys(process.env)) if (key.startsWith("INPUT_")) delete process.env[key];
});

describe("action inputs", () => {
  it("reads booleans and names the input when it is neither", () => {
    expect(getInputAsBool("dry-run", false)).toBe(false);
    setInput("dry-run", "TRUE");
    expect(getInputAsBool("dry-run", false)).toBe(true);
    setInput("dry-run", "maybe");
    expect(() => getInputAsBool("dry-run", false)).toThrow(
      'Input dry-run is "maybe": expected true or false.',
    );
  });

  it("reads bounded whole numbers", () => {
    expect(getInputAsInt("retention-count")).toBeUndefined();
    setInput("retention-count", "7");
    expect(getInputAsInt("retention-count", { min: 1 })).toBe(7);
    setInput("retention-count", "0");
    expect(() => getInputAsInt("retention-count", { min: 1, max: 1000 })).toThrow(
      'Input retention-count is "0": expected a whole number from 1 to 1000.',
    );
    setInput("retention-count", "-3");
    expect(() => getInputAsInt("retention-count")).toThrow(/expected a whole number/);
  });

  it("reads lists one per line or comma-separated, comment lines dropped, a '#' inside a value kept", () => {
    setInput("clusters", "# the clusters of site A\nadmin, uc1\n  # uc3 is retired\nuc2\n\n");
    expect(getInputAsList("clusters")).toEqual(["admin", "uc1", "uc2"]);
    // Cutting at the '#' would silently back up /etc/kubernetes/pki instead.
    setInput("paths", "/etc/kubernetes/pki#old\n/opt/data # keys");
    expect(getInputAsList("paths")).toEqual(["/etc/kubernetes/pki#old", "/opt/data # keys"]);
  });

  it("reads choices and required inputs", () => {
    setInput("compression", "lz4");
    expect(() => getInputAsChoice("compression", ["zstd", "gzip", "none"], "zstd")).toThrow(
      'Input compression is "lz4": expected one of zstd, gzip, none.',
    );
    expect(() => getRequiredInput("clusters", "admin, all, or user cluster names")).toThrow(
      "Input clusters is required: expected admin, all, or user cluster names.",
    );
  });
});
