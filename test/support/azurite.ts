/**
 * Azurite's blob service (npm `azurite`), the Azure Blob Storage that GitHub artifacts
 * live in, run as its own process on 127.0.0.1 with its data in a temporary folder.
 * Telemetry is off (no outside network here) and the API version check is skipped: the
 * @azure/storage-blob inside @actions/artifact speaks a newer version than Azurite knows.
 */
import { mkdtemp, rm } from "node:fs/promises";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import path from "node:path";
import { startServerProcess } from "./s3-artifact-child.ts";

/** Azurite's well-known development account (public, documented by Microsoft). */
export const AZURITE_ACCOUNT = {
  name: "devstoreaccount1",
  key: "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==",
};

export interface AzuriteBlob {
  /** `http://127.0.0.1:<port>/devstoreaccount1` */
  accountUrl: string;
  port: number;
  dataDir: string;
  pid: number;
  /** Kills the service (SIGKILL by pid), keeping its data folder. */
  kill(): Promise<void>;
  /** Kills it if running and removes its data folder. */
  stop(): Promise<void>;
}

/** Starts Azurite; pass `port` and `dataDir` of a killed instance to bring it back. */
export async function startAzurite(
  options: { port?: number; dataDir?: string } = {},
): Promise<AzuriteBlob> {
  const dataDir = options.dataDir ?? (await mkdtemp(path.join(tmpdir(), "artifact-azurite-")));
  const blobMain = path.join(
    path.dirname(createRequire(import.meta.url).resolve("azurite/package.json")),
    "dist/src/blob/main.js",
  );
  try {
    const server = await startServerProcess({
      name: "Azurite",
      nodeArguments: [
        blobMain,
        ...["--blobHost", "127.0.0.1", "--blobPort", String(options.port ?? 0)],
        ...["--location", dataDir, "--skipApiVersionCheck", "--disableTelemetry", "--silent"],
      ],
      listening: /listens on http:\/\/127\.0\.0\.1:(\d+)/,
      timeoutMs: 30_000,
    });
    return {
      accountUrl: `http://127.0.0.1:${server.port}/${AZURITE_ACCOUNT.name}`,
      port: server.port,
      dataDir,
      pid: server.pid,
      kill: server.kill,
      stop: async () => {
        await server.kill();
        await rm(dataDir, { recursive: true, force: true });
      },
    };
  } catch (error) {
    if (!options.dataDir) await rm(dataDir, { recursive: true, force: true });
    throw error;
  }
}
