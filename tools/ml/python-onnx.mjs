#!/usr/bin/env node
/* global process, console */
// A Python virtual environment with onnx and onnxruntime from PyPI, for the RunInference
// tests: they build their own tiny models with onnx's helper and compare beam-ts's results
// with onnxruntime run by Python on the same inputs. Nothing comes from a model hub.
//
//   node tools/ml/python-onnx.mjs      # prints the venv's python; installs on first use
//
// Cache: <repo>/.cache/runners/python/onnx-<onnx version>/ (override the root with BEAM_TS_CACHE).
import { spawn } from "node:child_process";
import { existsSync, mkdirSync, rmSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { cacheDir } from "../runners/job-services.mjs";

/** Pinned so that the models the tests write are the same on every machine. */
export const ONNX_VERSION = "1.23.2";
export const ONNXRUNTIME_VERSION = "1.32.0";

/** Path of a python with onnx, onnxruntime and numpy (created on first use; a marker records a finished install). */
export async function ensurePythonOnnx({ python = process.env.BEAM_TS_PYTHON ?? "python3" } = {}) {
  const dir = join(cacheDir(), "python", `onnx-${ONNX_VERSION}`);
  const bin = join(dir, "bin", "python");
  const marker = join(dir, ".installed");
  if (existsSync(marker) && existsSync(bin)) return bin;
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  await run(python, ["-m", "venv", dir]);
  await run(bin, ["-m", "pip", "install", "--disable-pip-version-check", "-q", `onnx==${ONNX_VERSION}`, `onnxruntime==${ONNXRUNTIME_VERSION}`, "numpy"]);
  writeFileSync(marker, `onnx==${ONNX_VERSION} onnxruntime==${ONNXRUNTIME_VERSION}\n`);
  return bin;
}

/** Runs a command to its end; rejects with its output when it fails. */
export function run(cmd, args, input) {
  return new Promise((res, rej) => {
    const child = spawn(cmd, args, { stdio: ["pipe", "pipe", "pipe"] });
    let out = "";
    let err = "";
    child.stdout.on("data", (d) => (out += d));
    child.stderr.on("data", (d) => (err += d));
    child.once("error", rej);
    child.once("close", (code) => (code === 0 ? res(out) : rej(new Error(`${cmd} ${args.join(" ")} failed (exit ${code}):\n${err.slice(-3000)}`))));
    child.stdin.end(input ?? "");
  });
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  ensurePythonOnnx().then(
    (bin) => console.log(bin),
    (err) => {
      console.error(err);
      process.exit(1);
    },
  );
}
