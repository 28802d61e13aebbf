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
// Nothing is persisted: topics, subscriptions and messages live in the process's memory, so
// after `kill` and `restart` (same port) the fake is empty: make topics and subscriptions again.
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
 * Starts the pstest fake. Resolves when it listens (a few milliseconds once built). `kill`
 * then `restart` brings it back on the same port, empty: what a fake that goes away mid-job
 * looks like (the real service does not lose its state).
 *
 * @returns {Promise<{ host: string, port: number, emulatorHost: string, pid: number, stop: () => Promise<void>, kill: (signal?: NodeJS.Signals) => Promise<void>, restart: () => Promise<void> }>}
 */
export async function startPubSub() {
  const bin = await pstestBin();
  const port = await freePort();
  let child;
  let exited;
  /** Spawns the fake on `port` and waits until it listens. */
  const launch = async () => {
    child = spawn(bin, ["-port", String(port)], { stdio: ["ignore", "pipe", "pipe"] });
    const started = child;
    let log = "";
    exited = new Promise((resolve) => started.once("exit", resolve));
    await new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`pstest did not start within 20 s:\n${log}`)), 20_000);
      const onData = (chunk) => {
        log += chunk.toString();
        if (log.includes("pstest listening on")) {
          clearTimeout(timer);
          resolve();
        }
      };
      started.stdout.on("data", onData);
      started.stderr.on("data", onData);
      started.once("exit", (code, signal) => {
        clearTimeout(timer);
        reject(new Error(`pstest exited at start (${code ?? signal}):\n${log}`));
      });
    }).catch((err) => {
      started.kill("SIGKILL");
      throw err;
    });
    started.stdout.resume();
    started.stderr.resume();
  };
  await launch();
  /** Ends the fake by `signal` (SIGKILL after 10 s) and waits; everything it held is gone. */
  const kill = async (signal = "SIGTERM") => {
    if (child.exitCode === null && child.signalCode === null) {
      process.kill(child.pid, signal);
      const timer = setTimeout(() => child.kill("SIGKILL"), 10_000);
      await exited;
      clearTimeout(timer);
    }
  };
  const server = {
    host: HOST,
    port,
    emulatorHost: `${HOST}:${port}`,
    pid: child.pid,
    stop: () => kill("SIGTERM"),
    kill,
    /** Starts the killed fake again on the same port, empty. */
    restart: async () => {
      await launch();
      server.pid = child.pid;
    },
  };
  return server;
}

if (process.argv[1] && import.meta.url === new URL(`file://${process.argv[1]}`).href) {
  const server = await startPubSub();
  console.log(`Pub/Sub fake (pstest) at PUBSUB_EMULATOR_HOST=${server.emulatorHost} (pid ${server.pid}); Ctrl-C stops it.`);
  const done = () => void server.stop().then(() => process.exit(0));
  process.once("SIGINT", done);
  process.once("SIGTERM", done);
}
