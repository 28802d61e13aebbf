#!/usr/bin/env node
/* global process, console */
// `npm run build` (after `npm run proto`): compiles src/ (the generated protos included,
// tests excluded) into dist/ as JavaScript and declaration files, from a clean dist/ so that
// a deleted source leaves no stale module behind.
import { spawnSync } from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import { createRequire } from "node:module";

const root = path.resolve(import.meta.dirname, "..", "..");
const dist = path.join(root, "dist");
const tsc = createRequire(import.meta.url).resolve("typescript/bin/tsc");

fs.rmSync(dist, { recursive: true, force: true });
const r = spawnSync(process.execPath, [tsc, "-p", path.join(root, "tsconfig.build.json")], { stdio: "inherit", cwd: root });
if (r.status !== 0) {
  console.error(`[build] tsc failed (exit ${r.status ?? r.signal})`);
  process.exit(1);
}
console.log(`[build] compiled src/ into ${path.relative(root, dist)}/`);
