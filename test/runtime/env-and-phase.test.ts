import { describe, expect, it } from "vitest";

import type { ContainerStatus } from "../sandbox/runtime/container.ts";
import { containerArgv, containerEnvironment, expandReferences } from "../sandbox/runtime/env.ts";
import { findImageRule } from "../sandbox/runtime/images.ts";
import { podPhase } from "../sandbox/runtime/pod-status.ts";

const podFields = {
  name: "kube-etcd-1",
  namespace: "uc1",
  uid: "u-1",
  podIP: "10.213.9.11",
  hostIP: "10.213.9.3",
  nodeName: "admin-node-1",
};

describe("container environment", () => {
  it("expands $(VAR) from earlier variables, keeps unknown references and unescapes $$", () => {
    expect(expandReferences("$(A)-$(B)-$$(A)-$(MISSING)", { A: "a", B: "b" })).toBe(
      "a-b-$(A)-$(MISSING)",
    );
  });

  it("resolves fieldRefs and expands command and args with them, as the kubelet does", () => {
    const container = {
      name: "kube-etcd",
      image: "gcr.io/gke-on-prem-release/etcd:v3.4.13-0-gke.0",
      command: ["/usr/bin/etcd"],
      args: ["--name=$(POD_NAME)", "--listen-peer-urls=https://$(POD_IP):2380"],
      env: [
        { name: "POD_NAME", valueFrom: { fieldRef: { fieldPath: "metadata.name" } } },
        { name: "POD_IP", valueFrom: { fieldRef: { fieldPath: "status.podIP" } } },
        { name: "PEER", value: "https://$(POD_NAME).kube-etcd:2380" },
      ],
    };
    const environment = containerEnvironment(container, podFields, "kube-etcd-1");
    expect(environment).toMatchObject({
      HOSTNAME: "kube-etcd-1",
      POD_NAME: "kube-etcd-1",
      POD_IP: "10.213.9.11",
      PEER: "https://kube-etcd-1.kube-etcd:2380",
    });
    expect(containerArgv(container, undefined, environment)).toEqual([
      "/usr/bin/etcd",
      "--name=kube-etcd-1",
      "--listen-peer-urls=https://10.213.9.11:2380",
    ]);
  });

  it("falls back to the image's command when the container sets none", () => {
    const container = { name: "etcd", image: "x", args: ["--data-dir=/var/lib/etcd"] };
    expect(containerArgv(container, ["/usr/bin/etcd"], {})).toEqual([
      "/usr/bin/etcd",
      "--data-dir=/var/lib/etcd",
    ]);
  });

  it("names an unsupported fieldRef and the supported ones", () => {
    const container = {
      name: "app",
      image: "x",
      env: [{ name: "LIMIT", valueFrom: { fieldRef: { fieldPath: "metadata.labels['app']" } } }],
    };
    expect(() => containerEnvironment(container, podFields, "app")).toThrow(
      /env fieldRef "metadata.labels\['app'\]" is not supported by the sandbox: expected one of metadata.name, /,
    );
  });
});

describe("image policy", () => {
  it("matches image patterns with * and nothing else", () => {
    const policy = [{ pattern: "gcr.io/gke-on-prem-release/etcd:*", command: ["/usr/bin/etcd"] }];
    expect(
      findImageRule(policy, "gcr.io/gke-on-prem-release/etcd:v3.4.13-0-gke.0")?.command,
    ).toEqual(["/usr/bin/etcd"]);
    expect(findImageRule(policy, "gcr.io/gke-on-prem-release/etcd-util:1.32")).toBeUndefined();
    expect(findImageRule(policy, "gcrXio/gke-on-prem-release/etcd:v3")).toBeUndefined();
  });
});

describe("pod phase", () => {
  const container = (
    state: ContainerStatus["state"],
    lastState: ContainerStatus["lastState"] = {},
  ): ContainerStatus => ({
    name: "c",
    image: "i",
    imageID: "",
    started: false,
    ready: false,
    restartCount: 0,
    state,
    lastState,
  });
  const crashed = {
    exitCode: 1,
    reason: "Error",
    startedAt: "t",
    finishedAt: "t",
    containerID: "c",
  };

  it("is Pending while a container has never run, Running once all have started", () => {
    expect(podPhase([container({ waiting: { reason: "ContainerCreating" } })], "Always")).toBe(
      "Pending",
    );
    expect(
      podPhase(
        [
          container({ running: { startedAt: "t" } }),
          container({ waiting: { reason: "ImagePullBackOff" } }),
        ],
        "Always",
      ),
    ).toBe("Pending");
    expect(podPhase([container({ running: { startedAt: "t" } })], "Always")).toBe("Running");
  });

  it("stays Running while a crashed container waits to restart, as kubectl shows CrashLoopBackOff", () => {
    expect(
      podPhase(
        [container({ waiting: { reason: "CrashLoopBackOff" } }, { terminated: crashed })],
        "Always",
      ),
    ).toBe("Running");
  });

  it("ends Succeeded or Failed when containers that are not restarted have exited", () => {
    const completed = { ...crashed, exitCode: 0, reason: "Completed" };
    expect(podPhase([container({ terminated: completed })], "Never")).toBe("Succeeded");
    expect(podPhase([container({ terminated: crashed })], "Never")).toBe("Failed");
    expect(podPhase([container({ terminated: completed })], "OnFailure")).toBe("Succeeded");
  });
});
