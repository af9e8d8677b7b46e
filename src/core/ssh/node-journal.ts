/**
 * The journal of a restore that works over SSH, kept on the node itself (root-only, on the
 * same volume as the data it describes), so that a rerun from another runner, after the
 * first one died or its link dropped, finds what was done. One JSON entry a line, as
 * FileJournal; each append is `sync`ed on the node before it resolves.
 */
import { PassThrough } from "node:stream";
import { errorMessage } from "../errors.ts";
import type { Journal, JournalEntry } from "../journal/journal.ts";
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
    // The part after the last newline is empty, or a torn line that was never acknowledged.
    const lines = stdout.toString("utf8").split("\n").slice(0, -1);
    return lines
      .filter((line) => line.trim())
      .map((line, index) => {
        try {
          const entry = JSON.parse(line) as JournalEntry;
          if (typeof entry.step !== "string" || typeof entry.event !== "string")
            throw new Error("no step or event");
          return entry;
        } catch (error) {
          throw new Error(
            `the journal ${this.description} is damaged at line ${index + 1} (${errorMessage(error)}); it is not continued blindly: read it, and remove it only if its work is known to be finished.`,
            { cause: error },
          );
        }
      });
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
