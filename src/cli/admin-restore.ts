/**
 * `etcd-backup-actions admin-restore`: the admin-restore action from a terminal, for when
 * GitHub Actions is down (or runs in the admin cluster being restored). Same procedure, same
 * journal on the node: a run from here continues one from Actions and the other way round.
 * Logs to stderr, the result (table or JSON) to stdout.
 * Exit codes: 0 restored (or planned), 1 the restore failed, 2 a bad flag.
 */
import { readFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import type { Command } from "commander";
import { consoleLogger } from "../core/log/logger.ts";
import { looksSecret, quoteValue } from "../core/redact.ts";
import { runContextFromEnvironment } from "../core/run-context.ts";
import {
  loadPrivateKey,
  parseFingerprints,
  parseJumpHostSpec,
  parseKnownHosts,
} from "../core/ssh/index.ts";
import { DEFAULT_SSH_USER } from "../core/ssh/pki.ts";
import type { Destination } from "../core/storage/destination.ts";
import type { BackupKind } from "../core/storage/types.ts";
import type { RestorePki } from "../procedures/admin-restore.ts";
import {
  checkedFlag,
  cliMessage,
  EXIT_BAD_FLAG,
  EXIT_FAILED,
  exitOnUsageError,
  FlagError,
  openStoreFor,
  refuseSecretsInFlags,
  repeatable,
  s3EndpointFlag,
  terminalDestinationFlag,
} from "./backup.ts";
import { runUntilSignalled } from "./cancel.ts";
import { readIdentityFile } from "./identity-file.ts";
import {
  backupUriFlag,
  cliAudit,
  revisionBumpFlag,
  stepLines,
  terminalOwner,
  type BackupUri,
} from "./restore-flags.ts";

interface AdminRestoreFlags {
  address?: string;
  sshUser: string;
  sshKeyFile?: string;
  jumpHost?: string;
  jumpKeyFile?: string;
  knownHosts?: string;
  hostKeyFingerprint?: string[];
  insecureAcceptUnknownHostKey?: boolean;
  etcdBackup: string;
  pkiBackup: string;
  restorePki: string;
  acceptForeignPki?: boolean;
  destination?: string;
  s3Endpoint?: string;
  identityFile?: string;
  confirm?: string;
  revisionBump: string;
  workDir?: string;
  dryRun?: boolean;
  undo?: boolean;
  output: "table" | "json";
}

export function registerAdminRestoreCommands(program: Command): void {
  program
    .command("admin-restore")
    .description(
      "Restore the admin cluster from its etcd snapshot and PKI over SSH alone: backups verified, host key pinned, control plane stopped by moving its manifests aside, old data kept.",
    )
    .option("--address <host>", "the admin control-plane node's address")
    .option("--ssh-user <name>", "the user on the node (passwordless sudo)", DEFAULT_SSH_USER)
    .option("--ssh-key-file <path>", "the node's SSH private key file")
    .option("--jump-host <user@host[:port]>", "reach the node through this jump host")
    .option("--jump-key-file <path>", "the jump host's private key (default: the node's)")
    .option("--known-hosts <path>", "a known_hosts file pinning the node (and jump host)")
    .option(
      "--host-key-fingerprint <SHA256:...>",
      "a pinned host key fingerprint (repeatable)",
      repeatable,
      [],
    )
    .option("--insecure-accept-unknown-host-key", "accept a host key nothing pins (logged)")
    .option("--etcd-backup <uri|latest>", "the admin-etcd backup URI, or latest", "latest")
    .option("--pki-backup <uri|latest>", "the admin-pki backup URI, or latest", "latest")
    .option("--restore-pki <auto|always|never>", "which PKI files to put back", "auto")
    .option("--accept-foreign-pki", "restore a PKI backup that does not look like this node's")
    .option("--destination <uri>", "where latest looks: file:///folder or s3://bucket/prefix")
    .option("--s3-endpoint <url>", "an S3-compatible endpoint (MinIO...); path-style URLs")
    .option("--identity-file <path>", "the age identity file (AGE-SECRET-KEY-1...)")
    .option("--confirm <node>", "the node's name or address: nothing changes without it")
    .option("--revision-bump <auto|none|N>", "bump the restored revision when etcd can", "auto")
    .option("--work-dir <path>", "a private folder for the decrypted snapshot and the kubeconfig")
    .option("--dry-run", "print the plan and run only its reading steps; change nothing")
    .option("--undo", "put back the data (and PKI) the newest restore on the node kept aside")
    .option("-o, --output <format>", "table for people, json for scripts", "table")
    .exitOverride(exitOnUsageError)
    .action(async (flags: AdminRestoreFlags) => {
      process.exitCode = await adminRestoreCommand(flags, process.env);
    });
}

async function adminRestoreCommand(
  flags: AdminRestoreFlags,
  env: NodeJS.ProcessEnv,
): Promise<number> {
  const logger = consoleLogger();
  if (flags.undo) return adminUndoCommand(flags, logger);
  let request: Awaited<ReturnType<typeof parseFlags>>;
  try {
    request = await parseFlags(flags, env);
  } catch (error) {
    process.stderr.write(`error: ${cliMessage(error)}\n`);
    return EXIT_BAD_FLAG;
  }
  const { runAdminRestore } = await import("../procedures/admin-restore.ts");
  const { findBackup, findNewestVerifiedBackup } = await import("../core/storage/pipeline.ts");
  try {
    const context = runContextFromEnvironment(env);
    const find = async (uri: BackupUri | undefined, kind: BackupKind) => {
      const store = await openStoreFor(
        { destination: uri?.destination ?? request.destination!, s3Endpoint: request.s3Endpoint },
        logger,
        context,
      );
      const backup = uri
        ? await findBackup(store, uri)
        : await findNewestVerifiedBackup(store, { cluster: "admin", kind });
      return { store, backup };
    };
    const etcd = await find(request.etcdUri, "admin-etcd");
    const pki =
      request.restorePki === "never" ? undefined : await find(request.pkiUri, "admin-pki");
    const result = await runUntilSignalled(logger, ({ signal }) =>
      runAdminRestore({
        ...request.node,
        store: etcd.store,
        etcdBackup: etcd.backup,
        ...(pki ? { pkiStore: pki.store, pkiBackup: pki.backup } : {}),
        restorePki: request.restorePki,
        acceptForeignPki: request.acceptForeignPki,
        identities: request.identities,
        ...(request.confirm ? { confirm: request.confirm } : {}),
        revisionBump: request.revisionBump,
        dryRun: request.dryRun,
        workDir: request.workDir,
        logger,
        signal,
        owner: terminalOwner(),
        audit: cliAudit(context),
      }),
    );
    const { steps, ...facts } = result;
    process.stdout.write(
      request.output === "json"
        ? `${JSON.stringify(result, null, 2)}\n`
        : stepLines(steps, adminOutcomeLine(facts, request.node.host)),
    );
    if (result.outcome === "failed") {
      logger.error(`The restore of the admin cluster failed: ${cliMessage(result.error)}`);
      return EXIT_FAILED;
    }
    return 0;
  } catch (error) {
    const message = cliMessage(error);
    logger.error(message);
    return error instanceof FlagError || /^--/.test(message) ? EXIT_BAD_FLAG : EXIT_FAILED;
  }
}

/** `--undo`: only the node's flags; no backup is read. */
async function adminUndoCommand(
  flags: AdminRestoreFlags,
  logger: ReturnType<typeof consoleLogger>,
): Promise<number> {
  let node: Awaited<ReturnType<typeof parseNodeFlags>>;
  try {
    node = await parseNodeFlags(flags);
  } catch (error) {
    process.stderr.write(`error: ${cliMessage(error)}\n`);
    return EXIT_BAD_FLAG;
  }
  const { runAdminUndo } = await import("../procedures/admin-restore.ts");
  try {
    const result = await runUntilSignalled(logger, ({ signal }) =>
      runAdminUndo({
        ...node,
        ...(flags.confirm ? { confirm: flags.confirm } : {}),
        dryRun: Boolean(flags.dryRun),
        workDir: flags.workDir ?? tmpdir(),
        logger,
        signal,
        owner: terminalOwner(),
      }),
    );
    const { steps, ...facts } = result;
    process.stdout.write(
      flags.output === "json"
        ? `${JSON.stringify(result, null, 2)}\n`
        : stepLines(steps, adminOutcomeLine(facts, node.host)),
    );
    if (result.outcome === "failed") {
      logger.error(`The undo of the admin restore failed: ${cliMessage(result.error)}`);
      return EXIT_FAILED;
    }
    return 0;
  } catch (error) {
    logger.error(cliMessage(error));
    return EXIT_FAILED;
  }
}

/** The last line of an admin restore's (or undo's) table: the node, and the kubeconfig left behind. */
function adminOutcomeLine(
  facts: { outcome: string; node?: string; kubeconfigPath?: string; error?: string },
  host: string,
): string {
  return `${facts.outcome}: ${facts.node ?? host}${facts.kubeconfigPath ? ` (admin kubeconfig: ${facts.kubeconfigPath}; remove it when done)` : ""}${facts.error ? ` (${facts.error})` : ""}`;
}

async function readKeyFile(flag: string, path: string): Promise<Buffer> {
  const key = await readFile(path).catch((error: NodeJS.ErrnoException) => {
    throw new FlagError(
      `${flag}: cannot read ${path} (${error.code ?? "error"}); expected a private key file.`,
    );
  });
  checkedFlag(flag, () => loadPrivateKey(key, `the key in ${path}`));
  return key;
}

/** The flags that reach the node, checked and read into memory, as the procedures take them. */
async function parseNodeFlags(flags: AdminRestoreFlags) {
  refuseSecretsInFlags(flags);
  const host = flags.address?.trim() ?? "";
  if (!host || !/^[A-Za-z0-9.:[\]-]+$/.test(host) || looksSecret(host)) {
    throw new FlagError(
      `--address ${host ? `is ${quoteValue(host)}` : "is required"}: expected the admin control-plane node's host name or IP address, such as 10.0.0.10.`,
    );
  }
  if (!flags.sshKeyFile) {
    throw new FlagError("--ssh-key-file is required: the node's SSH private key file.");
  }
  const privateKey = await readKeyFile("--ssh-key-file", flags.sshKeyFile);
  const jumpKey = flags.jumpKeyFile
    ? await readKeyFile("--jump-key-file", flags.jumpKeyFile)
    : undefined;
  const jumpHost = flags.jumpHost
    ? {
        ...checkedFlag("--jump-host", () => parseJumpHostSpec(flags.jumpHost!)),
        ...(jumpKey ? { privateKey: jumpKey } : {}),
      }
    : undefined;
  const knownHosts = flags.knownHosts
    ? (
        await readFile(flags.knownHosts, "utf8").catch((error: NodeJS.ErrnoException) => {
          throw new FlagError(
            `--known-hosts: cannot read ${flags.knownHosts} (${error.code ?? "error"}).`,
          );
        })
      )
        .split("\n")
        .map((line) => line.trim())
        .filter((line) => line && !line.startsWith("#"))
    : [];
  checkedFlag("--known-hosts", () => parseKnownHosts(knownHosts));
  const fingerprints = flags.hostKeyFingerprint ?? [];
  checkedFlag("--host-key-fingerprint", () => parseFingerprints(fingerprints));
  if (!["table", "json"].includes(flags.output)) {
    throw new FlagError("--output: expected table or json.");
  }
  return {
    host,
    user: flags.sshUser,
    privateKey,
    ...(jumpHost ? { jumpHost } : {}),
    hostKeys: { knownHosts, fingerprints },
    acceptUnknownHostKey: Boolean(flags.insecureAcceptUnknownHostKey),
  };
}

/** Every flag checked, files read into memory, before anything connects or is fetched. */
async function parseFlags(flags: AdminRestoreFlags, env: NodeJS.ProcessEnv) {
  const node = await parseNodeFlags(flags);
  if (!["auto", "always", "never"].includes(flags.restorePki)) {
    throw new FlagError("--restore-pki: expected auto, always or never.");
  }
  const restorePki = flags.restorePki as RestorePki;
  const backupUri = (flag: string, text: string, kind: BackupKind) =>
    text === "latest"
      ? undefined
      : backupUriFlag(flag, text, {
          cluster: "admin",
          kind,
          wanted: `an ${kind} backup of the admin cluster`,
        });
  const etcdUri = backupUri("--etcd-backup", flags.etcdBackup, "admin-etcd");
  const pkiUri =
    restorePki === "never" ? undefined : backupUri("--pki-backup", flags.pkiBackup, "admin-pki");
  let destination: Destination | undefined;
  if (!etcdUri || (restorePki !== "never" && !pkiUri)) {
    if (!flags.destination) {
      throw new FlagError(
        "--destination is required with latest: expected file:///folder or s3://bucket/prefix.",
      );
    }
    destination = terminalDestinationFlag(flags.destination, env);
  }
  const revisionBump = revisionBumpFlag(flags.revisionBump);
  if (!flags.identityFile) {
    throw new FlagError(
      "--identity-file is required: the age identity (AGE-SECRET-KEY-1...) that opens the backups (a dry run decrypts and verifies them too).",
    );
  }
  const identities = await readIdentityFile(flags.identityFile);
  return {
    node,
    restorePki,
    acceptForeignPki: Boolean(flags.acceptForeignPki),
    etcdUri,
    pkiUri,
    destination,
    identities,
    revisionBump,
    dryRun: Boolean(flags.dryRun),
    workDir: flags.workDir ?? tmpdir(),
    output: flags.output,
    ...(flags.confirm ? { confirm: flags.confirm } : {}),
    ...s3EndpointFlag(flags.s3Endpoint),
  };
}
