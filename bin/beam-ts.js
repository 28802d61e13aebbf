#!/usr/bin/env node
// The beam-ts command: the compiled CLI in dist/ (`npm run build`, run by `npm install`
// in a clone and by `npm pack` for the package).
import { loadBuilt } from "./load-built.js";

await loadBuilt("cli/main.js");
