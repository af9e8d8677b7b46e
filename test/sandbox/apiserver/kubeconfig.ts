/**
 * The kubeconfig that points kubectl and @kubernetes/client-node at the sandbox API server:
 * one cluster trusted through `certificate-authority-data`, one user with the bearer token,
 * one context named `sandbox`.
 */
import { readFileSync } from "node:fs";
import { writeFile } from "node:fs/promises";
import { stringify } from "yaml";

export interface KubeconfigOptions {
  /** https://127.0.0.1:<port> */
  url: string;
  /** The CA that signed the server's certificate (PEM file); or caPem. */
  caPath?: string;
  caPem?: string;
  token: string;
  /** The context's default namespace; "default" when not given. */
  namespace?: string;
  clusterName?: string;
  userName?: string;
}

export const SANDBOX_CONTEXT = "sandbox";

export function kubeconfigFor(options: KubeconfigOptions): string {
  const caPem =
    options.caPem ?? (options.caPath ? readFileSync(options.caPath, "utf8") : undefined);
  if (!caPem)
    throw new Error("kubeconfigFor needs the API server's CA: give caPath (a PEM file) or caPem");
  if (!options.token)
    throw new Error("kubeconfigFor needs the bearer token: options.token is empty");
  const clusterName = options.clusterName ?? "sandbox";
  const userName = options.userName ?? "sandbox-admin";
  return stringify({
    apiVersion: "v1",
    kind: "Config",
    clusters: [
      {
        name: clusterName,
        cluster: {
          server: options.url,
          "certificate-authority-data": Buffer.from(caPem).toString("base64"),
        },
      },
    ],
    users: [{ name: userName, user: { token: options.token } }],
    contexts: [
      {
        name: SANDBOX_CONTEXT,
        context: {
          cluster: clusterName,
          user: userName,
          namespace: options.namespace ?? "default",
        },
      },
    ],
    "current-context": SANDBOX_CONTEXT,
    preferences: {},
  });
}

/** Writes the kubeconfig readable by its owner only (it holds the token) and returns its path. */
export async function writeKubeconfig(path: string, options: KubeconfigOptions): Promise<string> {
  await writeFile(path, kubeconfigFor(options), { mode: 0o600 });
  return path;
}
