/**
 * Real etcd for the snapshot tests: start the Debian etcd 3.4 on free loopback ports in a
 * temp dir, fill it through its grpc-gateway (JSON over HTTP with keep-alive, 128 puts per
 * txn so tens of thousands of keys take seconds), save snapshots with `etcdctl`, and read
 * back what etcd itself says about them (`snapshot status`, and the keys of an etcd
 * restored from the file). Every process and folder made here is removed by `cleanup()`.
 */
import { execFile, spawn, type ChildProcess } from "node:child_process";
import { mkdtempSync, openSync, closeSync, rmSync, readFileSync } from "node:fs";
import { createServer, type Server } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";

const execFileAsync = promisify(execFile);
const ETCD = "/usr/bin/etcd";
const ETCDCTL = "/usr/bin/etcdctl";
/** etcd's default --max-txn-ops. */
const OPS_PER_TXN = 128;

/** Folders and processes to remove, even when a test fails half way. */
const owned = { dirs: new Set<string>(), processes: new Set<ChildProcess>() };

process.once("exit", () => {
  for (const child of owned.processes) if (child.pid) killQuietly(child.pid);
});

function killQuietly(pid: number): void {
  try {
    process.kill(pid, "SIGKILL");
  } catch {
    // already gone
  }
}

export function makeTempDir(label: string): string {
  const dir = mkdtempSync(join(tmpdir(), `snapshot-test-${label}-`));
  owned.dirs.add(dir);
  return dir;
}

/** Stops every etcd and removes every folder this module made. */
export async function cleanup(): Promise<void> {
  await Promise.all([...owned.processes].map((child) => stopProcess(child)));
  for (const dir of owned.dirs) rmSync(dir, { recursive: true, force: true });
  owned.dirs.clear();
}

async function stopProcess(child: ChildProcess): Promise<void> {
  owned.processes.delete(child);
  if (child.exitCode !== null || child.signalCode !== null || !child.pid) return;
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  process.kill(child.pid, "SIGTERM");
  const timer = setTimeout(() => child.pid && killQuietly(child.pid), 5_000);
  await exited;
  clearTimeout(timer);
}

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.on("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const address = server.address();
      server.close(() => resolve(typeof address === "object" && address ? address.port : 0));
    });
  });
}

/** `count` distinct free loopback ports (held open together while chosen, so all differ). */
export async function freePorts(count: number): Promise<number[]> {
  const servers = await Promise.all(
    Array.from(
      { length: count },
      () =>
        new Promise<Server>((resolve, reject) => {
          const server = createServer();
          server.on("error", reject);
          server.listen(0, "127.0.0.1", () => resolve(server));
        }),
    ),
  );
  const ports = servers.map((server) => {
    const address = server.address();
    return typeof address === "object" && address ? address.port : 0;
  });
  await Promise.all(servers.map((server) => new Promise((resolve) => server.close(resolve))));
  return ports;
}

export interface EtcdOptions {
  /** An existing data dir (e.g. one `etcdctl snapshot restore` made); a fresh one if absent. */
  dataDir?: string;
  /** Passed as --name; must match the name a restored data dir was made with. */
  name?: string;
  quotaBackendBytes?: number;
}

/** A running etcd on loopback, spoken to through its grpc-gateway. */
export class Etcd {
  private constructor(
    readonly clientUrl: string,
    readonly dataDir: string,
    private readonly child: ChildProcess,
  ) {}

  static async start(options: EtcdOptions = {}): Promise<Etcd> {
    const dataDir = options.dataDir ?? join(makeTempDir("etcd"), "data");
    const name = options.name ?? "default";
    // Two free ports can collide with another engineer's etcd between probe and bind: retry.
    for (let attempt = 1; ; attempt++) {
      const [clientPort, peerPort] = [await freePort(), await freePort()];
      const clientUrl = `http://127.0.0.1:${clientPort}`;
      const peerUrl = `http://127.0.0.1:${peerPort}`;
      const logFile = join(makeTempDir("etcd-log"), "etcd.log");
      const logFd = openSync(logFile, "a");
      const args = [
        `--name=${name}`,
        `--data-dir=${dataDir}`,
        `--listen-client-urls=${clientUrl}`,
        `--advertise-client-urls=${clientUrl}`,
        `--listen-peer-urls=${peerUrl}`,
        `--initial-advertise-peer-urls=${peerUrl}`,
        `--initial-cluster=${name}=${peerUrl}`,
        "--logger=zap",
        "--log-level=warn",
        // One member on loopback: elect itself at once instead of after the default 1 s.
        "--heartbeat-interval=10",
        "--election-timeout=100",
      ];
      if (options.quotaBackendBytes)
        args.push(`--quota-backend-bytes=${options.quotaBackendBytes}`);
      const child = spawn(ETCD, args, { stdio: ["ignore", logFd, logFd] });
      closeSync(logFd);
      owned.processes.add(child);
      const etcd = new Etcd(clientUrl, dataDir, child);
      if (await etcd.waitHealthy()) return etcd;
      await stopProcess(child);
      if (attempt >= 3) {
        throw new Error(
          `etcd did not become healthy on ${clientUrl}; its log:\n${readFileSync(logFile, "utf8")}`,
        );
      }
    }
  }

  async stop(): Promise<void> {
    await stopProcess(this.child);
  }

  private async waitHealthy(): Promise<boolean> {
    const deadline = Date.now() + 15_000;
    while (Date.now() < deadline) {
      if (this.child.exitCode !== null) return false;
      try {
        const response = await fetch(`${this.clientUrl}/health`);
        const body = (await response.json()) as { health?: string };
        if (body.health === "true") return true;
      } catch {
        // not listening yet
      }
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    return false;
  }

  private async call<T>(path: string, body: unknown): Promise<T> {
    const response = await fetch(`${this.clientUrl}${path}`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify(body),
    });
    const text = await response.text();
    if (!response.ok) throw new Error(`etcd ${path} answered ${response.status}: ${text}`);
    return JSON.parse(text) as T;
  }

  async put(key: string | Buffer, value: string | Buffer, lease?: string): Promise<void> {
    await this.putMany([{ key, value, ...(lease ? { lease } : {}) }]);
  }

  /** Puts in transactions of 128 (etcd's --max-txn-ops), a few transactions in flight. */
  async putMany(
    entries: Array<{ key: string | Buffer; value: string | Buffer; lease?: string }>,
  ): Promise<void> {
    const batches: (typeof entries)[] = [];
    for (let start = 0; start < entries.length; start += OPS_PER_TXN) {
      batches.push(entries.slice(start, start + OPS_PER_TXN));
    }
    const inFlight = 4;
    let next = 0;
    const worker = async () => {
      while (next < batches.length) {
        const batch = batches[next++]!;
        await this.call("/v3/kv/txn", {
          success: batch.map((entry) => ({
            requestPut: {
              key: base64(entry.key),
              value: base64(entry.value),
              ...(entry.lease ? { lease: entry.lease } : {}),
            },
          })),
        });
      }
    };
    await Promise.all(Array.from({ length: inFlight }, worker));
  }

  async delete(key: string, options: { prefix?: boolean } = {}): Promise<void> {
    const rangeEnd = options.prefix ? prefixEnd(Buffer.from(key)) : undefined;
    await this.call("/v3/kv/deleterange", {
      key: base64(key),
      ...(rangeEnd ? { range_end: rangeEnd.toString("base64") } : {}),
    });
  }

  /** Current revision of the store. */
  async revision(): Promise<number> {
    const answer = await this.call<{ header: { revision: string } }>("/v3/kv/range", {
      key: base64("\0"),
    });
    return Number(answer.header.revision);
  }

  async compact(revision: number): Promise<void> {
    await this.call("/v3/kv/compaction", { revision: String(revision), physical: true });
  }

  /** Grants a lease and returns its id as the decimal string the gateway uses. */
  async grantLease(ttlSeconds: number): Promise<string> {
    const answer = await this.call<{ ID: string }>("/v3/lease/grant", { TTL: String(ttlSeconds) });
    return answer.ID;
  }

  /** `etcdctl snapshot save` into `file`. */
  async saveSnapshot(file: string): Promise<string> {
    await execFileAsync(ETCDCTL, [`--endpoints=${this.clientUrl}`, "snapshot", "save", file], {
      env: { ...process.env, ETCDCTL_API: "3" },
    });
    return file;
  }

  /** `etcdctl get "" --prefix --keys-only -w json`: key and revisions of every live key. */
  async listKeys(): Promise<EtcdKey[]> {
    const { stdout } = await execFileAsync(
      ETCDCTL,
      [`--endpoints=${this.clientUrl}`, "get", "", "--prefix", "--keys-only", "-w", "json"],
      { env: { ...process.env, ETCDCTL_API: "3" }, maxBuffer: 256 * 1024 * 1024 },
    );
    // Lease ids are 63-bit: keep their digits exact by quoting them before JSON.parse.
    const answer = JSON.parse(stdout.replace(/"lease":(\d+)/g, '"lease":"$1"')) as {
      kvs?: Array<{
        key: string;
        create_revision: number;
        mod_revision: number;
        version: number;
        lease?: string;
      }>;
    };
    return (answer.kvs ?? []).map((kv) => ({
      key: Buffer.from(kv.key, "base64").toString("latin1"),
      createRevision: kv.create_revision,
      modRevision: kv.mod_revision,
      version: kv.version,
      ...(kv.lease ? { lease: BigInt(kv.lease).toString(16) } : {}),
    }));
  }
}

/** A live key as etcd reports it; `key` is latin1 so any bytes round-trip. */
export interface EtcdKey {
  key: string;
  createRevision: number;
  modRevision: number;
  version: number;
  /** Hex lease id, absent for none. */
  lease?: string;
}

function base64(value: string | Buffer): string {
  return (typeof value === "string" ? Buffer.from(value) : value).toString("base64");
}

function prefixEnd(prefix: Buffer): Buffer {
  const end = Buffer.from(prefix);
  for (let index = end.length - 1; index >= 0; index--) {
    if (end[index]! < 0xff) {
      end[index]!++;
      return end.subarray(0, index + 1);
    }
  }
  return Buffer.from([0]);
}

/** `etcdctl snapshot status -w json` on a file, parsed. */
export async function etcdctlStatus(
  file: string,
): Promise<{ hash: number; revision: number; totalKey: number; totalSize: number }> {
  const { stdout } = await execFileAsync(ETCDCTL, ["snapshot", "status", file, "-w", "json"], {
    env: { ...process.env, ETCDCTL_API: "3" },
  });
  return JSON.parse(stdout) as {
    hash: number;
    revision: number;
    totalKey: number;
    totalSize: number;
  };
}

/**
 * What etcd itself holds after `etcdctl snapshot restore` of `file`: restore into a
 * temp dir, start etcd on it, list every live key, stop it.
 */
export async function keysOfRestoredEtcd(file: string): Promise<EtcdKey[]> {
  const dataDir = join(makeTempDir("restored"), "data");
  await execFileAsync(ETCDCTL, ["snapshot", "restore", file, `--data-dir=${dataDir}`], {
    env: { ...process.env, ETCDCTL_API: "3" },
  });
  const etcd = await Etcd.start({ dataDir });
  try {
    return await etcd.listKeys();
  } finally {
    await etcd.stop();
  }
}
