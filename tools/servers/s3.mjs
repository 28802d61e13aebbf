#!/usr/bin/env node
/* global process, console, setTimeout, clearTimeout, URL */
// Starts a throwaway S3-compatible server for tests: moto's server mode (PyPI `moto[server]`,
// pinned), listening on 127.0.0.1 at a free port. moto keeps buckets and objects in memory;
// large object bodies spill to temporary files, which go to a temporary folder of their own
// (TMPDIR), removed on stop.
//
//   node tools/servers/s3.mjs      # starts one, prints its endpoint, stops on Ctrl-C
//
// moto accepts any access key and secret; tests still pass S3_TEST_SECRET_ACCESS_KEY so
// that they can check the secret never appears in an error or a log.
import { spawn } from "node:child_process";
import { createWriteStream, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { once } from "node:events";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { cacheDir, canConnect, freePort } from "../runners/job-services.mjs";

const HOST = "127.0.0.1";

/** The moto release installed (the newest on PyPI on 2026-12-07). */
export const MOTO_VERSION = process.env.BEAM_TS_MOTO_VERSION ?? "5.2.5";

/** The region, access key id and secret tests use against moto (moto checks none of them). */
export const S3_TEST_REGION = "us-east-1";
export const S3_TEST_ACCESS_KEY_ID = "beam-ts-test-key";
export const S3_TEST_SECRET_ACCESS_KEY = "beam-ts-s3-test-secret-do-not-log";

/**
 * Path of `moto_server` in a venv under the cache (`<cache>/python/moto-<version>/`):
 * `python3 -m venv` plus `pip install moto[server]==<version>` on first use (about 1 min); a
 * marker file records a finished install and a half-made venv is rebuilt. $BEAM_TS_MOTO_SERVER
 * names a binary instead.
 */
export async function motoServerBin({ version = MOTO_VERSION, python = process.env.BEAM_TS_PYTHON ?? "python3" } = {}) {
  if (process.env.BEAM_TS_MOTO_SERVER) return process.env.BEAM_TS_MOTO_SERVER;
  const dir = join(cacheDir(), "python", `moto-${version}`);
  const bin = join(dir, "bin", "moto_server");
  const marker = join(dir, ".installed");
  if (existsSync(marker) && existsSync(bin)) return bin;
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(join(cacheDir(), "logs"), { recursive: true });
  const logFile = join(cacheDir(), "logs", `pip-moto-${version}-${Date.now()}.log`);
  await run(python, ["-m", "venv", dir], logFile);
  await run(join(dir, "bin", "python"), ["-m", "pip", "install", "--disable-pip-version-check", `moto[server]==${version}`], logFile);
  writeFileSync(marker, `moto[server]==${version}\n`);
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

/**
 * Starts moto's S3 server. Resolves when it accepts connections (about 1-2 s once installed).
 *
 * @returns {Promise<{ host: string, port: number, endpoint: string, region: string, accessKeyId: string, secretAccessKey: string, pid: number, stop: () => Promise<void> }>}
 */
export async function startS3() {
  const bin = await motoServerBin();
  const dir = mkdtempSync(join(tmpdir(), "beam-ts-s3-"));
  const port = await freePort();
  const child = spawn(bin, ["-H", HOST, "-p", String(port)], {
    // TMPDIR: where moto spools large object bodies; removed with the folder on stop.
    env: { ...process.env, TMPDIR: dir, MOTO_ALLOW_NONEXISTENT_REGION: "true" },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let log = "";
  const collect = (chunk) => {
    // moto logs every request; keep only the start, for the error message when it fails to start.
    if (log.length < 20_000) log += chunk.toString();
  };
  child.stdout.on("data", collect);
  child.stderr.on("data", collect);
  let exitedEarly = false;
  const exited = new Promise((resolve) => child.once("exit", (code, signal) => {
    exitedEarly = true;
    resolve(code ?? signal);
  }));
  const deadline = Date.now() + 60_000;
  while (!(await canConnect(port, HOST, 500))) {
    if (exitedEarly || Date.now() > deadline) {
      child.kill("SIGKILL");
      rmSync(dir, { recursive: true, force: true });
      throw new Error(`moto_server did not start on ${HOST}:${port}${exitedEarly ? " (it exited)" : " within 60 s"}:\n${log}`);
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  const stop = async () => {
    if (child.exitCode === null && child.signalCode === null) {
      process.kill(child.pid, "SIGTERM");
      const timer = setTimeout(() => child.kill("SIGKILL"), 10_000);
      await exited;
      clearTimeout(timer);
    }
    rmSync(dir, { recursive: true, force: true });
  };
  return {
    host: HOST,
    port,
    endpoint: `http://${HOST}:${port}`,
    region: S3_TEST_REGION,
    accessKeyId: S3_TEST_ACCESS_KEY_ID,
    secretAccessKey: S3_TEST_SECRET_ACCESS_KEY,
    pid: child.pid,
    stop,
  };
}

if (process.argv[1] && import.meta.url === new URL(`file://${process.argv[1]}`).href) {
  const server = await startS3();
  console.log(`S3 (moto) at ${server.endpoint} (pid ${server.pid}); Ctrl-C stops it.`);
  const done = () => void server.stop().then(() => process.exit(0));
  process.once("SIGINT", done);
  process.once("SIGTERM", done);
}
