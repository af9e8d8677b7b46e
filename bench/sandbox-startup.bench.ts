/**
 * How long the default sandbox takes to come up (goal: under 30 s on a 2-core machine) and
 * to tear down, and, with SANDBOX_BENCH_DATA_MB=N, how fast `etcdDataMb` grows uc1's etcd.
 * Prints ratios; never fails on a number.
 */
import { consoleLogger } from "../src/core/log/logger.ts";
import { startSandbox } from "../test/sandbox/index.ts";

const START_UP_BUDGET_S = 30;

async function measure(etcdDataMb?: number): Promise<void> {
  const base = consoleLogger();
  const phases: string[] = [];
  const logger = { ...base, info: () => {}, debug: (line: string) => phases.push(line) };
  const started = Date.now();
  const sandbox = await startSandbox({ logger, ...(etcdDataMb ? { etcdDataMb } : {}) });
  const startSeconds = (Date.now() - started) / 1000;
  const stopping = Date.now();
  await sandbox.stop();
  const stopSeconds = (Date.now() - stopping) / 1000;
  for (const line of phases.filter((text) => text.includes(" after "))) console.log(`  ${line}`);
  const label = etcdDataMb ? `sandbox with ${etcdDataMb} MB in uc1` : "default sandbox";
  console.log(
    `${label}: start-up ${startSeconds.toFixed(1)} s = ${(startSeconds / START_UP_BUDGET_S).toFixed(2)} x the ${START_UP_BUDGET_S} s budget; teardown ${stopSeconds.toFixed(1)} s`,
  );
}

await measure();
const dataMb = Number(process.env.SANDBOX_BENCH_DATA_MB ?? 0);
if (dataMb > 0) await measure(dataMb);
