/**
 * The bundles are ES modules, where CommonJS's `__dirname` does not exist. ssh2's
 * emscripten-built poly1305 module reads it while it loads (only to locate a wasm file that
 * is inlined anyway), so an action that uses SSH imports this module first.
 */
import { dirname } from "node:path";
import { fileURLToPath } from "node:url";

const scope = globalThis as { __dirname?: string };
scope.__dirname ??= dirname(fileURLToPath(import.meta.url));
