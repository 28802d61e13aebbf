import { afterEach, describe, expect, it } from "vitest";
import { Server, ServerCredentials } from "@grpc/grpc-js";
import { MetricsContainer, MetricsEnvironment } from "../metrics/index.js";
import {
  BeamFnLoggingService,
  LogEntry_Severity_Enum,
  type BeamFnLoggingServer,
  type LogEntry,
} from "../proto/org/apache/beam/model/fn_execution/v1/beam_fn_api.js";
import { LoggingClient, addLogSink, captureConsole, withInstruction, workerLog } from "./logging.js";

/** A runner's logging service on loopback that keeps what it receives. */
async function loggingService(): Promise<{ endpoint: string; entries: LogEntry[]; workers: string[]; ended: Promise<void>; stop(): void }> {
  const entries: LogEntry[] = [];
  const workers: string[] = [];
  let endedResolve = () => {};
  const ended = new Promise<void>((r) => (endedResolve = r));
  const server = new Server();
  const impl: BeamFnLoggingServer = {
    logging: (call) => {
      workers.push(String(call.metadata.get("worker_id")[0] ?? ""));
      call.on("data", (list: { logEntries: LogEntry[] }) => entries.push(...list.logEntries));
      call.on("end", () => {
        call.end();
        endedResolve();
      });
    },
  };
  server.addService(BeamFnLoggingService, impl);
  const port = await new Promise<number>((resolve, reject) =>
    server.bindAsync("127.0.0.1:0", ServerCredentials.createInsecure(), (err, p) => (err ? reject(err) : resolve(p))),
  );
  return { endpoint: `127.0.0.1:${port}`, entries, workers, ended, stop: () => server.forceShutdown() };
}

const cleanups: Array<() => void> = [];
afterEach(() => {
  for (const c of cleanups.splice(0)) c();
});

describe("worker logs over BeamFnLogging", () => {
  it("sends records with severity, message, instruction id and the running transform's id", async () => {
    const service = await loggingService();
    cleanups.push(() => service.stop());
    const client = new LoggingClient(service.endpoint, "worker-7");
    cleanups.push(addLogSink(client.sink));
    workerLog.info("harness started");
    await withInstruction("bundle-1", (step) => (step === "Outer/Parse" ? "t4" : step), async () => {
      await Promise.resolve();
      const previous = MetricsEnvironment.enter(new MetricsContainer("Outer/Parse"));
      try {
        workerLog.error("bad record", new Error("boom"));
      } finally {
        MetricsEnvironment.exit(previous);
      }
    });
    await client.close();
    await service.ended;
    expect(service.workers).toEqual(["worker-7"]);
    expect(service.entries.map((e) => [e.severity, e.message, e.instructionId, e.transformId])).toEqual([
      [LogEntry_Severity_Enum.INFO, "harness started", "", ""],
      [LogEntry_Severity_Enum.ERROR, "bad record", "bundle-1", "t4"],
    ]);
    expect(service.entries[1]!.trace).toContain("boom");
    expect(Number(service.entries[0]!.timestamp!.seconds)).toBeGreaterThan(1_600_000_000);
  });

  it("turns console calls into records while captured, formatted as console formats them", () => {
    const records: Array<[string, string]> = [];
    cleanups.push(addLogSink((r) => records.push([r.severity, r.message])));
    const restore = captureConsole();
    try {
      console.log("count=%d of %s", 3, "words");
      console.warn({ a: 1 });
      console.error("failed");
    } finally {
      restore();
    }
    expect(records).toEqual([
      ["INFO", "count=3 of words"],
      ["WARN", "{ a: 1 }"],
      ["ERROR", "failed"],
    ]);
  });
});
