/**
 * How fast, and in how much memory, a large `sudo tar` stream comes off the node over SSH
 * (directly and through the jump host), with the sandbox's real sshd. Prints ratios; the
 * goal is constant memory: RSS growth should stay a small fraction of the bytes streamed.
 * SSH_BENCH_MIB sets the size (default 512). Needs root (network namespaces, sshd).
 */
import { execFileSync } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { recordingLogger } from "../src/core/log/logger.ts";
import { connectSsh, streamPkiArchive, type SshConnectOptions } from "../src/core/ssh/index.ts";
import { createSshTestNetwork, startSshHost } from "../test/sandbox/ssh/index.ts";
import { generateClientKey } from "../test/ssh/fixtures.ts";

const sizeMiB = Number(process.env.SSH_BENCH_MIB ?? 512);
const dir = mkdtempSync(join(tmpdir(), "ssh-bench-"));
const nodeRoot = join(dir, "nodes", "admin-master");
mkdirSync(join(nodeRoot, "opt/data"), { recursive: true });
execFileSync("truncate", ["-s", `${sizeMiB}M`, join(nodeRoot, "opt/data/big.img")]);
mkdirSync(join(dir, "nodes", "jump"), { recursive: true });
const key = generateClientKey(dir, "bench");
const network = await createSshTestNetwork({
  id: `sshbench${process.pid % 10000}`,
  privateNetwork: false,
});
const users = [{ name: "ubuntu", authorizedKeys: key.publicLine, sudo: "nopasswd" as const }];
const node = await startSshHost({
  id: "admin-master",
  dir,
  nodeRoot,
  netns: network.nodeNetns,
  address: network.nodeAddress,
  users,
});
const jump = await startSshHost({
  id: "jump",
  dir,
  nodeRoot: join(dir, "nodes", "jump"),
  netns: network.jumpNetns,
  address: network.jumpAddress,
  users,
  forwardingOnly: true,
});

async function measure(label: string, options: SshConnectOptions): Promise<void> {
  const session = await connectSsh(options, recordingLogger());
  global.gc?.();
  const rssBefore = process.memoryUsage().rss;
  let peakRss = rssBefore;
  const sampler = setInterval(() => (peakRss = Math.max(peakRss, process.memoryUsage().rss)), 50);
  const started = process.hrtime.bigint();
  const stream = await streamPkiArchive(session, { paths: ["/opt/data"] });
  let bytes = 0;
  for await (const chunk of stream.archive) bytes += (chunk as Buffer).length;
  await stream.completed;
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  clearInterval(sampler);
  await session.close();
  const mib = bytes / 1024 / 1024;
  const growthMiB = (peakRss - rssBefore) / 1024 / 1024;
  console.log(
    `${label}: ${mib.toFixed(0)} MiB in ${seconds.toFixed(1)} s = ${(mib / seconds).toFixed(1)} MiB/s; ` +
      `peak RSS grew ${growthMiB.toFixed(1)} MiB = ${((growthMiB / mib) * 100).toFixed(2)}% of the bytes streamed`,
  );
}

try {
  const common = { host: network.nodeAddress, user: "ubuntu", privateKey: key.privateKey };
  const hostKeys = { knownHosts: [node.knownHostsLine, jump.knownHostsLine] };
  // The first run also pays for JIT and crypto warm-up; the second shows the steady state.
  await measure("direct, first run", { ...common, hostKeys });
  await measure("direct, second run", { ...common, hostKeys });
  await measure("through jump host", {
    ...common,
    hostKeys,
    jumpHost: { user: "ubuntu", host: jump.address, privateKey: key.privateKey },
  });
} finally {
  await node.stop();
  await jump.stop();
  await network.remove();
  rmSync(dir, { recursive: true, force: true });
}
