/**
 * The control-plane nodes of a Controlplane V2 user cluster and their SSH key (issue 16),
 * read through two real HTTPS API servers: the user cluster's own (its Nodes) and the admin
 * cluster's (secret `<cluster>/ssh-keys`, field `ssh.key`), as the vendor keeps them.
 */
import { generateKeyPairSync } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ConfigurationError, errorMessage } from "../../src/core/errors.ts";
import { loadKubeconfig } from "../../src/core/kube/kubeconfig.ts";
import {
  controlPlaneNodesAccess,
  listControlPlaneNodes,
  readUserClusterSshKey,
  USER_SSH_PRIVATE_KEY_FIELD,
} from "../../src/core/ssh/control-plane-nodes.ts";
import type { KubeObject } from "../sandbox/store.ts";
import { namespace, node, startTestCluster, type TestCluster } from "../apiserver/harness.ts";

const SLOW_MACHINE_MS = 120_000;
const NODE_KEY = generateKeyPairSync("ed25519").privateKey.export({
  format: "pem",
  type: "pkcs8",
}) as string;

let userCluster: TestCluster | undefined;
let adminCluster: TestCluster | undefined;

function sshKeysSecret(cluster: string, data: Record<string, string>): KubeObject {
  return {
    apiVersion: "v1",
    kind: "Secret",
    metadata: { name: "ssh-keys", namespace: cluster },
    type: "Opaque",
    data,
  };
}

beforeAll(async () => {
  userCluster = await startTestCluster((store) => {
    store.create("namespaces", namespace("kube-system"));
    // Out of name order on purpose, with a worker and a control-plane node on the old label.
    store.create("nodes", node("uc3-cp-2", { controlPlane: true, internalIp: "10.20.0.12" }));
    store.create("nodes", node("uc3-worker-0", { internalIp: "10.20.0.30" }));
    store.create("nodes", node("uc3-cp-0", { controlPlane: true, internalIp: "10.20.0.10" }));
    const legacy = node("uc3-cp-1", { internalIp: "10.20.0.11", externalIp: "203.0.113.5" });
    (legacy.metadata.labels as Record<string, string>)["node-role.kubernetes.io/master"] = "";
    store.create("nodes", legacy);
  });
  adminCluster = await startTestCluster((store) => {
    for (const name of ["kube-system", "uc3", "uc4", "uc5"])
      store.create("namespaces", namespace(name));
    store.create(
      "secrets",
      sshKeysSecret("uc3", { "ssh.key": Buffer.from(NODE_KEY).toString("base64") }),
    );
    store.create("secrets", sshKeysSecret("uc4", { "other.key": "c3RhbGU=" }));
  });
}, SLOW_MACHINE_MS);

afterAll(async () => {
  await userCluster?.stop();
  await adminCluster?.stop();
}, SLOW_MACHINE_MS);

async function configs() {
  return {
    userConfig: await loadKubeconfig({ path: userCluster!.kubeconfigPath }),
    adminConfig: await loadKubeconfig({ path: adminCluster!.kubeconfigPath }),
  };
}

async function rejection(promise: Promise<unknown>): Promise<unknown> {
  try {
    await promise;
  } catch (error) {
    return error;
  }
  throw new Error("expected a rejection, got a result");
}

describe(
  "the control-plane nodes of a Controlplane V2 user cluster",
  { timeout: SLOW_MACHINE_MS },
  () => {
    it("lists every node with either control-plane role label, by name, with its InternalIP", async () => {
      const { userConfig } = await configs();
      expect(await listControlPlaneNodes(userConfig, "uc3")).toEqual([
        { name: "uc3-cp-0", address: "10.20.0.10" },
        { name: "uc3-cp-1", address: "10.20.0.11" },
        { name: "uc3-cp-2", address: "10.20.0.12" },
      ]);
    });

    it("reads the nodes' key from the admin cluster's <cluster>/ssh-keys secret, field ssh.key", async () => {
      const { userConfig, adminConfig } = await configs();
      const access = await controlPlaneNodesAccess({ cluster: "uc3", userConfig, adminConfig });
      expect(Buffer.from(access.privateKey).toString("utf8")).toBe(NODE_KEY);
      expect(access.keySource).toBe("secret uc3/ssh-keys");
      expect(access.nodes.map((entry) => entry.name)).toEqual(["uc3-cp-0", "uc3-cp-1", "uc3-cp-2"]);
    });

    it("uses a given key without reading the admin cluster", async () => {
      const { userConfig } = await configs();
      const access = await controlPlaneNodesAccess({
        cluster: "uc3",
        userConfig,
        privateKey: "given-key-material",
      });
      expect(access.privateKey).toBe("given-key-material");
      expect(access.keySource).toBe("given");
    });

    it("names the secret and the setting to use instead when the secret is missing", async () => {
      const { adminConfig } = await configs();
      const error = await rejection(readUserClusterSshKey(adminConfig, "uc5"));
      expect(error).toBeInstanceOf(ConfigurationError);
      expect((error as ConfigurationError).field).toBe(USER_SSH_PRIVATE_KEY_FIELD);
      expect(errorMessage(error)).toContain(
        "secret uc5/ssh-keys was not found in the admin cluster",
      );
      expect(errorMessage(error)).toContain("give that key here instead");
    });

    it("names the field when the secret holds no ssh.key, without showing what it holds", async () => {
      const { adminConfig } = await configs();
      const error = await rejection(readUserClusterSshKey(adminConfig, "uc4"));
      expect(error).toBeInstanceOf(ConfigurationError);
      expect(errorMessage(error)).toContain("secret uc4/ssh-keys has no field ssh.key");
      expect(errorMessage(error)).not.toContain("c3RhbGU=");
    });

    it("asks for the admin kubeconfig or the key when it has neither", async () => {
      const { userConfig } = await configs();
      const error = await rejection(controlPlaneNodesAccess({ cluster: "uc3", userConfig }));
      expect(error).toBeInstanceOf(ConfigurationError);
      expect(errorMessage(error)).toContain("secret uc3/ssh-keys of the admin cluster");
    });

    it("refuses a cluster with no control-plane node, saying how to check", async () => {
      const { userConfig } = await configs();
      const store = userCluster!.store;
      const saved = ["uc3-cp-0", "uc3-cp-1", "uc3-cp-2"].map((name) =>
        store.delete("nodes", undefined, name),
      );
      try {
        const error = await rejection(listControlPlaneNodes(userConfig, "uc3"));
        expect(errorMessage(error)).toContain(
          "user cluster uc3 has no node with the control-plane role (label node-role.kubernetes.io/control-plane or node-role.kubernetes.io/master)",
        );
      } finally {
        for (const object of saved) {
          delete object.metadata.resourceVersion;
          store.create("nodes", object);
        }
      }
    });

    it("says the API server refused the kubeconfig when its token is wrong", async () => {
      const { userConfig } = await configs();
      const user = userConfig.getCurrentUser();
      if (user) (user as { token?: string }).token = "not-the-token";
      const error = await rejection(listControlPlaneNodes(userConfig, "uc3"));
      expect(errorMessage(error)).toContain(
        "the API server refused to let this kubeconfig read the nodes of user cluster uc3 (HTTP 401)",
      );
    });

    it("names a control-plane node that reports no InternalIP", async () => {
      const { userConfig } = await configs();
      const store = userCluster!.store;
      const original = store.get("nodes", undefined, "uc3-cp-1")!;
      const withoutAddress = structuredClone(original);
      (withoutAddress.status as { addresses: unknown[] }).addresses = [
        { type: "Hostname", address: "uc3-cp-1" },
      ];
      store.update("nodes", withoutAddress);
      try {
        const error = await rejection(listControlPlaneNodes(userConfig, "uc3"));
        expect(errorMessage(error)).toContain(
          "control-plane node uc3-cp-1 of user cluster uc3 reports no InternalIP address",
        );
      } finally {
        const current = store.get("nodes", undefined, "uc3-cp-1")!;
        store.update("nodes", {
          ...original,
          metadata: { ...original.metadata, resourceVersion: current.metadata.resourceVersion },
        });
      }
    });
  },
);
