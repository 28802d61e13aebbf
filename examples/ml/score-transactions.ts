/**
 * Scores card transactions for fraud: Enrichment joins each transaction with its account
 * (over HTTP, from account-service.ts), RunInference runs a user-written model on the
 * features (fraud-model.ts). Transactions of unknown accounts and examples the model fails
 * on go to dead-letter outputs instead of stopping the job.
 */
import { map, type PCollection } from "../../src/index.js";
import { enrich, httpEnrichmentHandler, runInference, type EnrichmentFailure, type InferenceFailure, type PredictionResult } from "../../src/ml/index.js";
import type { Account } from "./account-service.js";
import { fraudModelHandler, type Features } from "./fraud-model.js";

/** A card transaction, as read from the input. */
export interface Transaction {
  readonly id: string;
  readonly account: string;
  readonly amountCents: number;
  /** Where the card was used (ISO 3166 alpha-2). */
  readonly country: string;
  /** When (ISO 8601). */
  readonly at: string;
}

/** What the model sees: the transaction's id, carried through, and its features. */
export interface FraudExample {
  readonly transactionId: string;
  readonly features: Features;
}

/** A scored transaction. */
export interface ScoredTransaction {
  readonly id: string;
  readonly fraudProbability: number;
  readonly flagged: boolean;
  /** The model file that produced the score (PredictionResult.modelId). */
  readonly model: string;
}

export interface ScoreOptions {
  /** The account service's lookup URL (httpEnrichmentHandler's protocol). */
  readonly accountServiceUrl: string;
  /** The model file (fraud-model.ts's JSON). */
  readonly modelPath: string;
  /** Probability at or above which a transaction is flagged (default 0.5). */
  readonly threshold?: number;
}

const DAY = 86_400_000;

/** The model's features of a transaction made from `account`. */
export function featuresOf(t: Transaction, account: Account): Features {
  const at = Date.parse(t.at);
  if (!(t.amountCents > 0) || Number.isNaN(at)) {
    // Bad input fails the element with its id and what to fix (the step's label is added by the runner).
    throw new Error(`transaction ${t.id}: needs amountCents > 0 and an ISO 8601 "at"; got ${t.amountCents} and ${JSON.stringify(t.at)}.`);
  }
  return {
    logAmount: Math.log10(t.amountCents),
    foreign: t.country === account.homeCountry ? 0 : 1,
    newAccount: at - Date.parse(account.openedAt) < 30 * DAY ? 1 : 0,
    night: new Date(at).getUTCHours() < 5 ? 1 : 0,
  };
}

/**
 * Enriches and scores `transactions`: `scored` has one ScoredTransaction per transaction
 * of a known account, `unknownAccounts` the others (Enrichment's dead letters) and
 * `failures` the examples whose batch the model failed on.
 */
export function scoreTransactions(
  transactions: PCollection<Transaction>,
  options: ScoreOptions,
): {
  scored: PCollection<ScoredTransaction>;
  unknownAccounts: PCollection<EnrichmentFailure<Transaction>>;
  failures: PCollection<InferenceFailure<FraudExample>>;
} {
  const threshold = options.threshold ?? 0.5;
  const { output: withAccount, failures: unknownAccounts } = transactions.apply(
    "EnrichWithAccount",
    enrich(httpEnrichmentHandler<Account>({ url: options.accountServiceUrl, timeoutMs: 5_000 }), {
      key: (t: Transaction) => t.account,
      // Only called with an account: onMissing "deadLetter" routes the others away.
      joinFn: (t, account) => ({ transaction: t, account: account! }),
      cache: { ttlMs: 10 * 60_000, maxEntries: 100_000 },
      onMissing: "deadLetter",
    }),
  );
  const examples = withAccount.apply(
    "Features",
    map((e: { transaction: Transaction; account: Account }): FraudExample => ({ transactionId: e.transaction.id, features: featuresOf(e.transaction, e.account) })),
  );
  const { output, failures } = examples.apply(
    "Score",
    runInference(fraudModelHandler<FraudExample>(options.modelPath), { batch: { minSize: 1, maxSize: 128, maxWaitMs: 20 } }).withExceptionHandling(),
  );
  const scored = output.apply(
    "ToScored",
    map((r: PredictionResult<FraudExample, number>): ScoredTransaction => ({
      id: r.example.transactionId,
      fraudProbability: Math.round(r.inference * 10_000) / 10_000,
      flagged: r.inference >= threshold,
      model: r.modelId,
    })),
  );
  return { scored, unknownAccounts, failures };
}
