/**
 * Re-creating a StatefulSet with another podManagementPolicy (an immutable field) without
 * touching its pods: the set is deleted with `propagationPolicy: Orphan`, so its pods keep
 * running without owner, then created again from a saved copy (no server-set fields) with
 * the policy changed; the StatefulSet controller adopts the running pods by their names and
 * labels, and since the pod template is unchanged, their revision is too: nothing restarts.
 *
 * A restore needs it for kube-etcd under `OrderedReady` with a readiness probe that needs
 * quorum: scaling such a set up from 0 deadlocks (pod-0 is never Ready alone, so pod-1 is
 * never created), and scaling it down stalls when its members are not Ready. The restore
 * runs its outage with a `Parallel` copy and puts the saved set back afterwards.
 *
 * Raw JSON throughout, as for the PDB: a client model would drop fields it does not know.
 */
import type { KubeConfig } from "@kubernetes/client-node";
import { withoutServerFields } from "./pdb.ts";
import { rawRequestOrThrow } from "./raw-request.ts";
import { waitUntil, type Progress, type WaitOptions } from "./wait.ts";

export interface StatefulSetRef {
  namespace: string;
  name: string;
}

export type PodManagementPolicy = "OrderedReady" | "Parallel";

/** A StatefulSet as its owner wrote it: metadata without server fields, spec, no status. */
export interface SavedStatefulSet {
  apiVersion: string;
  kind: "StatefulSet";
  metadata: { name: string; namespace: string } & Record<string, unknown>;
  spec: {
    replicas?: number;
    podManagementPolicy?: string;
    selector?: { matchLabels?: Record<string, string> };
    [field: string]: unknown;
  };
  [field: string]: unknown;
}

interface LiveStatefulSet extends SavedStatefulSet {
  metadata: SavedStatefulSet["metadata"] & { uid?: string };
  status?: { readyReplicas?: number; replicas?: number };
}

interface LivePod {
  metadata: {
    name: string;
    uid?: string;
    deletionTimestamp?: string;
    ownerReferences?: Array<{ kind: string; uid: string; controller?: boolean }>;
  };
}

const setPath = (ref: StatefulSetRef, withName = true) =>
  `/apis/apps/v1/namespaces/${encodeURIComponent(ref.namespace)}/statefulsets${withName ? `/${encodeURIComponent(ref.name)}` : ""}`;

export const describeStatefulSet = (ref: StatefulSetRef) =>
  `statefulset ${ref.namespace}/${ref.name}`;

/** Reads the set as it is to be put back later; undefined when there is none. */
export async function readStatefulSet(
  config: KubeConfig,
  ref: StatefulSetRef,
  signal?: AbortSignal,
): Promise<LiveStatefulSet | undefined> {
  const response = await call(config, "GET", setPath(ref), ref, "reading", undefined, signal);
  return response.code === 404 ? undefined : (response.body as LiveStatefulSet);
}

/** The set without status and the server's metadata, everything else exactly as read. */
export function savedStatefulSet(live: Record<string, unknown>): SavedStatefulSet {
  return withoutServerFields<SavedStatefulSet>(live);
}

export interface RecreateResult {
  /** What was done: `re-created`, or `already in place` on a rerun. */
  action: "re-created" | "already in place";
  /** The pods the new set controls, which ran on under the old one. */
  adoptedPods: string[];
}

/**
 * Makes the live set the saved one with `podManagementPolicy` (the saved one's own when not
 * given), keeping its pods: orphan-deletes a set with another policy, creates the wanted one
 * if none is there, and waits until every pod of its ordinals that exists is controlled by
 * the new set. Safe to call again after an interruption at any point (the set deleted but
 * not yet created, say): it works from what it finds.
 */
export async function recreateStatefulSetKeepingPods(
  config: KubeConfig,
  saved: SavedStatefulSet,
  podManagementPolicy: PodManagementPolicy | undefined,
  options: WaitOptions,
): Promise<RecreateResult> {
  const ref = { namespace: saved.metadata.namespace, name: saved.metadata.name };
  const wanted = savedStatefulSet(structuredClone(saved));
  if (podManagementPolicy) wanted.spec.podManagementPolicy = podManagementPolicy;
  const wantedPolicy = wanted.spec.podManagementPolicy ?? "OrderedReady";
  let live = await readStatefulSet(config, ref, options.signal);
  let action: RecreateResult["action"] = "already in place";
  if (live && (live.spec.podManagementPolicy ?? "OrderedReady") !== wantedPolicy) {
    await orphanDelete(config, ref, options);
    live = undefined;
  }
  if (!live) {
    const created = await call(
      config,
      "POST",
      setPath(ref, false),
      ref,
      "re-creating",
      wanted,
      options.signal,
    );
    if (created.code === 404) {
      throw new Error(
        `re-creating ${describeStatefulSet(ref)} failed: its namespace is gone (404); the saved copy is in the restore's journal.`,
      );
    }
    if (created.code === 409) {
      live = await adoptConcurrentCreate(config, ref, wanted, options.signal);
    } else {
      live = created.body as LiveStatefulSet;
      action = "re-created";
    }
  }
  const adoptedPods = await waitForAdoption(config, ref, live, options);
  return { action, adoptedPods };
}

/**
 * Something created the set between the delete and this create (409 AlreadyExists): if it
 * is the wanted one, take it as done; another set there is one clear error, never replaced.
 */
async function adoptConcurrentCreate(
  config: KubeConfig,
  ref: StatefulSetRef,
  wanted: SavedStatefulSet,
  signal?: AbortSignal,
): Promise<LiveStatefulSet> {
  const live = await readStatefulSet(config, ref, signal);
  const samePolicy =
    (live?.spec.podManagementPolicy ?? "OrderedReady") ===
    (wanted.spec.podManagementPolicy ?? "OrderedReady");
  if (live && samePolicy && specMatches(wanted.spec, live.spec)) return live;
  throw new Error(
    live
      ? `re-creating ${describeStatefulSet(ref)} found one already created by someone else (409 AlreadyExists), with another spec than the saved copy (podManagementPolicy ${live.spec.podManagementPolicy ?? "OrderedReady"}, replicas ${live.spec.replicas ?? 1}); the restore does not replace it: check what re-created it, then rerun (the saved copy is in the restore's journal).`
      : `re-creating ${describeStatefulSet(ref)} was refused as already existing (409 AlreadyExists), but it is gone again: something else is creating and deleting it; stop that, then rerun.`,
  );
}

/**
 * Whether the live spec is the wanted one: every field the wanted spec sets has the same
 * value live (the API server may add defaults the saved copy lacked; it never drops one).
 */
export function specMatches(wanted: unknown, live: unknown): boolean {
  if (Array.isArray(wanted)) {
    return (
      Array.isArray(live) &&
      live.length === wanted.length &&
      wanted.every((item, index) => specMatches(item, live[index]))
    );
  }
  if (wanted !== null && typeof wanted === "object") {
    if (live === null || typeof live !== "object" || Array.isArray(live)) return false;
    return Object.entries(wanted).every(([key, value]) =>
      specMatches(value, (live as Record<string, unknown>)[key]),
    );
  }
  return wanted === live;
}

/** `kubectl delete statefulset --cascade=orphan`, then waits until the set is gone. */
async function orphanDelete(
  config: KubeConfig,
  ref: StatefulSetRef,
  options: WaitOptions,
): Promise<void> {
  const deleted = await call(
    config,
    "DELETE",
    setPath(ref),
    ref,
    "deleting (orphaning its pods)",
    { apiVersion: "v1", kind: "DeleteOptions", propagationPolicy: "Orphan" },
    options.signal,
  );
  if (deleted.code === 404) return;
  await waitUntil(
    `${describeStatefulSet(ref)} to be gone after its deletion with orphan propagation`,
    async (): Promise<Progress<void>> =>
      (await readStatefulSet(config, ref, options.signal))
        ? { done: false, waitingFor: "it still exists (the orphan finalizer not yet done?)" }
        : { done: true, value: undefined },
    options,
  );
}

/**
 * Every existing pod of the set's ordinals controlled by the set (its uid): the controller
 * has adopted what the old set left running. Pods that do not exist (a set at 0) are fine.
 */
async function waitForAdoption(
  config: KubeConfig,
  ref: StatefulSetRef,
  live: LiveStatefulSet,
  options: WaitOptions,
): Promise<string[]> {
  const uid = live.metadata.uid;
  const pattern = new RegExp(`^${ref.name.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}-\\d+$`);
  const podsPath = `/api/v1/namespaces/${encodeURIComponent(ref.namespace)}/pods`;
  return waitUntil(
    `the pods of ${describeStatefulSet(ref)} to be adopted by the re-created set`,
    async (): Promise<Progress<string[]>> => {
      const listed = await call(config, "GET", podsPath, ref, "listing the pods of", undefined);
      const pods = ((listed.body as { items?: LivePod[] }).items ?? []).filter(
        (pod) => pattern.test(pod.metadata.name) && !pod.metadata.deletionTimestamp,
      );
      const waiting = pods.filter(
        (pod) =>
          !(pod.metadata.ownerReferences ?? []).some(
            (owner) => owner.controller === true && owner.uid === uid,
          ),
      );
      return waiting.length === 0
        ? { done: true, value: pods.map((pod) => pod.metadata.name).sort() }
        : {
            done: false,
            waitingFor: `${waiting.map((pod) => pod.metadata.name).join(", ")} not yet controlled by it`,
          };
    },
    options,
  );
}

async function call(
  config: KubeConfig,
  method: "GET" | "POST" | "DELETE",
  path: string,
  ref: StatefulSetRef,
  action: string,
  body: unknown,
  signal?: AbortSignal,
) {
  // A create that finds the set already there: the caller decides whether that is done.
  const allowed = method === "POST" ? [404, 409] : [404];
  return rawRequestOrThrow(
    config,
    { method, path, body, signal },
    describeStatefulSet(ref),
    action,
    allowed,
  );
}
