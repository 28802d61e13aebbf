import { Metadata, credentials } from "@grpc/grpc-js";
import { BeamFnControlClient, type InstructionRequest } from "../proto/org/apache/beam/model/fn_execution/v1/beam_fn_api.js";

/**
 * A worker that could not start (its pipeline module failed to load, rebuilt a different
 * graph, or its artifacts could not be retrieved) still connects to the runner's control
 * service and answers every instruction with `message`, so the runner fails the job with
 * the reason instead of waiting for a worker that never comes. Resolves when the runner
 * closes the stream, or after `timeoutMs`.
 */
export function serveFailure(controlEndpoint: string, workerId: string, message: string, timeoutMs = 120_000): Promise<void> {
  const client = new BeamFnControlClient(controlEndpoint, credentials.createInsecure());
  const metadata = new Metadata();
  metadata.set("worker_id", workerId);
  return new Promise<void>((resolve) => {
    const stream = client.control(metadata);
    const done = () => {
      clearTimeout(timer);
      stream.end();
      client.close();
      resolve();
    };
    const timer = setTimeout(done, timeoutMs);
    stream.on("data", (req: InstructionRequest) => {
      stream.write({ instructionId: req.instructionId, error: message, response: undefined });
    });
    stream.on("end", done);
    stream.on("error", done);
  });
}
