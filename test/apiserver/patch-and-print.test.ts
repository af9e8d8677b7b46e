/**
 * The API server's pure parts: patches, selectors and kubectl's pod STATUS, each case the
 * way kubectl or a real API server produces or expects it.
 */
import { describe, expect, it } from "vitest";
import {
  applyJsonPatch,
  applyMergePatch,
  applyStrategicMergePatch,
} from "../sandbox/apiserver/patch.ts";
import { humanDuration, podStatusCells } from "../sandbox/apiserver/printers.ts";
import { parseFieldSelector, parseLabelSelector } from "../sandbox/apiserver/selectors.ts";
import { ApiError } from "../sandbox/apiserver/status.ts";
import type { KubeObject } from "../sandbox/store.ts";

const deployment = (): KubeObject => ({
  apiVersion: "apps/v1",
  kind: "Deployment",
  metadata: { name: "tools", finalizers: ["a", "b"], labels: { app: "tools" } },
  spec: {
    strategy: { type: "RollingUpdate", rollingUpdate: { maxSurge: "25%" } },
    template: {
      metadata: { labels: { app: "tools" } },
      spec: {
        containers: [
          {
            name: "shell",
            image: "busybox:1.36",
            env: [
              { name: "A", value: "1" },
              { name: "B", value: "2" },
            ],
            ports: [{ containerPort: 2379 }],
          },
          { name: "sidecar", image: "busybox:1.36" },
        ],
        tolerations: [{ key: "x", operator: "Exists" }],
      },
    },
  },
});

type Loose = Record<string, unknown>;
const templateSpec = (object: KubeObject) =>
  ((object.spec as Loose).template as Loose).spec as Loose;

describe("strategic merge patch", () => {
  it("merges containers and their env by name instead of replacing the lists", () => {
    const patched = applyStrategicMergePatch(
      deployment(),
      {
        spec: {
          template: {
            spec: {
              containers: [
                { name: "shell", image: "busybox:1.37", env: [{ name: "C", value: "3" }] },
              ],
            },
          },
        },
      },
      "Deployment",
    );
    const [shell, sidecar] = templateSpec(patched).containers as Loose[];
    expect(shell).toMatchObject({ image: "busybox:1.37", ports: [{ containerPort: 2379 }] });
    expect(shell?.env).toEqual([
      { name: "A", value: "1" },
      { name: "B", value: "2" },
      { name: "C", value: "3" },
    ]);
    expect(sidecar).toEqual({ name: "sidecar", image: "busybox:1.36" });
  });

  it("honours $patch: delete on a list element, $setElementOrder and null", () => {
    const patched = applyStrategicMergePatch(
      deployment(),
      {
        metadata: { labels: { app: null } },
        spec: {
          template: {
            spec: {
              "$setElementOrder/containers": [{ name: "sidecar" }, { name: "shell" }],
              containers: [
                {
                  name: "shell",
                  "$setElementOrder/env": [{ name: "B" }],
                  env: [{ name: "A", $patch: "delete" }],
                },
              ],
            },
          },
        },
      },
      "Deployment",
    );
    const containers = templateSpec(patched).containers as Loose[];
    expect(containers.map((c) => c.name)).toEqual(["sidecar", "shell"]);
    expect(containers[1]?.env).toEqual([{ name: "B", value: "2" }]);
    expect(patched.metadata.labels).toEqual({});
  });

  it("replaces lists without a merge key (tolerations) and maps marked $patch: replace", () => {
    const patched = applyStrategicMergePatch(
      deployment(),
      {
        spec: {
          template: {
            metadata: { labels: { fresh: "yes" }, $patch: "replace" },
            spec: { tolerations: [{ key: "y", operator: "Exists" }] },
          },
        },
      },
      "Deployment",
    );
    expect(((patched.spec as Loose).template as Loose).metadata).toEqual({
      labels: { fresh: "yes" },
    });
    expect(templateSpec(patched).tolerations).toEqual([{ key: "y", operator: "Exists" }]);
  });

  it("keeps only $retainKeys when the strategy type changes, and edits primitive lists", () => {
    const patched = applyStrategicMergePatch(
      deployment(),
      {
        metadata: { "$deleteFromPrimitiveList/finalizers": ["a"], finalizers: ["c"] },
        spec: { strategy: { $retainKeys: ["type"], type: "Recreate" } },
      },
      "Deployment",
    );
    expect((patched.spec as Loose).strategy).toEqual({ type: "Recreate" });
    expect(patched.metadata.finalizers).toEqual(["b", "c"]);
  });

  it("refuses an unknown $patch directive with a sentence naming it", () => {
    expect(() =>
      applyStrategicMergePatch(deployment(), { spec: { $patch: "merge-please" } }, "Deployment"),
    ).toThrow('strategic merge patch directive "$patch: merge-please" is not replace or delete');
  });
});

describe("JSON patch and merge patch", () => {
  it("applies RFC 6902 operations, with ~1 for a slash in a key", () => {
    const patched = applyJsonPatch(deployment(), [
      { op: "add", path: "/metadata/annotations", value: {} },
      { op: "add", path: "/metadata/annotations/kubectl.kubernetes.io~1restartedAt", value: "now" },
      { op: "add", path: "/metadata/finalizers/-", value: "z" },
      { op: "replace", path: "/spec/template/spec/containers/0/image", value: "busybox:1.37" },
      { op: "remove", path: "/spec/template/spec/containers/1" },
      { op: "copy", from: "/metadata/labels", path: "/spec/template/metadata/labels" },
      { op: "test", path: "/metadata/name", value: "tools" },
    ]);
    expect(patched.metadata.annotations).toEqual({ "kubectl.kubernetes.io/restartedAt": "now" });
    expect(patched.metadata.finalizers).toEqual(["a", "b", "z"]);
    expect((templateSpec(patched).containers as Loose[]).map((c) => c.image)).toEqual([
      "busybox:1.37",
    ]);
  });

  it("fails a test operation and a path that does not exist", () => {
    expect(() =>
      applyJsonPatch(deployment(), [{ op: "test", path: "/metadata/name", value: "other" }]),
    ).toThrow('json patch test operation failed at "/metadata/name"');
    expect(() =>
      applyJsonPatch(deployment(), [{ op: "remove", path: "/metadata/annotations/x" }]),
    ).toThrow(ApiError);
  });

  it("applies RFC 7386: null removes, lists are replaced whole", () => {
    const patched = applyMergePatch(deployment(), {
      metadata: { labels: null, finalizers: ["only"] },
    });
    expect(patched.metadata.labels).toBeUndefined();
    expect(patched.metadata.finalizers).toEqual(["only"]);
  });
});

const labelled = (labels: Record<string, string>): KubeObject => ({
  apiVersion: "v1",
  kind: "Pod",
  metadata: { name: "p", namespace: "uc1", labels },
  spec: { nodeName: "admin-node-1" },
  status: { phase: "Running" },
});

describe("selectors", () => {
  it("matches every label selector operator kubectl accepts", () => {
    const etcd = labelled({ component: "etcd", tier: "control-plane" });
    const cases: Array<[string, boolean]> = [
      ["component=etcd,tier=control-plane", true],
      ["component==etcd", true],
      ["component!=etcd", false],
      ["component in (etcd, kube-apiserver)", true],
      ["component notin (etcd)", false],
      ["tier", true],
      ["!tier", false],
      ["!missing,missing notin (x),missing!=y", true],
    ];
    for (const [selector, expected] of cases)
      expect([selector, parseLabelSelector(selector)(etcd)]).toEqual([selector, expected]);
  });

  it("matches field selectors and names the supported fields when one is not", () => {
    expect(
      parseFieldSelector("spec.nodeName=admin-node-1,status.phase!=Pending")(labelled({})),
    ).toBe(true);
    expect(parseFieldSelector("metadata.namespace==kube-system")(labelled({}))).toBe(false);
    expect(() => parseFieldSelector("spec.hostname=x")).toThrow(
      /field selector "spec.hostname=x" is not supported: use metadata.name, metadata.namespace, spec.nodeName, status.phase/,
    );
  });
});

describe("kubectl's pod STATUS", () => {
  const now = new Date("2026-01-01T12:00:00Z");
  const podWith = (
    status: Loose,
    extra: Partial<KubeObject["metadata"]> = {},
    spec: Loose = {},
  ): KubeObject => ({
    apiVersion: "v1",
    kind: "Pod",
    metadata: { name: "p", ...extra },
    spec: { containers: [{ name: "main" }], ...spec },
    status,
  });

  it("shows the init container's progress and failure", () => {
    const spec = { initContainers: [{ name: "init" }] };
    expect(
      podStatusCells(
        podWith(
          { phase: "Pending", initContainerStatuses: [{ name: "init", state: { running: {} } }] },
          {},
          spec,
        ),
        now,
      ).status,
    ).toBe("Init:0/1");
    expect(
      podStatusCells(
        podWith(
          {
            phase: "Pending",
            initContainerStatuses: [{ name: "init", state: { terminated: { exitCode: 2 } } }],
          },
          {},
          spec,
        ),
        now,
      ).status,
    ).toBe("Init:ExitCode:2");
  });

  it("shows Completed, ExitCode:N without a reason, and Terminating once a deletion is requested", () => {
    expect(
      podStatusCells(
        podWith({
          phase: "Succeeded",
          containerStatuses: [{ state: { terminated: { exitCode: 0, reason: "Completed" } } }],
        }),
        now,
      ).status,
    ).toBe("Completed");
    expect(
      podStatusCells(
        podWith({
          phase: "Running",
          containerStatuses: [{ state: { terminated: { exitCode: 1 } } }],
        }),
        now,
      ).status,
    ).toBe("ExitCode:1");
    const running = {
      phase: "Running",
      containerStatuses: [{ ready: true, state: { running: {} } }],
    };
    expect(podStatusCells(podWith(running), now)).toEqual({
      ready: "1/1",
      status: "Running",
      restarts: "0",
    });
    expect(
      podStatusCells(podWith(running, { deletionTimestamp: "2026-01-01T11:59:00Z" }), now).status,
    ).toBe("Terminating");
  });

  it("ages like kubectl: seconds, minutes and seconds, hours, days", () => {
    expect(
      [90, 300, 605, 7200, 14400 + 60 * 5, 8 * 3600, 3 * 86400 + 3600].map((s) =>
        humanDuration(s * 1000),
      ),
    ).toEqual(["90s", "5m", "10m", "120m", "4h5m", "8h", "3d1h"]);
  });
});
