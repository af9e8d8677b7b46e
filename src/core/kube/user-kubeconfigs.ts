/**
 * The kubeconfigs of Controlplane V2 user clusters (issue 16): such a cluster's etcd runs as
 * static pods on its own control-plane nodes, reachable only through its own API server, so
 * the admin kubeconfig cannot find it. Each is named by the cluster its current context
 * points at (gkectl names it after the user cluster), so a folder of kubeconfigs needs no
 * list of names beside it.
 */
import { readdir, stat } from "node:fs/promises";
import { join } from "node:path";
import type { KubeConfig } from "@kubernetes/client-node";
import { ConfigurationError, errorMessage, isConfigurationError } from "../errors.ts";
import { quoteValue } from "../redact.ts";
import { isClusterName } from "../storage/layout.ts";
import { loadKubeconfig } from "./kubeconfig.ts";

/** The setting, in core's words; the action calls it user-kubeconfigs, the CLI --user-kubeconfig. */
export const USER_KUBECONFIGS_FIELD = "userKubeconfigs";

export interface UserClusterAccess {
  /** The user cluster's name: the cluster of the kubeconfig's current context. */
  name: string;
  config: KubeConfig;
  /** The file it came from, for messages. */
  path: string;
}

/** Loads every kubeconfig given (files, or folders whose files are all kubeconfigs). */
export async function loadUserKubeconfigs(paths: string[]): Promise<UserClusterAccess[]> {
  const files: string[] = [];
  for (const path of paths) files.push(...(await kubeconfigFiles(path)));
  const clusters: UserClusterAccess[] = [];
  for (const path of files) {
    const config = await loadKubeconfig({ path }).catch((error: unknown) => {
      if (!isConfigurationError(error)) throw error;
      throw new ConfigurationError(USER_KUBECONFIGS_FIELD, error.problem, { cause: error });
    });
    const name = config.getContextObject(config.getCurrentContext())?.cluster ?? "";
    if (name === "admin" || !isClusterName(name)) {
      throw new ConfigurationError(
        USER_KUBECONFIGS_FIELD,
        `${quoteValue(path)}: its current context's cluster is named ${quoteValue(name)}, which cannot name a user cluster; expected the user cluster's name (lower-case letters, digits and '-', not "admin"): rename the cluster entry in that kubeconfig.`,
      );
    }
    const twin = clusters.find((cluster) => cluster.name === name);
    if (twin) {
      throw new ConfigurationError(
        USER_KUBECONFIGS_FIELD,
        `${quoteValue(path)} and ${quoteValue(twin.path)} both name cluster ${name}; expected one kubeconfig per user cluster.`,
      );
    }
    clusters.push({ name, config, path });
  }
  return clusters;
}

/** A file is itself; a folder is its regular files, in name order (hidden files skipped). */
async function kubeconfigFiles(path: string): Promise<string[]> {
  let info;
  try {
    info = await stat(path);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    throw new ConfigurationError(
      USER_KUBECONFIGS_FIELD,
      `cannot read ${quoteValue(path)} (${code ?? errorMessage(error)}); expected a kubeconfig file or a folder of them.`,
      { cause: error },
    );
  }
  if (!info.isDirectory()) return [path];
  const entries = await readdir(path, { withFileTypes: true });
  const files = entries
    .filter((entry) => entry.isFile() && !entry.name.startsWith("."))
    .map((entry) => join(path, entry.name))
    .sort();
  if (files.length === 0) {
    throw new ConfigurationError(
      USER_KUBECONFIGS_FIELD,
      `the folder ${quoteValue(path)} holds no kubeconfig file; expected one kubeconfig per Controlplane V2 user cluster.`,
    );
  }
  return files;
}
