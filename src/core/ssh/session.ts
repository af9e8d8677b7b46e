/**
 * SSH sessions to the admin control-plane node, directly or through a jump host, on the
 * pure-JS `ssh2` client. Runbook section 4 step 4 (copy /etc/kubernetes/pki off the node),
 * without its `StrictHostKeyChecking=no`: every host key is checked against what the
 * operator pinned before any credential or command is sent.
 */
// ssh2 is CommonJS: Node's ESM loader sees only its default export.
import ssh2, { type Client, type ConnectConfig } from "ssh2";
import type { Duplex } from "node:stream";
import type { Logger } from "../log/logger.ts";
import { ConfigurationError } from "../errors.ts";
import { quoteValue } from "../redact.ts";
import { SshError } from "./errors.ts";
import {
  describeSeenHostKey,
  knownHostsLineFor,
  parseFingerprints,
  parseKnownHosts,
  preferredHostKeyAlgorithms,
  verifyHostKey,
  type HostKeyPins,
  type SeenHostKey,
  type SshEndpoint,
} from "./host-keys.ts";
import { loadPrivateKey, type SshPrivateKey } from "./keys.ts";
import {
  collectRemoteCommand,
  startRemoteCommand,
  type RemoteCommand,
  type RemoteCommandOptions,
} from "./command.ts";

export interface JumpHostOptions {
  user: string;
  host: string;
  port?: number;
  /** The jump host's own key (OpenSSH or PEM text, or its base64 form); kept in memory. */
  privateKey: string | Buffer;
  passphrase?: string;
}

export interface SshConnectOptions {
  host: string;
  port?: number;
  user: string;
  /** OpenSSH or PEM private key text, or its base64 form; kept in memory, never logged. */
  privateKey: string | Buffer;
  passphrase?: string;
  jumpHost?: JumpHostOptions;
  /** known_hosts lines and/or SHA256 fingerprints; they pin the node and the jump host. */
  hostKeys?: HostKeyPins;
  /** Accept a host key that nothing pins (the fingerprint is logged). Off unless asked. */
  acceptUnknownHostKey?: boolean;
  /** How long the TCP connect, handshake and authentication may take (default 20 s). */
  connectTimeoutMs?: number;
  /** Keep-alive interval, so a dead link is noticed during a long stream (default 15 s). */
  keepaliveIntervalMs?: number;
}

/** `user@host[:port]`, as the `jump-host` input takes it; IPv6 hosts in brackets. */
export function parseJumpHostSpec(spec: string): { user: string; host: string; port: number } {
  const match = /^([^@\s:]+)@(\[[0-9a-fA-F:.]+\]|[^@\s:[\]]+)(?::(\d{1,5}))?$/.exec(spec.trim());
  const port = match?.[3] ? Number(match[3]) : 22;
  if (!match || !match[1] || !match[2] || port < 1 || port > 65535) {
    throw new ConfigurationError(
      "jumpHost",
      `jump host ${quoteValue(spec)} is not of the form user@host[:port]; expected for example ubuntu@203.0.113.10 or ubuntu@jump.example.com:2222.`,
    );
  }
  return { user: match[1], host: match[2].replace(/^\[|\]$/g, ""), port };
}

function endpointLabel(endpoint: SshEndpoint): string {
  return endpoint.host.includes(":")
    ? `[${endpoint.host}]:${endpoint.port}`
    : `${endpoint.host}:${endpoint.port}`;
}

function validatePort(port: number, what: string): number {
  if (!Number.isInteger(port) || port < 1 || port > 65535) {
    throw new SshError(
      "bad-input",
      `${what} port ${port} is not a TCP port; expected a whole number from 1 to 65535.`,
    );
  }
  return port;
}

function validateHostAndUser(host: string, user: string, what: string): void {
  if (!host || /\s/.test(host)) {
    throw new SshError(
      "bad-input",
      `${what} address ${quoteValue(host)} is not a host name or IP address.`,
    );
  }
  if (!user || /[\s@:]/.test(user)) {
    throw new SshError(
      "bad-input",
      `${what} user ${quoteValue(user)} is not a user name; expected for example ubuntu.`,
    );
  }
}

interface HopOptions {
  endpoint: SshEndpoint;
  user: string;
  key: SshPrivateKey;
  passphrase?: string;
  /** The forwarded channel through the jump host, when this hop goes through one. */
  sock?: Duplex;
  /** How this hop is named in messages: "the node 10.0.0.2:22", "the jump host 10.0.1.2:22". */
  role: string;
  pins: HostKeyPins;
  acceptUnknownHostKey: boolean;
  connectTimeoutMs: number;
  keepaliveIntervalMs: number;
}

/** Where OpenSSH keeps the host key of this type, for the operator's check on the machine. */
function hostKeyFileFor(keyType: string): string {
  const name = keyType === "ssh-rsa" ? "rsa" : keyType.startsWith("ecdsa-") ? "ecdsa" : "ed25519";
  return `/etc/ssh/ssh_host_${name}_key.pub`;
}

/**
 * A host key nothing pins. It carries the fingerprint and known_hosts line to pin, so each
 * front door can say how under its own names (an input, a flag).
 */
export class UnpinnedHostKeyError extends SshError {
  constructor(
    message: string,
    readonly pin: { fingerprint: string; knownHostsLine: string },
  ) {
    super("host-key-unknown", message);
  }
}

function unknownHostKeyError(hop: HopOptions, seen: SeenHostKey): SshError {
  return new UnpinnedHostKeyError(
    `refusing to send anything to ${hop.role} ${endpointLabel(hop.endpoint)}: its host key ${seen.fingerprint} (${seen.type}) ` +
      `is not pinned. Check that fingerprint on the machine itself ("ssh-keygen -l -f ${hostKeyFileFor(seen.type)}"), ` +
      `then pin it: give the host key fingerprint ${seen.fingerprint} ` +
      `(or the known_hosts line "${knownHostsLineFor(hop.endpoint, seen)}"); ` +
      `only if you accept the risk, allow unknown host keys (the insecure option).`,
    { fingerprint: seen.fingerprint, knownHostsLine: knownHostsLineFor(hop.endpoint, seen) },
  );
}

function hostKeyError(hop: HopOptions, seen: SeenHostKey): SshError | undefined {
  const verdict = verifyHostKey(hop.endpoint, seen, hop.pins);
  switch (verdict.kind) {
    case "pinned":
      return undefined;
    case "revoked":
      return new SshError(
        "host-key-revoked",
        `host key ${seen.fingerprint} of ${hop.role} ${endpointLabel(hop.endpoint)} is marked @revoked in the known_hosts lines; refusing to connect.`,
      );
    case "mismatch":
      return new SshError(
        "host-key-mismatch",
        `host key mismatch for ${hop.role} ${endpointLabel(hop.endpoint)}: expected ${verdict.expected.join(" or ")}, got ${seen.fingerprint} (${seen.type}). ` +
          `Something else may be answering on that address; do not pin the new key until you have checked it on the machine itself.`,
      );
    case "unknown":
      return hop.acceptUnknownHostKey ? undefined : unknownHostKeyError(hop, seen);
  }
}

function connectionError(
  hop: HopOptions,
  error: Error & { code?: string; level?: string },
): SshError {
  const where = `${hop.role} ${endpointLabel(hop.endpoint)}`;
  const how = hop.sock ? " through the jump host" : "";
  switch (error.code) {
    case "ECONNREFUSED":
      return new SshError(
        "unreachable",
        `could not connect to ${where}${how}: connection refused; check that sshd runs there and that the address and port are right.`,
      );
    case "EHOSTUNREACH":
    case "ENETUNREACH":
      return new SshError(
        "unreachable",
        `could not connect to ${where}${how}: no route to that address; check the address, or reach it through a jump host.`,
      );
    case "ETIMEDOUT":
      return new SshError(
        "unreachable",
        `could not connect to ${where}${how}: the connection timed out.`,
      );
    case "ENOTFOUND":
    case "EAI_AGAIN":
      return new SshError(
        "unreachable",
        `could not connect to ${where}: the name ${hop.endpoint.host} does not resolve.`,
      );
  }
  if (error.level === "client-timeout") {
    return new SshError(
      "unreachable",
      `could not connect to ${where}${how}: no SSH handshake within ${Math.round(hop.connectTimeoutMs / 1000)} s; ` +
        `check that the address is reachable from here${hop.sock ? " (from the jump host)" : ", or use a jump host"}.`,
    );
  }
  if (error.level === "client-authentication") {
    return new SshError(
      "key-refused",
      `${where} refused key ${hop.key.publicFingerprint} (${hop.key.type}) for user ${hop.user}; ` +
        `check that its public key is in ~${hop.user}/.ssh/authorized_keys there and that the user is right.`,
    );
  }
  return new SshError(
    "handshake",
    `the SSH connection to ${where}${how} failed: ${error.message}.`,
  );
}

/** Opens one authenticated hop; host key checked before the key is offered. */
function openHop(
  hop: HopOptions,
  logger: Logger,
): Promise<{ client: Client; hostKey: SeenHostKey }> {
  return new Promise((resolve, reject) => {
    const client = new ssh2.Client();
    let seenHostKey: SeenHostKey | undefined;
    let refusal: SshError | undefined;
    let settled = false;
    const finish = (error?: SshError) => {
      if (settled) return;
      settled = true;
      if (error) {
        client.end();
        reject(error);
      } else resolve({ client, hostKey: seenHostKey! });
    };
    const preferred = preferredHostKeyAlgorithms(hop.endpoint, hop.pins);
    const config: ConnectConfig = {
      host: hop.endpoint.host,
      port: hop.endpoint.port,
      username: hop.user,
      privateKey: hop.key.material,
      readyTimeout: hop.connectTimeoutMs,
      keepaliveInterval: hop.keepaliveIntervalMs,
      keepaliveCountMax: 3,
      hostVerifier: (keyBlob: Buffer) => {
        seenHostKey = describeSeenHostKey(keyBlob);
        refusal = hostKeyError(hop, seenHostKey);
        return refusal === undefined;
      },
    };
    if (hop.passphrase) config.passphrase = hop.passphrase;
    if (hop.sock) config.sock = hop.sock;
    if (preferred.length > 0)
      config.algorithms = { serverHostKey: { prepend: preferred } as never };
    client.on("ready", () => {
      if (seenHostKey && verifyHostKey(hop.endpoint, seenHostKey, hop.pins).kind === "unknown") {
        logger.warning(
          `accepted the unpinned host key ${seenHostKey.fingerprint} of ${hop.role} ${endpointLabel(hop.endpoint)} ` +
            `because unknown host keys are accepted; pin it with the host key fingerprint ${seenHostKey.fingerprint}`,
        );
      }
      finish();
    });
    client.on("error", (error: Error & { code?: string; level?: string }) => {
      finish(refusal ?? connectionError(hop, error));
    });
    client.on("close", () =>
      finish(
        refusal ??
          new SshError(
            "handshake",
            `${hop.role} ${endpointLabel(hop.endpoint)} closed the connection before the SSH session was ready; check its sshd log (it may turn this client away: AllowUsers, MaxStartups, a firewall).`,
          ),
      ),
    );
    client.connect(config);
  });
}

/** "(SSH) Channel open failure: Connection refused" -> "connection refused". */
function forwardFailure(error: Error): string {
  const detail = error.message.replace(/^\(SSH\) /, "").replace(/^Channel open failure: /, "");
  return detail.charAt(0).toLowerCase() + detail.slice(1);
}

/**
 * Asks the jump host to open a TCP connection to the node (ssh -J does the same). The jump
 * host's own connect may wait minutes on an address that drops packets, so the connect
 * timeout bounds it too (the caller closes the jump session, which ends the attempt).
 */
function forwardThroughJump(
  jump: Client,
  jumpLabel: string,
  target: SshEndpoint,
  timeoutMs: number,
): Promise<Duplex> {
  return new Promise((resolve, reject) => {
    let settled = false;
    const timer = setTimeout(() => {
      settled = true;
      reject(
        new SshError(
          "unreachable",
          `the jump host ${jumpLabel} could not open a connection to ${endpointLabel(target)} within ${Math.round(timeoutMs / 1000)} s; ` +
            `check that the jump host can reach the node's address and port.`,
        ),
      );
    }, timeoutMs);
    jump.forwardOut("127.0.0.1", 0, target.host, target.port, (error, channel) => {
      clearTimeout(timer);
      if (settled) {
        channel?.destroy();
        return;
      }
      settled = true;
      if (error) {
        reject(
          new SshError(
            "jump-forward",
            `the jump host ${jumpLabel} could not open a connection to ${endpointLabel(target)}: ${forwardFailure(error)}; ` +
              `check the node's address and port, and that the jump host allows TCP forwarding.`,
          ),
        );
      } else resolve(channel);
    });
  });
}

/** An authenticated SSH session on the node. Close it when done. */
export class SshSession {
  /** "ubuntu@10.0.0.2:22" or "ubuntu@10.0.0.2:22 (through jump@10.0.1.2:22)". */
  readonly target: string;
  readonly host: string;
  readonly user: string;
  /** The node's host key fingerprint as verified: worth recording in a backup manifest. */
  readonly hostKeyFingerprint: string;
  readonly jumpHostKeyFingerprint: string | undefined;

  private readonly closed: Promise<void>;
  private closing = false;

  constructor(
    private readonly client: Client,
    private readonly jumpClient: Client | undefined,
    details: {
      target: string;
      host: string;
      user: string;
      hostKeyFingerprint: string;
      jumpHostKeyFingerprint?: string;
    },
  ) {
    this.target = details.target;
    this.host = details.host;
    this.user = details.user;
    this.hostKeyFingerprint = details.hostKeyFingerprint;
    this.jumpHostKeyFingerprint = details.jumpHostKeyFingerprint;
    const whenClosed = (connection: Client | undefined) =>
      connection
        ? new Promise<void>((resolve) => connection.once("close", () => resolve()))
        : Promise.resolve();
    this.closed = Promise.all([whenClosed(client), whenClosed(jumpClient)]).then(() => undefined);
  }

  /** Starts a command; its stdout streams with backpressure and errors unless it exits 0. */
  exec(command: string, options: RemoteCommandOptions = {}): RemoteCommand {
    return startRemoteCommand(
      {
        client: this.client,
        target: this.target,
        host: this.host,
        closedByCaller: () => this.closing,
      },
      command,
      options,
    );
  }

  /** Runs a short command and collects its output (refusing more than `limitBytes`). */
  async run(command: string, options: RemoteCommandOptions & { limitBytes?: number } = {}) {
    const describe = options.describe ?? `command "${command}"`;
    return collectRemoteCommand(
      this.exec(command, options),
      options.limitBytes ?? 16 * 1024 * 1024,
      describe,
    );
  }

  /** Ends the session (and the jump host's); resolves once both connections are closed. */
  close(): Promise<void> {
    this.closing = true;
    this.client.end();
    this.jumpClient?.end();
    return this.closed;
  }
}

/** Connects (through the jump host when given), checking every host key before anything is sent. */
export async function connectSsh(options: SshConnectOptions, logger: Logger): Promise<SshSession> {
  const endpoint = { host: options.host, port: validatePort(options.port ?? 22, "the node's SSH") };
  validateHostAndUser(options.host, options.user, "the node's SSH");
  const pins: HostKeyPins = {
    knownHosts: options.hostKeys?.knownHosts ?? [],
    fingerprints: parseFingerprints(options.hostKeys?.fingerprints ?? []),
  };
  parseKnownHosts(pins.knownHosts ?? []); // a malformed line is bad input: say so before connecting
  const nodeKey = loadPrivateKey(options.privateKey, "the SSH private key", options.passphrase);
  const common = {
    pins,
    acceptUnknownHostKey: options.acceptUnknownHostKey === true,
    connectTimeoutMs: options.connectTimeoutMs ?? 20_000,
    keepaliveIntervalMs: options.keepaliveIntervalMs ?? 15_000,
  };

  let jump: { client: Client; hostKey: SeenHostKey; label: string } | undefined;
  if (options.jumpHost) {
    const jumpEndpoint = {
      host: options.jumpHost.host,
      port: validatePort(options.jumpHost.port ?? 22, "the jump host's"),
    };
    validateHostAndUser(options.jumpHost.host, options.jumpHost.user, "the jump host's");
    const jumpKey = loadPrivateKey(
      options.jumpHost.privateKey,
      "the jump host's private key",
      options.jumpHost.passphrase,
    );
    const label = `${options.jumpHost.user}@${endpointLabel(jumpEndpoint)}`;
    logger.info(`connecting to jump host ${label} (key ${jumpKey.publicFingerprint})`);
    const hop = await openHop(
      {
        ...common,
        endpoint: jumpEndpoint,
        user: options.jumpHost.user,
        key: jumpKey,
        role: "the jump host",
      },
      logger,
    );
    logger.info(`jump host ${label} verified: host key ${hop.hostKey.fingerprint}`);
    jump = { ...hop, label };
  }

  const target = `${options.user}@${endpointLabel(endpoint)}${jump ? ` (through ${jump.label})` : ""}`;
  logger.info(`connecting to ${target} (key ${nodeKey.publicFingerprint})`);
  try {
    const sock = jump
      ? await forwardThroughJump(jump.client, jump.label, endpoint, common.connectTimeoutMs)
      : undefined;
    const hop = await openHop(
      {
        ...common,
        endpoint,
        user: options.user,
        key: nodeKey,
        role: "the node",
        ...(sock ? { sock } : {}),
      },
      logger,
    );
    logger.info(`connected to ${target}: host key ${hop.hostKey.fingerprint}`);
    // A dropped jump connection takes the node session with it.
    jump?.client.once("close", () => hop.client.end());
    return new SshSession(hop.client, jump?.client, {
      target,
      host: options.host,
      user: options.user,
      hostKeyFingerprint: hop.hostKey.fingerprint,
      ...(jump ? { jumpHostKeyFingerprint: jump.hostKey.fingerprint } : {}),
    });
  } catch (error) {
    jump?.client.end();
    throw error;
  }
}
