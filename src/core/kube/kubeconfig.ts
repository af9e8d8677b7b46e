/**
 * The admin cluster's kubeconfig: the one credential everything starts from. It comes either
 * as content (from a secret: kept in memory, never written to disk) or as a path.
 */
import { readFile } from "node:fs/promises";
import { KubeConfig } from "../kube-client.ts";
import { ConfigurationError, errorMessage } from "../errors.ts";
import { quoteValue } from "../redact.ts";

export type KubeconfigSource = { content: string } | { path: string };

/**
 * The kubeconfig settings, in core's words: a path, or the content itself (from a secret).
 * Each front door names them its own way (admin-kubeconfig-path, --kubeconfig).
 */
export const KUBECONFIG_PATH_FIELD = "kubeconfig";
export const KUBECONFIG_CONTENT_FIELD = "kubeconfigContent";

/** Loads and checks a kubeconfig; every problem is one ConfigurationError naming the setting. */
export async function loadKubeconfig(source: KubeconfigSource): Promise<KubeConfig> {
  const field = "content" in source ? KUBECONFIG_CONTENT_FIELD : KUBECONFIG_PATH_FIELD;
  const what = "content" in source ? "the kubeconfig" : `the kubeconfig ${quoteValue(source.path)}`;
  let text: string;
  if ("content" in source) {
    text = source.content;
    if (!text.trim()) {
      throw new ConfigurationError(
        field,
        "the kubeconfig is empty; expected the kubeconfig's YAML.",
      );
    }
  } else {
    try {
      text = await readFile(source.path, "utf8");
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      throw new ConfigurationError(
        field,
        `cannot read ${quoteValue(source.path)} (${code ?? errorMessage(error)}); expected a readable kubeconfig file.`,
        { cause: error },
      );
    }
  }
  const config = new KubeConfig();
  try {
    config.loadFromString(text);
  } catch {
    // The parser's message can quote the input, which may hold credentials: keep it out.
    throw new ConfigurationError(
      field,
      `${what} is not a valid kubeconfig (YAML with clusters, users and contexts).`,
    );
  }
  const contextName = config.getCurrentContext();
  const context = contextName ? config.getContextObject(contextName) : null;
  if (!context) {
    throw new ConfigurationError(
      field,
      `${what} has no current-context (or names one that does not exist); set current-context to the admin cluster's context.`,
    );
  }
  const cluster = config.getCluster(context.cluster);
  if (!cluster?.server) {
    throw new ConfigurationError(
      field,
      `${what}: context ${quoteValue(contextName)} names cluster ${quoteValue(context.cluster)}, which has no server URL.`,
    );
  }
  if (!/^https:\/\//.test(cluster.server)) {
    throw new ConfigurationError(
      field,
      `${what}: cluster ${quoteValue(context.cluster)} has server ${quoteValue(cluster.server)}; expected an https:// URL.`,
    );
  }
  return config;
}

/** The API server URL of the current context, for messages. */
export function serverOf(config: KubeConfig): string {
  return config.getCurrentCluster()?.server ?? "(no server)";
}

/**
 * Every secret string in a kubeconfig (tokens, passwords, client keys, in each encoding a
 * log could show them), so an action can mask them before anything is printed.
 */
export function kubeconfigSecrets(config: KubeConfig): string[] {
  const secrets: string[] = [];
  for (const user of config.getUsers()) {
    for (const value of [user.token, user.password, user.keyData]) {
      if (!value) continue;
      secrets.push(value);
      if (value === user.keyData) secrets.push(Buffer.from(value, "base64").toString("utf8"));
    }
  }
  return secrets.filter((value) => value.length >= 4);
}
