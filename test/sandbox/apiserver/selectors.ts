/**
 * Label and field selectors as `kubectl get -l ... --field-selector ...` sends them.
 * Labels: `a=b`, `a==b`, `a!=b`, `a in (x,y)`, `a notin (x)`, `a`, `!a`.
 * Fields: `metadata.name`, `metadata.namespace`, `spec.nodeName`, `status.phase` with =, ==, !=.
 */
import type { KubeObject } from "../store.ts";
import { badRequest } from "./status.ts";

export type Matcher = (object: KubeObject) => boolean;

type LabelRequirement =
  | { key: string; operator: "=" | "!="; value: string }
  | { key: string; operator: "in" | "notin"; values: string[] }
  | { key: string; operator: "exists" | "!exists" };

const matchAll: Matcher = () => true;

/** Splits on commas that are not inside a parenthesised value set. */
function splitTopLevel(selector: string): string[] {
  const parts: string[] = [];
  let depth = 0;
  let current = "";
  for (const character of selector) {
    if (character === "(") depth++;
    if (character === ")") depth--;
    if (character === "," && depth === 0) {
      parts.push(current);
      current = "";
    } else {
      current += character;
    }
  }
  parts.push(current);
  return parts.map((part) => part.trim()).filter((part) => part !== "");
}

function parseLabelRequirement(term: string, selector: string): LabelRequirement {
  const set = /^([^\s!=()]+)\s+(in|notin)\s*\(([^)]*)\)$/.exec(term);
  if (set) {
    const values = (set[3] ?? "")
      .split(",")
      .map((value) => value.trim())
      .filter(Boolean);
    return { key: set[1] ?? "", operator: set[2] as "in" | "notin", values };
  }
  const comparison = /^([^\s!=()]+)\s*(==|=|!=)\s*([^\s!=(),]*)$/.exec(term);
  if (comparison) {
    const operator = comparison[2] === "!=" ? "!=" : "=";
    return { key: comparison[1] ?? "", operator, value: comparison[3] ?? "" };
  }
  const exists = /^(!?)\s*([^\s!=(),]+)$/.exec(term);
  if (exists) return { key: exists[2] ?? "", operator: exists[1] ? "!exists" : "exists" };
  throw badRequest(
    `unable to parse requirement: label selector "${selector}" has a term "${term}" that is not key=value, key!=value, key in (a,b), key notin (a,b), key or !key`,
  );
}

function labelRequirementMatches(
  requirement: LabelRequirement,
  labels: Record<string, string>,
): boolean {
  const has = Object.hasOwn(labels, requirement.key);
  const value = labels[requirement.key];
  switch (requirement.operator) {
    case "=":
      return has && value === requirement.value;
    case "!=":
      return !has || value !== requirement.value;
    case "in":
      return has && requirement.values.includes(value ?? "");
    case "notin":
      return !has || !requirement.values.includes(value ?? "");
    case "exists":
      return has;
    case "!exists":
      return !has;
  }
}

export function parseLabelSelector(selector: string | null | undefined): Matcher {
  if (!selector) return matchAll;
  const requirements = splitTopLevel(selector).map((term) => parseLabelRequirement(term, selector));
  return (object) =>
    requirements.every((r) => labelRequirementMatches(r, object.metadata.labels ?? {}));
}

const SELECTABLE_FIELDS: Record<string, (object: KubeObject) => string> = {
  "metadata.name": (object) => object.metadata.name,
  "metadata.namespace": (object) => object.metadata.namespace ?? "",
  "spec.nodeName": (object) =>
    String((object.spec as { nodeName?: string } | undefined)?.nodeName ?? ""),
  "status.phase": (object) =>
    String((object.status as { phase?: string } | undefined)?.phase ?? ""),
  "spec.unschedulable": (object) =>
    String((object.spec as { unschedulable?: boolean } | undefined)?.unschedulable ?? false),
  type: (object) => String(object.type ?? ""),
};

export function parseFieldSelector(selector: string | null | undefined): Matcher {
  if (!selector) return matchAll;
  const checks = splitTopLevel(selector).map((term) => {
    const match = /^([^!=]+?)\s*(==|=|!=)\s*(.*)$/.exec(term);
    const path = match?.[1]?.trim() ?? "";
    const read = SELECTABLE_FIELDS[path];
    if (!match || !read) {
      throw badRequest(
        `field selector "${selector}" is not supported: use ${Object.keys(SELECTABLE_FIELDS).join(", ")} with =, == or !=`,
      );
    }
    const expected = match[3]?.trim() ?? "";
    const equal = match[2] !== "!=";
    return (object: KubeObject) => (read(object) === expected) === equal;
  });
  return (object) => checks.every((check) => check(object));
}

export function parseSelectors(query: URLSearchParams): Matcher {
  const labels = parseLabelSelector(query.get("labelSelector"));
  const fields = parseFieldSelector(query.get("fieldSelector"));
  return (object) => labels(object) && fields(object);
}
