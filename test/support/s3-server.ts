/**
 * A real S3-compatible server for the tests: s3rver (npm), run as its own process on
 * 127.0.0.1 with its data in a temporary folder, so a test can stop it mid-upload by pid
 * exactly as a network or service outage would.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { mkdtemp, rm } from "node:fs/promises";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import path from "node:path";

/** s3rver's one built-in account. */
export const S3RVER_CREDENTIALS = { accessKeyId: "S3RVER", secretAccessKey: "S3RVER" };

export interface S3TestServer {
  endpoint: string;
  pid: number;
  /** Kills the server (SIGKILL by pid) but keeps its data folder. */
  kill(): Promise<void>;
  /** Kills the server if running and removes its data folder. */
  stop(): Promise<void>;
}

const STARTUP_TIMEOUT_MS = 20_000;

/**
 * Starts s3rver with the given buckets. Pass the `dataDir` of a killed server to start it
 * again over the same data, as after an outage.
 */
export async function startS3Server(options: {
  buckets: string[];
  dataDir?: string;
}): Promise<S3TestServer & { dataDir: string }> {
  const dataDir = options.dataDir ?? (await mkdtemp(path.join(tmpdir(), "s3-test-server-")));
  const s3rverBin = createRequire(import.meta.url).resolve("s3rver/bin/s3rver.js");
  const bucketArgs = options.buckets.flatMap((bucket) => ["--configure-bucket", bucket]);
  const child = spawn(
    process.execPath,
    [s3rverBin, "-d", dataDir, "-a", "127.0.0.1", "-p", "0", "--silent", ...bucketArgs],
    { stdio: ["ignore", "pipe", "pipe"] },
  );
  let port: number;
  try {
    port = await waitForListeningPort(child);
  } catch (error) {
    await killAndWait(child);
    await rm(dataDir, { recursive: true, force: true });
    throw error;
  }
  return {
    dataDir,
    endpoint: `http://127.0.0.1:${port}`,
    pid: child.pid!,
    kill: () => killAndWait(child),
    stop: async () => {
      await killAndWait(child);
      await rm(dataDir, { recursive: true, force: true });
    },
  };
}

function waitForListeningPort(child: ChildProcess): Promise<number> {
  return new Promise((resolve, reject) => {
    let output = "";
    const timer = setTimeout(
      () => reject(new Error(`s3rver did not start within ${STARTUP_TIMEOUT_MS} ms: ${output}`)),
      STARTUP_TIMEOUT_MS,
    );
    const onOutput = (data: Buffer) => {
      output += String(data);
      const match = /listening on [\d.]+:(\d+)/.exec(output);
      if (match) {
        clearTimeout(timer);
        resolve(Number(match[1]));
      }
    };
    child.stdout!.on("data", onOutput);
    child.stderr!.on("data", (data: Buffer) => (output += String(data)));
    child.once("exit", (code, signal) => {
      clearTimeout(timer);
      reject(new Error(`s3rver exited before listening (${code ?? signal}): ${output}`));
    });
  });
}

async function killAndWait(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  child.kill("SIGKILL");
  await exited;
}
