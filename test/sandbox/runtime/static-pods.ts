/**
 * Static pods of the control-plane node, as its kubelet runs them: every manifest in
 * `<node root>/etc/kubernetes/manifests/` becomes a mirror Pod `<name>-<node>` (annotations
 * `kubernetes.io/config.mirror` and `kubernetes.io/config.source: file`) that the node's
 * kubelet runs like any bound pod. A manifest moved out stops its pod and removes the mirror;
 * moved back, it starts again; changed, the pod is replaced. The folder is polled each second.
 */
import { createHash } from "node:crypto";
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";

import { parse } from "yaml";

import type { Logger } from "../../../src/core/log/logger.ts";
import { requestPodDeletion } from "../pod-deletion.ts";
import type { KubeObject, ObjectStore } from "../store.ts";
import { POD_RESOURCE, timestamp } from "./pod-spec.ts";
import { guarded } from "./processes.ts";

const POLL_MS = 1_000;

interface RunningManifest {
  namespace: string;
  podName: string;
  hash: string;
}

export class StaticPodSource {
  private readonly running = new Map<string, RunningManifest>();
  private readonly reportedProblems = new Set<string>();
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly store: ObjectStore,
    private readonly node: { name: string; uid: string },
    readonly manifestsDir: string,
    private readonly logger: Logger,
  ) {}

  start(): void {
    const tick = () => guarded(`static pods of ${this.node.name}`, this.logger, () => this.poll());
    tick();
    this.timer = setInterval(tick, POLL_MS);
  }

  stop(): void {
    clearInterval(this.timer);
  }

  /** One pass: stop pods whose manifest went or changed, start those whose manifest is new. */
  poll(): void {
    const manifests = this.readManifests();
    for (const [file, current] of this.running) {
      const now = manifests.get(file);
      if (!now || this.hashOf(now) !== current.hash) {
        this.stopMirror(current);
        this.running.delete(file);
      }
    }
    for (const [file, content] of manifests) {
      const current = this.running.get(file);
      if (current && this.store.get(POD_RESOURCE, current.namespace, current.podName)) continue;
      // Not running, or its mirror was deleted through the API: (re)create it.
      this.startMirror(file, content);
    }
  }

  private hashOf(content: string): string {
    return createHash("sha256").update(content).digest("hex").slice(0, 32);
  }

  private readManifests(): Map<string, string> {
    const manifests = new Map<string, string>();
    let files: string[];
    try {
      files = readdirSync(this.manifestsDir);
    } catch {
      return manifests;
    }
    for (const file of files) {
      // As the kubelet does: hidden files are ignored; editors leave those behind.
      if (file.startsWith(".") || !/\.(ya?ml|json)$/.test(file)) continue;
      try {
        manifests.set(file, readFileSync(join(this.manifestsDir, file), "utf8"));
      } catch {
        // Moved away between listing and reading: gone.
      }
    }
    return manifests;
  }

  private startMirror(file: string, content: string): void {
    const hash = this.hashOf(content);
    const mirror = this.mirrorPod(file, content, hash);
    if (!mirror) return;
    const { name, namespace = "kube-system" } = mirror.metadata;
    const existing = this.store.get(POD_RESOURCE, namespace, name);
    // The previous incarnation is still stopping: start once it is gone.
    if (existing) return;
    this.store.create(POD_RESOURCE, mirror);
    this.running.set(file, { namespace, podName: name, hash });
    this.logger.debug(`static pod ${namespace}/${name} started from ${file}`);
  }

  private stopMirror(current: RunningManifest): void {
    const mirror = this.store.get(POD_RESOURCE, current.namespace, current.podName);
    if (!mirror || mirror.metadata.deletionTimestamp) return;
    const grace =
      (mirror.spec as { terminationGracePeriodSeconds?: number }).terminationGracePeriodSeconds ??
      30;
    requestPodDeletion(this.store, current.namespace, current.podName, grace);
    this.logger.debug(
      `static pod ${current.namespace}/${current.podName} stopping: its manifest is gone or changed`,
    );
  }

  private mirrorPod(file: string, content: string, hash: string): KubeObject | undefined {
    let manifest: KubeObject;
    try {
      manifest = parse(content) as KubeObject;
      if (!manifest?.metadata?.name || !(manifest.spec as { containers?: unknown[] })?.containers) {
        throw new Error("expected a Pod with metadata.name and spec.containers");
      }
    } catch (error) {
      const problem = `${file}:${hash}`;
      if (!this.reportedProblems.has(problem)) {
        this.reportedProblems.add(problem);
        this.logger.warning(
          `static pod manifest ${join(this.manifestsDir, file)} is not usable: ${error instanceof Error ? error.message : String(error)}`,
        );
      }
      return undefined;
    }
    const metadata = manifest.metadata;
    return {
      apiVersion: "v1",
      kind: "Pod",
      metadata: {
        name: `${metadata.name}-${this.node.name}`,
        namespace: metadata.namespace ?? "kube-system",
        ...(metadata.labels ? { labels: metadata.labels } : {}),
        annotations: {
          ...(metadata.annotations ?? {}),
          "kubernetes.io/config.hash": hash,
          "kubernetes.io/config.mirror": hash,
          "kubernetes.io/config.seen": new Date().toISOString(),
          "kubernetes.io/config.source": "file",
        },
        ownerReferences: [
          {
            apiVersion: "v1",
            kind: "Node",
            name: this.node.name,
            uid: this.node.uid,
            controller: true,
          },
        ],
      },
      spec: {
        restartPolicy: "Always",
        ...(manifest.spec as Record<string, unknown>),
        nodeName: this.node.name,
        tolerations: [{ operator: "Exists", effect: "NoExecute" }],
      },
      status: {
        phase: "Pending",
        conditions: [
          {
            type: "PodScheduled",
            status: "True",
            lastProbeTime: null,
            lastTransitionTime: timestamp(),
          },
        ],
      },
    };
  }
}
