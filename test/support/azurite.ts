/**
 * Azurite's blob service (npm `azurite`), the Azure Blob Storage that GitHub artifacts
 * live in, run as its own process on 127.0.0.1 with its data in a temporary folder.
 * Telemetry is off (no outside network here) and the API version check is skipped: the
 * @azure/storage-blob inside @actions/artifact speaks a newer version than Azurite knows.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { mkdtemp, rm } from "node:fs/promises";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import path from "node:path";

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

const STARTUP_TIMEOUT_MS = 30_000;

/** Starts Azurite; pass `port` and `dataDir` of a killed instance to bring it back. */
export async function startAzurite(
  options: { port?: number; dataDir?: string } = {},
): Promise<AzuriteBlob> {
  const dataDir = options.dataDir ?? (await mkdtemp(path.join(tmpdir(), "artifact-azurite-")));
  const blobMain = path.join(
    path.dirname(createRequire(import.meta.url).resolve("azurite/package.json")),
    "dist/src/blob/main.js",
  );
  const child = spawn(
    process.execPath,
    [
      blobMain,
      "--blobHost",
      "127.0.0.1",
      "--blobPort",
      String(options.port ?? 0),
      "--location",
      dataDir,
      "--skipApiVersionCheck",
      "--disableTelemetry",
      "--silent",
    ],
    { stdio: ["ignore", "pipe", "pipe"] },
  );
  let port: number;
  try {
    port = await waitForListeningPort(child);
  } catch (error) {
    await killAndWait(child);
    if (!options.dataDir) await rm(dataDir, { recursive: true, force: true });
    throw error;
  }
  return {
    accountUrl: `http://127.0.0.1:${port}/${AZURITE_ACCOUNT.name}`,
    port,
    dataDir,
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
      () => reject(new Error(`Azurite did not start within ${STARTUP_TIMEOUT_MS} ms: ${output}`)),
      STARTUP_TIMEOUT_MS,
    );
    const onOutput = (data: Buffer) => {
      output += String(data);
      const match = /listens on http:\/\/127\.0\.0\.1:(\d+)/.exec(output);
      if (match) {
        clearTimeout(timer);
        resolve(Number(match[1]));
      }
    };
    child.stdout!.on("data", onOutput);
    child.stderr!.on("data", onOutput);
    child.once("exit", (code, signal) => {
      clearTimeout(timer);
      reject(new Error(`Azurite exited before listening (${code ?? signal}): ${output}`));
    });
  });
}

async function killAndWait(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  child.kill("SIGKILL");
  await exited;
}
