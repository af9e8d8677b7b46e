/**
 * The journal of a restore that works over SSH, kept on the node itself (root-only, on the
 * same volume as the data it describes), so that a rerun from another runner, after the
 * first one died or its link dropped, finds what was done. One JSON entry a line, as
 * FileJournal; each append is `sync`ed on the node before it resolves.
 */
import { PassThrough } from "node:stream";
import { parseJournalText, type Journal, type JournalEntry } from "../journal/journal.ts";
import type { SshSession } from "./session.ts";
import { sudoCommand, sudoRefusal } from "./sudo.ts";

const READ_SCRIPT = `[ -f "$1" ] || exit 0; cat "$1"`;
const APPEND_SCRIPT = `umask 077; cat >> "$1" && sync "$1" 2>/dev/null || sync`;

export class NodeJournal implements Journal {
  readonly description: string;

  constructor(
    private readonly session: SshSession,
    readonly path: string,
  ) {
    this.description = `file ${path} on ${session.host}`;
  }

  async read(): Promise<JournalEntry[]> {
    const { stdout } = await this.session.run(
      sudoCommand(["sh", "-c", READ_SCRIPT, "sh", this.path]),
      {
        describe: `reading the journal ${this.path}`,
        interpretFailure: (outcome) => sudoRefusal(outcome, this.sudoWhere()),
      },
    );
    return parseJournalText(stdout.toString("utf8"), this.description);
  }

  async append(entry: JournalEntry): Promise<void> {
    const line = new PassThrough();
    line.end(`${JSON.stringify(entry)}\n`);
    await this.session.run(sudoCommand(["sh", "-c", APPEND_SCRIPT, "sh", this.path]), {
      describe: `writing the journal ${this.path}`,
      stdin: line,
      describeStdin: "the journal entry",
      interpretFailure: (outcome) => sudoRefusal(outcome, this.sudoWhere()),
    });
  }

  private sudoWhere() {
    return { host: this.session.host, user: this.session.user, programs: ["sh"] };
  }
}
