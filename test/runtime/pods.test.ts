import { spawn } from "node:child_process";
import { createHash, randomBytes } from "node:crypto";
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { connect } from "node:net";
import { join } from "node:path";
import { PassThrough, Readable, Writable } from "node:stream";

import { afterAll, beforeAll, describe, expect, it } from "vitest";

import { runCommand } from "../sandbox/runtime/commands.ts";
import { requestPodDeletion } from "../sandbox/pod-deletion.ts";
import { StoreError } from "../sandbox/store.ts";
import type { Fixture } from "./fixtures.ts";
import {
  ETCD_IMAGE,
  UTIL_IMAGE,
  execIn,
  pod,
  sleeper,
  startFixture,
  statusOf,
  waitFor,
  waitForReady,
} from "./fixtures.ts";

const NS = "uc1";
let fixture: Fixture;

beforeAll(async () => {
  fixture = await startFixture();
  fixture.store.create("namespaces", {
    apiVersion: "v1",
    kind: "Namespace",
    metadata: { name: NS },
  });
});

afterAll(async () => {
  await fixture?.runtime.stop();
  if (fixture) rmSync(fixture.dir, { recursive: true, force: true });
});

function createClaim(name: string, selectedNode?: string) {
  return fixture.store.create("persistentvolumeclaims", {
    apiVersion: "v1",
    kind: "PersistentVolumeClaim",
    metadata: {
      name,
      namespace: NS,
      ...(selectedNode
        ? { annotations: { "volume.kubernetes.io/selected-node": selectedNode } }
        : {}),
    },
    spec: { accessModes: ["ReadWriteOnce"], resources: { requests: { storage: "1Gi" } } },
  });
}

/** A plain running pod for exec tests, created on first use so each test stands alone. */
async function runningPod(name: string) {
  if (!fixture.store.get("pods", NS, name))
    fixture.store.create("pods", pod(NS, name, { containers: [sleeper()] }));
  await waitForReady(fixture.store, NS, name);
  return name;
}

function eventsFor(podName: string) {
  return fixture.store
    .list("events", NS)
    .items.filter((event) => (event.involvedObject as { name: string }).name === podName)
    .map((event) => ({ reason: event.reason as string, message: event.message as string }));
}

describe("nodes", () => {
  it("registers every node Ready with its addresses, role and kubelet version", () => {
    const master = fixture.store.require("nodes", undefined, "admin-master");
    expect(master.metadata.labels).toMatchObject({
      "kubernetes.io/hostname": "admin-master",
      "node-role.kubernetes.io/control-plane": "",
    });
    const status = master.status as {
      addresses: Array<{ type: string; address: string }>;
      conditions: Array<{ type: string; status: string }>;
      nodeInfo: { kubeletVersion: string };
    };
    const masterNode = fixture.runtime.nodes.find((node) => node.name === "admin-master");
    expect(status.addresses).toEqual(
      expect.arrayContaining([
        { type: "InternalIP", address: masterNode?.ip },
        { type: "ExternalIP", address: masterNode?.ip },
        { type: "Hostname", address: "admin-master" },
      ]),
    );
    expect(status.conditions.find((condition) => condition.type === "Ready")?.status).toBe("True");
    expect(status.nodeInfo.kubeletVersion).toBe("v1.32.4");
    const worker = fixture.store.require("nodes", undefined, "admin-node-0");
    expect(worker.metadata.labels?.["node-role.kubernetes.io/control-plane"]).toBeUndefined();
  });

  it("puts each node in its own network namespace that the host reaches over TCP", async () => {
    for (const node of fixture.runtime.nodes) {
      const address = await runCommand("ip", [
        "-n",
        node.netns,
        "-4",
        "-o",
        "addr",
        "show",
        "eth0",
      ]);
      expect(address.stdout).toContain(`${node.ip}/24`);
    }
    // A listener inside admin-master's namespace, dialled from the host (as SSH will be).
    const master = fixture.runtime.nodes.find((node) => node.controlPlane);
    const listener = spawn(
      "nsenter",
      [
        `--net=${master?.netnsPath}`,
        process.execPath,
        "-e",
        `require("net").createServer((socket) => socket.end("hello from the node\\n")).listen(2222, "${master?.ip}", () => console.log("listening"))`,
      ],
      { stdio: ["ignore", "pipe", "inherit"] },
    );
    try {
      await new Promise<void>((resolve) => listener.stdout?.once("data", () => resolve()));
      const greeting = await new Promise<string>((resolve, reject) => {
        const socket = connect(2222, master?.ip ?? "");
        let received = "";
        socket.on("data", (chunk) => (received += chunk.toString()));
        socket.on("end", () => resolve(received));
        socket.on("error", reject);
      });
      expect(greeting).toBe("hello from the node\n");
    } finally {
      listener.kill("SIGKILL");
    }
  });
});

describe("a pod", () => {
  it("runs in its own network namespace with its IP and sees its volumes at their paths", async () => {
    createClaim("data-kube-etcd-0");
    const certificate = "-----BEGIN CERTIFICATE-----\nsandbox\n-----END CERTIFICATE-----\n";
    fixture.store.create("secrets", {
      apiVersion: "v1",
      kind: "Secret",
      metadata: { name: "kube-etcd-certs", namespace: NS },
      data: {
        "etcd.crt": Buffer.from(certificate).toString("base64"),
        "etcd.key": Buffer.from("key").toString("base64"),
      },
    });
    fixture.store.create("configmaps", {
      apiVersion: "v1",
      kind: "ConfigMap",
      metadata: { name: "settings", namespace: NS },
      data: { "mode.conf": "restore=false\n" },
    });
    const nodeRoot =
      fixture.runtime.nodes.find((node) => node.name === "admin-node-0")?.rootDir ?? "";
    mkdirSync(join(nodeRoot, "etc/kubernetes/pki"), { recursive: true });
    writeFileSync(join(nodeRoot, "etc/kubernetes/pki/ca.crt"), "node ca\n");
    fixture.store.create(
      "pods",
      pod(NS, "volumes", {
        nodeSelector: { "kubernetes.io/hostname": "admin-node-0" },
        containers: [
          {
            ...sleeper(),
            env: [
              { name: "MEMBER", valueFrom: { fieldRef: { fieldPath: "metadata.name" } } },
              { name: "POD_IP", valueFrom: { fieldRef: { fieldPath: "status.podIP" } } },
              { name: "NODE", valueFrom: { fieldRef: { fieldPath: "spec.nodeName" } } },
              { name: "ADVERTISE", value: "https://$(POD_IP):2379,$$(LITERAL)" },
            ],
            volumeMounts: [
              { name: "data", mountPath: "/var/lib/etcd" },
              { name: "etcd-certs", mountPath: "/etcd.local.config/certificates", readOnly: true },
              { name: "settings", mountPath: "/etc/settings" },
              { name: "pki", mountPath: "/etc/kubernetes/pki" },
              { name: "scratch", mountPath: "/scratch" },
              { name: "client-cert", mountPath: "/client" },
              { name: "data", mountPath: "/member-only", subPath: "member" },
            ],
          },
        ],
        volumes: [
          { name: "data", persistentVolumeClaim: { claimName: "data-kube-etcd-0" } },
          { name: "etcd-certs", secret: { secretName: "kube-etcd-certs", defaultMode: 0o400 } },
          { name: "settings", configMap: { name: "settings" } },
          { name: "pki", hostPath: { path: "/etc/kubernetes/pki", type: "Directory" } },
          { name: "scratch", emptyDir: {} },
          {
            name: "client-cert",
            secret: {
              secretName: "kube-etcd-certs",
              items: [{ key: "etcd.crt", path: "pem/client.crt", mode: 0o444 }],
            },
          },
        ],
      }),
    );
    const status = await waitForReady(fixture.store, NS, "volumes");
    expect(status.podIP).toMatch(/^10\.213\.\d+\.\d+$/);
    expect(status.podIP).not.toBe(status.hostIP);
    expect(fixture.runtime.podIP(NS, "volumes")).toBe(status.podIP);

    const address = await execIn(fixture.runtime, NS, "volumes", [
      "ip",
      "-4",
      "-o",
      "addr",
      "show",
      "eth0",
    ]);
    expect(address.stdout).toContain(`${status.podIP}/24`);
    const certificates = await execIn(fixture.runtime, NS, "volumes", [
      "sh",
      "-c",
      "cat /etcd.local.config/certificates/etcd.crt; stat -c %a /etcd.local.config/certificates/etcd.key",
    ]);
    expect(certificates.stdout).toBe(`${certificate}400\n`);
    const readOnly = await execIn(fixture.runtime, NS, "volumes", [
      "sh",
      "-c",
      "echo x > /etcd.local.config/certificates/new",
    ]);
    expect(readOnly.exitCode).not.toBe(0);
    expect(readOnly.stderr).toMatch(/Read-only file system/);
    const others = await execIn(fixture.runtime, NS, "volumes", [
      "sh",
      "-c",
      "cat /etc/settings/mode.conf /etc/kubernetes/pki/ca.crt; echo member > /var/lib/etcd/marker; echo $MEMBER $POD_IP $NODE $ADVERTISE",
    ]);
    expect(others.stdout).toBe(
      `restore=false\nnode ca\nvolumes ${status.podIP} admin-node-0 https://${status.podIP}:2379,$(LITERAL)\n`,
    );
    const items = await execIn(fixture.runtime, NS, "volumes", [
      "sh",
      "-c",
      "ls -R /client; stat -c %a /client/pem/client.crt; echo sub > /member-only/file; cat /var/lib/etcd/member/file",
    ]);
    expect(items.stdout).toBe("/client:\npem\n\n/client/pem:\nclient.crt\n444\nsub\n");
    // The PVC folder on the host is what the pod wrote to /var/lib/etcd.
    expect(
      readFileSync(join(fixture.runtime.pvcPath(NS, "data-kube-etcd-0"), "marker"), "utf8"),
    ).toBe("member\n");
    // The first pod scheduled with the claim bound it to its node.
    const claim = fixture.store.require("persistentvolumeclaims", NS, "data-kube-etcd-0");
    expect(claim.metadata.annotations?.["volume.kubernetes.io/selected-node"]).toBe("admin-node-0");
    expect((claim.status as { phase: string }).phase).toBe("Bound");
  });

  it("keeps files written by one exec for the next, as a container's writable layer does", async () => {
    const target = await runningPod("layer");
    const write = await execIn(fixture.runtime, NS, target, [
      "sh",
      "-c",
      "echo kept > /snapshot.db",
    ]);
    expect(write.exitCode).toBe(0);
    expect((await execIn(fixture.runtime, NS, target, ["cat", "/snapshot.db"])).stdout).toBe(
      "kept\n",
    );
  });

  it("reaches a peer pod by its headless-service name over the bridge", async () => {
    const etcdPod = (hostname: string) =>
      pod(NS, hostname, {
        hostname,
        subdomain: "kube-etcd",
        containers: [
          {
            name: "kube-etcd",
            image: ETCD_IMAGE,
            env: [{ name: "POD_IP", valueFrom: { fieldRef: { fieldPath: "status.podIP" } } }],
            args: [
              "--name=$(HOSTNAME)",
              "--data-dir=/var/lib/etcd",
              "--listen-client-urls=http://$(POD_IP):2379,http://127.0.0.1:2379",
              "--advertise-client-urls=http://$(POD_IP):2379",
              "--listen-peer-urls=http://127.0.0.1:2380",
            ],
            readinessProbe: {
              exec: {
                command: [
                  "sh",
                  "-c",
                  "ETCDCTL_API=3 etcdctl --endpoints=http://127.0.0.1:2379 endpoint health",
                ],
              },
              periodSeconds: 5,
            },
          },
        ],
      });
    fixture.store.create("pods", etcdPod("kube-etcd-0"));
    const server = await waitForReady(fixture.store, NS, "kube-etcd-0");
    expect(server.containerStatuses?.[0]?.ready).toBe(true);
    fixture.store.create("pods", {
      ...pod(NS, "kube-etcd-1", {
        hostname: "kube-etcd-1",
        subdomain: "kube-etcd",
        containers: [sleeper("kube-etcd")],
      }),
    });
    await waitForReady(fixture.store, NS, "kube-etcd-1");
    const health = await execIn(fixture.runtime, NS, "kube-etcd-1", [
      "etcdctl",
      "--endpoints=http://kube-etcd-0.kube-etcd:2379",
      "endpoint",
      "health",
    ]);
    expect(health.stderr + health.stdout).toContain("http://kube-etcd-0.kube-etcd:2379 is healthy");
    expect(health.exitCode).toBe(0);
    // The earlier pod learns of the later one: its /etc/hosts lists the new peer too.
    const hosts = await execIn(fixture.runtime, NS, "kube-etcd-0", ["cat", "/etc/hosts"]);
    const peerIP = statusOf(fixture.store, NS, "kube-etcd-1")?.podIP;
    expect(hosts.stdout).toContain(
      `${peerIP}\tkube-etcd-1.kube-etcd.${NS}.svc.cluster.local\tkube-etcd-1.kube-etcd`,
    );
  });

  it("is Running but not Ready while its readiness probe fails", async () => {
    fixture.store.create(
      "pods",
      pod(NS, "unready", {
        containers: [{ ...sleeper(), readinessProbe: { exec: { command: ["false"] } } }],
      }),
    );
    const status = await waitFor("pod unready to run", () => {
      const current = statusOf(fixture.store, NS, "unready");
      return current?.phase === "Running" && current;
    });
    await new Promise((resolve) => setTimeout(resolve, 1_500));
    const later = statusOf(fixture.store, NS, "unready");
    expect(status.containerStatuses?.[0]?.started).toBe(true);
    expect(later?.containerStatuses?.[0]?.ready).toBe(false);
    expect(later?.conditions?.find((condition) => condition.type === "Ready")).toMatchObject({
      status: "False",
      reason: "ContainersNotReady",
      message: "containers with unready status: [main]",
    });
    requestPodDeletion(fixture.store, NS, "unready", 0);
  });
});

describe("exec", () => {
  it("streams 50 MB through stdin and back out byte-identical", async () => {
    const payload = randomBytes(50 * 1024 * 1024);
    const expected = createHash("sha256").update(payload).digest("hex");
    const upload = await fixture.runtime.exec(
      {
        namespace: NS,
        pod: await runningPod("exec-target"),
        container: "main",
        command: ["sh", "-c", "cat > /tmp/blob"],
        tty: false,
      },
      { stdin: Readable.from(chunks(payload, 1 << 20)), stdout: null, stderr: null },
    );
    expect(upload.exitCode).toBe(0);
    const hash = createHash("sha256");
    let received = 0;
    const stdout = new Writable({
      write(chunk: Buffer, _encoding, done) {
        hash.update(chunk);
        received += chunk.length;
        done();
      },
    });
    const download = await fixture.runtime.exec(
      {
        namespace: NS,
        pod: await runningPod("exec-target"),
        container: "main",
        command: ["cat", "/tmp/blob"],
        tty: false,
      },
      { stdin: null, stdout, stderr: null },
    );
    expect(download.exitCode).toBe(0);
    // The runtime has handed every byte to the consumer; let the consumer take them in.
    await new Promise<void>((resolve) => stdout.end(resolve));
    expect(received).toBe(payload.length);
    expect(hash.digest("hex")).toBe(expected);
  });

  it("holds the command's output while a slow consumer catches up, in bounded memory", async () => {
    const total = 128 * 1024 * 1024;
    let received = 0;
    let peakRss = process.memoryUsage().rss;
    const startRss = peakRss;
    const slowConsumer = new Writable({
      highWaterMark: 64 * 1024,
      write(chunk: Buffer, _encoding, done) {
        received += chunk.length;
        peakRss = Math.max(peakRss, process.memoryUsage().rss);
        setImmediate(done);
      },
    });
    const result = await fixture.runtime.exec(
      {
        namespace: NS,
        pod: await runningPod("exec-target"),
        container: "",
        command: ["head", "-c", String(total), "/dev/zero"],
        tty: false,
      },
      { stdin: null, stdout: slowConsumer, stderr: null },
    );
    expect(result.exitCode).toBe(0);
    // The last chunks may still sit in the consumer's buffer; the API server ends and drains
    // its output the same way before it sends the exit status.
    await new Promise<void>((resolve) => slowConsumer.end(resolve));
    expect(received).toBe(total);
    // Buffering the whole output would add 128 MiB; streaming keeps it to pipe-sized chunks.
    expect(peakRss - startRss).toBeLessThan(64 * 1024 * 1024);
  });

  it("passes exit codes and stderr through", async () => {
    const failed = await execIn(fixture.runtime, NS, await runningPod("exec-target"), [
      "sh",
      "-c",
      "echo oops >&2; exit 42",
    ]);
    expect(failed).toEqual({ exitCode: 42, stdout: "", stderr: "oops\n" });
    expect(
      (await execIn(fixture.runtime, NS, await runningPod("exec-target"), ["true"])).exitCode,
    ).toBe(0);
    const missing = await execIn(fixture.runtime, NS, await runningPod("exec-target"), [
      "no-such-command",
    ]);
    expect(missing.exitCode).not.toBe(0);
  });

  it("runs inside the container itself: it sees the container's processes and environment", async () => {
    fixture.store.create(
      "pods",
      pod(NS, "exec-env", {
        containers: [
          { ...sleeper(), workingDir: "/var/lib", env: [{ name: "ETCDCTL_API", value: "3" }] },
        ],
      }),
    );
    await waitForReady(fixture.store, NS, "exec-env");
    const inside = await execIn(fixture.runtime, NS, "exec-env", [
      "sh",
      "-c",
      "ps -eo args; echo ETCDCTL_API=$ETCDCTL_API; pwd; hostname",
    ]);
    expect(inside.stdout).toContain("trap 'exit 0' TERM; while :; do sleep 0.2; done");
    expect(inside.stdout).toContain("ETCDCTL_API=3\n/var/lib\nexec-env\n");
    requestPodDeletion(fixture.store, NS, "exec-env", 0);
  });

  it("shows stderr on stdout for a terminal session, which asks for no stderr", async () => {
    const stdout = new PassThrough();
    let seen = "";
    stdout.on("data", (chunk: Buffer) => (seen += chunk.toString()));
    const { exitCode } = await fixture.runtime.exec(
      {
        namespace: NS,
        pod: await runningPod("exec-target"),
        container: "",
        command: ["sh", "-c", "echo out; sleep 0.1; echo err >&2"],
        tty: true,
      },
      { stdin: null, stdout, stderr: null },
    );
    expect(exitCode).toBe(0);
    expect(seen).toBe("out\nerr\n");
  });

  it("ends the command when the consumer of its output goes away", async () => {
    const stdout = new PassThrough();
    const running = fixture.runtime.exec(
      {
        namespace: NS,
        pod: await runningPod("exec-target"),
        container: "",
        command: ["sh", "-c", "echo started; exec sleep 600"],
        tty: false,
      },
      { stdin: null, stdout, stderr: null },
    );
    await new Promise((resolve) => stdout.once("data", resolve));
    stdout.destroy();
    const { exitCode } = await running;
    expect(exitCode).toBe(137);
  });

  it("refuses a missing pod, an unknown container and a container that is not running", async () => {
    const streams = { stdin: null, stdout: new PassThrough(), stderr: new PassThrough() };
    const request = { namespace: NS, pod: "nope", container: "", command: ["true"], tty: false };
    await expect(fixture.runtime.exec(request, streams)).rejects.toMatchObject({
      reason: "NotFound",
      message: 'pods "nope" not found',
    });
    await expect(
      fixture.runtime.exec(
        { ...request, pod: await runningPod("exec-target"), container: "sidecar" },
        streams,
      ),
    ).rejects.toMatchObject({
      reason: "Invalid",
      message: "container sidecar is not valid for pod exec-target",
    });
    await expect(
      fixture.runtime.exec({ ...request, pod: "exec-target", command: [] }, streams),
    ).rejects.toMatchObject({
      reason: "Invalid",
      message: "you must specify at least one command for the container",
    });
    fixture.store.create(
      "pods",
      pod(NS, "no-image", { containers: [{ name: "app", image: "docker.io/library/nginx:1.27" }] }),
    );
    await waitFor(
      "pod no-image to be seen by its kubelet",
      () => statusOf(fixture.store, NS, "no-image")?.containerStatuses,
    );
    const notRunning = fixture.runtime.exec({ ...request, pod: "no-image" }, streams);
    await expect(notRunning).rejects.toBeInstanceOf(StoreError);
    await expect(notRunning).rejects.toMatchObject({
      reason: "Invalid",
      message: 'container not found ("app")',
    });
  });
});

describe("container lifecycle", () => {
  it("leaves a container with an unknown image waiting in ImagePullBackOff and the pod Pending", async () => {
    if (!fixture.store.get("pods", NS, "no-image")) {
      fixture.store.create(
        "pods",
        pod(NS, "no-image", {
          containers: [{ name: "app", image: "docker.io/library/nginx:1.27" }],
        }),
      );
    }
    const status = await waitFor("ImagePullBackOff", () => {
      const current = statusOf(fixture.store, NS, "no-image");
      return (
        current?.containerStatuses?.[0]?.state.waiting?.reason === "ImagePullBackOff" && current
      );
    });
    expect(status.phase).toBe("Pending");
    expect(status.containerStatuses?.[0]).toMatchObject({
      ready: false,
      started: false,
      restartCount: 0,
      imageID: "",
    });
    expect(eventsFor("no-image").map((event) => event.reason)).toEqual(
      expect.arrayContaining(["Failed", "BackOff"]),
    );
    expect(eventsFor("no-image").find((event) => event.reason === "Failed")?.message).toContain(
      'Failed to pull image "docker.io/library/nginx:1.27"',
    );
  });

  it("restarts a container whose process exits, with CrashLoopBackOff and a rising restartCount", async () => {
    fixture.store.create(
      "pods",
      pod(NS, "crasher", {
        containers: [
          { name: "app", image: UTIL_IMAGE, command: ["/bin/sh", "-c", "echo started; exit 3"] },
        ],
      }),
    );
    const status = await waitFor(
      "crasher to be restarted twice",
      () => {
        const current = statusOf(fixture.store, NS, "crasher");
        const container = current?.containerStatuses?.[0];
        return (
          container &&
          container.restartCount >= 2 &&
          container.state.waiting?.reason === "CrashLoopBackOff" &&
          current
        );
      },
      30_000,
    );
    const container = status.containerStatuses?.[0];
    expect(container?.lastState.terminated).toMatchObject({ exitCode: 3, reason: "Error" });
    expect(container?.ready).toBe(false);
    expect(status.phase).toBe("Running");
    const reasons = eventsFor("crasher").map((event) => event.reason);
    expect(reasons).toEqual(
      expect.arrayContaining(["Scheduled", "Pulled", "Created", "Started", "BackOff"]),
    );
    const logDir = fixture.runtime.logDir(NS, "crasher", "app") ?? "";
    expect(readFileSync(join(logDir, "0.log"), "utf8")).toBe("started\n");
  });
});

describe("pods that run to completion", () => {
  it("marks a restartPolicy Never pod Succeeded when its container exits 0, and refuses exec into it", async () => {
    fixture.store.create(
      "pods",
      pod(NS, "one-shot", {
        restartPolicy: "Never",
        containers: [{ name: "job", image: UTIL_IMAGE, command: ["sh", "-c", "echo done"] }],
      }),
    );
    const status = await waitFor("one-shot to succeed", () => {
      const current = statusOf(fixture.store, NS, "one-shot");
      return current?.phase === "Succeeded" && current;
    });
    expect(status.containerStatuses?.[0]?.state.terminated).toMatchObject({
      exitCode: 0,
      reason: "Completed",
    });
    expect(status.containerStatuses?.[0]?.restartCount).toBe(0);
    expect(status.conditions?.find((condition) => condition.type === "Ready")).toMatchObject({
      status: "False",
      reason: "PodCompleted",
    });
    await expect(execIn(fixture.runtime, NS, "one-shot", ["true"])).rejects.toMatchObject({
      reason: "Invalid",
      message: "cannot exec into a container in a completed pod; current phase is Succeeded",
    });
  });

  it("marks a restartPolicy Never pod Failed when its container exits non-zero", async () => {
    fixture.store.create(
      "pods",
      pod(NS, "one-shot-fails", {
        restartPolicy: "Never",
        containers: [{ name: "job", image: UTIL_IMAGE, command: ["sh", "-c", "exit 7"] }],
      }),
    );
    const status = await waitFor("one-shot-fails to fail", () => {
      const current = statusOf(fixture.store, NS, "one-shot-fails");
      return current?.phase === "Failed" && current;
    });
    expect(status.containerStatuses?.[0]?.state.terminated).toMatchObject({
      exitCode: 7,
      reason: "Error",
    });
  });
});

describe("container configuration errors", () => {
  it("waits in CreateContainerConfigError, naming the problem, when a mount names no volume", async () => {
    fixture.store.create(
      "pods",
      pod(NS, "bad-mount", {
        containers: [{ ...sleeper(), volumeMounts: [{ name: "certs", mountPath: "/certs" }] }],
      }),
    );
    const waiting = await waitFor("CreateContainerConfigError", () => {
      const state = statusOf(fixture.store, NS, "bad-mount")?.containerStatuses?.[0]?.state.waiting;
      return state?.reason === "CreateContainerConfigError" && (state as { message?: string });
    });
    expect(waiting.message).toBe(
      'pod bad-mount: volumeMount "certs" names no volume of the pod: expected one of (none)',
    );
    requestPodDeletion(fixture.store, NS, "bad-mount", 0);
  });
});

describe("scheduling", () => {
  it("keeps a pod whose PVC is bound to another node Pending with a FailedScheduling event", async () => {
    createClaim("data-kube-etcd-2", "admin-node-1");
    fixture.store.create(
      "pods",
      pod(NS, "etcd-utility-2", {
        nodeSelector: { "kubernetes.io/hostname": "admin-node-0" },
        containers: [sleeper()],
        volumes: [{ name: "data", persistentVolumeClaim: { claimName: "data-kube-etcd-2" } }],
      }),
    );
    const condition = await waitFor("PodScheduled=False", () =>
      statusOf(fixture.store, NS, "etcd-utility-2")?.conditions?.find(
        (candidate) => candidate.type === "PodScheduled" && candidate.status === "False",
      ),
    );
    expect(condition.reason).toBe("Unschedulable");
    expect(condition.message).toMatch(
      /^0\/3 nodes are available: .*1 node\(s\) had volume node affinity conflict/,
    );
    const pending = fixture.store.require("pods", NS, "etcd-utility-2");
    expect((pending.spec as { nodeName?: string }).nodeName).toBeUndefined();
    expect((pending.status as { phase: string }).phase).toBe("Pending");
    expect(eventsFor("etcd-utility-2")).toContainEqual({
      reason: "FailedScheduling",
      message: condition.message,
    });
  });

  it("keeps a pod whose PVC does not exist Pending with an event naming the claim", async () => {
    fixture.store.create(
      "pods",
      pod(NS, "orphan", {
        containers: [sleeper()],
        volumes: [{ name: "data", persistentVolumeClaim: { claimName: "data-gone" } }],
      }),
    );
    const event = await waitFor("FailedScheduling for a missing claim", () =>
      eventsFor("orphan").find((candidate) => candidate.reason === "FailedScheduling"),
    );
    expect(event.message).toContain('persistentvolumeclaim "data-gone" not found');
    requestPodDeletion(fixture.store, NS, "orphan");
    expect(fixture.store.get("pods", NS, "orphan")).toBeUndefined();
  });

  it("keeps a pod off a tainted node unless it tolerates the taint", async () => {
    fixture.store.mutate("nodes", undefined, "admin-node-1", (node) => {
      node.spec = { taints: [{ key: "dedicated", value: "etcd", effect: "NoSchedule" }] };
    });
    try {
      const onNode1 = { "kubernetes.io/hostname": "admin-node-1" };
      fixture.store.create(
        "pods",
        pod(NS, "intolerant", { nodeSelector: onNode1, containers: [sleeper()] }),
      );
      fixture.store.create(
        "pods",
        pod(NS, "tolerant", {
          nodeSelector: onNode1,
          tolerations: [
            { key: "dedicated", operator: "Equal", value: "etcd", effect: "NoSchedule" },
          ],
          containers: [sleeper()],
        }),
      );
      await waitFor(
        "tolerant to be bound to admin-node-1",
        () =>
          (fixture.store.get("pods", NS, "tolerant")?.spec as { nodeName?: string }).nodeName ===
          "admin-node-1",
      );
      const condition = await waitFor("intolerant to be unschedulable", () =>
        statusOf(fixture.store, NS, "intolerant")?.conditions?.find(
          (candidate) => candidate.type === "PodScheduled",
        ),
      );
      expect(condition).toMatchObject({ status: "False", reason: "Unschedulable" });
      expect(condition.message).toContain("1 node(s) had untolerated taint {dedicated: etcd}");
    } finally {
      fixture.store.mutate("nodes", undefined, "admin-node-1", (node) => {
        node.spec = {};
      });
      for (const name of ["intolerant", "tolerant"]) requestPodDeletion(fixture.store, NS, name, 0);
    }
  });

  it("spreads pods of one owner over the worker nodes, never the control-plane node", async () => {
    const owner = {
      apiVersion: "apps/v1",
      kind: "StatefulSet",
      name: "spread",
      uid: "spread-uid",
      controller: true,
    };
    for (const name of ["spread-0", "spread-1"]) {
      fixture.store.create(
        "pods",
        pod(NS, name, { containers: [sleeper()] }, { ownerReferences: [owner] }),
      );
    }
    const nodes = await waitFor("both spread pods to be bound", () => {
      const bound = ["spread-0", "spread-1"].map(
        (name) =>
          (fixture.store.get("pods", NS, name)?.spec as { nodeName?: string } | undefined)
            ?.nodeName,
      );
      return bound.every(Boolean) && bound;
    });
    expect(new Set(nodes)).toEqual(new Set(["admin-node-0", "admin-node-1"]));
    for (const name of ["spread-0", "spread-1"]) requestPodDeletion(fixture.store, NS, name, 0);
  });
});

describe("deletion", () => {
  it("stops a pod with SIGTERM, removes its namespace and folders, keeps its PVC, then deletes it", async () => {
    createClaim("data-graceful");
    fixture.store.create(
      "pods",
      pod(NS, "graceful", {
        containers: [
          {
            name: "app",
            image: UTIL_IMAGE,
            command: [
              "/bin/sh",
              "-c",
              "trap 'echo terminated > /data/goodbye; exit 0' TERM; while :; do sleep 0.1; done",
            ],
            volumeMounts: [{ name: "data", mountPath: "/data" }],
          },
        ],
        volumes: [{ name: "data", persistentVolumeClaim: { claimName: "data-graceful" } }],
      }),
    );
    const status = await waitForReady(fixture.store, NS, "graceful");
    const uid = fixture.store.require("pods", NS, "graceful").metadata.uid;
    const podDir = join(fixture.dir, "pods", `${NS}_graceful_${uid}`);
    expect(existsSync(podDir)).toBe(true);
    const namespacesBefore = (await runCommand("ip", ["netns", "list"])).stdout;
    const octet = status.podIP?.split(".")[3];
    expect(namespacesBefore).toContain(`esb-${fixture.sandboxId}-${octet}`);

    requestPodDeletion(fixture.store, NS, "graceful", 30);
    expect(fixture.store.get("pods", NS, "graceful")?.metadata.deletionTimestamp).toBeDefined();
    await waitFor("pod graceful to disappear", () => !fixture.store.get("pods", NS, "graceful"));
    expect(
      readFileSync(join(fixture.runtime.pvcPath(NS, "data-graceful"), "goodbye"), "utf8"),
    ).toBe("terminated\n");
    expect(existsSync(podDir)).toBe(false);
    expect((await runCommand("ip", ["netns", "list"])).stdout).not.toContain(
      `esb-${fixture.sandboxId}-${octet}`,
    );
    expect((await runCommand("ip", ["link", "show"])).stdout).not.toContain(
      `esb${fixture.sandboxId}-${octet}:`,
    );
  });

  it("cleans up a pod deleted while it is still being set up, and runs its successor", async () => {
    fixture.store.create("pods", pod(NS, "hasty", { containers: [sleeper()] }));
    await waitFor(
      "hasty to be bound",
      () => (fixture.store.get("pods", NS, "hasty")?.spec as { nodeName?: string }).nodeName,
    );
    requestPodDeletion(fixture.store, NS, "hasty", 30);
    await waitFor("hasty to disappear", () => !fixture.store.get("pods", NS, "hasty"));
    const address = fixture.runtime.podIP(NS, "hasty");
    if (address) {
      const octet = address.split(".")[3];
      expect((await runCommand("ip", ["netns", "list"])).stdout).not.toMatch(
        new RegExp(`^esb-${fixture.sandboxId}-${octet}\\b`, "m"),
      );
    }
    fixture.store.create("pods", pod(NS, "hasty", { containers: [sleeper()] }));
    await waitForReady(fixture.store, NS, "hasty");
    requestPodDeletion(fixture.store, NS, "hasty", 0);
  });

  it("kills a pod that ignores SIGTERM once the capped grace period is over", async () => {
    fixture.store.create(
      "pods",
      pod(NS, "stubborn", {
        containers: [
          {
            name: "app",
            image: UTIL_IMAGE,
            command: ["/bin/sh", "-c", "trap '' TERM; while :; do sleep 0.1; done"],
          },
        ],
      }),
    );
    const status = await waitForReady(fixture.store, NS, "stubborn");
    requestPodDeletion(fixture.store, NS, "stubborn", 600);
    await waitFor(
      "pod stubborn to disappear",
      () => !fixture.store.get("pods", NS, "stubborn"),
      15_000,
    );
    // A pod recreated under the same name gets its old address back.
    fixture.store.create("pods", pod(NS, "stubborn", { containers: [sleeper()] }));
    const again = await waitForReady(fixture.store, NS, "stubborn");
    expect(again.podIP).toBe(status.podIP);
  });
});

function* chunks(buffer: Buffer, size: number): Generator<Buffer> {
  for (let offset = 0; offset < buffer.length; offset += size)
    yield buffer.subarray(offset, offset + size);
}
