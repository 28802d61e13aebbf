/**
 * The main job: counts the words of text files.
 *
 *   npm start -- --input='books/*.txt' --output=out/books/counts
 *
 * With no arguments it counts the sample text shipped in examples/wordcount/data.
 */
import { fileURLToPath } from "node:url";
import { Pipeline, defineOptions, option } from "../../src/index.js";
import { readText, writeText } from "../../src/io/text/index.js";
import { countWords } from "./wordcount.js";

const sample = fileURLToPath(new URL("./data/*.txt", import.meta.url));

const Options = defineOptions({
  input: option.string({ description: "Text files to read (a glob; .gz files are decompressed)", default: sample }),
  output: option.string({ description: "Prefix of the output files", default: "out/wordcount/counts" }),
  numShards: option.integer({ description: "Number of output files (default: decided by the runner)", min: 1 }),
});

const options = Options.parseOrExit(process.argv.slice(2), "wordcount");
const p = new Pipeline(options);
p.apply("Read", readText(options.input))
  .apply(countWords())
  .apply(
    "Write",
    writeText(options.output, { suffix: ".txt", ...(options.numShards === undefined ? {} : { numShards: options.numShards }) }),
  );

const started = Date.now();
await p.run().waitUntilFinish();
process.stdout.write(`wordcount: wrote ${options.output}-*.txt in ${Date.now() - started} ms\n`);
