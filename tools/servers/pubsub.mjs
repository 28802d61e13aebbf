#!/usr/bin/env node
/* global process, console, setTimeout, clearTimeout, URL */
// Starts a throwaway Pub/Sub fake for tests: Google's in-memory `pstest` server
// (cloud.google.com/go/pubsub/v2/pstest, which has no command of its own) run by the tiny Go
// main in tools/servers/pstest/, built with `go build` from the Go module proxy and cached
// (ensureGoBuild of tools/runners/job-services.mjs), listening on 127.0.0.1 at a free port.
// Clients reach it through PUBSUB_EMULATOR_HOST=127.0.0.1:<port> (plaintext gRPC, no auth).
//
//   node tools/servers/pubsub.mjs      # starts one, prints its address, stops on Ctrl-C
//
// Nothing is persisted: topics, subscriptions and messages live in the process's memory.
import { spawn } from "node:child_process";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { ensureGoBuild, freePort } from "../runners/job-services.mjs";

const HOST = "127.0.0.1";
const HERE = dirname(fileURLToPath(import.meta.url));

/** The pstest binary: $BEAM_TS_PSTEST, or one built from tools/servers/pstest into the cache on first use (about 1 min). */
export function pstestBin() {
  if (process.env.BEAM_TS_PSTEST) return Promise.resolve(process.env.BEAM_TS_PSTEST);
  return ensureGoBuild({ name: "pstest", dir: join(HERE, "pstest") });
}

/**
 * Starts the pstest fake. Resolves when it listens (a few milliseconds once built).
 *
 * @returns {Promise<{ host: string, port: number, emulatorHost: string, pid: number, stop: () => Promise<void> }>}
 */
export async function startPubSub() {
  const bin = await pstestBin();
  const port = await freePort();
  const child = spawn(bin, ["-port", String(port)], { stdio: ["ignore", "pipe", "pipe"] });
  let log = "";
  const exited = new Promise((resolve) => child.once("exit", resolve));
  await new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`pstest did not start within 20 s:\n${log}`)), 20_000);
    const onData = (chunk) => {
      log += chunk.toString();
      if (log.includes("pstest listening on")) {
        clearTimeout(timer);
        resolve();
      }
    };
    child.stdout.on("data", onData);
    child.stderr.on("data", onData);
    child.once("exit", (code, signal) => {
      clearTimeout(timer);
      reject(new Error(`pstest exited at start (${code ?? signal}):\n${log}`));
    });
  }).catch((err) => {
    child.kill("SIGKILL");
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
  };
  return { host: HOST, port, emulatorHost: `${HOST}:${port}`, pid: child.pid, stop };
}

if (process.argv[1] && import.meta.url === new URL(`file://${process.argv[1]}`).href) {
  const server = await startPubSub();
  console.log(`Pub/Sub fake (pstest) at PUBSUB_EMULATOR_HOST=${server.emulatorHost} (pid ${server.pid}); Ctrl-C stops it.`);
  const done = () => void server.stop().then(() => process.exit(0));
  process.once("SIGINT", done);
  process.once("SIGTERM", done);
}
