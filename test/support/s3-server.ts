/**
 * A real S3-compatible server for the tests: s3rver (npm), run as its own process on
 * 127.0.0.1 with its data in a temporary folder, so a test can stop it mid-upload by pid
 * exactly as a network or service outage would.
 *
 * Known limits of s3rver 3.7 that the tests live with: it checks the access key id but not
 * SigV4 signatures, and it does not implement AbortMultipartUpload (an aborted upload's
 * parts stay in its data folder; they are never listed as objects).
 */
import { mkdtemp, rm } from "node:fs/promises";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import path from "node:path";
import { startServerProcess } from "./s3-artifact-child.ts";

/** s3rver's one built-in account. */
export const S3RVER_CREDENTIALS = { accessKeyId: "S3RVER", secretAccessKey: "S3RVER" };

export interface S3TestServer {
  endpoint: string;
  pid: number;
  dataDir: string;
  /** Kills the server (SIGKILL by pid) but keeps its data folder. */
  kill(): Promise<void>;
  /** Kills the server if running and removes its data folder. */
  stop(): Promise<void>;
}

/**
 * Starts s3rver with the given buckets. Pass the `dataDir` of a killed server to start it
 * again over the same data, as after an outage.
 */
export async function startS3Server(options: {
  buckets: string[];
  dataDir?: string;
}): Promise<S3TestServer> {
  const dataDir = options.dataDir ?? (await mkdtemp(path.join(tmpdir(), "s3-test-server-")));
  const s3rverBin = createRequire(import.meta.url).resolve("s3rver/bin/s3rver.js");
  const bucketArgs = options.buckets.flatMap((bucket) => ["--configure-bucket", bucket]);
  try {
    const server = await startServerProcess({
      name: "s3rver",
      nodeArguments: [
        s3rverBin,
        ...["-d", dataDir, "-a", "127.0.0.1", "-p", "0", "--silent"],
        ...bucketArgs,
      ],
      listening: /listening on [\d.]+:(\d+)/,
      timeoutMs: 20_000,
    });
    return {
      dataDir,
      endpoint: `http://127.0.0.1:${server.port}`,
      pid: server.pid,
      kill: server.kill,
      stop: async () => {
        await server.kill();
        await rm(dataDir, { recursive: true, force: true });
      },
    };
  } catch (error) {
    await rm(dataDir, { recursive: true, force: true });
    throw error;
  }
}
