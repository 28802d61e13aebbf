#!/usr/bin/env node
// The beam-ts command. Registers tsx so pipeline modules can be TypeScript, then hands
// over to src/cli/main.ts.
import { register } from "tsx/esm/api";

register();
await import("../src/cli/main.ts");
