// First: ssh2 (Controlplane V2 restores) needs CommonJS's __dirname while it loads.
import "../common/commonjs-globals.ts";
import { runRestorePost } from "./run.ts";

await runRestorePost();
