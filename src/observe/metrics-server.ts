import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { OptionsError } from "../model/index.js";
import type { JobSnapshot } from "../pipeline/index.js";
import { metricFamilies, type MetricFamily } from "./prometheus-families.js";

/** The parts of prom-client this endpoint uses (an optional peer dependency, loaded on demand). */
type PromClient = typeof import("prom-client");
type Registry = import("prom-client").Registry;

/** A running metrics endpoint. */
export interface MetricsServer {
  /** `http://host:port/metrics`. */
  readonly url: string;
  readonly port: number;
  close(): Promise<void>;
}

/**
 * Serves `GET /metrics` in Prometheus's text format: every scrape takes a fresh JobSnapshot
 * (`snapshot`), so the endpoint holds no state of its own, plus the process's own metrics
 * (CPU, heap, event-loop lag) from prom-client's default collectors. prom-client is an
 * optional peer dependency: only jobs run with --metricsPort load it.
 */
export async function startMetricsServer(snapshot: () => JobSnapshot, options: { readonly port: number; readonly host?: string }): Promise<MetricsServer> {
  const prom = await loadPromClient();
  const processMetrics: Registry = new prom.Registry();
  prom.collectDefaultMetrics({ register: processMetrics });
  const server = createServer((req, res) => {
    const path = (req.url ?? "/").split("?")[0];
    if (req.method !== "GET" || (path !== "/metrics" && path !== "/")) {
      res.writeHead(404, { "content-type": "text/plain" }).end("Not found: scrape /metrics\n");
      return;
    }
    jobRegistry(prom, snapshot())
      .then((jobMetrics) => prom.Registry.merge([processMetrics, jobMetrics]).metrics())
      .then(
        (text) => res.writeHead(200, { "content-type": prom.Registry.PROMETHEUS_CONTENT_TYPE }).end(text),
        (err: unknown) => res.writeHead(500, { "content-type": "text/plain" }).end(`${err instanceof Error ? err.message : String(err)}\n`),
      );
  });
  const host = options.host ?? "127.0.0.1";
  await new Promise<void>((resolve, reject) => {
    server.once("error", (err: NodeJS.ErrnoException) =>
      reject(new OptionsError(`--metricsPort=${options.port}: cannot listen on ${host}:${options.port} (${err.code ?? err.message}). Pick another port, or 0 for any free one.`, { cause: err })),
    );
    server.listen(options.port, host, () => resolve());
  });
  // The endpoint never keeps a finished program alive.
  server.unref();
  const port = (server.address() as AddressInfo).port;
  return { url: `http://${host.includes(":") ? `[${host}]` : host}:${port}/metrics`, port, close: () => closeServer(server) };
}

/** A registry holding one snapshot's families, each a collector that returns them as they are. */
async function jobRegistry(prom: PromClient, snap: JobSnapshot): Promise<Registry> {
  const registry: Registry = new prom.Registry();
  for (const family of metricFamilies(snap)) registry.registerMetric(asMetric(family));
  return registry;
}

/**
 * A family as prom-client's registry reads a metric: `get()` returning name, help, type and
 * values is all it calls (registry.js getMetricsAsString). prom-client types metrics as its
 * own classes, whose setters would make us replay cumulative values as increments.
 */
function asMetric(family: MetricFamily): Parameters<Registry["registerMetric"]>[0] {
  const metric = { name: family.name, help: family.help, type: family.type, aggregator: "sum", get: () => Promise.resolve({ ...family, aggregator: "sum" }) };
  return metric as unknown as Parameters<Registry["registerMetric"]>[0];
}

async function loadPromClient(): Promise<PromClient> {
  try {
    return await import("prom-client");
  } catch (err) {
    throw new OptionsError("--metricsPort needs the prom-client package: npm install prom-client", { cause: err });
  }
}

function closeServer(server: Server): Promise<void> {
  return new Promise((resolve) => {
    server.closeAllConnections();
    server.close(() => resolve());
  });
}
