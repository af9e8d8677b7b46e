/**
 * The default scheduler at sandbox scale. A pod without a node is bound to one whose labels
 * match its nodeSelector, whose taints it tolerates, and where its PVCs can be mounted (a
 * claim already bound to another node rules a node out). Without a nodeSelector, pods go to
 * worker nodes only, spread: fewest pods of the same owner first, then fewest pods. The first
 * pod scheduled with an unbound claim binds it to its node. A pod that fits nowhere stays
 * Pending with PodScheduled=False/Unschedulable and a FailedScheduling event, and is retried.
 */
import type { Logger } from "../../../src/core/log/logger.ts";
import type { KubeObject, ObjectStore } from "../store.ts";
import { StoreError } from "../store.ts";
import type { EventRecorder } from "./events.ts";
import type { Condition, PodSpec, Taint, Toleration } from "./pod-spec.ts";
import { guarded } from "./processes.ts";
import {
  CONTROL_PLANE_LABEL,
  NODE_RESOURCE,
  POD_RESOURCE,
  PVC_RESOURCE,
  SELECTED_NODE_ANNOTATION,
  podSpec,
  timestamp,
} from "./pod-spec.ts";

const RETRY_MS = 1_000;
/** A pod still unschedulable for the same reason gets its event bumped this often, not every pass. */
const REPEAT_EVENT_MS = 30_000;

interface Verdict {
  fits: boolean;
  /** Why the node does not fit, in the scheduler's words, for the event message. */
  reason?: string;
}

export class Scheduler {
  private stopWatches: Array<() => void> = [];
  private timer: NodeJS.Timeout | undefined;
  private readonly lastFailure = new Map<string, { message: string; at: number }>();

  constructor(
    private readonly store: ObjectStore,
    private readonly nodeNames: string[],
    private readonly recorder: EventRecorder,
    private readonly logger: Logger,
  ) {}

  start(): void {
    const fromVersion = this.store.currentResourceVersion();
    this.scheduleAll();
    this.stopWatches.push(
      this.store.watch(POD_RESOURCE, undefined, fromVersion, (event) => {
        if (event.type !== "DELETED") this.schedule(event.object);
      }),
    );
    this.timer = setInterval(() => this.scheduleAll(), RETRY_MS);
  }

  scheduleAll(): void {
    for (const pod of this.store.list(POD_RESOURCE).items) this.schedule(pod);
  }

  stop(): void {
    for (const stop of this.stopWatches) stop();
    clearInterval(this.timer);
  }

  private schedule(pod: KubeObject): void {
    guarded("scheduler", this.logger, () => this.tryToSchedule(pod));
  }

  private tryToSchedule(pod: KubeObject): void {
    const spec = podSpec(pod);
    if (spec.nodeName || pod.metadata.deletionTimestamp) return;
    try {
      const missingClaim = this.missingClaim(pod, spec);
      if (missingClaim) {
        this.unschedulable(
          pod,
          `0/${this.nodeNames.length} nodes are available: persistentvolumeclaim "${missingClaim}" not found.`,
        );
        return;
      }
      const nodes = this.nodes();
      const verdicts = nodes.map((node) => ({ node, verdict: this.fits(pod, spec, node) }));
      const candidates = verdicts.filter(({ verdict }) => verdict.fits).map(({ node }) => node);
      if (candidates.length === 0) {
        this.unschedulable(
          pod,
          noFitMessage(
            nodes.length,
            verdicts.map(({ verdict }) => verdict),
          ),
        );
        return;
      }
      this.bind(pod, spec, this.leastLoaded(pod, candidates));
    } catch (error) {
      // The pod changed or went while we decided: the next event or pass retries it.
      if (
        error instanceof StoreError &&
        (error.reason === "Conflict" || error.reason === "NotFound")
      )
        return;
      throw error;
    }
  }

  private nodes(): KubeObject[] {
    return this.nodeNames
      .map((name) => this.store.get(NODE_RESOURCE, undefined, name))
      .filter((node): node is KubeObject => node !== undefined);
  }

  private missingClaim(pod: KubeObject, spec: PodSpec): string | undefined {
    return claimNames(spec).find(
      (claim) => !this.store.get(PVC_RESOURCE, pod.metadata.namespace, claim),
    );
  }

  private fits(pod: KubeObject, spec: PodSpec, node: KubeObject): Verdict {
    const labels = node.metadata.labels ?? {};
    const selector = spec.nodeSelector ?? {};
    const selectorKeys = Object.keys(selector);
    if (selectorKeys.some((key) => labels[key] !== selector[key])) {
      return { fits: false, reason: "didn't match Pod's node affinity/selector" };
    }
    if (selectorKeys.length === 0 && CONTROL_PLANE_LABEL in labels) {
      return {
        fits: false,
        reason: "had untolerated taint {node-role.kubernetes.io/control-plane: }",
      };
    }
    const taint = ((node.spec as { taints?: Taint[] } | undefined)?.taints ?? []).find(
      (candidate) =>
        candidate.effect !== "PreferNoSchedule" && !tolerated(candidate, spec.tolerations ?? []),
    );
    if (taint)
      return { fits: false, reason: `had untolerated taint {${taint.key}: ${taint.value ?? ""}}` };
    for (const claim of claimNames(spec)) {
      const pvc = this.store.get(PVC_RESOURCE, pod.metadata.namespace, claim);
      const selected = pvc?.metadata.annotations?.[SELECTED_NODE_ANNOTATION];
      if (selected && selected !== node.metadata.name)
        return { fits: false, reason: "had volume node affinity conflict" };
    }
    return { fits: true };
  }

  /** Spread: fewest pods of the same owner on the node, then fewest pods, then by name. */
  private leastLoaded(pod: KubeObject, candidates: KubeObject[]): KubeObject {
    const owner = pod.metadata.ownerReferences?.find((reference) => reference.controller)?.uid;
    const pods = this.store.list(POD_RESOURCE).items.filter((other) => podSpec(other).nodeName);
    const load = (node: KubeObject) => {
      const onNode = pods.filter((other) => podSpec(other).nodeName === node.metadata.name);
      const siblings = owner
        ? onNode.filter((other) =>
            other.metadata.ownerReferences?.some((reference) => reference.uid === owner),
          ).length
        : 0;
      return [siblings, onNode.length] as const;
    };
    return [...candidates].sort((a, b) => {
      const [siblingsA, podsA] = load(a);
      const [siblingsB, podsB] = load(b);
      return (
        siblingsA - siblingsB || podsA - podsB || a.metadata.name.localeCompare(b.metadata.name)
      );
    })[0] as KubeObject;
  }

  private bind(pod: KubeObject, spec: PodSpec, node: KubeObject): void {
    const nodeName = node.metadata.name;
    const namespace = pod.metadata.namespace;
    for (const claim of claimNames(spec)) this.bindClaim(namespace, claim, nodeName);
    const bound = this.store.mutate(POD_RESOURCE, namespace, pod.metadata.name, (current) => {
      if (current.metadata.uid !== pod.metadata.uid)
        throw new StoreError("Conflict", "the pod was replaced");
      (current.spec as PodSpec).nodeName = nodeName;
      const status = (current.status ??= {}) as { phase?: string; conditions?: Condition[] };
      status.phase ??= "Pending";
      status.conditions = [
        ...(status.conditions ?? []).filter((condition) => condition.type !== "PodScheduled"),
        {
          type: "PodScheduled",
          status: "True",
          lastProbeTime: null,
          lastTransitionTime: timestamp(),
        },
      ];
    });
    this.lastFailure.delete(pod.metadata.uid ?? "");
    this.recorder.record(
      bound,
      "Normal",
      "Scheduled",
      `Successfully assigned ${namespace}/${pod.metadata.name} to ${nodeName}`,
    );
    this.logger.debug(`scheduled ${namespace}/${pod.metadata.name} on ${nodeName}`);
  }

  /** WaitForFirstConsumer: the claim goes to the node of the first pod that uses it. */
  private bindClaim(namespace: string | undefined, claim: string, nodeName: string): void {
    this.store.mutate(PVC_RESOURCE, namespace, claim, (pvc) => {
      const annotations = (pvc.metadata.annotations ??= {});
      if (annotations[SELECTED_NODE_ANNOTATION]) return;
      annotations[SELECTED_NODE_ANNOTATION] = nodeName;
      annotations["pv.kubernetes.io/bind-completed"] = "yes";
      const spec = (pvc.spec ??= {}) as {
        volumeName?: string;
        accessModes?: string[];
        resources?: { requests?: { storage?: string } };
      };
      spec.volumeName ??= `pvc-${pvc.metadata.uid}`;
      pvc.status = {
        phase: "Bound",
        accessModes: spec.accessModes ?? ["ReadWriteOnce"],
        capacity: { storage: spec.resources?.requests?.storage ?? "1Gi" },
      };
    });
  }

  private unschedulable(pod: KubeObject, message: string): void {
    const current = this.store.get(POD_RESOURCE, pod.metadata.namespace, pod.metadata.name);
    if (!current || current.metadata.uid !== pod.metadata.uid) return;
    const updated = this.store.mutate(
      POD_RESOURCE,
      pod.metadata.namespace,
      pod.metadata.name,
      (latest) => {
        const status = (latest.status ??= {}) as { phase?: string; conditions?: Condition[] };
        status.phase = "Pending";
        const previous = status.conditions?.find((condition) => condition.type === "PodScheduled");
        const unchanged = previous?.status === "False" && previous.message === message;
        status.conditions = [
          ...(status.conditions ?? []).filter((condition) => condition.type !== "PodScheduled"),
          unchanged && previous
            ? previous
            : {
                type: "PodScheduled",
                status: "False",
                reason: "Unschedulable",
                message,
                lastProbeTime: null,
                lastTransitionTime: timestamp(),
              },
        ];
      },
    );
    const uid = pod.metadata.uid ?? "";
    const last = this.lastFailure.get(uid);
    if (last?.message === message && Date.now() - last.at < REPEAT_EVENT_MS) return;
    this.lastFailure.set(uid, { message, at: Date.now() });
    this.recorder.record(updated, "Warning", "FailedScheduling", message);
  }
}

function claimNames(spec: PodSpec): string[] {
  return (spec.volumes ?? []).flatMap((volume) =>
    volume.persistentVolumeClaim ? [volume.persistentVolumeClaim.claimName] : [],
  );
}

function tolerated(taint: Taint, tolerations: Toleration[]): boolean {
  return tolerations.some((toleration) => {
    if (toleration.effect && toleration.effect !== taint.effect) return false;
    if (toleration.operator === "Exists") return !toleration.key || toleration.key === taint.key;
    return toleration.key === taint.key && (toleration.value ?? "") === (taint.value ?? "");
  });
}

/** "0/3 nodes are available: 1 node(s) didn't match ..., 2 node(s) had volume node affinity conflict. preemption: ..." */
function noFitMessage(nodeCount: number, verdicts: Verdict[]): string {
  const counts = new Map<string, number>();
  for (const verdict of verdicts) {
    if (verdict.reason) counts.set(verdict.reason, (counts.get(verdict.reason) ?? 0) + 1);
  }
  const reasons = [...counts.entries()]
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([reason, count]) => `${count} node(s) ${reason}`)
    .join(", ");
  return `0/${nodeCount} nodes are available: ${reasons}. preemption: 0/${nodeCount} nodes are available: ${nodeCount} Preemption is not helpful for scheduling.`;
}
