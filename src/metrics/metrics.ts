import { MetricsEnvironment } from "./environment.js";

/** A metric that counts up and down; summed over bundles and workers. */
export interface Counter {
  inc(n?: number): void;
  dec(n?: number): void;
}

/** A metric that summarises numbers it is given: count, sum, min, max. */
export interface Distribution {
  update(value: number): void;
}

/** A metric that keeps the latest value set. */
export interface Gauge {
  set(value: number): void;
}

/** A metric that keeps the distinct strings added. */
export interface StringSet {
  add(...values: string[]): void;
}

/**
 * Beam's Metrics API: declare metrics anywhere (e.g. as DoFn fields) and use them inside
 * DoFn methods; each call records into the step that is running. Outside a running DoFn
 * the calls do nothing. Inside DoFns, `ctx.metrics` is equivalent.
 *
 * @example
 * const emptyLines = Metrics.counter("wordcount", "emptyLines");
 * ...process(line) { if (line === "") emptyLines.inc(); }
 */
export const Metrics = {
  counter(namespace: string, name: string): Counter {
    return {
      inc: (n = 1) => MetricsEnvironment.current()?.counter(namespace, name).inc(n),
      dec: (n = 1) => MetricsEnvironment.current()?.counter(namespace, name).dec(n),
    };
  },
  distribution(namespace: string, name: string): Distribution {
    return { update: (v) => MetricsEnvironment.current()?.distribution(namespace, name).update(v) };
  },
  gauge(namespace: string, name: string): Gauge {
    return { set: (v) => MetricsEnvironment.current()?.gauge(namespace, name).set(v) };
  },
  stringSet(namespace: string, name: string): StringSet {
    return { add: (...vs) => MetricsEnvironment.current()?.stringSet(namespace, name).add(...vs) };
  },
};
