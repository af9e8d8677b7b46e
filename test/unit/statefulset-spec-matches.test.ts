/**
 * A create of the saved kube-etcd that finds one already there (409) takes it as done only
 * when it is the saved one: every field the saved spec sets, the same live.
 */
import { describe, expect, it } from "vitest";
import { specMatches } from "../../src/core/kube/statefulset-recreate.ts";

const saved = {
  replicas: 3,
  podManagementPolicy: "OrderedReady",
  selector: { matchLabels: { component: "kube-etcd" } },
  template: {
    spec: { containers: [{ name: "kube-etcd", image: "etcd:3.4", args: ["--name=$(POD_NAME)"] }] },
  },
};

describe("specMatches", () => {
  it("accepts the saved spec with fields the API server defaulted", () => {
    const live = structuredClone(saved) as Record<string, unknown>;
    live.revisionHistoryLimit = 10;
    live.updateStrategy = { type: "RollingUpdate" };
    expect(specMatches(saved, live)).toBe(true);
  });

  it("refuses another image, another replica count, another policy, or a container more", () => {
    const image = structuredClone(saved);
    image.template.spec.containers[0]!.image = "etcd:3.5";
    expect(specMatches(saved, image)).toBe(false);
    expect(specMatches(saved, { ...saved, replicas: 1 })).toBe(false);
    expect(specMatches(saved, { ...saved, podManagementPolicy: "Parallel" })).toBe(false);
    const more = structuredClone(saved);
    more.template.spec.containers.push({ name: "sidecar", image: "x", args: [] });
    expect(specMatches(saved, more)).toBe(false);
  });

  it("refuses a live spec that lacks a field the saved one sets", () => {
    const { selector: _selector, ...withoutSelector } = saved;
    expect(specMatches(saved, withoutSelector)).toBe(false);
    expect(specMatches(saved, null)).toBe(false);
  });
});
