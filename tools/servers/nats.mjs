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
 * accepts connections (about 50 ms once built). `kill` then `restart` brings it back on the
 * same port with the same store: what a server that goes away mid-job looks like.
 *
 * @param {{ tls?: { certFile: string, keyFile: string } }} [options] with `tls`, clients must connect with TLS
 * @returns {Promise<{ host: string, port: number, user: string, password: string, url: string, pid: number, stop: () => Promise<void>, kill: (signal?: NodeJS.Signals) => Promise<void>, restart: () => Promise<void> }>}
 */
export async function startNats(options = {}) {
  const bin = await natsServerBin();
  const dir = mkdtempSync(join(tmpdir(), "beam-ts-nats-"));
  const port = await freePort();
  const tls = options.tls ? ["--tls", "--tlscert", options.tls.certFile, "--tlskey", options.tls.keyFile] : [];
  const args = ["-a", HOST, "-p", String(port), "-js", "-sd", dir, "--user", NATS_TEST_USER, "--pass", NATS_TEST_PASSWORD, "-n", `beam-ts-test-${port}`, ...tls];
  let child;
  let exited;
  /** Spawns nats-server with `args` and waits until it is ready. */
  const launch = async () => {
    child = spawn(bin, args, { cwd: dir, stdio: ["ignore", "pipe", "pipe"] });
    const started = child;
    let log = "";
    exited = new Promise((resolve) => started.once("exit", resolve));
    await new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`nats-server did not start within 20 s:\n${log}`)), 20_000);
      const onData = (chunk) => {
        log += chunk.toString();
        if (log.includes("Server is ready")) {
          clearTimeout(timer);
          resolve();
        }
      };
      started.stdout.on("data", onData);
      started.stderr.on("data", onData);
      started.once("exit", (code, signal) => {
        clearTimeout(timer);
        reject(new Error(`nats-server exited at start (${code ?? signal}):\n${log}`));
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
  /** Ends the process by `signal` and waits for it; the store stays (for `restart`). */
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
    user: NATS_TEST_USER,
    password: NATS_TEST_PASSWORD,
    url: `${options.tls ? "tls" : "nats"}://${HOST}:${port}`,
    pid: child.pid,
    stop: async () => {
      await kill("SIGTERM");
      rmSync(dir, { recursive: true, force: true });
    },
    kill,
    /** Starts the killed server again on the same port and store. */
    restart: async () => {
      await launch();
      server.pid = child.pid;
    },
  };
  return server;
}

if (process.argv[1] && import.meta.url === new URL(`file://${process.argv[1]}`).href) {
  const server = await startNats();
  console.log(`NATS ${server.url} user ${server.user} (pid ${server.pid}); Ctrl-C stops it and removes its folder.`);
  const done = () => void server.stop().then(() => process.exit(0));
  process.once("SIGINT", done);
  process.once("SIGTERM", done);
}
