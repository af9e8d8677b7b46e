/**
 * WATCH on the wire: chunked JSON lines, timeoutSeconds, selectors, and a client that goes away.
 */
import { readFile } from "node:fs/promises";
import { request } from "node:https";
import type { ClientRequest, IncomingMessage } from "node:http";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { ObjectStore } from "../sandbox/store.ts";
import { pod, startTestCluster, type TestCluster } from "./harness.ts";

let cluster: TestCluster;
let ca: Buffer;

beforeAll(async () => {
  cluster = await startTestCluster();
  ca = await readFile(cluster.caPath);
});
afterAll(async () => {
  await cluster?.stop();
});

interface OpenWatch {
  request: ClientRequest;
  response: IncomingMessage;
  /** Events received so far, one parsed JSON line each. */
  events: Array<{ type: string; object: { metadata: { name: string; resourceVersion?: string } } }>;
  ended: Promise<void>;
}

function openWatch(path: string): Promise<OpenWatch> {
  return new Promise((resolve, reject) => {
    const req = request(
      `${cluster.server.url}${path}`,
      { ca, headers: { Authorization: `Bearer ${cluster.token}` } },
      (response) => {
        const events: OpenWatch["events"] = [];
        let pending = "";
        response.on("data", (chunk: Buffer) => {
          pending += chunk.toString();
          const lines = pending.split("\n");
          pending = lines.pop() ?? "";
          for (const line of lines) if (line) events.push(JSON.parse(line));
        });
        const ended = new Promise<void>((done) => response.on("close", () => done()));
        resolve({ request: req, response, events, ended });
      },
    );
    req.on("error", reject);
    req.end();
  });
}

async function waitFor(check: () => boolean, what: string): Promise<void> {
  const deadline = Date.now() + 5000;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

/** How many watches the store is feeding: the leak a vanished client would cause. */
const storeWatchers = (store: ObjectStore) =>
  (store as unknown as { emitter: { listenerCount(event: string): number } }).emitter.listenerCount(
    "event",
  );

describe("watch", () => {
  it("streams one JSON event per line: the current objects as ADDED, then changes", async () => {
    const watch = await openWatch("/api/v1/namespaces/uc1/pods?watch=1&labelSelector=app%3Detcd");
    expect(watch.response.headers["content-type"]).toBe("application/json");
    expect(watch.response.headers["transfer-encoding"]).toBe("chunked");
    await waitFor(() => watch.events.length === 3, "the three members");
    expect(watch.events.map((event) => `${event.type} ${event.object.metadata.name}`)).toEqual([
      "ADDED kube-etcd-0",
      "ADDED kube-etcd-1",
      "ADDED kube-etcd-2",
    ]);
    cluster.store.mutate("pods", "uc1", "kube-etcd-1", (object) => {
      object.metadata.labels = { app: "etcd", restarted: "yes" };
    });
    cluster.store.mutate("pods", "uc1", "kube-etcd-2", (object) => {
      object.metadata.labels = { app: "not-etcd" };
    });
    await waitFor(() => watch.events.length === 5, "two more events");
    expect(
      watch.events.slice(3).map((event) => `${event.type} ${event.object.metadata.name}`),
    ).toEqual([
      "MODIFIED kube-etcd-1",
      // It no longer matches the selector: for this watch it is gone.
      "DELETED kube-etcd-2",
    ]);
    watch.request.destroy();
  });

  it("ends the stream after timeoutSeconds", async () => {
    const started = Date.now();
    const watch = await openWatch(
      `/api/v1/nodes?watch=true&timeoutSeconds=1&resourceVersion=${cluster.store.currentResourceVersion()}`,
    );
    await watch.ended;
    expect(Date.now() - started).toBeGreaterThanOrEqual(900);
    expect(watch.events).toEqual([]);
  });

  it("stops feeding a watch whose client has gone away", async () => {
    const before = storeWatchers(cluster.store);
    const watch = await openWatch("/api/v1/pods?watch=true");
    await waitFor(() => storeWatchers(cluster.store) === before + 1, "the watch to start");
    watch.request.destroy();
    await waitFor(() => storeWatchers(cluster.store) === before, "the watch to stop");
    cluster.store.create(
      "pods",
      pod({ namespace: "uc1", name: "after-the-client-left", node: "admin-node-0" }),
    );
    expect(storeWatchers(cluster.store)).toBe(before);
  });
});
