import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["test/**/*.test.ts"],
    // Integration tests start real etcd, sshd and sandbox clusters: give them room, run
    // files one at a time so two sandboxes never compete for the two cores.
    testTimeout: 120_000,
    hookTimeout: 180_000,
    fileParallelism: false,
    pool: "forks",
    // An error thrown from an event handler or a rejection nobody awaited fails the run,
    // even when every test passed: every stream and step must settle with an awaited error.
    dangerouslyIgnoreUnhandledErrors: false,
    // The CLI tests run bin/etcd-backup-actions.mjs on the sources (through tsx), so a change
    // is tested before its bundle is rebuilt; test/cli/bundle.test.ts runs the built bundle.
    env: { ETCD_BACKUP_ACTIONS_FROM_SOURCES: "1" },
  },
});
