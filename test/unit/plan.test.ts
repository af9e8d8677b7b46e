import { mkdir, mkdtemp, rm, stat, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { FileJournal } from "../../src/core/journal/journal.ts";
import { recordingLogger } from "../../src/core/log/logger.ts";
import { JournalWriteError, Plan, PlanRun } from "../../src/procedures/plan.ts";

/** A small restore-like plan: two reads, a change that records an intent, a conditional change. */
function restoreLikePlan(): Plan {
  return new Plan("put the replicas back", [
    { name: "readReplicas", purpose: "read the replica count", effect: "reads" },
    { name: "checkRoom", purpose: "room on the volume", effect: "reads", runbook: "df -Pk /data" },
    {
      name: "scaleDown",
      purpose: "scale the API server to 0",
      effect: "changes",
      runbook: "kubectl scale statefulset kube-apiserver --replicas=0",
    },
    { name: "swap", purpose: "swap the data folders", effect: "point of no return" },
    {
      name: "pruneOld",
      purpose: "remove old pre-restore folders",
      effect: "changes",
      onlyWhen: "when more than two are kept",
    },
  ]);
}

let work: string;
beforeEach(async () => {
  work = await mkdtemp(join(tmpdir(), "plan-test-"));
});
afterEach(async () => {
  await rm(work, { recursive: true, force: true });
});

describe("a plan", () => {
  it("prints every declared step with its effect, condition and runbook command", () => {
    expect(restoreLikePlan().lines()).toEqual([
      "Plan: put the replicas back",
      "  1. readReplicas [reads]: read the replica count",
      "  2. checkRoom [reads]: room on the volume",
      "       $ df -Pk /data",
      "  3. scaleDown [changes]: scale the API server to 0",
      "       $ kubectl scale statefulset kube-apiserver --replicas=0",
      "  4. swap [point of no return]: swap the data folders",
      "  5. pruneOld [changes; only when more than two are kept]: remove old pre-restore folders",
    ]);
  });

  it("refuses a step declared twice", () => {
    expect(
      () =>
        new Plan("twice", [
          { name: "a", purpose: "a", effect: "reads" },
          { name: "a", purpose: "again", effect: "reads" },
        ]),
    ).toThrow('the plan "twice" declares step a twice');
  });
});

describe("a run of a plan", () => {
  it("reports every planned step in plan order: done, or skipped with the reason", async () => {
    const run = await PlanRun.start(restoreLikePlan(), { logger: recordingLogger() });
    await run.run("readReplicas", async () => 3);
    await run.run("checkRoom", async () => "1 GiB");
    await run.run("scaleDown", async () => undefined);
    await run.run("swap", async () => undefined);
    run.skip("pruneOld", "only one pre-restore folder is kept");
    expect(run.finish().map(({ step, outcome, detail }) => [step, outcome, detail])).toEqual([
      ["readReplicas", "done", undefined],
      ["checkRoom", "done", undefined],
      ["scaleDown", "done", undefined],
      ["swap", "done", undefined],
      ["pruneOld", "skipped", "only one pre-restore folder is kept"],
    ]);
  });

  it("cannot run a step that is not planned, nor one out of order, nor one twice", async () => {
    const run = await PlanRun.start(restoreLikePlan(), { logger: recordingLogger() });
    await expect(run.run("deleteEverything", async () => 1)).rejects.toThrow(
      'step deleteEverything is not in the plan "put the replicas back"',
    );
    await run.run("readReplicas", async () => 3);
    await run.run("checkRoom", async () => 1);
    await expect(run.run("readReplicas", async () => 3)).rejects.toThrow(
      "a run executes each planned step once, in order",
    );
  });

  it("refuses to skip an unconditional step, or to pass one by without a failure", async () => {
    const run = await PlanRun.start(restoreLikePlan(), { logger: recordingLogger() });
    expect(() => run.skip("readReplicas", "no reason")).toThrow(
      "only a step declared with a condition can be skipped",
    );
    const other = await PlanRun.start(restoreLikePlan(), { logger: recordingLogger() });
    await other.run("readReplicas", async () => 3);
    await expect(other.run("scaleDown", async () => 0)).rejects.toThrow(
      'step checkRoom of the plan "put the replicas back" was neither run nor skipped',
    );
  });

  it("after a failure reports the failed step and the rest as not reached", async () => {
    const logger = recordingLogger();
    const run = await PlanRun.start(restoreLikePlan(), { logger });
    await run.run("readReplicas", async () => 3);
    await expect(
      run.run("checkRoom", async () => {
        throw new Error("only 10 MiB free on data-kube-etcd-0");
      }),
    ).rejects.toThrow("only 10 MiB free");
    expect(run.finish().map(({ step, outcome, detail }) => [step, outcome, detail])).toEqual([
      ["readReplicas", "done", undefined],
      ["checkRoom", "failed", "only 10 MiB free on data-kube-etcd-0"],
      ["scaleDown", "skipped", "not reached: checkRoom failed"],
      ["swap", "skipped", "not reached: checkRoom failed"],
      ["pruneOld", "skipped", "not reached: checkRoom failed"],
    ]);
    expect(logger.lines).toContain("▶ checkRoom: room on the volume");
    expect(logger.lines.some((line) => line.startsWith("✘ checkRoom"))).toBe(true);
  });

  it("in a dry run executes only reading steps and reports the others as skipped", async () => {
    const run = await PlanRun.start(restoreLikePlan(), { logger: recordingLogger(), dryRun: true });
    await run.run("readReplicas", async () => 3);
    await run.run("checkRoom", async () => 1);
    let scaled = false;
    await expect(
      run.run("scaleDown", async () => {
        scaled = true;
      }),
    ).rejects.toThrow("step scaleDown changes, and this is a dry run");
    expect(scaled).toBe(false);
    const dry = await PlanRun.start(restoreLikePlan(), { logger: recordingLogger(), dryRun: true });
    await dry.run("readReplicas", async () => 3);
    expect(dry.finish().map(({ step, outcome, detail }) => [step, outcome, detail])).toEqual([
      ["readReplicas", "done", undefined],
      ["checkRoom", "skipped", "dry run: nothing is changed"],
      ["scaleDown", "skipped", "dry run: nothing is changed"],
      ["swap", "skipped", "dry run: nothing is changed"],
      ["pruneOld", "skipped", "dry run: nothing is changed"],
    ]);
  });
});

describe("the journal", () => {
  it("records a change before it acts and again when it finished, in a 0600 file", async () => {
    const journal = new FileJournal(join(work, "restore.journal"));
    const identity = { cluster: "uc1", backup: "file:///b/uc1/user-etcd/20261207T000000Z" };
    const run = await PlanRun.start(restoreLikePlan(), {
      logger: recordingLogger(),
      journal,
      identity,
    });
    await run.run("readReplicas", async () => 3);
    await run.run("checkRoom", async () => 1);
    await run.run("scaleDown", async (step) => {
      await step.intend({ replicas: 3 });
      // Write-ahead: by the time the step acts, its intent is on disk.
      const onDisk = await journal.read();
      expect(onDisk.at(-1)).toMatchObject({
        step: "scaleDown",
        event: "intent",
        data: { replicas: 3 },
      });
      return { scaledFrom: 3 };
    });
    const entries = await journal.read();
    expect(entries.map(({ step, event }) => `${event} ${step}`.trim())).toEqual([
      "begin",
      "started scaleDown",
      "intent scaleDown",
      "done scaleDown",
    ]);
    expect(entries[0]!.data).toEqual(identity);
    expect(entries.at(-1)!.data).toEqual({ scaledFrom: 3 });
    expect((await stat(journal.path)).mode & 0o777).toBe(0o600);
  });

  it("lets a rerun continue: finished changes are not repeated, the first intent is kept", async () => {
    const journal = new FileJournal(join(work, "restore.journal"));
    const identity = { cluster: "uc1" };
    const first = await PlanRun.start(restoreLikePlan(), {
      logger: recordingLogger(),
      journal,
      identity,
    });
    await first.run("readReplicas", async () => 3);
    await first.run("checkRoom", async () => 1);
    await first.run("scaleDown", async (step) => {
      await step.intend({ replicas: 3 });
      return { scaledFrom: 3 };
    });
    // The runner dies inside swap, after recording its intent and before finishing.
    await first
      .run("swap", async (step) => {
        await step.intend({ folder: "pre-restore-20261207T000000Z" });
        throw new Error("runner killed");
      })
      .catch(() => undefined);

    const logger = recordingLogger();
    const rerun = await PlanRun.start(restoreLikePlan(), { logger, journal, identity });
    let readsRan = 0;
    await rerun.run("readReplicas", async () => {
      readsRan++;
      return 0;
    });
    await rerun.run("checkRoom", async () => {
      readsRan++;
      return 1;
    });
    let scaledAgain = false;
    const scaled = await rerun.run("scaleDown", async () => {
      scaledAgain = true;
      return { scaledFrom: 0 };
    });
    expect(scaledAgain).toBe(false);
    expect(scaled).toEqual({ scaledFrom: 3 });
    expect(readsRan).toBe(2);
    const kept = await rerun.run("swap", async (step) => {
      expect(step.earlierIntent).toEqual({ folder: "pre-restore-20261207T000000Z" });
      return step.intend({ folder: "pre-restore-20261207T010000Z" });
    });
    expect(kept).toEqual({ folder: "pre-restore-20261207T000000Z" });
    expect(logger.lines.join("\n")).toContain("already done scaleDown");
    expect(logger.lines.some((line) => /^✔ scaleDown: done in an earlier run/.test(line))).toBe(
      true,
    );
  });

  it("refuses to continue a journal written for other work", async () => {
    const journal = new FileJournal(join(work, "restore.journal"));
    await PlanRun.start(restoreLikePlan(), {
      logger: recordingLogger(),
      journal,
      identity: { backup: "A" },
    });
    await expect(
      PlanRun.start(restoreLikePlan(), {
        logger: recordingLogger(),
        journal,
        identity: { backup: "B" },
      }),
    ).rejects.toThrow(
      /belongs to other work \(backup A\), not to backup B: finish or undo that work first/,
    );
  });

  it("stops the run when the journal cannot be written, before the change acts", async () => {
    const journal = new FileJournal(join(work, "restore.journal"));
    const run = await PlanRun.start(restoreLikePlan(), { logger: recordingLogger(), journal });
    await run.run("readReplicas", async () => 3);
    await run.run("checkRoom", async () => 1);
    // The journal's file becomes a folder: every append now fails (EISDIR), even for root.
    await rm(journal.path);
    await mkdir(journal.path);
    let acted = false;
    const failure = run.run("scaleDown", async () => {
      acted = true;
    });
    await expect(failure).rejects.toBeInstanceOf(JournalWriteError);
    await expect(failure).rejects.toThrow(
      /could not be written \(EISDIR.*\); the run stops rather than act unrecorded/,
    );
    expect(acted).toBe(false);
  });

  it("ignores a torn last line and refuses a damaged one in the middle", async () => {
    const path = join(work, "restore.journal");
    const line = (step: string, event: string) =>
      JSON.stringify({ step, event, at: "2026-12-07T00:00:00.000Z" });
    await writeFile(
      path,
      `${line("", "begin")}\n${line("scaleDown", "started")}\n{"step":"scaleDo`,
    );
    expect((await new FileJournal(path).read()).map((entry) => entry.event)).toEqual([
      "begin",
      "started",
    ]);
    await writeFile(path, `${line("", "begin")}\nnot json\n${line("scaleDown", "started")}\n`);
    await expect(new FileJournal(path).read()).rejects.toThrow(
      /the journal .* is damaged at line 2 .*it is not continued blindly/,
    );
  });
});
