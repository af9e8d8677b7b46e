// First: ssh2 needs CommonJS's __dirname while it loads.
import "../common/commonjs-globals.ts";
import { run } from "./run.ts";

await run();
