/**
 * The one logging seam of the core library. src/core never writes to the console or to
 * GitHub Actions itself: the action entry points hand in a logger backed by @actions/core,
 * the CLI one backed by the terminal, and tests one that records lines.
 */
export interface Logger {
  debug(message: string): void;
  info(message: string): void;
  warning(message: string): void;
  error(message: string): void;
  /** Opens a collapsible group in the job log (a plain heading on a terminal). */
  group<T>(title: string, body: () => Promise<T>): Promise<T>;
}

/** A logger that prints to stderr (so stdout stays clean for data and JSON output). */
export function consoleLogger(options: { verbose?: boolean } = {}): Logger {
  const write = (prefix: string, message: string) => process.stderr.write(`${prefix}${message}\n`);
  return {
    debug: (message) => {
      if (options.verbose) write("debug: ", message);
    },
    info: (message) => write("", message),
    warning: (message) => write("warning: ", message),
    error: (message) => write("error: ", message),
    group: async (title, body) => {
      write("== ", title);
      return body();
    },
  };
}

/** A logger that keeps every line, for tests that assert on what an operator would read. */
export function recordingLogger(): Logger & { lines: string[] } {
  const lines: string[] = [];
  return {
    lines,
    debug: (message) => lines.push(`debug: ${message}`),
    info: (message) => lines.push(message),
    warning: (message) => lines.push(`warning: ${message}`),
    error: (message) => lines.push(`error: ${message}`),
    group: async (title, body) => {
      lines.push(`== ${title}`);
      return body();
    },
  };
}
