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
 * (a few milliseconds). With `tls` (PEM file paths) it listens with TLS only. With `persist`
 * it keeps its data in an append-only file synced at every write, so `kill` then `restart`
 * (same port, same folder) finds it again: what a server that goes away mid-job looks like.
 *
 * @param {{ tls?: { certFile: string, keyFile: string, caFile: string }, persist?: boolean }} [options]
 * @returns {Promise<{ host: string, port: number, password: string, url: string, pid: number, stop: () => Promise<void>, kill: (signal?: NodeJS.Signals) => Promise<void>, restart: () => Promise<void> }>}
 */
export async function startRedis(options = {}) {
  const bin = redisServerBin();
  const dir = mkdtempSync(join(tmpdir(), "beam-ts-redis-"));
  const port = await freePort();
  const { tls, persist = false } = options;
  const listen = tls
    ? ["--port", "0", "--tls-port", String(port), "--tls-cert-file", tls.certFile, "--tls-key-file", tls.keyFile, "--tls-ca-cert-file", tls.caFile, "--tls-auth-clients", "no"]
    : ["--port", String(port)];
  const durability = persist ? ["--appendonly", "yes", "--appendfsync", "always"] : ["--appendonly", "no"];
  const args = [
    "--bind", HOST, ...listen, "--dir", dir,
    "--save", "", ...durability, "--daemonize", "no",
    "--requirepass", REDIS_TEST_PASSWORD, "--logfile", "", "--loglevel", "notice",
    // 32 databases: test files running at once each flush their own (test/io/redis*.test.ts: 0-15, 16-17).
    "--databases", "32",
  ];
  let child;
  let exited;
  /** Spawns redis-server with `args` and waits until it is ready. */
  const launch = async () => {
    child = spawn(bin, args, { cwd: dir, stdio: ["ignore", "pipe", "pipe"] });
    const started = child;
    let log = "";
    exited = new Promise((resolve) => started.once("exit", resolve));
    await new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`redis-server did not start within 20 s:\n${log}`)), 20_000);
      const onData = (chunk) => {
        log += chunk.toString();
        if (log.includes("Ready to accept connections")) {
          clearTimeout(timer);
          resolve();
        }
      };
      started.stdout.on("data", onData);
      started.stderr.on("data", onData);
      started.once("exit", (code, signal) => {
        clearTimeout(timer);
        reject(new Error(`redis-server exited at start (${code ?? signal}):\n${log}`));
      });
    });
    started.stdout.resume();
    started.stderr.resume();
  };
  await launch().catch((err) => {
    child.kill("SIGKILL");
    rmSync(dir, { recursive: true, force: true });
    throw err;
  });
  /** Ends the server's process by `signal` and waits for it; the folder stays (for `restart`). */
  const kill = async (signal = "SIGTERM") => {
    if (child.exitCode === null && child.signalCode === null) {
      // SIGTERM: redis-server shuts down at once (with `persist`, after flushing its file).
      process.kill(child.pid, signal);
      const timer = setTimeout(() => child.kill("SIGKILL"), 10_000);
      await exited;
      clearTimeout(timer);
    }
  };
  const server = {
    host: HOST,
    port,
    password: REDIS_TEST_PASSWORD,
    url: `${tls ? "rediss" : "redis"}://:${encodeURIComponent(REDIS_TEST_PASSWORD)}@${HOST}:${port}`,
    pid: child.pid,
    stop: async () => {
      await kill("SIGTERM");
      rmSync(dir, { recursive: true, force: true });
    },
    kill,
    /** Starts the killed server again on the same port with the same folder. */
    restart: async () => {
      await launch();
      server.pid = child.pid;
    },
  };
  return server;
}

if (process.argv[1] && import.meta.url === new URL(`file://${process.argv[1]}`).href) {
  const server = await startRedis();
  console.log(`Redis ${server.url} (pid ${server.pid}); Ctrl-C stops it and removes its folder.`);
  const done = () => void server.stop().then(() => process.exit(0));
  process.once("SIGINT", done);
  process.once("SIGTERM", done);
}
