/**
 * The sandbox API server depends on the admin control plane, as a real one does: while the
 * `kube-apiserver` or `etcd` static pod on admin-master is not running and Ready (a manifest
 * moved out of /etc/kubernetes/manifests, a process dead or crash-looping, or the
 * kube-apiserver's readiness probe failing because the admin etcd does not answer
 * `endpoint health`), the API server stops serving: new
 * connections are refused (ECONNREFUSED) and open ones dropped, as when a kube-apiserver is
 * stopped. When the pod is Ready again, it listens again on the same port. The state is
 * polled each second; it flips only after two polls in a row agree, so one slow probe on a
 * busy machine does not make the API flap.
 *
 * Kubelets and controllers use the store directly, not the API: they go on running, as a
 * real node's kubelet and static pods do. The objects themselves stay in memory.
 */
import type { Logger } from "../../../src/core/log/logger.ts";
import { errorMessage } from "../../../src/core/errors.ts";
import type { ObjectStore } from "../store.ts";

const POLL_MS = 1_000;
/** Polls in a row that must agree before the API goes away or comes back. */
const POLLS_TO_FLIP = 2;

export interface GatedApiServer {
  stopServing(): void;
  resumeServing(): Promise<void>;
  serving(): boolean;
}

export interface AdminApiGateOptions {
  store: ObjectStore;
  apiServer: GatedApiServer;
  namespace: string;
  /** The static pods' mirrors the API server needs Ready: kube-apiserver-<node>, etcd-<node>. */
  pods: string[];
  /**
   * Several control-plane nodes (a Controlplane V2 user cluster): `pods` grouped per node.
   * The API serves while a majority of the nodes have all their pods Ready, as a real cluster
   * does behind its control-plane VIP (one API server left with an etcd of quorum answers).
   * Without it, every pod in `pods` must be Ready.
   */
  podsPerNode?: string[][];
  logger: Logger;
}

export interface AdminApiGate {
  stop(): void;
}

export function startAdminApiGate(options: AdminApiGateOptions): AdminApiGate {
  const { apiServer, logger } = options;
  let agreeing = 0;
  let busy = false;
  const poll = async () => {
    const notReady = options.pods.filter(
      (pod) => !isPodReady(options.store, options.namespace, pod),
    );
    const ready = options.podsPerNode
      ? majorityReady(options.podsPerNode, notReady)
      : notReady.length === 0;
    if (ready === apiServer.serving()) {
      agreeing = 0;
      return;
    }
    agreeing += 1;
    if (agreeing < POLLS_TO_FLIP) return;
    agreeing = 0;
    if (ready) {
      await apiServer.resumeServing();
      logger.info(`sandbox API server: ${options.pods.join(" and ")} Ready again; serving again`);
    } else {
      apiServer.stopServing();
      logger.info(
        `sandbox API server: ${notReady.join(" and ")} not running or not Ready; refusing connections until they are`,
      );
    }
  };
  const timer = setInterval(() => {
    if (busy) return;
    busy = true;
    poll()
      .catch((error: unknown) =>
        // A failed re-listen is tried again at the next poll.
        logger.warning(`sandbox API server gate: ${errorMessage(error)}`),
      )
      .finally(() => (busy = false));
  }, POLL_MS);
  return { stop: () => clearInterval(timer) };
}

/** Whether more than half of the nodes have none of their pods among `notReady`. */
function majorityReady(podsPerNode: string[][], notReady: string[]): boolean {
  const readyNodes = podsPerNode.filter((pods) => pods.every((pod) => !notReady.includes(pod)));
  return readyNodes.length * 2 > podsPerNode.length;
}

/** Running, not being deleted, and condition Ready=True, as the kubelet wrote it. */
function isPodReady(store: ObjectStore, namespace: string, name: string): boolean {
  const pod = store.get("pods", namespace, name) as
    | {
        metadata: { deletionTimestamp?: string };
        status?: { phase?: string; conditions?: Array<{ type: string; status: string }> };
      }
    | undefined;
  if (!pod || pod.metadata.deletionTimestamp) return false;
  if (pod.status?.phase !== "Running") return false;
  return pod.status.conditions?.some((c) => c.type === "Ready" && c.status === "True") ?? false;
}
