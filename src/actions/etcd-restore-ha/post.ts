import { runRestorePost } from "./run.ts";

await runRestorePost();
