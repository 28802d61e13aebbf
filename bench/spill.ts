/**
 * A GroupByKey larger than its memory budget: `--gigabytes` of KV records (string keys,
 * `--valueBytes` string values) grouped under `--memoryBudget`, which spills sorted runs
 * to local disk (docs/ARCHITECTURE.md, "Memory"). Prints the time, rate, bytes spilled
 * and the process's peak resident memory.
 *
 *   npm run bench:spill -- --gigabytes=10 --memoryBudget=2GB
 */
import { Pipeline, defineOptions, generateSequence, groupByKey, kv, map, option, parDo, type KV } from "../src/index.js";

const Options = defineOptions({
  gigabytes: option.number({ description: "Key and value bytes to group", default: 1 }),
  keys: option.integer({ description: "Distinct keys", default: 100_000, min: 1 }),
  valueBytes: option.integer({ description: "Bytes per value", default: 100, min: 1 }),
});

const options = Options.parseOrExit(process.argv.slice(2), "bench:spill");
const padding = "x".repeat(options.valueBytes);
const keyOf = (n: number) => `key-${(Math.imul(n, 2654435761) >>> 0) % options.keys}`;
const recordBytes = keyOf(0).length + options.valueBytes;
const records = Math.ceil((options.gigabytes * 2 ** 30) / recordBytes);

let groups = 0;
let values = 0;
const started = performance.now();
// --memoryBudget and --tempLocation are standard options; without a budget nothing spills.
const p = new Pipeline({ ...options, memoryBudget: options.memoryBudget ?? "256MB" });
p.apply(generateSequence({ to: records }))
  .apply(map((n: number) => kv(keyOf(n), padding)))
  .apply(groupByKey<string, string>())
  .apply(
    parDo<KV<string, Iterable<string>>, never>({
      process(g) {
        groups++;
        for (const v of g.value) values += v.length === options.valueBytes ? 1 : 0;
      },
    }),
  );
const result = p.run();
await result.waitUntilFinish();
const seconds = (performance.now() - started) / 1000;
const spilled = result
  .metrics()
  .queryMetrics()
  .counters.filter((c) => c.name === "spilledBytes")
  .reduce((n, c) => n + c.committed, 0);
const gib = (n: number) => (n / 2 ** 30).toFixed(2);
console.log(
  JSON.stringify({
    records,
    gigabytes: options.gigabytes,
    memoryBudget: options.memoryBudget ?? "256MB",
    groups,
    valuesChecked: values,
    complete: values === records && groups === Math.min(options.keys, records),
    seconds: Number(seconds.toFixed(1)),
    recordsPerSec: Math.round(records / seconds),
    spilledGiB: Number(gib(spilled)),
    peakRssGiB: Number(gib(process.resourceUsage().maxRSS * 1024)),
  }),
);
