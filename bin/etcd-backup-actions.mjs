#!/usr/bin/env node
// The command line: the same procedures as the actions, for when GitHub Actions is down.
import { register } from "tsx/esm/api";

register();
await import("../src/cli.ts");
