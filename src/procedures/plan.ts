/**
 * A plan is the program. A procedure declares its steps once (name, purpose, the runbook
 * command an operator would have typed, what the step does to the world, and the condition
 * it runs under); `dry-run` prints that declaration, and a real run executes exactly it,
 * in order: a `PlanRun` refuses a step that is not planned or comes out of order, reports
 * every planned step as done, failed or skipped (with the reason), and never one that was
 * not planned. With a `Journal` it is write-ahead: a step that changes anything is recorded
 * before it acts and again when it finished, so a rerun continues instead of starting blind.
 */
import { errorMessage } from "../core/errors.ts";
import type { Logger } from "../core/log/logger.ts";
import type { Journal, JournalEntry } from "../core/journal/journal.ts";

/**
 * What a step does to the world: `reads` only looks (it runs in a dry run, and again on a
 * rerun); `changes` alters a cluster, a node or a destination; `point of no return` is the
 * change after which the old state cannot simply be put back by undoing earlier steps.
 */
export type StepEffect = "reads" | "changes" | "point of no return";

export interface StepDeclaration {
  /** The step's name in the job log and the journal, e.g. `saveApiServerPdb`. */
  name: string;
  /** One line: what the step does and why. */
  purpose: string;
  /** What an operator following the runbook would have run for the same effect. */
  runbook?: string;
  effect: StepEffect;
  /** Set when the step runs only under a condition: the condition, as the plan prints it. */
  onlyWhen?: string;
}

export class Plan {
  private readonly index = new Map<string, number>();

  constructor(
    /** What the plan does, e.g. `back up etcd of uc1 to folder /backups`. */
    readonly title: string,
    readonly steps: readonly StepDeclaration[],
  ) {
    steps.forEach((step, position) => {
      if (this.index.has(step.name)) {
        throw new Error(`the plan "${title}" declares step ${step.name} twice`);
      }
      this.index.set(step.name, position);
    });
  }

  positionOf(name: string): number {
    const position = this.index.get(name);
    if (position === undefined) {
      throw new Error(
        `step ${name} is not in the plan "${this.title}"; a run executes only planned steps`,
      );
    }
    return position;
  }

  /** The plan as `dry-run` prints it: numbered steps, their effect, condition and runbook command. */
  lines(): string[] {
    const lines = [`Plan: ${this.title}`];
    this.steps.forEach((step, position) => {
      const condition = step.onlyWhen ? `; only ${step.onlyWhen}` : "";
      lines.push(`  ${position + 1}. ${step.name} [${step.effect}${condition}]: ${step.purpose}`);
      if (step.runbook) lines.push(`       $ ${step.runbook}`);
    });
    return lines;
  }

  print(logger: Logger): void {
    for (const line of this.lines()) logger.info(line);
  }
}

export type StepOutcome = "done" | "failed" | "skipped";

/** One planned step as the run reported it: the step log a summary and tests read. */
export interface StepRecord {
  step: string;
  outcome: StepOutcome;
  startedAt: string;
  durationMs: number;
  /** What the step found or did; for a failure its error; for a skip the reason. */
  detail?: string;
}

/** What a running step can ask of the journal. */
export interface StepContext {
  /** What an earlier, interrupted run recorded it was about to do in this step, if anything. */
  readonly earlierIntent: unknown;
  /**
   * Records, before acting, what the step is about to change (e.g. the replica count it
   * scales from). If an earlier run recorded an intent for this step, that one is kept and
   * returned: the first record is the truth about the state before the change.
   */
  intend<Intent>(intent: Intent): Promise<Intent>;
}

/** The journal could not be written: the run stops, so that it never acts unrecorded. */
export class JournalWriteError extends Error {
  override readonly name = "JournalWriteError";
}

export interface PlanRunOptions {
  logger: Logger;
  /** Persistent, write-ahead record; without one the run keeps only its in-memory step log. */
  journal?: Journal;
  /**
   * What identifies this run's work (cluster, backup URI...). A journal written for other
   * work is refused: a rerun continues only the run it belongs to.
   */
  identity?: Record<string, string>;
  /** A dry run executes only `reads` steps and reports the rest as skipped. */
  dryRun?: boolean;
  /**
   * Who runs this time (an Actions run and attempt, or a terminal session), recorded in the
   * journal: the last owner is the one whose clean-up may act on the work.
   */
  owner?: string;
}

export class PlanRun {
  /** Every planned step reported so far, in plan order. */
  readonly log: StepRecord[] = [];
  private cursor = 0;
  private failure: string | undefined;
  private readonly earlier: JournalEntry[];
  private readonly intents = new Map<string, unknown>();

  private constructor(
    readonly plan: Plan,
    private options: PlanRunOptions,
    earlier: JournalEntry[],
  ) {
    this.earlier = earlier;
  }

  /**
   * Starts a run of the plan. With a journal, reads what an earlier run of the same work
   * recorded (steps that changed something and finished are not repeated) and records that
   * this run began.
   */
  static async start(plan: Plan, options: PlanRunOptions): Promise<PlanRun> {
    const { journal, ...rest } = options;
    const run = new PlanRun(plan, rest, []);
    if (journal) await run.attachJournal(journal, options.identity);
    return run;
  }

  /**
   * Starts journaling: reads what an earlier run of the same work recorded and records that
   * this run began. For a procedure that learns where its journal lives from its first
   * `reads` steps (the admin restore keeps it on the node, beside the data dir it reads from
   * the etcd manifest); refused once a step that changes anything has run.
   */
  async attachJournal(journal: Journal, identity?: Record<string, string>): Promise<void> {
    if (this.options.journal) throw new Error("the run already has a journal");
    if (
      this.log.some(
        (record) => this.plan.steps[this.plan.positionOf(record.step)]!.effect !== "reads",
      )
    ) {
      throw new Error("a journal is attached before any step that changes something runs");
    }
    const earlier = await journal.read();
    const begun = earlier.find((entry) => entry.event === "begin");
    if (begun && !sameIdentity(begun.data, identity)) {
      throw new Error(
        `the journal ${journal.description} belongs to other work (${describeIdentity(begun.data)}), not to ${describeIdentity(identity)}: finish or undo that work first, or remove the journal if it is known to be finished.`,
      );
    }
    this.options = { ...this.options, journal, ...(identity ? { identity } : {}) };
    this.earlier.push(...earlier);
    if (!begun) await this.append({ step: "", event: "begin", data: identity ?? {} });
    const owner = this.options.owner;
    if (owner) await this.append({ step: "", event: "run", data: { owner } });
    if (begun) {
      const done = earlier.filter((entry) => entry.event === "done").map((entry) => entry.step);
      this.options.logger.info(
        `Continuing the work recorded in ${journal.description}${done.length ? `: already done ${done.join(", ")}` : ""}.`,
      );
    }
  }

  get dryRun(): boolean {
    return this.options.dryRun ?? false;
  }

  get failed(): boolean {
    return this.failure !== undefined;
  }

  /**
   * Records that the run failed outside any step (a check between steps, a journal write):
   * the steps not reached are then reported as such, and a step meant for failures may run.
   */
  fail(error: unknown): void {
    this.failure ??= `the run failed: ${errorMessage(error)}`;
  }

  /** Whether `step` finished, in this run or an earlier one. */
  isDone(step: string): boolean {
    return (
      this.earlierEntry(step, "done") !== undefined ||
      this.log.some((record) => record.step === step && record.outcome === "done")
    );
  }

  /** What this run or an earlier one recorded it was about to change in `step`, if any. */
  intentOf(step: string): unknown {
    return this.intents.get(step) ?? this.earlierEntry(step, "intent")?.data;
  }

  /** Whether an earlier run, or this one, began `step` (a change step: it journals its start). */
  hasStarted(step: string): boolean {
    return (
      this.earlierEntry(step, "started") !== undefined ||
      this.log.some((record) => record.step === step && record.outcome !== "skipped")
    );
  }

  /** Runs one planned step: logs its start and end, journals it, rethrows a failure. */
  async run<Result>(
    name: string,
    body: (step: StepContext) => Promise<Result>,
    describe?: (result: Result) => string,
  ): Promise<Result> {
    const declaration = this.advanceTo(name);
    const { logger } = this.options;
    if (this.dryRun && declaration.effect !== "reads") {
      throw new Error(
        `step ${name} ${declaration.effect === "changes" ? "changes" : "is the point of no return"}, and this is a dry run; a procedure stops before such steps in a dry run`,
      );
    }
    const startedAt = new Date();
    const finishedEarlier = this.earlierEntry(name, "done");
    if (finishedEarlier && declaration.effect !== "reads") {
      const detail = `done in an earlier run (${finishedEarlier.at})`;
      this.report(name, "done", startedAt, detail);
      logger.info(`✔ ${name}: ${detail}`);
      return finishedEarlier.data as Result;
    }
    logger.info(`▶ ${name}: ${declaration.purpose}`);
    const changes = declaration.effect !== "reads";
    if (changes) await this.append({ step: name, event: "started" });
    const context = this.contextFor(name);
    let result: Result;
    try {
      result = await body(context);
    } catch (error) {
      const detail = errorMessage(error);
      this.failure ??= `${name} failed`;
      this.report(name, "failed", startedAt, detail);
      // Logged, not annotated: the run reports each failure once, as one error, at its end.
      logger.info(`✘ ${name} (${elapsed(startedAt)}): ${detail}`);
      if (changes)
        await this.append({ step: name, event: "failed", detail }).catch(() => undefined);
      throw error;
    }
    if (changes) await this.append({ step: name, event: "done", data: result });
    const detail = describe?.(result);
    this.report(name, "done", startedAt, detail);
    logger.info(`✔ ${name} (${elapsed(startedAt)})${detail ? `: ${detail}` : ""}`);
    return result;
  }

  /** Reports a conditional step as skipped, with the reason its condition does not hold. */
  skip(name: string, reason: string): void {
    const declaration = this.advanceTo(name);
    if (!declaration.onlyWhen && !this.failed && !this.dryRun) {
      throw new Error(
        `step ${name} is unconditional in the plan "${this.plan.title}"; only a step declared with a condition can be skipped`,
      );
    }
    this.report(name, "skipped", new Date(), reason);
    this.options.logger.info(`○ ${name}: skipped, ${reason}`);
  }

  /**
   * Ends the run: every planned step not yet reported is reported as skipped (after a
   * failure, or in a dry run). A step that neither ran nor was skipped in a run that did
   * not fail is a bug in the procedure, and says so.
   */
  finish(): StepRecord[] {
    while (this.cursor < this.plan.steps.length) {
      const step = this.plan.steps[this.cursor]!;
      this.skipUnreached(step);
      this.cursor++;
    }
    return this.log;
  }

  private advanceTo(name: string): StepDeclaration {
    const position = this.plan.positionOf(name);
    if (position < this.cursor) {
      throw new Error(
        `step ${name} comes before the step last reported in the plan "${this.plan.title}"; a run executes each planned step once, in order`,
      );
    }
    while (this.cursor < position) {
      this.skipUnreached(this.plan.steps[this.cursor]!);
      this.cursor++;
    }
    this.cursor++;
    return this.plan.steps[position]!;
  }

  private skipUnreached(step: StepDeclaration): void {
    const reason = this.failure
      ? `not reached: ${this.failure}`
      : this.dryRun
        ? "dry run: nothing is changed"
        : undefined;
    if (!reason) {
      throw new Error(
        `step ${step.name} of the plan "${this.plan.title}" was neither run nor skipped; a procedure reports every planned step`,
      );
    }
    this.report(step.name, "skipped", new Date(), reason);
  }

  private report(step: string, outcome: StepOutcome, startedAt: Date, detail?: string): void {
    this.log.push({
      step,
      outcome,
      startedAt: startedAt.toISOString(),
      durationMs: Date.now() - startedAt.getTime(),
      ...(detail ? { detail } : {}),
    });
  }

  private contextFor(name: string): StepContext {
    const earlierIntent = this.earlierEntry(name, "intent")?.data;
    return {
      earlierIntent,
      intend: async <Intent>(intent: Intent): Promise<Intent> => {
        if (earlierIntent !== undefined) return earlierIntent as Intent;
        await this.append({ step: name, event: "intent", data: intent });
        this.intents.set(name, intent);
        return intent;
      },
    };
  }

  private earlierEntry(step: string, event: JournalEntry["event"]): JournalEntry | undefined {
    return this.earlier.find((entry) => entry.step === step && entry.event === event);
  }

  private async append(entry: Omit<JournalEntry, "at">): Promise<void> {
    const journal = this.options.journal;
    if (!journal) return;
    try {
      await journal.append({ ...entry, at: new Date().toISOString() });
    } catch (error) {
      this.fail(error);
      throw new JournalWriteError(
        `the journal ${journal.description} could not be written (${errorMessage(error)}); the run stops rather than act unrecorded. Free the journal's location and rerun: the rerun continues from what was recorded.`,
        { cause: error },
      );
    }
  }
}

function sameIdentity(recorded: unknown, identity: Record<string, string> | undefined): boolean {
  return JSON.stringify(sortedEntries(recorded)) === JSON.stringify(sortedEntries(identity ?? {}));
}

function sortedEntries(value: unknown): [string, unknown][] {
  if (!value || typeof value !== "object") return [];
  return Object.entries(value).sort(([a], [b]) => a.localeCompare(b));
}

function describeIdentity(value: unknown): string {
  const entries = sortedEntries(value);
  return entries.length
    ? entries.map(([key, item]) => `${key} ${String(item)}`).join(", ")
    : "no identity";
}

function elapsed(since: Date): string {
  const ms = Date.now() - since.getTime();
  return ms < 1000 ? `${ms} ms` : `${(ms / 1000).toFixed(1)} s`;
}
