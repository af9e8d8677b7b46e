/**
 * `--quota-backend-bytes` read as etcd reads it: unset or 0 is etcd's default (2 GiB), a
 * negative value means no quota at all, so the summary must not warn of one.
 */
import { describe, expect, it } from "vitest";
import { historyWarnings, type HistoryPoint } from "../../src/core/audit/history.ts";
import { ETCD_DEFAULTS, memberConfigFromContainer } from "../../src/core/etcd/member-config.ts";

function quotaOf(args: string[], env: Array<{ name: string; value: string }> = []) {
  return memberConfigFromContainer(
    { command: ["etcd", "--name=kube-etcd-0", ...args], env },
    { name: "kube-etcd-0", namespace: "uc1" },
    "statefulset uc1/kube-etcd",
  ).quotaBackendBytes;
}

describe("a member's quota", () => {
  it("is etcd's default when unset or 0, and the value given otherwise", () => {
    expect(ETCD_DEFAULTS.quotaBackendBytes).toBe(2 * 1024 ** 3);
    expect(quotaOf([])).toBe(ETCD_DEFAULTS.quotaBackendBytes);
    expect(quotaOf(["--quota-backend-bytes=0"])).toBe(ETCD_DEFAULTS.quotaBackendBytes);
    expect(quotaOf(["--quota-backend-bytes=8589934592"])).toBe(8 * 1024 ** 3);
  });

  it("is none when negative, in a flag or in the environment", () => {
    expect(quotaOf(["--quota-backend-bytes=-1"])).toBeUndefined();
    expect(quotaOf([], [{ name: "ETCD_QUOTA_BACKEND_BYTES", value: "-1" }])).toBeUndefined();
  });

  it("without a quota, a database past 80% of the default gives no quota warning", () => {
    const point: HistoryPoint = {
      cluster: "uc1",
      kind: "user-etcd",
      timestamp: "20261207T000000Z",
      createdAt: new Date("2026-12-07T00:00:00Z"),
      uri: "file:///backups/uc1/user-etcd/20261207T000000Z/",
      sizeBytes: 1.9 * 1024 ** 3,
      storedBytes: 1024 ** 3,
      encryption: "age",
    } as HistoryPoint;
    expect(
      historyWarnings([point], { bytes: ETCD_DEFAULTS.quotaBackendBytes, source: "x" }),
    ).toHaveLength(1);
    expect(historyWarnings([point], undefined)).toEqual([]);
  });
});
