/**
 * `npm run sandbox -- --dir DIR [--user-clusters uc1:3,uc2:1] [--etcd-data-mb N]
 * [--quota-backend-bytes N] [--etcd-objects N] [--private-network] [--cpv2 uc3:3]`: runs the
 * sandbox admin cluster in the foreground until SIGINT or SIGTERM, then tears it down.
 * Ready when DIR/ready exists; DIR/admin.kubeconfig and DIR/sandbox.json say how to reach it,
 * and it prints how to ssh to admin-master (directly, and through the jump host).
 */
import { Command, InvalidArgumentError } from "commander";
import { consoleLogger } from "../../src/core/log/logger.ts";
import { parseUserClusters, startSandbox, type Sandbox } from "./index.ts";
import { parseControlPlaneV2Clusters } from "./cluster/controlplane-v2.ts";
import { sshInstructions } from "./ssh/sandbox-ssh.ts";

interface Flags {
  dir: string;
  userClusters?: string;
  etcdDataMb?: number;
  quotaBackendBytes?: number;
  etcdObjects?: number;
  privateNetwork?: boolean;
  cpv2?: string;
  verbose?: boolean;
}

function parseDataMb(value: string): number {
  if (!/^\d+$/.test(value)) {
    throw new InvalidArgumentError(`expected a whole number of MB, e.g. 500; got "${value}".`);
  }
  return Number(value);
}

function parseQuotaBytes(value: string): number {
  if (!/^[1-9]\d*$/.test(value)) {
    throw new InvalidArgumentError(
      `expected a whole number of bytes, e.g. 8388608; got "${value}".`,
    );
  }
  return Number(value);
}

function parseObjectCount(value: string): number {
  if (!/^\d+$/.test(value)) {
    throw new InvalidArgumentError(
      `expected a whole number of objects, e.g. 200000; got "${value}".`,
    );
  }
  return Number(value);
}

export async function main(argv: string[]): Promise<void> {
  const program = new Command("sandbox")
    .description("Run the sandbox admin cluster in the foreground until SIGINT or SIGTERM.")
    .requiredOption(
      "--dir <dir>",
      "the sandbox folder (created if missing; must be empty or an old sandbox's)",
    )
    .option(
      "--user-clusters <list>",
      "user clusters and their etcd member counts, e.g. uc1:3,uc2:1; :OrderedReady after a count for that podManagementPolicy, e.g. uc1:3:OrderedReady",
    )
    .option("--etcd-data-mb <mb>", "grow uc1's etcd to about this many MB", parseDataMb)
    .option(
      "--quota-backend-bytes <bytes>",
      "the user clusters' etcd --quota-backend-bytes (default 2 GiB)",
      parseQuotaBytes,
    )
    .option(
      "--etcd-objects <n>",
      "add this many Kubernetes-like objects of 1-20 KB to uc1's etcd (a real cluster's shape)",
      parseObjectCount,
    )
    .option(
      "--private-network",
      "reach admin-master's sshd only through the jump host (no direct route from this machine)",
    )
    .option(
      "--cpv2 <list>",
      "Controlplane V2 user clusters and their control-plane node counts, e.g. uc3:3 (own API server, kubeconfig DIR/<name>.kubeconfig)",
    )
    .option("--verbose", "print debug lines")
    .showHelpAfterError()
    .parse(argv);
  const flags = program.opts<Flags>();
  const logger = consoleLogger({ verbose: Boolean(flags.verbose) });

  let userClusters;
  let controlPlaneV2Clusters;
  try {
    userClusters = flags.userClusters ? parseUserClusters(flags.userClusters) : undefined;
    controlPlaneV2Clusters = flags.cpv2 ? parseControlPlaneV2Clusters(flags.cpv2) : undefined;
  } catch (error) {
    program.error(`error: ${(error as Error).message}`);
  }

  // A signal during start-up is kept and acted on as soon as the sandbox is up.
  let stopRequested = false;
  const stopped = new Promise<void>((resolve) => {
    const onSignal = (signal: NodeJS.Signals) => {
      if (stopRequested) return;
      stopRequested = true;
      logger.info(`sandbox: ${signal} received, tearing down`);
      resolve();
    };
    process.on("SIGINT", onSignal);
    process.on("SIGTERM", onSignal);
  });

  const sandbox: Sandbox = await startSandbox({
    dir: flags.dir,
    ...(userClusters ? { userClusters } : {}),
    ...(flags.etcdDataMb !== undefined ? { etcdDataMb: flags.etcdDataMb } : {}),
    ...(flags.quotaBackendBytes !== undefined
      ? { quotaBackendBytes: flags.quotaBackendBytes }
      : {}),
    ...(flags.etcdObjects !== undefined ? { etcdObjects: flags.etcdObjects } : {}),
    privateNetwork: Boolean(flags.privateNetwork),
    ...(controlPlaneV2Clusters ? { controlPlaneV2Clusters } : {}),
    logger,
  });
  logger.info(`sandbox: API server ${sandbox.layout.apiServerUrl}`);
  logger.info(`sandbox: export KUBECONFIG=${sandbox.kubeconfigPath}`);
  for (const line of sshInstructions(sandbox.layout.ssh, sandbox.kubeconfigPath))
    logger.info(`sandbox: ssh ${line}`);
  for (const cluster of sandbox.layout.controlPlaneV2Clusters)
    logger.info(
      `sandbox: Controlplane V2 cluster ${cluster.name}: KUBECONFIG=${cluster.kubeconfigPath}; nodes ${cluster.nodes.map((node) => `${node.name} ${node.internalIP}`).join(", ")}`,
    );
  for (const [cluster, content] of Object.entries(sandbox.layout.content)) {
    if (content.objectSeconds === undefined) continue;
    logger.info(
      `sandbox: ${cluster} etcd holds ${content.keys} keys (${(content.bytes / 1e6).toFixed(0)} MB); ` +
        `the objects took ${content.objectSeconds.toFixed(1)} s to write`,
    );
  }
  logger.info(`sandbox: layout in ${sandbox.dir}/sandbox.json; Ctrl-C to stop`);
  await stopped;
  await sandbox.stop();
  logger.info("sandbox: stopped");
}

main(process.argv).then(
  () => process.exit(0),
  (error: unknown) => {
    process.stderr.write(`sandbox: ${(error as Error).message}\n`);
    process.exit(1);
  },
);
