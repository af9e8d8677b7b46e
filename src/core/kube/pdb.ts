/**
 * The PodDisruptionBudget a restore removes and puts back (runbook 3.2: the user cluster's
 * kube-apiserver PDB blocks scaling the API server down). It is saved exactly as it was,
 * minus what the API server sets itself, and re-created from that: as raw JSON, so no field
 * is lost to a client model that does not know it.
 */
import type { KubeConfig } from "@kubernetes/client-node";
import { rawRequestOrThrow } from "./raw-request.ts";
import { waitUntil, type Progress, type WaitOptions } from "./wait.ts";

export interface PdbRef {
  namespace: string;
  name: string;
}

/** A PDB as its owner wrote it: apiVersion, kind, metadata without server fields, spec. */
export interface SavedPodDisruptionBudget {
  apiVersion: string;
  kind: "PodDisruptionBudget";
  metadata: { name: string; namespace: string } & Record<string, unknown>;
  spec?: Record<string, unknown>;
  [field: string]: unknown;
}

/** What the API server writes into metadata itself; a create that carries them is refused or misleading. */
export const SERVER_SET_METADATA = [
  "resourceVersion",
  "uid",
  "creationTimestamp",
  "generation",
  "managedFields",
  "selfLink",
  "deletionTimestamp",
  "deletionGracePeriodSeconds",
] as const;

const pathOf = (ref: PdbRef, withName = true) =>
  `/apis/policy/v1/namespaces/${encodeURIComponent(ref.namespace)}/poddisruptionbudgets${withName ? `/${encodeURIComponent(ref.name)}` : ""}`;

const describePdb = (ref: PdbRef) => `poddisruptionbudget ${ref.namespace}/${ref.name}`;

/** The object without status and the server's metadata, everything else exactly as read. */
export function withoutServerFields<Saved = SavedPodDisruptionBudget>(
  object: Record<string, unknown>,
): Saved {
  const { status: _status, metadata, ...rest } = object;
  const cleanMetadata = { ...(metadata as Record<string, unknown>) };
  for (const field of SERVER_SET_METADATA) delete cleanMetadata[field];
  return { ...rest, metadata: cleanMetadata } as Saved;
}

/** Reads the PDB to put back later; undefined when there is none. */
export async function savePodDisruptionBudget(
  config: KubeConfig,
  ref: PdbRef,
  signal?: AbortSignal,
): Promise<SavedPodDisruptionBudget | undefined> {
  const response = await call(config, "GET", pathOf(ref), ref, "reading", undefined, signal);
  if (response.code === 404) return undefined;
  return withoutServerFields(response.body as Record<string, unknown>);
}

/** Deletes the PDB and waits until it is gone; one that does not exist is fine. */
export async function deletePodDisruptionBudget(
  config: KubeConfig,
  ref: PdbRef,
  options: WaitOptions,
): Promise<void> {
  const deleted = await call(
    config,
    "DELETE",
    pathOf(ref),
    ref,
    "deleting",
    undefined,
    options.signal,
  );
  if (deleted.code === 404) return;
  await waitUntil(
    `${describePdb(ref)} to be gone after its deletion`,
    async (): Promise<Progress<void>> => {
      const read = await call(
        config,
        "GET",
        pathOf(ref),
        ref,
        "reading",
        undefined,
        options.signal,
      );
      return read.code === 404
        ? { done: true, value: undefined }
        : { done: false, waitingFor: "it still exists (a finalizer?)" };
    },
    options,
  );
}

/**
 * Creates the saved PDB again. One already there with the same spec is fine (a rerun);
 * one with another spec is an error, since someone else has put a different one in place.
 */
export async function recreatePodDisruptionBudget(
  config: KubeConfig,
  saved: SavedPodDisruptionBudget,
  signal?: AbortSignal,
): Promise<"created" | "already present"> {
  const ref = { namespace: saved.metadata.namespace, name: saved.metadata.name };
  const body = withoutServerFields(saved);
  const created = await call(
    config,
    "POST",
    pathOf(ref, false),
    ref,
    "re-creating",
    body,
    signal,
    409,
  );
  if (created.code !== 409) return "created";
  const current = await call(config, "GET", pathOf(ref), ref, "reading", undefined, signal);
  if (current.code === 200 && sameJson((current.body as { spec?: unknown }).spec, saved.spec)) {
    return "already present";
  }
  throw new Error(
    `${describePdb(ref)} already exists with a spec other than the saved one; compare it with the saved ${JSON.stringify(saved.spec)} and fix it by hand.`,
  );
}

/** A call whose failure answers are errors, except the one the caller handles (`allowed`). */
async function call(
  config: KubeConfig,
  method: "GET" | "POST" | "DELETE",
  path: string,
  ref: PdbRef,
  action: string,
  body: unknown,
  signal: AbortSignal | undefined,
  allowed: 404 | 409 = 404,
) {
  return rawRequestOrThrow(config, { method, path, body, signal }, describePdb(ref), action, [
    allowed,
  ]);
}

function sameJson(a: unknown, b: unknown): boolean {
  return canonical(a) === canonical(b);
}

/** JSON with sorted keys: two equal objects in another key order compare equal. */
function canonical(value: unknown): string {
  return JSON.stringify(value, (_key, child: unknown) =>
    child && typeof child === "object" && !Array.isArray(child)
      ? Object.fromEntries(
          Object.entries(child as Record<string, unknown>).sort(([a], [b]) =>
            a < b ? -1 : a > b ? 1 : 0,
          ),
        )
      : child,
  );
}
