/**
 * A real OpenSSH server for a sandbox node: `/usr/sbin/sshd -D -e` inside the node's network
 * namespace and inside its own mount, UTS and PID namespaces, where the node root is `/`
 * (so whatever a session writes lands in the node root, never on the host), with the host's
 * /usr and /sys borrowed read-only, its /dev, the host's /etc read through an overlay whose upper
 * layer is the node's /etc, and the node's own passwd/group/shadow/sudoers. Nothing on the
 * host changes, and when sshd (PID 1 of its namespace) ends, every session process and every
 * mount go with it.
 */
import { execFile, spawn, type ChildProcess } from "node:child_process";
import {
  chmodSync,
  chownSync,
  existsSync,
  lstatSync,
  mkdirSync,
  readFileSync,
  readlinkSync,
  rmSync,
  statSync,
  symlinkSync,
  writeFileSync,
} from "node:fs";
import { readdir, readlink } from "node:fs/promises";
import { basename, join } from "node:path";
import { promisify } from "node:util";
import {
  nodeGroup,
  nodeHosts,
  nodePasswd,
  nodeShadow,
  nodeSudoers,
  type NodeUser,
  type SudoPolicy,
} from "./node-etc.ts";

const run = promisify(execFile);

export interface SshHostUser {
  name: string;
  /** authorized_keys text written to <node root>/home/<name>/.ssh/authorized_keys (kept if omitted). */
  authorizedKeys?: string;
  sudo: SudoPolicy;
  /** Default 1000 + the user's position in the list, as on a cloud image. */
  uid?: number;
}

export interface SshHostOptions {
  /** Names the host: its hostname, its state folder <dir>/ssh/<id>, its messages. */
  id: string;
  /** The sandbox folder; this host keeps its keys and config in <dir>/ssh/<id>/. */
  dir: string;
  /** The node root: <nodeRoot>/etc/kubernetes appears as /etc/kubernetes, and so on. */
  nodeRoot: string;
  /** An existing network namespace (ip netns) the server listens in. */
  netns: string;
  address: string;
  port?: number;
  users: SshHostUser[];
  /** A jump host: TCP forwarding only, no shell, no TTY. */
  forwardingOnly?: boolean;
}

export interface SshHost {
  id: string;
  address: string;
  port: number;
  /** SHA256:... of the host key, as `ssh-keygen -l` prints it. */
  hostKeyFingerprint: string;
  /** A known_hosts line pinning this host at this address and port. */
  knownHostsLine: string;
  /** The pid of the process that holds the namespaces (unshare); sshd is its child. */
  pid: number;
  /** sshd's log so far (-e: everything it would send to syslog). */
  log(): string;
  /** Per-connection processes (sshd session children, their commands), by pid. */
  sessionPids(): Promise<number[]>;
  /** Kills every session (not the listener): the client sees its connection drop. */
  killSessions(): Promise<number>;
  stop(): Promise<void>;
}

const SSHD = "/usr/sbin/sshd";
/** The mount script's exit status when `sshd -t` rejects the configuration (EX_CONFIG). */
const CONFIG_REJECTED = 78;

function shellQuote(text: string): string {
  return `'${text.replace(/'/g, `'\\''`)}'`;
}

function stateDirFor(options: Pick<SshHostOptions, "dir" | "id">): string {
  return join(options.dir, "ssh", options.id);
}

/** Kills a host left by a killed run (by the pid it recorded, if that pid is still ours) and removes its folder. */
export async function cleanupStaleSshHost(
  options: Pick<SshHostOptions, "dir" | "id">,
): Promise<void> {
  const stateDir = stateDirFor(options);
  const pidFile = join(stateDir, "namespace.pid");
  if (existsSync(pidFile)) {
    const pid = Number(readFileSync(pidFile, "utf8"));
    const cmdline = await readlink(`/proc/${pid}/exe`).then(
      () => readFileSync(`/proc/${pid}/cmdline`, "utf8"),
      () => "",
    );
    if (pid > 1 && cmdline.includes(stateDir)) process.kill(pid, "SIGKILL");
  }
  rmSync(stateDir, { recursive: true, force: true });
}

/** The host's own system folders a session borrows (read-only): programs and libraries. */
const HOST_SYSTEM_ENTRIES = ["usr", "bin", "sbin", "lib", "lib32", "lib64", "libx32"];
/** Mount points for the kernel's and the session's own filesystems. */
const KERNEL_ENTRIES = ["dev", "proc", "sys", "run"];
/**
 * Where the state folder (config, host key) appears inside the node's view: under /run (a
 * tmpfs of the namespace), at a path that still names it, so sshd's command line does too.
 */
function stateInView(stateDir: string): string {
  return join("/run/sandbox-sshd", stateDir);
}

/**
 * The node root gets what a real node's root has before it becomes the session's `/`: mount
 * points for the host's system folders (or its merged-/usr symlinks), the kernel's
 * filesystems, and the usual writable folders, so that whatever a session writes lands in
 * the node root. Only empty folders and symlinks are made; nothing there is replaced.
 */
function prepareNodeRoot(nodeRoot: string): void {
  chmodSync(nodeRoot, 0o755);
  for (const entry of HOST_SYSTEM_ENTRIES) {
    const onHost = lstatSync(`/${entry}`, { throwIfNoEntry: false });
    const inNode = join(nodeRoot, entry);
    if (!onHost || lstatSync(inNode, { throwIfNoEntry: false })) continue;
    if (onHost.isSymbolicLink()) symlinkSync(readlinkSync(`/${entry}`), inNode);
    else mkdirSync(inNode, { mode: 0o755 });
  }
  const folders: [string, number][] = [
    ...KERNEL_ENTRIES.map((entry): [string, number] => [entry, 0o755]),
    ["etc", 0o755],
    ["home", 0o755],
    ["mnt", 0o755],
    ["opt", 0o755],
    ["root", 0o700],
    ["tmp", 0o1777],
    ["var", 0o755],
    ["var/lib", 0o755],
    ["var/log", 0o755],
    ["var/tmp", 0o1777],
  ];
  for (const [folder, mode] of folders) {
    const path = join(nodeRoot, folder);
    if (existsSync(path)) continue;
    mkdirSync(path);
    chmodSync(path, mode);
  }
  // As on Debian: /var/run is /run.
  if (!lstatSync(join(nodeRoot, "var/run"), { throwIfNoEntry: false }))
    symlinkSync("/run", join(nodeRoot, "var/run"));
}

/**
 * The mount script run as PID 1 of the new namespaces. The node root becomes the session's
 * `/` (pivot_root), so every write of a session (staging folders, journals, manifests moved
 * aside, /root, /tmp) lands in the node root, never on the host. From the host it borrows
 * only what sshd and sudo need: /usr and its merged-/usr links and /sys read-only, /dev, and
 * /etc as the lower layer of an overlay whose upper layer is the node's own /etc (so reading
 * /etc/ssh/moduli or /etc/pam.d works, and writing any /etc file writes the node's copy).
 * /etc/kubernetes, the account files and /etc/hosts are bound over that as the node's own.
 */
function mountScript(plan: {
  stateDir: string;
  nodeRoot: string;
  binds: { source: string; target: string }[];
  hostname: string;
  configPath: string;
}): string {
  const root = plan.nodeRoot;
  const at = (path: string) => shellQuote(join(root, path));
  const etcWork = join(plan.stateDir, "etc-overlay-work");
  mkdirSync(etcWork, { recursive: true });
  // A bind from inside the node's /etc (its /etc/kubernetes) is taken before the overlay
  // covers /etc: a plain view of the folder, which the kubelet and the tests change from
  // outside, never an overlay's (whose caches may not see such changes).
  const staged = plan.binds.map((bind, index) =>
    bind.source.startsWith(`${join(root, "etc")}/`)
      ? { ...bind, stage: join(plan.stateDir, "staged", String(index)) }
      : bind,
  );
  const lines = ["set -eu"];
  for (const bind of staged) {
    if (!("stage" in bind)) continue;
    mkdirSync(bind.stage, { recursive: true });
    lines.push(`mount --bind ${shellQuote(bind.source)} ${shellQuote(bind.stage)}`);
  }
  lines.push(
    // The overlay first: its upper and work folders must be reached through the same mount.
    `mount -t overlay sandbox-node-etc -o ${shellQuote(`lowerdir=/etc,upperdir=${join(root, "etc")},workdir=${etcWork}`)} ${at("etc")}`,
    // Then the node root becomes a mount of its own (pivot_root needs one), overlay included.
    `mount --rbind ${shellQuote(root)} ${shellQuote(root)}`,
  );
  for (const entry of HOST_SYSTEM_ENTRIES) {
    const onHost = lstatSync(`/${entry}`, { throwIfNoEntry: false });
    if (!onHost?.isDirectory()) continue;
    lines.push(`mount --rbind /${entry} ${at(entry)}`, `mount -o remount,bind,ro ${at(entry)}`);
  }
  lines.push(
    `mount --rbind /dev ${at("dev")}`,
    `mount --rbind /sys ${at("sys")}`,
    `mount -o remount,bind,ro ${at("sys")}`,
    `mount -t tmpfs -o mode=0755,size=16m sshd-run ${at("run")}`,
    `mkdir -m 0755 ${at("run/sshd")}`,
    `mkdir -p ${at(stateInView(plan.stateDir))}`,
    `mount --bind ${shellQuote(plan.stateDir)} ${at(stateInView(plan.stateDir))}`,
  );
  for (const bind of staged) {
    const source = "stage" in bind ? bind.stage : bind.source;
    lines.push(`mount --bind ${shellQuote(source)} ${at(bind.target)}`);
  }
  // pivot_root, the old root parked in the namespace's /run, then detached: nothing of the
  // host's tree stays in view (umount reads /proc, so proc comes first).
  lines.push(
    `mkdir ${at("run/old-root")}`,
    `cd ${shellQuote(root)}`,
    "pivot_root . run/old-root",
    "cd /",
    "mount -t proc proc /proc",
    "umount -l /run/old-root",
    "rmdir /run/old-root",
    `hostname ${shellQuote(plan.hostname)}`,
    `${SSHD} -t -f ${shellQuote(plan.configPath)} || exit ${CONFIG_REJECTED}`,
    `exec ${SSHD} -D -e -f ${shellQuote(plan.configPath)}`,
  );
  return lines.join("\n");
}

function sshdConfig(options: {
  address: string;
  port: number;
  hostKeyPath: string;
  users: NodeUser[];
  forwardingOnly: boolean;
}): string {
  const listen = options.address.includes(":")
    ? `[${options.address}]:${options.port}`
    : `${options.address}:${options.port}`;
  const common = [
    `ListenAddress ${listen}`,
    `HostKey ${options.hostKeyPath}`,
    "PidFile none",
    "UsePAM no",
    "PermitRootLogin no",
    "PubkeyAuthentication yes",
    "PasswordAuthentication no",
    "KbdInteractiveAuthentication no",
    "AuthenticationMethods publickey",
    "AuthorizedKeysFile .ssh/authorized_keys",
    "StrictModes yes",
    "UseDNS no",
    `AllowUsers ${options.users.map((user) => user.name).join(" ")}`,
    "X11Forwarding no",
    "AllowAgentForwarding no",
    "PermitTunnel no",
    "PermitUserEnvironment no",
    "LoginGraceTime 30",
    "LogLevel VERBOSE",
  ];
  const role = options.forwardingOnly
    ? [
        "AllowTcpForwarding local",
        "PermitTTY no",
        "ForceCommand echo 'this is a jump host: it forwards SSH connections and runs no commands' >&2; exit 1",
      ]
    : ["AllowTcpForwarding no", "Subsystem sftp internal-sftp"];
  return `${[...common, ...role].join("\n")}\n`;
}

/** Prepares <node root>/home/<user>/.ssh as sshd's StrictModes wants it. */
function prepareHome(nodeRoot: string, user: NodeUser, authorizedKeys: string | undefined): void {
  const homes = join(nodeRoot, "home");
  if (!existsSync(homes)) mkdirSync(homes, { mode: 0o755 });
  // /home as on any machine: the user must pass through it to reach its own home.
  chmodSync(homes, 0o755);
  const home = join(homes, user.name);
  const sshDir = join(home, ".ssh");
  mkdirSync(sshDir, { recursive: true });
  const keysFile = join(sshDir, "authorized_keys");
  if (authorizedKeys !== undefined)
    writeFileSync(keysFile, authorizedKeys.endsWith("\n") ? authorizedKeys : `${authorizedKeys}\n`);
  if (!existsSync(keysFile)) {
    throw new Error(
      `user ${user.name} has no authorized_keys: give users[].authorizedKeys or write ${keysFile}.`,
    );
  }
  chmodSync(home, 0o755);
  chmodSync(sshDir, 0o700);
  chmodSync(keysFile, 0o600);
  for (const path of [home, sshDir, keysFile]) chownSync(path, user.uid, user.gid);
}

async function hostKey(
  stateDir: string,
  id: string,
): Promise<{ path: string; fingerprint: string; publicLine: string }> {
  const path = join(stateDir, "ssh_host_ed25519_key");
  await run("ssh-keygen", [
    "-q",
    "-t",
    "ed25519",
    "-N",
    "",
    "-C",
    `${id} sandbox host key`,
    "-f",
    path,
  ]);
  const { stdout } = await run("ssh-keygen", ["-l", "-E", "sha256", "-f", `${path}.pub`]);
  const fingerprint = stdout.split(" ")[1];
  if (!fingerprint?.startsWith("SHA256:"))
    throw new Error(`ssh-keygen printed no SHA256 fingerprint for ${path}.pub: ${stdout}`);
  return { path, fingerprint, publicLine: readFileSync(`${path}.pub`, "utf8").trim() };
}

async function childrenOf(pid: number): Promise<number[]> {
  const text = readFileSync(`/proc/${pid}/task/${pid}/children`, "utf8");
  return text
    .trim()
    .split(/\s+/)
    .filter((field) => field !== "")
    .map(Number);
}

function waitForListening(
  child: ChildProcess,
  pattern: string,
  log: () => string,
  id: string,
  configPath: string,
): Promise<void> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      cleanup();
      reject(new Error(`sshd for ${id} did not start listening within 10 s; its log:\n${log()}`));
    }, 10_000);
    const onData = () => {
      if (log().includes(pattern)) {
        cleanup();
        resolve();
      }
    };
    const onExit = (code: number | null, signal: string | null) => {
      cleanup();
      const why =
        code === CONFIG_REJECTED
          ? `sshd for ${id} rejected its configuration ${configPath} (sshd -t)`
          : `sshd for ${id} did not start (exit ${code ?? signal})`;
      reject(new Error(`${why}; its log:\n${log()}`));
    };
    const cleanup = () => {
      clearTimeout(timer);
      child.stderr?.off("data", onData);
      child.off("exit", onExit);
    };
    child.stderr?.on("data", onData);
    child.once("exit", onExit);
  });
}

export async function startSshHost(options: SshHostOptions): Promise<SshHost> {
  const port = options.port ?? 22;
  if (!existsSync(`/run/netns/${options.netns}`)) {
    throw new Error(
      `network namespace ${options.netns} does not exist; create it first (ip netns add ${options.netns}).`,
    );
  }
  if (!statSync(options.nodeRoot, { throwIfNoEntry: false })?.isDirectory()) {
    throw new Error(
      `node root ${options.nodeRoot} is not a folder; expected the node's root folder, e.g. <dir>/nodes/admin-master.`,
    );
  }
  if (options.users.length === 0)
    throw new Error(`ssh host ${options.id} needs at least one user.`);
  await cleanupStaleSshHost(options);
  const stateDir = stateDirFor(options);
  mkdirSync(stateDir, { recursive: true, mode: 0o700 });

  const users: NodeUser[] = options.users.map((user, index) => ({
    name: user.name,
    uid: user.uid ?? 1000 + index,
    gid: user.uid ?? 1000 + index,
    home: `/home/${user.name}`,
    shell: "/bin/bash",
    sudo: user.sudo,
  }));
  users.forEach((user, index) =>
    prepareHome(options.nodeRoot, user, options.users[index]!.authorizedKeys),
  );

  const etcDir = join(stateDir, "etc");
  mkdirSync(join(etcDir, "sudoers.d"), { recursive: true, mode: 0o755 });
  const passwd = nodePasswd(users);
  const shadowGid = Number(/^shadow:x:(\d+):/m.exec(readFileSync("/etc/group", "utf8"))?.[1] ?? 0);
  const accountFiles: [string, string, number, number][] = [
    ["passwd", passwd, 0o644, 0],
    ["group", nodeGroup(users), 0o644, 0],
    ["shadow", nodeShadow(passwd), 0o640, shadowGid],
    ["sudoers", nodeSudoers(users), 0o440, 0],
    ["hosts", nodeHosts(options.id, options.address), 0o644, 0],
  ];
  for (const [name, content, mode, gid] of accountFiles) {
    writeFileSync(join(etcDir, name), content, { mode });
    chmodSync(join(etcDir, name), mode);
    chownSync(join(etcDir, name), 0, gid);
  }

  const key = await hostKey(stateDir, options.id);
  const configPath = join(stateDir, "sshd_config");
  writeFileSync(
    configPath,
    sshdConfig({
      address: options.address,
      port,
      hostKeyPath: join(stateInView(stateDir), basename(key.path)),
      users,
      forwardingOnly: options.forwardingOnly === true,
    }),
  );

  prepareNodeRoot(options.nodeRoot);
  const binds = [
    ...(existsSync(join(options.nodeRoot, "etc/kubernetes"))
      ? [{ source: join(options.nodeRoot, "etc/kubernetes"), target: "etc/kubernetes" }]
      : []),
    ...accountFiles.map(([name]) => ({ source: join(etcDir, name), target: `etc/${name}` })),
    { source: join(etcDir, "sudoers.d"), target: "etc/sudoers.d" },
  ];
  const script = mountScript({
    stateDir,
    nodeRoot: options.nodeRoot,
    binds,
    hostname: options.id,
    configPath: join(stateInView(stateDir), "sshd_config"),
  });

  // setpriv --pdeathsig: if the test process itself is killed, the host dies with it.
  // setpriv execs nsenter, which joins the node's network namespace and execs unshare;
  // unshare forks the namespace's PID 1 (the script, then sshd) and takes it down with it.
  const child = spawn(
    "setpriv",
    [
      "--pdeathsig",
      "KILL",
      "nsenter",
      `--net=/run/netns/${options.netns}`,
      "unshare",
      "--mount",
      "--uts",
      "--pid",
      "--fork",
      "--kill-child",
      "--mount-proc",
      "--propagation",
      "private",
      "/bin/sh",
      "-c",
      script,
      `sshd-${stateDir}`,
    ],
    { stdio: ["ignore", "pipe", "pipe"] },
  );
  const logChunks: string[] = [];
  const log = () => logChunks.join("");
  child.stdout.on("data", (chunk: Buffer) => logChunks.push(chunk.toString("utf8")));
  child.stderr.on("data", (chunk: Buffer) => logChunks.push(chunk.toString("utf8")));
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  const pid = child.pid;
  if (pid === undefined) throw new Error(`could not start nsenter for ssh host ${options.id}.`);
  writeFileSync(join(stateDir, "namespace.pid"), String(pid));

  let stopped = false;
  const stop = async () => {
    if (stopped) return exited;
    stopped = true;
    if (child.exitCode === null && child.signalCode === null) {
      // SIGTERM to sshd (the namespace's PID 1) ends it and so every session with it.
      const sshdPid = (await childrenOf(pid).catch(() => []))[0];
      if (sshdPid) process.kill(sshdPid, "SIGTERM");
      const late = setTimeout(() => child.kill("SIGKILL"), 3_000);
      await exited;
      clearTimeout(late);
    }
    rmSync(stateDir, { recursive: true, force: true });
  };

  try {
    await waitForListening(
      child,
      `Server listening on ${options.address} port ${port}.`,
      log,
      options.id,
      configPath,
    );
  } catch (error) {
    await stop();
    throw error;
  }

  const sessionPids = async (): Promise<number[]> => {
    const sshdPid = (await childrenOf(pid).catch(() => []))[0];
    if (!sshdPid) return [];
    const namespace = await readlink(`/proc/${sshdPid}/ns/pid`).catch(() => "");
    const pids: number[] = [];
    for (const entry of await readdir("/proc")) {
      const candidate = Number(entry);
      if (!Number.isInteger(candidate) || candidate === sshdPid) continue;
      if ((await readlink(`/proc/${candidate}/ns/pid`).catch(() => "")) === namespace)
        pids.push(candidate);
    }
    return pids;
  };

  const hostName = port === 22 ? options.address : `[${options.address}]:${port}`;
  const [keyType, keyBase64] = key.publicLine.split(" ");
  return {
    id: options.id,
    address: options.address,
    port,
    hostKeyFingerprint: key.fingerprint,
    knownHostsLine: `${hostName} ${keyType} ${keyBase64}`,
    pid,
    log,
    sessionPids,
    killSessions: async () => {
      const pids = await sessionPids();
      for (const sessionPid of pids) {
        try {
          process.kill(sessionPid, "SIGKILL");
        } catch {
          // already gone: a session that ended on its own is what we wanted anyway
        }
      }
      return pids.length;
    },
    stop,
  };
}
