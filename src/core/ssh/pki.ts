/**
 * Runbook section 4 step 4, done safely: the node's PKI leaves as one `sudo -n tar` stream
 * over the SSH session. No chmod on the live keys, no copy on the node, no temporary file;
 * owners and modes travel in the archive. A `sudo -n find` listing of the same paths lets
 * the caller check the archive holds exactly the node's files.
 */
import { posix } from "node:path";
import type { Readable } from "node:stream";
import { ConfigurationError } from "../errors.ts";
import { quoteValue } from "../redact.ts";
import { RemoteCommandError } from "./errors.ts";
import type { RemoteCommandOutcome } from "./command.ts";
import type { SshSession } from "./session.ts";
import { shellCommand } from "./shell.ts";
import { sudoCommand, sudoRefusal } from "./sudo.ts";

/** The runbook's PKI folder; more may be listed (e.g. the secrets-encryption keys). */
export const DEFAULT_PKI_PATHS = ["/etc/kubernetes/pki"];
/** The user Anthos admin nodes are reached as. */
export const DEFAULT_SSH_USER = "ubuntu";

export interface NodePathsOptions {
  /** Absolute paths on the node, e.g. /etc/kubernetes/pki. */
  paths: string[];
  /** Run tar and find through `sudo -n` (the PKI is root-only). Default true. */
  sudo?: boolean;
}

export type NodeFileType = "file" | "directory" | "symlink" | "other";

/**
 * One file of the node's PKI: as `find` lists it on the node, as the tar archive holds it
 * (with the sha256 of its bytes) and, with its mode in octal digits, as the manifest records it.
 */
export interface NodeFileEntry {
  /** Absolute path on the node ("etc/kubernetes/pki/ca.key" in the tar -> "/etc/kubernetes/pki/ca.key"). */
  path: string;
  type: NodeFileType;
  /** Permission bits (e.g. 0o600), without the file type. */
  mode: number;
  uid: number;
  gid: number;
  /** Bytes for regular files; 0 for everything else (tar stores no size for them). */
  size: number;
  /** sha256 of a regular file's bytes, once read from the archive. */
  sha256?: string;
  linkTarget?: string;
}

/** The setting the node paths come from, in core's words. */
export const PATHS_FIELD = "paths";

function badPath(problem: string): ConfigurationError {
  return new ConfigurationError(PATHS_FIELD, problem);
}

/**
 * Checks the node paths: absolute, normalised, none inside another, and no part starting
 * with '-': tar is given the paths without their leading '/', so `/--remove-files` would
 * otherwise reach it as an option (`--` before the operands guards that too).
 */
export function validateNodePaths(paths: string[]): string[] {
  const cleaned = paths.map((path) => path.trim()).filter((path) => path !== "");
  if (cleaned.length === 0) {
    throw badPath(
      "no paths given; expected at least one absolute path on the node, such as /etc/kubernetes/pki.",
    );
  }
  const normalised = cleaned.map((path) => {
    if ([...path].some((char) => char.charCodeAt(0) < 0x20 || char.charCodeAt(0) === 0x7f)) {
      throw badPath(
        `path ${quoteValue(path)} contains a control character; expected a plain absolute path.`,
      );
    }
    if (!path.startsWith("/")) {
      throw badPath(
        `path ${quoteValue(path)} is not absolute; expected an absolute path on the node, such as /etc/kubernetes/pki.`,
      );
    }
    const parts = path.split("/");
    if (parts.includes("..")) {
      throw badPath(
        `path ${quoteValue(path)} contains ".."; expected a plain absolute path on the node.`,
      );
    }
    if (parts.some((part) => part.startsWith("-"))) {
      throw badPath(
        `path ${quoteValue(path)} has a part starting with '-', which tar and find would take as an option; expected a plain absolute path such as /etc/kubernetes/pki.`,
      );
    }
    const clean = posix.normalize(path).replace(/\/+$/, "");
    if (clean === "") {
      throw badPath(
        `path ${quoteValue(path)} is the node's whole file system; expected a folder such as /etc/kubernetes/pki.`,
      );
    }
    return clean;
  });
  const unique = [...new Set(normalised)];
  for (const inner of unique) {
    const outer = unique.find((other) => other !== inner && inner.startsWith(`${other}/`));
    if (outer) {
      throw badPath(
        `path ${inner} is inside ${outer}, which is listed too; list each folder once.`,
      );
    }
  }
  return unique;
}

/**
 * find's starting points. find has no "--" for them (it takes "--" as the end of its own
 * -H/-L/-P flags), but a starting point that begins with '/' is never read as an option
 * or an expression, and validateNodePaths allows only those.
 */
function findOperands(paths: string[]): string[] {
  return ["--", ...paths.map((path) => (path.startsWith("/") ? path : `/${path}`))];
}

function withSudo(argv: string[], sudo: boolean): string {
  return sudo ? sudoCommand(argv) : shellCommand(argv);
}

const MISSING_PATH_LINE = /^find: ['‘`"](.*)['’"]: No such file or directory$/gm;

function refusal(
  session: SshSession,
  outcome: RemoteCommandOutcome,
  paths: string[],
  sudo: boolean,
): Error | undefined {
  if (sudo) {
    const sudoError = sudoRefusal(outcome, {
      host: session.host,
      user: session.user,
      programs: ["tar", "find"],
    });
    if (sudoError) return sudoError;
  }
  const missing = [...outcome.stderr.matchAll(MISSING_PATH_LINE)]
    .map((match) => match[1])
    .filter((path): path is string => path !== undefined && paths.includes(path));
  if (missing.length > 0) {
    const list = missing.join(", ");
    return new RemoteCommandError(
      "path-missing",
      `${missing.length === 1 ? "path" : "paths"} ${list} ${missing.length === 1 ? "does" : "do"} not exist on ${session.host}; ` +
        `check the paths to back up (the PKI is normally in /etc/kubernetes/pki).`,
      outcome,
    );
  }
  return undefined;
}

/** Fails with one clear error when a path is missing or sudo refuses, before anything streams. */
export async function checkNodePathsExist(
  session: SshSession,
  options: NodePathsOptions,
): Promise<string[]> {
  return (await linkedFolders(session, options)).paths;
}

/**
 * Checks the paths exist and finds those that are a symbolic link to a folder (a node whose
 * /etc/kubernetes/pki links into /opt/data/...): the archive must hold that folder's files,
 * not the link, so the listing follows such a link (`find -H`) and tar is given `path/.`.
 */
async function linkedFolders(
  session: SshSession,
  options: NodePathsOptions,
): Promise<{ paths: string[]; linkedFolders: Set<string> }> {
  const paths = validateNodePaths(options.paths);
  const sudo = options.sudo ?? true;
  const { stdout } = await session.run(
    // %y is the path's own type (l for a link), %Y the type of what it points to.
    withSudo(["find", ...findOperands(paths), "-maxdepth", "0", "-printf", "%y%Y\\t%p\\0"], sudo),
    {
      describe: `the check that ${paths.join(", ")} exist`,
      interpretFailure: (outcome) => refusal(session, outcome, paths, sudo),
      limitBytes: 1024 * 1024,
    },
  );
  const linked = new Set<string>();
  for (const record of stdout.toString("utf8").split("\0")) {
    const [types, ...pathParts] = record.split("\t");
    if (types === "ld") linked.add(pathParts.join("\t"));
  }
  return { paths, linkedFolders: linked };
}

const FIND_TYPES: Record<string, NodeFileType> = { f: "file", d: "directory", l: "symlink" };

function parseListing(output: Buffer): NodeFileEntry[] {
  const fields = output.toString("utf8").split("\0");
  const entries: NodeFileEntry[] = [];
  // Records are "type\tmode\tuid\tgid\tsize\tpath" NUL "link target" NUL.
  for (let index = 0; index + 1 < fields.length; index += 2) {
    const record = fields[index]!;
    const linkTarget = fields[index + 1]!;
    const [type, mode, uid, gid, size, ...pathParts] = record.split("\t");
    const fileType = FIND_TYPES[type ?? ""] ?? "other";
    entries.push({
      path: pathParts.join("\t"),
      type: fileType,
      mode: parseInt(mode ?? "0", 8),
      uid: Number(uid),
      gid: Number(gid),
      size: fileType === "file" ? Number(size) : 0,
      ...(fileType === "symlink" ? { linkTarget } : {}),
    });
  }
  return entries.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
}

/** `sudo -n find <paths> -printf ...`: every file, folder and link under the paths, with owners and modes. */
export async function listNodeFiles(
  session: SshSession,
  options: NodePathsOptions,
): Promise<NodeFileEntry[]> {
  const paths = validateNodePaths(options.paths);
  const sudo = options.sudo ?? true;
  const { stdout } = await session.run(
    withSudo(
      // -H: a path that is itself a link to a folder is listed as that folder, as tar archives it.
      ["find", "-H", ...findOperands(paths), "-printf", "%y\\t%m\\t%U\\t%G\\t%s\\t%p\\0%l\\0"],
      sudo,
    ),
    {
      describe: `the listing of ${paths.join(", ")}`,
      interpretFailure: (outcome) => refusal(session, outcome, paths, sudo),
      limitBytes: 64 * 1024 * 1024,
    },
  );
  return parseListing(stdout);
}

/**
 * tar reads a linked folder through `path/.` (so it archives the folder's files, not the
 * link) and would name its entries `path/./...`; this sed expression names them `path/...`
 * again, as `find -H` lists them. `S`: link targets inside the folder are left as they are.
 */
function followedFolderName(relativePath: string): string {
  const pattern = relativePath.replace(/[\\.*[\]^$,]/g, (char) => `\\${char}`);
  const replacement = relativePath.replace(/[\\&,]/g, (char) => `\\${char}`);
  return `s,^${pattern}/\\.,${replacement},S`;
}

export interface PkiArchiveStream {
  /** The tar stream; errors (never ends cleanly) if tar fails or the connection drops. */
  archive: Readable;
  /** Resolves when tar exited 0 and every byte was delivered. */
  completed: Promise<void>;
  /** The remote command, for the log (no secrets in it). */
  command: string;
}

/**
 * Streams `sudo -n tar --create --numeric-owner --preserve-permissions -f - -C / <paths>`.
 * The paths are checked first, so a missing path or sudo wanting a password fails with one
 * clear error before a single byte of archive is produced.
 */
export async function streamPkiArchive(
  session: SshSession,
  options: NodePathsOptions,
): Promise<PkiArchiveStream> {
  const { paths, linkedFolders: linked } = await linkedFolders(session, options);
  const sudo = options.sudo ?? true;
  const relativePaths = paths.map((path) => path.replace(/^\/+/, ""));
  const command = withSudo(
    [
      "tar",
      "--create",
      "--numeric-owner",
      "--preserve-permissions",
      ...relativePaths
        .filter((path) => linked.has(`/${path}`))
        .map((path) => `--transform=${followedFolderName(path)}`),
      "-f",
      "-",
      "-C",
      "/",
      // Everything after "--" is a file name, never an option.
      "--",
      ...relativePaths.map((path) => (linked.has(`/${path}`) ? `${path}/.` : path)),
    ],
    sudo,
  );
  const remote = session.exec(command, {
    describe: `tar of ${paths.join(", ")}`,
    interpretFailure: (outcome) => refusal(session, outcome, paths, sudo),
  });
  const completed = remote.completed.then(() => undefined);
  completed.catch(() => undefined); // the archive stream carries the same error
  return { archive: remote.stdout, completed, command };
}
