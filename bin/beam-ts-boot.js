#!/usr/bin/env node
// `beam-ts boot` as one executable, for runners that start a PROCESS environment's command
// with Beam's boot flags and no shell (--environmentConfig='{"command": ".../beam-ts-boot.js"}').
import { loadBuilt } from "./load-built.js";

process.argv.splice(2, 0, "boot");
await loadBuilt("cli/main.js");
