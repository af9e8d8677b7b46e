/**
 * What a real API server does to an object between decoding and storing it: defaulting
 * (restartPolicy, replicas, update strategies, ...), the create-time status reset of each
 * kind's strategy, and the few validations kubectl users meet first.
 */
import type { KubeObject } from "../store.ts";
import type { ResourceType } from "./registry.ts";
import { invalid } from "./status.ts";

type Loose = Record<string, unknown>;
const asObject = (value: unknown): Loose | undefined =>
  value && typeof value === "object" && !Array.isArray(value) ? (value as Loose) : undefined;

function setDefault(object: Loose, key: string, value: unknown): void {
  if (object[key] === undefined) object[key] = value;
}

function defaultContainer(container: Loose): void {
  const image = typeof container.image === "string" ? container.image : "";
  const tag = image.includes("@") ? "digest" : (/:([^/:]+)$/.exec(image)?.[1] ?? "latest");
  setDefault(container, "imagePullPolicy", tag === "latest" ? "Always" : "IfNotPresent");
  setDefault(container, "terminationMessagePath", "/dev/termination-log");
  setDefault(container, "terminationMessagePolicy", "File");
  setDefault(container, "resources", {});
  for (const port of Array.isArray(container.ports) ? (container.ports as Loose[]) : [])
    setDefault(port, "protocol", "TCP");
}

function defaultPodSpec(spec: Loose): void {
  setDefault(spec, "restartPolicy", "Always");
  setDefault(spec, "terminationGracePeriodSeconds", 30);
  setDefault(spec, "dnsPolicy", "ClusterFirst");
  setDefault(spec, "securityContext", {});
  setDefault(spec, "schedulerName", "default-scheduler");
  setDefault(spec, "enableServiceLinks", true);
  for (const key of ["containers", "initContainers"]) {
    for (const container of Array.isArray(spec[key]) ? (spec[key] as Loose[]) : [])
      defaultContainer(container);
  }
  for (const volume of Array.isArray(spec.volumes) ? (spec.volumes as Loose[]) : []) {
    const secret = asObject(volume.secret);
    if (secret) setDefault(secret, "defaultMode", 420);
    const configMap = asObject(volume.configMap);
    if (configMap) setDefault(configMap, "defaultMode", 420);
  }
}

function defaultTemplate(spec: Loose): void {
  const template = asObject(spec.template);
  const templateSpec = asObject(template?.spec);
  if (templateSpec) defaultPodSpec(templateSpec);
}

const DEFAULTERS: Record<string, (object: KubeObject) => void> = {
  pods(pod) {
    const spec = asObject(pod.spec);
    if (spec) defaultPodSpec(spec);
  },
  "statefulsets.apps"(set) {
    const spec = asObject(set.spec);
    if (!spec) return;
    setDefault(spec, "replicas", 1);
    setDefault(spec, "podManagementPolicy", "OrderedReady");
    setDefault(spec, "updateStrategy", { type: "RollingUpdate", rollingUpdate: { partition: 0 } });
    setDefault(spec, "revisionHistoryLimit", 10);
    setDefault(spec, "persistentVolumeClaimRetentionPolicy", {
      whenDeleted: "Retain",
      whenScaled: "Retain",
    });
    defaultTemplate(spec);
  },
  "deployments.apps"(deployment) {
    const spec = asObject(deployment.spec);
    if (!spec) return;
    setDefault(spec, "replicas", 1);
    setDefault(spec, "strategy", {
      type: "RollingUpdate",
      rollingUpdate: { maxUnavailable: "25%", maxSurge: "25%" },
    });
    setDefault(spec, "revisionHistoryLimit", 10);
    setDefault(spec, "progressDeadlineSeconds", 600);
    defaultTemplate(spec);
  },
  secrets(secret) {
    setDefault(secret, "type", "Opaque");
    // stringData is write-only: it lands in data, base64-encoded, as on a real API server.
    const stringData = asObject(secret.stringData);
    if (stringData) {
      const data = (asObject(secret.data) ?? {}) as Record<string, string>;
      for (const [key, value] of Object.entries(stringData))
        data[key] = Buffer.from(String(value)).toString("base64");
      secret.data = data;
      delete secret.stringData;
    }
  },
  persistentvolumeclaims(claim) {
    const spec = asObject(claim.spec);
    if (spec) setDefault(spec, "volumeMode", "Filesystem");
  },
  services(service) {
    const spec = asObject(service.spec);
    if (!spec) return;
    setDefault(spec, "type", "ClusterIP");
    setDefault(spec, "sessionAffinity", "None");
    for (const port of Array.isArray(spec.ports) ? (spec.ports as Loose[]) : []) {
      setDefault(port, "protocol", "TCP");
      setDefault(port, "targetPort", port.port);
    }
  },
};

/** Fills the defaults a real API server fills, on create and on every update. */
export function applyDefaults(type: ResourceType, object: KubeObject): void {
  DEFAULTERS[type.key]?.(object);
}

/** What each kind's strategy resets on create: status is the controllers' to write. */
export function resetStatusForCreate(type: ResourceType, object: KubeObject): void {
  switch (type.key) {
    case "pods":
      object.status = { phase: "Pending", qosClass: "BestEffort" };
      break;
    case "namespaces":
      object.status = { phase: "Active" };
      break;
    case "persistentvolumeclaims":
      object.status = { phase: "Pending" };
      break;
    case "nodes":
      break;
    default:
      if (type.subresources.some((sub) => sub.name === "status")) delete object.status;
  }
}

const DNS_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;

/** The checks a user of `kubectl create` meets first; 422 Invalid, as a real server says it. */
export function validateObject(type: ResourceType, object: KubeObject): void {
  const name = object.metadata.name;
  if (name.length > 253 || !DNS_SUBDOMAIN.test(name)) {
    throw invalid(
      type,
      name,
      "metadata.name",
      `Invalid value: "${name}": a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character`,
    );
  }
  if (type.key === "pods") {
    const containers = asObject(object.spec)?.containers;
    if (!Array.isArray(containers) || containers.length === 0) {
      throw invalid(type, name, "spec.containers", "Required value");
    }
    for (const [index, container] of (containers as Loose[]).entries()) {
      if (typeof container.name !== "string" || !container.name) {
        throw invalid(type, name, `spec.containers[${index}].name`, "Required value");
      }
      if (typeof container.image !== "string" || !container.image) {
        throw invalid(type, name, `spec.containers[${index}].image`, "Required value");
      }
    }
  }
  if (type.key === "statefulsets.apps" || type.key === "deployments.apps") {
    const spec = asObject(object.spec);
    if (!asObject(spec?.selector)) throw invalid(type, name, "spec.selector", "Required value");
    if (typeof spec?.replicas === "number" && spec.replicas < 0) {
      throw invalid(
        type,
        name,
        "spec.replicas",
        `Invalid value: ${spec.replicas}: must be greater than or equal to 0`,
      );
    }
  }
}
