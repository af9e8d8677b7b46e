/**
 * Inputs the actions that read a backup's plaintext share (etcd-restore-ha, etcd-restore-drill):
 * the age identities and the image of the pods they make, read and checked in one place.
 */
import { readFile } from "node:fs/promises";
import * as core from "@actions/core";
import { parseIdentities, type X25519Identity } from "../../core/crypto/age.ts";
import { isImageReference } from "../../core/kube/names.ts";
import type { RevisionBump } from "../../procedures/etcd-restore.ts";
import { getInput, InputError } from "./inputs.ts";

/**
 * The age identities, from the secret input (masked, never on disk) or a file; never echoed.
 * None given: an empty list when `optional` (a dry run), else an error naming both inputs.
 */
export async function readIdentities(
  names: { content: string; path: string },
  options: { optional: boolean; purpose: string },
): Promise<X25519Identity[]> {
  const content = getInput(names.content);
  const path = getInput(names.path);
  if (content && path) {
    throw new InputError(`Give either ${names.content} or ${names.path}, not both.`);
  }
  let text = content;
  if (content) {
    for (const line of content.split(/\r?\n/)) if (line.trim()) core.setSecret(line.trim());
  } else if (path) {
    try {
      text = await readFile(path, "utf8");
    } catch (error) {
      throw new InputError(
        `Input ${names.path}: cannot read ${path} (${(error as NodeJS.ErrnoException).code ?? "error"}); expected an age identity file.`,
      );
    }
    for (const line of text.split(/\r?\n/)) if (line.trim()) core.setSecret(line.trim());
  } else if (options.optional) {
    return [];
  } else {
    throw new InputError(
      `Input ${names.content} (the age identity, from a secret) or ${names.path} is required to ${options.purpose}.`,
    );
  }
  try {
    const identities = parseIdentities(text);
    if (identities.length === 0) throw new Error("no identity found");
    return identities;
  } catch {
    throw new InputError(
      `Input ${path ? names.path : names.content} holds no age identity: expected AGE-SECRET-KEY-1... (from age-keygen), one per line.`,
    );
  }
}

/** An image reference, or undefined when the input is empty. */
export function readImage(name: string): string | undefined {
  const image = getInput(name);
  if (image && !isImageReference(image)) {
    throw new InputError(
      `Input ${name} is not an image reference: expected e.g. gcr.io/gke-on-prem-release/etcd-util:1.32.0-gke.1.`,
    );
  }
  return image || undefined;
}

/** `revision-bump`: auto (bump when the restore tool can), none, or a number of revisions. */
export function readRevisionBump(name: string): RevisionBump {
  const text = getInput(name) || "auto";
  if (text === "auto" || text === "none") return text;
  if (/^\d+$/.test(text) && Number(text) >= 1 && Number(text) <= 1e15) return Number(text);
  throw new InputError(
    `Input ${name} is "${text}": expected auto, none, or a whole number of revisions such as 1000000000.`,
  );
}
