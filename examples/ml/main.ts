/**
 * Scores the sample transactions (or yours) for fraud: starts the stand-in account service
 * on a loopback port, runs the pipeline of score-transactions.ts, and writes the scores and
 * the transactions of unknown accounts as JSON lines.
 *
 *   npx tsx examples/ml/main.ts
 *   npx tsx examples/ml/main.ts --input='my/*.jsonl' --model=my-model.json --output=out/ml/scored
 */
import { fileURLToPath } from "node:url";
import { Pipeline, defineOptions, map, option } from "../../src/index.js";
import { readText, writeText } from "../../src/io/text/index.js";
import { startAccountService } from "./account-service.js";
import { scoreTransactions, type Transaction } from "./score-transactions.js";

const data = (name: string) => fileURLToPath(new URL(`./data/${name}`, import.meta.url));

const Options = defineOptions({
  input: option.string({ description: "JSON lines of transactions (a glob)", default: data("transactions.jsonl") }),
  model: option.string({ description: "The fraud model file", default: data("fraud-model-v1.json") }),
  output: option.string({ description: "Prefix of the output files", default: "out/ml/scored" }),
  threshold: option.number({ description: "Probability at or above which a transaction is flagged", default: 0.5 }),
});

const options = Options.parseOrExit(process.argv.slice(2), "ml");
const service = await startAccountService();
try {
  const p = new Pipeline(options);
  const transactions = p.apply("Read", readText(options.input)).apply(
    "Parse",
    map((line: string) => JSON.parse(line) as Transaction),
  );
  const { scored, unknownAccounts, failures } = scoreTransactions(transactions, {
    accountServiceUrl: service.url,
    modelPath: options.model,
    threshold: options.threshold,
  });
  scored.apply("ShowScores", map((s) => JSON.stringify(s))).apply("WriteScores", writeText(options.output, { suffix: ".jsonl", numShards: 1 }));
  unknownAccounts
    .apply("ShowUnknown", map((f) => JSON.stringify({ id: f.element.id, account: f.key, reason: f.reason })))
    .apply("WriteUnknown", writeText(`${options.output}-unknown-accounts`, { suffix: ".jsonl", numShards: 1 }));
  failures
    .apply("ShowFailures", map((f) => JSON.stringify({ id: f.example.transactionId, error: f.error.message })))
    .apply("WriteFailures", writeText(`${options.output}-failures`, { suffix: ".jsonl", numShards: 1 }));
  await p.run().waitUntilFinish();
  process.stdout.write(`ml: wrote ${options.output}-*.jsonl; the account service was asked for ${service.keysAsked()} account(s)\n`);
} finally {
  await service.close();
}
