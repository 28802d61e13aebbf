import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { Pipeline, create, map } from "../../src/index.js";
import { type PredictionResult } from "../../src/ml/index.js";
import { assertThat } from "../../src/testing/index.js";
import { AdaptiveThrottler } from "../../src/ml/adaptive-throttler.js";
import { enrich } from "../../src/ml/enrich.js";
import { clearEnrichmentCaches } from "../../src/ml/enrichment-cache.js";
import { httpEnrichmentHandler, httpModelHandler } from "../../src/ml/http-handlers.js";
import { runInference } from "../../src/ml/run-inference.js";
import { clearSharedModels } from "../../src/ml/shared-models.js";

/** A loopback server: /predict doubles instances, /lookup upper-cases keys; it rejects every `rejectEvery`-th request with 503. */
const server = { requests: 0, rejected: 0, rejectEvery: 0, slowMs: 0, batches: [] as number[] };
let http: Server;
let base = "";

beforeAll(async () => {
  http = createServer((req, res) => {
    let body = "";
    req.on("data", (d: Buffer) => (body += d.toString()));
    req.on("end", () => {
      server.requests++;
      if (server.rejectEvery > 0 && server.requests % server.rejectEvery === 0) {
        server.rejected++;
        res.writeHead(503).end("overloaded");
        return;
      }
      const parsed = JSON.parse(body) as { instances?: number[]; keys?: string[] };
      const answer = () => {
        if (req.url === "/predict") {
          server.batches.push(parsed.instances!.length);
          res.end(JSON.stringify({ predictions: parsed.instances!.map((x) => 2 * x) }));
        } else if (req.url === "/lookup") {
          res.end(JSON.stringify({ values: parsed.keys!.map((k) => (k.startsWith("no") ? null : k.toUpperCase())) }));
        } else {
          res.writeHead(400).end("unknown path");
        }
      };
      if (server.slowMs > 0) setTimeout(answer, server.slowMs);
      else answer();
    });
  });
  await new Promise<void>((resolve) => http.listen(0, "127.0.0.1", resolve));
  base = `http://127.0.0.1:${(http.address() as AddressInfo).port}`;
});

afterAll(() => new Promise<void>((resolve) => http.close(() => resolve())));

afterEach(() => {
  Object.assign(server, { requests: 0, rejected: 0, rejectEvery: 0, slowMs: 0, batches: [] });
  clearSharedModels();
  clearEnrichmentCaches();
});

describe("httpModelHandler", () => {
  it("sends batches and retries the requests the server rejects, with every result right", async () => {
    server.rejectEvery = 3;
    const p = new Pipeline();
    const xs = Array.from({ length: 300 }, (_, i) => i);
    const out = p
      .apply(create(xs))
      .apply(runInference(httpModelHandler<number, number>({ url: `${base}/predict`, backoff: { initialMs: 1, maxMs: 5 } }), { batch: { maxSize: 20 } }));
    assertThat(out.apply(map((r: PredictionResult<number, number>) => r.inference))).containsInAnyOrder(xs.map((x) => 2 * x));
    await p.run().waitUntilFinish();
    expect(server.rejected).toBeGreaterThan(0);
    expect(Math.max(...server.batches)).toBeLessThanOrEqual(20);
    expect(server.batches.length).toBeLessThan(xs.length);
  });

  it("fails the batch with the status after its retries, and times out a slow server", async () => {
    const handler = httpModelHandler<number, number>({ url: `${base}/nowhere`, maxRetries: 1 });
    const client = await handler.loadModel();
    await expect(Promise.resolve(handler.runInference([1], client))).rejects.toThrow(/answered 400: unknown path/);
    server.slowMs = 300;
    const slow = httpModelHandler<number, number>({ url: `${base}/predict`, timeoutMs: 50, maxRetries: 1, backoff: { initialMs: 1 } });
    await expect(Promise.resolve(slow.runInference([1], await slow.loadModel()))).rejects.toThrow(/after 2 attempts/);
  });
});

describe("AdaptiveThrottler", () => {
  it("throttles nothing while the server accepts, and more the more it rejects", () => {
    let now = 0;
    const t = new AdaptiveThrottler(60_000, 2, () => 0.5, () => now);
    for (let i = 0; i < 100; i++) {
      expect(t.throttleRequest()).toBe(false);
      t.successfulRequest();
      now++;
    }
    // 400 more requests, none accepted: requests 500 against 2 x 100 accepts.
    let throttled = 0;
    for (let i = 0; i < 400; i++) if (t.throttleRequest()) throttled++;
    expect(throttled).toBeGreaterThan(0);
    expect(t.probability()).toBeCloseTo((500 - 200) / 501, 5);
    // Past the window the history is gone.
    now += 60_001;
    expect(t.probability()).toBe(0);
  });
});

describe("httpEnrichmentHandler", () => {
  it("looks keys up over HTTP in batches, with missing keys passed through", async () => {
    server.rejectEvery = 4;
    const p = new Pipeline();
    const out = p
      .apply(create(["a", "b", "no-1", "a"]))
      .apply(enrich(httpEnrichmentHandler<string>({ url: `${base}/lookup`, backoff: { initialMs: 1 } }), { key: (k: string) => k, joinFn: (k, v) => `${k}:${v ?? "-"}` }));
    assertThat(out).containsInAnyOrder(["a:A", "b:B", "no-1:-", "a:A"]);
    await p.run().waitUntilFinish();
  });
});
