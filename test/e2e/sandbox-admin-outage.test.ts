/**
 * A broken admin control plane looks broken (issue 12): the sandbox API server refuses
 * connections while the admin etcd does not answer (its process stopped, or crash-looping on
 * a corrupt database) and serves again once it does; the helper that breaks the admin etcd
 * leaves it in CrashLoopBackOff, seen with the real kubectl in a sandbox whose API does not
 * depend on the admin control plane.
 */
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { recordingLogger } from "../../src/core/log/logger.ts";
import { adminEtcdPids, breakAdminEtcd } from "../sandbox/admin-etcd-faults.ts";
import { startSandbox, type Sandbox, type SandboxOptions } from "../sandbox/index.ts";
import { runbookShell, waitFor, type RunbookShell } from "./helpers.ts";

const SLOW_MACHINE_MS = 300_000;

interface Started {
  sandbox: Sandbox;
  shell: RunbookShell;
  workDir: string;
}

async function start(options: SandboxOptions): Promise<Started> {
  const workDir = await mkdtemp(join(tmpdir(), "admin-outage-"));
  const sandbox = await startSandbox({
    userClusters: [{ name: "uc1", members: 1 }],
    logger: recordingLogger(),
    ...options,
  });
  return {
    sandbox,
    workDir,
    shell: runbookShell({ kubeconfigPath: sandbox.kubeconfigPath, workDir }),
  };
}

async function stop(started: Started | undefined): Promise<void> {
  await started?.sandbox.stop();
  if (started) await rm(started.workDir, { recursive: true, force: true });
}

const getAdminPods = (shell: RunbookShell) =>
  shell.bash(
    'kubectl --kubeconfig "$ADMIN_CLUSTER_KUBECONFIG" get pods -n kube-system --request-timeout=5s',
  );

/** kubectl's words for a refused connection, as against a stopped kube-apiserver. */
const REFUSED = /connection to the server .* was refused/;

const waitForApiRefused = (shell: RunbookShell) =>
  waitFor("the sandbox API server to refuse connections", async () => {
    const result = await getAdminPods(shell);
    return result.exitCode !== 0 && REFUSED.test(result.stderr) ? result.stderr : undefined;
  });

const waitForApiAnswer = (shell: RunbookShell) =>
  waitFor("the sandbox API server to answer", async () => {
    const result = await getAdminPods(shell);
    return result.exitCode === 0 ? result.stdout : undefined;
  });

/** The columns of a pod's row in `kubectl get pods -n kube-system`. */
function row(listing: string, pod: string): string[] | undefined {
  return listing
    .split("\n")
    .map((line) => line.trim().split(/\s+/))
    .find((columns) => columns[0] === pod);
}

describe(
  "the sandbox API server while the admin etcd does not answer",
  { timeout: SLOW_MACHINE_MS },
  () => {
    let started: Started | undefined;
    beforeAll(async () => {
      started = await start({});
    }, SLOW_MACHINE_MS);
    afterAll(() => stop(started), SLOW_MACHINE_MS);

    it("refuses connections while the admin etcd process is stopped, and answers once it runs again", async () => {
      const { sandbox, shell } = started!;
      await waitForApiAnswer(shell);
      const pids = await adminEtcdPids(sandbox.layout);
      expect(pids).toHaveLength(1);
      // The process is there (the pod still Running) but answers nothing: only the
      // kube-apiserver's readiness probe can tell.
      process.kill(pids[0]!, "SIGSTOP");
      try {
        await waitForApiRefused(shell);
      } finally {
        process.kill(pids[0]!, "SIGCONT");
      }
      const listing = await waitForApiAnswer(shell);
      expect(row(listing, "kube-apiserver-admin-master")?.slice(1, 4)).toEqual([
        "1/1",
        "Running",
        "0",
      ]);
      expect(row(listing, "etcd-admin-master")?.slice(1, 4)).toEqual(["1/1", "Running", "0"]);
      expect(await adminEtcdPids(sandbox.layout)).toEqual(pids);
    });

    it("refuses connections once the admin etcd is broken and crash-loops", async () => {
      const { sandbox, shell } = started!;
      await breakAdminEtcd(sandbox.layout);
      const refused = await waitForApiRefused(shell);
      expect(refused).toMatch(REFUSED);
    });
  },
);

describe(
  "breakAdminEtcd, seen through an API that does not depend on it",
  { timeout: SLOW_MACHINE_MS },
  () => {
    let started: Started | undefined;
    beforeAll(async () => {
      started = await start({ apiDependsOnAdminControlPlane: false });
    }, SLOW_MACHINE_MS);
    afterAll(() => stop(started), SLOW_MACHINE_MS);

    it("leaves etcd-admin-master in CrashLoopBackOff and kube-apiserver-admin-master not Ready", async () => {
      const { sandbox, shell } = started!;
      expect(sandbox.layout.admin.apiDependsOnControlPlane).toBe(false);
      await breakAdminEtcd(sandbox.layout);
      const listing = await waitFor(
        "etcd-admin-master in CrashLoopBackOff after a restart, kube-apiserver-admin-master not Ready",
        async () => {
          const result = await getAdminPods(shell);
          const etcd = row(result.stdout, "etcd-admin-master");
          const apiserver = row(result.stdout, "kube-apiserver-admin-master");
          return etcd?.[2] === "CrashLoopBackOff" &&
            Number(etcd[3]) >= 1 &&
            apiserver?.[1] === "0/1"
            ? result.stdout
            : undefined;
        },
        180_000,
        500,
      );
      expect(row(listing, "etcd-admin-master")?.[1]).toBe("0/1");
      expect(row(listing, "kube-apiserver-admin-master")?.[2]).toBe("Running");
    });
  },
);
