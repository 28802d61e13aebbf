import { execFile } from "node:child_process";
import { mkdtemp, readFile, readdir, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { Pipeline, assertThat, create, map } from "../../src/index.js";
import { clearEnrichmentCaches, clearSharedModels } from "../../src/ml/index.js";
import { SAMPLE_ACCOUNTS, startAccountService, type AccountService } from "./account-service.js";
import { score, type FraudModel } from "./fraud-model.js";
import { featuresOf, scoreTransactions, type Transaction } from "./score-transactions.js";

const here = (name: string) => fileURLToPath(new URL(name, import.meta.url));
const modelPath = here("./data/fraud-model-v1.json");
let service: AccountService;
let transactions: Transaction[];
let model: FraudModel;

beforeAll(async () => {
  service = await startAccountService();
  transactions = (await readFile(here("./data/transactions.jsonl"), "utf8"))
    .split("\n")
    .filter((l) => l !== "")
    .map((l) => JSON.parse(l) as Transaction);
  model = JSON.parse(await readFile(modelPath, "utf8")) as FraudModel;
});
afterAll(() => service.close());
afterEach(() => {
  clearEnrichmentCaches();
  clearSharedModels();
});

describe("examples/ml: fraud scoring with Enrichment and RunInference", () => {
  it("scores each transaction of a known account with the model, flags the risky ones and dead-letters unknown accounts", async () => {
    const before = service.keysAsked();
    const p = new Pipeline({ runner: "embedded" });
    const { scored, unknownAccounts, failures } = scoreTransactions(p.apply(create(transactions)), { accountServiceUrl: service.url, modelPath });
    // The expected scores, computed here from the model file and the account table without the pipeline.
    const expected = transactions
      .filter((t) => SAMPLE_ACCOUNTS[t.account] !== undefined)
      .map((t) => {
        const prob = score(model, featuresOf(t, SAMPLE_ACCOUNTS[t.account]!));
        return { id: t.id, fraudProbability: Math.round(prob * 10_000) / 10_000, flagged: prob >= 0.5, model: modelPath };
      });
    assertThat(scored).containsInAnyOrder(expected);
    assertThat(scored.apply("Flagged", map((s) => `${s.id}:${s.flagged}`))).containsInAnyOrder(["t1:false", "t2:true", "t3:true", "t4:false", "t6:false"]);
    assertThat(unknownAccounts.apply("UnknownIds", map((f) => `${f.element.id}:${f.key}`))).containsInAnyOrder(["t5:acc-9"]);
    assertThat(failures).containsInAnyOrder([]);
    const result = p.run();
    await result.waitUntilFinish();
    // Four accounts, two of them used twice: each asked for once (the batch's keys are distinct, then cached).
    expect(service.keysAsked() - before).toBe(4);
    expect(result.metrics().queryMetrics({ name: "model_loads" }).counters.reduce((s, c) => s + c.attempted, 0)).toBe(1);
  });

  it("fails the job naming the step and the transaction when a transaction has no valid amount", async () => {
    const p = new Pipeline({ runner: "embedded" });
    const bad: Transaction = { id: "t7", account: "acc-1", amountCents: 0, country: "NL", at: "2026-03-01T10:00:00Z" };
    scoreTransactions(p.apply(create([bad])), { accountServiceUrl: service.url, modelPath });
    await expect(p.run().waitUntilFinish()).rejects.toThrow(/Features[\s\S]*transaction t7: needs amountCents > 0/);
  });

  it("main.ts starts the account service, runs the job and writes the scores and the unknown accounts", async () => {
    const dir = await mkdtemp(join(tmpdir(), "beam-ts-ml-example-"));
    try {
      const { stdout } = await promisify(execFile)("npx", ["tsx", here("./main.ts"), `--output=${join(dir, "scored")}`], { cwd: here("../.."), timeout: 60_000 });
      expect(stdout).toMatch(/asked for 4 account\(s\)/);
      const read = async (prefix: string) => {
        const name = (await readdir(dir)).find((f) => f.startsWith(`${prefix}-00000-of-`))!;
        return (await readFile(join(dir, name), "utf8")).split("\n").filter((l) => l !== "").map((l) => JSON.parse(l) as Record<string, unknown>);
      };
      const scores = await read("scored");
      expect(scores.map((s) => `${String(s["id"])}:${String(s["flagged"])}`).sort()).toEqual(["t1:false", "t2:true", "t3:true", "t4:false", "t6:false"]);
      expect((await read("scored-unknown-accounts")).map((u) => u["id"])).toEqual(["t5"]);
      expect(await read("scored-failures")).toEqual([]);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  }, 90_000);
});
