/**
 * A user-written ModelHandler: a logistic-regression fraud model whose weights live in a
 * JSON file. It shows what RunInference asks of a framework (docs/ML.md, "ModelHandler"):
 * a model id, a load that runs once per process, and a batch call returning one inference
 * per example, in order. A real model would call its framework where `score` is.
 */
import { readFile } from "node:fs/promises";
import type { ModelHandler } from "../../src/ml/index.js";

/** The model's inputs: numbers computed from a transaction and its account (see score-transactions.ts). */
export interface Features {
  /** log10 of the amount in cents. */
  readonly logAmount: number;
  /** 1 when the transaction's country is not the account's home country. */
  readonly foreign: number;
  /** 1 for an account younger than 30 days. */
  readonly newAccount: number;
  /** 1 between midnight and 5 am (UTC). */
  readonly night: number;
}

/** The model file: a bias and one weight per feature. */
export interface FraudModel {
  readonly version: string;
  readonly bias: number;
  readonly weights: Readonly<Record<keyof Features, number>>;
}

/** The fraud probability `model` gives `f`: the logistic function of the weighted sum. */
export function score(model: FraudModel, f: Features): number {
  const w = model.weights;
  const z = model.bias + w.logAmount * f.logAmount + w.foreign * f.foreign + w.newAccount * f.newAccount + w.night * f.night;
  return 1 / (1 + Math.exp(-z));
}

/**
 * The handler for the model file at `path`. An example is anything carrying `features`
 * (an id, say, that the PredictionResult then carries through). The path is the model id,
 * so a model update (runInference's `modelUpdates` side input) naming another file loads
 * that file.
 */
export function fraudModelHandler<E extends { readonly features: Features }>(path: string): ModelHandler<E, number, FraudModel> {
  return {
    modelId: path,
    async loadModel() {
      const model = JSON.parse(await readFile(path, "utf8")) as FraudModel;
      for (const k of ["logAmount", "foreign", "newAccount", "night"] as const) {
        // A bad model file fails the load with the file and the field, not NaN scores later.
        if (typeof model.weights?.[k] !== "number") throw new Error(`${path}: weights.${k} must be a number; fix the model file.`);
      }
      return model;
    },
    runInference: (batch, model) => batch.map((e) => score(model, e.features)),
    batchSizeHints: { maxSize: 128 },
    withModelId: (other) => fraudModelHandler<E>(other),
  };
}
