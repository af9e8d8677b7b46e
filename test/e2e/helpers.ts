/**
 * Running the runbook's commands as an operator would: bash with ADMIN_CLUSTER_KUBECONFIG
 * and the other placeholders as environment variables, the real `kubectl` on the PATH.
 */
import { execFile } from "node:child_process";

export interface CommandResult {
  stdout: string;
  stderr: string;
  exitCode: number;
}

export interface RunbookShell {
  /** Runs a bash script in the work folder; never throws on a non-zero exit. */
  bash(script: string, env?: Record<string, string>): Promise<CommandResult>;
  /** Like bash, but a non-zero exit is an error that shows what the command printed. */
  ok(script: string, env?: Record<string, string>): Promise<string>;
}

export function runbookShell(options: {
  kubeconfigPath: string;
  workDir: string;
  env?: Record<string, string>;
}): RunbookShell {
  const bash = (script: string, env: Record<string, string> = {}) =>
    new Promise<CommandResult>((resolve) => {
      execFile(
        "bash",
        ["-o", "pipefail", "-c", script],
        {
          cwd: options.workDir,
          env: {
            ...process.env,
            ADMIN_CLUSTER_KUBECONFIG: options.kubeconfigPath,
            ...options.env,
            ...env,
          },
          maxBuffer: 64 * 1024 * 1024,
        },
        (error, stdout, stderr) => {
          const code = error ? (typeof error.code === "number" ? error.code : 1) : 0;
          resolve({ stdout: String(stdout), stderr: String(stderr), exitCode: code });
        },
      );
    });
  return {
    bash,
    ok: async (script, env) => {
      const result = await bash(script, env);
      if (result.exitCode !== 0) {
        throw new Error(
          `\`${script}\` exited with ${result.exitCode}:\n${result.stdout}${result.stderr}`,
        );
      }
      return result.stdout;
    },
  };
}

/** Polls until check returns a value (not undefined), or fails naming what it waited for. */
export async function waitFor<T>(
  what: string,
  check: () => Promise<T | undefined> | T | undefined,
  timeoutMs = 180_000,
  intervalMs = 250,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown;
  for (;;) {
    try {
      const value = await check();
      if (value !== undefined) return value;
    } catch (error) {
      lastError = error;
    }
    if (Date.now() > deadline) {
      const why = lastError ? ` (last error: ${(lastError as Error).message})` : "";
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${why}`);
    }
    await new Promise((resolve) => setTimeout(resolve, intervalMs));
  }
}

/** The runbook's etcdctl flags for a user cluster member (sections 1-3). */
export const USER_ETCDCTL =
  "ETCDCTL_API=3 etcdctl --endpoints=https://127.0.0.1:2379 " +
  "--cacert=/etcd.local.config/certificates/etcdCA.crt " +
  "--cert=/etcd.local.config/certificates/etcd.crt " +
  "--key=/etcd.local.config/certificates/etcd.key";

/** The runbook's etcdctl flags for the admin cluster's etcd (section 4). */
export const ADMIN_ETCDCTL =
  "etcdctl --endpoints=https://127.0.0.1:2379 --cacert=/etc/kubernetes/pki/etcd/ca.crt " +
  "--cert=/etc/kubernetes/pki/etcd/healthcheck-client.crt " +
  "--key=/etc/kubernetes/pki/etcd/healthcheck-client.key";

/** Runbook 2.1's utility pod manifest, placeholders in place, exactly as the runbook has it. */
export function utilityPodManifest(placeholders: {
  memberNumber: number;
  userClusterName: string;
  gkeOnPremVersion: string;
  nodeName: string;
}): string {
  return `apiVersion: v1
kind: Pod
metadata:
  name: etcd-utility-${placeholders.memberNumber}
  namespace: ${placeholders.userClusterName}
spec:
  containers:
  - command: ["/bin/sh"]
    args: ["-ec", "while :; do echo '.'; sleep 5 ; done"]
    image: gcr.io/gke-on-prem-release/etcd-util:${placeholders.gkeOnPremVersion}
    name: etcd-utility
    volumeMounts:
    - mountPath: /var/lib/etcd
      name: data
    - mountPath: /etcd.local.config/certificates
      name: etcd-certs
  nodeSelector:
    kubernetes.googleapis.com/cluster-name: ${placeholders.userClusterName}
    kubernetes.io/hostname: ${placeholders.nodeName}
  tolerations:
  - effect: NoExecute
    key: node.kubernetes.io/not-ready
    operator: Exists
    tolerationSeconds: 300
  - effect: NoExecute
    key: node.kubernetes.io/unreachable
    operator: Exists
    tolerationSeconds: 300
  - effect: NoSchedule
    key: node.kubernetes.io/unschedulable
    operator: Exists
  volumes:
  - name: data
    persistentVolumeClaim:
      claimName: data-kube-etcd-${placeholders.memberNumber}
  - name: etcd-certs
    secret:
      defaultMode: 420
      secretName: kube-etcd-certs
`;
}
