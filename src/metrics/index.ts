/** Metrics: Beam's counters, distributions, gauges and string sets, per step, attempted and committed. */
export { Metrics, type Counter, type Distribution, type Gauge, type StringSet } from "./metrics.js";
export { MetricsContainer } from "./container.js";
export { MetricsEnvironment, syncScope } from "./environment.js";
export type { DistributionResult, GaugeResult } from "./cells.js";
export {
  JobMetricsStore,
  stepMatches,
  type MetricQueryResults,
  type MetricResult,
  type MetricResults,
  type MetricsFilter,
} from "./results.js";
export { Lineage, LINEAGE_NAMESPACE, fileLineage, lineageName, parseLineageName, wrapSegment, type LineageDirection } from "./lineage.js";
export {
  LOG_LEVELS,
  configureLogs,
  isLogLevel,
  jsonLine,
  logSettingsOf,
  logger,
  parseStepLevels,
  setLogOutput,
  textLine,
  type LogLevel,
  type LogMethod,
  type LogOutput,
  type LogRecord,
  type LogSettings,
} from "./logger.js";
