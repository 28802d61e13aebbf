#!/usr/bin/env node
/* global process, console, setTimeout, clearTimeout, URL */
// Starts a throwaway Redis server for tests and benchmarks: Debian's `redis-server`,
// listening on 127.0.0.1 at a free port, its working folder a new temporary folder.
//
//   node tools/servers/redis.mjs      # starts one, prints its URL, stops on Ctrl-C
//
// Nothing is persisted (`--save ""`, `--appendonly no`): a test server, never for data. It
// asks for the password REDIS_TEST_PASSWORD, so tests go through authentication.
import { execFileSync, spawn } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";

const HOST = "127.0.0.1";

/** The password (`requirepass`) of the test server. */
export const REDIS_TEST_PASSWORD = "beam-ts-redis-test-password";

/** The redis-server binary: $BEAM_TS_REDIS_SERVER, or `redis-server` on the PATH. */
export function redisServerBin() {
  const bin = process.env.BEAM_TS_REDIS_SERVER ?? "redis-server";
  try {
    execFileSync(bin, ["--version"], { stdio: "ignore" });
  } catch {
    throw new Error(
      `${bin} was not found. Install Debian's redis-server package (\`apt-get install redis-server\`; .ci/run does it) ` +
        "or set BEAM_TS_REDIS_SERVER to the binary.",
    );
  }
  return bin;
}

function freePort() {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once("error", reject);
    server.listen(0, HOST, () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });
}

/**
 * Starts redis-server in a new temporary folder. Resolves when it accepts connections
 * (a few milliseconds). With `tls` (PEM file paths) it listens with TLS only.
 *
 * @param {{ tls?: { certFile: string, keyFile: string, caFile: string } }} [options]
 * @returns {Promise<{ host: string, port: number, password: string, url: string, pid: number, stop: () => Promise<void> }>}
 */
export async function startRedis(options = {}) {
  const bin = redisServerBin();
  const dir = mkdtempSync(join(tmpdir(), "beam-ts-redis-"));
  const port = await freePort();
  const { tls } = options;
  const listen = tls
    ? ["--port", "0", "--tls-port", String(port), "--tls-cert-file", tls.certFile, "--tls-key-file", tls.keyFile, "--tls-ca-cert-file", tls.caFile, "--tls-auth-clients", "no"]
    : ["--port", String(port)];
  const child = spawn(
    bin,
    [
      "--bind", HOST, ...listen, "--dir", dir,
      "--save", "", "--appendonly", "no", "--daemonize", "no",
      "--requirepass", REDIS_TEST_PASSWORD, "--logfile", "", "--loglevel", "notice",
      // 32 databases: test files running at once each flush their own (test/io/redis*.test.ts: 0-15, 16-17).
      "--databases", "32",
    ],
    { cwd: dir, stdio: ["ignore", "pipe", "pipe"] },
  );
  let log = "";
  const exited = new Promise((resolve) => child.once("exit", resolve));
  await new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`redis-server did not start within 20 s:\n${log}`)), 20_000);
    const onData = (chunk) => {
      log += chunk.toString();
      if (log.includes("Ready to accept connections")) {
        clearTimeout(timer);
        resolve();
      }
    };
    child.stdout.on("data", onData);
    child.stderr.on("data", onData);
    child.once("exit", (code, signal) => {
      clearTimeout(timer);
      reject(new Error(`redis-server exited at start (${code ?? signal}):\n${log}`));
    });
  }).catch((err) => {
    child.kill("SIGKILL");
    rmSync(dir, { recursive: true, force: true });
    throw err;
  });
  child.stdout.resume();
  child.stderr.resume();
  const stop = async () => {
    if (child.exitCode === null && child.signalCode === null) {
      // SIGTERM: redis-server shuts down at once (nothing to save).
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
    password: REDIS_TEST_PASSWORD,
    url: `${tls ? "rediss" : "redis"}://:${encodeURIComponent(REDIS_TEST_PASSWORD)}@${HOST}:${port}`,
    pid: child.pid,
    stop,
  };
}

if (process.argv[1] && import.meta.url === new URL(`file://${process.argv[1]}`).href) {
  const server = await startRedis();
  console.log(`Redis ${server.url} (pid ${server.pid}); Ctrl-C stops it and removes its folder.`);
  const done = () => void server.stop().then(() => process.exit(0));
  process.once("SIGINT", done);
  process.once("SIGTERM", done);
}
