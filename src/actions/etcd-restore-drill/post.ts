import { runPost } from "../common/post.ts";

// A killed main step's drill pod (its memory holds a plaintext snapshot) and runner copy.
await runPost();
