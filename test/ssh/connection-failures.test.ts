/**
 * Connection failures that need no sshd: a closed port, a port that accepts but never
 * speaks SSH, a port that hangs up at once. Loopback only.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { createServer, type Server, type Socket } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { recordingLogger } from "../../src/core/log/logger.ts";
import { connectSsh } from "../../src/core/ssh/index.ts";
import { failureOf, generateClientKey, secretFragments, type ClientKey } from "./fixtures.ts";

let dir: string;
let key: ClientKey;
const servers: Server[] = [];
const sockets: Socket[] = [];
const logger = recordingLogger();

function listen(onConnection: (socket: Socket) => void): Promise<number> {
  const server = createServer((socket) => {
    sockets.push(socket);
    onConnection(socket);
  });
  servers.push(server);
  return new Promise((resolve) =>
    server.listen(0, "127.0.0.1", () => resolve((server.address() as { port: number }).port)),
  );
}

async function closedPort(): Promise<number> {
  const port = await listen(() => undefined);
  await new Promise((resolve) => servers.pop()!.close(resolve));
  return port;
}

const attempt = (port: number) =>
  failureOf(() =>
    connectSsh(
      {
        host: "127.0.0.1",
        port,
        user: "ubuntu",
        privateKey: key.privateKey,
        connectTimeoutMs: 1_000,
      },
      logger,
    ),
  );

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), "ssh-fail-"));
  key = generateClientKey(dir, "client");
});

afterAll(async () => {
  for (const socket of sockets) socket.destroy();
  await Promise.all(servers.map((server) => new Promise((resolve) => server.close(resolve))));
  rmSync(dir, { recursive: true, force: true });
});

describe("connection failures", () => {
  it("names host and port when the connection is refused", async () => {
    const port = await closedPort();
    const error = await attempt(port);
    expect(error.reason).toBe("unreachable");
    expect(error.message).toBe(
      `could not connect to the node 127.0.0.1:${port}: connection refused; check that sshd runs there and that the address and port are right.`,
    );
  });

  it("gives up on a port that accepts but never speaks SSH", async () => {
    const port = await listen(() => undefined);
    const error = await attempt(port);
    expect(error.reason).toBe("unreachable");
    expect(error.message).toMatch(
      `could not connect to the node 127.0.0.1:${port}: no SSH handshake within 1 s`,
    );
  });

  it("says the node hung up when it closes the connection before the session is ready", async () => {
    const port = await listen((socket) => socket.end("SSH-2.0-OpenSSH_9.2\r\n"));
    const error = await attempt(port);
    expect(error.message).toBe(
      `the node 127.0.0.1:${port} closed the connection before the SSH session was ready; check its sshd log (it may turn this client away: AllowUsers, MaxStartups, a firewall).`,
    );
    expect(error.reason).toBe("handshake");
  });

  it("refuses bad input before connecting, in one sentence each", async () => {
    const base = { host: "127.0.0.1", user: "ubuntu", privateKey: key.privateKey };
    await expect(connectSsh({ ...base, port: 0 }, logger)).rejects.toThrow(
      "the node's SSH port 0 is not a TCP port; expected a whole number from 1 to 65535.",
    );
    await expect(connectSsh({ ...base, user: "ubuntu@node" }, logger)).rejects.toThrow(
      'the node\'s SSH user "ubuntu@node" is not a user name; expected for example ubuntu.',
    );
    await expect(
      connectSsh({ ...base, hostKeys: { knownHosts: ["not a line"] } }, logger),
    ).rejects.toThrow("SSH known_hosts line 1 is not a known_hosts entry");
    await expect(connectSsh({ ...base, privateKey: "" }, logger)).rejects.toThrow(
      "the SSH private key is not a private key",
    );
  });

  it("logs only the public fingerprint of the key it tries", () => {
    expect(logger.lines.some((line) => line.includes(key.publicFingerprint))).toBe(true);
    const text = logger.lines.join("\n");
    for (const fragment of secretFragments(key)) expect(text).not.toContain(fragment);
  });
});
