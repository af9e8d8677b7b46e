// First: ssh2 needs CommonJS's __dirname while it loads.
import "../common/commonjs-globals.ts";
import { exposeGarbageCollector } from "../../expose-gc.ts";
import { run } from "./run.ts";

exposeGarbageCollector();
await run();
