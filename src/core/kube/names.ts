/**
 * The shapes Kubernetes accepts for the names a user gives the procedures (a namespace for
 * the drill pods, an image for utility pods), checked before anything is made in a cluster:
 * the action's inputs and the CLI's flags share them, so both refuse the same values.
 */

/** A DNS-1123 label, what a namespace name must be. */
export function isNamespaceName(text: string): boolean {
  return /^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/.test(text);
}

/** An image reference: repository path, optional tag, optional sha256 digest. */
export function isImageReference(text: string): boolean {
  return /^[a-z0-9][a-z0-9._\-/]*(:[\w][\w.-]*)?(@sha256:[0-9a-f]{64})?$/i.test(text);
}
