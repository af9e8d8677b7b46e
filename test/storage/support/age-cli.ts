/** The real `age`, `age-keygen` and `zstd` command-line tools, for interoperability tests. */
import { execFile } from "node:child_process";
import { writeFile } from "node:fs/promises";
import { promisify } from "node:util";

const run = promisify(execFile);

export async function ageKeygen(keyPath: string): Promise<string> {
  await run("age-keygen", ["-o", keyPath]);
  return (await run("age-keygen", ["-y", keyPath])).stdout.trim();
}

export async function recipientOfSecret(keyPath: string): Promise<string> {
  return (await run("age-keygen", ["-y", keyPath])).stdout.trim();
}

export async function ageEncrypt(
  input: string,
  output: string,
  recipients: string[],
): Promise<void> {
  await run("age", [...recipients.flatMap((recipient) => ["-r", recipient]), "-o", output, input]);
}

/** Decrypts with `age -d -i`; its stdout is written to `output` (age creates no file for empty output). */
export async function ageDecrypt(input: string, output: string, keyPath: string): Promise<void> {
  const { stdout } = await run("age", ["-d", "-i", keyPath, input], {
    encoding: "buffer",
    maxBuffer: 256 * 1024 * 1024,
  });
  await writeFile(output, stdout);
}

export async function zstdDecompress(input: string, output: string): Promise<void> {
  await run("zstd", ["-q", "-d", "-f", input, "-o", output]);
}
