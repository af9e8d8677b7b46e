// First: ssh2 needs CommonJS's __dirname while it loads.
import "../common/commonjs-globals.ts";
import { runAdminRestorePost } from "./run.ts";

await runAdminRestorePost();
