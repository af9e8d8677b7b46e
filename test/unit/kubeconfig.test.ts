import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { kubeconfigSecrets, loadKubeconfig } from "../../src/core/kube/kubeconfig.ts";

const TOKEN = "s3cr3t-token-value-0123456789";
const kubeconfig = (server: string, currentContext = "admin") => `apiVersion: v1
kind: Config
clusters:
- name: admin
  cluster:
    server: ${server}
users:
- name: admin
  user:
    token: ${TOKEN}
contexts:
- name: admin
  context: {cluster: admin, user: admin}
current-context: ${currentContext}
`;

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "kubeconfig-test-"));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe("loading the admin kubeconfig", () => {
  it("loads content and a path alike", async () => {
    const fromContent = await loadKubeconfig({ content: kubeconfig("https://10.0.0.1:443") });
    expect(fromContent.getCurrentCluster()?.server).toBe("https://10.0.0.1:443");
    const path = join(dir, "config");
    await writeFile(path, kubeconfig("https://10.0.0.2:443"));
    const fromPath = await loadKubeconfig({ path });
    expect(fromPath.getCurrentCluster()?.server).toBe("https://10.0.0.2:443");
  });

  it("names the input when the file cannot be read", async () => {
    await expect(loadKubeconfig({ path: join(dir, "missing") })).rejects.toThrow(
      /^kubeconfig: cannot read ".*missing" \(ENOENT\); expected a readable kubeconfig file\.$/,
    );
  });

  it("rejects empty content and content that is not a kubeconfig, without quoting it", async () => {
    await expect(loadKubeconfig({ content: "  " })).rejects.toThrow(
      /kubeconfigContent: the kubeconfig is empty/,
    );
    const error = await loadKubeconfig({ content: `token: ${TOKEN}\n: [` }).catch((e) => e);
    expect(String(error.message)).toMatch(
      /kubeconfigContent: the kubeconfig is not a valid kubeconfig/,
    );
    expect(String(error.message)).not.toContain(TOKEN);
  });

  it("rejects a missing current context and a plain-http server", async () => {
    await expect(
      loadKubeconfig({ content: kubeconfig("https://10.0.0.1", "nowhere") }),
    ).rejects.toThrow(/no current-context/);
    await expect(loadKubeconfig({ content: kubeconfig("http://10.0.0.1") })).rejects.toThrow(
      /expected an https:\/\/ URL/,
    );
  });

  it("lists the token among the secrets to mask", async () => {
    const config = await loadKubeconfig({ content: kubeconfig("https://10.0.0.1") });
    expect(kubeconfigSecrets(config)).toContain(TOKEN);
  });
});
