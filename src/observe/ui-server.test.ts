import { request } from "node:http";
import { afterEach, describe, expect, it } from "vitest";
import fc from "fast-check";
import type { JobSnapshot, JobState } from "../pipeline/index.js";
import { refusal, uiAccess } from "./ui-access.js";
import { startUiServer, type UiServer } from "./ui-server.js";

const SNAPSHOT: JobSnapshot = {
  job: { name: "job", state: "RUNNING", runner: "embedded", startTime: 1 },
  graph: { transforms: [], pcollections: [] },
  steps: [{ label: "Parse", elementsIn: 3, elementsOut: 2 }],
  stages: [],
  sources: [],
  metrics: { counters: [], distributions: [], gauges: [], stringSets: [{ step: "Parse", namespace: "n", name: "values", attempted: new Set(["secret element"]), committed: new Set(["secret element"]) }] },
  lineage: { sources: [], sinks: [] },
  takenAt: 2,
};

/** A job whose drain and cancel only record that they were asked. */
function fakeJob() {
  const asked: string[] = [];
  const done = (what: string, state: JobState) => () => (asked.push(what), Promise.resolve(state));
  return { asked, control: { drain: done("drain", "DRAINED"), cancel: done("cancel", "CANCELLED") } };
}

/** An HTTP request with headers fetch would not let us forge (Host). */
function call(port: number, path: string, init: { method?: string; headers?: Record<string, string>; host?: string } = {}) {
  return new Promise<{ status: number; body: string; type: string | undefined }>((resolve, reject) => {
    const req = request({ host: init.host ?? "127.0.0.1", port, path, method: init.method ?? "GET", headers: init.headers }, (res) => {
      let body = "";
      res.on("data", (c) => {
        body += c;
        // An event stream never ends by itself: its first event is enough.
        if (res.headers["content-type"] === "text/event-stream" && body.includes("\n\n")) res.destroy();
      });
      res.on("close", () => resolve({ status: res.statusCode ?? 0, body, type: res.headers["content-type"] }));
    });
    req.on("error", reject);
    req.end();
  });
}

const servers: UiServer[] = [];
afterEach(async () => {
  for (const s of servers.splice(0)) await s.close();
});

describe("the monitoring page's server", () => {
  it("serves the page, the layout library, snapshots and the event stream on 127.0.0.1 without a token", async () => {
    const snap = { ...SNAPSHOT, stages: [{ label: "S", steps: ["Parse"], inputWatermark: Infinity, outputWatermark: -Infinity, bundles: 1, elements: 1, bundleMillis: { count: 1, sum: 1, min: 1, max: 1, mean: 1 }, retries: 0, failures: 0, done: false }] };
    const s = await startUiServer(() => snap, fakeJob().control, { port: 0 });
    servers.push(s);
    expect(s.url).toBe(`http://127.0.0.1:${s.port}/`);
    expect(s.token).toBeUndefined();
    const page = await call(s.port, "/");
    expect(page.status).toBe(200);
    expect(page.body).toContain('<script src="monitor.js">');
    expect((await call(s.port, "/dagre.min.js")).body).toContain("dagre");
    expect((await call(s.port, "/monitor.js")).status).toBe(200);
    const json = JSON.parse((await call(s.port, "/snapshot")).body) as { stages: { inputWatermark: unknown; outputWatermark: unknown }[]; metrics: object };
    expect(json.stages[0]).toMatchObject({ inputWatermark: "+Infinity", outputWatermark: "-Infinity" });
    // String sets may hold element values: the page never receives them.
    expect(json.metrics).not.toHaveProperty("stringSets");
    const events = await call(s.port, "/events");
    expect(events.type).toBe("text/event-stream");
    expect(events.body).toMatch(/^data: \{"job":\{"name":"job"/);
    expect((await call(s.port, "/nothing")).status).toBe(404);
  });

  it("refuses another Host (DNS rebinding) and a POST from another Origin (CSRF); drains for the page's own origin", async () => {
    const job = fakeJob();
    const s = await startUiServer(() => SNAPSHOT, job.control, { port: 0 });
    servers.push(s);
    expect((await call(s.port, "/", { headers: { host: `evil.example:${s.port}` } })).status).toBe(421);
    expect((await call(s.port, "/drain", { method: "POST", headers: { origin: "http://evil.example" } })).status).toBe(403);
    expect((await call(s.port, "/cancel", { method: "POST", headers: { origin: `http://localhost:${s.port + 1}` } })).status).toBe(403);
    expect(job.asked).toEqual([]);
    expect((await call(s.port, "/drain", { method: "POST", headers: { origin: `http://127.0.0.1:${s.port}` } })).status).toBe(202);
    expect((await call(s.port, "/cancel", { method: "POST", headers: { host: `localhost:${s.port}`, origin: `http://localhost:${s.port}` } })).status).toBe(202);
    expect(job.asked).toEqual(["drain", "cancel"]);
  });

  it("needs the generated token for every request, the event stream included, when bound beyond loopback", async () => {
    const job = fakeJob();
    const s = await startUiServer(() => SNAPSHOT, job.control, { port: 0, host: "0.0.0.0" });
    servers.push(s);
    expect(s.token).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(s.url).toBe(`http://0.0.0.0:${s.port}/?token=${s.token}`);
    for (const path of ["/", "/events", "/snapshot", "/dagre.min.js", `/?token=${s.token}x`]) {
      expect((await call(s.port, path)).status, path).toBe(401);
    }
    expect((await call(s.port, "/drain", { method: "POST" })).status).toBe(401);
    expect((await call(s.port, "/drain", { method: "POST", headers: { authorization: "Bearer wrong" } })).status).toBe(401);
    expect(job.asked).toEqual([]);
    expect((await call(s.port, `/?token=${s.token}`)).status).toBe(200);
    expect((await call(s.port, `/events?token=${s.token}`)).body).toMatch(/^data: /);
    expect((await call(s.port, "/drain", { method: "POST", headers: { authorization: `Bearer ${s.token}` } })).status).toBe(202);
    expect(job.asked).toEqual(["drain"]);
  });

  it("takes a savepoint for the page's own origin and answers where it went; refuses other origins and a job that cannot", async () => {
    const asked: string[] = [];
    const control = { ...fakeJob().control, savepoint: () => (asked.push("savepoint"), Promise.resolve("/cp/svp-000007.beamckpt")) };
    const s = await startUiServer(() => SNAPSHOT, control, { port: 0 });
    servers.push(s);
    expect((await call(s.port, "/savepoint", { method: "POST", headers: { origin: "http://evil.example" } })).status).toBe(403);
    expect((await call(s.port, "/savepoint", { method: "POST", headers: { host: `evil.example:${s.port}` } })).status).toBe(421);
    expect(asked).toEqual([]);
    const taken = await call(s.port, "/savepoint", { method: "POST", headers: { origin: `http://127.0.0.1:${s.port}` } });
    expect(taken.status).toBe(200);
    expect(JSON.parse(taken.body)).toEqual({ path: "/cp/svp-000007.beamckpt" });
    expect(asked).toEqual(["savepoint"]);
    expect((await call(s.port, "/savepoint")).status).toBe(404);

    const refusing = { ...fakeJob().control, savepoint: () => Promise.reject(new Error("A savepoint needs a streaming job with --checkpointDir")) };
    const r = await startUiServer(() => SNAPSHOT, refusing, { port: 0 });
    servers.push(r);
    const refused = await call(r.port, "/savepoint", { method: "POST" });
    expect(refused.status).toBe(409);
    expect(refused.body).toMatch(/--checkpointDir/);
    const none = await startUiServer(() => SNAPSHOT, fakeJob().control, { port: 0 });
    servers.push(none);
    expect((await call(none.port, "/savepoint", { method: "POST" })).body).toMatch(/takes no savepoints/);
  });

  it("needs the token for a savepoint when bound beyond loopback", async () => {
    const asked: string[] = [];
    const control = { ...fakeJob().control, savepoint: () => (asked.push("savepoint"), Promise.resolve("/cp/svp-000001.beamckpt")) };
    const s = await startUiServer(() => SNAPSHOT, control, { port: 0, host: "0.0.0.0" });
    servers.push(s);
    expect((await call(s.port, "/savepoint", { method: "POST" })).status).toBe(401);
    expect(asked).toEqual([]);
    expect((await call(s.port, "/savepoint", { method: "POST", headers: { authorization: `Bearer ${s.token}` } })).status).toBe(200);
    expect(asked).toEqual(["savepoint"]);
  });

  it("lets a request through only with exactly the token", () => {
    fc.assert(
      fc.property(fc.base64String({ minLength: 1, maxLength: 60 }), fc.string({ maxLength: 60 }), (token, given) => {
        const access = uiAccess("10.0.0.5", 8080, token);
        const req = { method: "GET", host: "10.0.0.5:8080", origin: undefined, queryToken: given, authorization: undefined };
        expect(refusal(access, req, false) === undefined).toBe(given === token);
      }),
    );
  });
});
