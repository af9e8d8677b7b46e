import { describe, expect, it } from "vitest";
import { endpointHealth, parseEndpointStatus, snapshotSave } from "../../src/core/etcd/etcdctl.ts";
import {
  adminClusterProfile,
  isValidClusterName,
  userClusterProfile,
} from "../../src/core/etcd/profiles.ts";

describe("etcdctl command lines", () => {
  it("uses the runbook's certificate paths for a user cluster", () => {
    expect(snapshotSave(userClusterProfile("uc1"), "/tmp/s.db")).toEqual([
      "etcdctl",
      "--endpoints=https://127.0.0.1:2379",
      "--cacert=/etcd.local.config/certificates/etcdCA.crt",
      "--cert=/etcd.local.config/certificates/etcd.crt",
      "--key=/etcd.local.config/certificates/etcd.key",
      "snapshot",
      "save",
      "/tmp/s.db",
    ]);
  });

  it("uses the healthcheck client certificate for the admin cluster", () => {
    const argv = endpointHealth(adminClusterProfile());
    expect(argv).toContain("--cacert=/etc/kubernetes/pki/etcd/ca.crt");
    expect(argv).toContain("--cert=/etc/kubernetes/pki/etcd/healthcheck-client.crt");
    expect(argv).toContain("--key=/etc/kubernetes/pki/etcd/healthcheck-client.key");
    expect(argv.slice(-3)).toEqual(["endpoint", "health", "--command-timeout=10s"]);
  });

  it("reads etcdctl 3.4's endpoint status JSON without losing 64-bit member ids", () => {
    const json =
      '[{"Endpoint":"https://127.0.0.1:2379","Status":{"header":{"cluster_id":15118495548433857066,"member_id":13668033151171901709,"revision":42,"raft_term":2},"version":"3.4.23","dbSize":20480,"leader":13668033151171901709,"raftIndex":4,"raftTerm":2,"raftAppliedIndex":4,"dbSizeInUse":16384}}]';
    expect(parseEndpointStatus(json)).toEqual({
      memberId: "13668033151171901709",
      leaderId: "13668033151171901709",
      revision: 42,
      dbSize: 20480,
      raftTerm: 2,
      version: "3.4.23",
    });
  });

  it("says what etcdctl printed when it is not a status", () => {
    expect(() => parseEndpointStatus("Error: context deadline exceeded")).toThrow(
      /not JSON: Error: context deadline exceeded/,
    );
  });

  it("accepts namespace-shaped cluster names and admin only", () => {
    expect(isValidClusterName("uc1")).toBe(true);
    expect(isValidClusterName("admin")).toBe(true);
    expect(isValidClusterName("UC1")).toBe(false);
    expect(isValidClusterName("uc_1")).toBe(false);
    expect(isValidClusterName("")).toBe(false);
  });
});
