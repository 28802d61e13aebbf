// Starts the local Beam Job Services that the portable runner will submit to, and checks
// that they accept connections on loopback and go away on stop().
import { readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  canConnect,
  ensurePrism,
  openLog,
  startFlink,
  startPrism,
  type JobService,
} from "../../tools/runners/job-services.mjs";

function isAlive(pid: number | undefined): boolean {
  if (pid === undefined) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

async function waitGone(pid: number | undefined): Promise<boolean> {
  for (let i = 0; i < 50 && isAlive(pid); i++) await new Promise((r) => setTimeout(r, 100));
  return !isAlive(pid);
}

describe("Prism job service", () => {
  let prism: string;
  const started: JobService[] = [];

  // First run on a machine: `go install` of Prism (about 2-4 min on 2 cores); cached afterwards.
  beforeAll(async () => {
    prism = await ensurePrism();
  }, 600_000);

  afterAll(async () => {
    await Promise.all(started.map((s) => s.stop()));
  });

  it("is cached: a second ensurePrism() returns the same binary at once", async () => {
    const t0 = Date.now();
    expect(await ensurePrism()).toBe(prism);
    expect(Date.now() - t0).toBeLessThan(1000);
  });

  it("starts on a free loopback port, accepts TCP connections, and stops", async () => {
    const svc = await startPrism();
    started.push(svc);
    expect(svc.endpoint).toMatch(/^127\.0\.0\.1:\d+$/);
    expect(svc.port).toBeGreaterThan(0);
    expect(await canConnect(svc.port)).toBe(true);

    await svc.stop();
    expect(await waitGone(svc.pid)).toBe(true);
    expect(await canConnect(svc.port)).toBe(false);
    await svc.stop(); // idempotent
  });

  it("two instances get different ports", async () => {
    const [a, b] = await Promise.all([startPrism(), startPrism()]);
    started.push(a, b);
    expect(a.port).not.toBe(b.port);
    expect(await canConnect(a.port)).toBe(true);
    expect(await canConnect(b.port)).toBe(true);
    await Promise.all([a.stop(), b.stop()]);
  });
});

describe("Java job-server launcher", () => {
  // The child's exit is noticed at once and its log is in the error (here: a classpath
  // without Beam's classes, so the loopback launcher, LoopbackJobServer.java, does not even
  // compile). The working path runs in test/flink-setup.ts.
  it("reports a job server that dies before its port opens, with its log", async () => {
    const classpath = join(tmpdir(), `no-such-dir-${process.pid}`);
    const t0 = Date.now();
    await expect(startFlink({ classpath, timeoutMs: 30_000 })).rejects.toThrow(
      /flink-job-server exited \(code 1\) before it was ready; log [^\n]*flink-job-server[^\n]*\.log:[\s\S]*LoopbackJobServer\.java/i,
    );
    expect(Date.now() - t0).toBeLessThan(15_000);
  });
});

describe("job-service log after stop", () => {
  // A job server's own children (Prism's PROCESS workers, a forked JVM) can hold its stdout open,
  // and a pipe can hold unread output when its exit is seen: output then arrives after stop()
  // ended the log. Writing it once crashed the test run's global teardown ("write after end").
  it("drops output that arrives after the log ended instead of failing", async () => {
    const uncaught: unknown[] = [];
    const onError = (err: unknown) => uncaught.push(err);
    process.on("uncaughtException", onError);
    try {
      const log = openLog("late-output-test");
      log.write("before stop\n");
      const ended = log.end();
      log.write("after stop\n");
      await ended;
      log.write("after close\n");
      await log.end();
      await new Promise((r) => setTimeout(r, 50));
      expect(uncaught).toEqual([]);
      expect(readFileSync(log.file, "utf8")).toBe("before stop\n");
    } finally {
      process.off("uncaughtException", onError);
    }
  });
});
