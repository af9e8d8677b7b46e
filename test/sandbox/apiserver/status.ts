/**
 * Errors as the API server sends them: `Status` objects with the reason and code kubectl
 * and client-node switch on (NotFound, AlreadyExists, Conflict, Invalid, ...).
 */
import { StoreError } from "../store.ts";
import type { ResourceType } from "./registry.ts";

export type StatusReason =
  | "BadRequest"
  | "Unauthorized"
  | "NotFound"
  | "AlreadyExists"
  | "Conflict"
  | "Expired"
  | "Invalid"
  | "MethodNotAllowed"
  | "NotAcceptable"
  | "UnsupportedMediaType"
  | "InternalError"
  /** StatusReasonUnknown: what an error that is no API status becomes (sent without a reason). */
  | "";

export interface StatusDetails {
  name?: string;
  group?: string;
  kind?: string;
  uid?: string;
  causes?: Array<{ reason?: string; message: string; field?: string }>;
}

export interface StatusObject {
  kind: "Status";
  apiVersion: "v1";
  metadata: Record<string, never>;
  status: "Success" | "Failure";
  message?: string;
  reason?: StatusReason;
  details?: StatusDetails;
  code: number;
}

/** A request that fails with a Status: thrown anywhere in a handler, sent by the server. */
export class ApiError extends Error {
  constructor(
    readonly code: number,
    readonly reason: StatusReason,
    message: string,
    readonly details?: StatusDetails,
  ) {
    super(message);
  }

  toStatus(): StatusObject {
    return failureStatus(this.code, this.reason, this.message, this.details);
  }
}

export function failureStatus(
  code: number,
  reason: StatusReason,
  message: string,
  details?: StatusDetails,
): StatusObject {
  return {
    kind: "Status",
    apiVersion: "v1",
    metadata: {},
    status: "Failure",
    message,
    ...(reason ? { reason } : {}),
    ...(details ? { details } : {}),
    code,
  };
}

export function successStatus(details?: StatusDetails): StatusObject {
  return {
    kind: "Status",
    apiVersion: "v1",
    metadata: {},
    status: "Success",
    ...(details ? { details } : {}),
    code: 200,
  };
}

export const badRequest = (message: string) => new ApiError(400, "BadRequest", message);

export function notFound(type: ResourceType, name: string): ApiError {
  return new ApiError(404, "NotFound", `${type.key} "${name}" not found`, detailsFor(type, name));
}

export function invalid(
  type: ResourceType,
  name: string,
  field: string,
  message: string,
): ApiError {
  return new ApiError(422, "Invalid", `${type.kind} "${name}" is invalid: ${field}: ${message}`, {
    ...detailsFor(type, name),
    kind: type.kind,
    causes: [{ reason: "FieldValueInvalid", message, field }],
  });
}

function detailsFor(type: ResourceType, name: string): StatusDetails {
  return { name, ...(type.group ? { group: type.group } : {}), kind: type.plural };
}

/** A StoreError (or any failure) as the ApiError the client should see for this resource. */
export function toApiError(error: unknown, type?: ResourceType): ApiError {
  if (error instanceof ApiError) return error;
  if (error instanceof StoreError) {
    const name = error.details.name ?? "";
    const details = type ? detailsFor(type, name) : error.details.name ? { name } : undefined;
    return new ApiError(error.code, error.reason, error.message, details);
  }
  return new ApiError(
    500,
    "InternalError",
    `Internal error occurred: ${(error as Error)?.message ?? String(error)}`,
  );
}
