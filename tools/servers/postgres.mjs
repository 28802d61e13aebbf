#!/usr/bin/env node
/* global process, console, setTimeout, clearTimeout, URL */
// Starts a throwaway PostgreSQL server for tests and benchmarks: Debian's `postgresql`
// binaries, a fresh cluster in a temporary folder, listening on 127.0.0.1 at a free port.
//
//   node tools/servers/postgres.mjs      # starts one, prints its URL, stops on Ctrl-C
//
// The superuser `postgres` has the password POSTGRES_TEST_PASSWORD over TCP (scram-sha-256),
// so tests go through password authentication. PostgreSQL refuses to run as root: as root
// the cluster is owned by, and the server runs as, the `postgres` user Debian's package
// creates. Durability is off (fsync, synchronous_commit): a test server, never for data.
import { execFileSync, spawn } from "node:child_process";
import { chmodSync, chownSync, copyFileSync, existsSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";

const HOST = "127.0.0.1";

/** The password of the test cluster's superuser `postgres`. */
export const POSTGRES_TEST_PASSWORD = "beam-ts-test-password";

/** The folder of initdb and postgres: $BEAM_TS_POSTGRES_BIN, `pg_config --bindir`, or the newest /usr/lib/postgresql/N/bin. */
export function postgresBinDir() {
  const fromEnv = process.env.BEAM_TS_POSTGRES_BIN;
  if (fromEnv) return fromEnv;
  const root = "/usr/lib/postgresql";
  if (existsSync(root)) {
    const versions = readdirSync(root)
      .filter((v) => existsSync(join(root, v, "bin", "initdb")))
      .sort((a, b) => Number(b) - Number(a));
    if (versions.length > 0) return join(root, versions[0], "bin");
  }
  try {
    const dir = execFileSync("pg_config", ["--bindir"], { encoding: "utf8" }).trim();
    if (existsSync(join(dir, "initdb"))) return dir;
  } catch {
    // no pg_config: fall through
  }
  throw new Error(
    "PostgreSQL's initdb was not found (looked in /usr/lib/postgresql/*/bin and `pg_config --bindir`). " +
      "Install Debian's postgresql package (`apt-get install postgresql`; .ci/run does it) or set BEAM_TS_POSTGRES_BIN.",
  );
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

/** uid/gid to run as: ours, or the `postgres` user's when we are root. */
function runAs() {
  if (process.getuid?.() !== 0) return {};
  try {
    const uid = Number(execFileSync("id", ["-u", "postgres"], { encoding: "utf8" }).trim());
    const gid = Number(execFileSync("id", ["-g", "postgres"], { encoding: "utf8" }).trim());
    return { uid, gid };
  } catch {
    throw new Error("PostgreSQL refuses to run as root and there is no `postgres` user to run it as (Debian's postgresql package creates one).");
  }
}

/**
 * Starts a PostgreSQL server in a new temporary data folder. Resolves when it accepts
 * connections (about a second: initdb without sync, then start-up). With `ssl` (PEM files)
 * it also accepts TLS connections (`ssl=on`). `kill` then `restart` brings it back on the
 * same port and data folder: what a server that goes away mid-job looks like.
 *
 * @param {{ ssl?: { certFile: string, keyFile: string } }} [options]
 * @returns {Promise<{ host: string, port: number, user: string, password: string, database: string, url: string, pid: number, stop: () => Promise<void>, kill: (signal?: NodeJS.Signals) => Promise<void>, restart: () => Promise<void> }>}
 */
export async function startPostgres(options = {}) {
  const bin = postgresBinDir();
  const owner = runAs();
  const dir = mkdtempSync(join(tmpdir(), "beam-ts-postgres-"));
  const data = join(dir, "data");
  const pwfile = join(dir, "pwfile");
  writeFileSync(pwfile, `${POSTGRES_TEST_PASSWORD}\n`);
  if (owner.uid !== undefined) {
    chownSync(dir, owner.uid, owner.gid);
    chownSync(pwfile, owner.uid, owner.gid);
  }
  try {
    execFileSync(
      join(bin, "initdb"),
      ["-D", data, "-U", "postgres", "--pwfile", pwfile, "--auth-local=trust", "--auth-host=scram-sha-256", "-E", "UTF8", "--locale=C", "--no-sync", "--no-instructions"],
      { ...owner, cwd: dir, stdio: ["ignore", "pipe", "pipe"] },
    );
  } catch (err) {
    rmSync(dir, { recursive: true, force: true });
    throw new Error(`initdb failed: ${err.stderr?.toString() ?? err.message}`);
  }
  const port = await freePort();
  // With `ssl`, the server certificate and key are copied into the folder: PostgreSQL
  // refuses a key file that others can read or that its user does not own.
  const ssl = [];
  if (options.ssl) {
    const cert = join(dir, "server.crt");
    const key = join(dir, "server.key");
    copyFileSync(options.ssl.certFile, cert);
    copyFileSync(options.ssl.keyFile, key);
    chmodSync(key, 0o600);
    if (owner.uid !== undefined) {
      chownSync(cert, owner.uid, owner.gid);
      chownSync(key, owner.uid, owner.gid);
    }
    ssl.push("-c", "ssl=on", "-c", `ssl_cert_file=${cert}`, "-c", `ssl_key_file=${key}`);
  }
  const args = [
    "-D", data, "-p", String(port), "-k", dir,
    "-c", `listen_addresses=${HOST}`, "-c", "fsync=off", "-c", "synchronous_commit=off",
    "-c", "full_page_writes=off", "-c", "max_connections=200", "-c", "shared_buffers=64MB",
    ...ssl,
  ];
  let child;
  let exited;
  /** Spawns postgres on the data folder and waits until it accepts connections. */
  const launch = async () => {
    child = spawn(join(bin, "postgres"), args, { ...owner, cwd: dir, stdio: ["ignore", "ignore", "pipe"] });
    const started = child;
    let log = "";
    exited = new Promise((resolve) => started.once("exit", resolve));
    await new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`PostgreSQL did not start within 30 s:\n${log}`)), 30_000);
      started.stderr.on("data", (chunk) => {
        log += chunk.toString();
        if (log.includes("ready to accept connections")) {
          clearTimeout(timer);
          resolve();
        }
      });
      started.once("exit", (code, signal) => {
        clearTimeout(timer);
        reject(new Error(`PostgreSQL exited at start (${code ?? signal}):\n${log}`));
      });
    });
    started.stderr.resume();
  };
  await launch().catch((err) => {
    child.kill("SIGKILL");
    rmSync(dir, { recursive: true, force: true });
    throw err;
  });
  /**
   * Ends the postmaster by `signal` and waits for it; the data folder stays (for `restart`).
   * SIGINT is PostgreSQL's fast shutdown (sessions ended, nothing waits); SIGKILL a crash,
   * which the next start recovers from its WAL.
   */
  const kill = async (signal = "SIGINT") => {
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
    user: "postgres",
    password: POSTGRES_TEST_PASSWORD,
    database: "postgres",
    url: `postgresql://postgres:${encodeURIComponent(POSTGRES_TEST_PASSWORD)}@${HOST}:${port}/postgres`,
    pid: child.pid,
    stop: async () => {
      await kill("SIGINT");
      rmSync(dir, { recursive: true, force: true });
    },
    kill,
    /** Starts the killed server again on the same port and data folder. */
    restart: async () => {
      await launch();
      server.pid = child.pid;
    },
  };
  return server;
}

if (process.argv[1] && import.meta.url === new URL(`file://${process.argv[1]}`).href) {
  const server = await startPostgres();
  console.log(`PostgreSQL ${server.url} (pid ${server.pid}); Ctrl-C stops it and removes its data.`);
  const done = () => void server.stop().then(() => process.exit(0));
  process.once("SIGINT", done);
  process.once("SIGTERM", done);
}
