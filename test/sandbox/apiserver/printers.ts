/**
 * Server-side printing: the `meta.k8s.io/v1` Table rows `kubectl get` shows, computed the way
 * kubectl 1.32's printers do (pkg/printers/internalversion/printers.go), so the sandbox's
 * `kubectl get pods -o wide` reads exactly like a real cluster's.
 */
import type { KubeObject } from "../store.ts";

export interface ColumnDefinition {
  name: string;
  type: "string" | "integer" | "date";
  format: string;
  description: string;
  /** 0: always shown; 1: only with `-o wide`. */
  priority: number;
}

export interface TablePrinter {
  columns: ColumnDefinition[];
  cells(object: KubeObject, now: Date): unknown[];
}

type Loose = Record<string, unknown>;
const field = (value: unknown, key: string): Loose | undefined => {
  const child = (value as Loose | undefined)?.[key];
  return child && typeof child === "object" ? (child as Loose) : undefined;
};
const text = (value: unknown): string => (typeof value === "string" ? value : "");
const count = (value: unknown): number => (typeof value === "number" ? value : 0);
const list = (value: unknown): Loose[] => (Array.isArray(value) ? (value as Loose[]) : []);

function column(
  name: string,
  description: string,
  priority = 0,
  type: ColumnDefinition["type"] = "string",
): ColumnDefinition {
  return { name, type, format: name === "Name" ? "name" : "", description, priority };
}

const nameColumn = column("Name", "Name must be unique within a namespace.");
const ageColumn = column(
  "Age",
  "CreationTimestamp is a timestamp representing the server time when this object was created.",
);

/** kubectl's duration.HumanDuration: "45s", "3m12s", "2h5m", "3d4h". */
export function humanDuration(milliseconds: number): string {
  const seconds = Math.floor(milliseconds / 1000);
  if (seconds < -1) return "<invalid>";
  if (seconds < 0) return "0s";
  if (seconds < 120) return `${seconds}s`;
  const minutes = Math.floor(seconds / 60);
  if (minutes < 10) return seconds % 60 === 0 ? `${minutes}m` : `${minutes}m${seconds % 60}s`;
  if (minutes < 180) return `${minutes}m`;
  const hours = Math.floor(minutes / 60);
  if (hours < 8) return minutes % 60 === 0 ? `${hours}h` : `${hours}h${minutes % 60}m`;
  if (hours < 48) return `${hours}h`;
  if (hours < 24 * 8)
    return hours % 24 === 0 ? `${hours / 24}d` : `${Math.floor(hours / 24)}d${hours % 24}h`;
  if (hours < 24 * 365 * 2) return `${Math.floor(hours / 24)}d`;
  const days = Math.floor(hours / 24);
  if (hours < 24 * 365 * 8) {
    return days % 365 === 0 ? `${days / 365}y` : `${Math.floor(days / 365)}y${days % 365}d`;
  }
  return `${Math.floor(days / 365)}y`;
}

function age(timestamp: unknown, now: Date): string {
  if (typeof timestamp !== "string" || !timestamp) return "<unknown>";
  return humanDuration(now.getTime() - Date.parse(timestamp));
}

function objectAge(object: KubeObject, now: Date): string {
  return age(object.metadata.creationTimestamp, now);
}

const isTerminalPhase = (phase: string) => phase === "Succeeded" || phase === "Failed";

/** kubectl's printPod: READY, STATUS and RESTARTS exactly as `kubectl get pods` computes them. */
export function podStatusCells(
  pod: KubeObject,
  now: Date,
): { ready: string; status: string; restarts: string } {
  const spec = field(pod, "spec") ?? {};
  const status = field(pod, "status") ?? {};
  const initContainerSpecs = new Map(list(spec.initContainers).map((c) => [text(c.name), c]));
  const isRestartableInit = (name: string) =>
    initContainerSpecs.get(name)?.restartPolicy === "Always";
  let totalContainers = list(spec.containers).length;
  for (const name of initContainerSpecs.keys()) if (isRestartableInit(name)) totalContainers++;
  let readyContainers = 0;
  let restarts = 0;
  let restartableInitRestarts = 0;
  let lastRestart = 0;
  let lastRestartableInitRestart = 0;
  const finishedAt = (container: Loose) =>
    Date.parse(text(field(field(container, "lastState"), "terminated")?.finishedAt)) || 0;

  const phase = text(status.phase);
  let reason = text(status.reason) || phase;
  for (const condition of list(status.conditions)) {
    if (condition.type === "PodScheduled" && condition.reason === "SchedulingGated")
      reason = "SchedulingGated";
  }

  let initializing = false;
  const initStatuses = list(status.initContainerStatuses);
  for (const [index, container] of initStatuses.entries()) {
    const name = text(container.name);
    restarts += count(container.restartCount);
    lastRestart = Math.max(lastRestart, finishedAt(container));
    if (isRestartableInit(name)) {
      restartableInitRestarts += count(container.restartCount);
      lastRestartableInitRestart = Math.max(lastRestartableInitRestart, finishedAt(container));
    }
    const terminated = field(field(container, "state"), "terminated");
    const waiting = field(field(container, "state"), "waiting");
    if (terminated && count(terminated.exitCode) === 0) continue;
    if (isRestartableInit(name) && container.started === true) {
      if (container.ready === true) readyContainers++;
      continue;
    }
    if (terminated) {
      reason = text(terminated.reason)
        ? `Init:${text(terminated.reason)}`
        : count(terminated.signal) !== 0
          ? `Init:Signal:${count(terminated.signal)}`
          : `Init:ExitCode:${count(terminated.exitCode)}`;
    } else if (waiting && text(waiting.reason) && waiting.reason !== "PodInitializing") {
      reason = `Init:${text(waiting.reason)}`;
    } else {
      reason = `Init:${index}/${initContainerSpecs.size}`;
    }
    initializing = true;
    break;
  }

  const initializedCondition = list(status.conditions).some(
    (c) => c.type === "Initialized" && c.status === "True",
  );
  if (!initializing || initializedCondition) {
    restarts = restartableInitRestarts;
    lastRestart = lastRestartableInitRestart;
    let hasRunning = false;
    const containerStatuses = list(status.containerStatuses);
    for (let i = containerStatuses.length - 1; i >= 0; i--) {
      const container = containerStatuses[i] ?? {};
      restarts += count(container.restartCount);
      lastRestart = Math.max(lastRestart, finishedAt(container));
      const waiting = field(field(container, "state"), "waiting");
      const terminated = field(field(container, "state"), "terminated");
      const running = field(field(container, "state"), "running");
      if (waiting && text(waiting.reason)) reason = text(waiting.reason);
      else if (terminated && text(terminated.reason)) reason = text(terminated.reason);
      else if (terminated) {
        reason =
          count(terminated.signal) !== 0
            ? `Signal:${count(terminated.signal)}`
            : `ExitCode:${count(terminated.exitCode)}`;
      } else if (container.ready === true && running) {
        hasRunning = true;
        readyContainers++;
      }
    }
    if (reason === "Completed" && hasRunning) {
      const ready = list(status.conditions).some((c) => c.type === "Ready" && c.status === "True");
      reason = ready ? "Running" : "NotReady";
    }
  }

  if (pod.metadata.deletionTimestamp && status.reason === "NodeLost") reason = "Unknown";
  else if (pod.metadata.deletionTimestamp && !isTerminalPhase(phase)) reason = "Terminating";

  const restartsText =
    restarts !== 0 && lastRestart > 0
      ? `${restarts} (${humanDuration(now.getTime() - lastRestart)} ago)`
      : String(restarts);
  return { ready: `${readyContainers}/${totalContainers}`, status: reason, restarts: restartsText };
}

function podIp(pod: KubeObject): string {
  const status = field(pod, "status") ?? {};
  const first = list(status.podIPs)[0];
  return text(first?.ip) || text(status.podIP) || "<none>";
}

function readinessGates(pod: KubeObject): string {
  const gates = list(field(pod, "spec")?.readinessGates);
  if (gates.length === 0) return "<none>";
  const conditions = list(field(pod, "status")?.conditions);
  const passed = gates.filter((gate) =>
    conditions.some((c) => c.type === gate.conditionType && c.status === "True"),
  ).length;
  return `${passed}/${gates.length}`;
}

const podPrinter: TablePrinter = {
  columns: [
    nameColumn,
    column("Ready", "The aggregate readiness state of this pod for accepting traffic."),
    column("Status", "The aggregate status of the containers in this pod."),
    column(
      "Restarts",
      "The number of times the containers in this pod have been restarted and when the last container in this pod has restarted.",
    ),
    ageColumn,
    column(
      "IP",
      "IP address allocated to the pod. Routable at least within the cluster. Empty if not yet allocated.",
      1,
    ),
    column("Node", "NodeName is a request to schedule this pod onto a specific node.", 1),
    column(
      "Nominated Node",
      "nominatedNodeName is set only when this pod preempts other pods on the node.",
      1,
    ),
    column(
      "Readiness Gates",
      "If specified, all readiness gates will be evaluated for pod readiness.",
      1,
    ),
  ],
  cells(pod, now) {
    const { ready, status, restarts } = podStatusCells(pod, now);
    const spec = field(pod, "spec") ?? {};
    return [
      pod.metadata.name,
      ready,
      status,
      restarts,
      objectAge(pod, now),
      podIp(pod),
      text(spec.nodeName) || "<none>",
      text(field(pod, "status")?.nominatedNodeName) || "<none>",
      readinessGates(pod),
    ];
  },
};

/** Roles from node-role.kubernetes.io/<role> labels and the legacy kubernetes.io/role label. */
function nodeRoles(node: KubeObject): string {
  const roles = new Set<string>();
  for (const [key, value] of Object.entries(node.metadata.labels ?? {})) {
    if (key.startsWith("node-role.kubernetes.io/")) {
      const role = key.slice("node-role.kubernetes.io/".length);
      if (role) roles.add(role);
    } else if (key === "kubernetes.io/role" && value) {
      roles.add(value);
    }
  }
  return [...roles].sort().join(",") || "<none>";
}

function nodeAddress(node: KubeObject, type: string): string {
  const address = list(field(node, "status")?.addresses).find((a) => a.type === type);
  return text(address?.address) || "<none>";
}

const nodePrinter: TablePrinter = {
  columns: [
    nameColumn,
    column("Status", "The status of the node"),
    column("Roles", "The roles of the node"),
    ageColumn,
    column("Version", "Kubelet Version reported by the node."),
    column(
      "Internal-IP",
      "List of addresses reachable to the node. Queried from cloud provider, if available.",
      1,
    ),
    column(
      "External-IP",
      "List of addresses reachable to the node. Queried from cloud provider, if available.",
      1,
    ),
    column(
      "OS-Image",
      "OS Image reported by the node from /etc/os-release (e.g. Debian GNU/Linux 7 (wheezy)).",
      1,
    ),
    column(
      "Kernel-Version",
      "Kernel Version reported by the node from 'uname -r' (e.g. 3.16.0-0.bpo.4-amd64).",
      1,
    ),
    column(
      "Container-Runtime",
      "ContainerRuntime Version reported by the node through runtime remote API (e.g. containerd://1.4.2).",
      1,
    ),
  ],
  cells(node, now) {
    const status = field(node, "status") ?? {};
    const ready = list(status.conditions).find((c) => c.type === "Ready");
    const states = [ready ? (ready.status === "True" ? "Ready" : "NotReady") : "Unknown"];
    if (field(node, "spec")?.unschedulable === true) states.push("SchedulingDisabled");
    const info = field(status, "nodeInfo") ?? {};
    return [
      node.metadata.name,
      states.join(","),
      nodeRoles(node),
      objectAge(node, now),
      text(info.kubeletVersion),
      nodeAddress(node, "InternalIP"),
      nodeAddress(node, "ExternalIP"),
      text(info.osImage) || "<unknown>",
      text(info.kernelVersion) || "<unknown>",
      text(info.containerRuntimeVersion) || "<unknown>",
    ];
  },
};

function templateContainers(object: KubeObject): { names: string; images: string } {
  const containers = list(field(field(field(object, "spec"), "template"), "spec")?.containers);
  return {
    names: containers.map((c) => text(c.name)).join(","),
    images: containers.map((c) => text(c.image)).join(","),
  };
}

/** A label selector object as the string kubectl prints ("app=etcd,tier in (a,b)"). */
export function formatLabelSelector(selector: unknown): string {
  const parts: string[] = [];
  const matchLabels = field(selector, "matchLabels") ?? {};
  for (const key of Object.keys(matchLabels).sort()) parts.push(`${key}=${text(matchLabels[key])}`);
  for (const expression of list((selector as Loose | undefined)?.matchExpressions)) {
    const key = text(expression.key);
    const values = (Array.isArray(expression.values) ? expression.values : [])
      .map(String)
      .sort()
      .join(",");
    switch (expression.operator) {
      case "In":
        parts.push(`${key} in (${values})`);
        break;
      case "NotIn":
        parts.push(`${key} notin (${values})`);
        break;
      case "Exists":
        parts.push(key);
        break;
      case "DoesNotExist":
        parts.push(`!${key}`);
        break;
    }
  }
  return parts.join(",");
}

const statefulSetPrinter: TablePrinter = {
  columns: [
    nameColumn,
    column("Ready", "Number of the pod with ready state"),
    ageColumn,
    column("Containers", "Names of each container in the template.", 1),
    column("Images", "Images referenced by each container in the template.", 1),
  ],
  cells(set, now) {
    const desired = field(set, "spec")?.replicas;
    const { names, images } = templateContainers(set);
    return [
      set.metadata.name,
      `${count(field(set, "status")?.readyReplicas)}/${typeof desired === "number" ? desired : 1}`,
      objectAge(set, now),
      names,
      images,
    ];
  },
};

const deploymentPrinter: TablePrinter = {
  columns: [
    nameColumn,
    column("Ready", "Number of the pod with ready state"),
    column(
      "Up-to-date",
      "Total number of non-terminated pods targeted by this deployment that have the desired template spec.",
      0,
      "integer",
    ),
    column(
      "Available",
      "Total number of available pods (ready for at least minReadySeconds) targeted by this deployment.",
      0,
      "integer",
    ),
    ageColumn,
    column("Containers", "Names of each container in the template.", 1),
    column("Images", "Images referenced by each container in the template.", 1),
    column(
      "Selector",
      "Label selector for pods. Existing ReplicaSets whose pods are selected by this will be the ones affected by this deployment.",
      1,
    ),
  ],
  cells(deployment, now) {
    const spec = field(deployment, "spec") ?? {};
    const status = field(deployment, "status") ?? {};
    const { names, images } = templateContainers(deployment);
    return [
      deployment.metadata.name,
      `${count(status.readyReplicas)}/${typeof spec.replicas === "number" ? spec.replicas : 1}`,
      count(status.updatedReplicas),
      count(status.availableReplicas),
      objectAge(deployment, now),
      names,
      images,
      formatLabelSelector(spec.selector) || "<none>",
    ];
  },
};

const intOrStringText = (value: unknown) =>
  value === undefined || value === null ? "N/A" : String(value);

const podDisruptionBudgetPrinter: TablePrinter = {
  columns: [
    nameColumn,
    column("Min Available", "The minimum number of pods that must be available."),
    column("Max Unavailable", "The maximum number of pods that may be unavailable."),
    column(
      "Allowed Disruptions",
      "Calculated number of pods that may be disrupted at this time.",
      0,
      "integer",
    ),
    ageColumn,
  ],
  cells(budget, now) {
    const spec = field(budget, "spec") ?? {};
    return [
      budget.metadata.name,
      intOrStringText(spec.minAvailable),
      intOrStringText(spec.maxUnavailable),
      count(field(budget, "status")?.disruptionsAllowed),
      objectAge(budget, now),
    ];
  },
};

const dataCount = (object: KubeObject) =>
  Object.keys(field(object, "data") ?? {}).length +
  Object.keys(field(object, "binaryData") ?? field(object, "stringData") ?? {}).length;

const secretPrinter: TablePrinter = {
  columns: [
    nameColumn,
    column("Type", "The type of the secret"),
    column("Data", "The number of entries in the secret", 0, "integer"),
    ageColumn,
  ],
  cells: (secret, now) => [
    secret.metadata.name,
    text(secret.type) || "Opaque",
    dataCount(secret),
    objectAge(secret, now),
  ],
};

const configMapPrinter: TablePrinter = {
  columns: [
    nameColumn,
    column("Data", "The number of entries in the configmap", 0, "integer"),
    ageColumn,
  ],
  cells: (configMap, now) => [
    configMap.metadata.name,
    dataCount(configMap),
    objectAge(configMap, now),
  ],
};

const namespacePrinter: TablePrinter = {
  columns: [nameColumn, column("Status", "The status of the namespace"), ageColumn],
  cells: (namespace, now) => [
    namespace.metadata.name,
    text(field(namespace, "status")?.phase) || "Active",
    objectAge(namespace, now),
  ],
};

const accessModeShort: Record<string, string> = {
  ReadWriteOnce: "RWO",
  ReadOnlyMany: "ROX",
  ReadWriteMany: "RWX",
  ReadWriteOncePod: "RWOP",
};

const persistentVolumeClaimPrinter: TablePrinter = {
  columns: [
    nameColumn,
    column("Status", "The status of the claim"),
    column("Volume", "The volume bound to the claim"),
    column("Capacity", "The capacity of the claim"),
    column("Access Modes", "The access modes of the claim"),
    column("StorageClass", "The storage class of the claim"),
    column("VolumeAttributesClass", "The volume attributes class of the claim"),
    ageColumn,
    column("VolumeMode", "The volume mode of the claim", 1),
  ],
  cells(claim, now) {
    const spec = field(claim, "spec") ?? {};
    const status = field(claim, "status") ?? {};
    const bound = status.phase === "Bound";
    const modes = (Array.isArray(status.accessModes) ? status.accessModes : []).map(
      (m) => accessModeShort[String(m)] ?? String(m),
    );
    return [
      claim.metadata.name,
      text(status.phase) || "Pending",
      text(spec.volumeName),
      bound ? text(field(status, "capacity")?.storage) : "",
      bound ? modes.join(",") : "",
      text(spec.storageClassName) || "<unset>",
      text(spec.volumeAttributesClassName) || "<unset>",
      objectAge(claim, now),
      text(spec.volumeMode) || "Filesystem",
    ];
  },
};

const servicePrinter: TablePrinter = {
  columns: [
    nameColumn,
    column("Type", "The type of the service"),
    column("Cluster-IP", "The cluster ip of the service"),
    column("External-IP", "The external ip of the service"),
    column("Port(s)", "The ports of the service"),
    ageColumn,
    column("Selector", "The label selector of the service", 1),
  ],
  cells(service, now) {
    const spec = field(service, "spec") ?? {};
    const ports = list(spec.ports).map((p) => `${String(p.port)}/${text(p.protocol) || "TCP"}`);
    const selector = field(spec, "selector") ?? {};
    return [
      service.metadata.name,
      text(spec.type) || "ClusterIP",
      text(spec.clusterIP) || "<none>",
      "<none>",
      ports.join(",") || "<none>",
      objectAge(service, now),
      Object.entries(selector)
        .map(([k, v]) => `${k}=${text(v)}`)
        .join(",") || "<none>",
    ];
  },
};

const eventPrinter: TablePrinter = {
  columns: [
    column("Last Seen", "Time when last this event was seen"),
    column("Type", "Type of this event (Normal, Warning), new types could be added in the future."),
    column("Reason", "Reason why this event was generated"),
    column("Object", "The object that this event is about"),
    column("Message", "A human-readable description of the status of this operation."),
  ],
  cells(event, now) {
    const involved = field(event, "involvedObject") ?? {};
    const lastSeen =
      text(event.lastTimestamp) || text(event.eventTime) || event.metadata.creationTimestamp;
    return [
      age(lastSeen, now),
      text(event.type),
      text(event.reason),
      `${text(involved.kind).toLowerCase()}/${text(involved.name)}`,
      text(event.message).trim(),
    ];
  },
};

export const printers = {
  pods: podPrinter,
  nodes: nodePrinter,
  statefulsets: statefulSetPrinter,
  deployments: deploymentPrinter,
  poddisruptionbudgets: podDisruptionBudgetPrinter,
  secrets: secretPrinter,
  configmaps: configMapPrinter,
  namespaces: namespacePrinter,
  persistentvolumeclaims: persistentVolumeClaimPrinter,
  services: servicePrinter,
  events: eventPrinter,
} satisfies Record<string, TablePrinter>;

export type TableRowObject = "None" | "Metadata" | "Object";

/** A Table of objects, its rows carrying the object (or its metadata) as `includeObject` asks. */
export function toTable(
  printer: TablePrinter,
  objects: KubeObject[],
  includeObject: TableRowObject,
  resourceVersion: string,
  now = new Date(),
): Record<string, unknown> {
  return {
    kind: "Table",
    apiVersion: "meta.k8s.io/v1",
    metadata: { resourceVersion },
    columnDefinitions: printer.columns,
    rows: objects.map((object) => ({
      cells: printer.cells(object, now),
      object: rowObject(object, includeObject),
    })),
  };
}

function rowObject(object: KubeObject, includeObject: TableRowObject): unknown {
  if (includeObject === "None") return undefined;
  if (includeObject === "Object") return object;
  return { kind: "PartialObjectMetadata", apiVersion: "meta.k8s.io/v1", metadata: object.metadata };
}
