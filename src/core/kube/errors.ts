/**
 * Turning client-node's errors into sentences: which object, what the API server said, and
 * what to check. client-node 2.x throws ApiException with `code` and `body` (a Status).
 */

/** `action` is the verb for messages: reading (the default), creating, deleting, scaling... */
export function describeApiError(error: unknown, what: string, action = "reading"): string {
  const apiError = error as { code?: number; body?: unknown; message?: string; cause?: unknown };
  const status = parseStatus(apiError.body);
  if (apiError.code === 401) {
    return `the API server refused the credentials while ${action} ${what} (401 Unauthorized); check the kubeconfig's token or client certificate.`;
  }
  if (apiError.code === 403) {
    return `not allowed to access ${what} (403 Forbidden: ${status?.message ?? "no details"}); check the kubeconfig user's RBAC.`;
  }
  if (apiError.code === 404) return `${what} not found (404).`;
  if (apiError.code) {
    return `${action} ${what} failed with HTTP ${apiError.code}: ${status?.message ?? String(apiError.body ?? "").slice(0, 200)}`;
  }
  const cause = apiError.cause as { code?: string; message?: string } | undefined;
  const reason = cause?.code ?? cause?.message ?? apiError.message ?? String(error);
  return `cannot reach the API server while ${action} ${what} (${reason}); check the kubeconfig's server address and that this runner can reach it.`;
}

function parseStatus(body: unknown): { message?: string; reason?: string } | undefined {
  if (!body) return undefined;
  if (typeof body === "object") return body as { message?: string };
  try {
    return JSON.parse(String(body)) as { message?: string };
  } catch {
    return undefined;
  }
}
