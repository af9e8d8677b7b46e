/**
 * WATCH: a chunked 200 response with one JSON event per line, as client-go and client-node
 * read it. Without a resourceVersion (or "0") the watch first replays the current objects as
 * ADDED, then streams changes; with one, it streams every change after it, or one ERROR
 * event with a 410 Expired Status when that version is older than the store remembers.
 * Objects that stop matching the selectors leave the watch as DELETED, as on a real server.
 */
import type { ServerResponse } from "node:http";
import type { KubeObject, ObjectStore, WatchEvent } from "../store.ts";
import { toTable } from "./printers.ts";
import type { RestRequest } from "./rest.ts";
import { wantsTable, withTypeMeta } from "./rest.ts";
import { parseSelectors } from "./selectors.ts";
import { badRequest, failureStatus, toApiError } from "./status.ts";

/** Real API servers end a watch after 30-60 minutes; clients re-watch. */
const DEFAULT_WATCH_SECONDS = 30 * 60;

export function isWatchRequest(query: URLSearchParams): boolean {
  const watch = query.get("watch");
  return watch === "true" || watch === "1";
}

function watchTimeoutSeconds(query: URLSearchParams): number {
  const given = query.get("timeoutSeconds");
  if (given === null || given === "") return DEFAULT_WATCH_SECONDS;
  const seconds = Number(given);
  if (!Number.isInteger(seconds) || seconds < 0) {
    throw badRequest(`timeoutSeconds "${given}" must be a whole number of seconds, 0 or more`);
  }
  return seconds === 0 ? DEFAULT_WATCH_SECONDS : seconds;
}

export function serveWatch(
  store: ObjectStore,
  request: RestRequest,
  response: ServerResponse,
): void {
  const { type, namespace, name } = request.route;
  const selected = parseSelectors(request.query);
  const matches = (object: KubeObject) =>
    (name === undefined || object.metadata.name === name) && selected(object);
  const asTable = wantsTable(request.accept);
  const timeoutSeconds = watchTimeoutSeconds(request.query);

  response.writeHead(200, {
    "Content-Type": "application/json",
    "Cache-Control": "no-cache, private",
    "Transfer-Encoding": "chunked",
  });
  response.flushHeaders();

  const send = (eventType: string, object: unknown) => {
    if (response.writableEnded || response.destroyed) return;
    response.write(JSON.stringify({ type: eventType, object }) + "\n");
  };
  const sendObject = (eventType: string, object: KubeObject) => {
    const typed = withTypeMeta(type, object);
    send(
      eventType,
      asTable
        ? toTable(type.printer, [typed], "Metadata", typed.metadata.resourceVersion ?? "")
        : typed,
    );
  };

  /** Keys of the objects the client currently believes match, to turn "no longer matches" into DELETED. */
  const visible = new Set<string>();
  const keyOf = (object: KubeObject) =>
    `${object.metadata.namespace ?? ""}/${object.metadata.name}`;
  const onEvent = (event: WatchEvent) => {
    const key = keyOf(event.object);
    const nowMatches = matches(event.object);
    if (event.type === "DELETED") {
      if (nowMatches || visible.delete(key)) sendObject("DELETED", event.object);
      visible.delete(key);
      return;
    }
    if (nowMatches) {
      sendObject(
        visible.has(key) || event.type === "MODIFIED" ? event.type : "ADDED",
        event.object,
      );
      visible.add(key);
    } else if (visible.delete(key)) {
      sendObject("DELETED", event.object);
    }
  };

  const fromVersion = request.query.get("resourceVersion") ?? "";
  const replayCurrentState = fromVersion === "" || fromVersion === "0";
  let stop: () => void = () => {};
  try {
    stop = store.watch(
      type.key,
      type.namespaced ? namespace : undefined,
      replayCurrentState ? undefined : fromVersion,
      onEvent,
    );
  } catch (error) {
    const apiError = toApiError(error, type);
    send(
      "ERROR",
      failureStatus(apiError.code, apiError.reason, apiError.message, apiError.details),
    );
    response.end();
    return;
  }
  if (replayCurrentState) {
    for (const object of store.list(type.key, type.namespaced ? namespace : undefined).items) {
      if (!matches(object)) continue;
      visible.add(keyOf(object));
      sendObject("ADDED", object);
    }
  }

  const finish = () => {
    clearTimeout(timer);
    stop();
    if (!response.writableEnded) response.end();
  };
  const timer = setTimeout(finish, timeoutSeconds * 1000);
  response.on("close", finish);
}
