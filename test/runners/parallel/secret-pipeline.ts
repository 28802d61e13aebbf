/**
 * The pipeline of secret-options.test.ts: elements that carry parsed options with a secret
 * go through a Reshuffle to both threads, where a step dumps them into a string-set metric
 * (as a careless DoFn might) and uses the secret through reveal().
 */
import { threadId } from "node:worker_threads";
import { inspect } from "node:util";
import { Metrics, create, defineOptions, map, option, reshuffle, type Pipeline } from "../../../src/index.js";

export const SECRET = "hunter2-in-an-element";
export const NAMESPACE = "secrets";
const ELEMENTS = 40;

const Options = defineOptions({ apiKey: option.string({ description: "A service key", secret: true }) });

export function carrySecretOptions(p: Pipeline): void {
  const options = Options.parse([`--apiKey=${SECRET}`]);
  const dump = Metrics.stringSet(NAMESPACE, "dump");
  const threads = Metrics.stringSet(NAMESPACE, "threads");
  const revealed = Metrics.counter(NAMESPACE, "revealed");
  p.apply("Elements", create(Array.from({ length: ELEMENTS }, (_, i) => ({ i, options }))))
    .apply("Reshuffle", reshuffle())
    .apply(
      "Use",
      map((element: { i: number; options: typeof options }) => {
        threads.add(String(threadId));
        dump.add(JSON.stringify(element));
        dump.add(inspect(element, { depth: 5 }));
        dump.add(`key=${element.options.apiKey}`);
        if (element.options.apiKey?.reveal() === SECRET) revealed.inc();
        return element.i;
      }),
    );
}
