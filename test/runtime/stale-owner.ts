/**
 * A sandbox owner that the teardown test kills with SIGKILL, to leave a stale sandbox behind
 * the way a killed test run or a crashed `npm run sandbox` would. Usage:
 *   node --import tsx test/runtime/stale-owner.ts <dir> <sandboxId>
 * Prints one line `ready` once its pod runs, then waits to be killed.
 */
import { ObjectStore } from "../sandbox/store.ts";
import { startRuntime } from "../sandbox/runtime/index.ts";
import { recordingLogger } from "../../src/core/log/logger.ts";
import { pod, sleeper, TEST_IMAGES, waitForReady } from "./fixtures.ts";

const [dir, sandboxId] = process.argv.slice(2);
if (!dir || !sandboxId) {
  process.stderr.write("usage: stale-owner.ts <dir> <sandboxId>\n");
  process.exit(2);
}
const store = new ObjectStore();
await startRuntime({
  store,
  dir,
  sandboxId,
  nodes: [{ name: "admin-node-0" }],
  images: TEST_IMAGES,
  logger: recordingLogger(),
});
store.create("pods", pod("uc1", "left-behind", { containers: [sleeper()] }));
await waitForReady(store, "uc1", "left-behind");
process.stdout.write("ready\n");
setInterval(() => undefined, 60_000);
