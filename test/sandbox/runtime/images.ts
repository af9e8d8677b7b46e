/**
 * Which images a pod may run. There is no registry: an image is "pulled" when it matches an
 * allowed pattern, and it runs the host's binaries (its /usr). A pattern may give a default
 * command for containers that set none, as an image's ENTRYPOINT would.
 */
export interface ImageRule {
  /** e.g. "gcr.io/gke-on-prem-release/etcd:*"; `*` matches any run of characters. */
  pattern: string;
  /** Used when the container has no `command` (the image's ENTRYPOINT). */
  command?: string[];
  /**
   * A distroless image: its /usr/bin holds only these host programs (no shell, no coreutils),
   * as etcd's own images from 3.5.7 on. Unset: the host's whole /usr.
   */
  binaries?: readonly string[];
}

export type ImagePolicy = readonly ImageRule[];

export function findImageRule(policy: ImagePolicy, image: string): ImageRule | undefined {
  return policy.find((rule) => patternToRegExp(rule.pattern).test(image));
}

function patternToRegExp(pattern: string): RegExp {
  const escaped = pattern.replace(/[.+?^${}()|[\]\\]/g, "\\$&").replace(/\*/g, ".*");
  return new RegExp(`^${escaped}$`);
}

/** A stable digest-like image id, so `imageID` looks as it does on a real node. */
export function imageIdFor(image: string, digest: string): string {
  const repository = image.replace(/[:@].*$/, "");
  return `${repository}@sha256:${digest}`;
}
