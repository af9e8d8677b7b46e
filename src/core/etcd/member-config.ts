/**
 * A member's etcd configuration as etcd itself would read it from its pod's command line:
 * `--flag=value` or `--flag value`, the `ETCD_*` environment variables for flags not given,
 * `$(POD_NAME)`-style references expanded as the kubelet expands them, and etcd's own
 * defaults for everything else. A restore needs exactly these values for every member
 * (`--name`, `--initial-cluster`, `--initial-cluster-token`, the member's own peer URLs and
 * its data dir): a member restored with any of them wrong gets another member or cluster ID
 * and never joins the others (etcd#9096).
 */

export interface EtcdMemberConfig {
  name: string;
  dataDir: string;
  /** `--initial-cluster` as given, e.g. `kube-etcd-0=https://kube-etcd-0.kube-etcd:2380,...`. */
  initialCluster: string;
  initialClusterMembers: { name: string; peerUrls: string[] }[];
  initialClusterToken: string;
  /** This member's own peer URLs (`--initial-advertise-peer-urls`). */
  peerUrls: string[];
  /**
   * `--quota-backend-bytes`; etcd's default (2 GiB) when not set or 0; undefined when
   * negative, which etcd reads as "no quota" (it never raises NOSPACE for size).
   */
  quotaBackendBytes: number | undefined;
}

/** etcd 3.4's defaults (`etcd --help`). */
export const ETCD_DEFAULTS = {
  name: "default",
  initialAdvertisePeerUrls: "http://localhost:2380",
  initialClusterToken: "etcd-cluster",
  quotaBackendBytes: 2 * 1024 * 1024 * 1024,
} as const;

/** An environment variable of a container: a value, or a field of its own pod. */
export interface ContainerEnvVar {
  name: string;
  value?: string;
  valueFrom?: { fieldRef?: { fieldPath?: string } };
}

export interface ContainerCommandLine {
  command?: string[];
  args?: string[];
  env?: ContainerEnvVar[];
}

/** The pod fields a `fieldRef` may name, for the member being read. */
export interface PodFields {
  name: string;
  namespace: string;
}

/**
 * Reads a member's configuration from its container (a StatefulSet's template read for
 * one member's pod name, or a static pod's manifest). Throws one sentence when the command
 * line does not run etcd.
 */
export function memberConfigFromContainer(
  container: ContainerCommandLine,
  pod: PodFields,
  where: string,
): EtcdMemberConfig {
  const env = resolveEnvironment(container.env ?? [], pod);
  const argv = [...(container.command ?? []), ...(container.args ?? [])].map((word) =>
    expandReferences(word, env),
  );
  const etcdArgs = etcdArguments(argv);
  if (!etcdArgs) {
    throw new Error(
      `${where} does not run etcd (its command is ${JSON.stringify(argv.slice(0, 3))}...); expected a container whose command or shell script starts etcd.`,
    );
  }
  const flags = parseFlags(etcdArgs);
  const read = (flag: string): string | undefined =>
    flags.get(flag) ?? env.get(`ETCD_${flag.toUpperCase().replace(/-/g, "_")}`);
  const name = read("name") ?? ETCD_DEFAULTS.name;
  const peerUrlText = read("initial-advertise-peer-urls") ?? ETCD_DEFAULTS.initialAdvertisePeerUrls;
  const initialCluster = read("initial-cluster") ?? `${name}=${peerUrlText}`;
  return {
    name,
    dataDir: read("data-dir") ?? `${name}.etcd`,
    initialCluster,
    initialClusterMembers: parseInitialCluster(initialCluster, where),
    initialClusterToken: read("initial-cluster-token") ?? ETCD_DEFAULTS.initialClusterToken,
    peerUrls: splitList(peerUrlText),
    quotaBackendBytes: quotaBackendBytes(read("quota-backend-bytes")),
  };
}

/** As etcd reads the flag: unset or 0 is its default, a negative value disables the quota. */
function quotaBackendBytes(text: string | undefined): number | undefined {
  const bytes = Number(text ?? 0);
  if (bytes < 0) return undefined;
  return bytes > 0 ? bytes : ETCD_DEFAULTS.quotaBackendBytes;
}

/** `a=https://a:2380,b=https://b:2380` (a member may list several URLs under one name). */
export function parseInitialCluster(
  text: string,
  where: string,
): { name: string; peerUrls: string[] }[] {
  const members = new Map<string, string[]>();
  for (const entry of splitList(text)) {
    const separator = entry.indexOf("=");
    if (separator <= 0 || separator === entry.length - 1) {
      throw new Error(
        `${where}: --initial-cluster entry "${entry}" is not name=peer-url; expected e.g. kube-etcd-0=https://kube-etcd-0.kube-etcd:2380.`,
      );
    }
    const name = entry.slice(0, separator);
    members.set(name, [...(members.get(name) ?? []), entry.slice(separator + 1)]);
  }
  return [...members].map(([name, peerUrls]) => ({ name, peerUrls }));
}

function splitList(text: string): string[] {
  return text
    .split(",")
    .map((item) => item.trim())
    .filter(Boolean);
}

/** The container's variables, each expanded against those before it, as the kubelet does. */
function resolveEnvironment(vars: ContainerEnvVar[], pod: PodFields): Map<string, string> {
  const env = new Map<string, string>();
  for (const variable of vars) {
    const field = variable.valueFrom?.fieldRef?.fieldPath;
    if (field === "metadata.name") env.set(variable.name, pod.name);
    else if (field === "metadata.namespace") env.set(variable.name, pod.namespace);
    else if (variable.value !== undefined)
      env.set(variable.name, expandReferences(variable.value, env));
  }
  return env;
}

/**
 * Kubernetes' `$(VAR)` expansion: a defined variable is replaced, `$$` is a literal `$`,
 * and a reference to an undefined variable stays as written.
 */
export function expandReferences(text: string, env: Map<string, string>): string {
  return text.replace(/\$\$|\$\(([A-Za-z_][A-Za-z0-9_]*)\)/g, (match, name?: string) => {
    if (match === "$$") return "$";
    return name !== undefined && env.has(name) ? env.get(name)! : match;
  });
}

/** The arguments after the `etcd` binary: in the argv itself, or inside a `sh -c` script. */
function etcdArguments(argv: string[]): string[] | undefined {
  const direct = argv.findIndex(isEtcdBinary);
  if (direct >= 0) return argv.slice(direct + 1);
  const script = argv.findIndex(
    (word, index) => word === "-c" && index > 0 && /sh$/.test(argv[0]!),
  );
  if (script >= 0 && argv[script + 1]) {
    const words = shellWords(argv[script + 1]!);
    const start = words.findIndex(isEtcdBinary);
    if (start >= 0) {
      const rest = words.slice(start + 1);
      const end = rest.findIndex((word) => [";", "&&", "||", "|", "&"].includes(word));
      return end >= 0 ? rest.slice(0, end) : rest;
    }
  }
  return undefined;
}

function isEtcdBinary(word: string): boolean {
  return word === "etcd" || word.endsWith("/etcd");
}

/** `--flag=value`, `--flag value` and `-flag` forms, as Go's flag package reads them. */
function parseFlags(args: string[]): Map<string, string> {
  const flags = new Map<string, string>();
  for (let index = 0; index < args.length; index++) {
    const word = args[index]!;
    const match = /^--?([a-z0-9-]+)(?:=(.*))?$/s.exec(word);
    if (!match) continue;
    const [, flag, value] = match;
    if (value !== undefined) flags.set(flag!, value);
    else if (args[index + 1] !== undefined && !args[index + 1]!.startsWith("-")) {
      flags.set(flag!, args[++index]!);
    } else flags.set(flag!, "true");
  }
  return flags;
}

/** Splits a shell command line into words, honouring single and double quotes. */
function shellWords(script: string): string[] {
  const words: string[] = [];
  let current = "";
  let quote: "'" | '"' | undefined;
  let inWord = false;
  for (const char of script) {
    if (quote) {
      if (char === quote) quote = undefined;
      else current += char;
    } else if (char === "'" || char === '"') {
      quote = char;
      inWord = true;
    } else if (/\s/.test(char)) {
      if (inWord) words.push(current);
      current = "";
      inWord = false;
    } else if (char === ";") {
      if (inWord) words.push(current);
      words.push(";");
      current = "";
      inWord = false;
    } else {
      current += char;
      inWord = true;
    }
  }
  if (inWord) words.push(current);
  return words;
}
