/**
 * The admin undo's PKI script under dash, on folders laid out as PKI_RESTORE_SCRIPT leaves
 * them: whole folders (`always`) or single files (`files`) kept in <path>.pre-restore-<stamp>.
 */
import { execFile } from "node:child_process";
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  readdirSync,
  rmSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { afterAll, describe, expect, it } from "vitest";
import { PKI_UNDO_SCRIPT } from "../../src/core/etcd/static-pod-scripts.ts";

const execFileAsync = promisify(execFile);
const roots: string[] = [];

function scratch(): string {
  const root = mkdtempSync(join(tmpdir(), "pki-undo-"));
  roots.push(root);
  return root;
}

function put(path: string, text: string): void {
  mkdirSync(join(path, ".."), { recursive: true });
  writeFileSync(path, text);
}

async function undoPki(...args: string[]): Promise<string> {
  const { stdout } = await execFileAsync("dash", ["-c", PKI_UNDO_SCRIPT, "sh", ...args]);
  return stdout;
}

afterAll(() => {
  for (const root of roots) rmSync(root, { recursive: true, force: true });
});

describe("PKI_UNDO_SCRIPT", () => {
  it("always: swaps the whole folder back and keeps the restored one as pre-undo; a rerun changes nothing", async () => {
    const pki = join(scratch(), "pki");
    put(join(pki, "ca.crt"), "restored ca");
    put(join(pki, "extra.key"), "only in the backup");
    put(join(`${pki}.pre-restore-R`, "ca.crt"), "old ca");
    expect(await undoPki("R", "U", "always", pki)).toBe(`put back ${pki}\n`);
    expect(readdirSync(pki)).toEqual(["ca.crt"]);
    expect(readFileSync(join(pki, "ca.crt"), "utf8")).toBe("old ca");
    expect(readFileSync(join(`${pki}.pre-undo-U`, "extra.key"), "utf8")).toBe("only in the backup");
    expect(existsSync(`${pki}.pre-restore-R`)).toBe(false);
    expect(await undoPki("R", "U", "always", pki)).toBe("");
    expect(readFileSync(join(pki, "ca.crt"), "utf8")).toBe("old ca");
  });

  it("files: puts back each kept file, keeps the restored ones as pre-undo, leaves the others", async () => {
    const pki = join(scratch(), "pki");
    put(join(pki, "ca.crt"), "ca");
    put(join(pki, "etcd/server.crt"), "restored server");
    put(join(`${pki}.pre-restore-R`, "etcd/server.crt"), "old server");
    expect(await undoPki("R", "U", "files", pki)).toBe(`put back ${pki}/etcd/server.crt\n`);
    expect(readFileSync(join(pki, "etcd/server.crt"), "utf8")).toBe("old server");
    expect(readFileSync(join(pki, "ca.crt"), "utf8")).toBe("ca");
    expect(readFileSync(join(`${pki}.pre-undo-U`, "etcd/server.crt"), "utf8")).toBe(
      "restored server",
    );
    expect(existsSync(`${pki}.pre-restore-R`)).toBe(false);
  });
});
