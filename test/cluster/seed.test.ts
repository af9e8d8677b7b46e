import { spawn, execFile, type ChildProcess } from "node:child_process";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { seedEtcd, type SeedSummary } from "../sandbox/cluster/seed.ts";
import { makeEtcdCertificates, type EtcdTlsFiles } from "../sandbox/cluster/user-cluster.ts";

const run = promisify(execFile);

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const port = (server.address() as { port: number }).port;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

describe("realistic etcd content", () => {
  let dir: string;
  let etcd: ChildProcess | undefined;
  let tls: EtcdTlsFiles;
  let clientUrl: string;
  let summary: SeedSummary;
  let etcdctl: (...args: string[]) => Promise<string>;

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), "seed-test-"));
    tls = await makeEtcdCertificates(join(dir, "pki"), "uc1");
    const certDir = join(dir, "certs");
    await run("mkdir", ["-p", certDir]);
    await writeFile(join(certDir, "etcdCA.crt"), tls.caCert);
    await writeFile(join(certDir, "etcd.crt"), tls.cert);
    await writeFile(join(certDir, "etcd.key"), tls.key);
    const [clientPort, peerPort] = [await freePort(), await freePort()];
    clientUrl = `https://127.0.0.1:${clientPort}`;
    const peerUrl = `https://127.0.0.1:${peerPort}`;
    const tlsFlags = (prefix: string) => [
      `--${prefix}trusted-ca-file=${certDir}/etcdCA.crt`,
      `--${prefix}cert-file=${certDir}/etcd.crt`,
      `--${prefix}key-file=${certDir}/etcd.key`,
      `--${prefix}client-cert-auth=true`,
    ];
    etcd = spawn(
      "/usr/bin/etcd",
      [
        "--name=kube-etcd-0",
        `--data-dir=${join(dir, "data")}`,
        `--listen-client-urls=${clientUrl}`,
        `--advertise-client-urls=${clientUrl}`,
        `--listen-peer-urls=${peerUrl}`,
        `--initial-advertise-peer-urls=${peerUrl}`,
        `--initial-cluster=kube-etcd-0=${peerUrl}`,
        ...tlsFlags(""),
        ...tlsFlags("peer-"),
      ],
      { stdio: "ignore" },
    );
    etcdctl = async (...args: string[]) =>
      (
        await run(
          "etcdctl",
          [
            `--endpoints=${clientUrl}`,
            `--cacert=${certDir}/etcdCA.crt`,
            `--cert=${certDir}/etcd.crt`,
            `--key=${certDir}/etcd.key`,
            ...args,
          ],
          {
            env: { ...process.env, ETCDCTL_API: "3" },
            maxBuffer: 64 * 1024 * 1024,
            encoding: "latin1",
          },
        )
      ).stdout;
    for (let attempt = 0; ; attempt++) {
      try {
        await etcdctl("endpoint", "health");
        break;
      } catch (error) {
        if (attempt > 50) throw error;
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
    }
    summary = await seedEtcd(
      {
        url: clientUrl,
        servername: "kube-etcd-0.kube-etcd",
        caCert: tls.caCert,
        cert: tls.cert,
        key: tls.key,
      },
      { cluster: "uc1", dataMb: 4 },
    );
  });

  afterAll(async () => {
    if (etcd?.pid && etcd.exitCode === null) {
      const exited = new Promise((resolve) => etcd?.once("exit", resolve));
      process.kill(etcd.pid, "SIGTERM");
      await exited;
    }
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it("stores Kubernetes-shaped keys, and every key the summary counts is there", async () => {
    const keys = (await etcdctl("get", "/registry/", "--prefix", "--keys-only"))
      .split("\n")
      .filter(Boolean);
    expect(keys).toHaveLength(summary.keys);
    expect(keys).toContain("/registry/namespaces/payments");
    expect(keys).toContain("/registry/services/specs/payments/app1");
    expect(keys).toContain("/registry/minions/uc1-worker-0");
    expect(
      keys.some((key) =>
        key.startsWith("/registry/monitoring.coreos.com/servicemonitors/monitoring/"),
      ),
    ).toBe(true);
  });

  it("writes the API server's protobuf envelope, with the object's name and namespace inside", async () => {
    const value = await etcdctl(
      "get",
      "/registry/configmaps/payments/app2-config",
      "--print-value-only",
    );
    expect(value.startsWith("k8s\0")).toBe(true);
    expect(value).toContain("v1");
    expect(value).toContain("ConfigMap");
    expect(value).toContain("app2-config");
    expect(value).toContain("payments");
    expect(value).toContain("settings.yaml");
  });

  it("stores custom resources as JSON", async () => {
    const value = await etcdctl(
      "get",
      "/registry/monitoring.coreos.com/servicemonitors/monitoring/uc1-monitor-0",
      "--print-value-only",
    );
    expect(JSON.parse(value)).toMatchObject({
      kind: "ServiceMonitor",
      metadata: { name: "uc1-monitor-0" },
    });
  });

  it("leaves deleted objects in the history only, and events attached to a lease", async () => {
    expect(summary.deleted).toBeGreaterThan(0);
    expect(summary.leased).toBeGreaterThan(0);
    const leases = (await etcdctl("lease", "list")).match(/[0-9a-f]{16}/g) ?? [];
    expect(leases).toHaveLength(1);
    const attached = await etcdctl("lease", "timetolive", leases[0] as string, "--keys");
    expect(attached).toContain("/registry/events/default/");
    const status = JSON.parse(await etcdctl("endpoint", "status", "-w", "json")) as Array<{
      Status: { header: { revision: number } };
    }>;
    // Every put, update and delete is a revision of its own.
    expect(status[0]?.Status.header.revision).toBeGreaterThan(summary.keys + summary.deleted);
  });

  it("grows the store to the requested size with large values", async () => {
    const status = JSON.parse(await etcdctl("endpoint", "status", "-w", "json")) as Array<{
      Status: { dbSize: number };
    }>;
    expect(summary.bytes).toBeGreaterThan(4 * 1024 * 1024);
    expect(status[0]?.Status.dbSize).toBeGreaterThan(4 * 1024 * 1024);
  });
});
