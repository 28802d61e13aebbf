#!/usr/bin/env node
/* global process, console, setTimeout, clearTimeout, URL */
// Starts a throwaway NATS server with JetStream for tests and benchmarks: nats-server built
// from the Go module proxy (cached like Prism, tools/runners/job-services.mjs), listening on
// 127.0.0.1 at a free port, its JetStream store a new temporary folder.
//
//   node tools/servers/nats.mjs      # starts one, prints its URL, stops on Ctrl-C
//
// It asks for the user NATS_TEST_USER with NATS_TEST_PASSWORD, so tests go through
// authentication.
import { spawn } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ensureGoBinary, freePort } from "../runners/job-services.mjs";

const HOST = "127.0.0.1";

/** The nats-server version built from the Go module proxy ($BEAM_TS_NATS_VERSION overrides). */
export const NATS_SERVER_VERSION = process.env.BEAM_TS_NATS_VERSION ?? "v2.15.3";
/** The user and password of the test server. */
export const NATS_TEST_USER = "beam";
export const NATS_TEST_PASSWORD = "beam-ts-nats-test-password";

/** The nats-server binary: $BEAM_TS_NATS_SERVER, or one built with `go install` into the cache on first use (about 1.5 min). */
export function natsServerBin() {
  if (process.env.BEAM_TS_NATS_SERVER) return Promise.resolve(process.env.BEAM_TS_NATS_SERVER);
  return ensureGoBinary({ name: "nats-server", pkg: "github.com/nats-io/nats-server/v2", version: NATS_SERVER_VERSION });
}

/**
 * Starts nats-server with JetStream (`-js`) in a new temporary folder. Resolves when it
 * accepts connections (about 50 ms once built).
 *
 * @returns {Promise<{ host: string, port: number, user: string, password: string, url: string, pid: number, stop: () => Promise<void> }>}
 */
export async function startNats() {
  const bin = await natsServerBin();
  const dir = mkdtempSync(join(tmpdir(), "beam-ts-nats-"));
  const port = await freePort();
  const child = spawn(
    bin,
    ["-a", HOST, "-p", String(port), "-js", "-sd", dir, "--user", NATS_TEST_USER, "--pass", NATS_TEST_PASSWORD, "-n", `beam-ts-test-${port}`],
    { cwd: dir, stdio: ["ignore", "pipe", "pipe"] },
  );
  let log = "";
  const exited = new Promise((resolve) => child.once("exit", resolve));
  await new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`nats-server did not start within 20 s:\n${log}`)), 20_000);
    const onData = (chunk) => {
      log += chunk.toString();
      if (log.includes("Server is ready")) {
        clearTimeout(timer);
        resolve();
      }
    };
    child.stdout.on("data", onData);
    child.stderr.on("data", onData);
    child.once("exit", (code, signal) => {
      clearTimeout(timer);
      reject(new Error(`nats-server exited at start (${code ?? signal}):\n${log}`));
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
    user: NATS_TEST_USER,
    password: NATS_TEST_PASSWORD,
    url: `nats://${HOST}:${port}`,
    pid: child.pid,
    stop,
  };
}

if (process.argv[1] && import.meta.url === new URL(`file://${process.argv[1]}`).href) {
  const server = await startNats();
  console.log(`NATS ${server.url} user ${server.user} (pid ${server.pid}); Ctrl-C stops it and removes its folder.`);
  const done = () => void server.stop().then(() => process.exit(0));
  process.once("SIGINT", done);
  process.once("SIGTERM", done);
}
