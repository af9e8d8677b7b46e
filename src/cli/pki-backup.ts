/**
 * `etcd-backup-actions pki-backup`: the admin-pki-backup action from a terminal. Same
 * procedure, same checks: host keys pinned, sudo tar streamed into encrypted storage, the
 * archive checked against the node's files. Logs go to stderr, the result to stdout.
 * Exit codes: 0 stored (or planned), 1 the backup failed, 2 a bad flag.
 */
import { readFile } from "node:fs/promises";
import type { Command } from "commander";
import type { KubeConfig } from "@kubernetes/client-node";
import { errorMessage } from "../core/errors.ts";
import { formatBytes } from "../core/format.ts";
import { looksSecret, quoteValue, redactSecrets } from "../core/redact.ts";
import { consoleLogger } from "../core/log/logger.ts";
import { runContextFromEnvironment } from "../core/run-context.ts";
import {
  loadPrivateKey,
  parseFingerprints,
  parseJumpHostSpec,
  parseKnownHosts,
  validateNodePaths,
} from "../core/ssh/index.ts";
import { DEFAULT_PKI_PATHS, DEFAULT_SSH_USER } from "../core/ssh/pki.ts";
// The procedure (and the Kubernetes client) load only when the command runs.
import type { JumpHostInput, PkiBackupResult } from "../procedures/admin-pki-backup.ts";
import { runUntilSignalled } from "./cancel.ts";
import {
  addStorageOptions,
  checkedFlag,
  cliMessage,
  refuseSecretsInFlags,
  openStoreFor,
  parseStorageFlags,
  type StorageFlags,
  type StorageRequest,
  repeatable,
  EXIT_BAD_FLAG,
  EXIT_FAILED,
  FlagError,
  kubeconfigPathFrom,
  loadKubeconfigFlag,
  renderTable,
} from "./backup.ts";

interface PkiBackupFlags extends StorageFlags {
  kubeconfig?: string;
  sshKeyFile?: string;
  sshUser: string;
  address?: string;
  port: string;
  jumpHost?: string;
  jumpKeyFile?: string;
  knownHosts?: string;
  hostKeyFingerprint?: string[];
  insecureAcceptUnknownHostKey?: boolean;
  path?: string[];
}

/** Everything the flags say, checked and read (key files in memory): nothing connected yet. */
interface PkiBackupRequest extends StorageRequest {
  kubeconfigPath?: string;
  privateKey?: Buffer;
  user: string;
  host?: string;
  port: number;
  jumpHost?: JumpHostInput;
  knownHosts: string[];
  fingerprints: string[];
  acceptUnknownHostKey: boolean;
  paths: string[];
}

export function registerPkiBackupCommands(program: Command): void {
  const command = program
    .command("pki-backup")
    .description(
      "Back up the admin control plane's PKI over SSH: host key pinned, sudo tar streamed into encrypted storage, checked against the node's files.",
    )
    .option(
      "--kubeconfig <path>",
      "the admin cluster's kubeconfig, to find the node and its SSH key (default: $KUBECONFIG)",
    )
    .option(
      "--ssh-key-file <path>",
      "the node's SSH private key (default: secret kube-system/sshkeys, field vsphere_tmp)",
    )
    .option("--ssh-user <name>", "the user on the node (passwordless sudo)", DEFAULT_SSH_USER)
    .option("--address <host>", "the node's address (default: the control-plane node's ExternalIP)")
    .option("--port <n>", "the node's SSH port", "22")
    .option("--jump-host <user@host[:port]>", "reach the node through this jump host")
    .option("--jump-key-file <path>", "the jump host's private key (default: the node's key)")
    .option("--known-hosts <file>", "a known_hosts file pinning the node's (and jump host's) key")
    .option(
      "--host-key-fingerprint <SHA256:...>",
      "a pinned host key fingerprint; repeat for the jump host",
      repeatable,
    )
    .option(
      "--insecure-accept-unknown-host-key",
      "accept a host key nothing pins (its fingerprint is logged)",
    )
    .option(
      "--path <absolute path>",
      `a folder on the node to back up; repeat for several (default ${DEFAULT_PKI_PATHS.join(", ")})`,
      repeatable,
    )
    .option("--dry-run", "connect, check the host key and list the files; store nothing");
  addStorageOptions(command, "PKI backups").action(async (flags: PkiBackupFlags) => {
    process.exitCode = await pkiBackupCommand(flags, process.env);
  });
}

async function pkiBackupCommand(flags: PkiBackupFlags, env: NodeJS.ProcessEnv): Promise<number> {
  let request: PkiBackupRequest;
  let config: KubeConfig | undefined;
  try {
    request = await parsePkiBackupFlags(flags, env);
    if (request.kubeconfigPath) config = await loadKubeconfigFlag(request.kubeconfigPath);
  } catch (error) {
    process.stderr.write(`error: ${cliMessage(error)}\n`);
    return EXIT_BAD_FLAG;
  }
  const logger = consoleLogger();
  let result: PkiBackupResult;
  try {
    const context = runContextFromEnvironment(process.env);
    const store = await openStoreFor(request, logger, context);
    const { runAdminPkiBackup } = await import("../procedures/admin-pki-backup.ts");
    result = await runUntilSignalled(logger, ({ signal }) =>
      runAdminPkiBackup({
        signal,
        ...(config ? { config } : {}),
        ...(request.privateKey ? { privateKey: request.privateKey } : {}),
        user: request.user,
        ...(request.host ? { host: request.host } : {}),
        port: request.port,
        ...(request.jumpHost ? { jumpHost: request.jumpHost } : {}),
        hostKeys: { knownHosts: request.knownHosts, fingerprints: request.fingerprints },
        acceptUnknownHostKey: request.acceptUnknownHostKey,
        paths: request.paths,
        store,
        recipients: request.recipients,
        compression: request.compression,
        retention: request.retention,
        dryRun: request.dryRun,
        logger,
        ...(context.run ? { run: context.run } : {}),
      }),
    );
  } catch (error) {
    logger.error(`The PKI backup could not run: ${cliMessage(error)}`);
    return EXIT_FAILED;
  }
  process.stdout.write(
    request.output === "json"
      ? `${JSON.stringify(result, null, 2)}\n`
      : pkiResultTable(result, request.destination.uri),
  );
  if (result.outcome === "failed") {
    logger.error(
      redactSecrets(
        `The PKI backup of the admin control plane failed: ${result.error}${pinHint(result.unpinnedHostKey)}`,
      ),
    );
    return EXIT_FAILED;
  }
  return 0;
}

async function readKeyFile(flag: string, path: string): Promise<Buffer> {
  let key: Buffer;
  try {
    key = await readFile(path);
  } catch (error) {
    throw new FlagError(
      `${flag} ${quoteValue(path)}: cannot read it (${(error as NodeJS.ErrnoException).code ?? errorMessage(error)}).`,
    );
  }
  checkedFlag(flag, () => loadPrivateKey(key, `the key in ${path}`));
  return key;
}

/** Checks every flag and reads the key and known_hosts files; touches no network. */
async function parsePkiBackupFlags(
  flags: PkiBackupFlags,
  env: NodeJS.ProcessEnv,
): Promise<PkiBackupRequest> {
  refuseSecretsInFlags(flags);
  const privateKey = flags.sshKeyFile
    ? await readKeyFile("--ssh-key-file", flags.sshKeyFile)
    : undefined;
  const host = flags.address?.trim() || undefined;
  if (host && (!/^[A-Za-z0-9.:[\]-]+$/.test(host) || looksSecret(host))) {
    throw new FlagError(
      `--address ${quoteValue(host)}: expected a host name or IP address, such as 10.0.0.10.`,
    );
  }
  if (!flags.sshUser || /[\s@:]/.test(flags.sshUser)) {
    throw new FlagError(
      `--ssh-user ${quoteValue(flags.sshUser)}: expected a user name such as ubuntu.`,
    );
  }
  const needsCluster = !privateKey || !host;
  const kubeconfigPath =
    needsCluster || flags.kubeconfig?.trim()
      ? kubeconfigPathFrom(flags.kubeconfig, env.KUBECONFIG)
      : undefined;
  const port = Number(flags.port);
  if (!/^\d+$/.test(flags.port) || port < 1 || port > 65535) {
    throw new FlagError(`--port ${quoteValue(flags.port)}: expected a TCP port from 1 to 65535.`);
  }
  let jumpHost: JumpHostInput | undefined;
  if (flags.jumpHost) {
    const endpoint = checkedFlag("--jump-host", () => parseJumpHostSpec(flags.jumpHost!));
    const jumpKey = flags.jumpKeyFile
      ? await readKeyFile("--jump-key-file", flags.jumpKeyFile)
      : undefined;
    jumpHost = { ...endpoint, ...(jumpKey ? { privateKey: jumpKey } : {}) };
  } else if (flags.jumpKeyFile) {
    throw new FlagError("--jump-key-file is given without --jump-host: expected both.");
  }
  let knownHosts: string[] = [];
  if (flags.knownHosts) {
    let text: string;
    try {
      text = await readFile(flags.knownHosts, "utf8");
    } catch (error) {
      throw new FlagError(
        `--known-hosts ${quoteValue(flags.knownHosts)}: cannot read it (${(error as NodeJS.ErrnoException).code ?? errorMessage(error)}).`,
      );
    }
    knownHosts = text
      .split("\n")
      .map((line) => line.trim())
      .filter((line) => line && !line.startsWith("#"));
    checkedFlag("--known-hosts", () => parseKnownHosts(knownHosts));
  }
  const fingerprints = (flags.hostKeyFingerprint ?? []).map((value) => value.trim());
  checkedFlag("--host-key-fingerprint", () => parseFingerprints(fingerprints));
  const paths = checkedFlag("--path", () =>
    validateNodePaths(flags.path?.length ? flags.path : DEFAULT_PKI_PATHS),
  );
  const storage = parseStorageFlags(flags, env);
  if (storage.recipients.length === 0) {
    throw new FlagError(
      "--recipient is required: the PKI archive holds the admin cluster's private keys and is always encrypted; give an age public key (age1..., from age-keygen -y).",
    );
  }
  return {
    ...(kubeconfigPath ? { kubeconfigPath } : {}),
    ...(privateKey ? { privateKey } : {}),
    user: flags.sshUser,
    ...(host ? { host } : {}),
    port,
    ...(jumpHost ? { jumpHost } : {}),
    knownHosts,
    fingerprints,
    acceptUnknownHostKey: Boolean(flags.insecureAcceptUnknownHostKey),
    paths,
    ...storage,
  };
}

export function pkiResultTable(result: PkiBackupResult, destination: string): string {
  let text = renderTable(
    ["RESULT", "NODE", "HOST KEY", "FILES", "ARCHIVE", "STORED", "DURATION", "URI"],
    [
      [
        result.outcome,
        result.target ?? result.node ?? "-",
        result.hostKeyFingerprint ?? "-",
        result.fileCount ?? "-",
        result.size !== undefined ? formatBytes(result.size) : "-",
        result.storedSize !== undefined ? formatBytes(result.storedSize) : "-",
        `${(result.durationMs / 1000).toFixed(1)} s`,
        result.uri ?? destination,
      ],
    ],
  );
  if (result.error) text += `\n${result.error}\n`;
  return text;
}

/** How to pin a host key nothing pinned, in this command's flags. */
function pinHint(pin: PkiBackupResult["unpinnedHostKey"]): string {
  if (!pin) return "";
  return ` To pin it, add --host-key-fingerprint ${pin.fingerprint} (or the line "${pin.knownHostsLine}" to the --known-hosts file); only if you accept the risk, add --insecure-accept-unknown-host-key.`;
}
