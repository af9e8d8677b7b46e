import { execFile } from "node:child_process";
import { promisify } from "node:util";
import { describe, expect, it } from "vitest";
import {
  DEFAULT_USER_CLUSTERS,
  parseUserClusters,
  planCluster,
} from "../sandbox/cluster/topology.ts";

const run = promisify(execFile);

describe("sandbox topology", () => {
  it("gives the default admin cluster a master and one node per etcd member, labelled with its user cluster", () => {
    const plan = planCluster(DEFAULT_USER_CLUSTERS);
    expect(plan.nodes.map((node) => node.name)).toEqual([
      "admin-master",
      "admin-node-0",
      "admin-node-1",
      "admin-node-2",
      "admin-node-3",
    ]);
    expect(plan.nodes[0]?.labels).toHaveProperty("node-role.kubernetes.io/control-plane", "");
    expect(plan.nodes[3]?.labels).toMatchObject({
      "kubernetes.io/hostname": "admin-node-2",
      "kubernetes.googleapis.com/cluster-name": "uc1",
    });
    expect(plan.members.map((member) => `${member.cluster}/${member.pod}@${member.node}`)).toEqual([
      "uc1/kube-etcd-0@admin-node-0",
      "uc1/kube-etcd-1@admin-node-1",
      "uc1/kube-etcd-2@admin-node-2",
      "uc2/kube-etcd-0@admin-node-3",
    ]);
  });

  it("parses --user-clusters and names the entry it cannot use", () => {
    expect(parseUserClusters("uc1:3,uc2:1")).toEqual([
      { name: "uc1", members: 3 },
      { name: "uc2", members: 1 },
    ]);
    expect(() => parseUserClusters("uc1:3,uc2")).toThrow(
      '--user-clusters entry "uc2" is not usable: expected <name>:<members>, e.g. uc1:3,uc2:1.',
    );
  });

  it("refuses user clusters it cannot build, saying what was expected", () => {
    expect(() => planCluster([{ name: "UC1", members: 1 }])).toThrow(
      /user cluster name "UC1" is not usable: expected a namespace name/,
    );
    expect(() => planCluster([{ name: "kube-system", members: 1 }])).toThrow(
      /user cluster name "kube-system" is not usable/,
    );
    expect(() =>
      planCluster([
        { name: "uc1", members: 1 },
        { name: "uc1", members: 3 },
      ]),
    ).toThrow('user cluster "uc1" is listed twice: expected each name once.');
    expect(() => planCluster([{ name: "uc1", members: 0 }])).toThrow(
      'user cluster "uc1" has 0 etcd members: expected a whole number from 1 to 5 (Anthos uses 1 or 3).',
    );
    expect(() =>
      planCluster([
        { name: "uc1", members: 5 },
        { name: "uc2", members: 3 },
      ]),
    ).toThrow(/8 etcd members in all, each on its own node: the sandbox has room for at most 7/);
  });

  it("npm run sandbox rejects a bad flag with one sentence and exit status 1, before starting anything", async () => {
    const failure = await run("node_modules/.bin/tsx", [
      "test/sandbox/main.ts",
      "--dir",
      "/nonexistent/never-created",
      "--etcd-data-mb",
      "lots",
    ]).then(
      () => undefined,
      (error: { code?: number; stderr?: string }) => error,
    );
    expect(failure?.code).toBe(1);
    expect(failure?.stderr).toContain(
      `option '--etcd-data-mb <mb>' argument 'lots' is invalid. expected a whole number of MB, e.g. 500; got "lots".`,
    );
  });
});
