import { exposeGarbageCollector } from "../../expose-gc.ts";
import { run } from "./run.ts";

exposeGarbageCollector();
await run();
