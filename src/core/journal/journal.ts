/**
 * The journal: a persistent, append-only record of what a run is about to change and what
 * it finished, written ahead of every change, so that a rerun after the runner died knows
 * what was done. One small interface; a file now, and later a ConfigMap (a user cluster's
 * restore, kept in the admin cluster it does not roll back) and a file on a node (the admin
 * restore). Entries are plain JSON: never a secret.
 */
import { open, readFile } from "node:fs/promises";
import { errorMessage } from "../errors.ts";

export interface JournalEntry {
  /** The planned step; empty for the run's own `begin`. */
  step: string;
  /**
   * `begin`: a run of this work started (data: its identity). `started`: a step that changes
   * something is about to act. `intent`: what it is about to change (data). `done`: it
   * finished (data: its result). `failed`: it failed (detail). `run`: a run (the first or a
   * rerun) took the work over (data: its owner, e.g. the Actions job), so that a clean-up
   * of another run never touches work that a newer run now carries on.
   */
  event: "begin" | "run" | "started" | "intent" | "done" | "failed";
  at: string;
  data?: unknown;
  detail?: string;
}

export interface Journal {
  /** Where it is kept, for messages: `file /var/run/x.journal`, `ConfigMap uc1/...`. */
  readonly description: string;
  /** Every entry written so far, oldest first; none when nothing was written yet. */
  read(): Promise<JournalEntry[]>;
  /** Adds one entry durably (it is on stable storage when this resolves), or rejects. */
  append(entry: JournalEntry): Promise<void>;
}

/**
 * A journal in a local file: one JSON entry per line, created 0600, each append flushed to
 * disk before it resolves. A torn last line (the writer died mid-line) is ignored: its
 * entry was never acknowledged, so its step never acted on it.
 */
export class FileJournal implements Journal {
  readonly description: string;

  constructor(readonly path: string) {
    this.description = `file ${path}`;
  }

  async read(): Promise<JournalEntry[]> {
    let text: string;
    try {
      text = await readFile(this.path, "utf8");
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === "ENOENT") return [];
      throw error;
    }
    return parseJournalText(text, this.path);
  }

  async append(entry: JournalEntry): Promise<void> {
    const file = await open(this.path, "a", 0o600);
    try {
      await file.write(`${JSON.stringify(entry)}\n`);
      await file.sync();
    } finally {
      await file.close();
    }
  }
}

/**
 * A journal's entries from its text, one JSON entry a line (FileJournal's and NodeJournal's
 * format); a line that is not an entry is an error naming `where` and the line.
 */
export function parseJournalText(text: string, where: string): JournalEntry[] {
  // The part after the last newline is empty, or a torn line that was never acknowledged.
  const complete = text.split("\n").slice(0, -1);
  return complete
    .filter((line) => line.trim())
    .map((line, index) => parseEntry(line, index, where));
}

function parseEntry(line: string, index: number, where: string): JournalEntry {
  try {
    const entry = JSON.parse(line) as JournalEntry;
    if (typeof entry.step !== "string" || typeof entry.event !== "string")
      throw new Error("no step or event");
    return entry;
  } catch (error) {
    throw new Error(
      `the journal ${where} is damaged at line ${index + 1} (${errorMessage(error)}); it is not continued blindly: read it, and remove it only if its work is known to be finished.`,
      { cause: error },
    );
  }
}
