import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { Pipeline, map, parDo } from "../../src/index.js";
import { readText, writeText } from "../../src/io/text/index.js";
import { datasetOf, type RunEvent } from "../../src/observe/index.js";

/** A loopback OpenLineage receiver: collects the events POSTed to it. */
async function receiver(): Promise<{ url: string; events: RunEvent[]; close: () => Promise<void> }> {
  const events: RunEvent[] = [];
  const server = createServer((req, res) => {
    let body = "";
    req.on("data", (c: Buffer) => (body += c.toString()));
    req.on("end", () => {
      events.push(JSON.parse(body) as RunEvent);
      res.writeHead(201).end();
    });
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  const { port } = server.address() as AddressInfo;
  return { url: `http://127.0.0.1:${port}/api/v1/lineage`, events, close: () => new Promise((r) => server.close(() => r())) };
}

function textJob(dir: string, options: Record<string, unknown>): { p: Pipeline; input: string; output: string } {
  const input = path.join(dir, "in.txt");
  writeFileSync(input, "a\nb\n");
  const output = path.join(dir, "out");
  const p = new Pipeline({ jobName: "copy", ...options });
  p.apply("Read", readText(input)).apply("Upper", map((s: string) => s.toUpperCase())).apply("Write", writeText(output, { suffix: ".txt", numShards: 1 }));
  return { p, input, output };
}

describe("lineage", () => {
  it("result.lineage() names the files a text job read and wrote, as Beam's file system lineage", async () => {
    const dir = mkdtempSync(path.join(tmpdir(), "lineage-"));
    const { p, input, output } = textJob(dir, {});
    const result = p.run();
    await result.waitUntilFinish();
    expect(result.lineage?.()).toEqual({
      sources: [`filesystem:localhost.\`${input}\``],
      sinks: [`filesystem:localhost.\`${output}-00000-of-00001.txt\``],
    });
  });

  it("emits OpenLineage START and COMPLETE run events with the input and output datasets to --lineageUrl and --lineageFile", async () => {
    const dir = mkdtempSync(path.join(tmpdir(), "lineage-"));
    const r = await receiver();
    const file = path.join(dir, "events.jsonl");
    try {
      const { p, input, output } = textJob(dir, { lineageUrl: r.url, lineageFile: file });
      await p.run().waitUntilFinish();
      expect(r.events.map((e) => e.eventType)).toEqual(["START", "COMPLETE"]);
      const [start, complete] = r.events as [RunEvent, RunEvent];
      expect(complete.run.runId).toBe(start.run.runId);
      expect(complete.job).toEqual({ namespace: "beam-ts", name: "copy" });
      expect(complete.inputs).toEqual([{ namespace: "file", name: input }]);
      expect(complete.outputs).toEqual([{ namespace: "file", name: `${output}-00000-of-00001.txt` }]);
      expect(complete.schemaURL).toMatch(/OpenLineage\.json#\/definitions\/RunEvent$/);
      expect(new Date(complete.eventTime).getTime()).toBeGreaterThanOrEqual(new Date(start.eventTime).getTime());
      const lines = readFileSync(file, "utf8").trim().split("\n").map((l) => JSON.parse(l) as RunEvent);
      expect(lines.map((e) => e.eventType)).toEqual(["START", "COMPLETE"]);
    } finally {
      await r.close();
    }
  });

  it("emits FAIL when the job fails", async () => {
    const r = await receiver();
    try {
      const p = new Pipeline({ lineageUrl: r.url, jobName: "broken", maxBundleRetries: 0 });
      const dir = mkdtempSync(path.join(tmpdir(), "lineage-"));
      writeFileSync(path.join(dir, "in.txt"), "x\n");
      p.apply("Read", readText(path.join(dir, "in.txt"))).apply("Boom", parDo<string, never>({ process() { throw new Error("boom"); } }));
      await expect(p.run().waitUntilFinish()).rejects.toThrow(/boom/);
      expect(r.events.map((e) => e.eventType)).toEqual(["START", "FAIL"]);
      expect(r.events[1]!.inputs).toEqual([{ namespace: "file", name: path.join(dir, "in.txt") }]);
    } finally {
      await r.close();
    }
  });

  it("maps Beam FQNs to OpenLineage's dataset naming", () => {
    expect(datasetOf("postgres:`db:5432`.shop.public.orders")).toEqual({ namespace: "postgres://db:5432", name: "shop.public.orders" });
    expect(datasetOf("s3:bucket.`key/a.csv`")).toEqual({ namespace: "s3://bucket", name: "key/a.csv" });
    expect(datasetOf("kafka:`broker:9092`.events")).toEqual({ namespace: "kafka://broker:9092", name: "events" });
  });
});
