/** The core library's Logger, backed by the Actions log (groups, annotations, masking). */
import * as core from "@actions/core";
import type { Logger } from "../../core/log/logger.ts";

export function actionsLogger(): Logger {
  return {
    debug: (message) => core.debug(message),
    info: (message) => core.info(message),
    warning: (message) => core.warning(message),
    error: (message) => core.error(message),
    group: (title, body) => core.group(title, body),
  };
}
