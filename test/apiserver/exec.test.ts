/**
 * Exec over WebSocket: the real kubectl (exec, cp) and the wire protocol itself, with
 * commands run as host processes by the test's PodExecutor.
 */
import { spawn } from "node:child_process";
import { createHash, randomBytes } from "node:crypto";
import { createReadStream } from "node:fs";
import { open, readFile, stat, writeFile } from "node:fs/promises";
import { request } from "node:https";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import WebSocket from "ws";
import { pod, startTestCluster, type TestCluster } from "./harness.ts";

let cluster: TestCluster;

beforeAll(async () => {
  cluster = await startTestCluster();
  cluster.store.create(
    "pods",
    pod({ namespace: "uc1", name: "not-started", node: "admin-node-0", state: "creating" }),
  );
});
afterAll(async () => {
  await cluster?.stop();
});

const inMember = (command: string[]) => [
  "exec",
  "-n",
  "uc1",
  "kube-etcd-0",
  "-c",
  "kube-etcd",
  "--",
  ...command,
];

async function sha256(path: string): Promise<string> {
  const hash = createHash("sha256");
  for await (const chunk of createReadStream(path)) hash.update(chunk as Buffer);
  return hash.digest("hex");
}

describe("kubectl exec", () => {
  it("separates stdout and stderr and succeeds with exit code 0", async () => {
    const result = await cluster.kubectl(
      inMember(["sh", "-c", "echo member-out; echo member-err >&2"]),
    );
    expect(result).toEqual({ code: 0, stdout: "member-out\n", stderr: "member-err\n" });
  });

  it("feeds stdin to the command and closes it at the end of input", async () => {
    const input = "line one\nline two\n".repeat(1000);
    const result = await cluster.kubectl(
      ["exec", "-i", "-n", "uc1", "kube-etcd-1", "--", "wc", "-l"],
      { input },
    );
    expect(result.code).toBe(0);
    expect(result.stdout.trim()).toBe("2000");
  });

  it("mirrors the command's non-zero exit code", async () => {
    const result = await cluster.kubectl(inMember(["sh", "-c", "echo partial; exit 3"]));
    expect(result.code).toBe(3);
    expect(result.stdout).toBe("partial\n");
    expect(result.stderr).toBe("command terminated with exit code 3\n");
  });

  it("reports a pod that does not exist as NotFound before any stream opens", async () => {
    const result = await cluster.kubectl(["exec", "-n", "uc1", "kube-etcd-9", "--", "true"]);
    expect(result.code).toBe(1);
    expect(result.stderr.trim()).toBe('Error from server (NotFound): pods "kube-etcd-9" not found');
  });

  it("reports a container that does not exist and a pod that is not running", async () => {
    const wrongContainer = await cluster.kubectl([
      "exec",
      "-n",
      "uc1",
      "kube-etcd-0",
      "-c",
      "etcd",
      "--",
      "true",
    ]);
    expect(wrongContainer.code).toBe(1);
    expect(wrongContainer.stderr).toContain("container etcd is not valid for pod kube-etcd-0");
    const notRunning = await cluster.kubectl(["exec", "-n", "uc1", "not-started", "--", "true"]);
    expect(notRunning.code).toBe(1);
    expect(notRunning.stderr).toContain("the pod is not running");
  });
});

describe("kubectl cp", () => {
  it("copies a 50 MB file into a pod and back out byte-identical", async () => {
    const original = join(cluster.dir, "snapshot.db");
    const file = await open(original, "w");
    for (let i = 0; i < 50; i++) await file.write(randomBytes(1024 * 1024));
    await file.close();
    const inPod = join(cluster.dir, "pod-side");
    const mkdir = await cluster.kubectl(inMember(["mkdir", "-p", inPod]));
    expect(mkdir.code).toBe(0);

    const copyIn = await cluster.kubectl(
      ["cp", original, `uc1/kube-etcd-0:${inPod}/snapshot.db`, "-c", "kube-etcd"],
      { timeoutMs: 90_000 },
    );
    expect(copyIn.stderr).toBe("");
    expect(copyIn.code).toBe(0);
    expect(await sha256(join(inPod, "snapshot.db"))).toBe(await sha256(original));

    const back = join(cluster.dir, "snapshot.back.db");
    const copyOut = await cluster.kubectl(
      ["cp", `uc1/kube-etcd-0:${inPod}/snapshot.db`, back, "-c", "kube-etcd"],
      { timeoutMs: 90_000 },
    );
    expect(copyOut.code).toBe(0);
    expect((await stat(back)).size).toBe(50 * 1024 * 1024);
    expect(await sha256(back)).toBe(await sha256(original));
  });
});

/** An exec WebSocket opened directly, to check the frames themselves. */
function openExec(query: string, protocols: string[], pod = "kube-etcd-0"): WebSocket {
  const url = `${cluster.server.url.replace("https", "wss")}/api/v1/namespaces/uc1/pods/${pod}/exec?${query}`;
  return new WebSocket(url, protocols, {
    ca: readCa(),
    headers: { Authorization: `Bearer ${cluster.token}` },
  });
}

let caPem: Buffer | undefined;
const readCa = () => caPem as Buffer;
beforeAll(async () => {
  caPem = await readFile(cluster.caPath);
});

interface Frame {
  channel: number;
  payload: Buffer;
}

function collect(
  socket: WebSocket,
): Promise<{ frames: Frame[]; closeCode: number; protocol: string }> {
  const frames: Frame[] = [];
  return new Promise((resolve, reject) => {
    socket.on("message", (data: Buffer) =>
      frames.push({ channel: data[0] ?? -1, payload: data.subarray(1) }),
    );
    socket.on("error", reject);
    socket.on("close", (closeCode) => resolve({ frames, closeCode, protocol: socket.protocol }));
  });
}

describe("the exec WebSocket protocol", () => {
  it("sends an empty first frame, output on requested channels only, one Status, then closes with 1000", async () => {
    const socket = openExec(
      "command=sh&command=-c&command=echo+hello%3B+echo+hidden+%3E%262%3B+exit+7&stdout=true",
      ["v4.channel.k8s.io"],
    );
    const { frames, closeCode, protocol } = await collect(socket);
    expect(protocol).toBe("v4.channel.k8s.io");
    expect(frames[0]).toEqual({ channel: 1, payload: Buffer.alloc(0) });
    expect(new Set(frames.map((frame) => frame.channel))).toEqual(new Set([1, 3]));
    const stdout = Buffer.concat(
      frames.filter((f) => f.channel === 1).map((f) => f.payload),
    ).toString();
    expect(stdout).toBe("hello\n");
    const statusFrames = frames.filter((f) => f.channel === 3);
    expect(statusFrames).toHaveLength(1);
    expect(frames.at(-1)?.channel).toBe(3);
    expect(JSON.parse(statusFrames[0]!.payload.toString())).toMatchObject({
      status: "Failure",
      reason: "NonZeroExitCode",
      details: { causes: [{ reason: "ExitCode", message: "7" }] },
    });
    expect(closeCode).toBe(1000);
  });

  it("closes the command's stdin on the v5 close signal and keeps the stream open for its output", async () => {
    const socket = openExec(
      "command=sh&command=-c&command=cat%3B+echo+after-eof&stdin=true&stdout=true&stderr=true",
      ["v5.channel.k8s.io"],
    );
    const result = collect(socket);
    await new Promise((resolve) => socket.once("open", resolve));
    socket.send(Buffer.concat([Buffer.from([0]), Buffer.from("from stdin\n")]));
    socket.send(Buffer.from([255, 0]));
    const { frames, closeCode } = await result;
    const stdout = Buffer.concat(
      frames.filter((f) => f.channel === 1).map((f) => f.payload),
    ).toString();
    expect(stdout).toBe("from stdin\nafter-eof\n");
    expect(JSON.parse(frames.at(-1)!.payload.toString())).toEqual({
      metadata: {},
      status: "Success",
    });
    expect(closeCode).toBe(1000);
  });

  it("pauses the command while the client reads nothing, then delivers every byte", async () => {
    const pidFile = join(cluster.dir, "producer.pid");
    const total = 1000 * 65536;
    const script = `echo $$ > ${pidFile}; exec dd if=/dev/zero bs=65536 count=1000 status=none`;
    const socket = openExec(
      `command=sh&command=-c&command=${encodeURIComponent(script)}&stdout=true`,
      ["v5.channel.k8s.io"],
    );
    let received = 0;
    let status = "";
    const done = new Promise<void>((resolve) => socket.on("close", () => resolve()));
    socket.on("message", (data: Buffer) => {
      if (data[0] === 1) received += data.length - 1;
      if (data[0] === 3) status = data.subarray(1).toString();
    });
    await new Promise((resolve) => socket.once("open", resolve));
    socket.pause();
    await new Promise((resolve) => setTimeout(resolve, 2500));
    const pid = (await readFile(pidFile, "utf8")).trim();
    const written = Number(/wchar: (\d+)/.exec(await readFile(`/proc/${pid}/io`, "utf8"))?.[1]);
    // 66 MB to send; while the client reads nothing, the command gets no further than the
    // buffers allow (about 5 MB: socket, send queue, pipe), where an unthrottled server would
    // have taken in all it could read.
    expect(written).toBeGreaterThan(0);
    expect(written).toBeLessThan(12 * 1024 * 1024);
    socket.resume();
    await done;
    expect(received).toBe(total);
    expect(JSON.parse(status)).toEqual({ metadata: {}, status: "Success" });
  });

  it("reads the client's stdin no faster than the command takes it", async () => {
    const total = 32 * 1024 * 1024;
    const input = join(cluster.dir, "stdin.bin");
    await writeFile(input, Buffer.alloc(total, 7));
    const kubectl = `exec kubectl --kubeconfig ${cluster.kubeconfigPath} --cache-dir ${join(cluster.dir, "kube-cache")}`;
    const client = spawn(
      "sh",
      ["-c", `${kubectl} exec -i -n uc1 kube-etcd-0 -- sh -c 'sleep 8; wc -c' < ${input}`],
      {
        stdio: ["ignore", "pipe", "pipe"],
      },
    );
    let stdout = "";
    client.stdout.on("data", (chunk: Buffer) => (stdout += chunk.toString()));
    const exited = new Promise<number | null>((resolve) => client.on("close", resolve));
    // kubectl's offset in its input file: how much of stdin it has managed to send.
    const inputOffset = async () =>
      Number(
        /pos:\s+(\d+)/.exec(
          await readFile(`/proc/${client.pid}/fdinfo/0`, "utf8").catch(() => ""),
        )?.[1] ?? 0,
      );
    await new Promise((resolve) => setTimeout(resolve, 6000));
    const sentWhileSleeping = await inputOffset();
    expect(sentWhileSleeping).toBeGreaterThan(0);
    // Without backpressure kubectl keeps sending into the server's memory; with it, only what
    // the socket buffers and the pipe hold (a few MB) leaves kubectl while the command sleeps.
    expect(sentWhileSleeping).toBeLessThan(12 * 1024 * 1024);
    expect(await exited).toBe(0);
    expect(stdout.trim()).toBe(String(total));
  });

  it("speaks base64.channel.k8s.io with text frames for older clients", async () => {
    const socket = openExec("command=echo&command=old+client&stdout=true&stderr=true", [
      "base64.channel.k8s.io",
    ]);
    const texts: string[] = [];
    socket.on("message", (data: Buffer, isBinary: boolean) => {
      expect(isBinary).toBe(false);
      texts.push(data.toString());
    });
    const closeCode = await new Promise<number>((resolve) => socket.on("close", resolve));
    expect(texts[0]).toBe("1");
    const stdout = texts
      .filter((text) => text.startsWith("1"))
      .map((text) => Buffer.from(text.slice(1), "base64").toString())
      .join("");
    expect(stdout).toBe("old client\n");
    expect(texts.some((text) => text.startsWith("3"))).toBe(false);
    expect(closeCode).toBe(1000);
  });

  it("refuses an upgrade that offers none of the channel protocols", async () => {
    const socket = openExec("command=true&stdout=true", ["chat"]);
    const statusCode = await new Promise<number>((resolve) => {
      socket.on("unexpected-response", (_request, response) => resolve(response.statusCode ?? 0));
      socket.on("error", () => resolve(-1));
    });
    expect(statusCode).toBe(400);
  });

  it("answers an exec request that is not an upgrade with 400 Upgrade request required", async () => {
    const { status, body } = await new Promise<{ status: number; body: string }>(
      (resolve, reject) => {
        const req = request(
          `${cluster.server.url}/api/v1/namespaces/uc1/pods/kube-etcd-0/exec?command=true&stdout=true`,
          { ca: readCa(), headers: { Authorization: `Bearer ${cluster.token}` } },
          (response) => {
            let text = "";
            response.on("data", (chunk: Buffer) => (text += chunk.toString()));
            response.on("end", () => resolve({ status: response.statusCode ?? 0, body: text }));
          },
        );
        req.on("error", reject);
        req.end();
      },
    );
    expect(status).toBe(400);
    expect(JSON.parse(body)).toMatchObject({
      kind: "Status",
      reason: "BadRequest",
      message: "Upgrade request required",
      code: 400,
    });
  });

  it("refuses an exec upgrade with a wrong token", async () => {
    const url = `${cluster.server.url.replace("https", "wss")}/api/v1/namespaces/uc1/pods/kube-etcd-0/exec?command=true&stdout=true`;
    const socket = new WebSocket(url, ["v5.channel.k8s.io"], {
      ca: readCa(),
      headers: { Authorization: "Bearer wrong" },
    });
    const statusCode = await new Promise<number>((resolve) => {
      socket.on("unexpected-response", (_request, response) => resolve(response.statusCode ?? 0));
      socket.on("error", () => resolve(-1));
    });
    expect(statusCode).toBe(401);
  });
});
