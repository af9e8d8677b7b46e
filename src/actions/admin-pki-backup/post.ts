import { runPost } from "../common/post.ts";

await runPost();
