#!/usr/bin/env node
/* global process, console, setTimeout, clearTimeout, URL */
// Starts a throwaway Cloud Storage emulator for tests: fake-gcs-server
// (github.com/fsouza/fake-gcs-server, pinned), built with `go install` from the Go module
// proxy and cached (ensureGoBinary of tools/runners/job-services.mjs), serving plain HTTP on
// 127.0.0.1 at a free port, its objects in a temporary folder removed on stop.
//
//   node tools/servers/gcs.mjs      # starts one, prints its endpoint, stops on Ctrl-C
//
// Clients reach it with apiEndpoint http://127.0.0.1:<port> (or STORAGE_EMULATOR_HOST); it
// checks no credentials.
import { spawn } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { canConnect, ensureGoBinary, freePort } from "../runners/job-services.mjs";

const HOST = "127.0.0.1";

/** The fake-gcs-server release built (the newest on the Go module proxy on 2026-12-07). */
export const FAKE_GCS_SERVER_VERSION = process.env.BEAM_TS_FAKE_GCS_SERVER_VERSION ?? "v1.56.1";

/** The fake-gcs-server binary: $BEAM_TS_FAKE_GCS_SERVER, or one built into the cache on first use (about 1-2 min). */
export function fakeGcsServerBin() {
  if (process.env.BEAM_TS_FAKE_GCS_SERVER) return Promise.resolve(process.env.BEAM_TS_FAKE_GCS_SERVER);
  return ensureGoBinary({ name: "fake-gcs-server", pkg: "github.com/fsouza/fake-gcs-server", version: FAKE_GCS_SERVER_VERSION });
}

/**
 * Starts fake-gcs-server. Resolves when it accepts connections (well under a second once built).
 *
 * @returns {Promise<{ host: string, port: number, endpoint: string, pid: number, stop: () => Promise<void> }>}
 */
export async function startGcs() {
  const bin = await fakeGcsServerBin();
  const dir = mkdtempSync(join(tmpdir(), "beam-ts-gcs-"));
  const port = await freePort();
  const endpoint = `http://${HOST}:${port}`;
  const child = spawn(
    bin,
    [
      "-scheme", "http",
      "-host", HOST,
      "-port", String(port),
      "-backend", "filesystem",
      "-filesystem-root", join(dir, "storage"),
      // Resumable uploads continue at the Location the server returns: this server, not Google's.
      "-external-url", endpoint,
      "-public-host", `${HOST}:${port}`,
      "-log-level", "warn",
    ],
    { stdio: ["ignore", "pipe", "pipe"] },
  );
  let log = "";
  const collect = (chunk) => {
    if (log.length < 20_000) log += chunk.toString();
  };
  child.stdout.on("data", collect);
  child.stderr.on("data", collect);
  let exitedEarly = false;
  const exited = new Promise((resolve) =>
    child.once("exit", (code, signal) => {
      exitedEarly = true;
      resolve(code ?? signal);
    }),
  );
  const deadline = Date.now() + 30_000;
  while (!(await canConnect(port, HOST, 500))) {
    if (exitedEarly || Date.now() > deadline) {
      child.kill("SIGKILL");
      rmSync(dir, { recursive: true, force: true });
      throw new Error(`fake-gcs-server did not start on ${HOST}:${port}${exitedEarly ? " (it exited)" : " within 30 s"}:\n${log}`);
    }
    await new Promise((r) => setTimeout(r, 50));
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
  return { host: HOST, port, endpoint, pid: child.pid, stop };
}

if (process.argv[1] && import.meta.url === new URL(`file://${process.argv[1]}`).href) {
  const server = await startGcs();
  console.log(`Cloud Storage emulator (fake-gcs-server) at ${server.endpoint} (pid ${server.pid}); Ctrl-C stops it.`);
  const done = () => void server.stop().then(() => process.exit(0));
  process.once("SIGINT", done);
  process.once("SIGTERM", done);
}
