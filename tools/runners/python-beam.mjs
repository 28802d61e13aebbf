#!/usr/bin/env node
/* global process, console */
// A Python virtual environment with Beam's Python SDK (PyPI apache-beam), for the
// cross-language tests: Python pipelines that use beam-ts transforms.
//
//   node tools/runners/python-beam.mjs      # prints the venv's python; installs on first use
//
// Cache: <repo>/.cache/runners/python/apache-beam-<version>/ (override the root with BEAM_TS_CACHE).
import { spawn } from "node:child_process";
import { createWriteStream, existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { once } from "node:events";
import { join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { cacheDir } from "./job-services.mjs";

/** The Beam Python SDK release installed (the newest on PyPI on 2026-11-25). */
export const PYTHON_BEAM_VERSION = process.env.BEAM_TS_PYTHON_BEAM_VERSION ?? "2.77.0";

/**
 * Packages installed beside apache-beam: fastavro (Beam Python's Avro library) compresses
 * Avro "snappy" blocks only with cramjam and "zstandard" blocks (before Python 3.14) only
 * with backports.zstd, and apache-beam depends on neither. The Avro interop tests need both.
 */
export const PYTHON_EXTRA_PACKAGES = ["cramjam==2.14.0", "backports.zstd==1.8.1"];

/**
 * Path of a python with apache-beam installed: `python3 -m venv` plus
 * `pip install apache-beam==<version>` and PYTHON_EXTRA_PACKAGES into the cache on first use
 * (a marker file records a finished install; a half-made venv is rebuilt; a venv made before
 * an extra package was added gets the extras only).
 */
export async function ensurePythonBeam({ version = PYTHON_BEAM_VERSION, python = process.env.BEAM_TS_PYTHON ?? "python3" } = {}) {
  const dir = join(cacheDir(), "python", `apache-beam-${version}`);
  const bin = join(dir, "bin", "python");
  const marker = join(dir, ".installed");
  const wanted = [`apache-beam==${version}`, ...PYTHON_EXTRA_PACKAGES].join("\n") + "\n";
  mkdirSync(join(cacheDir(), "logs"), { recursive: true });
  const logFile = join(cacheDir(), "logs", `pip-apache-beam-${version}-${Date.now()}.log`);
  if (existsSync(marker) && existsSync(bin)) {
    if (readFileSync(marker, "utf8") === wanted) return bin;
    await run(bin, ["-m", "pip", "install", "--disable-pip-version-check", ...PYTHON_EXTRA_PACKAGES], logFile);
    writeFileSync(marker, wanted);
    return bin;
  }
  rmSync(dir, { recursive: true, force: true });
  await run(python, ["-m", "venv", dir], logFile);
  await run(bin, ["-m", "pip", "install", "--disable-pip-version-check", `apache-beam==${version}`, ...PYTHON_EXTRA_PACKAGES], logFile);
  writeFileSync(marker, wanted);
  return bin;
}

async function run(cmd, args, logFile) {
  const out = createWriteStream(logFile, { flags: "a" });
  await once(out, "open");
  out.write(`$ ${cmd} ${args.join(" ")}\n`);
  const child = spawn(cmd, args, { stdio: ["ignore", "pipe", "pipe"] });
  child.stdout.pipe(out, { end: false });
  child.stderr.pipe(out, { end: false });
  const code = await new Promise((res, rej) => {
    child.once("error", rej);
    child.once("close", res);
  });
  out.end();
  await once(out, "close");
  if (code !== 0) {
    const tail = readFileSync(logFile, "utf8").split("\n").slice(-30).join("\n");
    throw new Error(`${cmd} ${args.join(" ")} failed (exit ${code}); log ${logFile}:\n${tail}`);
  }
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  ensurePythonBeam().then(
    (bin) => console.log(bin),
    (err) => {
      console.error(err instanceof Error ? err.message : err);
      process.exit(1);
    },
  );
}
