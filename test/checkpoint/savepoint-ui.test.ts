import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { request } from "node:http";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { Pipeline, generateSequence, parDo, type PipelineResult } from "../../src/index.js";
import { startUiServer, type UiServer } from "../../src/observe/ui-server.js";

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

/** POST from the page's own origin, as its button does. */
function post(port: number, pathname: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request({ host: "127.0.0.1", port, path: pathname, method: "POST", headers: { origin: `http://127.0.0.1:${port}` } }, (res) => {
      let body = "";
      res.on("data", (c) => (body += c));
      res.on("end", () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on("error", reject);
    req.end();
  });
}

/** An endless streaming job and the page's server over it. */
async function runWithPage(options: Record<string, unknown>): Promise<{ result: PipelineResult; server: UiServer; seen: () => number }> {
  let seen = 0;
  const p = new Pipeline({ enforceImmutability: false, ...options });
  p.apply("Numbers", generateSequence({ from: 0, rate: { elements: 20, period: 10 } })).apply("Record", parDo<number, never>({ process: () => void seen++ }));
  const result = p.run();
  cleanups.push(() => result.cancel().then(() => {}));
  const server = await startUiServer(() => result.snapshot!(), { drain: () => result.drain(), cancel: () => result.cancel(), savepoint: () => result.savepoint!() }, { port: 0 });
  cleanups.push(() => server.close());
  while (seen === 0) await new Promise((r) => setTimeout(r, 5));
  return { result, server, seen: () => seen };
}

describe("the monitoring page's savepoint button against an embedded job", () => {
  it("a checkpointed job says it can take savepoints, and POST /savepoint writes one and answers its path", async () => {
    const dir = mkdtempSync(path.join(tmpdir(), "beam-ts-savepoint-ui-"));
    cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
    const { result, server } = await runWithPage({ checkpointDir: dir, checkpointInterval: 60_000 });
    expect(result.snapshot!().checkpoints?.savepoints).toBe(true);
    const answer = await post(server.port, "/savepoint");
    expect(answer.status).toBe(200);
    const written = (JSON.parse(answer.body) as { path: string }).path;
    expect(path.dirname(written)).toBe(dir);
    expect(path.basename(written)).toMatch(/^svp-\d{6}\.beamckpt$/);
    expect(existsSync(written)).toBe(true);
    // While it runs the job records itself for `beam-ts savepoint <pid>`; the record goes when it ends.
    expect(existsSync(path.join(dir, "running-job.json"))).toBe(true);
    await result.cancel();
    expect(existsSync(path.join(dir, "running-job.json"))).toBe(false);
  }, 30_000);

  it("a job without checkpoints says so, and POST /savepoint is refused naming --checkpointDir", async () => {
    const { result, server } = await runWithPage({});
    expect(result.snapshot!().checkpoints?.savepoints).toBeUndefined();
    const answer = await post(server.port, "/savepoint");
    expect(answer.status).toBe(409);
    expect(answer.body).toMatch(/needs a streaming job with --checkpointDir/);
  }, 30_000);
});
