/**
 * A container's environment as the kubelet builds it: the defaults an image would set,
 * then `env` in order, each value expanded with `$(VAR)` from the variables before it
 * (`$$(VAR)` stays literal), `valueFrom.fieldRef` resolved from the pod. The same expansion
 * applies to `command` and `args`.
 */
import type { Container, EnvVar } from "./pod-spec.ts";

export interface PodFields {
  name: string;
  namespace: string;
  uid: string;
  podIP: string;
  hostIP: string;
  nodeName: string;
  serviceAccountName?: string;
}

const DEFAULT_PATH = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";

export function containerEnvironment(
  container: Container,
  pod: PodFields,
  hostname: string,
): Record<string, string> {
  const environment: Record<string, string> = {
    PATH: DEFAULT_PATH,
    HOSTNAME: hostname,
    HOME: "/root",
  };
  for (const variable of container.env ?? []) {
    environment[variable.name] = variableValue(variable, pod, environment);
  }
  return environment;
}

function variableValue(variable: EnvVar, pod: PodFields, defined: Record<string, string>): string {
  const fieldPath = variable.valueFrom?.fieldRef?.fieldPath;
  if (fieldPath) return fieldValue(fieldPath, pod);
  return expandReferences(variable.value ?? "", defined);
}

function fieldValue(fieldPath: string, pod: PodFields): string {
  switch (fieldPath) {
    case "metadata.name":
      return pod.name;
    case "metadata.namespace":
      return pod.namespace;
    case "metadata.uid":
      return pod.uid;
    case "status.podIP":
      return pod.podIP;
    case "status.hostIP":
      return pod.hostIP;
    case "spec.nodeName":
      return pod.nodeName;
    case "spec.serviceAccountName":
      return pod.serviceAccountName ?? "default";
    default:
      throw new Error(
        `env fieldRef "${fieldPath}" is not supported by the sandbox: expected one of metadata.name, metadata.namespace, metadata.uid, status.podIP, status.hostIP, spec.nodeName, spec.serviceAccountName`,
      );
  }
}

/** Kubelet's `$(VAR)` expansion: unknown references stay as written, `$$` escapes. */
export function expandReferences(text: string, defined: Record<string, string>): string {
  return text.replace(
    /\$\$|\$\(([A-Za-z_][A-Za-z0-9_.-]*)\)/g,
    (match, name: string | undefined) => {
      if (match === "$$") return "$";
      return name !== undefined && name in defined ? (defined[name] as string) : match;
    },
  );
}

/** The argv a container runs: command (or the image's) then args, both expanded. */
export function containerArgv(
  container: Container,
  imageCommand: string[] | undefined,
  environment: Record<string, string>,
): string[] {
  const command = container.command ?? imageCommand ?? [];
  return [...command, ...(container.args ?? [])].map((part) => expandReferences(part, environment));
}
