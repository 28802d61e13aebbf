#!/usr/bin/env node
/* global process, console, setTimeout, clearTimeout, URL */
// Starts a throwaway RabbitMQ broker for tests and benchmarks: Debian's `rabbitmq-server`
// (which needs Erlang; `apt-get install rabbitmq-server`, as .ci/run does), its AMQP listener
// on 127.0.0.1 at a free port, its node name, Erlang distribution port and epmd port its own,
// its database (mnesia), logs, config and Erlang cookie in a new temporary folder.
//
//   node tools/servers/rabbitmq.mjs      # starts one, prints its URL, stops on Ctrl-C
//
// It has one user, RABBITMQ_TEST_USER with RABBITMQ_TEST_PASSWORD, so tests go through
// authentication; no plugins. With `tls`, it also has an amqps listener on a second free port
// (`tlsPort`, `tlsUrl`) with the given PEM files; clients are not asked for certificates.
import { execFileSync, spawn } from "node:child_process";
import { existsSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { freePort } from "../runners/job-services.mjs";

const HOST = "127.0.0.1";

/** The user and password of the test broker. */
export const RABBITMQ_TEST_USER = "beam";
export const RABBITMQ_TEST_PASSWORD = "beam-ts-rabbitmq-test-password";

/**
 * The rabbitmq-server script: $BEAM_TS_RABBITMQ_SERVER, or Debian's. Debian's
 * /usr/sbin/rabbitmq-server switches to the `rabbitmq` user and its folders; the script
 * under /usr/lib/rabbitmq/bin runs as the caller with the folders given here.
 */
export function rabbitmqServerBin() {
  const bin = process.env.BEAM_TS_RABBITMQ_SERVER ?? "/usr/lib/rabbitmq/bin/rabbitmq-server";
  if (!existsSync(bin)) {
    throw new Error(
      `${bin} was not found. Install Debian's rabbitmq-server package (\`apt-get install rabbitmq-server\`; .ci/run does it) ` +
        "or set BEAM_TS_RABBITMQ_SERVER to its rabbitmq-server script.",
    );
  }
  return bin;
}

/**
 * Starts rabbitmq-server in a new temporary folder. Resolves when it accepts AMQP
 * connections (about 3-5 s). `kill` then `restart` brings it back on the same port with
 * the same data: what a broker that goes away mid-job looks like.
 *
 * @param {{ tls?: { certFile: string, keyFile: string, caFile: string } }} [options] with `tls`, an amqps listener too
 * @returns {Promise<{ host: string, port: number, tlsPort: number | undefined, user: string, password: string, url: string, tlsUrl: string | undefined, pid: number, stop: () => Promise<void>, kill: (signal?: NodeJS.Signals) => Promise<void>, restart: () => Promise<void> }>}
 */
export async function startRabbitMq(options = {}) {
  const bin = rabbitmqServerBin();
  const dir = mkdtempSync(join(tmpdir(), "beam-ts-rabbitmq-"));
  const [port, distPort, epmdPort] = [await freePort(), await freePort(), await freePort()];
  const tlsPort = options.tls ? await freePort() : undefined;
  // The plaintext listener stays (the start check, and tests that set up queues over it); the
  // amqps one presents the server certificate and does not ask clients for theirs.
  const tlsConf = options.tls
    ? [
        `listeners.ssl.default = ${HOST}:${tlsPort}`,
        `ssl_options.cacertfile = ${options.tls.caFile}`,
        `ssl_options.certfile = ${options.tls.certFile}`,
        `ssl_options.keyfile = ${options.tls.keyFile}`,
        "ssl_options.verify = verify_none",
        "ssl_options.fail_if_no_peer_cert = false",
      ]
    : [];
  writeFileSync(
    join(dir, "rabbitmq.conf"),
    [`listeners.tcp.1 = ${HOST}:${port}`, ...tlsConf, `default_user = ${RABBITMQ_TEST_USER}`, `default_pass = ${RABBITMQ_TEST_PASSWORD}`, "loopback_users = none", ""].join("\n"),
  );
  writeFileSync(join(dir, "enabled_plugins"), "[].\n");
  const env = {
    ...process.env,
    // The Erlang cookie is written to $HOME.
    HOME: dir,
    RABBITMQ_NODENAME: `beamts${port}@localhost`,
    RABBITMQ_NODE_IP_ADDRESS: HOST,
    RABBITMQ_NODE_PORT: String(port),
    RABBITMQ_DIST_PORT: String(distPort),
    ERL_EPMD_PORT: String(epmdPort),
    ERL_EPMD_ADDRESS: HOST,
    RABBITMQ_MNESIA_BASE: join(dir, "mnesia"),
    RABBITMQ_LOG_BASE: join(dir, "log"),
    RABBITMQ_LOGS: "-",
    RABBITMQ_CONFIG_FILE: join(dir, "rabbitmq.conf"),
    RABBITMQ_ENABLED_PLUGINS_FILE: join(dir, "enabled_plugins"),
    RABBITMQ_PID_FILE: join(dir, "rabbitmq.pid"),
  };
  let child;
  let exited;
  /** epmd was started by the VM as a daemon outside the group: stop it by its port. */
  const stopEpmd = () => {
    try {
      execFileSync("epmd", ["-kill"], { env: { ...process.env, ERL_EPMD_PORT: String(epmdPort) }, stdio: "ignore" });
    } catch {
      // Not running.
    }
  };
  const killGroup = (signal) => {
    try {
      process.kill(-child.pid, signal);
    } catch {
      // Gone already.
    }
  };
  /** Spawns the broker (its mnesia folder kept between runs) and waits until it accepts connections. */
  const launch = async () => {
    // Its own process group: the script, the Erlang VM and its helpers are stopped together.
    child = spawn(bin, [], { cwd: dir, env, stdio: ["ignore", "pipe", "pipe"], detached: true });
    const started = child;
    let log = "";
    exited = new Promise((resolve) => started.once("exit", resolve));
    await new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`rabbitmq-server did not start within 60 s:\n${log.slice(-4000)}`)), 60_000);
      const onData = (chunk) => {
        log += chunk.toString();
        if (log.includes("Server startup complete")) {
          clearTimeout(timer);
          resolve();
        }
      };
      started.stdout.on("data", onData);
      started.stderr.on("data", onData);
      started.once("exit", (code, signal) => {
        clearTimeout(timer);
        reject(new Error(`rabbitmq-server exited at start (${code ?? signal}):\n${log.slice(-4000)}`));
      });
    });
    started.stdout.resume();
    started.stderr.resume();
  };
  await launch().catch((err) => {
    killGroup("SIGKILL");
    stopEpmd();
    rmSync(dir, { recursive: true, force: true });
    throw err;
  });
  /**
   * Ends the broker's process group by `signal` and waits; the folder (mnesia: durable queues
   * and persistent messages) stays, for `restart`. SIGTERM stops the node cleanly; SIGKILL is a crash.
   */
  const kill = async (signal = "SIGTERM") => {
    if (child.exitCode === null && child.signalCode === null) {
      killGroup(signal);
      const timer = setTimeout(() => killGroup("SIGKILL"), 15_000);
      await exited;
      clearTimeout(timer);
    }
    killGroup("SIGKILL");
  };
  const server = {
    host: HOST,
    port,
    tlsPort,
    user: RABBITMQ_TEST_USER,
    password: RABBITMQ_TEST_PASSWORD,
    url: `amqp://${RABBITMQ_TEST_USER}:${encodeURIComponent(RABBITMQ_TEST_PASSWORD)}@${HOST}:${port}`,
    tlsUrl: tlsPort === undefined ? undefined : `amqps://${RABBITMQ_TEST_USER}:${encodeURIComponent(RABBITMQ_TEST_PASSWORD)}@${HOST}:${tlsPort}`,
    pid: child.pid,
    stop: async () => {
      await kill("SIGTERM");
      stopEpmd();
      rmSync(dir, { recursive: true, force: true });
    },
    kill,
    /** Starts the killed broker again on the same ports and folder. */
    restart: async () => {
      await launch();
      server.pid = child.pid;
    },
  };
  return server;
}

if (process.argv[1] && import.meta.url === new URL(`file://${process.argv[1]}`).href) {
  const server = await startRabbitMq();
  console.log(`RabbitMQ amqp://${server.user}:****@${server.host}:${server.port} (pid ${server.pid}); Ctrl-C stops it and removes its folder.`);
  const done = () => void server.stop().then(() => process.exit(0));
  process.once("SIGINT", done);
  process.once("SIGTERM", done);
}
