/**
 * The flags and the result printing the restore commands share (restore-ha, admin-restore and
 * its --undo, drill): one wording for one flag, whichever command takes it.
 */
import { hostname, userInfo } from "node:os";
import type { RunContext } from "../core/run-context.ts";
import { parseBackupUri } from "../core/storage/destination.ts";
import type { BackupKind } from "../core/storage/types.ts";
import type { RevisionBump } from "../procedures/etcd-restore.ts";
import type { RestoreAudit } from "../procedures/restore-record.ts";
import { checkedFlag, FlagError } from "./backup.ts";

export type BackupUri = ReturnType<typeof parseBackupUri>;

/** `flag` (a backup URI), checked to name a `kind` backup of `cluster`; `wanted` says which, in words. */
export function backupUriFlag(
  flag: string,
  text: string,
  want: { cluster: string; kind: BackupKind; wanted: string },
): BackupUri {
  const uri = checkedFlag(flag, () => parseBackupUri(text));
  if (uri.cluster !== want.cluster || uri.kind !== want.kind) {
    throw new FlagError(`${flag} is a ${uri.kind} backup of ${uri.cluster}, not ${want.wanted}.`);
  }
  return uri;
}

/** --revision-bump: auto, none, or a whole number of revisions (at least 1). */
export function revisionBumpFlag(text: string): RevisionBump {
  if (text === "auto" || text === "none") return text;
  if (/^\d+$/.test(text) && Number(text) >= 1) return Number(text);
  throw new FlagError("--revision-bump: expected auto, none, or a whole number of revisions.");
}

/** Who holds the lock (or the node's journal) while a terminal runs a restore. */
export function terminalOwner(): string {
  return `terminal ${hostname()} pid ${process.pid}`;
}

/** The restore record's who and where: the Actions run if there is one, else user@host. */
export function cliAudit(context: RunContext): RestoreAudit {
  return {
    actor: context.run?.actor || `${userInfo().username}@${hostname()}`,
    via: "cli",
    ...(context.run?.url ? { runUrl: context.run.url } : {}),
  };
}

/** A restore's steps as a terminal shows them, one per line, then `last` (the outcome line). */
export function stepLines(
  steps: ReadonlyArray<{ outcome: string; step: string; detail?: string }>,
  last: string,
): string {
  return `${steps.map((step) => `${step.outcome.padEnd(8)} ${step.step}${step.detail ? `: ${step.detail}` : ""}`).join("\n")}\n${last}\n`;
}
