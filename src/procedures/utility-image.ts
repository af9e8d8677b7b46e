/**
 * The utility pods' fallback image: the runbook's etcd-util image of the cluster's Anthos
 * version, for clusters whose own etcd image has no shell (etcd's images from 3.5.7 on are
 * distroless). Apart from the restore, so that a front door checks its input without loading
 * the procedure.
 */
import { ConfigurationError } from "../core/errors.ts";
import { quoteValue } from "../core/redact.ts";

/**
 * The gke-on-prem-version setting, checked before anything runs: an Anthos version such as
 * 1.32.400-gke.68 (what `gkectl version` prints), and not together with utility-image.
 */
export function checkGkeOnPremVersion(version: string, utilityImage?: string): string {
  if (!/^\d+\.\d+\.\d+(-gke\.\d+)?$/.test(version)) {
    throw new ConfigurationError(
      "gke-on-prem-version",
      `${quoteValue(version)} is not an Anthos version; expected e.g. 1.32.400-gke.68, as gkectl version prints it.`,
    );
  }
  if (utilityImage) {
    throw new ConfigurationError(
      "gke-on-prem-version",
      `is given together with utility-image; give one: utility-image is used as it is, gke-on-prem-version picks the runbook's etcd-util image only when the cluster's own etcd image lacks what the utility pods need.`,
    );
  }
  return version;
}

export const ETCD_UTIL_REPOSITORY = "gcr.io/gke-on-prem-release/etcd-util";

/** The runbook's utility image of an Anthos version (PROCEDURES.md, the etcd-util pod). */
export function etcdUtilImage(gkeOnPremVersion: string): string {
  return `${ETCD_UTIL_REPOSITORY}:${gkeOnPremVersion}`;
}
