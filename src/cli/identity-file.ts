/**
 * `--identity-file` of the CLI's restore and drill: the age identities read from a file,
 * one clear error when it cannot be read or holds none. The file's content never appears in
 * an error (it is a private key).
 */
import { readFile } from "node:fs/promises";
import { parseIdentities, type X25519Identity } from "../core/crypto/age.ts";
import { checkedFlag, FlagError } from "./backup.ts";

export async function readIdentityFile(path: string): Promise<X25519Identity[]> {
  const text = await readFile(path, "utf8").catch((error: NodeJS.ErrnoException) => {
    throw new FlagError(
      `--identity-file: cannot read ${path} (${error.code ?? "error"}); expected an age identity file.`,
    );
  });
  return checkedFlag("--identity-file", () => {
    const parsed = parseIdentities(text);
    if (parsed.length === 0) throw new Error("no identity found");
    return parsed;
  });
}
