/**
 * streamFileIntoPod and exec's stdin, over both exec protocols: v5 (Kubernetes 1.30 and
 * later, which can close stdin) and v4 (an older API server, which cannot). The API server
 * is the sandbox's; the "pod" runs commands as host processes (test/apiserver/harness.ts), so
 * the test can look at the files it writes.
 */
import { createHash, randomBytes } from "node:crypto";
import { existsSync } from "node:fs";
import { readFile, stat } from "node:fs/promises";
import { join } from "node:path";
import { Readable } from "node:stream";
import type { KubeConfig } from "@kubernetes/client-node";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { CancelledError, errorMessage } from "../../src/core/errors.ts";
import { execInPod } from "../../src/core/kube/exec.ts";
import { loadKubeconfig } from "../../src/core/kube/kubeconfig.ts";
import type { PodTarget } from "../../src/core/kube/pod-target.ts";
import { streamFileIntoPod } from "../../src/core/kube/stream-into-pod.ts";
import { startTestCluster, type TestCluster } from "../apiserver/harness.ts";
import {
  startApiServer,
  writeKubeconfig,
  type RunningApiServer,
} from "../sandbox/apiserver/index.ts";
import { waitFor } from "../e2e/helpers.ts";

const MEMBER: PodTarget = { namespace: "uc1", pod: "kube-etcd-0", container: "kube-etcd" };
const PAYLOAD_BYTES = 6 * 1024 * 1024;

let cluster: TestCluster;
let olderServer: RunningApiServer;
const configs: Record<"v5" | "v4", KubeConfig> = {} as Record<"v5" | "v4", KubeConfig>;
let payload: Buffer;
let payloadSha256: string;

beforeAll(async () => {
  cluster = await startTestCluster();
  // An API server from before Kubernetes 1.30 over the same cluster: it knows no v5.
  olderServer = await startApiServer({
    store: cluster.store,
    executor: cluster.executor,
    token: cluster.token,
    tls: {
      certPath: join(cluster.dir, "pki", "apiserver.crt"),
      keyPath: join(cluster.dir, "pki", "apiserver.key"),
    },
    execProtocols: ["v4.channel.k8s.io", "v3.channel.k8s.io", "v2.channel.k8s.io"],
  });
  const olderKubeconfig = await writeKubeconfig(join(cluster.dir, "older.kubeconfig"), {
    url: olderServer.url,
    caPath: cluster.caPath,
    token: cluster.token,
  });
  configs.v5 = await loadKubeconfig({ path: cluster.kubeconfigPath });
  configs.v4 = await loadKubeconfig({ path: olderKubeconfig });
  payload = randomBytes(PAYLOAD_BYTES);
  payloadSha256 = sha256(payload);
}, 60_000);

afterAll(async () => {
  await olderServer?.close();
  await cluster?.stop();
});

function sha256(bytes: Buffer): string {
  return createHash("sha256").update(bytes).digest("hex");
}

/** The payload in 64 KiB chunks, as a file would be read. */
function chunked(bytes: Buffer): Readable {
  const chunks: Buffer[] = [];
  for (let offset = 0; offset < bytes.length; offset += 64 * 1024)
    chunks.push(bytes.subarray(offset, offset + 64 * 1024));
  return Readable.from(chunks, { objectMode: false });
}

/** Gives `first` in 64 KiB chunks, then nothing more and no end: a transfer caught half-way. */
function stalledAfter(first: Buffer): Readable {
  const source = new Readable({ read() {} });
  for (let offset = 0; offset < first.length; offset += 64 * 1024)
    source.push(first.subarray(offset, offset + 64 * 1024));
  return source;
}

async function rejectionOf(promise: Promise<unknown>): Promise<Error> {
  try {
    await promise;
  } catch (error) {
    return error as Error;
  }
  throw new Error("expected a rejection, but the call succeeded");
}

async function sizeOf(path: string): Promise<number | undefined> {
  return stat(path).then(
    (facts) => facts.size,
    () => undefined,
  );
}

describe.each(["v5", "v4"] as const)("exec protocol %s", (protocol) => {
  const config = () => configs[protocol];
  const pathFor = (name: string) => join(cluster.dir, `${protocol}-${name}`);

  it("is the protocol the API server agrees to", async () => {
    let agreed = "";
    const result = await execInPod(config(), {
      ...MEMBER,
      command: ["true"],
      onOpen: (name) => (agreed = name),
    });
    expect(result.exitCode).toBe(0);
    expect(agreed).toBe(`${protocol}.channel.k8s.io`);
  });

  it("streams a 6 MB file into place byte for byte and leaves no .part", async () => {
    const path = pathFor("snapshot.db");
    await streamFileIntoPod(config(), MEMBER, path, chunked(payload), {
      bytes: payload.length,
      sha256: payloadSha256,
    });
    expect(sha256(await readFile(path))).toBe(payloadSha256);
    expect(existsSync(`${path}.part`)).toBe(false);
  });

  it("refuses bytes whose sha256 is not the expected one, and puts nothing in place", async () => {
    const path = pathFor("corrupt.db");
    const expected = sha256(Buffer.from("another file"));
    const error = await rejectionOf(
      streamFileIntoPod(config(), MEMBER, path, chunked(payload), {
        bytes: payload.length,
        sha256: expected,
      }),
    );
    expect(error.message).toBe(
      `the 6.0 MiB streamed into uc1/kube-etcd-0 (container kube-etcd) at ${path} have sha256 ${payloadSha256}, expected ${expected}: the source or the transfer is corrupt; nothing was put in place.`,
    );
    expect(existsSync(path)).toBe(false);
    expect(existsSync(`${path}.part`)).toBe(false);
  });

  it("refuses a source that ends early, without waiting for bytes that never come", async () => {
    const path = pathFor("short.db");
    const error = await rejectionOf(
      streamFileIntoPod(config(), MEMBER, path, chunked(payload), {
        bytes: payload.length + 1000,
        sha256: payloadSha256,
      }),
    );
    expect(error.message).toBe(
      `the source of ${path} ended after ${payload.length} of the expected ${payload.length + 1000} bytes; nothing was put in place in uc1/kube-etcd-0 (container kube-etcd).`,
    );
    expect(existsSync(path)).toBe(false);
    expect(existsSync(`${path}.part`)).toBe(false);
  });

  it("refuses a source longer than expected before the pod has all the bytes", async () => {
    const path = pathFor("long.db");
    const expectedBytes = payload.length - 100;
    const error = await rejectionOf(
      streamFileIntoPod(config(), MEMBER, path, chunked(payload), {
        bytes: expectedBytes,
        sha256: sha256(payload.subarray(0, expectedBytes)),
      }),
    );
    expect(error.message).toBe(
      `the source of ${path} is longer than the expected ${expectedBytes} bytes; nothing was put in place in uc1/kube-etcd-0 (container kube-etcd).`,
    );
    expect(existsSync(path)).toBe(false);
    expect(existsSync(`${path}.part`)).toBe(false);
  });

  it("stops when cancelled half-way and removes the .part file", async () => {
    const path = pathFor("cancelled.db");
    const controller = new AbortController();
    const streaming = rejectionOf(
      streamFileIntoPod(
        config(),
        MEMBER,
        path,
        stalledAfter(payload.subarray(0, 1024 * 1024)),
        { bytes: payload.length, sha256: payloadSha256 },
        { signal: controller.signal },
      ),
    );
    // All but the last chunk: streamFileIntoPod holds that one back until the source ends.
    await waitFor(
      "the first MiB but 64 KiB in the .part file",
      async () => (((await sizeOf(`${path}.part`)) ?? 0) >= 960 * 1024 ? true : undefined),
      60_000,
    );
    controller.abort();
    const error = await streaming;
    expect(error).toBeInstanceOf(CancelledError);
    expect(error.message).toBe(
      `streaming ${path} into uc1/kube-etcd-0 (container kube-etcd) was cancelled.`,
    );
    expect(existsSync(path)).toBe(false);
    expect(existsSync(`${path}.part`)).toBe(false);
  });

  it("reads stdin no faster than the command takes it", async () => {
    // 24 MB into a command that sleeps before it reads: with bounded in-flight bytes the
    // source is read only a few MB ahead of the command.
    const total = 24 * 1024 * 1024;
    let handedOut = 0;
    let takenWhileAsleep = -1;
    const marker = pathFor("awake");
    const source = new Readable({
      read() {
        if (handedOut >= total) return void this.push(null);
        handedOut += 256 * 1024;
        this.push(Buffer.alloc(256 * 1024, 1));
      },
    });
    const counting = execInPod(config(), {
      ...MEMBER,
      command: ["sh", "-c", `sleep 3; touch ${marker}; head -c ${total} | wc -c`],
      stdin: source,
      stdinEndsItself: true,
      onOpen: () => {
        const check = setInterval(() => {
          if (existsSync(marker)) clearInterval(check);
          else takenWhileAsleep = handedOut;
        }, 50);
      },
    });
    const result = await counting;
    expect(result.exitCode).toBe(0);
    expect(result.stdout.trim()).toBe(String(total));
    expect(takenWhileAsleep).toBeGreaterThan(0);
    expect(takenWhileAsleep).toBeLessThan(16 * 1024 * 1024);
  });
});

describe("stdin on the v4 protocol", () => {
  it("refuses, before a byte is sent, a command that needs the end of its input", async () => {
    let handedOut = 0;
    const source = new Readable({
      read() {
        handedOut += 1;
        this.push(null);
      },
    });
    const error = await rejectionOf(
      execInPod(configs.v4, { ...MEMBER, command: ["wc", "-c"], stdin: source }),
    );
    expect(errorMessage(error)).toBe(
      "exec in uc1/kube-etcd-0 (container kube-etcd) needs to close stdin, but the API server speaks only the v4.channel.k8s.io exec protocol (Kubernetes before 1.30), which cannot; upgrade the cluster or use a command that reads a known number of bytes.",
    );
    expect(handedOut).toBe(0);
  });

  it("on v5, closes stdin at the end of input so the command can finish", async () => {
    const result = await execInPod(configs.v5, {
      ...MEMBER,
      command: ["wc", "-c"],
      stdin: chunked(payload),
    });
    expect(result.exitCode).toBe(0);
    expect(result.stdout.trim()).toBe(String(payload.length));
  });
});
